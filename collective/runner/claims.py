"""Claims: a config being computed is claimed, so that two sweeps never compute it twice.

A claim is a file ``<firm>.claims/<key>`` beside the firm's JSON Lines file, created with
``O_EXCL`` (under the results file's lock) and holding ``host pid``. It is removed when the
record is written or the run fails, and while the run computes, its process touches it every
:data:`HEARTBEAT_SECONDS` (:func:`heartbeat`).

A claim is **stale**, and taken over, when it cannot belong to a live computation:

* it is empty or unreadable as ``host pid`` (a disk full while claiming leaves a 0-byte file;
  claims are written under the results file's lock, so no reader sees one half-written);
* its process no longer exists on this host (a worker killed with ``kill -9``), or the pid now
  belongs to a process started after the claim was last touched (the pid was reused);
* it comes from another host, whose processes cannot be checked, and was not touched for
  :data:`CLAIM_TTL_SECONDS` (its owner's heartbeat stopped).

Whoever waits on a live claim is told which file to remove if its owner is in fact gone.
"""

from __future__ import annotations

import errno
import os
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from collective.errors import CollectiveError
from collective.runner.signals import signals_deferred

#: How often a computing process touches its claim.
HEARTBEAT_SECONDS = 60.0
#: A claim of another host not touched for this long is stale (ten missed heartbeats).
CLAIM_TTL_SECONDS = 600.0
#: Slack between a claim's time stamp and a process's start time (clock granularity).
_CLOCK_SLACK_SECONDS = 2.0


class ClaimError(CollectiveError, OSError):
    """A claim could not be written (a full disk, a read-only folder)."""


def claims_dir(results_file: str | os.PathLike) -> Path:
    path = Path(results_file)
    return path.with_name(path.stem + ".claims")


def claim_path(results_file: str | os.PathLike, key: str) -> Path:
    """The file that claims ``key`` (what to remove by hand if its owner is gone)."""
    return claims_dir(results_file) / key


def _me() -> str:
    return f"{socket.gethostname()} {os.getpid()}"


def _local_owner_alive(pid: int, touched: float) -> bool:
    """Is ``pid`` a live process (not a zombie) that existed when the claim was last touched?"""
    import psutil

    try:
        proc = psutil.Process(pid)
        if proc.status() == psutil.STATUS_ZOMBIE:
            return False
        started = proc.create_time()
    except psutil.NoSuchProcess:
        return False
    except psutil.Error:  # e.g. access denied: it exists, and we cannot tell more
        return True
    # A pid reused by a process started after the claim was touched is not the claim's owner.
    return started <= touched + _CLOCK_SLACK_SECONDS


def stale_reason(text: str, touched: float, now: float | None = None) -> str | None:
    """Why a claim holding ``text``, last touched at ``touched`` (epoch seconds), is stale
    (``None``: it may belong to a live computation)."""
    host, _, pid = text.strip().partition(" ")
    if not host or not pid.isdigit():
        return "empty or not 'host pid' (a claim cut short, e.g. by a full disk)"
    if host == socket.gethostname():
        if not _local_owner_alive(int(pid), touched):
            return f"process {pid} is gone (or its pid was reused)"
        return None
    age = (time.time() if now is None else now) - touched
    if age > CLAIM_TTL_SECONDS:
        return f"not touched for {age / 60:.0f} minutes by its owner on {host}"
    return None


def owner(results_file: str | os.PathLike, key: str) -> str | None:
    """``host pid`` of the live claim on ``key`` by another process (``None``: unclaimed,
    claimed by this process, or stale)."""
    path = claim_path(results_file, key)
    try:
        text = path.read_text(errors="replace").strip()
        touched = path.stat().st_mtime
    except FileNotFoundError:
        return None
    except OSError:
        return "unknown"
    if text == _me() or stale_reason(text, touched) is not None:
        return None
    return text


def claim(results_file: str | os.PathLike, key: str) -> str | None:
    """Claim ``key`` (call under the results file's lock). Returns ``None`` if this process
    now holds the claim, else the live owner's ``host pid``. A claim that cannot be written
    whole is removed again and raised as :class:`ClaimError`."""
    folder = claims_dir(results_file)
    path = folder / key
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with signals_deferred():  # a stop between creating and writing would leave it empty
            try:
                fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
            except FileExistsError:
                holder = owner(results_file, key)
                if holder is not None:
                    return holder
                path.unlink(missing_ok=True)  # stale (or ours): take it over
                fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
            try:
                with os.fdopen(fd, "w") as fh:
                    fh.write(_me() + "\n")
                    fh.flush()
                    os.fsync(fh.fileno())
            except OSError:
                path.unlink(missing_ok=True)  # never leave a claim nobody can read
                raise
    except OSError as err:
        full = (
            " (the disk is full: free some space)"
            if err.errno in (errno.ENOSPC, errno.EDQUOT)
            else ""
        )
        raise ClaimError(
            f"could not claim the config {key} in {folder}: {err.strerror or err}{full}. Nothing "
            "was computed for it; run the same command again once the problem is fixed."
        ) from err
    return None


def release(results_file: str | os.PathLike, key: str) -> None:
    """Remove this process's claim on ``key`` (another's is left alone)."""
    path = claim_path(results_file, key)
    try:
        if path.read_text().strip() == _me():
            path.unlink()
    except OSError:
        pass


def release_pids(results_file: str | os.PathLike, pids: set[int]) -> None:
    """Remove the claims of the given local processes (workers a sweep has stopped)."""
    folder = claims_dir(results_file)
    if not folder.is_dir():
        return
    host = socket.gethostname()
    for path in folder.iterdir():
        try:
            h, _, pid = path.read_text().strip().partition(" ")
            if h == host and pid.isdigit() and int(pid) in pids:
                path.unlink()
        except OSError:
            pass


@contextmanager
def heartbeat(results_file: str | os.PathLike, key: str) -> Iterator[None]:
    """Touch this process's claim on ``key`` every :data:`HEARTBEAT_SECONDS` while the
    block runs, so that sweeps on other hosts keep trusting it."""
    path = claim_path(results_file, key)
    stop = threading.Event()

    def beat() -> None:
        while not stop.wait(HEARTBEAT_SECONDS):
            try:
                os.utime(path)
            except OSError:
                pass  # released, or the folder went away: nothing to keep alive

    thread = threading.Thread(target=beat, daemon=True, name=f"claim-heartbeat-{key}")
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join()
