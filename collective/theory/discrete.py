"""Exact success of a collective against (ε-)optimal classifiers on finite problems.

A finite problem is a base distribution ``P0`` given as a joint probability array of shape
``(|X|, |Y|)`` (rows: feature values, columns: labels), a signal map ``g`` given as an integer
array (``g[x]`` is the row of ``g(x)``) and, for planting, a target label ``y_star``. From these
the engine builds the collective's distribution ``P*`` for a strategy (equations (1), (3) and
the erasure strategy of Section 3.2 of the paper), the mixture ``P = α P* + (1-α) P0`` the firm
learns from, the Bayes-optimal classifier on ``P`` and the exact success ``S(α)``.

Ties are broken against the collective: a label that only ties for the top does not count as
a success, and a point without mass under ``P`` may be labelled anything. So the numbers are
the *worst* a Bayes-optimal firm can do to the collective, and a bound checked against them
is checked honestly. With ``eps > 0`` the firm is the worst ε-optimal classifier
(Definition 3.1), built by :mod:`collective.theory.adversary`.

Every public function has a ``*_batch`` twin that takes a leading batch axis, used by the
random-instance checks in :mod:`collective.theory.checks`.
"""

from __future__ import annotations

import itertools

import numpy as np

from collective.theory.adversary import (
    TIE_TOL,
    balanced_cost,
    gap_budget,
    knapsack_max_value,
    knapsack_max_value_batch,
    relaxed_cost,
)
from collective.theory.classification import PERTURBATIONS
from collective.validation import check_alpha, check_choice, check_eps

__all__ = [
    "STRATEGIES",
    "READINGS",
    "check_problem",
    "signal_set",
    "xi_of",
    "delta_of",
    "p_of",
    "tau_of",
    "rho_of",
    "is_idempotent",
    "planting_mixture",
    "erasure_labels",
    "erasure_mixture",
    "planting_success",
    "erasure_success",
    "planting_success_batch",
    "erasure_success_batch",
    "xi_batch",
    "delta_batch",
    "p_batch",
    "tau_batch",
    "rho_batch",
]

STRATEGIES = ("feature-label", "feature-only")
#: How ``P0(y | g(x))`` in the erasure strategy is read: at the point ``g(x)`` of ``X``, or
#: given the summary ``g(X) = g(x)`` (all points with the same image).
READINGS = ("point", "summary")

# Enumerating labelings for the ε-adversary of erasure is exponential; keep it bounded.
_MAX_LABELINGS = 200_000


# ---------------------------------------------------------------------------------------------
# Input validation
# ---------------------------------------------------------------------------------------------


def check_problem(P0, g, y_star: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Validate a finite problem; return ``(P0, g)`` as float / int arrays.

    Raises ``ValueError`` naming what is wrong: ``P0`` must be a 2-d array of non-negative
    entries summing to 1 with at least two labels, ``g`` an integer array of length ``|X|``
    with entries in ``range(|X|)``, ``y_star`` a label index.
    """
    P0 = np.asarray(P0, dtype=float)
    if P0.ndim != 2:
        raise ValueError(
            f"P0 must be a joint probability array of shape (|X|, |Y|), got shape {P0.shape}"
        )
    if P0.shape[1] < 2:
        raise ValueError(f"P0 needs at least two labels (columns), got {P0.shape[1]}")
    if not np.all(np.isfinite(P0)) or np.any(P0 < 0):
        raise ValueError("P0 must have finite, non-negative entries")
    total = P0.sum()
    if abs(total - 1.0) > 1e-9:
        raise ValueError(
            f"P0 must sum to 1 (a joint distribution), it sums to {total:.6g}; normalize it"
        )
    g_arr = np.asarray(g)
    if g_arr.shape != (P0.shape[0],):
        raise ValueError(
            f"g must have one entry per feature value, shape ({P0.shape[0]},), got {g_arr.shape}"
        )
    if not np.issubdtype(g_arr.dtype, np.integer):
        if not np.all(np.equal(np.mod(g_arr, 1), 0)):
            raise ValueError("g must hold integer row indices of P0 (g[x] is the index of g(x))")
        g_arr = g_arr.astype(int)
    if np.any(g_arr < 0) or np.any(g_arr >= P0.shape[0]):
        raise ValueError(f"g must map into range(|X|) = range({P0.shape[0]})")
    if y_star is not None:
        if int(y_star) != y_star or not 0 <= int(y_star) < P0.shape[1]:
            raise ValueError(
                f"y_star must be a label index in range({P0.shape[1]}), got {y_star!r}"
            )
    return P0, g_arr.astype(int)


# ---------------------------------------------------------------------------------------------
# Batched primitives (leading axis B)
# ---------------------------------------------------------------------------------------------


def _one_hot_g(g: np.ndarray, n: int) -> np.ndarray:
    """``G[b, x, z] = 1`` iff ``g_b(x) = z``."""
    return (g[..., None] == np.arange(n)).astype(float)


def _preimage_mass(P0: np.ndarray, g: np.ndarray) -> np.ndarray:
    """``P0(g^{-1}(z))`` for every row ``z``: shape (B, n)."""
    return np.einsum("bx,bxz->bz", P0.sum(-1), _one_hot_g(g, P0.shape[1]))


def _conditional(P: np.ndarray) -> np.ndarray:
    """``P(y|x)``, zero rows where ``P(x) = 0``."""
    mass = P.sum(-1, keepdims=True)
    return np.divide(P, mass, out=np.zeros_like(P), where=mass > 0)


def xi_batch(P0: np.ndarray, g: np.ndarray) -> np.ndarray:
    """ξ = ``P0(X*)``, the base mass of the signal set (Definition 3.2), per instance."""
    n = P0.shape[1]
    in_image = _one_hot_g(g, n).max(axis=1) > 0  # (B, n)
    return (P0.sum(-1) * in_image).sum(-1)


def delta_batch(P0: np.ndarray, g: np.ndarray, y_star: np.ndarray) -> np.ndarray:
    """Δ = max over supported signal points of ``max_y P0(y|x) - P0(y*|x)`` (Section 3.1)."""
    n = P0.shape[1]
    cond = _conditional(P0)
    gap = cond.max(-1) - np.take_along_axis(cond, y_star[:, None, None], axis=-1)[..., 0]
    in_image = _one_hot_g(g, n).max(axis=1) > 0
    supported = P0.sum(-1) > 0
    return np.where(in_image & supported, gap, 0.0).max(-1)


def p_batch(P0: np.ndarray, y_star: np.ndarray) -> np.ndarray:
    """p = ``min_x P0(y*|x)`` over points with mass (the positivity constant of Theorem 3.5)."""
    cond = _conditional(P0)
    target = np.take_along_axis(cond, y_star[:, None, None], axis=-1)[..., 0]
    return np.where(P0.sum(-1) > 0, target, np.inf).min(-1)


def _summary_conditional(P0: np.ndarray, g: np.ndarray, reading: str) -> np.ndarray:
    """``P0(y | g(x))`` for every row ``x`` under the chosen reading, shape (B, n, m)."""
    n = P0.shape[1]
    if reading == "point":
        cond = _conditional(P0)
        return np.take_along_axis(cond, g[..., None], axis=1)
    G = _one_hot_g(g, n)
    fibre = np.einsum("bxz,bxy->bzy", G, P0)  # joint mass of g(X) = z with label y
    fibre_of_x = np.take_along_axis(fibre, g[..., None], axis=1)
    return _conditional(fibre_of_x)


def tau_batch(P0: np.ndarray, g: np.ndarray, reading: str = "point") -> np.ndarray:
    """τ = ``E_{x~P0} max_y |P0(y|x) - P0(y|g(x))|`` (Section 3.2) under ``reading``."""
    cond = _conditional(P0)
    summ = _summary_conditional(P0, g, reading)
    return (P0.sum(-1) * np.abs(cond - summ).max(-1)).sum(-1)


def rho_batch(P0: np.ndarray, g: np.ndarray) -> np.ndarray:
    """ρ = max over image points ``z`` with mass of ``P0(g^{-1}(z)) / P0(z)`` (≥ 1).

    Not a quantity of the paper: it enters the corrected ε-term of the erasure bound (the
    adversary can relabel a light image point and break its whole fibre); ``inf`` if an
    image point carries no mass.
    """
    pre = _preimage_mass(P0, g)
    own = P0.sum(-1)
    ratio = np.divide(pre, own, out=np.full_like(pre, np.inf), where=own > 0)
    return np.where(pre > 0, ratio, 1.0).max(-1)


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


def _erasure_joint_batch(P0, g, alpha, reading):
    summ = _summary_conditional(P0, g, reading)
    y_hat = np.argmax(summ, axis=-1)  # collective's label for every x (lowest index on ties)
    m = P0.shape[-1]
    star = P0.sum(-1, keepdims=True) * (np.arange(m) == y_hat[..., None])
    a = alpha[:, None, None]
    return a * star + (1.0 - a) * P0, y_hat


def _labelings(n: int, m: int) -> np.ndarray:
    if m**n > _MAX_LABELINGS:
        raise ValueError(
            f"the ε-adversary for erasure enumerates |Y|^|X| = {m}^{n} labelings, more than "
            f"{_MAX_LABELINGS}; use eps=0 or a smaller problem"
        )
    return np.array(list(itertools.product(range(m), repeat=n)), dtype=int)


def erasure_success_batch(
    P0: np.ndarray,
    g: np.ndarray,
    alpha: np.ndarray,
    eps: np.ndarray | float = 0.0,
    reading: str = "point",
    perturbation: str = "tv",
    realizable: bool = False,
    chunk: int = 256,
) -> np.ndarray:
    """Batched :func:`erasure_success` (no validation)."""
    check_choice("reading", reading, READINGS)
    check_choice("perturbation", perturbation, PERTURBATIONS)
    B, n, m = P0.shape
    alpha = np.broadcast_to(np.asarray(alpha, dtype=float), (B,))
    eps = np.broadcast_to(np.asarray(eps, dtype=float), (B,))
    P, _ = _erasure_joint_batch(P0, g, alpha, reading)
    weight = P0.sum(-1)
    if not np.any(eps > 0):
        # x succeeds iff x = g(x), or x and g(x) both have the same unique top label.
        top = P >= P.max(-1, keepdims=True) - TIE_TOL
        unique = top.sum(-1) == 1
        label = np.argmax(P, axis=-1)
        unique_g = np.take_along_axis(unique, g, axis=1)
        label_g = np.take_along_axis(label, g, axis=1)
        ok = (g == np.arange(n)) | (unique & unique_g & (label == label_g))
        return (weight * ok).sum(-1)
    # ε > 0: the adversary picks a labeling of all points (exhaustive) within its budget.
    L = _labelings(n, m)  # (K, n): every labeling of the K = m**n
    cost_fn = balanced_cost if (realizable and perturbation == "tv") else relaxed_cost
    labels = np.broadcast_to(np.arange(m), (B, n, m))
    C = cost_fn(P[..., None, :].repeat(m, axis=-2), labels)  # (B, n, m): cost of label y at x
    if realizable and perturbation == "tv":
        budget = eps  # balanced moves: TV mass equals the cost
    else:
        budget = gap_budget(eps, perturbation)  # gaps closed
    out = np.empty(B)
    for s in range(0, B, chunk):
        sl = slice(s, min(B, s + chunk))
        Cb = C[sl]  # (b, n, m)
        total = Cb[:, np.arange(n)[None, :], L].sum(-1)  # (b, K)
        Lg = L[:, g[sl]].transpose(1, 0, 2)  # (b, K, n): label of g(x) under each labeling
        agree = (L[None, :, :] == Lg) | (g[sl][:, None, :] == np.arange(n))
        succ = (agree * weight[sl][:, None, :]).sum(-1)  # (b, K)
        feasible = total <= budget[sl, None] + TIE_TOL
        out[sl] = np.where(feasible, succ, np.inf).min(-1)
    return out


# ---------------------------------------------------------------------------------------------
# Single-instance public API
# ---------------------------------------------------------------------------------------------


def signal_set(g) -> np.ndarray:
    """The signal set ``X* = {g(x) : x in X}`` as sorted row indices."""
    return np.unique(np.asarray(g, dtype=int))


def is_idempotent(g) -> bool:
    """Whether ``g(g(x)) = g(x)`` for all ``x`` (a summary that, applied twice, changes nothing)."""
    g = np.asarray(g, dtype=int)
    return bool(np.all(g[g] == g))


def xi_of(P0, g) -> float:
    """ξ = ``P0(X*)`` (Definition 3.2: the signal is ξ-unique for every ξ at least this)."""
    P0, g = check_problem(P0, g)
    return float(xi_batch(P0[None], g[None])[0])


def delta_of(P0, g, y_star: int) -> float:
    """Δ, the suboptimality gap of ``y*`` on the signal set (Section 3.1).

    ``max_{x in X*} (max_y P0(y|x) - P0(y*|x))``, taken over signal points with ``P0(x) > 0``
    (the conditional is undefined elsewhere and those points enter the proof of Theorem 3.3
    only through ``Δ_x P0(x) = 0``); 0 if no signal point has mass.
    """
    P0, g = check_problem(P0, g, y_star)
    return float(delta_batch(P0[None], g[None], np.array([y_star]))[0])


def p_of(P0, y_star: int) -> float:
    """p = ``min_x P0(y*|x)`` over points with mass, the largest p Theorem 3.5 allows."""
    P0, _ = check_problem(P0, np.zeros(np.shape(P0)[0], dtype=int), y_star)
    return float(p_batch(P0[None], np.array([y_star]))[0])


def tau_of(P0, g, reading: str = "point") -> float:
    """τ = ``E_{x~P0} max_y |P0(y|x) - P0(y|g(x))|``, the label sensitivity of Section 3.2.

    ``reading="point"`` conditions on the point ``g(x)`` of ``X``; ``reading="summary"`` on
    the event ``g(X) = g(x)`` (see :func:`erasure_success`).
    """
    P0, g = check_problem(P0, g)
    check_choice("reading", reading, READINGS)
    if reading == "point":
        _check_point_reading(P0, g)
    return float(tau_batch(P0[None], g[None], reading)[0])


def rho_of(P0, g) -> float:
    """ρ = ``max_z P0(g^{-1}(z)) / P0(z)`` over the image of ``g`` (see :func:`rho_batch`)."""
    P0, g = check_problem(P0, g)
    return float(rho_batch(P0[None], g[None])[0])


def _check_point_reading(P0: np.ndarray, g: np.ndarray) -> None:
    mass = P0.sum(-1)
    bad = (mass > 0) & (mass[g] <= 0)
    if np.any(bad):
        raise ValueError(
            "under reading='point' the collective's label argmax_y P0(y | g(x)) needs P0(g(x)) > 0, "
            f"but g maps points {np.flatnonzero(bad).tolist()} to rows without mass; "
            "use reading='summary' or give those rows mass"
        )


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


def erasure_labels(P0, g, reading: str = "point") -> np.ndarray:
    """The collective's labels ``argmax_y P0(y | g(x))`` of the erasure strategy (Section 3.2)."""
    P0, g = check_problem(P0, g)
    check_choice("reading", reading, READINGS)
    if reading == "point":
        _check_point_reading(P0, g)
    return np.argmax(_summary_conditional(P0[None], g[None], reading)[0], axis=-1)


def erasure_mixture(P0, g, alpha: float, reading: str = "point") -> np.ndarray:
    """The firm's distribution under the erasure strategy ``h(x, y) = (x, argmax_y P0(y|g(x)))``."""
    P0, g = check_problem(P0, g)
    alpha = float(check_alpha(alpha))
    check_choice("reading", reading, READINGS)
    if reading == "point":
        _check_point_reading(P0, g)
    return _erasure_joint_batch(P0[None], g[None], np.array([alpha]), reading)[0][0]


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


def erasure_success(
    P0,
    g,
    alpha: float,
    *,
    eps: float = 0.0,
    reading: str = "point",
    perturbation: str = "tv",
    realizable: bool = False,
) -> float:
    """Exact success ``S(α) = Pr_{x~P0}[f(x) = f(g(x))]`` of the erasure strategy (Section 3.2).

    The collective labels each of its points ``argmax_y P0(y | g(x))``. ``reading="point"``
    (the default, under which Theorem 3.7 holds for idempotent ``g``) conditions on the point
    ``g(x)``; ``reading="summary"`` on the event ``g(X) = g(x)``. For ``eps > 0`` the firm is
    the worst ε-optimal classifier, found by enumerating all labelings of ``X`` within the
    adversary's budget: with ``realizable=False`` (default) the TV cost is the relaxed one
    (half the gap per point), which can only over-state the adversary, so the result is a
    lower bound on the true worst success (exact for two labels); ``realizable=True`` uses
    balanced per-point moves, a concrete ε-optimal classifier, so the result is an upper
    bound on it. Under contamination both coincide and are exact.
    """
    P0, g = check_problem(P0, g)
    alpha = float(check_alpha(alpha))
    eps = float(check_eps(eps))
    check_choice("reading", reading, READINGS)
    check_choice("perturbation", perturbation, PERTURBATIONS)
    if reading == "point":
        _check_point_reading(P0, g)
    return float(
        erasure_success_batch(
            P0[None], g[None], np.array([alpha]), np.array([eps]), reading, perturbation, realizable
        )[0]
    )
