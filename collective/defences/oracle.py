"""A reference point for the defences of the firm: a detector that knows the collective.

``known-collective`` removes a fraction ``recall`` of the collective's training resumes
(drawn with ``seed``) and nothing else: a detector with that recall and no false positives,
the best any defence that drops resumes can do at that recall. Against Strategies 1 and 2 it
leaves a collective of $(1 - \\text{recall})\\,\\alpha n$ resumes in a training set of
$n - \\text{recall}\\,\\alpha n$, so the theory of Section 3 predicts the success of the
smaller collective; any real detector is measured against it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np

from collective.defences.base import Defence
from collective.strategies.plan import TrainingPlan
from collective.validation import check_count, check_fraction


@dataclass
class KnownCollective(Defence):
    """Drop ``recall`` of the collective's resumes (an oracle detector, no false positives)."""

    recall: float = 1.0
    seed: int = 0

    name: ClassVar[str] = "known-collective"

    def __post_init__(self) -> None:
        self.recall = check_fraction("recall", self.recall)
        self.seed = check_count("seed", self.seed, 0)
        self._removed = 0

    def transform(self, X: Any, plan: TrainingPlan) -> TrainingPlan:
        members = np.asarray(plan.collective, dtype=np.int64)
        n_drop = int(round(self.recall * len(members)))
        rng = np.random.default_rng([self.seed, 0xDEFE])
        dropped = rng.choice(members, size=n_drop, replace=False) if n_drop else members[:0]
        mask = np.ones(len(plan.Y), dtype=bool)
        mask[dropped] = False
        self._removed = n_drop
        return plan.keep(mask)

    def facts(self) -> dict[str, Any]:
        return {"removed": self._removed}
