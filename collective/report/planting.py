"""Figures of the planting theorems (Section 3 of {cite}`hardt2023algorithmic`) and of their
ε-terms (Lemma B.1), in the book's one style.

* :func:`plot_figure_1`: the paper's Figure 1, Theorem 3.3's bound over α (with the corrected
  ε-term);
* :func:`plot_feature_label_success`, :func:`plot_feature_only_success`: the exact success
  staircase of one finite problem against Theorems 3.3 and 3.5;
* :func:`plot_feature_label_check`, :func:`plot_feature_only_tightness`: the 10,000 random
  problems of :func:`collective.theory.checks.run_check`, bound against exact success;
* :func:`eps_violation_shares`, :func:`plot_eps_violations`: how often the printed
  ``ε/(1-ε)`` term of Theorems 3.3, 3.5 and 3.7 fails, by collective size.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from collective.report import plots
from collective.theory import corrected_feature_label_bound, feature_label_bound
from collective.theory.checks import VIOLATION_TOL, CheckResult

__all__ = [
    "EPS_BINS",
    "plot_figure_1",
    "plot_feature_label_success",
    "plot_feature_only_success",
    "plot_feature_label_check",
    "plot_feature_only_tightness",
    "eps_violation_shares",
    "plot_eps_violations",
]

#: Upper edges of the collective-size bins of :func:`eps_violation_shares` (after 0).
EPS_BINS = np.array([0, 1e-3, 1e-2, 0.05, 0.1, 0.2, 0.5, 0.999, 1.0])

_THEOREM_COLORS = {"3.3": "feature-label", "3.5": "feature-only", "3.7": "erasure"}


def plot_figure_1(
    xis: Sequence[float] = (0.001, 0.01, 0.05, 0.1, 0.2),
    eps_values: Sequence[float] = (0.0, 0.01, 0.05, 0.1),
    xi_fixed: float = 0.01,
    alpha: np.ndarray | None = None,
):
    """Figure 1 of the paper: Theorem 3.3's bound ``1 - (1-α)/α Δξ - ε/(1-ε)`` with ``Δ = 1``.

    Left: one curve per uniqueness ``ξ`` in ``xis`` at ε = 0; right: one curve per ε in
    ``eps_values`` at ``ξ = xi_fixed``, each ε > 0 with its corrected bound
    ``1 - (1-α)/α Δξ - 2ε/α`` (Lemma B.1) dashed. ``alpha`` defaults to 800 points evenly
    spaced on the log axis from 1e-3 to 1. Returns the figure."""
    alpha = np.geomspace(1e-3, 1, 800) if alpha is None else np.asarray(alpha)
    fig, (left, right) = plots.subplots(1, 2, width=3.6, height=3.0, sharey=True)
    for i, xi in enumerate(xis):
        left.plot(
            alpha, feature_label_bound(alpha, xi, 1.0), color=plots.PALETTE[i], label=rf"$\xi={xi}$"
        )
    left.set(
        title=r"$\epsilon = 0$, $\Delta = 1$",
        xlabel=r"collective size $\alpha$",
        ylabel="success bound",
        ylim=(0, 1.02),
        xscale="log",
    )
    left.legend(loc="lower right", fontsize="small")
    for i, eps in enumerate(eps_values):
        right.plot(
            alpha,
            feature_label_bound(alpha, xi_fixed, 1.0, eps),
            color=plots.PALETTE[i],
            label=rf"$\epsilon={eps}$",
        )
        if eps > 0:
            right.plot(
                alpha,
                corrected_feature_label_bound(alpha, xi_fixed, 1.0, eps),
                color=plots.PALETTE[i],
                **plots.BOUND_STYLE,
            )
    right.set(
        title=rf"$\xi = {xi_fixed}$, $\Delta = 1$ (dashed: corrected)",
        xlabel=r"collective size $\alpha$",
        xscale="log",
    )
    right.legend(loc="lower right", fontsize="small")
    for ax in (left, right):
        plots.percent_axis(ax, "y")
    return fig


def _exact_against_bounds(
    ax, df: pd.DataFrame, *, color, exact: str, theorem: str, corrected: bool
) -> None:
    """One panel of a success curve (:func:`collective.theory.checks.success_curve`): the
    exact staircase ``S``, the printed bound (dashed) and, if ``corrected``, the corrected
    bound (dotted)."""
    ax.step(df["alpha"], df["S"], where="post", color=color, label=exact)
    ax.plot(
        df["alpha"], df["paper"], color=plots.COLORS["bound"], **plots.BOUND_STYLE, label=theorem
    )
    if corrected:
        ax.plot(
            df["alpha"], df["corrected"], color=plots.PALETTE[3], linestyle=":", label="corrected"
        )


def plot_feature_label_success(curves: pd.DataFrame):
    """Exact worst-case success of one problem against Theorem 3.3, one panel per ε.

    ``curves``: :func:`collective.theory.checks.success_curve` frames for Theorem 3.3,
    concatenated over ε. Each panel draws the exact staircase ``S(α)``, the printed bound
    (dashed) and, for ε > 0, the corrected bound (dotted). Returns the figure."""
    groups = list(curves.groupby("eps"))
    fig, axes = plots.subplots(1, len(groups), width=2.8, height=2.8, sharey=True, squeeze=False)
    axes = axes[0]
    for ax, (eps, df) in zip(axes, groups):
        _exact_against_bounds(
            ax,
            df,
            color=plots.COLORS["feature-label"],
            exact="exact $S(\\alpha)$",
            theorem="Theorem 3.3",
            corrected=eps > 0,
        )
        ax.set(xscale="log", ylim=(-0.02, 1.02), title=rf"$\epsilon = {eps}$", xlabel=r"$\alpha$")
        plots.percent_axis(ax, "y")
    axes[0].set_ylabel("success")
    plots.legend_outside(axes[-1])
    return fig


def plot_feature_only_success(curves: Mapping[str, pd.DataFrame], eps_key: str):
    """Theorem 3.5 on one problem. Left (ε = 0): the exact staircases and the bounds of the
    ``"feature-label"`` and ``"feature-only"`` curves (Theorems 3.3 and 3.5); right: the
    feature-only curve ``curves[eps_key]`` at ε > 0 against the worst ε-optimal classifier,
    with the printed bound (dashed) and the corrected one ``1 - (1-p)ξ/(pα) - 2ε/(pα)`` (dotted).
    Returns the figure."""
    fig, (left, right) = plots.subplots(1, 2, width=3.5, height=3.0, sharey=True)
    for name in ("feature-label", "feature-only"):
        df = curves[name]
        color = plots.COLORS[name]
        left.step(df["alpha"], df["S"], where="post", color=color, label=f"exact, {name}")
        left.plot(
            df["alpha"], df["paper"], color=color, **plots.BOUND_STYLE, label=f"bound, {name}"
        )
    left.set(
        title=r"$\epsilon = 0$",
        xscale="log",
        xlabel=r"$\alpha$",
        ylabel="success",
        ylim=(-0.02, 1.02),
    )
    df = curves[eps_key]
    eps = float(df["eps"].iloc[0])
    _exact_against_bounds(
        right,
        df,
        color=plots.COLORS["feature-only"],
        exact="exact (worst classifier)",
        theorem="Theorem 3.5",
        corrected=True,
    )
    right.set(title=rf"feature-only, $\epsilon = {eps:g}$", xscale="log", xlabel=r"$\alpha$")
    for ax in (left, right):
        plots.percent_axis(ax, "y")
        ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.28), ncol=2, fontsize="x-small")
    return fig


def plot_feature_label_check(check: CheckResult):
    """Theorem 3.3 on the random problems of ``check``: exact success against the bound.

    Left: ε = 0 (every point on or above the diagonal); right: ε > 0 against the worst
    ε-optimal classifier in TV, with the paper's ε-term and the corrected one (Lemma B.1).
    Bounds are clipped at -5%. Returns the figure."""
    t = check.table
    fig, (left, right) = plots.subplots(1, 2, width=3.4, height=3.2, sharey=True)
    eps0 = t[t["eps"] == 0]
    left.scatter(
        eps0["paper"].clip(-0.05),
        eps0["S_eps0"],
        s=4,
        alpha=0.4,
        color=plots.COLORS["feature-label"],
    )
    left.set(title=r"$\epsilon = 0$: Theorem 3.3", xlabel="bound", ylabel="exact success")
    pos = t[t["eps"] > 0]
    for column, color, alpha, label in (
        ("paper", plots.PALETTE[3], 0.3, "paper's ε-term"),
        ("corrected_tv", plots.COLORS["feature-label"], 0.3, "corrected"),
    ):
        right.scatter(
            pos[column].clip(-0.05), pos["S_tv"], s=4, alpha=alpha, color=color, label=label
        )
    right.set(title=r"$\epsilon > 0$, worst classifier", xlabel="bound (clipped at -5%)")
    plots.legend_outside(right, markerscale=3)
    for ax in (left, right):
        ax.plot([-0.05, 1], [-0.05, 1], color=plots.COLORS["bound"], **plots.BOUND_STYLE)
        ax.set(xlim=(-0.06, 1.02), ylim=(-0.02, 1.02))
    return fig


def plot_feature_only_tightness(check: CheckResult):
    """Tightness of Theorem 3.5 at ε = 0: for each random problem whose bound says something
    (``0 <`` bound ``< 1``), the loss ratio ``(1 - S)/(1 - bound)`` against the positivity
    constant ``p``. A ratio above 1 would be a violation. Returns the figure."""
    t = check.table
    nonvacuous = t[(t["eps"] == 0) & (t["paper"] > 0) & (t["paper"] < 1 - 1e-3)]
    fig, ax = plots.subplots(width=4.5, height=3.2)
    ax.scatter(
        nonvacuous["p"],
        (1 - nonvacuous["S_eps0"]) / (1 - nonvacuous["paper"]),
        s=5,
        alpha=0.5,
        color=plots.COLORS["feature-only"],
    )
    ax.set(
        xlabel=r"positivity $p$",
        ylabel="realized loss / loss allowed by bound",
        title=r"Tightness of Theorem 3.5 ($\epsilon = 0$)",
        ylim=(-0.02, 1.02),
    )
    return fig


def eps_violation_shares(check: CheckResult, bins: np.ndarray = EPS_BINS) -> pd.Series:
    """Share of the instances of ``check`` with ε > 0 whose printed bound (ε-term
    ``ε/(1-ε)``, Theorems 3.3, 3.5, 3.7) exceeds the success against a concrete ε-optimal
    classifier in TV (``S_tv_real``) by more than ``VIOLATION_TOL``, per bin of α.

    Indexed by bin number ``k``: α in ``(bins[k], bins[k+1]]`` (bin 0 includes α = 0); only
    non-empty bins appear."""
    t = check.table[check.table["eps"] > 0].copy()
    t["bin"] = np.digitize(t["alpha"], bins[1:-1], right=True)
    violated = t["paper"] > t["S_tv_real"] + VIOLATION_TOL
    return violated.groupby(t["bin"]).mean().rename("v")


def plot_eps_violations(results: Sequence[CheckResult], bins: np.ndarray = EPS_BINS):
    """Lemma B.1's consequence for the theorems: per theorem in ``results``, the share of
    instances with ε > 0 that violate the printed ε-term, by collective size
    (:func:`eps_violation_shares`). Returns the figure."""
    fig, ax = plots.subplots(width=5.5, height=3.2)
    for r in results:
        share = eps_violation_shares(r, bins)
        color = plots.COLORS[_THEOREM_COLORS[r.theorem]]
        ax.plot(share.index, share.values, marker="o", color=color, label=f"Theorem {r.theorem}")
    labels = [f"≤{b:g}" for b in bins[1:-1]] + ["1"]
    ax.set_xticks(range(len(labels)), labels, rotation=30)
    ax.set(
        xlabel=r"collective size $\alpha$ (bin upper edge)",
        ylabel="share violated",
        ylim=(0, None),
        title=r"Printed $\epsilon/(1-\epsilon)$ term vs worst TV classifier",
    )
    plots.percent_axis(ax, "y")
    plots.legend_outside(ax)
    return fig
