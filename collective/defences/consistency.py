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
from collective.errors import ConfigError
from collective.strategies.plan import TrainingPlan
from collective.validation import check_fraction


def cross_fitted_nll(
    counts: Any, Y: np.ndarray, *, folds: int, seed: int, tol: float, C: float, min_df: int
) -> np.ndarray:
    """Each row's out-of-fold negative log-likelihood of its labels ``Y`` under the linear
    firm's model fitted on the other folds (``counts``: rows × tokens, as the firm sees them)."""
    from collective.firms.linear.firm import LinearFirm, tfidf

    Y = (np.asarray(Y) > 0).astype(np.float32)
    n = len(Y)
    rng = np.random.default_rng([int(seed), 0xC0FF])
    fold = rng.permutation(n) % folds
    nll = np.zeros(n)
    model = LinearFirm(C=C, min_df=min_df, tol=tol, warm_start=False, cache=False, threads=1)
    for f in range(folds):
        train, held = np.flatnonzero(fold != f), np.flatnonzero(fold == f)
        if not len(held):
            continue
        c_train = counts[train]
        columns, idf = model._vocabulary(c_train)
        W, b, _ = model._solve_newton(tfidf(c_train, columns, idf), Y[train], None, None, tol)
        Z = tfidf(counts[held], columns, idf) @ W + b
        S = 2.0 * Y[held] - 1.0
        nll[held] = np.logaddexp(0.0, -S * np.asarray(Z, dtype=np.float64)).sum(axis=1)
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
        for field, low in (("folds", 2), ("seed", 0)):
            value = getattr(self, field)
            if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < low:
                raise ConfigError(f"{field} must be an integer >= {low}, got {value!r}")
            setattr(self, field, int(value))
        if isinstance(self.tol, bool) or not isinstance(self.tol, (int, float)) or self.tol <= 0:
            raise ConfigError(f"tol must be a number > 0, got {self.tol!r}")
        self.tol = float(self.tol)
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
