"""The interface of a firm's defence: a stage between the collectives' training plan and
the firm (plan → plan), fitted on the training data the firm sees.

A defence sees what the firm would see (the resumes as planted and the plan's labels) and
returns the plan it lets through, e.g. with rows dropped (:meth:`TrainingPlan.keep`). It
never reads who the collective is unless it says so in its name (an oracle, a reference
point for the others). Its facts (what it removed) go into the run's record; how many of the
removed rows were the collective's is counted by :func:`collective.defences.apply_defences`
afterwards, for the record only.

A defence may also act at test time (:attr:`Defence.screens`): after the firm is fitted,
:meth:`Defence.screen` sees the firm and held-out resumes and returns extra metrics (e.g.
how many triggered test resumes it rejects)."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
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

    #: Whether the defence also acts at test time (:meth:`screen`).
    screens: ClassVar[bool] = False

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
        """A test-time defence's metrics against the fitted ``firm`` on the test resumes
        (``trigger``: the collective's token id, ``target``: its label's column; used only
        to plant the trigger in test resumes and to score success, never to decide)."""
        return {}


def seen_counts(X: Any, plan: TrainingPlan) -> Any:
    """The token counts of the plan's kept training resumes as the firm sees them (the
    trigger planted in the planted rows every ``plan.spacing`` words), rows in
    ``plan.rows`` order: a scipy CSR matrix (n_kept, vocabulary)."""
    from collective.errors import ConfigError
    from collective.firms.linear.firm import planted_counts

    if X is None or plan.spacing is None:
        raise ConfigError("this defence reads the resumes: it needs them and the trigger spacing")
    counts = planted_counts(X, plan.firm_planted, plan.spacing)
    return counts if plan.kept is None else counts[plan.rows]
