"""The interface of a collective's strategy: what it draws, how it relabels, how its success
is measured. The strategies of the paper are in :mod:`collective.strategies.planting`
(Strategies 1 and 2, Section 5) and :mod:`collective.strategies.erasure` (Section 3.2);
:data:`collective.strategies.STRATEGIES` registers them."""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np

from collective.errors import ConfigError
from collective.validation import check_alpha_run


def collective_size(alpha: float, n_train: int) -> int:
    """Number of resumes the collective controls: $\\lfloor \\alpha n \\rceil$ (rounded)."""
    return int(round(check_alpha_run(alpha) * n_train))


def draw_rng(seed: int) -> np.random.Generator:
    """The seeded generator of the collective's draw (and, after it, of the random labels)."""
    return np.random.default_rng([int(seed), 0xC011EC])


def labels() -> tuple[str, ...]:
    """The ten labels in :data:`collective.resumes.corpus.LABELS` order."""
    from collective.resumes.corpus import LABELS

    return tuple(LABELS)


def check_target(target: str) -> int:
    """The column of ``target`` in the label matrix; :class:`ConfigError` listing the ten
    labels if it is not one of them."""
    names = labels()
    if target not in names:
        raise ConfigError(f"unknown target {target!r}; choose one of: {', '.join(names)}")
    return names.index(target)


@dataclass(frozen=True)
class Strategy(ABC):
    """A collective: its strategy $h$ (the class), the target $y^*$, its size $\\alpha$ (a
    fraction of the whole training set) and the seed of its draw.

    Subclasses set the class attributes and implement :meth:`relabel` and
    :meth:`evaluate`; the draw (:meth:`members`) is shared."""

    target: str
    alpha: float
    seed: int

    #: Its registry name and its name in the paper (what it does: its registry help).
    name: ClassVar[str]
    paper_name: ClassVar[str]
    #: Whether its members' resumes carry the trigger (the planting strategies), and whether
    #: it needs a signal to erase (the erasure strategies, which use no target).
    plants_trigger: ClassVar[bool] = True
    needs_signal: ClassVar[bool] = False
    #: The theorem that bounds its success, and the problem parameter its bound reads besides
    #: the uniqueness $\xi$: ``"delta"`` ($\Delta$, Theorem 3.3) or ``"p"`` (the positivity
    #: constant, Theorem 3.5); the book's critical-mass tables read both.
    theorem: ClassVar[str]
    bound_parameter: ClassVar[str] = ""

    def trigger_tokens(self) -> tuple[int, ...]:
        """The token ids its members' resumes carry, planted together (the planting
        strategies say which)."""
        raise ConfigError(f"the {self.name} strategy plants no trigger")

    @property
    def title(self) -> str:
        """``"Strategy 2 (feature-only)"``: the paper's name and the registry's."""
        return f"{self.paper_name} ({self.name})"

    @property
    def k(self) -> int:
        """The target's column in the label matrix."""
        return check_target(self.target)

    def pool(self, Y: np.ndarray) -> np.ndarray:
        """The training rows the collective can be drawn among (all, unless overridden)."""
        return np.arange(len(Y))

    def check_size(self, Y: np.ndarray) -> None:
        """:class:`ConfigError` when $\\alpha n$ is more than :meth:`pool` holds."""
        self._check_pool(collective_size(self.alpha, len(Y)), len(self.pool(Y)), len(Y))

    def _check_pool(self, size: int, pool: int, n: int) -> None:
        if size > pool:
            raise ConfigError(
                f"alpha={self.alpha:g} asks for {size} resumes, but only {pool} training resumes "
                f"carry {self.target}: {self.title} draws its collective among them, so alpha "
                f"must be at most {pool / n:.4f} for this target"
            )

    def members(
        self, Y: np.ndarray, rng: np.random.Generator, taken: np.ndarray | None = None
    ) -> np.ndarray:
        """The collective: $\\lfloor \\alpha n \\rceil$ rows drawn from :meth:`pool` without
        replacement by ``rng`` (sorted int64), leaving out the rows ``taken`` (bool (n,): the
        members of collectives drawn before this one, so that memberships are disjoint)."""
        pool = self.pool(Y)
        if taken is not None:
            pool = pool[~np.asarray(taken, bool)[pool]]
        size = collective_size(self.alpha, len(Y))
        self._check_pool(size, len(pool), len(Y))
        return np.sort(rng.choice(pool, size=size, replace=False)).astype(np.int64)

    @classmethod
    def checked_signal(cls, signal: str | None) -> str | None:
        """The signal a run of this strategy erases: required (and known) when
        :attr:`needs_signal`, else none allowed."""
        if cls.needs_signal:
            from collective.resumes.signals import SIGNALS, check_signal

            if signal is None:
                raise ConfigError(
                    f"the {cls.name} strategy needs a signal to erase; choose one of: "
                    f"{', '.join(SIGNALS)}"
                )
            return check_signal(signal).name
        if signal is not None:
            raise ConfigError(
                f"signal={signal!r} is only used by the erasure strategies, not by {cls.name}"
            )
        return None

    @abstractmethod
    def relabel(
        self, X: Any, Y: np.ndarray, Y_firm: np.ndarray, members: np.ndarray
    ) -> dict[str, Any]:
        """Write the labels the collective reports into ``Y_firm`` (in place) for its
        ``members``; ``Y`` are the clean labels. Returns facts for the record (may be empty)."""

    def record_facts(self, facts: dict[str, Any], plan: Any) -> dict[str, Any]:
        """What a run's record says about this collective's plan, besides its size: the
        number of randomized labels (``facts``, from :meth:`relabel`, say nothing here)."""
        return {"n_randomized": int(len(plan.randomized))}

    @abstractmethod
    def evaluate(self, firm: Any, X_test: Any, Y_test: np.ndarray, *, spacing: int) -> dict:
        """The success metrics of this collective against the fitted ``firm``, and the
        firm's clean quality, on the test resumes."""
