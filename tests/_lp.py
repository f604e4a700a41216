"""The tests' one linear programme over ε-perturbations of a finite distribution, the
independent reference the exact engine's adversaries are checked against."""

from __future__ import annotations

import numpy as np
from scipy.optimize import linprog


def perturbation_feasible(
    A: np.ndarray, P: np.ndarray, eps: float, model: str, *, keep_point_mass: bool = False
) -> bool:
    """Is there a distribution ``P'`` with ``A @ P'.ravel() <= 0`` within ``eps`` of ``P``?

    ``model="tv"``: ``P'`` in the total-variation ball (variables ``P'`` and ``u >= |P' - P|``,
    minimise TV = sum(u)/2); with ``keep_point_mass`` every row of ``P'`` keeps the mass of
    ``P``'s row (moves within points only). ``"contamination"``: ``P' = (1-ε)P + εQ``.
    """
    n, m = P.shape
    k = n * m
    if model == "contamination":
        res = linprog(
            np.zeros(k),
            A_ub=eps * A,
            b_ub=-(1 - eps) * A @ P.ravel() + 1e-12,
            A_eq=np.ones((1, k)),
            b_eq=[1.0],
            bounds=(0, None),
        )
        return res.status == 0
    eye = np.eye(k)
    A_ub = np.vstack(
        [np.hstack([A, np.zeros_like(A)]), np.hstack([eye, -eye]), np.hstack([-eye, -eye])]
    )
    b_ub = np.concatenate([np.zeros(len(A)), P.ravel(), -P.ravel()])
    if keep_point_mass:
        A_eq, b_eq = np.hstack([np.kron(np.eye(n), np.ones(m)), np.zeros((n, k))]), P.sum(1)
    else:
        A_eq, b_eq = np.r_[np.ones(k), np.zeros(k)][None], [1.0]
    res = linprog(
        np.r_[np.zeros(k), 0.5 * np.ones(k)],
        A_ub=A_ub,
        b_ub=b_ub,
        A_eq=A_eq,
        b_eq=b_eq,
        bounds=(0, None),
    )
    return res.status == 0 and res.fun <= eps + 1e-9
