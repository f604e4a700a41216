"""Success of the resume experiments in numbers: means over seeds at chosen collective sizes.

Each table takes the frame of :func:`collective.runner.load_results` (one row per run): the
mean of a metric at given α (:func:`mean_at`, :func:`success_table`), α as a share of the
target class, Strategy 2 with random labels against the same runs without (Figure 4) and the
gaps between trigger spacings (Figure 7).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

__all__ = [
    "alpha_as_class_share",
    "mean_at",
    "random_label_changes",
    "spacing_gaps",
    "success_table",
]


def alpha_as_class_share(df: pd.DataFrame, class_counts: dict[str, int]) -> pd.Series:
    """$\\alpha n / n_{y^*}$: the collective as a share of the training resumes carrying the target."""
    return df["alpha"] * df["n_train"] / df["target"].map(class_counts)


def mean_at(df: pd.DataFrame, metric: str, **where) -> tuple[float, int]:
    """Mean of ``metric`` over the runs matching ``where`` (column = value) and the number
    of seeds behind it; (NaN, 0) when there are none."""
    sub = df
    for name, value in where.items():
        if sub.empty:
            break
        sub = (
            sub[np.isclose(sub[name], value)]
            if isinstance(value, float)
            else sub[sub[name] == value]
        )
    if sub.empty:
        return float("nan"), 0
    return float(sub[metric].mean()), int(sub["seed"].nunique())


def success_table(
    df: pd.DataFrame, metric: str, alphas: Sequence[float], class_size: dict[str, int] | None = None
) -> pd.DataFrame:
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


def random_label_changes(
    clean: pd.DataFrame, noisy: pd.DataFrame, metric: str = "success_top1"
) -> pd.DataFrame:
    """Strategy 2 with random labels against the same configuration without (Figure 4): one
    row per (target, random_labels, alpha) present in both, with the two means over the seeds
    that ran both (``seeds``; a seed run without random labels only would compare another
    collective's draw), and their difference (``change``)."""
    cols = ["target", "random_labels", "alpha", "without", "with", "change", "seeds"]
    if clean.empty or noisy.empty:
        return pd.DataFrame(columns=cols)
    c = clean[
        (clean["strategy"] == "feature-only") & (clean["random_labels"] == 0) & (clean["alpha"] > 0)
    ]
    rows = []
    groups = noisy[noisy["strategy"] == "feature-only"].groupby(
        ["target", "random_labels", "alpha"]
    )
    for (target, fraction, alpha), with_rl in groups:
        without = c[(c["target"] == target) & np.isclose(c["alpha"], alpha)]
        seeds = set(with_rl["seed"]) & set(without["seed"])
        if not seeds:
            continue
        a = float(without.loc[without["seed"].isin(seeds), metric].mean())
        b = float(with_rl.loc[with_rl["seed"].isin(seeds), metric].mean())
        rows.append((target, fraction, alpha, a, b, b - a, len(seeds)))
    return pd.DataFrame(rows, columns=cols)


def spacing_gaps(df: pd.DataFrame, metric: str = "success_in_set") -> pd.DataFrame:
    """Figure 7 in numbers: per strategy and alpha, the mean ``metric`` at each spacing over
    the seeds that ran every spacing present there (``seeds``: a spacing run on more seeds
    would otherwise be read over other collectives' draws), the gap between the highest and
    the lowest (``gap``) and how many spacings that is."""
    cols = ["strategy", "alpha", "gap", "spacings", "seeds"]
    if df.empty:
        return pd.DataFrame(columns=cols)
    parts = []
    for (strategy, alpha), at in df.groupby(["strategy", "alpha"]):
        per_spacing = at.groupby("spacing")["seed"].agg(set)
        seeds = set.intersection(*per_spacing)
        if not seeds:
            continue
        means = at[at["seed"].isin(seeds)].groupby("spacing")[metric].mean()
        row = {"strategy": strategy, "alpha": alpha, **means.to_dict()}
        row.update(gap=means.max() - means.min(), spacings=len(means), seeds=len(seeds))
        parts.append(row)
    if not parts:
        return pd.DataFrame(columns=cols)
    out = pd.DataFrame(parts)
    spacings = sorted(c for c in out.columns if c not in cols)
    return out[["strategy", "alpha", *spacings, "gap", "spacings", "seeds"]]
