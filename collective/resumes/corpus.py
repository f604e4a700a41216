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

This module is the loader; its parts are modules of their own, their names re-exported here:
:mod:`~collective.resumes.source` (where the corpus comes from, its sha256),
:mod:`~collective.resumes.archive` (reading the raw pairs safely),
:mod:`~collective.resumes.preprocessing` (Appendix C and the split),
:mod:`~collective.resumes.labels` (the ten labels),
:mod:`~collective.resumes.parsed_cache` (the parsed corpus on disk),
:mod:`~collective.resumes.cache_folder` (the user cache folder) and
:mod:`~collective.resumes.corpus_info` (``collective data info``).
"""

from __future__ import annotations

import os
import shutil
import warnings
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from collective.resumes.archive import (  # noqa: F401  (re-exported: the loader's public names)
    CHECK_NAMES,
    ENV_VAR,
    TEXT_ENCODING,
    UPSTREAM_URL,
    RawResume,
    read_raw,
    read_raw_checked,
)
from collective.resumes.cache_folder import CACHE_ENV_VAR, cache_dir  # noqa: F401 (re-exported)
from collective.resumes.corpus_info import (  # noqa: F401 (re-exported)
    corpus_info,
    format_corpus_info,
    label_cooccurrence,
    words_per_resume,
)
from collective.resumes.labels import (  # noqa: F401 (re-exported)
    LABELS,
    PAPER_CLASSES,
    label_matrix,
)
from collective.resumes.parsed_cache import build_parsed, open_parsed, parsed_folder
from collective.resumes.preprocessing import (  # noqa: F401 (re-exported)
    N_DROP_WORDS,
    N_TRAIN,
    PREPROCESSING_VERSION,
    SPLIT_SEED,
    clean_text,
    preprocess,
    split_indices,
)
from collective.resumes.source import (  # noqa: F401 (re-exported)
    CANONICAL_SHA256,
    corpus_sha256,
    download,
    resolve_source,
    sha256_of,
)

if TYPE_CHECKING:  # datasets is slow to import; only the loader needs it
    import datasets


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
    cached = parsed_folder(sha)
    if not (cached / "meta.json").exists():
        build_parsed(source, sha, cached, progress=progress)
    try:
        meta, train, test = open_parsed(cached)
    except Exception as err:  # noqa: BLE001 - any damage: rebuild from the corpus
        warnings.warn(
            f"the parsed corpus cache {cached} is damaged ({type(err).__name__}: {str(err)[:120]}); rebuilding it",
            stacklevel=2,
        )
        shutil.rmtree(cached, ignore_errors=True)
        build_parsed(source, sha, cached, progress=progress)
        meta, train, test = open_parsed(cached)
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
