"""The random-instance checks of the theory chapters as a short table in plain words.

:func:`collective.theory.checks.summary_frame` keeps every statistic of a check (slacks,
relaxation gaps, loss ratios) for the reader who opens the details; this is the table a
chapter leads with: how many instances, and how many violate each version of the theorem.
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from collective.theory.checks import CheckResult

#: Row label -> summary field of a check.
PLAIN_ROWS = {
    "random instances": "instances",
    "instances with ε = 0": "instances_eps0",
    "violations of the theorem at ε = 0": "violations_paper_eps0",
    "instances with ε > 0": "instances_eps_pos",
    "violations of the printed ε-term (ε-optimal in TV)": "violations_paper_eps_tv",
    "violations of the printed ε-term (contamination)": "violations_paper_eps_contamination",
    "violations of the corrected ε-term (TV)": "violations_corrected_tv",
    "violations of the corrected ε-term (contamination)": "violations_corrected_contamination",
}


def plain_summary(
    results: Sequence[CheckResult], names: Sequence[str] | None = None
) -> pd.DataFrame:
    """One column per check (named ``names``, else ``Theorem <number>``), the rows of
    :data:`PLAIN_ROWS` as integer counts."""
    if names is not None and len(names) != len(results):
        raise ValueError(f"names must have one entry per result ({len(results)}), got {len(names)}")
    columns = {}
    for i, result in enumerate(results):
        name = names[i] if names is not None else f"Theorem {result.theorem}"
        columns[name] = [int(result.summary[field]) for field in PLAIN_ROWS.values()]
    return pd.DataFrame(columns, index=list(PLAIN_ROWS))
