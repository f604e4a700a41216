"""The results cache: one JSON Lines file per firm, one record per run.

A record is ``{"key", "config", "metrics", "provenance"}``. Records are appended under an
exclusive file lock, one line in a single ``write``; a line cut short by a crash
(``kill -9``) is fenced off by a newline and skipped with a warning that names the file and
line, so an interrupted sweep resumes and nothing is lost.
"""

from __future__ import annotations

import json
import os
import warnings
from pathlib import Path

from collective.io import json_default

_REQUIRED = ("key", "config", "metrics", "provenance")


def file_lock(path: str | os.PathLike):
    """The exclusive lock that guards a results file (a ``.lock`` file beside it)."""
    from filelock import FileLock

    return FileLock(str(path) + ".lock", timeout=600)


def read_records(path: str | os.PathLike) -> dict[str, dict]:
    """Records of one JSONL file by key. Corrupt lines are skipped with a warning naming the
    file and line (the file is never rewritten, so nothing is lost)."""
    path = Path(path)
    records: dict[str, dict] = {}
    if not path.exists():
        return records
    with open(path, "rb") as fh:
        for lineno, raw in enumerate(fh, start=1):
            line = raw.strip()
            if not line:
                continue
            try:
                record = json.loads(line)
                if not isinstance(record, dict) or any(k not in record for k in _REQUIRED):
                    raise ValueError(f"a record needs the keys {', '.join(_REQUIRED)}")
                if not isinstance(record["metrics"], dict) or not isinstance(record["config"], dict):
                    raise ValueError("config and metrics must be objects")
            except (ValueError, UnicodeDecodeError) as err:
                warnings.warn(
                    f"{path}:{lineno}: corrupt results line skipped ({str(err)[:120]})",
                    RuntimeWarning,
                    stacklevel=2,
                )
                continue
            records.setdefault(record["key"], record)
    return records


def append_record(path: str | os.PathLike, record: dict) -> bool:
    """Append ``record`` as one line, atomically with respect to other writers.

    Returns False (and writes nothing) if a record with the same key is already there.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    line = (json.dumps(record, sort_keys=True, default=json_default) + "\n").encode()
    with file_lock(path):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            if record["key"] in read_records(path):
                return False
        fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        try:
            size = os.fstat(fd).st_size
            if size:
                with open(path, "rb") as fh:
                    fh.seek(size - 1)
                    if fh.read(1) != b"\n":  # a writer died mid-line: fence its fragment off
                        line = b"\n" + line
            os.write(fd, line)
            os.fsync(fd)
        finally:
            os.close(fd)
    return True
