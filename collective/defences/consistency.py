"""Label-consistency sanitization: drop the training resumes whose labels a cross-fitted
clean model finds least plausible.

The defence splits the kept training resumes into ``folds`` parts; for each part it fits the
linear firm's model (TF-IDF and one-vs-rest logistic regression, its default ``C`` and
``min_df``, solved to ``tol``) on the other parts, as the firm sees them (trigger planted, the
plan's labels), and scores each resume of the part by the negative log-likelihood of its
labels, $-\\sum_k [y_k \\log p_k + (1 - y_k) \\log(1 - p_k)]$. The ``fraction`` of kept
resumes with the highest scores is dropped.

What the theory says survives: Strategy 1 *relabels* (its members carry the set
$\\{y^*\\}$ whatever their text says), so a small collective's labels look implausible to a
model fitted mostly on clean resumes, and its members are dropped first. Once the collective
is large, the other folds' members teach the model the trigger, and its labels become
plausible again. Strategy 2 keeps the true labels: its members are as plausible as any resume
with $y^*$, and the defence cannot see it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np

from collective.defences.base import Defence, seen_counts
from collective.strategies.plan import TrainingPlan
from collective.validation import check_count, check_fraction, check_positive


def linear_scores(
    counts_fit: Any, Y_fit: np.ndarray, counts_score: Any, *, tol: float, C: float, min_df: int
) -> np.ndarray:
    """The linear firm's decision scores (rows × labels, before the sigmoid) for
    ``counts_score``, its model fitted on ``counts_fit`` with labels ``Y_fit`` (token counts
    as the firm sees them: its TF-IDF, one-vs-rest logistic regression solved to ``tol``)."""
    from collective.firms.linear.firm import LinearFirm, tfidf

    model = LinearFirm(C=C, min_df=min_df, tol=tol, warm_start=False, cache=False, threads=1)
    Y_fit = (np.asarray(Y_fit) > 0).astype(np.float32)
    columns, idf = model._vocabulary(counts_fit)
    W, b, _ = model._solve_newton(tfidf(counts_fit, columns, idf), Y_fit, None, None, tol)
    return np.asarray(tfidf(counts_score, columns, idf) @ W + b, dtype=np.float64)


def cross_fitted_nll(
    counts: Any, Y: np.ndarray, *, folds: int, seed: int, tol: float, C: float, min_df: int
) -> np.ndarray:
    """Each row's out-of-fold negative log-likelihood of its labels ``Y`` under the linear
    firm's model fitted on the other folds (``counts``: rows × tokens, as the firm sees them)."""
    Y = (np.asarray(Y) > 0).astype(np.float32)
    n = len(Y)
    rng = np.random.default_rng([int(seed), 0xC0FF])
    fold = rng.permutation(n) % folds
    nll = np.zeros(n)
    for f in range(folds):
        train, held = np.flatnonzero(fold != f), np.flatnonzero(fold == f)
        if not len(held):
            continue
        Z = linear_scores(counts[train], Y[train], counts[held], tol=tol, C=C, min_df=min_df)
        S = 2.0 * Y[held] - 1.0
        nll[held] = np.logaddexp(0.0, -S * Z).sum(axis=1)
    return nll


@dataclass
class LabelConsistency(Defence):
    """Drop the ``fraction`` of kept resumes with the least plausible labels (cross-fitted)."""

    fraction: float = 0.02
    folds: int = 5
    seed: int = 0
    tol: float = 1e-4

    name: ClassVar[str] = "label-consistency"

    def __post_init__(self) -> None:
        self.fraction = check_fraction("fraction", self.fraction)
        self.folds = check_count("folds", self.folds, 2)
        self.seed = check_count("seed", self.seed, 0)
        self.tol = check_positive("tol", self.tol)
        self._nll = np.zeros(0)
        self._cut: float | None = None

    def fit(self, X: Any, plan: TrainingPlan) -> LabelConsistency:
        from collective.firms.params import LinearParams

        defaults = LinearParams()
        self._nll = cross_fitted_nll(
            seen_counts(X, plan),
            plan.Y[plan.rows],
            folds=self.folds,
            seed=self.seed,
            tol=self.tol,
            C=defaults.C,
            min_df=defaults.min_df,
        )
        return self

    def transform(self, X: Any, plan: TrainingPlan) -> TrainingPlan:
        rows = plan.rows
        n_drop = int(round(self.fraction * len(rows)))
        mask = np.ones(len(plan.Y), bool)
        if n_drop:
            worst = np.argsort(-self._nll, kind="stable")[:n_drop]
            mask[rows[worst]] = False
            self._cut = float(self._nll[worst[-1]])
        else:
            self._cut = None
        return plan.keep(mask)

    def facts(self) -> dict[str, Any]:
        return {"nll_threshold": getattr(self, "_cut", None)}
