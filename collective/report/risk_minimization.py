"""Figures of the risk-minimizing firm (Section 4.1 of {cite}`hardt2023algorithmic`): the
gradient-neutralizing strategy of :mod:`collective.theory.risk` against an exact firm.

* :func:`firm_path`, :func:`plot_firm_path`: where the firm lands as the collective grows, with
  Theorem 4.2's bound and Corollary 4.3's critical mass;
* :func:`critical_mass_vs_pull`, :func:`plot_critical_mass_vs_pull`: the measured critical mass
  against the population's pull ``||g_{P0}(θ*)||`` and Corollary 4.3's curve;
* :func:`utility_gain_table`, :func:`plot_utility_gain`: Proposition 4.4's critical mass for a
  linear utility gain against the exact one.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
import sympy as sp

from collective.report import plots
from collective.theory import optimization as opt
from collective.theory.risk import (
    GLM,
    GradientNeutralizingStrategy,
    Sample,
    gradient_neutralizing_strategy,
    neutralizing_gradient_lower_bound,
    utility_target,
)

__all__ = [
    "firm_path",
    "plot_firm_path",
    "critical_mass_vs_pull",
    "plot_critical_mass_vs_pull",
    "utility_gain_table",
    "plot_utility_gain",
]


def firm_path(strategy: GradientNeutralizingStrategy, alphas: np.ndarray) -> pd.DataFrame:
    """The exact firm at each collective size: columns ``alpha``, ``theta1``, ``theta2``,
    ``distance`` ``||θ - θ*||``, ``mu`` (smallest Hessian eigenvalue of the mixture risk on the
    segment from θ to θ*) and ``bound``, Theorem 4.2's
    ``max((1-α)||g0|| - α||g'||, 0) / μ``."""
    thetas = np.array([strategy.firm(a) for a in alphas])
    ts = strategy.theta_star
    mus = [
        strategy.model.strong_convexity(strategy.mixture(a), th, ts)
        for a, th in zip(alphas, thetas)
    ]
    return pd.DataFrame(
        {
            "alpha": alphas,
            "theta1": thetas[:, 0],
            "theta2": thetas[:, 1],
            "distance": np.linalg.norm(thetas - ts, axis=1),
            "mu": mus,
            "bound": [strategy.theorem_4_2_bound(a, mu) for a, mu in zip(alphas, mus)],
        }
    )


def plot_firm_path(
    model: GLM,
    base: Sample,
    theta0: np.ndarray,
    strategies: Mapping[str, GradientNeutralizingStrategy],
    alphas: np.ndarray,
):
    """Left: the firm's models (:func:`firm_path`) over the contours of the base risk, from
    ``theta0`` towards the common target θ*; right: ``||θ - θ*||`` on a log scale with Theorem
    4.2's bound (dashed) and Corollary 4.3's ``α*`` (vertical line), one colour per variant of
    ``strategies``. Returns the figure."""
    theta_star = next(iter(strategies.values())).theta_star
    fig, (ax0, ax1) = plots.subplots(1, 2, width=3.9, height=3.4)
    t1 = np.linspace(theta0[0] - 0.5, theta_star[0] + 0.5, 80)
    t2 = np.linspace(theta0[1] - 0.5, theta_star[1] + 0.5, 80)
    risk = np.array([[model.risk(np.array([a, b]), base) for a in t1] for b in t2])
    ax0.contour(t1, t2, risk, levels=12, colors="0.75", linewidths=0.8)
    for v, s in strategies.items():
        path = firm_path(s, alphas)
        col = plots.COLORS[v]
        ax0.plot(path["theta1"], path["theta2"], "o-", ms=3, color=col, label=v)
        ax1.semilogy(
            alphas, np.maximum(path["distance"], 1e-16), "o-", ms=3, color=col, label=f"{v}: firm"
        )
        ax1.semilogy(
            alphas,
            np.maximum(path["bound"], 1e-16),
            color=col,
            **plots.BOUND_STYLE,
            label=f"{v}: Thm 4.2",
        )
        ax1.axvline(s.alpha_star, color=col, linewidth=0.8)
    ax0.plot(*theta0, "ks", label=r"$\theta_0$")
    ax0.plot(*theta_star, "k*", ms=12, label=r"$\theta^*$")
    ax0.set_xlabel(r"$\theta_1$")
    ax0.set_ylabel(r"$\theta_2$")
    ax0.legend(fontsize="small")
    ax1.set_xlabel(r"collective size $\alpha$")
    ax1.set_ylabel(r"$\|\theta - \theta^*\|$")
    ax1.set_ylim(1e-17, 3)
    ax1.legend(fontsize="x-small", loc="lower left")
    plots.caption(
        fig,
        "Exact logistic-regression firm; vertical lines: alpha* of Corollary 4.3. "
        "Distances below 1e-14 are rounding error.",
    )
    return fig


def critical_mass_vs_pull(
    model: GLM,
    base: Sample,
    *,
    directions: Sequence[float] = (0, 60, 120),
    distances: np.ndarray | None = None,
    feature_norm: float = 2.0,
    margin: float = 1.0,
    n_grid: int = 400,
) -> pd.DataFrame:
    """Corollary 4.3 with a fixed push ``||g'|| = R m`` (feature budget ``R = feature_norm``,
    label margin ``m``; linear regression): targets ``θ0 + t u`` for each direction ``u`` (in
    degrees) and distance ``t`` (default 25 from 0.05 to 2), θ0 the firm's fit on ``base``.

    Columns: ``direction``, ``g0`` ``||g_{P0}(θ*)||``, ``alpha_star`` (Corollary 4.3) and
    ``alpha_firm``, the smallest α on the grid ``k/n_grid`` at which the exact firm lands on θ*
    (within 1e-9; ``nan`` if none)."""
    distances = np.linspace(0.05, 2.0, 25) if distances is None else distances
    theta0 = model.fit(base)
    grid = np.linspace(0.0, 1.0, n_grid + 1)[1:]
    rows = []
    for deg in directions:
        phi = np.deg2rad(deg)
        direction = np.array([np.cos(phi), np.sin(phi)])
        for t in distances:
            s = gradient_neutralizing_strategy(
                model, base, theta0 + t * direction, feature_norm=feature_norm, margin=margin
            )
            landed = (a for a in grid if np.linalg.norm(s.firm(a) - s.theta_star) < 1e-9)
            rows.append(
                {
                    "direction": deg,
                    "g0": np.linalg.norm(s.g0),
                    "alpha_star": s.alpha_star,
                    "alpha_firm": next(landed, np.nan),
                }
            )
    table = pd.DataFrame(rows)
    table.attrs.update(family=model.family, feature_norm=feature_norm, margin=margin, n_grid=n_grid)
    return table


def plot_critical_mass_vs_pull(table: pd.DataFrame, alpha_star_expr: sp.Expr | None = None):
    """The measured critical mass of :func:`critical_mass_vs_pull` (points, one colour per
    direction) against ``||g_{P0}(θ*)||``, and Corollary 4.3's ``α* = ||g0|| / (||g'|| + ||g0||)``
    at ``||g'|| = R m`` (dashed, ``R``, ``m`` from ``table.attrs``), evaluated from the sympy solution ``alpha_star_expr``
    (default: :func:`collective.theory.optimization.derivations`). Returns the figure."""
    if alpha_star_expr is None:
        alpha_star_expr = opt.derivations()["alpha_star"]
    R, m, n_grid = (table.attrs[k] for k in ("feature_norm", "margin", "n_grid"))
    fig, ax = plots.subplots(width=4.6, height=3.2)
    for k, (deg, rows) in enumerate(table.groupby("direction", sort=False)):
        ax.plot(
            rows["g0"],
            rows["alpha_firm"],
            "o",
            ms=4,
            color=plots.PALETTE[k],
            label=f"direction {float(deg):.0f}°: firm",
        )
    gg = np.linspace(0, ax.get_xlim()[1], 100)
    sym = {x.name: x for x in alpha_star_expr.free_symbols}
    alpha_star_of = sp.lambdify((sym["g0"], sym["gp"]), alpha_star_expr)
    ax.plot(
        gg,
        alpha_star_of(gg, R * m),
        color=plots.COLORS["bound"],
        **plots.BOUND_STYLE,
        label="Corollary 4.3",
    )
    ax.set_xlabel(r"$\|g_{P_0}(\theta^*)\|$")
    ax.set_ylabel(r"critical mass $\alpha^*$")
    plots.legend_outside(ax, fontsize="small")
    plots.caption(
        fig,
        f"{table.attrs['family'].capitalize()} regression, feature budget R = {R:g}, margin {m:g}; points: smallest alpha on a "
        f"grid of step 1/{n_grid} at which the exact firm lands on theta*.",
    )
    return fig


def utility_gain_table(
    model: GLM,
    base: Sample,
    theta0: np.ndarray,
    v: np.ndarray,
    gains: np.ndarray,
    *,
    feature_norm: float = 3.0,
    n_samples: int = 40,
) -> pd.DataFrame:
    """Proposition 4.4 for the linear utility ``u(θ) = θᵀv``: for each gain ``U``, the target
    ``θ* = θ0 + vU/||v||²``, its exact critical mass ``alpha_star`` (Corollary 4.3), the
    proposition's ``bound`` ``βU / (g_lb ||v|| + βU)`` (β the loss's smoothness on ``base``,
    ``g_lb`` the weakest neutralizing push within ``U/||v||`` of θ0, from ``n_samples``
    points), and ``gain_at_bound``, the utility gain of the exact firm at that bound."""
    beta = model.smoothness(base)
    nv = float(np.linalg.norm(v))
    rows = []
    for U in gains:
        g_lb = neutralizing_gradient_lower_bound(
            model, base, theta0, U / nv, n_samples=n_samples, feature_norm=feature_norm
        )
        bound = opt.utility_gain_critical_mass(U, nv, beta, g_lb)
        s = gradient_neutralizing_strategy(
            model, base, utility_target(theta0, v, U), feature_norm=feature_norm
        )
        gain = (s.firm(bound) - theta0) @ v
        rows.append({"U": U, "alpha_star": s.alpha_star, "bound": bound, "gain_at_bound": gain})
    return pd.DataFrame(rows)


def plot_utility_gain(
    model: GLM,
    base: Sample,
    theta0: np.ndarray,
    v: np.ndarray,
    table: pd.DataFrame,
    U: float = 1.0,
    *,
    feature_norm: float = 3.0,
    n_samples: int = 40,
):
    """Left: :func:`utility_gain_table`'s exact ``α*`` and Proposition 4.4's bound against the
    gain ``U``; right: for the one gain ``U``, the gain ``(θ(α) - θ0)ᵀv`` the firm delivers as the
    collective grows, with ``α*`` and the bound as vertical lines. Returns the figure."""
    fig, (ax0, ax1) = plots.subplots(1, 2, width=3.4, height=3.0)
    color = plots.COLORS["feature-label"]
    ax0.plot(
        table["U"],
        table["alpha_star"],
        "o-",
        ms=4,
        color=color,
        label=r"exact $\alpha^*$ (Cor. 4.3)",
    )
    ax0.plot(
        table["U"],
        table["bound"],
        color=plots.COLORS["bound"],
        **plots.BOUND_STYLE,
        label="Prop. 4.4 bound",
    )
    ax0.set_xlabel("utility gain $U$")
    ax0.set_ylabel(r"collective size $\alpha$")
    ax0.legend(fontsize="small")
    s = gradient_neutralizing_strategy(
        model, base, utility_target(theta0, v, U), feature_norm=feature_norm
    )
    grid = np.linspace(0, 1, 101)
    ax1.plot(grid, [(s.firm(a) - theta0) @ v for a in grid], color=color, label="firm's gain")
    ax1.axhline(U, color="0.3", linewidth=0.8)
    ax1.axvline(s.alpha_star, color=color, linewidth=0.8, label=r"$\alpha^*$")
    nv = float(np.linalg.norm(v))
    g_lb = neutralizing_gradient_lower_bound(
        model, base, theta0, U / nv, n_samples=n_samples, feature_norm=feature_norm
    )
    bound = opt.utility_gain_critical_mass(U, nv, model.smoothness(base), g_lb)
    ax1.axvline(bound, color=plots.COLORS["bound"], **plots.BOUND_STYLE, label="Prop. 4.4")
    ax1.set_xlabel(r"collective size $\alpha$")
    ax1.set_ylabel(r"$u(\theta) - u(\theta_0)$")
    ax1.legend(fontsize="small")
    v_text = ", ".join(f"{x:g}" for x in v)
    plots.caption(
        fig,
        f"{model.family.capitalize()} regression, u(theta) = theta^T v with v = ({v_text}), feature budget "
        f"R = {feature_norm:g}; right: target gain U = {U:g}.",
    )
    return fig
