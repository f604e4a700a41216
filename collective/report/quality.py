"""The quality gate: is a firm close enough to optimal for its results to say something?

The paper's theorems bound the success of a collective against an $\\epsilon$-suboptimal firm
(Theorems 3.3 and 3.5 of {cite}`hardt2023algorithmic`): the further the firm is from the Bayes
optimal classifier, the weaker the guarantee. A transformer that has barely learned the task
therefore says nothing about the theory. The book shows a configuration's experiments only if
its clean-test micro-F1 is at least the linear firm's (trained on the same resumes) minus
:data:`QUALITY_MARGIN`.
"""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd

#: A firm may trail the linear firm's clean micro-F1 by at most this much.
QUALITY_MARGIN = 0.05


def passes_quality_gate(f1: float, linear_f1: float, margin: float = QUALITY_MARGIN) -> bool:
    """Whether a clean-test micro-F1 ``f1`` is at least ``linear_f1 - margin``."""
    if not 0.0 <= margin < 1.0:
        raise ValueError(f"margin must be in [0, 1), got {margin!r}")
    return bool(f1 >= linear_f1 - margin)


def quality_table(
    firms: Mapping[str, pd.DataFrame], linear: pd.DataFrame, margin: float = QUALITY_MARGIN
) -> pd.DataFrame:
    """One row per named configuration: its mean clean-test metrics over its runs (frames
    from :func:`collective.runner.load_results`), the linear firm's mean micro-F1, the
    difference and whether the configuration passes the gate."""
    if linear.empty:
        raise ValueError("the linear firm's results are empty: nothing to compare with")
    linear_f1 = float(linear["f1"].mean())
    rows = []
    for name, frame in firms.items():
        if frame.empty:
            raise ValueError(f"configuration {name!r} has no results")
        f1 = float(frame["f1"].mean())
        rows.append(
            {
                "configuration": name,
                "runs": len(frame),
                "hamming_accuracy": float(frame["hamming_accuracy"].mean()),
                "precision": float(frame["precision"].mean()),
                "recall": float(frame["recall"].mean()),
                "f1": f1,
                "linear_f1": linear_f1,
                "f1_minus_linear": f1 - linear_f1,
                "passes": passes_quality_gate(f1, linear_f1, margin),
            }
        )
    return pd.DataFrame(rows).set_index("configuration")
