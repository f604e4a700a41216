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

from collective.theory.curves import SuccessCurve, critical_mass_of_curve

__all__ = [
    "SuccessCurve",
    "JoiningEconomics",
    "s_curve",
    "join_threshold",
    "investment_area",
    "joining_economics",
]


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


def investment_area(curve: SuccessCurve, s_star: float, alpha_crit: float | None = None) -> float:
    """``B(alpha_crit) = ∫_0^{alpha_crit} (S* - S(alpha))_+ d alpha`` (Figure 6's shaded area).

    Exact for the piecewise-linear curve (trapezoid rule on its own knots plus alpha_crit).
    ``inf`` if the curve never reaches ``s_star``.
    """
    alpha_crit = critical_mass_of_curve(curve, s_star) if alpha_crit is None else alpha_crit
    if not np.isfinite(alpha_crit):
        return float("inf")
    knots = np.concatenate(
        [[0.0], curve.alpha[(curve.alpha > 0) & (curve.alpha < alpha_crit)], [alpha_crit]]
    )
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
    a_crit = critical_mass_of_curve(curve, s_star) if np.isfinite(s_star) else float("nan")
    B = investment_area(curve, s_star, a_crit)
    return JoiningEconomics(
        c, gamma, s_star, a_crit, B, (1 - gamma) * B if np.isfinite(B) else float("inf")
    )
