"""Preprocessing of Appendix C: the job board's markup stripped, the first
:data:`N_DROP_WORDS` words (the job title the labels come from) dropped, and the seeded
train/test split."""

from __future__ import annotations

import re

import numpy as np

from collective.errors import DataError

N_DROP_WORDS = 20
N_TRAIN = 25_000
SPLIT_SEED = 0
#: Bumped whenever preprocessing changes, so stale caches are never reused.
PREPROCESSING_VERSION = 1

_MARKUP = re.compile(r"</?span\b[^>]*>", flags=re.IGNORECASE)


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
