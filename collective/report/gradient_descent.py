"""Figures of the gradient-descent firm (Section 4.2 of {cite}`hardt2023algorithmic`): the
adaptive gradient-control strategy of :mod:`collective.theory.gradient` on a sigmoid neuron.

* :func:`gradient_control_runs`: gradient descent steered towards each target, for each α;
* :func:`plot_trajectories`, :func:`describe_runs`: the trajectories over ``||g_{P0}(θ)||``;
* :func:`plot_geometric_rate`: the distance to θ* against Theorem 4.5's
  ``(1 - ηαc)^t ||θ0 - θ*||``, and the rate ``C(α) = αc``;
* :func:`hard_targets`, :func:`plot_hard_targets`, :func:`rank_correlation`: the smallest
  collective for which a redirecting point exists all along the path (Theorem 4.5's assumption)
  against the largest population gradient on it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from collective.report import plots
from collective.theory import optimization as opt
from collective.theory.gradient import (
    GradientControlCollective,
    NeuronModel,
    Trajectory,
    gradient_descent,
    minimal_feasible_alpha,
)
from collective.theory.weighted_sample import Sample

__all__ = [
    "GradientControlRuns",
    "gradient_control_runs",
    "plot_trajectories",
    "describe_runs",
    "plot_geometric_rate",
    "hard_targets",
    "plot_hard_targets",
    "rank_correlation",
]


@dataclass
class GradientControlRuns:
    """Gradient descent from ``theta0`` with step ``eta`` for ``T`` steps on ``base``, steered
    towards each of ``targets`` (name -> θ*) by collectives of each size in ``alphas``;
    ``trajectories[name, alpha]`` is the :class:`~collective.theory.gradient.Trajectory`."""

    model: NeuronModel
    base: Sample
    theta0: np.ndarray
    eta: float
    T: int
    targets: dict[str, np.ndarray]
    alphas: list[float]
    trajectories: dict[tuple[str, float], Trajectory]


def gradient_control_runs(
    model: NeuronModel,
    base: Sample,
    theta0: np.ndarray,
    targets: Mapping[str, np.ndarray],
    alphas: Sequence[float],
    eta: float,
    T: int,
    *,
    on_infeasible: str = "raise",
) -> GradientControlRuns:
    """Run :func:`~collective.theory.gradient.gradient_descent` with a
    :class:`~collective.theory.gradient.GradientControlCollective` for every target and α
    (``on_infeasible``: ``"stop"`` ends a run where no redirecting point exists)."""
    trajectories = {}
    for name, ts in targets.items():
        for alpha in alphas:
            col = GradientControlCollective(model, base, ts, alpha, eta)
            trajectories[name, alpha] = gradient_descent(
                model, base, theta0, eta, T, col, on_infeasible=on_infeasible
            )
    return GradientControlRuns(
        model, base, np.asarray(theta0), eta, T, dict(targets), list(alphas), trajectories
    )


def plot_trajectories(runs: GradientControlRuns, t_mark: int = 40):
    """The trajectories of ``runs`` over ``||g_{P0}(θ)||`` (grey) and the contours of the base
    risk (white): straight lines towards θ*, as the proof of Theorem 4.5 predicts. A dot marks
    where each firm is after ``t_mark`` steps (one colour per α), a cross where no redirecting
    point existed. Returns the figure."""
    model, base = runs.model, runs.base
    t1, t2 = np.linspace(-3, 4, 141), np.linspace(-2, 4, 121)
    gnorm = np.array(
        [[np.linalg.norm(model.gradient(np.array([a, b]), base)) for a in t1] for b in t2]
    )
    fig, ax = plots.subplots(width=5.6, height=4.2)
    im = ax.pcolormesh(t1, t2, gnorm, cmap="Greys", shading="auto", alpha=0.8)
    fig.colorbar(im, ax=ax, label=r"$\|g_{P_0}(\theta)\|$")
    ax.contour(t1, t2, model.risk_grid(base, t1, t2), levels=10, colors="white", linewidths=0.5)
    first = next(iter(runs.targets))
    for (name, alpha), traj in runs.trajectories.items():
        color = plots.PALETTE[runs.alphas.index(alpha)]
        ax.plot(traj.thetas[:, 0], traj.thetas[:, 1], "-", lw=1.0, color="0.2")
        ax.plot(
            *traj.thetas[min(t_mark, len(traj.thetas) - 1)],
            "o",
            ms=7,
            color=color,
            mec="white",
            label=rf"$\alpha = {alpha}$, step {t_mark}" if name == first else None,
        )
        if traj.stopped_at is not None:
            ax.plot(*traj.thetas[-1], "x", color=color, ms=9, mew=2.5)
    ax.plot(*runs.theta0, "ks", label=r"$\theta_0$")
    for name, ts in runs.targets.items():
        ax.plot(*ts, "*", color="black", ms=13)
        ax.annotate(f"{name} target", ts, xytext=(6, 4), textcoords="offset points")
    ax.set_xlabel(r"$\theta_1$")
    ax.set_ylabel(r"$\theta_2$")
    plots.legend_outside(ax, fontsize="small")
    plots.caption(
        fig,
        f"Gradient descent (eta = {runs.eta}, {runs.T} steps) on a sigmoid neuron with squared "
        "loss; x: no redirecting point exists there (the collective is too small).",
    )
    return fig


def describe_runs(runs: GradientControlRuns) -> str:
    """One line per run: the distance to its target at the start and at the end, and the step
    at which no redirecting point existed, if any."""
    lines = []
    for (name, alpha), traj in runs.trajectories.items():
        d = traj.distances(runs.targets[name])
        stop = (
            "" if traj.stopped_at is None else f", no redirecting point at step {traj.stopped_at}"
        )
        lines.append(f"{name:4s} alpha={alpha}: distance {d[0]:.2f} -> {d[-1]:.2e}{stop}")
    return "\n".join(lines)


def plot_geometric_rate(runs: GradientControlRuns, target: str):
    """Theorem 4.5 on the runs towards ``target``. Left: ``||θ_t - θ*||`` on a log scale with
    the guarantee ``(1 - ηαc)^t ||θ0 - θ*||`` (dashed), ``c`` the smallest ξ the collective
    used on the way; right: the rate ``C(α) = αc``. Returns the figure."""
    fig, (ax0, ax1) = plots.subplots(1, 2, width=3.6, height=3.2)
    C = []
    t = np.arange(runs.T + 1)
    for k, alpha in enumerate(runs.alphas):
        traj = runs.trajectories[target, alpha]
        dist = traj.distances(runs.targets[target])
        c = traj.xis.min()
        C.append(alpha * c)
        ax0.semilogy(t, dist, color=plots.PALETTE[k], label=rf"$\alpha={alpha}$")
        bound = -opt.gradient_control_success_bound(alpha, runs.eta, c, t, dist[0])
        ax0.semilogy(t, bound, color=plots.PALETTE[k], **plots.BOUND_STYLE)
    ax0.set_xlabel("step $t$")
    ax0.set_ylabel(r"$\|\theta_t - \theta^*\|$")
    ax0.set_ylim(1e-12, 10)
    ax0.legend(fontsize="x-small", ncol=2)
    ax1.plot(runs.alphas, C, "o-", color=plots.COLORS["bound"])
    ax1.set_xlabel(r"collective size $\alpha$")
    ax1.set_ylabel(r"$C(\alpha) = \alpha c$")
    plots.caption(
        fig,
        f"{target.capitalize()} target; dashed: Theorem 4.5's bound with c = min xi along the path.",
    )
    return fig


def hard_targets(
    model: NeuronModel,
    base: Sample,
    theta0: np.ndarray,
    eta: float,
    *,
    radius: float = 4.0,
    directions: Sequence[float] = tuple(range(0, 360, 30)),
    n: int = 31,
    tol: float = 5e-3,
) -> pd.DataFrame:
    """Targets at distance ``radius`` from θ0 in each direction (degrees). Columns:
    ``direction``, ``gmax``, the largest ``||g_{P0}||`` on the straight path (41 points), and
    ``alpha_min``, the smallest α for which a redirecting point exists all along it
    (:func:`~collective.theory.gradient.minimal_feasible_alpha` with ``n`` points, to ``tol``)."""
    rows = []
    for phi in np.deg2rad(np.asarray(directions, dtype=float)):
        ts = theta0 + radius * np.array([np.cos(phi), np.sin(phi)])
        gmax = max(
            np.linalg.norm(model.gradient(lam * theta0 + (1 - lam) * ts, base))
            for lam in np.linspace(0, 1, 41)
        )
        amin = minimal_feasible_alpha(model, base, theta0, ts, eta, n=n, tol=tol)
        rows.append({"direction": np.rad2deg(phi), "gmax": gmax, "alpha_min": amin})
    table = pd.DataFrame(rows)
    table.attrs["radius"] = radius
    return table


def rank_correlation(table: pd.DataFrame) -> float:
    """Spearman's rank correlation (no ties) between ``gmax`` and ``alpha_min`` of
    :func:`hard_targets`."""
    x, y = (
        np.argsort(np.argsort(table[c].to_numpy())).astype(float) for c in ("gmax", "alpha_min")
    )
    return float(np.corrcoef(x, y)[0, 1])


def plot_hard_targets(table: pd.DataFrame, feature_bound: float = 3.0):
    """The smallest feasible α of :func:`hard_targets` against the largest population gradient
    on the path, coloured by direction. Returns the figure."""
    fig, ax = plots.subplots(width=4.4, height=3.2)
    sc = ax.scatter(table["gmax"], table["alpha_min"], c=table["direction"], cmap="twilight", s=30)
    fig.colorbar(sc, ax=ax, label="direction (degrees)")
    ax.set_xlabel(r"largest $\|g_{P_0}\|$ on the path")
    ax.set_ylabel(r"smallest feasible $\alpha$")
    plots.caption(
        fig,
        f"Targets at distance {table.attrs.get('radius', 4.0):g} from theta0; features bounded "
        f"by R = {feature_bound:g}, labels in [0, 1].",
    )
    return fig
