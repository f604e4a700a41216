"""The resume corpus of Jiechieu & Tsopze (2021), as the paper uses it (Section 5, Appendix C).

29,783 IT resumes, each a pair ``NNNNN.txt`` (the text, Windows-1252) and ``NNNNN.lab``
(its occupation labels, one per line), shipped as ``resumes_corpus.zip`` in the GitHub
repository florex/resume_corpus. Where the corpus comes from, in order:

1. the ``data`` argument (``--data PATH`` on the command line): a zip or an extracted folder;
2. the environment variable ``COLLECTIVE_RESUMES`` (same);
3. a download of the upstream archive into the user cache folder (:func:`cache_dir`).

Preprocessing follows Appendix C of the paper, plus one cleaning step it leaves implicit:

* the job board's highlight markup ``<span class="hl">...</span>`` is stripped (the words
  inside are kept) and non-breaking spaces become spaces;
* the first :data:`N_DROP_WORDS` = 20 words are dropped: they are the job title the labels were
  derived from, so keeping them would make the task trivial;
* resumes without any label, or without any word left, are dropped;
* a seeded split puts :data:`N_TRAIN` = 25,000 resumes in the training set, the rest in the
  test set.

The parsed corpus is cached as Hugging Face ``datasets`` on disk, keyed by the archive's
sha256, so a second :func:`load_corpus` takes seconds. Nothing of the corpus belongs in git.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import tempfile
import warnings
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from collective import io
from collective.errors import DataError
from collective.resumes.archive import (  # noqa: F401  (re-exported: the loader's public names)
    CHECK_NAMES,
    ENV_VAR,
    TEXT_ENCODING,
    UPSTREAM_URL,
    RawResume,
    read_raw,
    read_raw_checked,
)

if TYPE_CHECKING:  # datasets is slow to import; only the loader needs it
    import datasets

CACHE_ENV_VAR = "COLLECTIVE_CACHE"
#: sha256 of the canonical ``resumes_corpus.zip`` (29,783 resumes), the corpus of the
#: committed results in ``data/results``.
CANONICAL_SHA256 = "0e7048fa085c830aaae7f342222fcb9752dcac661d1f90cb0db3899105fe1923"

#: The ten labels; the paper's classes 0, 1, 2 come first.
LABELS: tuple[str, ...] = (
    "Database_Administrator",
    "Web_Developer",
    "Software_Developer",
    "Front_End_Developer",
    "Java_Developer",
    "Network_Administrator",
    "Project_manager",
    "Python_Developer",
    "Security_Analyst",
    "Systems_Administrator",
)
#: The paper's "class 0, 1, 2" (frequencies 0.11, 0.23, 0.5).
PAPER_CLASSES: tuple[str, ...] = LABELS[:3]

N_DROP_WORDS = 20
N_TRAIN = 25_000
SPLIT_SEED = 0
#: Bumped whenever preprocessing changes, so stale caches are never reused.
PREPROCESSING_VERSION = 1

_MARKUP = re.compile(r"</?span\b[^>]*>", flags=re.IGNORECASE)


def cache_dir() -> Path:
    """The user cache folder: ``$COLLECTIVE_CACHE``, else ``~/.cache/collective``.

    A :class:`DataError` says what to do if it is a file or cannot be written."""
    given = os.environ.get(CACHE_ENV_VAR)
    root = given or Path.home() / ".cache" / "collective"
    path = Path(root).expanduser()
    origin = f"${CACHE_ENV_VAR}" if given else "the default cache folder"
    fix = f"Point {CACHE_ENV_VAR} at a folder this user can write (e.g. export {CACHE_ENV_VAR}=$HOME/.cache/collective)."
    if path.exists() and not path.is_dir():
        raise DataError(f"The cache folder {str(path)!r} ({origin}) is a file, not a folder. {fix}")
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise DataError(
            f"The cache folder {str(path)!r} ({origin}) cannot be created ({err.strerror}). {fix}"
        ) from None
    if not os.access(path, os.W_OK | os.X_OK):
        raise DataError(
            f"The cache folder {str(path)!r} ({origin}) is not writable by this user. {fix}"
        )
    return path


@dataclass
class Corpus:
    """The preprocessed corpus and its train/test split.

    ``train`` and ``test`` are :class:`datasets.Dataset` objects with the columns ``id``
    (the file stem, e.g. ``"00042"``), ``text`` (preprocessed, single spaces between words)
    and ``labels`` (list of label names).
    """

    train: datasets.Dataset
    test: datasets.Dataset
    sha256: str
    source: str
    resumes_raw: int
    label_counts_raw: dict[str, int] = field(default_factory=dict)
    empty_labels: int = 0
    too_short: int = 0
    #: What the loader ignored or could not read cleanly (:data:`CHECK_NAMES`); ``None`` for a
    #: cache parsed before the checks existed (:func:`corpus_info` fills it in).
    checks: dict[str, int] | None = None
    cache_path: str | None = None

    def split(self, name: str) -> datasets.Dataset:
        if name not in ("train", "test"):
            raise ValueError(f"split must be 'train' or 'test', not {name!r}")
        return self.train if name == "train" else self.test

    def label_matrix(self, split: str) -> np.ndarray:
        """Labels of a split as an (n, 10) uint8 matrix, columns in :data:`LABELS` order."""
        return label_matrix(self.split(split)["labels"])


def label_matrix(label_lists: list[list[str]]) -> np.ndarray:
    """Multi-hot encoding of label lists in :data:`LABELS` order."""
    column = {name: j for j, name in enumerate(LABELS)}
    Y = np.zeros((len(label_lists), len(LABELS)), dtype=np.uint8)
    for i, names in enumerate(label_lists):
        for name in names:
            Y[i, column[name]] = 1
    return Y


# --------------------------------------------------------------------------- locating


def resolve_source(data: str | os.PathLike | None = None, *, progress: bool = True) -> Path:
    """The local zip or folder to read: ``data``, else ``$COLLECTIVE_RESUMES``, else a download."""
    given = data if data is not None else os.environ.get(ENV_VAR) or None
    if given is None:
        return download(UPSTREAM_URL, cache_dir() / "resumes_corpus.zip", progress=progress)
    path = Path(given).expanduser()
    origin = "--data" if data is not None else f"${ENV_VAR}"
    if not path.exists():
        raise DataError(
            f"The resume corpus was not found at {str(path)!r} (given by {origin}). Point "
            f"{origin} at resumes_corpus.zip or at the folder it extracts to, or unset "
            f"{ENV_VAR} to download it from {UPSTREAM_URL}."
        )
    if not os.access(path, os.R_OK):
        raise DataError(
            f"The resume corpus at {str(path)!r} (given by {origin}) is not readable by this "
            "user. Fix its permissions (e.g. chmod u+r) or copy it somewhere readable."
        )
    return path


def download(url: str, dest: Path, *, progress: bool = True, timeout: float = 60.0) -> Path:
    """Download the corpus from ``url`` to ``dest`` (atomically, with a progress bar)."""

    def explain(err: BaseException) -> DataError:
        return DataError(
            f"Could not download the resume corpus from {url} ({err}). Check your internet "
            f"connection, or download resumes_corpus.zip by hand from the GitHub repository "
            f"florex/resume_corpus and set {ENV_VAR}=/path/to/resumes_corpus.zip (or pass "
            "--data PATH)."
        )

    return io.download(url, dest, progress=progress, timeout=timeout, on_error=explain)


_SHA_MEMO: dict[tuple, str] = {}


def sha256_of(path: Path) -> str:
    """sha256 of a zip's bytes, or of a folder's sorted (relative path, content) pairs
    (remembered per process for an unchanged zip or folder)."""
    path = Path(path)
    st = path.stat()
    # A folder is hashed once per process (its own mtime does not see edits in subfolders).
    memo = (str(path.resolve()), st.st_size, st.st_mtime_ns, st.st_ino)
    if memo not in _SHA_MEMO:
        _SHA_MEMO[memo] = io.sha256_tree(path)
    return _SHA_MEMO[memo]


def corpus_sha256(data: str | os.PathLike | None = None) -> str | None:
    """The sha256 of the corpus a run would read (``data``, else ``$COLLECTIVE_RESUMES``, else
    a download already in the cache), without downloading or parsing; ``None`` if no corpus
    is here yet (a download would fetch the canonical one)."""
    if data is not None or os.environ.get(ENV_VAR):
        return sha256_of(resolve_source(data, progress=False))
    downloaded = cache_dir() / "resumes_corpus.zip"
    return sha256_of(downloaded) if downloaded.exists() else None


def clean_text(text: str) -> str:
    """Strip the job board's highlight markup and normalise whitespace."""
    return " ".join(_MARKUP.sub(" ", text).replace("\xa0", " ").split())


def preprocess(text: str, n_drop: int = N_DROP_WORDS) -> str:
    """Appendix C: clean the text and drop its first ``n_drop`` words (the job title)."""
    return " ".join(clean_text(text).split()[n_drop:])


def split_indices(
    n: int, n_train: int = N_TRAIN, seed: int = SPLIT_SEED
) -> tuple[np.ndarray, np.ndarray]:
    """A seeded permutation of ``range(n)`` cut into train and test (sorted) index arrays.

    Corpora with at most ``n_train`` resumes (test fixtures) keep the paper's proportion,
    25,000 / 29,783, for training.
    """
    if n < 2:
        raise DataError(f"The corpus has {n} usable resume(s); at least 2 are needed to split.")
    if n <= n_train:
        n_train = min(n - 1, max(1, round(n * N_TRAIN / 29_783)))
    order = np.random.default_rng(seed).permutation(n)
    return np.sort(order[:n_train]), np.sort(order[n_train:])


# --------------------------------------------------------------------------- loading


def _cache_path(sha256: str) -> Path:
    return cache_dir() / "corpus" / f"{sha256[:16]}-v{PREPROCESSING_VERSION}"


def load_corpus(data: str | os.PathLike | None = None, *, progress: bool = True) -> Corpus:
    """Load the preprocessed resume corpus, parsing and caching it on first use.

    Parameters
    ----------
    data
        A ``resumes_corpus.zip`` or its extracted folder. ``None``: ``$COLLECTIVE_RESUMES``,
        else download from :data:`UPSTREAM_URL` into :func:`cache_dir`.
    progress
        Show progress bars while downloading and parsing.
    """

    source = resolve_source(data, progress=progress)
    sha = sha256_of(source)
    cached = _cache_path(sha)
    if not (cached / "meta.json").exists():
        _build_cache(source, sha, cached, progress=progress)
    try:
        meta, train, test = _open_cache(cached)
    except Exception as err:  # noqa: BLE001 - any damage: rebuild from the corpus
        warnings.warn(
            f"the parsed corpus cache {cached} is damaged ({type(err).__name__}: {str(err)[:120]}); rebuilding it",
            stacklevel=2,
        )
        shutil.rmtree(cached, ignore_errors=True)
        _build_cache(source, sha, cached, progress=progress)
        meta, train, test = _open_cache(cached)
    return Corpus(
        train=train,
        test=test,
        sha256=sha,
        source=str(source),
        resumes_raw=meta["resumes_raw"],
        label_counts_raw=meta["label_counts_raw"],
        empty_labels=meta["empty_labels"],
        too_short=meta["too_short"],
        checks=meta.get("checks"),
        cache_path=str(cached),
    )


def _open_cache(cached: Path):
    import datasets

    meta = json.loads((cached / "meta.json").read_text())
    for name in ("resumes_raw", "label_counts_raw", "empty_labels", "too_short"):
        if name not in meta:
            raise ValueError(f"meta.json lacks {name!r}")
    with _quiet_datasets():
        train = datasets.load_from_disk(str(cached / "train"))
        test = datasets.load_from_disk(str(cached / "test"))
    return meta, train, test


def _build_cache(source: Path, sha: str, dest: Path, *, progress: bool) -> None:
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

    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(dir=dest.parent, prefix=dest.name + ".tmp"))
    try:
        with _quiet_datasets():
            table.select(train_idx).flatten_indices().save_to_disk(str(tmp / "train"))
            table.select(test_idx).flatten_indices().save_to_disk(str(tmp / "test"))
        meta = {
            "sha256": sha,
            "resumes_raw": len(raw),
            "label_counts_raw": {name: counts.get(name, 0) for name in LABELS},
            "empty_labels": empty_labels,
            "too_short": too_short,
            "preprocessing_version": PREPROCESSING_VERSION,
            "checks": checks,
        }
        (tmp / "meta.json").write_text(json.dumps(meta, indent=2))
        try:
            os.replace(tmp, dest)  # atomic: a reader sees the whole cache or none of it
        except OSError:  # another process won the race; its cache is as good as ours
            shutil.rmtree(tmp, ignore_errors=True)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


class _quiet_datasets:
    """Silence datasets' progress bars while (de)serialising the small cached tables."""

    def __enter__(self):
        import datasets

        self._was_enabled = datasets.utils.logging.is_progress_bar_enabled()
        datasets.utils.logging.disable_progress_bar()

    def __exit__(self, *exc):
        import datasets

        if self._was_enabled:
            datasets.utils.logging.enable_progress_bar()


# --------------------------------------------------------------------------- summary


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
