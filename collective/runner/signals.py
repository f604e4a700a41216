"""Deferring Ctrl-C and a sweep's stop signal over a short write that must land whole."""

from __future__ import annotations

import signal
import threading


class signals_deferred:
    """Block SIGINT and SIGTERM while a short write runs (main thread only), so that Ctrl-C or
    a sweep stopping its workers lands after it, not in the middle of it: a results line, or
    a claim file (created and its owner written as one step, never left empty)."""

    def __enter__(self) -> None:
        self.blocked = threading.current_thread() is threading.main_thread() and hasattr(
            signal, "pthread_sigmask"
        )
        if self.blocked:
            self.old = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT, signal.SIGTERM})

    def __exit__(self, *exc: object) -> None:
        if self.blocked:
            signal.pthread_sigmask(signal.SIG_SETMASK, self.old)
