"""Why join a collective? The Olson-style model of Section 6 of the paper.

Joining costs each member ``c > 0``. A member of a collective of size alpha gets the
collective's success ``S(alpha)``; a non-member free-rides and gets ``gamma S(alpha)``,
``gamma`` in [0, 1]. Joining is individually rational when ``S(alpha) - c > gamma S(alpha)``,
i.e. when ``S(alpha)`` exceeds ``S* = c / (1 - gamma)`` (:func:`join_threshold`). The
critical mass for ``S*`` (Definition 2.1) is the threshold ``alpha_crit`` beyond which the
collective sustains itself.

A principal who recruits the first members one at a time must pay each the shortfall
``c - (1 - gamma) S(alpha) = (1 - gamma) (S* - S(alpha))`` at the current size alpha. The
area ``B(alpha_crit) = ∫_0^{alpha_crit} (S* - S(alpha))_+ d alpha`` between the threshold and
the success curve (Figure 6 of the paper) measures that investment in units of success; the
transfer itself is ``(1 - gamma) B``.

Success curves are :class:`SuccessCurve` objects: from a formula (:meth:`SuccessCurve.
from_function`, e.g. :func:`s_curve`) or from arrays of measured alpha and success
(:meth:`SuccessCurve.from_empirical`), which is the hook for the experiment chapters' cached
curves. Success must be on the same scale as ``c`` (e.g. a success rate in [0, 1]).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike

__all__ = [
    "SuccessCurve",
    "JoiningEconomics",
    "s_curve",
    "join_threshold",
    "critical_mass",
    "investment_area",
    "joining_economics",
    "plot_joining",
]


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
            raise ValueError(f"alpha is a fraction of the population; got values outside [0, 1]: {a.min()}, {a.max()}.")
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
        return np.interp(alpha, self.alpha, self.success)


def s_curve(alpha: ArrayLike, midpoint: float = 0.2, steepness: float = 25.0) -> np.ndarray:
    """A schematic S-shaped success curve with ``S(0) = 0`` and ``S(1) = 1`` (like Figure 6).

    A logistic in alpha, shifted and rescaled to pass through (0, 0) and (1, 1).
    """
    if not 0 < midpoint < 1 or not steepness > 0:
        raise ValueError(f"Need 0 < midpoint < 1 and steepness > 0, got {midpoint}, {steepness}.")
    a = np.asarray(alpha, dtype=float)
    sig = lambda t: 1.0 / (1.0 + np.exp(-steepness * (t - midpoint)))  # noqa: E731
    return (sig(a) - sig(0.0)) / (sig(1.0) - sig(0.0))


def join_threshold(c: float, gamma: float) -> float:
    """``S* = c / (1 - gamma)``: the success above which joining beats free-riding (Section 6).

    ``gamma = 1`` (free riders get everything) gives ``inf``: joining never pays.
    """
    if not (np.isfinite(c) and c > 0):
        raise ValueError(f"The cost of joining c must be a positive number, got {c}.")
    if not 0.0 <= gamma <= 1.0:
        raise ValueError(f"The free-riding share gamma must lie in [0, 1], got {gamma}.")
    return float("inf") if gamma == 1.0 else c / (1.0 - gamma)


def critical_mass(curve: SuccessCurve, s_star: float) -> float:
    """Definition 2.1: the smallest alpha with ``S(alpha) >= s_star`` (linear interpolation
    between the curve's points). ``nan`` if the curve never reaches ``s_star``."""
    a, s = curve.alpha, curve.success
    hit = np.nonzero(s >= s_star)[0]
    if len(hit) == 0:
        return float("nan")
    j = hit[0]
    if j == 0:
        return float(a[0])
    # S crosses s_star between a[j-1] (below) and a[j] (at or above)
    return float(a[j - 1] + (s_star - s[j - 1]) * (a[j] - a[j - 1]) / (s[j] - s[j - 1]))


def investment_area(curve: SuccessCurve, s_star: float, alpha_crit: float | None = None) -> float:
    """``B(alpha_crit) = ∫_0^{alpha_crit} (S* - S(alpha))_+ d alpha`` (Figure 6's shaded area).

    Exact for the piecewise-linear curve (trapezoid rule on its own knots plus alpha_crit).
    ``inf`` if the curve never reaches ``s_star``.
    """
    alpha_crit = critical_mass(curve, s_star) if alpha_crit is None else alpha_crit
    if not np.isfinite(alpha_crit):
        return float("inf")
    knots = np.concatenate([[0.0], curve.alpha[(curve.alpha > 0) & (curve.alpha < alpha_crit)], [alpha_crit]])
    gap = np.clip(s_star - curve(knots), 0.0, None)
    return float(np.sum(0.5 * (gap[1:] + gap[:-1]) * np.diff(knots)))


@dataclass(frozen=True)
class JoiningEconomics:
    """The model's quantities for one (curve, c, gamma): ``s_star``, ``alpha_crit``, the area
    ``B`` of Figure 6, and the principal's transfer ``payment = (1 - gamma) B``."""

    c: float
    gamma: float
    s_star: float
    alpha_crit: float
    B: float
    payment: float

    @property
    def sustainable(self) -> bool:
        """Whether some collective size makes joining rational (the curve reaches S*)."""
        return bool(np.isfinite(self.alpha_crit))


def joining_economics(curve: SuccessCurve, c: float, gamma: float) -> JoiningEconomics:
    """Section 6: threshold ``S*``, critical mass ``alpha_crit`` and investment ``B(alpha_crit)``."""
    s_star = join_threshold(c, gamma)
    a_crit = critical_mass(curve, s_star) if np.isfinite(s_star) else float("nan")
    B = investment_area(curve, s_star, a_crit)
    return JoiningEconomics(c, gamma, s_star, a_crit, B, (1 - gamma) * B if np.isfinite(B) else float("inf"))


def plot_joining(curve: SuccessCurve, c: float, gamma: float, ax=None, color=None):
    """Figure 6: the success curve, the joining threshold ``S*``, ``alpha_crit`` and the shaded
    investment area ``B(alpha_crit)``. Returns the axes."""
    from collective import plots

    if ax is None:
        _, ax = plots.subplots(width=4.2, height=3.2)
    econ = joining_economics(curve, c, gamma)
    color = plots.PALETTE[0] if color is None else color
    grid = np.linspace(0, 1, 1001)
    ax.plot(grid, curve(grid), color=color, label=curve.label or "success $S(\\alpha)$")
    ax.axhline(econ.s_star, color=plots.COLORS["bound"], **plots.BOUND_STYLE,
               label=f"$S^* = c/(1-\\gamma) = {econ.s_star:.2f}$")
    if econ.sustainable:
        a = np.linspace(0, econ.alpha_crit, 400)
        ax.fill_between(a, curve(a), econ.s_star, where=curve(a) < econ.s_star, color=color, alpha=0.25,
                        label=f"$B(\\alpha_{{crit}}) = {econ.B:.3f}$")
        ax.axvline(econ.alpha_crit, color="0.4", linewidth=1)
        ax.annotate("$\\alpha_{crit}$", (econ.alpha_crit, 0.02), xytext=(4, 0), textcoords="offset points",
                    color="0.3")
    ax.set_xlabel("collective size $\\alpha$")
    ax.set_ylabel("success $S(\\alpha)$")
    ax.set_xlim(0, 1)
    return ax
