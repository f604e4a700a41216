"""The interface of a firm's defence: a stage between the collectives' training plan and
the firm (plan → plan), fitted on the training data the firm sees.

A defence sees what the firm would see (the resumes as planted and the plan's labels) and
returns the plan it lets through, e.g. with rows dropped (:meth:`TrainingPlan.keep`). It
never reads who the collective is unless it says so in its name (an oracle, a reference
point for the others). Its facts (what it removed) go into the run's record."""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import Any, ClassVar

from collective.strategies.plan import TrainingPlan


@dataclass
class Defence(ABC):
    """One stage of the firm's defence; its parameters are the dataclass's fields."""

    #: Its registry name.
    name: ClassVar[str]

    def fit(self, X: Any, plan: TrainingPlan) -> Defence:
        """Learn what the defence needs from the training data the firm sees (nothing, by
        default); returns itself."""
        return self

    @abstractmethod
    def transform(self, X: Any, plan: TrainingPlan) -> TrainingPlan:
        """The plan this defence lets through to the firm."""

    def fit_transform(self, X: Any, plan: TrainingPlan) -> TrainingPlan:
        return self.fit(X, plan).transform(X, plan)

    def facts(self) -> dict[str, Any]:
        """What the last :meth:`transform` did, for the record (none by default)."""
        return {}
