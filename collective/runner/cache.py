"""The results cache: one JSON Lines file per firm, one record per run.

A record is ``{"key", "config", "metrics", "provenance", "checksum"}``. What is served is
checked on read (:func:`check_record`): the stored key must be the hash of the stored config
(so a config edited by hand does not answer for another), the checksum must match the content
(so must a metric), the metrics a run always produces must be there, every rate must lie in
[0, 1], and, when the caller says which corpus it wants (``data_sha256``), the record must have
been computed on that corpus. A record that fails is reported (a warning naming the file, the
line and what is wrong) and its config counts as missing.

A record without a checksum is refused in a *sealed* folder (one with
:data:`~collective.runner.paths.SEALED_FILE`): every folder the runner creates is sealed, and a
folder of records written before checksums existed is sealed once by
``collective results --seal-legacy`` (:mod:`collective.runner.seal`). Until then its unsealed
records are served with a warning that says so.

Records are appended under an exclusive file lock (:func:`append_record`): every byte
``os.write`` reports is checked, the file is fsynced, and a write that cannot land whole (a
full disk) is rolled back and raised as :class:`ResultsWriteError`. A last line torn by a crash
(``kill -9`` mid-write) is moved aside to ``<file>.torn`` the next time the file is written, so
the file stays valid JSON Lines (``pandas.read_json(path, lines=True)`` reads it).

Reading is incremental: each process remembers, per file, what it has parsed and reads only
the bytes appended since (so a sweep reads its files once, not twice per run).
"""

from __future__ import annotations

import errno
import hashlib
import json
import math
import os
import threading
import time
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

from collective.io import json_default
from collective.runner.paths import (
    ResultsWriteError,
    check_results_file,
    folder_is_sealed,
    problem_hint,
)
from collective.runner.record import Record
from collective.runner.signals import signals_deferred

_REQUIRED = ("key", "config", "metrics", "provenance")
#: Metrics every run produces (:func:`collective.resumes.evaluation.evaluate` and the runner).
REQUIRED_METRICS = (
    "success_in_set",
    "success_top1",
    "hamming_accuracy",
    "precision",
    "recall",
    "f1",
    "n_collective",
    "n_train",
)
#: Metrics that are rates: a value outside [0, 1] means the record is wrong.
_RATE_PREFIXES = ("success_", "clean_")
_RATES = ("hamming_accuracy", "precision", "recall", "f1")
#: How many problems of one file are reported one by one (the rest are counted).
_MAX_REPORTED = 10

#: Held by :func:`append_record` while it writes; the sweep's parent watchdog takes it before
#: it ends a worker, so that a worker never dies half-way through a line.
WRITE_GUARD = threading.Lock()


def record_key(config: dict, runner_version: int) -> str:
    """The cache key of a stored config (:meth:`RunConfig.key` calls this: one formula),
    without building a :class:`RunConfig` (cheap enough to check every record read)."""
    payload = json.dumps({"v": runner_version, **config}, sort_keys=True, default=str)
    return hashlib.sha256(payload.encode()).hexdigest()[:20]


def record_checksum(record: dict) -> str:
    """sha256 of a record's config, metrics and provenance (what :func:`seal` stores in
    ``checksum``; records written before checksums existed have none and are not checked)."""
    body = {k: record[k] for k in ("key", "config", "metrics", "provenance")}
    return hashlib.sha256(
        json.dumps(body, sort_keys=True, default=json_default).encode()
    ).hexdigest()[:20]


def seal(record: Any) -> Record:
    """``record`` with its ``checksum``: a metric edited by hand is then refused on read."""
    return cast(Record, {**record, "checksum": record_checksum(record)})


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def check_record(
    record: Any, data_sha256: str | None = None, *, require_checksum: bool = False
) -> str | None:
    """What is wrong with a record (``None``: nothing). ``data_sha256``: the corpus the
    record must have been computed on; ``require_checksum``: refuse a record without one
    (a sealed folder)."""
    if not isinstance(record, dict) or any(k not in record for k in _REQUIRED):
        return f"a record needs the keys {', '.join(_REQUIRED)}"
    config, metrics, prov = record["config"], record["metrics"], record["provenance"]
    if not isinstance(config, dict) or not isinstance(metrics, dict) or not isinstance(prov, dict):
        return "config, metrics and provenance must be objects"
    version = prov.get("runner_version", 1)  # records before the field existed are version 1
    if record_key(config, version) != record["key"]:
        return f"its key {record['key']!r} is not the hash of its config (edited by hand?)"
    if "checksum" in record:
        if record["checksum"] != record_checksum(record):
            return "its checksum does not match its content (edited by hand?)"
    elif require_checksum:
        return (
            "it has no checksum, and this folder holds sealed records only (a checksum deleted, "
            "or a record written by hand?)"
        )
    missing = [m for m in REQUIRED_METRICS if m not in metrics]
    if missing:
        return f"metrics missing: {', '.join(missing)}"
    for name, value in metrics.items():
        if name.startswith(_RATE_PREFIXES) or name in _RATES:
            if value is None or _is_number(value) and math.isnan(value):
                continue  # undefined (e.g. no test resume without the target): allowed
            if not _is_number(value) or not (0.0 <= value <= 1.0):
                return f"rate {name} = {value!r} is not in [0, 1]"
    if data_sha256 is not None and prov.get("data_sha256") != data_sha256:
        got = str(prov.get("data_sha256"))[:12]
        return (
            f"computed on another corpus (sha256 {got}..., this folder holds {data_sha256[:12]}...)"
        )
    return None


@dataclass
class _Parsed:
    """What one process has parsed of one file: up to ``offset`` bytes, ``lines`` lines."""

    ident: tuple[int, int]
    offset: int = 0
    seal: bytes = b""  # the last bytes before offset: if they change, the file was rewritten
    lines: int = 0
    records: list[tuple[int, dict]] = field(default_factory=list)  # (line, record) parsed as JSON
    corrupt: list[tuple[int, str]] = field(default_factory=list)  # (line, error)
    #: per (corpus asked for, sealed folder): (records checked so far, good records by key,
    #: problems)
    checked: dict[tuple[str | None, bool], tuple[int, dict[str, dict], list[tuple[int, str]]]] = (
        field(default_factory=dict)
    )
    told_unsealed: bool = False  # the warning about unsealed records was given


_PARSED: dict[str, _Parsed] = {}
_PARSED_LOCK = threading.Lock()


def _parse(path: Path) -> tuple[_Parsed, bytes]:
    """Parse the complete lines appended since the last call; returns the state and the
    incomplete tail (bytes after the last newline), if any."""
    st = os.stat(path)
    ident = (st.st_dev, st.st_ino)
    key = str(path.resolve())
    with _PARSED_LOCK:
        state = _PARSED.get(key)
        if state is None or state.ident != ident or st.st_size < state.offset:
            state = _PARSED[key] = _Parsed(ident=ident)
        with open(path, "rb") as fh:
            fh.seek(state.offset - len(state.seal))
            chunk = fh.read()
        if not chunk.startswith(state.seal):  # rewritten in place: parse it all again
            state = _PARSED[key] = _Parsed(ident=ident)
            with open(path, "rb") as fh:
                chunk = fh.read()
        else:
            chunk = chunk[len(state.seal) :]
        end = chunk.rfind(b"\n") + 1
        complete, tail = chunk[:end], chunk[end:]
        for raw in complete.split(b"\n")[:-1]:
            state.lines += 1
            line = raw.strip()
            if not line:
                continue
            try:
                state.records.append((state.lines, json.loads(line)))
            except (ValueError, UnicodeDecodeError) as err:
                state.corrupt.append((state.lines, f"not JSON ({str(err)[:80]})"))
        state.offset += end
        if end:
            state.seal = complete[-64:] if len(complete) >= 64 else (state.seal + complete)[-64:]
        return state, tail


def forget_parsed() -> None:
    """Drop what this process remembers of the files it read (tests; files rewritten)."""
    with _PARSED_LOCK:
        _PARSED.clear()


def _warn(path: Path, problems: list[tuple[int, str]], stacklevel: int = 3) -> None:
    for lineno, what in problems[:_MAX_REPORTED]:
        warnings.warn(
            f"{path}:{lineno}: results record not served: {what}",
            RuntimeWarning,
            stacklevel=stacklevel,
        )
    if len(problems) > _MAX_REPORTED:
        warnings.warn(
            f"{path}: {len(problems) - _MAX_REPORTED} more records not served (first reported above)",
            RuntimeWarning,
            stacklevel=stacklevel,
        )


def read_records(
    path: str | os.PathLike, data_sha256: str | None = None, *, report: bool = True
) -> dict[str, dict]:
    """The records of one JSONL file that pass :func:`check_record`, by key (the first good
    record of a key wins). Bad records are reported (``report``) with file and line."""
    path = Path(path)
    if not path.exists():
        return {}
    check_results_file(path)
    state, tail = _parse(path)
    sealed = folder_is_sealed(path.parent)
    with _PARSED_LOCK:  # check only the records parsed since the last call for this corpus
        done, good, bad = state.checked.get((data_sha256, sealed), (0, {}, []))
        for lineno, record in state.records[done:]:
            what = check_record(record, data_sha256, require_checksum=sealed)
            if what is not None:
                bad.append((lineno, what))
            elif record["key"] not in good:
                good[record["key"]] = record
        state.checked[(data_sha256, sealed)] = (len(state.records), good, bad)
        records = dict(good)
        problems = state.corrupt + bad
        unsealed = 0 if sealed else sum("checksum" not in r for r in good.values())
        tell = bool(report and unsealed and not state.told_unsealed)
        state.told_unsealed |= tell
    if tell:
        warnings.warn(
            f"{path}: {unsealed} records have no checksum (written before checksums existed) and "
            "are served unchecked; check and seal them once with: collective results "
            f"--seal-legacy --results {path.parent}",
            RuntimeWarning,
            stacklevel=2,
        )
    # An incomplete last line is reported once it is old: a young one may be a line another
    # process is writing right now (appends are locked, reads are not).
    if tail.strip() and time.time() - path.stat().st_mtime > 2.0:
        problems.append(
            (
                state.lines + 1,
                "incomplete last line (a write cut short; moved aside on the next write)",
            )
        )
    if report and problems:
        _warn(path, sorted(problems))
    return records


def file_lock(path: str | os.PathLike):
    """The exclusive lock that guards a results file (a ``.lock`` file beside it)."""
    from filelock import FileLock

    return FileLock(str(path) + ".lock", timeout=600)


def _write_all(fd: int, data: bytes) -> None:
    """``os.write`` until every byte is written; a write that makes no progress is ENOSPC."""
    view = memoryview(data)
    while view:
        n = os.write(fd, view)
        if n <= 0:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        view = view[n:]


def _move_torn_tail(path: Path, fd: int) -> None:
    """Move bytes after the last newline (a line torn by a crash) to ``<path>.torn``."""
    size = os.fstat(fd).st_size
    if not size:
        return
    with open(path, "rb") as fh:
        fh.seek(max(0, size - (1 << 20)))
        block = fh.read()
    if block.endswith(b"\n"):
        return
    cut = block.rfind(b"\n")
    start = size - len(block) + cut + 1 if cut >= 0 else size - len(block)
    if cut < 0 and start > 0:  # a torn line over 1 MiB: find its start the slow way
        with open(path, "rb") as fh:
            content = fh.read()
        start = content.rfind(b"\n") + 1
    with open(path, "rb") as fh:
        fh.seek(start)
        fragment = fh.read()
    torn = path.with_name(path.name + ".torn")
    tfd = os.open(torn, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        _write_all(tfd, fragment + b"\n")
        os.fsync(tfd)
    finally:
        os.close(tfd)
    os.ftruncate(fd, start)
    os.fsync(fd)
    warnings.warn(
        f"{path}: a torn last line ({len(fragment)} bytes, left by an interrupted write) was moved to {torn}",
        RuntimeWarning,
        stacklevel=3,
    )


def append_record(path: str | os.PathLike, record: Record) -> bool:
    """Append ``record`` as one line, atomically with respect to other writers.

    Returns False (and writes nothing) if a good record with the same key (on the same
    corpus) is already there. Raises :class:`ResultsWriteError` if the line cannot be
    written whole; the file is then left as it was.
    """
    path = Path(path)
    line = (json.dumps(record, sort_keys=True, default=json_default) + "\n").encode()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with file_lock(path):
            sha = record.get("provenance", {}).get("data_sha256")
            if record["key"] in read_records(path, sha, report=False):
                return False
            fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
            try:
                with WRITE_GUARD, signals_deferred():
                    _move_torn_tail(path, fd)
                    size = os.fstat(fd).st_size
                    try:
                        _write_all(fd, line)
                        os.fsync(fd)
                    except OSError:
                        os.ftruncate(fd, size)  # roll back a partial line
                        raise
            finally:
                os.close(fd)
    except OSError as err:
        if isinstance(err, ResultsWriteError):
            raise
        reason = err.strerror or str(err)
        hint = problem_hint(err)
        raise ResultsWriteError(
            f"could not write the result of run {record.get('key')} to {path}: {reason}{hint}. "
            "Nothing was recorded for this run and the results file was left as it was; "
            "run the same command again once the problem is fixed (finished runs are kept)."
        ) from err
    return True
