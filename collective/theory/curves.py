"""Success curves and the critical mass read off them (Definition 2.1).

A success curve is what an experiment measures: success ``S`` at a few collective sizes
``alpha`` (one or several seeds each). :func:`critical_mass` reads Definition 2.1 off such a
curve: the smallest ``alpha`` at which the curve, linearly interpolated between the measured
means, reaches the level ``s_star``. This is the one definition every chapter uses: the
economics of Section 6, the resume experiments and the transformer runs (the bootstrap over
seeds lives in :mod:`collective.report.critical_mass`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike

__all__ = ["SuccessCurve", "critical_mass", "critical_mass_of_curve"]


def critical_mass(alpha: ArrayLike, success: ArrayLike, s_star: float) -> float:
    """Definition 2.1 on a measured curve: the smallest ``alpha`` with ``S(alpha) >= s_star``.

    ``alpha`` and ``success`` are paired arrays in any order; repeated ``alpha`` values (seeds)
    are averaged first. Between grid points the curve is linear, so the answer may lie between
    two measured sizes. ``nan`` if the curve never reaches ``s_star`` on the grid; the first
    grid point if it is reached there already.
    """
    s_star = float(s_star)
    if np.isnan(s_star):
        raise ValueError("s_star must be a number, got nan")
    a = np.asarray(alpha, dtype=float).ravel()
    s = np.asarray(success, dtype=float).ravel()
    if a.shape != s.shape or a.size == 0:
        raise ValueError(
            f"alpha and success must be non-empty arrays of one length, got {a.shape} and {s.shape}"
        )
    uniq, inv = np.unique(a, return_inverse=True)
    mean = np.bincount(inv, weights=s) / np.bincount(inv)
    above = np.flatnonzero(mean >= s_star)
    if len(above) == 0:
        return float("nan")
    j = above[0]
    if j == 0:
        return float(uniq[0])
    # the curve crosses s_star between uniq[j-1] (below) and uniq[j] (at or above)
    return float(
        uniq[j - 1] + (s_star - mean[j - 1]) * (uniq[j] - uniq[j - 1]) / (mean[j] - mean[j - 1])
    )


@dataclass(frozen=True)
class SuccessCurve:
    """A success curve ``S(alpha)`` on ``[0, 1]``, linearly interpolated between its points."""

    alpha: np.ndarray
    success: np.ndarray
    label: str = ""

    @classmethod
    def from_empirical(cls, alpha: ArrayLike, success: ArrayLike, label: str = "") -> SuccessCurve:
        """Build a curve from measured ``(alpha, success)`` pairs (any order; repeated alphas,
        e.g. several seeds, are averaged). This is the hook for cached experiment results."""
        a = np.asarray(alpha, dtype=float).ravel()
        s = np.asarray(success, dtype=float).ravel()
        if a.shape != s.shape or a.size < 2:
            raise ValueError(
                f"alpha and success must be arrays of the same length >= 2, got {a.shape} and {s.shape}."
            )
        if not (np.isfinite(a).all() and np.isfinite(s).all()):
            raise ValueError("alpha and success must be finite (drop failed runs first).")
        if a.min() < 0 or a.max() > 1:
            raise ValueError(
                f"alpha is a fraction of the population; got values outside [0, 1]: {a.min()}, {a.max()}."
            )
        uniq, inv = np.unique(a, return_inverse=True)
        if uniq.size < 2:
            raise ValueError("A success curve needs at least two distinct alpha values.")
        mean = np.bincount(inv, weights=s) / np.bincount(inv)
        return cls(uniq, mean, label)

    @classmethod
    def from_function(cls, f, n: int = 2001, label: str = "") -> SuccessCurve:
        """Tabulate a theoretical success curve ``f(alpha)`` on ``n`` points of [0, 1]."""
        a = np.linspace(0.0, 1.0, n)
        return cls.from_empirical(a, np.asarray(f(a), dtype=float), label)

    def __call__(self, alpha: ArrayLike) -> np.ndarray:
        return np.interp(np.asarray(alpha, dtype=float), self.alpha, self.success)


def critical_mass_of_curve(curve: SuccessCurve, s_star: float) -> float:
    """:func:`critical_mass` of a :class:`SuccessCurve`."""
    return critical_mass(curve.alpha, curve.success, s_star)
