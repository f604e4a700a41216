"""Signals to erase from a resume: the summary map $g(x)$ of Section 3.2 of
{cite}`hardt2023algorithmic` on the tokenized corpus.

A *signal* is a small set of WordPiece token ids; $g(x)$ deletes every occurrence of them
from the resume's token sequence (:func:`erase`). Deleting tokens is exact on the stored
tokenization (no re-tokenizing) and idempotent, $g(g(x)) = g(x)$: after the first pass no
signal token is left to delete (``tests/test_erasure.py`` checks both). A resume *carries* the
signal when it holds at least one of the tokens (:func:`carriers`); elsewhere $g(x) = x$.

:data:`SIGNALS` lists the signals the book uses, by name, with the words they come from
(each word is a single token of the bert-base-uncased vocabulary; ``tests/test_erasure.py``
checks the ids against the tokenizer). :func:`signal_table` measures candidates on the
corpus with the clean firm: frequency, the sensitivity $\\tau$ of the labels and $S(0)$.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from collective.errors import ConfigError
from collective.resumes.tokens import TokenizedSplit

if TYPE_CHECKING:
    import pandas as pd


@dataclass(frozen=True)
class Signal:
    """A signal: its name, the words it stands for and their WordPiece ids."""

    name: str
    words: tuple[str, ...]
    token_ids: tuple[int, ...]
    description: str


#: The signals of the erasure experiment (the chapter *Erasing a signal in resumes* shows why
#: these two: weak and strong sensitivity of the labels). Ids: bert-base-uncased.
SIGNALS: dict[str, Signal] = {
    "pronouns": Signal(
        "pronouns",
        ("he", "him", "his", "she", "her", "hers"),
        (2002, 2032, 2010, 2016, 2014, 5106),
        "gendered third-person pronouns (a demographic signal)",
    ),
    "network": Signal("network", ("network",), (2897,), "the skill word 'network'"),
}

#: Candidate words measured in the chapter before choosing (each a single token).
CANDIDATE_WORDS: tuple[str, ...] = (
    "he",
    "she",
    "his",
    "her",
    "india",
    "texas",
    "california",
    "york",
    "university",
    "bachelor",
    "master",
    "java",
    "python",
    "sql",
    "oracle",
    "cisco",
    "linux",
    "html",
    "security",
    "network",
    "project",
    "windows",
    "agile",
    "team",
)


def check_signal(name: str) -> Signal:
    """The signal called ``name``; :class:`ConfigError` listing the known ones otherwise."""
    if name not in SIGNALS:
        raise ConfigError(f"unknown signal {name!r}; choose one of: {', '.join(SIGNALS)}")
    return SIGNALS[name]


def _ids(token_ids: Iterable[int]) -> np.ndarray:
    ids = np.unique(np.asarray(list(token_ids), dtype=np.int64))
    if len(ids) == 0:
        raise ConfigError("a signal needs at least one token id")
    if ids.min() < 0 or ids.max() >= 2**16:
        raise ConfigError(f"token ids must lie in [0, 65535], got {ids.min()}..{ids.max()}")
    return ids


def token_mask(split: TokenizedSplit, token_ids: Iterable[int]) -> np.ndarray:
    """Boolean mask over ``split.token_ids``: which tokens belong to the signal."""
    return np.isin(split.token_ids, _ids(token_ids))


def carriers(split: TokenizedSplit, token_ids: Iterable[int]) -> np.ndarray:
    """Per resume: does it carry the signal (at least one of ``token_ids``)?"""
    mask = token_mask(split, token_ids)
    doc = np.repeat(np.arange(len(split)), split.n_tokens)
    return np.bincount(doc[mask], minlength=len(split)) > 0


def erase(split: TokenizedSplit, token_ids: Iterable[int]) -> TokenizedSplit:
    """$g(x)$ for every resume of ``split``: the split with every token in ``token_ids`` deleted.

    Word boundaries are kept: a word loses the deleted tokens (a word made only of signal
    tokens keeps its place with zero tokens, as a word the normalizer deletes), so the word
    count, and with it the trigger positions of :meth:`TokenizedSplit.planted_ids`, are
    unchanged. Idempotent: ``erase(erase(s, t), t)`` equals ``erase(s, t)``.
    """
    drop = token_mask(split, token_ids)
    keep = ~drop
    n = len(split)
    doc = np.repeat(np.arange(n), split.n_tokens)
    kept_per_doc = np.bincount(doc[keep], minlength=n)
    token_offsets = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(kept_per_doc, out=token_offsets[1:])
    word_ntokens = split.word_ntokens.astype(np.int64)
    if int(word_ntokens.sum()) != len(split.token_ids):
        raise ConfigError("the split's word token counts do not add up to its tokens")
    word_of_token = np.repeat(np.arange(len(word_ntokens)), word_ntokens)
    removed = np.bincount(word_of_token[drop], minlength=len(word_ntokens))
    return TokenizedSplit(
        split.token_ids[keep].copy(),
        token_offsets,
        (word_ntokens - removed).astype(split.word_ntokens.dtype),
        split.word_offsets.copy(),
    )


def same_split(a: TokenizedSplit, b: TokenizedSplit) -> bool:
    """Are two splits equal (every token id, offset and word length)?"""
    return all(
        np.array_equal(getattr(a, f), getattr(b, f))
        for f in ("token_ids", "token_offsets", "word_ntokens", "word_offsets")
    )


def word_token_ids(words: Iterable[str], tokenizer=None) -> dict[str, list[int]]:
    """The WordPiece ids of each word (lower-cased by the tokenizer's normalizer)."""
    from collective.resumes.tokens import default_tokenizer

    tokenizer = tokenizer if tokenizer is not None else default_tokenizer()
    return {w: list(tokenizer(w, add_special_tokens=False)["input_ids"]) for w in words}


# -- measuring signals on the corpus ------------------------------------------------------


def label_sets_equal(P: np.ndarray, Q: np.ndarray, threshold: float = 0.5) -> np.ndarray:
    """Per row: is the predicted label set (probabilities above ``threshold``) the same?"""
    return ((np.asarray(P) > threshold) == (np.asarray(Q) > threshold)).all(axis=1)


def tau_per_resume(P_x: np.ndarray, P_gx: np.ndarray) -> np.ndarray:
    """$\\tau(x)$ per resume and label, $|P_0(y_k = 1 \\mid x) - P_0(y_k = 1 \\mid g(x))|$,
    shape (n, 10). For a binary label the max over $y \\in \\{0, 1\\}$ in Theorem 3.7's
    $\\tau$ is this absolute difference."""
    P_x, P_gx = np.asarray(P_x, dtype=float), np.asarray(P_gx, dtype=float)
    if P_x.shape != P_gx.shape:
        raise ConfigError(f"probabilities {P_x.shape} and {P_gx.shape} differ in shape")
    return np.abs(P_x - P_gx)


def tau_per_resume_top1(P_x: np.ndarray, P_gx: np.ndarray) -> np.ndarray:
    """$\\tau(x)$ in the top-1 reading, $\\max_y |q_y(x) - q_y(g(x))|$ with the multi-class
    label distribution $q \\propto$ the ten per-label probabilities (as for $\\Delta$ in
    :mod:`collective.resumes.estimates`)."""
    P_x, P_gx = np.asarray(P_x, dtype=float), np.asarray(P_gx, dtype=float)
    q_x = P_x / P_x.sum(axis=1, keepdims=True)
    q_gx = P_gx / P_gx.sum(axis=1, keepdims=True)
    return np.abs(q_x - q_gx).max(axis=1)


def tau_estimate(
    P_x: np.ndarray,
    P_gx: np.ndarray,
    mask: np.ndarray | None = None,
    n_boot: int = 1000,
    seed: int = 0,
    level: float = 0.95,
    reading: str = "in_set",
) -> dict[str, object]:
    """Theorem 3.7's sensitivity $\\tau$ from a calibrated model's probabilities at $x$ and at
    $g(x)$, over the rows ``mask`` (default all), with a bootstrap interval over resumes.

    ``tau_label``: per label, $\\mathbb{E}|P_0(y_k \\mid x) - P_0(y_k \\mid g(x))|$ (Theorem 3.7
    for the binary problem of label $k$, which a one-vs-rest firm solves). ``tau``: their sum,
    the sensitivity that bounds the whole label set by a union bound,
    $\\Pr[f(x) \\ne f(g(x))] \\le \\sum_k \\Pr[f_k(x) \\ne f_k(g(x))]$. With
    ``reading="top1"``, ``tau`` is the mean of :func:`tau_per_resume_top1` instead.
    The interval resamples the resumes (not the model).
    """
    if reading not in ("in_set", "top1"):
        raise ConfigError(f"reading must be 'in_set' or 'top1', got {reading!r}")
    T = tau_per_resume(P_x, P_gx)
    top1 = tau_per_resume_top1(P_x, P_gx)
    if mask is not None:
        T, top1 = T[np.asarray(mask, dtype=bool)], top1[np.asarray(mask, dtype=bool)]
    if len(T) == 0:
        raise ConfigError("no resumes to estimate tau on")
    per = T.sum(axis=1) if reading == "in_set" else top1
    rng = np.random.default_rng(seed)
    boots = np.array([per[rng.integers(0, len(per), len(per))].mean() for _ in range(n_boot)])
    lo, hi = np.quantile(boots, [(1 - level) / 2, (1 + level) / 2])
    return {
        "tau": float(per.mean()),
        "tau_low": float(lo),
        "tau_high": float(hi),
        "tau_label": T.mean(axis=0),
        "n": int(len(T)),
    }


def signal_table(
    clean_firm,
    train: TokenizedSplit,
    test: TokenizedSplit,
    signals: Mapping[str, Iterable[int]],
) -> pd.DataFrame:
    """One row per candidate signal, measured with ``clean_firm`` (a fitted firm, e.g. the
    converged linear firm on the clean training set, which is also the calibrated model of
    $P_0$): the share of training and test resumes that carry it, $\\tau$ over all test
    resumes and over the carriers, and $S(0)$ (the share of test resumes whose predicted
    label set does not change when the signal is erased) over all and over the carriers.
    Aggregate numbers only."""
    import pandas as pd

    n = len(test)
    none = np.zeros(n, dtype=bool)
    P_x = np.asarray(clean_firm.predict_proba(test, planted=none, spacing=20))
    rows = []
    for name, ids in signals.items():
        ids = list(ids)
        carry = carriers(test, ids)
        P_gx = np.asarray(clean_firm.predict_proba(erase(test, ids), planted=none, spacing=20))
        same = label_sets_equal(P_x, P_gx)
        T = tau_per_resume(P_x, P_gx).sum(axis=1)
        rows.append(
            {
                "signal": name,
                "tokens": len(ids),
                "train share": float(carriers(train, ids).mean()),
                "test share": float(carry.mean()),
                "tau": float(T.mean()),
                "tau (carriers)": float(T[carry].mean()) if carry.any() else float("nan"),
                "S(0)": float(same.mean()),
                "S(0) (carriers)": float(same[carry].mean()) if carry.any() else float("nan"),
            }
        )
    return pd.DataFrame(rows)
