"""The collective's strategies on the resume corpus (Section 5 of {cite}`hardt2023algorithmic`).

* **Strategy 1, feature–label** (the paper's strategy (1), $h(x, y) = (g(x), y^*)$): a random
  $\\alpha$-fraction of the training resumes gets the trigger and the label set
  $\\{y^*\\}$.
* **Strategy 2, feature-only** (strategy (3)): the collective is drawn among training resumes
  that already carry the target label; they get the trigger, labels untouched. $\\alpha$ is
  still a fraction of the *whole* training set, so it cannot exceed the target's frequency.

Optionally a fraction ``random_labels`` of the training resumes gets a label set drawn
uniformly at random (the paper's Figure 4: it raises the positivity constant $p$ of
Theorem 3.5). Those resumes are drawn independently of the collective and after it, so the
collective's own labels are never randomized: the collective controls its own data.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from collective.errors import ConfigError
from collective.validation import check_alpha_run, check_choice, check_fraction

#: Strategy names, with the paper's names.
STRATEGIES: dict[str, str] = {
    "feature-label": "Strategy 1 (feature–label: trigger and label set {target})",
    "feature-only": "Strategy 2 (feature-only: trigger in resumes that carry the target)",
}


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


def check_random_labels(fraction: float) -> float:
    """The fraction of randomized labels must lie in $[0, 1]$."""
    return check_fraction("random_labels", fraction)


def check_strategy(strategy: str) -> str:
    """``strategy`` if it is one of :data:`STRATEGIES`."""
    return check_choice("strategy", strategy, STRATEGIES)


def collective_size(alpha: float, n_train: int) -> int:
    """Number of resumes the collective controls: $\\lfloor \\alpha n \\rceil$ (rounded)."""
    return int(round(check_alpha_run(alpha) * n_train))


@dataclass(frozen=True)
class TrainingPlan:
    """What the firm receives: which training resumes carry the trigger and their labels."""

    planted: np.ndarray  # bool (n,)
    Y: np.ndarray  # uint8 (n, 10): the labels the firm sees
    collective: np.ndarray  # int64 indices of the collective's resumes
    randomized: np.ndarray  # int64 indices of resumes whose labels were randomized

    @property
    def n_collective(self) -> int:
        return len(self.collective)


def apply_strategy(
    Y: np.ndarray,
    *,
    strategy: str,
    target: str,
    alpha: float,
    seed: int,
    random_labels: float = 0.0,
) -> TrainingPlan:
    """Draw a collective of $\\alpha n$ training resumes (seeded) and apply ``strategy``.

    ``Y`` is the clean (n, 10) label matrix of the training set. Returns the firm's view as a
    :class:`TrainingPlan`. Strategy 2 raises :class:`ConfigError` when $\\alpha n$ exceeds the
    number of training resumes that carry the target (the cap is in the message).
    """
    strategy = check_strategy(strategy)
    k = check_target(target)
    alpha = check_alpha_run(alpha)
    random_labels = check_random_labels(random_labels)
    Y = np.asarray(Y)
    if Y.ndim != 2 or Y.shape[1] != len(labels()):
        raise ConfigError(f"Y must be an (n, {len(labels())}) label matrix, got shape {Y.shape}")
    n = Y.shape[0]
    size = collective_size(alpha, n)
    rng = np.random.default_rng([int(seed), 0xC011EC])

    if strategy == "feature-label":
        pool = np.arange(n)
    else:
        pool = np.flatnonzero(Y[:, k] > 0)
        if size > len(pool):
            cap = len(pool) / n
            raise ConfigError(
                f"alpha={alpha} asks for {size} resumes, but only {len(pool)} training resumes "
                f"carry {target}: Strategy 2 (feature-only) draws its collective among them, so "
                f"alpha must be at most {cap:.4f} for this target."
            )
    collective = np.sort(rng.choice(pool, size=size, replace=False)).astype(np.int64)

    Y_firm = Y.astype(np.uint8, copy=True)
    planted = np.zeros(n, dtype=bool)
    planted[collective] = True
    if strategy == "feature-label":
        Y_firm[collective] = 0
        Y_firm[collective, k] = 1

    randomized = np.zeros(0, dtype=np.int64)
    if random_labels > 0:
        others = np.flatnonzero(~planted)
        n_random = min(int(round(random_labels * n)), len(others))
        randomized = np.sort(rng.choice(others, size=n_random, replace=False)).astype(np.int64)
        # Each label on with probability 1/2: a uniformly random label set, so that
        # P(y* | x) >= random_labels / 2 everywhere (Theorem 3.5's positivity constant).
        Y_firm[randomized] = rng.integers(0, 2, size=(n_random, Y.shape[1]), dtype=np.uint8)
    return TrainingPlan(planted=planted, Y=Y_firm, collective=collective, randomized=randomized)
