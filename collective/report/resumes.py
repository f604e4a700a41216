"""Figures and tables of the resume experiments (Section 5 and Appendix C of
{cite}`hardt2023algorithmic`), drawn from the results cache in the book's one style.

Every function takes the :class:`pandas.DataFrame` of :func:`collective.runner.load_results`
(one row per run) and draws means over seeds with their spread (± one standard deviation,
shaded), with $\\alpha$ on the bottom axis and the number of resumes it stands for on the top
axis, and a caption naming the firm that produced the curves.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

import matplotlib as mpl

from collective.report import plots
from collective.resumes.corpus import PAPER_CLASSES
from collective.runner import RunConfig, grid_path, load_grid

METRIC_NAMES = {
    "success_in_set": "success (target in predicted set)",
    "success_top1": "success (target is top-1)",
    "success_in_set_without_target": "success in set, resumes without the target",
    "success_top1_without_target": "success top-1, resumes without the target",
}
STRATEGY_NAMES = {"feature-label": "Strategy 1 (feature–label)", "feature-only": "Strategy 2 (feature-only)"}


def grid(name: str) -> list[RunConfig]:
    """The configs of ``grids/<name>.yaml`` (the grids the book's figures use)."""
    return load_grid(grid_path(name))


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
    plots.legend_outside(axes[0][-1], fontsize="small")
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
    """The firm's clean-test quality (runs without a collective, all seeds and targets; ±
    one standard deviation where they differ) beside the paper's DistilBERT numbers
    (Section 5.1)."""
    from collective.resumes.evaluation import PAPER_CLEAN_METRICS

    clean = df[(df["alpha"] == 0) & (df["random_labels"] == 0)]
    rows = []
    for key, label in [("hamming_accuracy", "multi-label accuracy (1 - Hamming loss)"), ("precision", "precision (micro)"), ("recall", "recall (micro)"), ("f1", "F1 (micro)")]:
        rows.append(
            {
                "metric": label,
                "this firm": f"{clean[key].mean():.1%}"
                + (f" ± {clean[key].std(ddof=0):.1%}" if clean[key].std(ddof=0) > 5e-4 else ""),
                "paper (DistilBERT)": f"{PAPER_CLEAN_METRICS[key]:.1%}" if key in PAPER_CLEAN_METRICS else "–",
            }
        )
    return pd.DataFrame(rows).set_index("metric")


def alpha_as_class_share(df: pd.DataFrame, class_counts: dict[str, int]) -> pd.Series:
    """$\\alpha n / n_{y^*}$: the collective as a share of the training resumes carrying the target."""
    return df["alpha"] * df["n_train"] / df["target"].map(class_counts)


def crossing_table(df: pd.DataFrame, metric: str, s_star: float = 0.9) -> pd.DataFrame:
    """Empirical critical mass per (strategy, target) with bootstrap intervals over seeds."""
    from collective.report.critical_mass import critical_mass_bootstrap

    rows = []
    for (strategy, target), sub in df.groupby(["strategy", "target"]):
        out = critical_mass_bootstrap(sub, metric, s_star)
        rows.append({"strategy": strategy, "target": target, **out})
    return pd.DataFrame(rows)


def plot_bounds_over_data(df: pd.DataFrame, estimates: dict, metric: str = "success_in_set"):
    r"""Theorem 3.3 (Strategy 1) and Theorem 3.5 (Strategy 2 with random labels) drawn over the
    empirical curves, with $\xi$ at its upper confidence bound and $\Delta$ / $p$ as estimated
    (:func:`collective.runner.estimates.compute_theory_estimates`)."""
    from collective.theory import feature_label_bound, feature_only_bound

    xi = estimates["xi"]["xi_upper"]
    fig, axes = plots.subplots(1, 2, width=3.7, height=3.1, squeeze=False)
    ax = axes[0][0]
    s1 = df[(df["strategy"] == "feature-label") & (df["random_labels"] == 0) & (df["spacing"] == 20)]
    grid_alpha = np.geomspace(max(s1.loc[s1["alpha"] > 0, "alpha"].min() / 2, 1e-5), s1["alpha"].max(), 200)
    key = "delta_in_set_max" if metric.startswith("success_in_set") else "delta_top1_max"
    for target in PAPER_CLASSES:
        _curve(ax, s1[s1["target"] == target], metric, plots.COLORS.get(target), target.replace("_", " "), baseline=False)
    # The estimated gaps are all close to 1, so one (the largest: the weakest bound) is drawn.
    delta = max(estimates["classes"][t][key] for t in PAPER_CLASSES)
    ax.plot(grid_alpha, np.clip(feature_label_bound(grid_alpha, xi, delta), 0, 1), color=plots.COLORS["bound"],
            label=f"Theorem 3.3 (Δ = {delta:.3f})", **plots.BOUND_STYLE)
    ax.set_title("Strategy 1 vs Theorem 3.3", fontsize="medium")
    ax.set_xlabel(r"$\alpha$ (log scale)")
    ax.set_ylabel(METRIC_NAMES.get(metric, metric))
    ax.set_ylim(-0.02, 1.02)
    plots.percent_axis(ax, "x")
    ax.legend(loc="lower right", fontsize="x-small")

    ax = axes[0][1]
    s2 = df[(df["strategy"] == "feature-only") & (df["spacing"] == 20) & (df["target"] == PAPER_CLASSES[0])]
    grid_alpha = np.geomspace(s2.loc[s2["alpha"] > 0, "alpha"].min(), s2["alpha"].max(), 200)
    for i, level in enumerate(sorted(s2["random_labels"].unique())):
        color = plots.PALETTE[i]
        _curve(ax, s2[s2["random_labels"] == level], metric, color, f"{level:.0%} random", baseline=False)
        p = positivity_constant(level, estimates["classes"][PAPER_CLASSES[0]]["p_in_set_min"])
        ax.plot(grid_alpha, np.clip(feature_only_bound(grid_alpha, xi, p), 0, 1), color=color, **plots.BOUND_STYLE)
    ax.set_title("Strategy 2 vs Theorem 3.5 (DBA)", fontsize="medium")
    ax.set_xlabel(r"$\alpha$ (log scale)")
    ax.set_ylim(-0.02, 1.02)
    plots.percent_axis(ax, "x")
    ax.legend(loc="upper left", fontsize="x-small")
    plots.caption(
        fig,
        firm_caption(pd.concat([s1, s2])) + f" Dashed: the theorems' lower bounds with xi = {xi:.2e} "
        "(95% upper confidence bound; 0 occurrences), Delta and p as estimated.",
    )
    return fig


def positivity_constant(random_labels: float, p_clean: float) -> float:
    r"""$p$ of Theorem 3.5 (in-set reading) when a fraction $r$ of labels is uniformly random:
    each label is on with probability 1/2 in a random label set, so
    $\mathcal{P}(y^* \in Y \mid x) \ge r/2 + (1 - r)\,p_{\text{clean}}$."""
    return float(random_labels) / 2 + (1 - float(random_labels)) * float(p_clean)


def critical_mass_comparison(df: pd.DataFrame, estimates: dict, metric: str = "success_in_set", s_star: float = 0.9) -> pd.DataFrame:
    r"""Predicted (Corollaries 3.4 / 3.6, $\epsilon = 0$) against observed critical mass for
    success ``s_star``, with bootstrap intervals over seeds, and the suboptimality
    $\epsilon$ at which the corollary's bound would equal the observed critical mass."""
    from collective.report.critical_mass import critical_mass_bootstrap
    from collective.theory import critical_mass_feature_label, critical_mass_feature_only

    xi = estimates["xi"]["xi_upper"]
    rows = []
    keys = ["strategy", "target", "random_labels"]
    data = df[df["spacing"] == 20]
    for (strategy, target, level), sub in data.groupby(keys):
        est = estimates["classes"].get(target)
        if est is None:
            continue
        if strategy == "feature-label":
            if level != 0:
                continue
            delta = est["delta_in_set_max" if metric.startswith("success_in_set") else "delta_top1_max"]
            predicted = float(critical_mass_feature_label(s_star, xi, delta))
            theory = f"Cor. 3.4, Δ = {delta:.3f}"
        else:
            p = positivity_constant(level, est["p_in_set_min"])
            predicted = float(critical_mass_feature_only(s_star, xi, p)) if p > 0 else float("inf")
            theory = f"Cor. 3.6, p = {p:.2g}"
        obs = critical_mass_bootstrap(sub, metric, s_star)
        a_obs = obs["alpha_star"]
        # The eps at which the corollary's bound equals the observed critical mass:
        # eps/(1-eps) = 1 - S* - (the xi-term at alpha = observed).
        if strategy == "feature-label":
            eta = 1 - s_star - (1 - a_obs) / a_obs * delta * xi if a_obs > 0 else np.nan
        else:
            eta = 1 - s_star - (1 - p) / (p * a_obs) * xi if a_obs > 0 else np.nan
        implied_eps = eta / (1 + eta) if eta == eta and eta > 0 else np.nan
        rows.append(
            {
                "strategy": strategy,
                "target": target,
                "random labels": level,
                "theory": theory,
                "predicted α* ≤": predicted,
                "observed α*": obs["alpha_star"],
                "95% CI": (obs["ci_low"], obs["ci_high"]),
                "share of bootstrap curves reaching S*": obs["reached"],
                "implied ε": implied_eps,
            }
        )
    return pd.DataFrame(rows)


def convergence_table(df: pd.DataFrame, metrics: Sequence[str] = ("success_in_set", "success_top1")) -> pd.DataFrame:
    """The book's first, approximate firm (``max_iter`` 10: 10 L-BFGS steps from the warm
    start) against the converged firm (the default, ``max_iter`` None: Newton-CG to the
    gradient tolerance), config by config (``grids/convergence_check.yaml``)."""
    keys = ["strategy", "target", "random_labels", "alpha"]
    short = df[df["param_max_iter"] == 10].set_index(keys)
    full = df[df["param_max_iter"].isna()].set_index(keys)
    out = pd.DataFrame(index=short.index)
    for m in metrics:
        out[(m, "10 steps")] = short[m]
        out[(m, "converged")] = full[m]
    out[("10 steps", "gradient / tol")] = short["fit_grad_max"] / 1e-5 if "fit_grad_max" in short else np.nan
    out[("converged fit", "Newton iterations")] = full["fit_iterations"]
    out.columns = pd.MultiIndex.from_tuples(out.columns)
    return out.sort_index()


def success_table(df: pd.DataFrame, metric: str, alphas: Sequence[float], class_size: dict[str, int] | None = None) -> pd.DataFrame:
    """Mean ``metric`` over seeds per target (rows) at the given ``alphas`` (columns), with
    the no-collective rate first; with ``class_size``, column names also give $\\alpha$ as a
    share of the target class (in each row's own class, so only the training-set share is in
    the header)."""
    rows = {}
    for target, sub in df.groupby("target"):
        means = sub.groupby("alpha")[metric].mean()
        row = {"no collective": means.get(0.0, np.nan)}
        for a in alphas:
            row[f"α = {a:.1%}"] = means.get(a, np.nan)
        if class_size is not None:
            n = float(sub["n_train"].iloc[0])
            for a in alphas:
                row[f"α = {a:.1%} (share of class)"] = a * n / class_size[target]
        rows[target] = row
    return pd.DataFrame(rows).T


__all__ = [
    "alpha_as_class_share",
    "clean_metrics_table",
    "convergence_table",
    "critical_mass_comparison",
    "plot_bounds_over_data",
    "positivity_constant",
    "crossing_table",
    "firm_caption",
    "grid",
    "plot_random_labels",
    "plot_spacing",
    "plot_success_vs_alpha",
    "success_table",
    "summarize",
]

