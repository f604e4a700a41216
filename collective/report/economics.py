"""Figure 6 of the paper: the economics of joining a collective (Section 6)."""

from __future__ import annotations

import numpy as np

from collective.report import plots
from collective.theory.economics import SuccessCurve, joining_economics

__all__ = ["plot_joining", "plot_measured_joining"]


def plot_joining(curve: SuccessCurve, c: float, gamma: float, ax=None, color=None):
    """Figure 6: the success curve, the joining threshold ``S*``, ``alpha_crit`` and the shaded
    investment area ``B(alpha_crit)``. Returns the axes."""
    if ax is None:
        _, ax = plots.subplots(width=4.2, height=3.2)
    econ = joining_economics(curve, c, gamma)
    color = plots.PALETTE[0] if color is None else color
    grid = np.linspace(0, 1, 1001)
    ax.plot(grid, curve(grid), color=color, label=curve.label or "success $S(\\alpha)$")
    ax.axhline(
        econ.s_star,
        color=plots.COLORS["bound"],
        **plots.BOUND_STYLE,
        label=f"$S^* = c/(1-\\gamma) = {econ.s_star:.2f}$",
    )
    if econ.sustainable:
        a = np.linspace(0, econ.alpha_crit, 400)
        ax.fill_between(
            a,
            curve(a),
            econ.s_star,
            where=curve(a) < econ.s_star,
            color=color,
            alpha=0.25,
            label=f"$B(\\alpha_{{crit}}) = {econ.B:.3f}$",
        )
        ax.axvline(econ.alpha_crit, color="0.4", linewidth=1)
        ax.annotate(
            "$\\alpha_{crit}$",
            (econ.alpha_crit, 0.02),
            xytext=(4, 0),
            textcoords="offset points",
            color="0.3",
        )
    ax.set_xlabel("collective size $\\alpha$")
    ax.set_ylabel("success $S(\\alpha)$")
    ax.set_xlim(0, 1)
    return ax


def plot_measured_joining(
    curves: dict, targets, c: float, gamma: float, alpha_max: float, caption: str
):
    """Figure 6 from measured success curves, one panel per target (``curves``: target ->
    :class:`SuccessCurve`); a target without a curve gets a panel that says so. Returns the figure."""
    fig, axes = plots.subplots(1, len(targets), width=3.0, height=2.9, sharey=True, squeeze=False)
    for ax, target in zip(axes[0], targets):
        ax.set_title(target.replace("_", " "), fontsize="small")
        if target not in curves:
            ax.text(0.5, 0.5, "not yet computed", ha="center", va="center", transform=ax.transAxes)
            continue
        plot_joining(curves[target], c=c, gamma=gamma, ax=ax, color=plots.COLORS.get(target))
        e = joining_economics(curves[target], c, gamma)
        ax.set_xlim(0, alpha_max)
        plots.percent_axis(ax, "x", decimals=2)
        ax.set_title(
            f"{curves[target].label}\n$\\alpha_{{crit}}$ = {e.alpha_crit:.2%}", fontsize="small"
        )
        ax.legend(fontsize="xx-small", loc="lower right")
    plots.caption(fig, caption)
    return fig
