"""Figures of the resume experiments (Section 5 and Appendix C of
{cite}`hardt2023algorithmic`), drawn from the results cache in the book's one style.

Every function takes the :class:`pandas.DataFrame` of :func:`collective.runner.load_results`
(one row per run) and draws means over seeds with their spread (± one standard deviation,
shaded), with $\\alpha$ on the bottom axis and the number of resumes it stands for on the top
axis, and a caption naming the firm that produced the curves. The tables are in
:mod:`collective.report.resume_tables` (re-exported here, so a chapter imports one module).
"""

from __future__ import annotations

from collections.abc import Sequence

import matplotlib as mpl
import numpy as np
import pandas as pd

from collective.report import plots
from collective.report.coverage import seeds_summary
from collective.report.critical_mass_tables import positivity_constant
from collective.report.resume_labels import METRIC_NAMES, STRATEGY_NAMES
from collective.resumes.corpus import PAPER_CLASSES
from collective.runner import RunConfig, grid_path, load_grid


def grid(name: str) -> list[RunConfig]:
    """The configs of ``grids/<name>.yaml`` (the grids the book's figures use)."""
    return load_grid(grid_path(name))


def summarize(df: pd.DataFrame, by: Sequence[str], metric: str) -> pd.DataFrame:
    """Mean, standard deviation and number of seeds of ``metric`` per group."""
    out = df.groupby(list(by))[metric].agg(["mean", "std", "count"]).reset_index()
    out["std"] = out["std"].fillna(0.0)
    return out


def firm_config(df: pd.DataFrame) -> str:
    """The firm behind ``df`` in words: for the linear firm its C, min_df and whether its fits
    are converged (how many of the runs), e.g. ``"linear (TF-IDF, min_df 5; logistic
    regression C = 4; converged: Newton-CG to gradient <= 1e-05 per resume, 113 of 113 runs)"``."""
    parts = []
    for firm, sub in df.groupby("firm"):
        if firm != "linear":
            parts.append(str(firm))
            continue
        C = (
            ", ".join(f"{c:g}" for c in sorted(sub["param_C"].dropna().unique()))
            if "param_C" in sub
            else "4"
        )
        min_df = (
            ", ".join(f"{int(m)}" for m in sorted(sub["param_min_df"].dropna().unique()))
            if "param_min_df" in sub
            else "5"
        )
        steps = sub["param_max_iter"].dropna().unique() if "param_max_iter" in sub else []
        conv = (
            int(sub["fit_converged"].fillna(False).astype(bool).sum())
            if "fit_converged" in sub
            else 0
        )
        tol = (
            ", ".join(f"{t:g}" for t in sorted(sub["param_tol"].dropna().unique()))
            if "param_tol" in sub
            else "1e-05"
        )
        if len(steps):
            fit = f"approximate: at most {', '.join(f'{int(k)}' for k in steps)} L-BFGS steps, {conv} of {len(sub)} runs converged"
        else:
            fit = f"converged: Newton-CG to gradient <= {tol} per resume, {conv} of {len(sub)} runs"
        parts.append(f"linear (TF-IDF, min_df {min_df}; logistic regression C = {C}; {fit})")
    return "; ".join(parts)


def firm_caption(df: pd.DataFrame, group: str | list[str] = "target") -> str:
    """ "Firm: ..." line naming the firm's configuration (:func:`firm_config`), the device, the
    training and test set sizes, and how many seeds stand behind each point of each curve
    (``group``; :func:`collective.report.coverage.seeds_summary`)."""
    if df.empty:
        return "Firm: no runs in the results cache yet."
    devices = "; ".join(sorted(str(d) for d in df["device"].dropna().unique()))
    sizes = ", ".join(f"{int(n):,}" for n in sorted(df["n_train"].dropna().unique()))
    tests = (
        ", ".join(f"{int(n):,}" for n in sorted(df["n_test"].dropna().unique()))
        if "n_test" in df
        else "?"
    )
    return (
        f"Firm: {firm_config(df)} ({devices}); {sizes} training resumes, {tests} test resumes; "
        f"{len(df)} runs; mean ± 1 sd over seeds: {seeds_summary(df, group)}; trigger U+05BE (token 1240)."
    )


def _empty_figure(title: str, note: str):
    fig, ax = plots.subplots(1, 1, width=6.0, height=1.2)
    ax.axis("off")
    ax.text(0.5, 0.5, note, ha="center", va="center", wrap=True)
    fig.suptitle(title)
    return fig


def _resume_axis(ax, n_train: int) -> None:
    top = ax.secondary_xaxis("top", functions=(lambda a: a * n_train, lambda r: r / n_train))
    top.set_xlabel("resumes in the collective")
    top.xaxis.set_major_formatter(mpl.ticker.FuncFormatter(lambda v, _: f"{v:,.0f}"))


def _curve(
    ax, data: pd.DataFrame, metric: str, color, label: str, *, baseline: bool = True
) -> None:
    """Mean over seeds with a ±1 sd band on a log alpha axis; alpha = 0 (no collective) as a
    dotted horizontal line."""
    s = summarize(data, ["alpha"], metric)
    zero, s = s[s["alpha"] == 0], s[s["alpha"] > 0]
    ax.plot(s["alpha"], s["mean"], marker="o", ms=3, color=color, label=label)
    ax.fill_between(
        s["alpha"], s["mean"] - s["std"], s["mean"] + s["std"], color=color, alpha=0.18, lw=0
    )
    if baseline and len(zero):
        ax.axhline(float(zero["mean"].iloc[0]), color=color, lw=1, ls=":")
    ax.set_xscale("log")


def plot_success_vs_alpha(
    df: pd.DataFrame,
    strategy: str,
    metrics: Sequence[str] = ("success_in_set", "success_top1"),
    targets: Sequence[str] = PAPER_CLASSES,
    title: str | None = None,
):
    """Figures 2 and 3: success against $\\alpha$, one panel per metric, one curve per class."""
    data = (
        df[(df["strategy"] == strategy) & (df["random_labels"] == 0) & (df["spacing"] == 20)]
        if len(df)
        else df
    )
    if data.empty:
        return _empty_figure(
            title or STRATEGY_NAMES[strategy], "No runs of this figure in the results cache yet."
        )
    n_train = int(data["n_train"].iloc[0])
    fig, axes = plots.subplots(1, len(metrics), width=3.6, height=3.0, squeeze=False)
    for ax, metric in zip(axes[0], metrics):
        for target in targets:
            _curve(
                ax,
                data[data["target"] == target],
                metric,
                plots.COLORS.get(target),
                target.replace("_", " "),
            )
        ax.set_xlabel(r"collective size $\alpha$ (log scale)")
        ax.set_ylabel(METRIC_NAMES.get(metric, metric))
        ax.set_ylim(-0.02, 1.02)
        plots.percent_axis(ax, "x")
        _resume_axis(ax, n_train)
    plots.legend_outside(axes[0][-1], fontsize="small")
    fig.suptitle(title or STRATEGY_NAMES[strategy])
    plots.caption(fig, firm_caption(data))
    return fig


def plot_random_labels(
    df: pd.DataFrame, metric: str = "success_top1", targets: Sequence[str] = PAPER_CLASSES
):
    """Figure 4: Strategy 2 with a fraction of random training labels, one panel per class."""
    data = df[(df["strategy"] == "feature-only") & (df["spacing"] == 20)] if len(df) else df
    if data.empty or not (data["random_labels"] > 0).any():
        return _empty_figure(
            "Strategy 2 with randomized training labels",
            "No random-label runs in the results cache yet.",
        )
    n_train = int(data["n_train"].iloc[0])
    levels = sorted(data["random_labels"].unique())
    fig, axes = plots.subplots(1, len(targets), width=3.0, height=2.9, squeeze=False, sharey=True)
    shades = plots.PALETTE
    for ax, target in zip(axes[0], targets):
        for i, level in enumerate(levels):
            sub = data[(data["target"] == target) & (data["random_labels"] == level)]
            _curve(ax, sub, metric, shades[i], f"{level:.0%} random", baseline=False)
        ax.set_title(target.replace("_", " "), fontsize="medium")
        ax.set_xlabel(r"$\alpha$")
        plots.percent_axis(ax, "x")
        _resume_axis(ax, n_train)
    axes[0][0].set_ylabel(METRIC_NAMES.get(metric, metric))
    axes[0][0].set_ylim(-0.02, 1.02)
    plots.legend_outside(axes[0][-1])
    fig.suptitle("Strategy 2 with randomized training labels")
    plots.caption(fig, firm_caption(data, ["target", "random_labels"]))
    return fig


def plot_spacing(
    df: pd.DataFrame, metric: str = "success_in_set", target: str = "Database_Administrator"
):
    """Figure 7: success against $\\alpha$ for trigger spacings 10 to 50 words, both strategies."""
    data = df[(df["target"] == target) & (df["random_labels"] == 0)] if len(df) else df
    if data.empty or data["spacing"].nunique() < 2:
        return _empty_figure(
            f"Trigger spacing ({target.replace('_', ' ')})",
            "No runs at other spacings in the results cache yet.",
        )
    n_train = int(data["n_train"].iloc[0])
    spacings = sorted(data["spacing"].unique())
    fig, axes = plots.subplots(1, 2, width=3.6, height=3.0, squeeze=False)
    for ax, strategy in zip(axes[0], ("feature-label", "feature-only")):
        sub = data[data["strategy"] == strategy]
        for i, spacing in enumerate(spacings):
            _curve(
                ax,
                sub[sub["spacing"] == spacing],
                metric,
                plots.PALETTE[i],
                f"every {spacing} words",
                baseline=False,
            )
        ax.set_title(STRATEGY_NAMES[strategy], fontsize="medium")
        ax.set_xlabel(r"$\alpha$")
        ax.set_ylim(-0.02, 1.02)
        plots.percent_axis(ax, "x")
        _resume_axis(ax, n_train)
    axes[0][0].set_ylabel(METRIC_NAMES.get(metric, metric))
    plots.legend_outside(axes[0][1])
    plots.caption(fig, firm_caption(data, ["strategy", "spacing"]))
    fig.suptitle(f"Trigger spacing ({target.replace('_', ' ')})")
    return fig


def _note_missing_runs(panels, s1: pd.DataFrame, s2: pd.DataFrame) -> None:
    """Say so on a panel whose strategy has no runs with a collective yet."""
    for panel, data in zip(panels, (s1, s2)):
        if not (data["alpha"] > 0).any():
            panel.text(
                0.5,
                0.5,
                "no runs in the results cache yet",
                ha="center",
                va="center",
                transform=panel.transAxes,
            )


def _strategy1_alpha_grid(s1: pd.DataFrame) -> tuple[pd.DataFrame, np.ndarray]:
    """Strategy 1's runs (none if none has a collective) and the α grid its bound is drawn on."""
    if not (s1["alpha"] > 0).any():
        return s1.iloc[0:0], np.geomspace(1e-4, 1e-2, 200)
    return s1, np.geomspace(
        max(s1.loc[s1["alpha"] > 0, "alpha"].min() / 2, 1e-5), s1["alpha"].max(), 200
    )


def _theorem_3_3_panel(
    ax, s1: pd.DataFrame, estimates: dict, metric: str, xi: float, grid_alpha: np.ndarray
) -> None:
    """Strategy 1's curves, one per class, under Theorem 3.3's bound."""
    from collective.theory import feature_label_bound

    key = "delta_in_set_max" if metric.startswith("success_in_set") else "delta_top1_max"
    for target in PAPER_CLASSES:
        _curve(
            ax,
            s1[s1["target"] == target],
            metric,
            plots.COLORS.get(target),
            target.replace("_", " "),
            baseline=False,
        )
    # The estimated gaps are all close to 1, so one (the largest: the weakest bound) is drawn.
    delta = max(estimates["classes"][t][key] for t in PAPER_CLASSES)
    ax.plot(
        grid_alpha,
        np.clip(feature_label_bound(grid_alpha, xi, delta), 0, 1),
        color=plots.COLORS["bound"],
        label=f"Theorem 3.3 (Δ = {delta:.3f})",
        **plots.BOUND_STYLE,
    )
    ax.set_title("Strategy 1 vs Theorem 3.3", fontsize="medium")
    ax.set_xlabel(r"$\alpha$ (log scale)")
    ax.set_ylabel(METRIC_NAMES.get(metric, metric))
    ax.set_ylim(-0.02, 1.02)
    plots.percent_axis(ax, "x")
    ax.legend(loc="lower right", fontsize="x-small")


def _theorem_3_5_panel(
    ax, s2: pd.DataFrame, estimates: dict, metric: str, xi: float, fallback_grid: np.ndarray
) -> None:
    """Strategy 2's curves for the first class, one per level of random labels, each under
    Theorem 3.5's bound at its own p (Strategy 1's α grid if Strategy 2 has no runs)."""
    from collective.theory import feature_only_bound

    grid_alpha = (
        np.geomspace(s2.loc[s2["alpha"] > 0, "alpha"].min(), s2["alpha"].max(), 200)
        if (s2["alpha"] > 0).any()
        else fallback_grid
    )
    for i, level in enumerate(sorted(s2["random_labels"].unique())):
        color = plots.PALETTE[i]
        _curve(
            ax,
            s2[s2["random_labels"] == level],
            metric,
            color,
            f"{level:.0%} random",
            baseline=False,
        )
        p = positivity_constant(level, estimates["classes"][PAPER_CLASSES[0]]["p_in_set_min"])
        ax.plot(
            grid_alpha,
            np.clip(feature_only_bound(grid_alpha, xi, p), 0, 1),
            color=color,
            **plots.BOUND_STYLE,
        )
    ax.set_title("Strategy 2 vs Theorem 3.5 (DBA)", fontsize="medium")
    ax.set_xlabel(r"$\alpha$ (log scale)")
    ax.set_ylim(-0.02, 1.02)
    plots.percent_axis(ax, "x")
    ax.legend(loc="upper left", fontsize="x-small")


def plot_bounds_over_data(df: pd.DataFrame, estimates: dict, metric: str = "success_in_set"):
    r"""Theorem 3.3 (Strategy 1) and Theorem 3.5 (Strategy 2 with random labels) drawn over the
    empirical curves, with $\xi$ at its upper confidence bound and $\Delta$ / $p$ as estimated
    (:func:`collective.runner.estimates.compute_theory_estimates`)."""
    xi = estimates["xi"]["xi_upper"]
    fig, axes = plots.subplots(1, 2, width=3.7, height=3.1, squeeze=False)
    s1 = df[
        (df["strategy"] == "feature-label") & (df["random_labels"] == 0) & (df["spacing"] == 20)
    ]
    s2 = df[
        (df["strategy"] == "feature-only")
        & (df["spacing"] == 20)
        & (df["target"] == PAPER_CLASSES[0])
    ]
    _note_missing_runs(axes[0], s1, s2)
    s1, grid_alpha = _strategy1_alpha_grid(s1)
    _theorem_3_3_panel(axes[0][0], s1, estimates, metric, xi, grid_alpha)
    _theorem_3_5_panel(axes[0][1], s2, estimates, metric, xi, grid_alpha)
    plots.caption(
        fig,
        firm_caption(pd.concat([s1, s2]), ["strategy", "target", "random_labels"])
        + f" Dashed: the theorems' lower bounds with xi = {xi:.2e} "
        "(95% upper confidence bound; 0 occurrences), Delta and p as estimated.",
    )
    return fig


from collective.report.resume_tables import *  # noqa: E402,F403  (one namespace for the chapters)
from collective.report.resume_tables import __all__ as _tables_all  # noqa: E402

__all__ = [
    "firm_caption",
    "firm_config",
    "grid",
    "plot_bounds_over_data",
    "plot_random_labels",
    "plot_spacing",
    "plot_success_vs_alpha",
    "summarize",
    *_tables_all,
]
