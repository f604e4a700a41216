"""The worst ε-optimal classifier for the collective on a finite problem.

Definition 3.1 of the paper calls ``f`` ε-optimal under ``P`` if ``f(x) = argmax_y P'(y|x)``
for some ``P'`` with ``TV(P, P') <= ε``. The theorems of Section 3 lower-bound the success of
the collective against *every* such ``f``, so an honest check needs the worst one. This module
constructs it for two models of the perturbation:

``"tv"``
    Definition 3.1 as written: ``P'`` anywhere in the total-variation ball of radius ``ε``.
``"contamination"``
    ``P' = (1-ε) P + ε Q`` for a distribution ``Q`` (Huber contamination). This is the model
    the proof of Lemma B.1 actually uses; it is a strict subset of the TV ball.

Costs. To make a label ``y`` (weakly) the top label at a point ``x`` the adversary must close
the gap ``top_{y' != y} P(x, y') - P(x, y)``. Under TV every unit of budget removes one unit of
mass and adds one unit, so it closes at most two units of gaps in total: the *relaxed* cost of
a point is half its gap, and the relaxed costs of several points add up. Moving half the gap
from the top label to ``y`` at the same point realizes that cost exactly whenever only the top
label has to come down, which is always the case for planting (the adversary only has to stop
``y*`` from winning, so it lifts the runner-up). For erasure with three or more labels the
realizable cost at one point may be larger (:func:`balanced_cost`); the engine then reports
both the relaxed worst case (a lower bound on the true worst success) and the realized one (an
upper bound; a concrete ε-optimal classifier attains it). Under contamination ``Q`` can only
add mass, so the cost is the whole gap times ``(1-ε)/ε``; with budget ``η = ε/(1-ε)`` in gap
units the costs are exact.

Ties are resolved in the adversary's favour: a label that ties for the top is free to choose.
"""

from __future__ import annotations

import itertools

import numpy as np

from collective.theory.classification import PERTURBATIONS, eps_budget
from collective.validation import check_choice

#: Probability masses closer than this count as equal (ties go to the adversary).
TIE_TOL = 1e-12


def gap_budget(eps: np.ndarray | float, perturbation: str) -> np.ndarray:
    """The total of point gaps (in probability mass) the adversary can close with budget ``ε``:
    :func:`collective.theory.classification.eps_budget` as an array."""
    return np.asarray(eps_budget(eps, perturbation), dtype=float)


def _own_and_others(P_x, y) -> tuple[np.ndarray, np.ndarray]:
    """``P(x, y)`` and a copy of ``P(x, ·)`` with ``y`` masked to ``-inf``."""
    P_x = np.asarray(P_x, dtype=float)
    y = np.asarray(y)
    own = np.take_along_axis(P_x, y[..., None], axis=-1)[..., 0]
    others = P_x.copy()
    np.put_along_axis(others, y[..., None], -np.inf, axis=-1)
    return own, others


def balanced_cost(P_x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Least TV mass that makes label ``y`` weakly top at one point, moving mass only there.

    ``P_x`` has shape ``(..., m)`` (the joint masses ``P(x, ·)`` of points), ``y`` shape
    ``(...)``. Raise ``y`` to a level ``L`` and lower every other label above ``L`` down to
    ``L`` so that the mass raised equals the mass lowered; the cost is ``L - P(x, y)``. Solved
    by bisection on ``L`` (the excess above ``L`` decreases, the deficit increases).
    """
    own, others = _own_and_others(P_x, y)
    lo = own.copy()
    hi = np.maximum(others.max(axis=-1), own)
    for _ in range(64):
        mid = 0.5 * (lo + hi)
        excess = np.clip(others - mid[..., None], 0.0, None).sum(axis=-1)
        too_low = excess > mid - own
        lo = np.where(too_low, mid, lo)
        hi = np.where(too_low, hi, mid)
    return hi - own


def relaxed_cost(P_x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Gap that must be closed to make ``y`` weakly top: ``(max_{y' != y} P(x,y') - P(x,y))_+``."""
    own, others = _own_and_others(P_x, y)
    return np.clip(others.max(axis=-1) - own, 0.0, None)


# ---------------------------------------------------------------------------------------------
# Planting: a 0/1 knapsack over the signal points.
# ---------------------------------------------------------------------------------------------


def knapsack_max_value(
    values: np.ndarray, costs: np.ndarray, budget: float
) -> tuple[float, np.ndarray]:
    """Exact 0/1 knapsack: the largest total value of items with total cost ``<= budget``.

    Dynamic programming over the Pareto frontier of (cost, value) pairs, exact for real-valued
    costs (no discretization). Returns the value and a boolean mask of chosen items. Items of
    cost ``<= TIE_TOL`` are free. Used for the planting adversary on one instance; the batched
    checks enumerate subsets instead (:func:`knapsack_max_value_batch`) and a test shows both
    agree.
    """
    values = np.asarray(values, dtype=float)
    costs = np.asarray(costs, dtype=float)
    free = costs <= TIE_TOL
    chosen = free.copy()
    base = float(values[free].sum())
    idx = np.flatnonzero(~free & (values > 0) & (costs <= budget + TIE_TOL))
    # frontier: list of (cost, value, items) sorted by cost with strictly increasing value
    frontier: list[tuple[float, float, tuple[int, ...]]] = [(0.0, 0.0, ())]
    for i in idx:
        c, v = float(costs[i]), float(values[i])
        shifted = [
            (fc + c, fv + v, fi + (int(i),))
            for fc, fv, fi in frontier
            if fc + c <= budget + TIE_TOL
        ]
        merged = sorted(frontier + shifted, key=lambda t: (t[0], -t[1]))
        frontier = []
        for item in merged:
            if not frontier or item[1] > frontier[-1][1]:
                frontier.append(item)
    best = max(frontier, key=lambda t: t[1])
    chosen[list(best[2])] = True
    return base + best[1], chosen


def _subset_masks(k: int) -> np.ndarray:
    return np.array(list(itertools.product((0.0, 1.0), repeat=k)), dtype=float)


def knapsack_max_value_batch(
    values: np.ndarray, costs: np.ndarray, budget: np.ndarray
) -> np.ndarray:
    """Exact 0/1 knapsack for a batch of small instances by enumerating all subsets.

    ``values``, ``costs``: shape ``(B, k)`` (pad unused items with value 0); ``budget``: shape
    ``(B,)``. Returns the best value per instance, shape ``(B,)``. Meant for ``k <= 12``.
    """
    values = np.asarray(values, dtype=float)
    costs = np.where(np.asarray(costs, dtype=float) <= TIE_TOL, 0.0, costs)
    B, k = values.shape
    if k > 16:
        raise ValueError(
            f"subset enumeration needs at most 16 items, got {k}; use knapsack_max_value"
        )
    masks = _subset_masks(k)  # (2^k, k)
    total_cost = costs @ masks.T  # (B, 2^k)
    total_value = values @ masks.T
    feasible = total_cost <= np.asarray(budget, dtype=float)[:, None] + TIE_TOL
    return np.where(feasible, total_value, -np.inf).max(axis=1)


def planting_adversary(
    P: np.ndarray, values: np.ndarray, y_star: int, eps: float, perturbation: str = "tv"
) -> tuple[np.ndarray, np.ndarray | None, np.ndarray]:
    """The ε-optimal classifier that is worst for a collective planting ``y_star``.

    ``P`` is the joint ``(|X|, |Y|)`` mixture the firm learns from, ``values[x]`` the success
    mass riding on ``f(x) = y*`` (``P0(g^{-1}(x))`` for the signal set, 0 elsewhere). The
    adversary solves the exact knapsack of which signal points to turn away from ``y*``
    (cost: half the margin of ``y*`` under TV, see the module docstring) and, under TV, builds
    the perturbed distribution ``P'`` explicitly by moving half the margin from ``(x, y*)`` to
    ``(x, runner-up)``.

    Returns ``(f, P_prime, flipped)``: the classifier as an array of labels (ties resolved
    against ``y*``), ``P'`` (``None`` under contamination, where ``Q`` is implicit), and the
    mask of points where the adversary spent budget.
    """
    check_choice("perturbation", perturbation, PERTURBATIONS)
    P = np.asarray(P, dtype=float)
    m = P.shape[1]
    runner = np.argmax(np.where(np.arange(m) == y_star, -np.inf, P), axis=1)
    margin = P[:, y_star] - P[np.arange(len(P)), runner]
    budget = float(gap_budget(eps, perturbation))
    _, chosen = knapsack_max_value(
        np.asarray(values, dtype=float), np.clip(margin, 0.0, None), budget
    )
    flipped = chosen & (margin > TIE_TOL)
    P_prime = None
    if perturbation == "tv":
        P_prime = P.copy()
        move = np.where(flipped, margin / 2.0, 0.0)
        P_prime[:, y_star] -= move
        P_prime[np.arange(len(P)), runner] += move
    lost = chosen | (margin <= TIE_TOL)
    f = np.where(lost, runner, y_star)
    return f, P_prime, flipped
