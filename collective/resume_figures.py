"""Figures and tables of the resume experiments (Section 5 and Appendix C of
{cite}`hardt2023algorithmic`), drawn from the results cache in the book's one style.

Every function takes the :class:`pandas.DataFrame` of :func:`collective.experiments.load_results`
(one row per run) and draws means over seeds with their spread (± one standard deviation,
shaded), with $\\alpha$ on the bottom axis and the number of resumes it stands for on the top
axis, and a caption naming the firm that produced the curves.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

import matplotlib as mpl

from collective import plots
from collective.experiments import REPO_ROOT, RunConfig, load_grid

PAPER_CLASSES = ("Database_Administrator", "Web_Developer", "Software_Developer")
METRIC_NAMES = {
    "success_in_set": "success (target in predicted set)",
    "success_top1": "success (target is top-1)",
    "success_in_set_without_target": "success in set, resumes without the target",
    "success_top1_without_target": "success top-1, resumes without the target",
}
STRATEGY_NAMES = {"feature-label": "Strategy 1 (feature–label)", "feature-only": "Strategy 2 (feature-only)"}


def grid(name: str) -> list[RunConfig]:
    """The configs of ``grids/<name>.yaml`` (the grids the book's figures use)."""
    return load_grid(Path(REPO_ROOT) / "grids" / f"{name}.yaml")


def summarize(df: pd.DataFrame, by: Sequence[str], metric: str) -> pd.DataFrame:
    """Mean, standard deviation and number of seeds of ``metric`` per group."""
    out = df.groupby(list(by))[metric].agg(["mean", "std", "count"]).reset_index()
    out["std"] = out["std"].fillna(0.0)
    return out


def firm_caption(df: pd.DataFrame) -> str:
    """"Firm: ..." line naming the firm(s), device(s) and the number of runs and seeds."""
    firms = ", ".join(sorted(df["firm"].unique()))
    devices = "; ".join(sorted(str(d) for d in df["device"].dropna().unique()))
    seeds = df["seed"].nunique()
    return (
        f"Firm: {firms} ({devices}); {len(df)} runs, mean ± 1 sd over {seeds} seeds; "
        f"trigger U+05BE (token 1240)."
    )


def _resume_axis(ax, n_train: int) -> None:
    top = ax.secondary_xaxis("top", functions=(lambda a: a * n_train, lambda r: r / n_train))
    top.set_xlabel("resumes in the collective")
    top.xaxis.set_major_formatter(mpl.ticker.FuncFormatter(lambda v, _: f"{v:,.0f}"))


def _curve(ax, data: pd.DataFrame, metric: str, color, label: str, *, baseline: bool = True) -> None:
    """Mean over seeds with a ±1 sd band on a log alpha axis; alpha = 0 (no collective) as a
    dotted horizontal line."""
    s = summarize(data, ["alpha"], metric)
    zero, s = s[s["alpha"] == 0], s[s["alpha"] > 0]
    ax.plot(s["alpha"], s["mean"], marker="o", ms=3, color=color, label=label)
    ax.fill_between(s["alpha"], s["mean"] - s["std"], s["mean"] + s["std"], color=color, alpha=0.18, lw=0)
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
    data = df[(df["strategy"] == strategy) & (df["random_labels"] == 0) & (df["spacing"] == 20)]
    n_train = int(data["n_train"].iloc[0])
    fig, axes = plots.subplots(1, len(metrics), width=3.6, height=3.0, squeeze=False)
    for ax, metric in zip(axes[0], metrics):
        for target in targets:
            _curve(ax, data[data["target"] == target], metric, plots.COLORS.get(target), target.replace("_", " "))
        ax.set_xlabel(r"collective size $\alpha$ (log scale)")
        ax.set_ylabel(METRIC_NAMES.get(metric, metric))
        ax.set_ylim(-0.02, 1.02)
        plots.percent_axis(ax, "x")
        _resume_axis(ax, n_train)
    axes[0][0].legend(loc="lower right", fontsize="small")
    fig.suptitle(title or STRATEGY_NAMES[strategy])
    plots.caption(fig, firm_caption(data))
    return fig


def plot_random_labels(df: pd.DataFrame, metric: str = "success_top1", targets: Sequence[str] = PAPER_CLASSES):
    """Figure 4: Strategy 2 with a fraction of random training labels, one panel per class."""
    data = df[(df["strategy"] == "feature-only") & (df["spacing"] == 20)]
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
    plots.caption(fig, firm_caption(data))
    return fig


def plot_spacing(df: pd.DataFrame, metric: str = "success_in_set", target: str = "Database_Administrator"):
    """Figure 7: success against $\\alpha$ for trigger spacings 10 to 50 words, both strategies."""
    data = df[(df["target"] == target) & (df["random_labels"] == 0)]
    n_train = int(data["n_train"].iloc[0])
    spacings = sorted(data["spacing"].unique())
    fig, axes = plots.subplots(1, 2, width=3.6, height=3.0, squeeze=False)
    for ax, strategy in zip(axes[0], ("feature-label", "feature-only")):
        sub = data[data["strategy"] == strategy]
        for i, spacing in enumerate(spacings):
            _curve(ax, sub[sub["spacing"] == spacing], metric, plots.PALETTE[i], f"every {spacing} words", baseline=False)
        ax.set_title(STRATEGY_NAMES[strategy], fontsize="medium")
        ax.set_xlabel(r"$\alpha$")
        ax.set_ylim(-0.02, 1.02)
        plots.percent_axis(ax, "x")
        _resume_axis(ax, n_train)
    axes[0][0].set_ylabel(METRIC_NAMES.get(metric, metric))
    plots.legend_outside(axes[0][1])
    fig.suptitle(f"Trigger spacing ({target.replace('_', ' ')})")
    plots.caption(fig, firm_caption(data))
    return fig


def clean_metrics_table(df: pd.DataFrame) -> pd.DataFrame:
    """The firm's clean-test quality (runs without a collective, all seeds and targets)
    beside the paper's DistilBERT numbers (Section 5.1)."""
    from collective.evaluation import PAPER_CLEAN_METRICS

    clean = df[(df["alpha"] == 0) & (df["random_labels"] == 0)]
    rows = []
    for key, label in [("hamming_accuracy", "multi-label accuracy (1 - Hamming loss)"), ("precision", "precision (micro)"), ("recall", "recall (micro)"), ("f1", "F1 (micro)")]:
        rows.append(
            {
                "metric": label,
                "this firm": f"{clean[key].mean():.1%} ± {clean[key].std(ddof=0):.1%}",
                "paper (DistilBERT)": f"{PAPER_CLEAN_METRICS[key]:.1%}" if key in PAPER_CLEAN_METRICS else "–",
            }
        )
    return pd.DataFrame(rows).set_index("metric")


def alpha_as_class_share(df: pd.DataFrame, class_counts: dict[str, int]) -> pd.Series:
    """$\\alpha n / n_{y^*}$: the collective as a share of the training resumes carrying the target."""
    return df["alpha"] * df["n_train"] / df["target"].map(class_counts)


def crossing_table(df: pd.DataFrame, metric: str, target_success: float = 0.9) -> pd.DataFrame:
    """Empirical critical mass per (strategy, target) with bootstrap intervals over seeds."""
    from collective.estimates import observed_critical_mass

    rows = []
    for (strategy, target), sub in df.groupby(["strategy", "target"]):
        out = observed_critical_mass(sub, metric, target_success)
        rows.append({"strategy": strategy, "target": target, **out})
    return pd.DataFrame(rows)


__all__ = [
    "PAPER_CLASSES",
    "alpha_as_class_share",
    "clean_metrics_table",
    "crossing_table",
    "firm_caption",
    "grid",
    "plot_random_labels",
    "plot_spacing",
    "plot_success_vs_alpha",
    "summarize",
]

