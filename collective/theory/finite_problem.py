"""A finite problem of Section 3: its validation and the array primitives the exact engine shares.

A finite problem is a base distribution ``P0`` given as a joint probability array of shape
``(|X|, |Y|)`` (rows: feature values, columns: labels), a signal map ``g`` given as an integer
array (``g[x]`` is the row of ``g(x)``) and, for planting, a target label ``y_star``. This
module checks such a problem, names the strategies and readings the engine knows, and holds
the batched primitives (leading axis B) that the problem parameters
(:mod:`collective.theory.problem_parameters`) and the exact success
(:mod:`collective.theory.exact_planting`, :mod:`collective.theory.exact_erasure`) are built
from: ``P(y|x)``, preimage masses and the collective's conditional ``P0(y | g(x))``.
"""

from __future__ import annotations

import numpy as np

__all__ = [
    "STRATEGIES",
    "READINGS",
    "check_problem",
    "check_point_reading",
    "signal_set",
    "is_idempotent",
]

STRATEGIES = ("feature-label", "feature-only")
#: How ``P0(y | g(x))`` in the erasure strategy is read: at the point ``g(x)`` of ``X``, or
#: given the summary ``g(X) = g(x)`` (all points with the same image).
READINGS = ("point", "summary")


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


def check_point_reading(P0: np.ndarray, g: np.ndarray) -> None:
    """Raise ``ValueError`` if the point reading of ``P0(y | g(x))`` is undefined somewhere.

    Under ``reading="point"`` every point with mass needs its image ``g(x)`` to carry mass too.
    """
    mass = P0.sum(-1)
    bad = (mass > 0) & (mass[g] <= 0)
    if np.any(bad):
        raise ValueError(
            "under reading='point' the collective's label argmax_y P0(y | g(x)) needs P0(g(x)) > 0, "
            f"but g maps points {np.flatnonzero(bad).tolist()} to rows without mass; "
            "use reading='summary' or give those rows mass"
        )


def signal_set(g) -> np.ndarray:
    """The signal set ``X* = {g(x) : x in X}`` as sorted row indices."""
    return np.unique(np.asarray(g, dtype=int))


def is_idempotent(g) -> bool:
    """Whether ``g(g(x)) = g(x)`` for all ``x`` (a summary that, applied twice, changes nothing)."""
    g = np.asarray(g, dtype=int)
    return bool(np.all(g[g] == g))


# ---------------------------------------------------------------------------------------------
# Batched primitives (leading axis B), shared by the parameters and the exact success
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
