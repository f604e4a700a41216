"""Sealing a results folder written before records carried checksums (a one-off migration).

``collective results --seal-legacy [--results DIR]`` checks every record of every ``*.jsonl``
file of the folder as on read (its key is the hash of its config, its metrics are all there,
its rates lie in [0, 1], it was computed on the folder's corpus), gives each good record
without a checksum its checksum, and then marks the folder sealed
(:data:`~collective.runner.paths.SEALED_FILE`): from then on a record without a checksum is
refused there. Records already sealed keep their bytes; records that fail the checks are kept
as they are (they are refused on read either way) and listed. Each file is rewritten
atomically under its lock, so sweeps appending meanwhile wait and lose nothing. Running it
again changes nothing.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path

from collective.errors import ConfigError
from collective.io import atomic_write, json_default
from collective.runner.cache import check_record, file_lock, forget_parsed, seal
from collective.runner.paths import ResultsWriteError, folder_corpus, mark_sealed, problem_hint


@dataclass
class SealReport:
    """What sealing did to one file: records newly sealed, already sealed, and refused
    (line number and why)."""

    path: Path
    sealed: int = 0
    already: int = 0
    refused: list[tuple[int, str]] = field(default_factory=list)


def _seal_file(path: Path, sha: str) -> SealReport:
    report = SealReport(path)
    with file_lock(path):
        content = path.read_bytes()
        end = content.rfind(b"\n") + 1
        lines, tail = content[:end].split(b"\n")[:-1], content[end:]
        out: list[bytes] = []
        for lineno, raw in enumerate(lines, start=1):
            out.append(raw)
            if not raw.strip():
                continue
            try:
                record = json.loads(raw)
            except (ValueError, UnicodeDecodeError):
                report.refused.append((lineno, "not JSON"))
                continue
            what = check_record(record, sha)
            if what is not None:
                report.refused.append((lineno, what))
            elif "checksum" in record:
                report.already += 1
            else:
                out[-1] = json.dumps(seal(record), sort_keys=True, default=json_default).encode()
                report.sealed += 1
        if report.sealed:
            mode = path.stat().st_mode & 0o777
            with atomic_write(path) as fh:
                fh.write(b"".join(line + b"\n" for line in out) + tail)
                os.fchmod(fh.fileno(), mode)
    return report


def seal_legacy(folder: str | os.PathLike) -> list[SealReport]:
    """Seal the records of every ``*.jsonl`` file of a results folder and mark the folder
    sealed (see the module docstring). The folder must be bound to a corpus."""
    folder = Path(folder)
    if not folder.is_dir():
        raise ConfigError(f"--seal-legacy needs a results folder; {folder} is not a folder")
    sha = folder_corpus(folder)
    if sha is None:
        raise ConfigError(
            f"{folder} is not bound to a corpus (no corpus.sha256), so its records cannot be "
            "checked against one; write the corpus's sha256 into corpus.sha256 there first"
        )
    try:
        reports = [_seal_file(p, sha) for p in sorted(folder.glob("*.jsonl")) if p.is_file()]
        mark_sealed(folder)
    except OSError as err:  # each file is replaced whole or not at all
        raise ResultsWriteError(
            f"could not seal the records of {folder}: {err.strerror or err}{problem_hint(err)}; "
            "files not yet sealed are as they were, run the command again once this is fixed"
        ) from None
    forget_parsed()  # the files were rewritten: read them again
    return reports
