"""How the critical mass scales with the size of the training set (chapter *Fine-tuning a
transformer*, issue 12's scale study).

The paper states its critical masses as a fraction $\\alpha$ of the training set. Whether a
collective needs a fixed *fraction* of the firm's data or a fixed *number* of resumes is an
empirical question: write the critical mass in resumes as $m(n) = \\alpha^*(n)\\,n$ and fit
$m(n) \\propto n^b$ over training sizes $n$. An exponent $b = 1$ means a constant fraction
($\\alpha^*$ does not change with $n$), $b = 0$ a constant number of resumes ($\\alpha^*$ falls
as $1/n$). :func:`scaling_exponent` estimates $b$ by least squares on the log-log points,
with a bootstrap interval that resamples seeds independently at every size (the runs at
different sizes are independent experiments). The critical mass of one curve is
:func:`collective.theory.curves.critical_mass` (Definition 2.1 on the mean curve).
"""

from __future__ import annotations

import matplotlib as mpl
import numpy as np
import pandas as pd

from collective.errors import ConfigError
from collective.report import plots
from collective.report.critical_mass import N_BOOT
from collective.theory.curves import critical_mass


def _seed_curves(frame: pd.DataFrame, metric: str) -> dict[int, tuple[np.ndarray, np.ndarray]]:
    """Per training size: the α grid and the (seeds × α) success matrix (grid points every
    seed has)."""
    for column in ("n_train", "alpha", "seed", metric):
        if column not in frame:
            raise ConfigError(f"the runs need a column {column!r} to read a critical mass")
    out = {}
    for n, group in frame.groupby("n_train"):
        table = group.pivot_table(index="seed", columns="alpha", values=metric).dropna(axis=1)
        out[int(n)] = (table.columns.to_numpy(dtype=float), table.to_numpy())
    return out


def _log_slope(n: np.ndarray, resumes: np.ndarray) -> float:
    """Least-squares slope of log(resumes) on log(n); NaN unless two sizes have a value."""
    ok = np.isfinite(resumes) & (resumes > 0)
    if ok.sum() < 2:
        return float("nan")
    return float(np.polyfit(np.log(n[ok]), np.log(resumes[ok]), 1)[0])


def scaling_exponent(
    frame: pd.DataFrame,
    metric: str = "success_in_set",
    s_star: float = 0.5,
    *,
    n_boot: int = N_BOOT,
    seed: int = 0,
    level: float = 0.95,
) -> dict[str, float]:
    """The exponent $b$ in $m(n) \\propto n^b$, the critical mass in resumes against the
    training size (module docstring), from runs at several training sizes ``n_train``.

    Returns ``b`` (from the mean curves), its bootstrap interval ``ci_low``/``ci_high`` (seeds
    resampled with replacement at every size; replicates in which fewer than two sizes reach
    ``s_star`` are left out, and ``reached`` is the share kept) and ``sizes``, the number of
    training sizes whose mean curve reaches ``s_star``.
    """
    curves = _seed_curves(frame, metric)
    if len(curves) < 2:
        raise ConfigError(
            f"a scaling exponent needs runs at two or more training sizes, got {sorted(curves)}"
        )
    sizes = np.array(sorted(curves), dtype=float)

    def resumes(pick) -> np.ndarray:
        return np.array(
            [
                critical_mass(curves[n][0], pick(curves[n][1]).mean(axis=0), s_star) * n
                for n in sorted(curves)
            ]
        )

    point = resumes(lambda values: values)
    rng = np.random.default_rng(seed)
    boots = np.array(
        [
            _log_slope(sizes, resumes(lambda v: v[rng.integers(0, len(v), len(v))]))
            for _ in range(n_boot)
        ]
    )
    ok = boots[np.isfinite(boots)]
    lo, hi = np.quantile(ok, [(1 - level) / 2, (1 + level) / 2]) if len(ok) else (np.nan,) * 2
    return {
        "b": _log_slope(sizes, point),
        "ci_low": float(lo),
        "ci_high": float(hi),
        "reached": float(len(ok) / n_boot),
        "sizes": int(np.isfinite(point).sum()),
    }


def plot_critical_mass_scaling(table: pd.DataFrame, *, metric: str = "success_in_set"):
    """Two panels from a :func:`collective.report.critical_mass.critical_mass_table` grouped by
    ``n_train``: the critical mass as α (left) and as a number of resumes (right) against the
    training size, one line per level $S^*$, with the bootstrap intervals as error bars. A
    constant fraction is a flat line on the left, a constant number of resumes a flat line on
    the right."""
    rows = table[table["metric"] == metric]
    if not rows["alpha"].notna().any():
        raise ConfigError(
            f"no curve reaches its level S* for metric {metric!r}: no critical mass to draw"
        )
    fig, axes = plots.subplots(1, 2, width=3.4, height=2.9)
    for ax, column, label in zip(
        axes, ("alpha", "resumes"), ("critical mass α*", "critical mass (resumes)")
    ):
        for color, (s_star, group) in zip(plots.PALETTE, rows.groupby("S*")):
            group = group[group["alpha"].notna()].sort_values("n_train")
            value = group[column].to_numpy(dtype=float)
            lo, hi = (np.array([ci[k] for ci in group[f"{column} 95% CI"]]) for k in (0, 1))
            ax.errorbar(
                group["n_train"],
                value,
                yerr=[np.clip(value - lo, 0, None), np.clip(hi - value, 0, None)],
                marker="o",
                markersize=4,
                capsize=3,
                color=color,
                label=f"S* = {s_star:.0%}",
            )
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlabel("training resumes n")
        ax.set_ylabel(label)
        ax.set_xticks(sorted(rows["n_train"].unique()))
        ax.set_xticklabels([f"{int(n):,}" for n in sorted(rows["n_train"].unique())])
        ax.xaxis.set_minor_locator(mpl.ticker.NullLocator())
        # a log axis spanning less than a decade: label 1, 2 and 5 times each power of ten
        ax.yaxis.set_major_locator(mpl.ticker.LogLocator(subs=(1.0, 2.0, 5.0)))
        ax.yaxis.set_minor_locator(mpl.ticker.NullLocator())
    axes[0].yaxis.set_major_formatter(mpl.ticker.PercentFormatter(xmax=1.0, decimals=1))
    axes[1].yaxis.set_major_formatter(mpl.ticker.StrMethodFormatter("{x:,.0f}"))
    axes[1].legend()
    return fig


def theorem_3_3_readings(table: pd.DataFrame) -> pd.DataFrame:
    """What Theorem 3.3 (Strategy 1) would need to predict each critical mass of ``table`` (a
    :func:`collective.report.critical_mass.critical_mass_table` by ``n_train``):

    * ``Δξ if ε = 0``: Corollary 3.4, $\\alpha^* = \\Delta\\xi / (1 - S^* + \\Delta\\xi)$, solved for
      $\\Delta\\xi = \\alpha^*(1 - S^*)/(1 - \\alpha^*)$;
    * ``ε if ξ = 0``: the corrected bound (TV, Definition 3.1) with a unique trigger,
      $\\epsilon = \\alpha^*(1 - S^*)/2$ (:func:`collective.report.critical_mass_tables.implied_eps`).

    A critical mass that is a fixed share of the data asks for a $\\Delta\\xi$ (or $\\epsilon$)
    that does not change with $n$; a fixed number of resumes asks for one that falls as $1/n$.
    """
    from collective.report.critical_mass_tables import implied_eps

    rows = table[table["alpha"].notna()].copy()
    a, s = rows["alpha"].astype(float), rows["S*"].astype(float)
    rows["Δξ if ε = 0"] = a * (1 - s) / (1 - a)
    rows["ε if ξ = 0"] = [
        implied_eps("feature-label", alpha, s_star, 0.0, 1.0) for alpha, s_star in zip(a, s)
    ]
    return rows[["n_train", "S*", "alpha", "resumes", "Δξ if ε = 0", "ε if ξ = 0"]]


def scaling_reading(result: dict[str, float]) -> str:
    """What a :func:`scaling_exponent` result says, in words, judged by its bootstrap
    interval only: a fixed number of resumes ($b = 0$), a fixed share ($b = 1$), neither,
    or not resolved (both inside the interval)."""
    lo, hi = result["ci_low"], result["ci_high"]
    if not (np.isfinite(lo) and np.isfinite(hi)):
        return "not measurable: fewer than two training sizes reach this level"
    has_zero, has_one = lo <= 0 <= hi, lo <= 1 <= hi
    if has_zero and has_one:
        return "not resolved by these seeds: both a fixed number and a fixed share are inside the interval"
    if has_zero:
        return "consistent with a fixed number of resumes (b = 0), not with a fixed share"
    if has_one:
        return "consistent with a fixed share of the training set (b = 1), not with a fixed number"
    if hi < 0:
        return "a number of resumes that falls as the training set grows (b < 0)"
    if lo > 1:
        return "a share that grows with the training set (b > 1)"
    return (
        "neither a fixed number (b = 0) nor a fixed share (b = 1): the critical mass in resumes "
        "grows with the training set, but more slowly than the set"
    )
