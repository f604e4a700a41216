"""The collectives' strategies: one class per strategy, registered by name in
:data:`STRATEGIES`, and :func:`make_plan`, which turns one or several collectives into what
the firm receives (:class:`~collective.strategies.plan.TrainingPlan`).

To add a strategy: subclass :class:`~collective.strategies.base.Strategy` in a module of
this package (its :meth:`relabel` and :meth:`evaluate`, and :meth:`pool` if it draws among
some resumes only) and register it below; the runner, the command line and the grids find
it by name.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from collective.errors import ConfigError
from collective.registry import Registry
from collective.resumes.tokens import TRIGGER_TOKEN_ID
from collective.strategies.base import (
    Strategy,
    check_target,
    collective_size,
    draw_rng,
    labels,
)
from collective.strategies.plan import TrainingPlan
from collective.validation import check_fraction

#: The strategies, with the paper's names (the help is what ``--help`` and the book show).
STRATEGIES = Registry("strategy")
STRATEGIES.register(
    "feature-label",
    "collective.strategies.planting:FeatureLabel",
    help="Strategy 1 (feature–label: trigger and label set {target})",
)
STRATEGIES.register(
    "feature-only",
    "collective.strategies.planting:FeatureOnly",
    help="Strategy 2 (feature-only: trigger in resumes that carry the target)",
)
STRATEGIES.register(
    "erasure-oracle",
    "collective.strategies.erasure:ErasureOracle",
    help="Erasure (labels argmax P0(y | g(x)), P0 estimated on the whole training set)",
)
STRATEGIES.register(
    "erasure-pooled",
    "collective.strategies.erasure:ErasurePooled",
    help="Erasure (labels argmax P0(y | g(x)), P0 estimated on the collective's resumes)",
)


def strategy_class(name: str) -> type[Strategy]:
    """The class of the strategy ``name`` (:class:`ConfigError` for an unknown one)."""
    return STRATEGIES.load(name)


def make_strategy(name: str, *, target: str, alpha: float, seed: int, **extra: Any) -> Strategy:
    """A collective of strategy ``name`` (``extra``: what that strategy also takes, e.g. an
    erasure strategy's ``signal`` and ``make_estimator``)."""
    return STRATEGIES.create(name, target=target, alpha=alpha, seed=seed, **extra)


def check_random_labels(fraction: float) -> float:
    """The fraction of randomized labels must lie in $[0, 1]$."""
    return check_fraction("random_labels", fraction)


def make_plan(
    collectives: Sequence[Strategy], X: Any, Y: np.ndarray, *, random_labels: float = 0.0
) -> tuple[TrainingPlan, list[dict]]:
    """The training set as the firm receives it from ``collectives`` (in order, memberships
    disjoint: each is drawn, with its own seeded generator, among the resumes no earlier one
    took), and the facts each collective reports.

    Optionally a fraction ``random_labels`` of the training resumes gets a label set drawn
    uniformly at random (the paper's Figure 4: it raises the positivity constant $p$ of
    Theorem 3.5). Those resumes are drawn by the first collective's generator after its
    draw, among the resumes no collective took: a collective controls its own data.
    """
    if not collectives:
        raise ConfigError("a training plan needs at least one collective")
    random_labels = check_random_labels(random_labels)
    Y = np.asarray(Y)
    if Y.ndim != 2 or Y.shape[1] != len(labels()):
        raise ConfigError(f"Y must be an (n, {len(labels())}) label matrix, got shape {Y.shape}")
    n = Y.shape[0]
    Y_firm = Y.astype(np.uint8, copy=True)
    planted = np.zeros(n, dtype=bool)
    taken = np.zeros(n, dtype=bool)
    members, facts = [], []
    width = max((len(c.trigger_tokens()) for c in collectives if c.plants_trigger), default=1)
    triggers = np.zeros((n, width), dtype=np.int64)  # each row's trigger tokens, 0-padded
    rngs = [draw_rng(c.seed) for c in collectives]
    for collective, rng in zip(collectives, rngs, strict=True):
        drawn = collective.members(Y, rng, taken)
        facts.append(collective.relabel(X, Y, Y_firm, drawn))
        taken[drawn] = True
        if collective.plants_trigger:
            planted[drawn] = True
            tokens = collective.trigger_tokens()
            triggers[np.ix_(drawn, np.arange(len(tokens)))] = tokens
        members.append(drawn)
    randomized = np.zeros(0, dtype=np.int64)
    if random_labels > 0:
        others = np.flatnonzero(~taken)
        n_random = min(int(round(random_labels * n)), len(others))
        randomized = np.sort(rngs[0].choice(others, size=n_random, replace=False)).astype(np.int64)
        # Each label on with probability 1/2: a uniformly random label set, so that
        # P(y* | x) >= random_labels / 2 everywhere (Theorem 3.5's positivity constant).
        Y_firm[randomized] = rngs[0].integers(0, 2, size=(n_random, Y.shape[1]), dtype=np.uint8)
    everyone = np.sort(np.concatenate(members)).astype(np.int64)
    # None: every planted row carries the paper's trigger alone (a mask says it all); one
    # column when every trigger is one token, as plans were before phrases.
    paper = np.zeros(width, np.int64)
    paper[0] = TRIGGER_TOKEN_ID
    own_triggers = (
        (triggers[:, 0] if width == 1 else triggers) if (triggers[planted] != paper).any() else None
    )
    plan = TrainingPlan(
        planted=planted,
        Y=Y_firm,
        collective=everyone,
        randomized=randomized,
        triggers=own_triggers,
    )
    return plan, facts


__all__ = [
    "STRATEGIES",
    "Strategy",
    "TrainingPlan",
    "check_random_labels",
    "check_target",
    "collective_size",
    "labels",
    "make_plan",
    "make_strategy",
    "strategy_class",
]
