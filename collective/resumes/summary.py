"""Aggregate statistics of the resume corpus, committed so the book builds without the corpus.

The corpus chapter shows counts, label frequencies, labels per resume, label co-occurrence and
the distribution of resume lengths. None of these needs the text of any resume once computed,
so :func:`compute_corpus_summary` reduces the corpus to those aggregates and
:func:`write_corpus_summary` stores them in ``data/corpus_summary.json`` (``collective data
summary --write``). The file holds only numbers over the whole corpus: no text, no resume ids,
no per-resume values. The book reads it through :func:`corpus_summary`, which recomputes it
from the corpus when a local copy is at hand (``--data``/``$COLLECTIVE_RESUMES`` or an earlier
download) and never goes to the network; a corpus test checks that the committed file equals
the recomputed one.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import numpy as np

from collective.errors import DataError
from collective.io import atomic_write
from collective.resumes import corpus as corpus_data

#: Bumped when the layout of the summary changes.
SUMMARY_VERSION = 1
REPO_ROOT = Path(__file__).resolve().parents[2]
SUMMARY_PATH = REPO_ROOT / "data" / "corpus_summary.json"

#: Fixed, data-independent bins of the length histogram: 20 per decade from 1 to 10^5 words
#: (a bin edge is never a property of one resume).
LENGTH_BINS_PER_DECADE = 20
LENGTH_MAX_DECADE = 5


def length_bin_edges() -> np.ndarray:
    """Edges of the words-per-resume histogram: ``10**(k/20)`` for k = 0..100."""
    k = np.arange(LENGTH_BINS_PER_DECADE * LENGTH_MAX_DECADE + 1)
    return 10.0 ** (k / LENGTH_BINS_PER_DECADE)


def _round(x: float) -> float:
    return float(round(float(x), 6))


def compute_corpus_summary(corpus: corpus_data.Corpus) -> dict[str, Any]:
    """Reduce a loaded corpus to the aggregates the corpus chapter shows.

    Keys: ``version``, ``sha256`` (of the archive), ``preprocessing`` (its version, words
    dropped, split seed), ``counts`` (resumes in the archive, without labels, too short, kept,
    train, test), ``labels`` (the ten labels in :data:`collective.resumes.corpus.LABELS` order),
    ``label_counts_raw`` (over all resumes of the archive), ``label_counts`` (over the kept
    resumes), ``labels_per_resume`` (number of labels -> number of kept resumes),
    ``cooccurrence_counts`` (10x10: resumes carrying both labels), ``words`` (mean and
    quantiles of words per kept resume, and a histogram over :func:`length_bin_edges`).
    """
    Y = np.vstack([corpus.label_matrix("train"), corpus.label_matrix("test")]).astype(np.int64)
    words = corpus_data.words_per_resume(corpus)
    if len(words) == 0:
        raise DataError("The corpus has no resume left after preprocessing; nothing to summarise.")
    edges = length_bin_edges()
    if words.max() >= edges[-1]:
        raise DataError(
            f"A resume has {int(words.max()):,} words, beyond the histogram's last edge "
            f"{edges[-1]:,.0f}; raise LENGTH_MAX_DECADE."
        )
    hist, _ = np.histogram(words, bins=edges)
    cardinality = np.bincount(Y.sum(axis=1), minlength=len(corpus_data.LABELS) + 1)
    return {
        "version": SUMMARY_VERSION,
        "sha256": corpus.sha256,
        "preprocessing": {
            "version": corpus_data.PREPROCESSING_VERSION,
            "n_drop_words": corpus_data.N_DROP_WORDS,
            "split_seed": corpus_data.SPLIT_SEED,
        },
        "counts": {
            "resumes_raw": int(corpus.resumes_raw),
            "empty_labels": int(corpus.empty_labels),
            "too_short": int(corpus.too_short),
            "resumes": int(len(Y)),
            "train": int(len(corpus.train)),
            "test": int(len(corpus.test)),
        },
        "labels": list(corpus_data.LABELS),
        "label_counts_raw": {n: int(corpus.label_counts_raw.get(n, 0)) for n in corpus_data.LABELS},
        "label_counts": {n: int(c) for n, c in zip(corpus_data.LABELS, Y.sum(axis=0))},
        "labels_per_resume": {str(k): int(c) for k, c in enumerate(cardinality) if c},
        "cooccurrence_counts": (Y.T @ Y).tolist(),
        "words": {
            "mean": _round(words.mean()),
            "quantiles": {
                str(q): _round(np.quantile(words, q)) for q in (0.1, 0.25, 0.5, 0.75, 0.9)
            },
            "histogram": {
                "bins_per_decade": LENGTH_BINS_PER_DECADE,
                "edges": [_round(e) for e in edges],
                "counts": hist.astype(int).tolist(),
            },
        },
    }


def local_corpus(data: str | os.PathLike | None = None) -> Path | None:
    """The corpus on this machine, without downloading: ``data``, ``$COLLECTIVE_RESUMES`` or
    an earlier download in the cache folder; ``None`` when there is none."""
    given = data if data is not None else os.environ.get(corpus_data.ENV_VAR) or None
    if given is not None:
        return corpus_data.resolve_source(given, progress=False)  # clear error if it is missing
    downloaded = corpus_data.cache_dir() / "resumes_corpus.zip"
    return downloaded if downloaded.exists() else None


def summary_from_corpus(
    data: str | os.PathLike | None = None, *, progress: bool = False
) -> dict[str, Any]:
    """Load the corpus (``data``, else ``$COLLECTIVE_RESUMES``, else download) and summarise it."""
    return compute_corpus_summary(corpus_data.load_corpus(data, progress=progress))


def load_corpus_summary(path: str | os.PathLike | None = None) -> dict[str, Any]:
    """The committed summary (``data/corpus_summary.json``)."""
    path = Path(path) if path is not None else SUMMARY_PATH
    if not path.exists():
        raise DataError(
            f"No corpus summary at {str(path)!r}. Write it from the corpus with "
            "`collective data summary --write` (needs the corpus)."
        )
    summary = json.loads(path.read_text())
    if summary.get("version") != SUMMARY_VERSION:
        raise DataError(
            f"{str(path)!r} is a corpus summary of version {summary.get('version')!r}, this code "
            f"reads version {SUMMARY_VERSION}. Rewrite it with `collective data summary --write`."
        )
    return summary


def write_corpus_summary(summary: dict[str, Any], path: str | os.PathLike | None = None) -> Path:
    """Write ``summary`` as stable, indented JSON (the committed file)."""
    path = Path(path) if path is not None else SUMMARY_PATH
    with atomic_write(path, "w") as fh:
        fh.write(json.dumps(summary, indent=1) + "\n")
    return path


def corpus_summary(data: str | os.PathLike | None = None) -> tuple[dict[str, Any], str]:
    """The summary the book shows, and where it came from.

    Recomputed from the corpus when a local copy exists (:func:`local_corpus`); otherwise the
    committed ``data/corpus_summary.json``. Never downloads. The second value says which, in
    words fit for the chapter's output.
    """
    source = local_corpus(data)
    if source is None:
        return load_corpus_summary(), f"the committed summary {SUMMARY_PATH.relative_to(REPO_ROOT)}"
    return summary_from_corpus(source), "the corpus (recomputed)"


# ------------------------------------------------------------------ derived tables


def label_table(summary: dict[str, Any]):
    """Label counts and frequencies (over all and over labelled resumes) as a DataFrame."""
    import pandas as pd

    counts = summary["counts"]
    raw = pd.Series(summary["label_counts_raw"])
    n_labelled = counts["resumes_raw"] - counts["empty_labels"]
    return pd.DataFrame(
        {
            "count": raw,
            "fraction of all resumes": raw / counts["resumes_raw"],
            "fraction of labelled resumes": raw / n_labelled,
        }
    ).sort_values("count", ascending=False)


def cooccurrence(summary: dict[str, Any]) -> np.ndarray:
    """Pr[label j | label i] over the kept resumes (as :func:`collective.resumes.corpus.label_cooccurrence`)."""
    counts = np.asarray(summary["cooccurrence_counts"], dtype=np.float64)
    with np.errstate(invalid="ignore", divide="ignore"):
        return counts / np.diag(counts)[:, None]


def labels_per_resume(summary: dict[str, Any]):
    """Fraction of kept resumes with k labels, indexed by k."""
    import pandas as pd

    series = pd.Series({int(k): c for k, c in summary["labels_per_resume"].items()}).sort_index()
    return series / series.sum()


def format_summary(summary: dict[str, Any]) -> str:
    """A few lines on the corpus: sizes, split, lengths, checksum."""
    c, w = summary["counts"], summary["words"]
    return "\n".join(
        [
            f"sha256       {summary['sha256']}",
            f"resumes      {c['resumes_raw']:,} in the archive, {c['resumes']:,} after preprocessing "
            f"({c['empty_labels']:,} without labels, {c['too_short']:,} with "
            f"<= {summary['preprocessing']['n_drop_words']} words dropped)",
            f"split        {c['train']:,} train / {c['test']:,} test "
            f"(seed {summary['preprocessing']['split_seed']})",
            f"words        median {w['quantiles']['0.5']:.0f}, mean {w['mean']:.1f} per resume "
            "(after preprocessing)",
        ]
    )
