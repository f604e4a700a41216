"""Exact success of planting a signal (Section 3.1) against the worst (ε-)optimal firm.

The collective's distribution ``P*`` follows equation (1) (feature-label) or equation (3)
(feature-only); the firm learns from the mixture ``P = α P* + (1-α) P0``. With ``eps = 0``
the firm is Bayes-optimal on ``P`` and a label that only ties for the top counts against the
collective; with ``eps > 0`` it is the worst ε-optimal classifier (Definition 3.1), which
buys the signal points the collective would win by an exact knapsack
(:mod:`collective.theory.adversary`).
"""

from __future__ import annotations

import numpy as np

from collective.theory.adversary import (
    TIE_TOL,
    gap_budget,
    knapsack_max_value,
    knapsack_max_value_batch,
)
from collective.theory.classification import PERTURBATIONS
from collective.theory.finite_problem import STRATEGIES, _one_hot_g, _preimage_mass, check_problem
from collective.validation import check_alpha, check_choice, check_eps

__all__ = ["planting_mixture", "planting_success", "planting_success_batch"]


def _planting_joint_batch(P0, g, y_star, alpha, strategy):
    B, n, m = P0.shape
    G = _one_hot_g(g, n)
    onehot_y = (np.arange(m) == y_star[:, None]).astype(float)  # (B, m)
    if strategy == "feature-label":
        # P*(z, y*) = P0(g^{-1}(z)): every member sends (g(x), y*).
        star = _preimage_mass(P0, g)[..., None] * onehot_y[:, None, :]
    else:
        # Members with label y* send (g(x), y*); the others keep (x, y).
        target = np.take_along_axis(P0, y_star[:, None, None], axis=-1)[..., 0]  # (B, n)
        moved = np.einsum("bx,bxz->bz", target, G)
        star = P0 * (1.0 - onehot_y[:, None, :]) + moved[..., None] * onehot_y[:, None, :]
    a = alpha[:, None, None]
    return a * star + (1.0 - a) * P0


def _target_margin(P: np.ndarray, y_star: np.ndarray) -> np.ndarray:
    """``P(x, y*) - max_{y != y*} P(x, y)``; ``y*`` wins at ``x`` iff it is > 0."""
    m = P.shape[-1]
    is_target = np.arange(m) == y_star[:, None, None]
    own = np.where(is_target, P, 0.0).sum(-1)
    rest = np.where(is_target, -np.inf, P).max(-1)
    return own - rest


def planting_success_batch(
    P0: np.ndarray,
    g: np.ndarray,
    y_star: np.ndarray | int,
    alpha: np.ndarray | float,
    strategy: str = "feature-label",
    eps: np.ndarray | float = 0.0,
    perturbation: str = "tv",
) -> np.ndarray:
    """Batched :func:`planting_success` (no validation)."""
    check_choice("strategy", strategy, STRATEGIES)
    check_choice("perturbation", perturbation, PERTURBATIONS)
    B, n, m = P0.shape
    y_star = np.broadcast_to(np.asarray(y_star, dtype=int), (B,))
    alpha = np.broadcast_to(np.asarray(alpha, dtype=float), (B,))
    eps = np.broadcast_to(np.asarray(eps, dtype=float), (B,))
    P = _planting_joint_batch(P0, g, y_star, alpha, strategy)
    margin = _target_margin(P, y_star)
    value = _preimage_mass(P0, g)  # success mass riding on f(z) = y*
    live = margin > TIE_TOL  # points where y* wins against the Bayes-optimal classifier
    won = (value * live).sum(-1)
    if not np.any(eps > 0):
        return won
    # Points already lost carry no value; the adversary buys the live ones by knapsack.
    vals = np.where(live, value, 0.0)
    cost = np.where(live, margin, 0.0)
    budget = np.broadcast_to(gap_budget(eps, perturbation), (B,))
    items = np.flatnonzero((vals > 0).any(axis=0))  # points that carry success somewhere
    if len(items) <= 12:
        lost = knapsack_max_value_batch(vals[:, items], cost[:, items], budget)
    else:  # too many subsets to enumerate: exact Pareto dynamic programme per instance
        lost = np.array([knapsack_max_value(v, c, b)[0] for v, c, b in zip(vals, cost, budget)])
    return np.maximum(won - lost, 0.0)  # rounding can leave -1e-17


def planting_mixture(
    P0, g, y_star: int, alpha: float, strategy: str = "feature-label"
) -> np.ndarray:
    """The firm's distribution ``P = α P* + (1-α) P0`` for a planting strategy.

    ``strategy="feature-label"``: ``h(x, y) = (g(x), y*)`` (equation (1));
    ``strategy="feature-only"``: ``h(x, y) = (g(x), y*)`` if ``y = y*`` else ``(x, y)``
    (equation (3)).
    """
    P0, g = check_problem(P0, g, y_star)
    alpha = float(check_alpha(alpha))
    check_choice("strategy", strategy, STRATEGIES)
    return _planting_joint_batch(
        P0[None], g[None], np.array([y_star]), np.array([alpha]), strategy
    )[0]


def planting_success(
    P0,
    g,
    y_star: int,
    alpha: float,
    strategy: str = "feature-label",
    *,
    eps: float = 0.0,
    perturbation: str = "tv",
) -> float:
    """Exact success ``S(α) = Pr_{x~P0}[f(g(x)) = y*]`` of planting a signal (Section 3.1).

    ``strategy``: ``"feature-label"`` (equation (1), Theorem 3.3) or ``"feature-only"``
    (equation (3), Theorem 3.5). ``f`` is the Bayes-optimal classifier on the mixture (``eps=0``) or, for ``eps > 0``, the
    ε-optimal classifier (Definition 3.1) that is worst for the collective under the
    perturbation (``"tv"``: Definition 3.1 as written; ``"contamination"``:
    ``P' = (1-ε)P + εQ``). The worst case is exact: the exact knapsack over the signal points
    that :func:`collective.theory.adversary.planting_adversary` also solves. Ties count as failures.
    """
    P0, g = check_problem(P0, g, y_star)
    alpha = float(check_alpha(alpha))
    eps = float(check_eps(eps))
    check_choice("strategy", strategy, STRATEGIES)
    check_choice("perturbation", perturbation, PERTURBATIONS)
    return float(
        planting_success_batch(P0[None], g[None], y_star, alpha, strategy, eps, perturbation)[0]
    )
