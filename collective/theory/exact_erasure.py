"""Exact success of the erasure strategy (Section 3.2) against the worst (ε-)optimal firm.

Each member of the collective relabels her point ``argmax_y P0(y | g(x))`` (under the point
or the summary reading, :data:`~collective.theory.finite_problem.READINGS`), so that the
firm's classifier ``f`` treats ``x`` and ``g(x)`` alike; success is ``Pr[f(x) = f(g(x))]``.
With ``eps = 0`` the firm is Bayes-optimal on the mixture and a label that only ties for the
top counts against the collective; with ``eps > 0`` the worst ε-optimal classifier is found
by enumerating every labeling of ``X`` within the adversary's budget (exponential in ``|X|``,
so bounded by :data:`_MAX_LABELINGS`).
"""

from __future__ import annotations

import itertools

import numpy as np

from collective.theory.adversary import TIE_TOL, balanced_cost, gap_budget, relaxed_cost
from collective.theory.classification import PERTURBATIONS
from collective.theory.finite_problem import (
    READINGS,
    _summary_conditional,
    check_point_reading,
    check_problem,
)
from collective.validation import check_alpha, check_choice, check_eps

__all__ = ["erasure_labels", "erasure_mixture", "erasure_success", "erasure_success_batch"]

# Enumerating labelings for the ε-adversary of erasure is exponential; keep it bounded.
_MAX_LABELINGS = 200_000


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


def _bayes_success(P: np.ndarray, g: np.ndarray, weight: np.ndarray) -> np.ndarray:
    """Success against the Bayes-optimal firm on the mixture ``P`` (ties lost), per instance."""
    n = P.shape[1]
    # x succeeds iff x = g(x), or x and g(x) both have the same unique top label.
    top = P >= P.max(-1, keepdims=True) - TIE_TOL
    unique = top.sum(-1) == 1
    label = np.argmax(P, axis=-1)
    unique_g = np.take_along_axis(unique, g, axis=1)
    label_g = np.take_along_axis(label, g, axis=1)
    ok = (g == np.arange(n)) | (unique & unique_g & (label == label_g))
    return (weight * ok).sum(-1)


def _worst_labeling_success(
    P: np.ndarray,
    g: np.ndarray,
    weight: np.ndarray,
    eps: np.ndarray,
    perturbation: str,
    realizable: bool,
    chunk: int,
) -> np.ndarray:
    """Success against the worst labeling of all points within the adversary's ε budget."""
    B, n, m = P.shape
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
    B, _, _ = P0.shape  # a batch of (|X|, |Y|) problems
    alpha = np.broadcast_to(np.asarray(alpha, dtype=float), (B,))
    eps = np.broadcast_to(np.asarray(eps, dtype=float), (B,))
    P, _ = _erasure_joint_batch(P0, g, alpha, reading)
    weight = P0.sum(-1)
    if not np.any(eps > 0):
        return _bayes_success(P, g, weight)
    # ε > 0: the adversary picks a labeling of all points (exhaustive) within its budget.
    return _worst_labeling_success(P, g, weight, eps, perturbation, realizable, chunk)


def erasure_labels(P0, g, reading: str = "point") -> np.ndarray:
    """The collective's labels ``argmax_y P0(y | g(x))`` of the erasure strategy (Section 3.2)."""
    P0, g = check_problem(P0, g)
    check_choice("reading", reading, READINGS)
    if reading == "point":
        check_point_reading(P0, g)
    return np.argmax(_summary_conditional(P0[None], g[None], reading)[0], axis=-1)


def erasure_mixture(P0, g, alpha: float, reading: str = "point") -> np.ndarray:
    """The firm's distribution under the erasure strategy ``h(x, y) = (x, argmax_y P0(y|g(x)))``."""
    P0, g = check_problem(P0, g)
    alpha = float(check_alpha(alpha))
    check_choice("reading", reading, READINGS)
    if reading == "point":
        check_point_reading(P0, g)
    return _erasure_joint_batch(P0[None], g[None], np.array([alpha]), reading)[0][0]


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
        check_point_reading(P0, g)
    return float(
        erasure_success_batch(
            P0[None], g[None], np.array([alpha]), np.array([eps]), reading, perturbation, realizable
        )[0]
    )
