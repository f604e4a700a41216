"""The empirical critical mass of measured success curves, with bootstrap intervals over seeds.

The critical mass itself is :func:`collective.theory.curves.critical_mass` (Definition 2.1
read off a piecewise-linear curve). Here it is applied to the results cache: one curve per
group of runs, an interval from resampling seeds, and a table in both units the book uses
(a fraction $\\alpha$ of the training set, and a number of training resumes).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from collective.errors import ConfigError
from collective.theory.curves import critical_mass

__all__ = [
    "N_BOOT",
    "critical_mass",
    "critical_mass_bootstrap",
    "critical_mass_table",
    "has_interval",
]

#: The bootstrap size of every interval over seeds in the book, so that one critical mass
#: read twice gets one interval.
N_BOOT = 2000


def has_interval(row: pd.Series) -> bool:
    """Whether a row of :func:`critical_mass_table` has a 95% interval worth the name: its
    curve has two or more seeds. A bootstrap over one seed resamples one curve, so its
    "interval" is its point; the book calls such a crossing a point, never an interval."""
    return bool(row["seeds"] >= 2)


def critical_mass_bootstrap(
    df: pd.DataFrame,
    metric: str,
    s_star: float = 0.9,
    n_boot: int = N_BOOT,
    seed: int = 0,
    level: float = 0.95,
) -> dict[str, float]:
    """Critical mass of one success curve with a bootstrap interval over seeds.

    ``df`` holds the runs of one curve (columns ``alpha``, ``seed`` and ``metric``). The
    estimate reads the mean curve; each bootstrap replicate resamples seeds with replacement,
    re-averages and reads the crossing again. ``reached`` is the share of replicates whose
    curve reaches ``s_star`` on the grid (the interval uses those). With one seed the
    interval is that seed's point. Where some seeds ran only part of the curve (a sweep
    under way), the seeds that ran all of its sizes are read (``n_seeds`` counts them); only
    when no seed did are the sizes some seed lacks left out.
    """
    if metric not in df:
        raise ConfigError(
            f"no column {metric!r} in the results; columns: {', '.join(map(str, df.columns))}"
        )
    table = df.pivot_table(index="seed", columns="alpha", values=metric, aggfunc="mean")
    complete = table.dropna(axis=0)
    table = complete if len(complete) else table.dropna(axis=1)
    alphas = table.columns.to_numpy(dtype=float)
    values = table.to_numpy()
    estimate = critical_mass(alphas, values.mean(axis=0), s_star)
    rng = np.random.default_rng(seed)
    boots = np.array(
        [
            critical_mass(
                alphas, values[rng.integers(0, len(values), len(values))].mean(axis=0), s_star
            )
            for _ in range(n_boot)
        ]
    )
    ok = boots[~np.isnan(boots)]
    lo, hi = np.quantile(ok, [(1 - level) / 2, (1 + level) / 2]) if len(ok) else (np.nan, np.nan)
    return {
        "alpha_star": estimate,
        "ci_low": float(lo),
        "ci_high": float(hi),
        "reached": float(len(ok) / n_boot),
        "n_seeds": int(len(values)),
    }


def critical_mass_table(
    frame: pd.DataFrame,
    by: Sequence[str],
    metrics: Sequence[str] = ("success_in_set", "success_top1"),
    levels: Sequence[float] = (0.5, 0.9),
    n_boot: int = N_BOOT,
) -> pd.DataFrame:
    """For each group of ``frame`` (columns ``by``), metric and level $S^*$: the critical mass
    (:func:`critical_mass_bootstrap`, runs with $\\alpha > 0$ and the no-collective run
    both enter the curve) as $\\alpha$ and as a number of training resumes, with the
    bootstrap interval. NaN: not reached on the grid."""
    rows = []
    for keys, group in frame.groupby(list(by), sort=False):
        keys = keys if isinstance(keys, tuple) else (keys,)
        n_train = int(group["n_train"].iloc[0])
        for metric in metrics:
            for s_star in levels:
                out = critical_mass_bootstrap(group, metric, s_star, n_boot=n_boot)
                rows.append(
                    {
                        **dict(zip(by, keys)),
                        "metric": metric,
                        "S*": s_star,
                        "alpha": out["alpha_star"],
                        "alpha 95% CI": (out["ci_low"], out["ci_high"]),
                        "resumes": out["alpha_star"] * n_train,
                        "resumes 95% CI": (out["ci_low"] * n_train, out["ci_high"] * n_train),
                        "seeds": out["n_seeds"],
                    }
                )
    return pd.DataFrame(rows)


def critical_mass_phrase(table: pd.DataFrame, s_star: float, **where) -> str:
    """One row of a :func:`critical_mass_table` in words, for the chapters' prose:
    ``"α = 0.68% (171 resumes; 95% interval 161–177)"`` (``"; one seed"`` instead of an
    interval for a one-seed curve), or ``"not reached on the grid"``.
    ``where`` selects the row (column = value, e.g. ``strategy="feature-label"``)."""
    rows = table[table["S*"] == s_star]
    for name, value in where.items():
        rows = rows[rows[name] == value]
    if len(rows) != 1:
        raise ConfigError(
            f"{len(rows)} rows of the critical-mass table match S* = {s_star} and {where}; "
            "expected exactly one"
        )
    row = rows.iloc[0]
    if pd.isna(row["alpha"]):
        return "not reached on the grid"
    head = f"α = {row['alpha']:.2%} ({row['resumes']:.0f} resumes"
    if not has_interval(row):
        return head + "; one seed)"
    lo, hi = row["resumes 95% CI"]
    return head + f"; 95% interval {lo:.0f}–{hi:.0f})"
