"""Test-time detection in the spirit of STRIP {cite}`gao2019strip`: an input whose
prediction stays the same however much of it is replaced is suspicious.

A trigger that the firm has learned dominates its prediction: replace half of a triggered
resume's words by words of other resumes and the firm still says $y^*$, confidently, while a
clean resume's prediction drifts towards the donors'. For each input, ``copies`` perturbed
copies replace each word, with probability ``replace``, by the word at the same position of a
random clean donor resume; the input's *entropy* is the mean over copies of
$\\sum_k H(p_k)$ (binary entropies of the ten label probabilities). Inputs below a threshold
are rejected; the threshold is the ``false_rejection`` quantile of the entropies of clean
held-out resumes.

Honest bookkeeping (all on the test split, which the firm never trained on): a seeded half
of the test resumes (at most ``n_resumes``) calibrates the threshold and serves as donors;
the other half (at most ``n_resumes``) measures the false rejections of clean resumes
(``false_rejection_test``) and, planted with the collective's trigger (those without
$y^*$), the detection rate (``detection``), the collective's top-1 success on them without
the detector (``success_top1_screened``) and with it, a rejected resume counting as a
failure (``success_top1_after``). The trigger is planted *before* perturbing, as a word of
its own (:func:`planted_split`), so a perturbation replaces triggers like any word. The
collective's trigger and target are used to plant the test resumes and score success, never
by the detector.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np

from collective.defences.base import Defence
from collective.errors import ConfigError
from collective.strategies.plan import TrainingPlan
from collective.validation import check_count, check_fraction


def _word_spans(X: Any, rows: np.ndarray) -> list[tuple[np.ndarray, np.ndarray]]:
    """For each of ``rows``: (start in ``X.token_ids``, number of tokens) of each word."""
    out = []
    for i in rows:
        lo, hi = X.word_offsets[i], X.word_offsets[i + 1]
        ntok = X.word_ntokens[lo:hi].astype(np.int64)
        starts = np.zeros(len(ntok), np.int64)
        np.cumsum(ntok[:-1], out=starts[1:])
        out.append((starts + X.token_offsets[i], ntok))
    return out


def _assemble(flat: np.ndarray, docs: list[tuple[np.ndarray, np.ndarray]], dtype: Any) -> Any:
    """A :class:`TokenizedSplit`'s four arrays from each document's word spans into ``flat``."""
    from collective.resumes.tokens import TokenizedSplit

    starts = [s for s, _ in docs]
    ntoks = [n for _, n in docs]
    n_words = np.array([len(n) for n in ntoks], np.int64)
    all_starts = np.concatenate(starts) if docs else np.zeros(0, np.int64)
    all_ntok = np.concatenate(ntoks) if docs else np.zeros(0, np.int64)
    total = int(all_ntok.sum())
    cum = np.zeros(len(all_ntok) + 1, np.int64)
    np.cumsum(all_ntok, out=cum[1:])
    positions = np.repeat(all_starts - cum[:-1], all_ntok) + np.arange(total, dtype=np.int64)
    word_offsets = np.zeros(len(docs) + 1, np.int64)
    np.cumsum(n_words, out=word_offsets[1:])
    token_offsets = cum[word_offsets]
    return TokenizedSplit(
        flat[positions].astype(dtype), token_offsets, all_ntok.astype(np.uint16), word_offsets
    )


def planted_split(
    X: Any, rows: np.ndarray, spacing: int, trigger: int | Sequence[int] | None
) -> Any:
    """The resumes ``rows`` of ``X`` with the trigger (``None``: none) as a word of its own
    after every ``spacing``-th word: the same token ids as the firms' planting
    (:meth:`~collective.resumes.tokens.TokenizedSplit.planted_ids`). A trigger of several
    tokens (a phrase) is one word of those tokens, so a perturbation replaces all or none."""
    tokens = [] if trigger is None else np.atleast_1d(np.asarray(trigger, np.int64)).tolist()
    flat = np.append(X.token_ids.astype(np.int64), tokens)
    at = len(flat) - len(tokens)
    docs = []
    for starts, ntok in _word_spans(X, np.asarray(rows, np.int64)):
        if tokens:
            k = len(ntok) // spacing
            where = np.arange(1, k + 1) * spacing
            starts = np.insert(starts, where, at)
            ntok = np.insert(ntok, where, len(tokens))
        docs.append((starts, ntok))
    return _assemble(flat, docs, np.int64)


def perturbed_split(
    X: Any, donors: Any, copies: int, replace: float, rng: np.random.Generator
) -> Any:
    """``copies`` perturbations of each resume of ``X`` (resume-major: copies of resume 0
    first): each word replaced with probability ``replace`` by the word at the same position
    (modulo its length) of a random resume of ``donors``."""
    flat = np.concatenate([X.token_ids.astype(np.int64), donors.token_ids.astype(np.int64)])
    shift = len(X.token_ids)
    own = _word_spans(X, np.arange(len(X)))
    theirs = [(s + shift, n) for s, n in _word_spans(donors, np.arange(len(donors))) if len(n)]
    if not theirs:
        raise ConfigError("the donors of a perturbation hold no words")
    docs = []
    for starts, ntok in own:
        for _ in range(copies):
            d_starts, d_ntok = theirs[int(rng.integers(len(theirs)))]
            swap = rng.random(len(ntok)) < replace
            pos = np.arange(len(ntok)) % len(d_ntok)
            docs.append((np.where(swap, d_starts[pos], starts), np.where(swap, d_ntok[pos], ntok)))
    return _assemble(flat, docs, np.int64)


def strip_entropy(P: np.ndarray, copies: int) -> np.ndarray:
    """Each input's mean over its ``copies`` rows of $\\sum_k H(p_k)$ (nats)."""
    P = np.clip(np.asarray(P, dtype=np.float64), 1e-12, 1 - 1e-12)
    H = -(P * np.log(P) + (1 - P) * np.log(1 - P)).sum(axis=1)
    return H.reshape(-1, copies).mean(axis=1)


@dataclass
class Strip(Defence):
    """Reject test inputs whose prediction is unusually stable under word replacement."""

    false_rejection: float = 0.01
    replace: float = 0.5
    copies: int = 8
    n_resumes: int = 500
    seed: int = 0

    name: ClassVar[str] = "strip"
    screens: ClassVar[bool] = True

    def __post_init__(self) -> None:
        self.false_rejection = check_fraction("false_rejection", self.false_rejection)
        self.replace = check_fraction("replace", self.replace)
        for field, low in (("copies", 1), ("n_resumes", 2), ("seed", 0)):
            setattr(self, field, check_count(field, getattr(self, field), low))

    def transform(self, X: Any, plan: TrainingPlan) -> TrainingPlan:
        return plan  # a test-time defence: training is untouched

    def _entropy(self, firm: Any, X: Any, donors: Any, rng: np.random.Generator) -> np.ndarray:
        Xp = perturbed_split(X, donors, self.copies, self.replace, rng)
        P = firm.predict_proba(Xp, planted=np.zeros(len(Xp), bool), spacing=1)
        return strip_entropy(P, self.copies)

    def screen(
        self,
        firm: Any,
        X_test: Any,
        Y_test: Any,
        *,
        trigger: int | Sequence[int],
        target: int,
        spacing: int,
    ) -> dict[str, Any]:
        rng = np.random.default_rng([self.seed, 0x57219])
        order = rng.permutation(len(X_test))
        half = len(order) // 2
        calib = np.sort(order[:half][: self.n_resumes])
        held = np.sort(order[half:][: self.n_resumes])
        donors = X_test.subset(calib)
        clean_calib = self._entropy(firm, planted_split(X_test, calib, spacing, None), donors, rng)
        threshold = float(np.quantile(clean_calib, self.false_rejection))
        clean_held = self._entropy(firm, planted_split(X_test, held, spacing, None), donors, rng)
        without = held[np.asarray(Y_test)[held, target] == 0]
        triggered = planted_split(X_test, without, spacing, trigger)
        H = self._entropy(firm, triggered, donors, rng)
        P = firm.predict_proba(triggered, planted=np.zeros(len(without), bool), spacing=spacing)
        hit = np.argmax(np.asarray(P), axis=1) == target
        flagged = H < threshold
        n = max(len(without), 1)
        return {
            "strip_threshold": threshold,
            "false_rejection_calibration": float(np.mean(clean_calib < threshold)),
            "false_rejection_test": float(np.mean(clean_held < threshold)),
            "detection": float(flagged.sum() / n),
            "success_top1_screened": float(hit.sum() / n),
            "success_top1_after": float((hit & ~flagged).sum() / n),
            "n_screened": int(len(without)),
        }
