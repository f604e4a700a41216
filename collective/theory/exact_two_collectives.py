"""Exact success of two collectives planting signals at once, on finite problems.

The extension of :mod:`collective.theory.exact_planting` to the mixture (M2) of
:mod:`collective.theory.two_collectives`: collective ``i`` (``i = 1, 2``) reports
``(g_i(x), y_i*)`` (feature–label strategy (1)), the firm learns from
``P = (1 - α1 - α2) P0 + α1 P*_1 + α2 P*_2`` and collective ``i`` succeeds with
``S_i = Pr_{x~P0}[f(g_i(x)) = y_i*]``. As in the one-collective engine, ties count against the
collective being scored, and with ``eps > 0`` ``f`` is the ε-optimal classifier (Definition
3.1) that is worst *for that collective* (an exact knapsack over its signal points,
:mod:`collective.theory.adversary`); so ``S_1`` and ``S_2`` are each the worst case, possibly
against two different classifiers. :func:`coalition_success_batch` scores allies pooled.

The overlap parameters of the bounds (``κ``, ``λ``, ``μ``, and ``ξ``, ``Δ`` on the union of
the signal sets) are computed exactly here too. Batched functions (``*_batch``, leading axis
B) do no validation; :func:`two_collective_success` and the ``*_of`` functions validate one
problem.
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
from collective.theory.exact_planting import _target_margin
from collective.theory.finite_problem import _conditional, _one_hot_g, _preimage_mass, check_problem
from collective.validation import check_alpha, check_choice, check_eps

__all__ = [
    "two_collective_mixture",
    "two_collective_success",
    "two_collective_success_batch",
    "coalition_success_batch",
    "overlap_batch",
    "density_ratios_batch",
    "union_xi_batch",
    "union_delta_batch",
    "overlap_of",
    "density_ratios_of",
]


def _joint_batch(P0, g1, y1, g2, y2, a1, a2) -> np.ndarray:
    """The mixture (M2) for a batch: shape (B, n, m)."""
    B, n, m = P0.shape
    labels = np.arange(m)
    star1 = _preimage_mass(P0, g1)[..., None] * (labels == y1[:, None])[:, None, :]
    star2 = _preimage_mass(P0, g2)[..., None] * (labels == y2[:, None])[:, None, :]
    a1, a2 = a1[:, None, None], a2[:, None, None]
    return np.clip(1.0 - a1 - a2, 0.0, 1.0) * P0 + a1 * star1 + a2 * star2


def _worst_success(P, target, value, eps, perturbation) -> np.ndarray:
    """``Σ_z value(z) 1{f(z) = target}`` for the worst ε-optimal ``f`` (ties lost), shape (B,).

    ``value[b, z]`` is the success mass riding on ``f(z) = target``; the adversary buys the
    points where ``target`` wins by an exact knapsack (cost: its margin, budget
    :func:`collective.theory.adversary.gap_budget`), as in
    :func:`collective.theory.exact_planting.planting_success_batch`.
    """
    margin = _target_margin(P, target)
    live = margin > TIE_TOL
    won = (value * live).sum(-1)
    if not np.any(eps > 0):
        return won
    vals = np.where(live, value, 0.0)
    cost = np.where(live, margin, 0.0)
    budget = np.broadcast_to(gap_budget(eps, perturbation), vals.shape[:1])
    items = np.flatnonzero((vals > 0).any(axis=0))
    if len(items) <= 12:
        lost = knapsack_max_value_batch(vals[:, items], cost[:, items], budget)
    else:
        lost = np.array([knapsack_max_value(v, c, b)[0] for v, c, b in zip(vals, cost, budget)])
    return np.maximum(won - lost, 0.0)


def _broadcast(B, dtype, *values):
    return [np.broadcast_to(np.asarray(v, dtype=dtype), (B,)) for v in values]


def two_collective_success_batch(
    P0: np.ndarray,
    g1: np.ndarray,
    y1: np.ndarray | int,
    g2: np.ndarray,
    y2: np.ndarray | int,
    alpha1: np.ndarray | float,
    alpha2: np.ndarray | float,
    eps: np.ndarray | float = 0.0,
    perturbation: str = "tv",
) -> tuple[np.ndarray, np.ndarray]:
    """Batched :func:`two_collective_success` (no validation): ``(S1, S2)``, each shape (B,)."""
    check_choice("perturbation", perturbation, PERTURBATIONS)
    B = P0.shape[0]
    y1, y2 = _broadcast(B, int, y1, y2)
    a1, a2, e = _broadcast(B, float, alpha1, alpha2, eps)
    P = _joint_batch(P0, g1, y1, g2, y2, a1, a2)
    S1 = _worst_success(P, y1, _preimage_mass(P0, g1), e, perturbation)
    S2 = _worst_success(P, y2, _preimage_mass(P0, g2), e, perturbation)
    return S1, S2


def coalition_success_batch(
    P0: np.ndarray,
    g1: np.ndarray,
    g2: np.ndarray,
    y_star: np.ndarray | int,
    alpha1: np.ndarray | float,
    alpha2: np.ndarray | float,
    eps: np.ndarray | float = 0.0,
    perturbation: str = "tv",
) -> np.ndarray:
    """Allies pooled: ``S_∪ = (α1 S1 + α2 S2)/(α1 + α2)`` against the classifier worst for the pool.

    Both collectives plant ``y_star``; the value of a point is the coalition's planted mass
    ``(α1 P*_1(z) + α2 P*_2(z))/(α1 + α2)``.
    """
    check_choice("perturbation", perturbation, PERTURBATIONS)
    B = P0.shape[0]
    (y,) = _broadcast(B, int, y_star)
    a1, a2, e = _broadcast(B, float, alpha1, alpha2, eps)
    P = _joint_batch(P0, g1, y, g2, y, a1, a2)
    value = (a1[:, None] * _preimage_mass(P0, g1) + a2[:, None] * _preimage_mass(P0, g2)) / (
        a1 + a2
    )[:, None]
    return _worst_success(P, y, value, e, perturbation)


def two_collective_mixture(
    P0, g1, y1: int, g2, y2: int, alpha1: float, alpha2: float
) -> np.ndarray:
    """The firm's distribution (M2): ``(1-α1-α2) P0 + α1 P*_1 + α2 P*_2``, shape (|X|, |Y|)."""
    P0, g1, g2, alpha1, alpha2 = _check(P0, g1, y1, g2, y2, alpha1, alpha2)
    return _joint_batch(
        P0[None],
        g1[None],
        np.array([y1]),
        g2[None],
        np.array([y2]),
        np.array([alpha1]),
        np.array([alpha2]),
    )[0]


def _check(P0, g1, y1, g2, y2, alpha1, alpha2):
    P0, g1 = check_problem(P0, g1, y1)
    _, g2 = check_problem(P0, g2, y2)
    a1 = float(check_alpha(alpha1))
    a2 = float(check_alpha(alpha2, allow_zero=True))
    if a1 + a2 > 1.0 + 1e-12:
        raise ValueError(f"need alpha1 + alpha2 <= 1, got {a1} + {a2}")
    return P0, g1, g2, a1, a2


def two_collective_success(
    P0,
    g1,
    y1: int,
    g2,
    y2: int,
    alpha1: float,
    alpha2: float,
    *,
    eps: float = 0.0,
    perturbation: str = "tv",
) -> tuple[float, float]:
    """Exact ``(S1, S2)`` of two feature–label collectives acting at once.

    ``P0`` is the base joint array ``(|X|, |Y|)``, ``g_i`` integer arrays (``g_i[x]`` is the
    row of ``g_i(x)``), ``y_i`` the targets, ``alpha_i`` the sizes (``alpha1 > 0``,
    ``alpha2 >= 0``, sum at most 1). ``f`` is Bayes-optimal on (M2) with ties against the
    collective scored (``eps = 0``), or the ε-optimal classifier worst for that collective.
    With ``alpha2 = 0`` ``S1`` is :func:`collective.theory.discrete.planting_success` at
    ``alpha1``.
    """
    P0, g1, g2, a1, a2 = _check(P0, g1, y1, g2, y2, alpha1, alpha2)
    e = float(check_eps(eps))
    S1, S2 = two_collective_success_batch(
        P0[None], g1[None], y1, g2[None], y2, a1, a2, e, perturbation
    )
    return float(S1[0]), float(S2[0])


# ---------------------------------------------------------------------------------------------
# The overlap parameters of the bounds
# ---------------------------------------------------------------------------------------------


def _in_image(g: np.ndarray, n: int) -> np.ndarray:
    return _one_hot_g(g, n).max(axis=1) > 0


def overlap_batch(P0: np.ndarray, g1: np.ndarray, g2: np.ndarray) -> np.ndarray:
    """``κ = P*_2(X1*) = Pr_{x~P0}[g2(x) in X1*]``: collective 2's planted mass on 1's signal set."""
    return (_preimage_mass(P0, g2) * _in_image(g1, P0.shape[1])).sum(-1)


def density_ratios_batch(
    P0: np.ndarray, g1: np.ndarray, g2: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """``(λ, μ)``: max and min of ``P*_2(z)/P*_1(z)`` over ``z`` with ``P*_1(z) > 0``."""
    p1, p2 = _preimage_mass(P0, g1), _preimage_mass(P0, g2)
    pos = p1 > 0
    ratio = np.divide(p2, p1, out=np.zeros_like(p1), where=pos)
    lam = np.where(pos, ratio, -np.inf).max(-1)
    mu = np.where(pos, ratio, np.inf).min(-1)
    return lam, mu


def union_xi_batch(P0: np.ndarray, g1: np.ndarray, g2: np.ndarray) -> np.ndarray:
    """``ξ_∪ = P0(X1* ∪ X2*)``."""
    n = P0.shape[1]
    return (P0.sum(-1) * (_in_image(g1, n) | _in_image(g2, n))).sum(-1)


def union_delta_batch(
    P0: np.ndarray, g1: np.ndarray, g2: np.ndarray, y_star: np.ndarray
) -> np.ndarray:
    """``Δ_∪``: the gap of ``y*`` (Section 3.1) over the supported points of ``X1* ∪ X2*``."""
    n = P0.shape[1]
    cond = _conditional(P0)
    gap = cond.max(-1) - np.take_along_axis(cond, y_star[:, None, None], axis=-1)[..., 0]
    where = (_in_image(g1, n) | _in_image(g2, n)) & (P0.sum(-1) > 0)
    return np.where(where, gap, 0.0).max(-1)


def overlap_of(P0, g1, g2) -> float:
    """κ of one validated problem (see :func:`overlap_batch`)."""
    P0, g1 = check_problem(P0, g1)
    _, g2 = check_problem(P0, g2)
    return float(overlap_batch(P0[None], g1[None], g2[None])[0])


def density_ratios_of(P0, g1, g2) -> tuple[float, float]:
    """``(λ, μ)`` of one validated problem (see :func:`density_ratios_batch`)."""
    P0, g1 = check_problem(P0, g1)
    _, g2 = check_problem(P0, g2)
    lam, mu = density_ratios_batch(P0[None], g1[None], g2[None])
    return float(lam[0]), float(mu[0])
