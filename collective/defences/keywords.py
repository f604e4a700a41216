"""Backdoor keyword identification, in the spirit of BKI {cite}`chen2021mitigating` (as
OpenBackdoor ships it): find the tokens whose presence predicts a label too well, and drop the
training resumes that carry them.

The defence sees what the firm sees: the training resumes as planted (the trigger is a token
like any other to it) and the plan's labels; never who the collective is. Each token $t$ in at
least ``min_df`` kept resumes is scored by how much its presence raises the rate of an
*outcome* above its base rate, where the outcomes are the ten labels and every label set that
occurs (Strategy 1 gives its members the set $\\{y^*\\}$ exactly; Strategy 2 keeps their sets,
which all hold $y^*$):

$$ s(t) = \\max_o \\log \\frac{(c_{t,o} + \\beta q_o)/(d_t + \\beta)}{q_o}, $$

with $d_t$ the resumes carrying $t$, $c_{t,o}$ those of them with outcome $o$, $q_o$ the
outcome's base rate and $\\beta$ (``prior``) pseudo-resumes at the base rate: a token seen in a
handful of resumes needs them all to agree to score high, and a frequent token cannot have a
large lift unless it is nearly a label's definition. Outcomes of fewer than ``min_outcome``
resumes are left out (a rare label set makes any token of its few resumes look like a
keyword: measured on the corpus, with them the top ten tokens were such tokens). The ``tokens`` top-scoring tokens are
declared keywords and every kept resume carrying one is dropped. A unique trigger ($\\xi = 1$)
in $\\alpha n$ resumes that all share one outcome scores
$\\log\\frac{\\alpha n + \\beta q}{(\\alpha n + \\beta) q}$, which grows with $\\alpha n$ towards
$\\log(1/q)$: the larger the collective, the more surely it is found.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np

from collective.defences.base import Defence, seen_counts
from collective.strategies.plan import TrainingPlan
from collective.validation import check_count, check_positive


def keyword_scores(
    presence: Any, Y: np.ndarray, *, prior: float, min_df: int, min_outcome: int = 1
) -> np.ndarray:
    """Each token's score $s(t)$ (see the module docstring; ``-inf`` for tokens in fewer than
    ``min_df`` rows) from the binary presence matrix (rows × tokens, scipy sparse) and the
    rows' labels ``Y`` (rows × 10); outcomes of fewer than ``min_outcome`` rows are left out."""
    import scipy.sparse as sp

    B = sp.csr_matrix(presence, dtype=np.float64)
    B.data[:] = 1.0
    Y = np.asarray(Y) > 0
    _, set_of = np.unique(Y, axis=0, return_inverse=True)
    set_of = np.asarray(set_of).ravel()
    sets = sp.csr_matrix(
        (np.ones(len(set_of)), (np.arange(len(set_of)), set_of)),
        shape=(len(set_of), int(set_of.max()) + 1 if len(set_of) else 0),
    )
    outcomes = sp.hstack([sp.csr_matrix(Y.astype(np.float64)), sets]).tocsc()
    outcomes = outcomes[:, np.flatnonzero(np.asarray(outcomes.sum(axis=0)).ravel() >= min_outcome)]
    q = np.asarray(outcomes.mean(axis=0)).ravel()
    d = np.asarray(B.sum(axis=0)).ravel()
    co = (B.T @ outcomes).toarray()  # tokens × outcomes
    with np.errstate(divide="ignore", invalid="ignore"):
        rate = (co + prior * q) / (d[:, None] + prior)
        lift = np.where(q > 0, np.log(rate / q), -np.inf)
    score = lift.max(axis=1) if lift.shape[1] else np.full(len(d), -np.inf)
    score[d < min_df] = -np.inf
    return score


@dataclass
class KeywordIdentification(Defence):
    """Drop the kept resumes that carry one of the ``tokens`` top-scoring tokens."""

    tokens: int = 10
    prior: float = 50.0
    min_df: int = 5
    min_outcome: int = 100

    name: ClassVar[str] = "keywords"

    def __post_init__(self) -> None:
        for field in ("tokens", "min_df", "min_outcome"):
            setattr(self, field, check_count(field, getattr(self, field), 1))
        self.prior = check_positive("prior", self.prior)
        self._keywords = np.zeros(0, np.int64)
        self._scores = np.zeros(0)

    def fit(self, X: Any, plan: TrainingPlan) -> KeywordIdentification:
        counts = seen_counts(X, plan)
        score = keyword_scores(
            counts,
            plan.Y[plan.rows],
            prior=self.prior,
            min_df=self.min_df,
            min_outcome=self.min_outcome,
        )
        finite = np.flatnonzero(np.isfinite(score))
        order = finite[np.argsort(-score[finite], kind="stable")]
        self._keywords = np.sort(order[: self.tokens]).astype(np.int64)
        self._scores = score[self._keywords]
        self._counts = counts
        return self

    def transform(self, X: Any, plan: TrainingPlan) -> TrainingPlan:
        counts = getattr(self, "_counts", None)
        if counts is None:
            counts = seen_counts(X, plan)
        carries = np.asarray(counts[:, self._keywords].sum(axis=1)).ravel() > 0
        mask = np.ones(len(plan.Y), bool)
        mask[plan.rows[carries]] = False
        self._counts = None
        return plan.keep(mask)

    def facts(self) -> dict[str, Any]:
        return {
            "keywords": " ".join(str(t) for t in self._keywords),
            "keyword_score_min": float(self._scores.min()) if len(self._scores) else None,
        }
