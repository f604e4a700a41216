"""The parsed corpus on disk: Hugging Face ``datasets`` of the train and test splits and a
``meta.json`` of counts, keyed by the archive's sha256 and :data:`PREPROCESSING_VERSION`,
built once (atomically: a reader sees the whole cache or none of it), with the sha256 of every
file in ``checksums.json`` (verified on open: an edited arrow file is rebuilt, not read)."""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from collections import Counter
from pathlib import Path

from collective.errors import DataError
from collective.integrity import check_manifest, write_manifest
from collective.resumes.archive import read_raw_checked
from collective.resumes.cache_folder import CACHE_ENV_VAR, cache_dir
from collective.resumes.labels import LABELS
from collective.resumes.preprocessing import PREPROCESSING_VERSION, preprocess, split_indices

#: The manifest of a parsed corpus's files and their sha256.
CHECKSUMS = "checksums.json"


def parsed_folder(sha256: str) -> Path:
    """The folder of the parsed corpus of the archive with this sha256."""
    return cache_dir() / "corpus" / f"{sha256[:16]}-v{PREPROCESSING_VERSION}"


def open_parsed(cached: Path):
    """``(meta, train, test)`` of a parsed corpus (an error if anything is missing, or if a
    file does not match its checksum)."""
    import datasets

    problem = check_manifest(cached / CHECKSUMS, cached)
    if problem is not None:
        raise ValueError(problem)
    meta = json.loads((cached / "meta.json").read_text())
    for name in ("resumes_raw", "label_counts_raw", "empty_labels", "too_short"):
        if name not in meta:
            raise ValueError(f"meta.json lacks {name!r}")
    with quiet_datasets():
        train = datasets.load_from_disk(str(cached / "train"))
        test = datasets.load_from_disk(str(cached / "test"))
    return meta, train, test


def build_parsed(source: Path, sha: str, dest: Path, *, progress: bool) -> None:
    """Read, check and preprocess the corpus at ``source``, split it, and write the parsed
    corpus to ``dest`` (a :class:`DataError` for labels outside the ten)."""
    import datasets

    raw, checks = read_raw_checked(source, progress=progress)
    unknown = sorted({label for r in raw for label in r.labels} - set(LABELS))
    if unknown:
        raise DataError(
            f"{str(source)!r} has labels outside the ten of the resume corpus: {unknown}. "
            "Is this the resume corpus of Jiechieu & Tsopze (florex/resume_corpus)?"
        )
    counts = Counter(label for r in raw for label in r.labels)
    rows: dict[str, list] = {"id": [], "text": [], "labels": []}
    empty_labels = too_short = 0
    for r in raw:
        if not r.labels:
            empty_labels += 1
            continue
        text = preprocess(r.text)
        if not text:
            too_short += 1
            continue
        rows["id"].append(r.id)
        rows["text"].append(text)
        rows["labels"].append([name for name in LABELS if name in r.labels])
    train_idx, test_idx = split_indices(len(rows["id"]))
    table = datasets.Dataset.from_dict(rows)

    meta = {
        "sha256": sha,
        "resumes_raw": len(raw),
        "label_counts_raw": {name: counts.get(name, 0) for name in LABELS},
        "empty_labels": empty_labels,
        "too_short": too_short,
        "preprocessing_version": PREPROCESSING_VERSION,
        "checks": checks,
    }
    try:
        _write_parsed(table, train_idx, test_idx, meta, dest)
    except OSError as err:
        raise DataError(
            f"could not write the parsed corpus to {dest.parent}: {err.strerror or err}. Free some "
            f"space in the cache folder (or point ${CACHE_ENV_VAR} elsewhere) and run again."
        ) from None


def _write_parsed(table, train_idx, test_idx, meta: dict, dest: Path) -> None:
    """The splits, ``meta.json`` and the checksums into a temporary folder, renamed into place."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(dir=dest.parent, prefix=dest.name + ".tmp"))
    try:
        with quiet_datasets():
            table.select(train_idx).flatten_indices().save_to_disk(str(tmp / "train"))
            table.select(test_idx).flatten_indices().save_to_disk(str(tmp / "test"))
        (tmp / "meta.json").write_text(json.dumps(meta, indent=2))
        files = [p.relative_to(tmp).as_posix() for p in tmp.rglob("*") if p.is_file()]
        write_manifest(tmp / CHECKSUMS, tmp, files)
        try:
            os.replace(tmp, dest)  # atomic: a reader sees the whole cache or none of it
        except OSError:  # another process won the race; its cache is as good as ours
            shutil.rmtree(tmp, ignore_errors=True)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


class quiet_datasets:
    """Silence datasets' progress bars while (de)serialising the small cached tables."""

    def __enter__(self):
        import datasets

        self._was_enabled = datasets.utils.logging.is_progress_bar_enabled()
        datasets.utils.logging.disable_progress_bar()

    def __exit__(self, *exc):
        import datasets

        if self._was_enabled:
            datasets.utils.logging.enable_progress_bar()
