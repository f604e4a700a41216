"""The firm's own quality in the resume experiments, apart from any collective.

:func:`clean_metrics_table` sets the firm's clean-test metrics beside the paper's DistilBERT
numbers (Section 5.1); :func:`convergence_table` and :func:`convergence_summary` compare the
book's first, approximate linear firm (10 L-BFGS steps) with the converged one, config by
config (``grids/convergence_check.yaml``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

__all__ = ["clean_metrics_table", "convergence_summary", "convergence_table"]


def clean_metrics_table(df: pd.DataFrame, firm: str = "linear") -> pd.DataFrame:
    """The clean-test quality of the firm named ``firm`` (runs without a collective, all seeds
    and targets; ± one standard deviation where they differ) beside the paper's DistilBERT,
    every layer fine-tuned (Section 5.1)."""
    from collective.resumes.evaluation import PAPER_CLEAN_METRICS

    clean = df[(df["alpha"] == 0) & (df["random_labels"] == 0)]
    rows = []
    for key, label in [
        ("hamming_accuracy", "multi-label accuracy (1 - Hamming loss)"),
        ("precision", "precision (micro)"),
        ("recall", "recall (micro)"),
        ("f1", "F1 (micro)"),
    ]:
        rows.append(
            {
                "metric": label,
                f"{firm} firm": f"{clean[key].mean():.1%}"
                + (f" ± {clean[key].std(ddof=0):.1%}" if clean[key].std(ddof=0) > 5e-4 else ""),
                "paper: DistilBERT, every layer": f"{PAPER_CLEAN_METRICS[key]:.1%}"
                if key in PAPER_CLEAN_METRICS
                else "–",
            }
        )
    return pd.DataFrame(rows).set_index("metric")


def convergence_table(
    df: pd.DataFrame, metrics: Sequence[str] = ("success_in_set", "success_top1")
) -> pd.DataFrame:
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
    out[("10 steps", "gradient / tol")] = (
        short["fit_grad_max"] / 1e-5 if "fit_grad_max" in short else np.nan
    )
    out[("converged fit", "Newton iterations")] = full["fit_iterations"]
    out.columns = pd.MultiIndex.from_tuples(out.columns)
    return out.sort_index()


def convergence_summary(df: pd.DataFrame) -> dict:
    """The numbers of the convergence note (``grids/convergence_check.yaml``): how many
    config pairs (10-step and converged) are cached, how many 10-step fits had converged,
    their gradient against the tolerance, and the change in success from the 10-step to the
    converged fit (largest and mean, in-set and top-1; the config of the largest; the number
    of pairs where the converged fit gives the collective less)."""
    table = convergence_table(df).dropna(
        subset=[("success_in_set", "10 steps"), ("success_in_set", "converged")]
    )
    out: dict[str, Any] = {"pairs": len(table)}
    if table.empty:
        return out
    short = df[df["param_max_iter"] == 10]
    out["short_converged"] = int(short["fit_converged"].fillna(False).astype(bool).sum())
    out["short_runs"] = len(short)
    ratio = table[("10 steps", "gradient / tol")]
    out["grad_ratio_min"], out["grad_ratio_max"] = float(ratio.min()), float(ratio.max())
    for m, name in (("success_in_set", "in_set"), ("success_top1", "top1")):
        diff = table[(m, "converged")] - table[(m, "10 steps")]
        out[f"{name}_diff_mean"] = float(diff.mean())
        out[f"{name}_diff_max"] = float(diff.max())
        out[f"{name}_lower"] = int((diff < 0).sum())  # pairs where the converged fit gives less
        where = diff.idxmax()
        out[f"{name}_argmax"] = dict(zip(table.index.names, where))
        out[f"{name}_argmax_short"] = float(table.loc[where, (m, "10 steps")])
        out[f"{name}_argmax_converged"] = float(table.loc[where, (m, "converged")])
    return out
