"""A vocabulary filter: the firm ignores every token that occurs in fewer than ``m`` of its
training resumes, when it trains and when it predicts.

The signal of Strategies 1 and 2 is a token in no clean resume (uniqueness $\\xi = 1$,
Section 3); planted in fewer than ``m`` resumes, it is blocked and the firm never sees it, so
the critical mass is at least $m / n$ (more: a trigger in ``m`` resumes is seen, but weakly).
Counted as the firm sees the resumes: the trigger is planted inside the firm (from the plan's
``planted`` and the spacing), so the filter counts the planted token counts
(:func:`~collective.defences.base.seen_counts`), over the rows earlier defences kept.

It acts through the plan's ``blocked`` tokens, which every firm that can honours at fit and
predict time (the linear firm drops their columns; the transformer firm refuses). For the
linear firm, ``rare-tokens:m=M`` is the firm's own ``min_df=max(M, min_df)``: the firm's
document-frequency cut-off is the same filter, counted on the same planted resumes
(``tests/test_defences.py`` checks that the two fit the same model). As a defence it is a
stage of its own: any firm, its blocked tokens recorded.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np

from collective.defences.base import Defence, seen_counts
from collective.strategies.plan import TrainingPlan
from collective.validation import check_count


@dataclass
class RareTokens(Defence):
    """Block the tokens in fewer than ``m`` of the kept training resumes."""

    m: int = 10

    name: ClassVar[str] = "rare-tokens"

    def __post_init__(self) -> None:
        self.m = check_count("m", self.m, 1)
        self._blocked = np.zeros(0, np.int64)

    def fit(self, X: Any, plan: TrainingPlan) -> RareTokens:
        counts = seen_counts(X, plan)
        df = np.bincount(counts.indices, minlength=counts.shape[1])
        self._blocked = np.flatnonzero(df < self.m).astype(np.int64)
        return self

    def transform(self, X: Any, plan: TrainingPlan) -> TrainingPlan:
        return plan.block(self._blocked) if len(self._blocked) else plan
