"""What ``collective data info`` prints about the corpus: counts before and after
preprocessing, label frequencies, words per resume, the loader's checks, and whether it is
the canonical corpus; with label co-occurrence and words per resume as helpers."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from collective import io
from collective.resumes.archive import CHECK_NAMES, read_raw_checked
from collective.resumes.preprocessing import N_DROP_WORDS, SPLIT_SEED
from collective.resumes.source import CANONICAL_SHA256

if TYPE_CHECKING:
    from collective.resumes.corpus import Corpus


def label_cooccurrence(Y: np.ndarray) -> np.ndarray:
    """Co-occurrence of labels: entry (i, j) is Pr[label j | label i] over the rows of ``Y``.

    The diagonal is 1; row i is undefined (nan) if label i never occurs.
    """
    Y = np.asarray(Y, dtype=np.float64)
    counts = Y.T @ Y
    with np.errstate(invalid="ignore", divide="ignore"):
        return counts / np.diag(counts)[:, None]


def words_per_resume(corpus: Corpus) -> np.ndarray:
    """Number of words of every preprocessed resume, train then test."""
    return np.array(
        [len(t.split()) for split in (corpus.train, corpus.test) for t in split["text"]]
    )


def corpus_info(data: str | os.PathLike | None = None, *, progress: bool = True) -> dict:
    """The corpus summary printed by ``collective data info``.

    Keys: ``resumes_raw``, ``resumes`` (after preprocessing), ``labels`` (label -> count over
    the raw corpus), ``label_fractions``, ``empty_labels``, ``too_short``, ``words_median``,
    ``words_mean`` (after preprocessing), ``train``, ``test``, ``sha256``, ``source``.
    """
    from collective.resumes.corpus import load_corpus  # the loader imports this module

    corpus = load_corpus(data, progress=progress)
    checks = corpus.checks
    if checks is None:  # a cache parsed before the loader counted: count once, remember
        checks = read_raw_checked(Path(corpus.source), progress=progress)[1]
        if corpus.cache_path:
            meta_path = Path(corpus.cache_path) / "meta.json"
            meta = json.loads(meta_path.read_text())
            with io.atomic_write(meta_path, "w") as fh:
                fh.write(json.dumps({**meta, "checks": checks}, indent=2))
    words = words_per_resume(corpus)
    n = len(corpus.train) + len(corpus.test)
    return {
        "resumes_raw": corpus.resumes_raw,
        "resumes": n,
        "empty_labels": corpus.empty_labels,
        "too_short": corpus.too_short,
        "labels": corpus.label_counts_raw,
        "label_fractions": {
            name: count / corpus.resumes_raw for name, count in corpus.label_counts_raw.items()
        },
        "words_median": float(np.median(words)),
        "words_mean": float(words.mean()),
        "train": len(corpus.train),
        "test": len(corpus.test),
        "sha256": corpus.sha256,
        "canonical": corpus.sha256 == CANONICAL_SHA256,
        "source": corpus.source,
        "checks": checks,
    }


def format_corpus_info(info: dict) -> str:
    """Human-readable rendering of :func:`corpus_info`."""
    lines = [
        f"source       {info['source']}",
        f"sha256       {info['sha256']}",
        f"resumes      {info['resumes_raw']:,} in the archive, {info['resumes']:,} after "
        f"preprocessing ({info['empty_labels']:,} without labels, {info['too_short']:,} with "
        f"<= {N_DROP_WORDS} words dropped)",
        f"split        {info['train']:,} train / {info['test']:,} test (seed {SPLIT_SEED})",
        f"words        median {info['words_median']:.0f}, mean {info['words_mean']:.1f} per "
        "resume (after preprocessing)",
        "labels       (count over the raw corpus, fraction of its resumes)",
    ]
    for name, count in sorted(info["labels"].items(), key=lambda kv: -kv[1]):
        lines.append(f"  {name:<24}{count:>7,}  {info['label_fractions'][name]:6.1%}")
    lines.append("checks       (files the loader ignored or could not read cleanly)")
    for name, what in CHECK_NAMES.items():
        lines.append(f"  {what:<56}{info.get('checks', {}).get(name, 0):>7,}")
    lines.append(
        "canonical    "
        + (
            "yes: the corpus of the committed results"
            if info.get("canonical")
            else f"no (the canonical sha256 is {CANONICAL_SHA256[:12]}...): results go to a folder of their own"
        )
    )
    return "\n".join(lines)
