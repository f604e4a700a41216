"""The planting strategies of Section 5 of {cite}`hardt2023algorithmic`: the collective's
resumes carry the trigger (token 1240 every ``spacing`` words).

* **Strategy 1, feature–label** (the paper's strategy (1), $h(x, y) = (g(x), y^*)$): a random
  $\\alpha$-fraction of the training resumes gets the trigger and the label set $\\{y^*\\}$.
* **Strategy 2, feature-only** (strategy (3)): the collective is drawn among training resumes
  that already carry the target label; they get the trigger, labels untouched. $\\alpha$ is
  still a fraction of the *whole* training set, so it cannot exceed the target's frequency.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np

from collective.resumes.tokens import TRIGGER_TOKEN_ID, canonical_trigger, trigger_tokens
from collective.strategies.base import Strategy


@dataclass(frozen=True)
class Planting(Strategy):
    """A planting strategy: its members' resumes carry its ``trigger`` (a WordPiece token
    id, the paper's 1240 by default, or several planted together as a phrase, ``"a+b"``:
    :func:`collective.resumes.tokens.canonical_trigger`), and success is measured with the
    trigger in every test resume."""

    trigger: int | str = TRIGGER_TOKEN_ID

    def __post_init__(self) -> None:
        object.__setattr__(self, "trigger", canonical_trigger(self.trigger))

    def trigger_tokens(self) -> tuple[int, ...]:
        return trigger_tokens(self.trigger)

    def evaluate(self, firm: Any, X_test: Any, Y_test: np.ndarray, *, spacing: int) -> dict:
        from collective.resumes.evaluation import evaluate

        return evaluate(
            firm, X_test, Y_test, target=self.target, spacing=spacing, trigger=self.trigger
        )


@dataclass(frozen=True)
class FeatureLabel(Planting):
    """Strategy 1: trigger and the label set $\\{y^*\\}$ (Theorem 3.3)."""

    name: ClassVar[str] = "feature-label"
    paper_name: ClassVar[str] = "Strategy 1"
    theorem: ClassVar[str] = "3.3"
    bound_parameter: ClassVar[str] = "delta"

    def relabel(self, X, Y, Y_firm, members) -> dict[str, Any]:
        Y_firm[members] = 0
        Y_firm[members, self.k] = 1
        return {}


@dataclass(frozen=True)
class FeatureOnly(Planting):
    """Strategy 2: the trigger in resumes that already carry the target (Theorem 3.5)."""

    name: ClassVar[str] = "feature-only"
    paper_name: ClassVar[str] = "Strategy 2"
    theorem: ClassVar[str] = "3.5"
    bound_parameter: ClassVar[str] = "p"

    def pool(self, Y: np.ndarray) -> np.ndarray:
        return np.flatnonzero(np.asarray(Y)[:, self.k] > 0)

    def relabel(self, X, Y, Y_firm, members) -> dict[str, Any]:
        return {}  # the labels already hold the target
