"""The collectives' strategies by name, as functions (the objects are in
:mod:`collective.strategies`; this module keeps the function interface of the earlier
layout for code and notebooks that call it).

:func:`apply_strategy` is one planting collective (Strategies 1 and 2, Section 5 of
{cite}`hardt2023algorithmic`) through :func:`collective.strategies.make_plan`;
:func:`apply_erasure` one erasure collective (Section 3.2), given its model of $P_0$.
"""

from __future__ import annotations

import numpy as np

from collective.errors import ConfigError
from collective.strategies import (
    STRATEGIES,
    TrainingPlan,
    check_random_labels,
    check_target,
    collective_size,
    labels,
    make_plan,
    make_strategy,
    strategy_class,
)
from collective.strategies.erasure import EstimatorFactory, erasure_labels, p0_at_summary
from collective.validation import check_alpha_run


def check_strategy(strategy: str) -> str:
    """``strategy`` if it is registered in :data:`collective.strategies.STRATEGIES`."""
    return STRATEGIES.check(strategy)


def is_erasure(strategy: str) -> bool:
    """Is ``strategy`` one that erases a signal (and plants none)?"""
    return strategy_class(strategy).needs_signal


def check_erasure_signal(strategy: str, signal: str | None) -> str | None:
    """The erasure strategies need a known signal; the others take none."""
    return strategy_class(strategy).checked_signal(signal)


def apply_strategy(
    Y: np.ndarray,
    *,
    strategy: str,
    target: str,
    alpha: float,
    seed: int,
    random_labels: float = 0.0,
) -> TrainingPlan:
    """Draw a collective of $\\alpha n$ training resumes (seeded) and apply the planting
    ``strategy``. ``Y`` is the clean (n, 10) label matrix of the training set. Strategy 2
    raises :class:`ConfigError` when $\\alpha n$ exceeds the number of training resumes that
    carry the target (the cap is in the message)."""
    if is_erasure(check_strategy(strategy)):
        raise ConfigError(f"{strategy} relabels resumes from an estimate of P0: use apply_erasure")
    check_target(target)
    check_alpha_run(alpha)
    collective = make_strategy(strategy, target=target, alpha=alpha, seed=seed)
    plan, _ = make_plan([collective], None, Y, random_labels=random_labels)
    return plan


def apply_erasure(
    X_train,
    Y: np.ndarray,
    *,
    strategy: str,
    signal: str,
    alpha: float,
    seed: int,
    make_estimator: EstimatorFactory,
) -> tuple[TrainingPlan, dict]:
    """The erasure strategy on the training set: draw the collective (a seeded random
    $\\alpha n$ resumes), estimate $P_0(y \\mid g(x))$ at its resumes with ``make_estimator``
    (oracle or pooled, by ``strategy``) and give them the labels :func:`erasure_labels`. The
    resumes keep their text: ``planted`` is all false. Returns the plan and facts about the
    estimate (how many collective resumes changed label set; for the pooled estimate, how
    many of its label sets agree with the oracle's)."""
    if not is_erasure(check_strategy(strategy)):
        raise ConfigError(f"apply_erasure needs an erasure strategy, got {strategy!r}")
    check_alpha_run(alpha)
    Y = np.asarray(Y)
    if Y.ndim != 2 or Y.shape[1] != len(labels()) or len(Y) != len(X_train):
        raise ConfigError(
            f"Y must be a ({len(X_train)}, {len(labels())}) label matrix, got shape {Y.shape}"
        )
    collective = make_strategy(
        strategy,
        target=labels()[0],
        alpha=alpha,
        seed=seed,
        signal=signal,
        make_estimator=make_estimator,
    )
    plan, [info] = make_plan([collective], X_train, Y)
    return plan, info


__all__ = [
    "STRATEGIES",
    "TrainingPlan",
    "apply_erasure",
    "apply_strategy",
    "check_erasure_signal",
    "check_random_labels",
    "check_strategy",
    "check_target",
    "collective_size",
    "erasure_labels",
    "is_erasure",
    "labels",
    "p0_at_summary",
]
