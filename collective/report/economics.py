"""Figure 6 of the paper: the economics of joining a collective (Section 6)."""

from __future__ import annotations

import numpy as np

from collective.report import plots
from collective.theory.economics import SuccessCurve, joining_economics

__all__ = ["plot_joining"]


def plot_joining(curve: SuccessCurve, c: float, gamma: float, ax=None, color=None):
    """Figure 6: the success curve, the joining threshold ``S*``, ``alpha_crit`` and the shaded
    investment area ``B(alpha_crit)``. Returns the axes."""
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
