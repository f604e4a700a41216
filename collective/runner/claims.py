"""Claims: a config being computed is claimed, so that two sweeps never compute it twice.

A claim is a file ``<firm>.claims/<key>`` beside the firm's JSON Lines file, created with
``O_EXCL`` (under the results file's lock) and holding ``host pid``. It is removed when the
record is written or the run fails. A claim of a process that no longer exists on this
host (a worker killed with ``kill -9``) is stale and taken over; a claim from another host
is trusted (its owner may still be computing).
"""

from __future__ import annotations

import os
import socket
from pathlib import Path


def claims_dir(results_file: str | os.PathLike) -> Path:
    path = Path(results_file)
    return path.with_name(path.stem + ".claims")


def _me() -> str:
    return f"{socket.gethostname()} {os.getpid()}"


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:  # a zombie is dead for our purposes
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return True


def owner(results_file: str | os.PathLike, key: str) -> str | None:
    """``host pid`` of the live claim on ``key`` by another process (``None``: unclaimed,
    claimed by this process, or stale)."""
    path = claims_dir(results_file) / key
    try:
        text = path.read_text().strip()
    except FileNotFoundError:
        return None
    except OSError:
        return "unknown"
    if text == _me():
        return None
    host, _, pid = text.partition(" ")
    if host == socket.gethostname() and pid.isdigit() and not _alive(int(pid)):
        return None
    return text or "unknown"


def claim(results_file: str | os.PathLike, key: str) -> str | None:
    """Claim ``key`` (call under the results file's lock). Returns ``None`` if this process
    now holds the claim, else the live owner's ``host pid``."""
    folder = claims_dir(results_file)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / key
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
    except FileExistsError:
        holder = owner(results_file, key)
        if holder is not None:
            return holder
        path.write_text(_me() + "\n")  # stale (or ours): take it over
        return None
    with os.fdopen(fd, "w") as fh:
        fh.write(_me() + "\n")
    return None


def release(results_file: str | os.PathLike, key: str) -> None:
    """Remove this process's claim on ``key`` (another's is left alone)."""
    path = claims_dir(results_file) / key
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
