"""The parameters of a finite problem that the bounds of Section 3 are stated in: ξ, Δ, p, τ, ρ.

ξ (Definition 3.2) and Δ (Section 3.1) enter Theorem 3.3, p Theorem 3.5, τ (Section 3.2)
Theorem 3.7, and ρ (not the paper's) the corrected ε-term of the erasure bound. Each is
computed exactly from the problem's arrays, once on a batch (``*_batch``, leading axis B, no
validation; used by the random-instance checks) and once on a single validated problem
(``*_of``).
"""

from __future__ import annotations

import numpy as np

from collective.theory.finite_problem import (
    READINGS,
    _conditional,
    _one_hot_g,
    _preimage_mass,
    _summary_conditional,
    check_point_reading,
    check_problem,
)
from collective.validation import check_choice

__all__ = [
    "xi_of",
    "delta_of",
    "p_of",
    "tau_of",
    "rho_of",
    "xi_batch",
    "delta_batch",
    "p_batch",
    "tau_batch",
    "rho_batch",
]


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
    the event ``g(X) = g(x)`` (see :func:`collective.theory.exact_erasure.erasure_success`).
    """
    P0, g = check_problem(P0, g)
    check_choice("reading", reading, READINGS)
    if reading == "point":
        check_point_reading(P0, g)
    return float(tau_batch(P0[None], g[None], reading)[0])


def rho_of(P0, g) -> float:
    """ρ = ``max_z P0(g^{-1}(z)) / P0(z)`` over the image of ``g`` (see :func:`rho_batch`)."""
    P0, g = check_problem(P0, g)
    return float(rho_batch(P0[None], g[None])[0])
