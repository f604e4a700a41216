"""What stands behind a figure: which configurations of a grid are in the results cache, how
many seeds each point averages, and numbers formatted for the prose (a missing number is
said to be missing, never printed as ``nan``).

The book's chapters read grids that background sweeps are still filling. They read with
:func:`load_grid_runs` (the cached runs and the configurations still missing) and say in
every caption how many seeds stand behind each point (:func:`seeds_summary`) and in a note
how many configurations are not computed yet (:meth:`GridRuns.note`).
"""

from __future__ import annotations

import math
import os
from collections import Counter
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from collective.runner import RunConfig, grid_path, load_grid, load_results
from collective.runner.results import read_folder

MISSING = "not yet computed"

__all__ = [
    "GridRuns",
    "MISSING",
    "clean_runs_phrase",
    "load_grid_runs",
    "pct",
    "num",
    "upper",
    "seeds_summary",
    "seeds_phrase",
]


def pct(value, digits: int = 1, missing: str = MISSING) -> str:
    """``value`` as a percentage with ``digits`` decimals; ``missing`` for None/NaN."""
    if value is None or (isinstance(value, float) and math.isnan(value)) or pd.isna(value):
        return missing
    return f"{float(value):.{digits}%}"


def num(value, fmt: str = ".3f", missing: str = MISSING) -> str:
    """``value`` formatted with ``fmt``; ``missing`` for None/NaN."""
    if value is None or pd.isna(value):
        return missing
    return format(float(value), fmt)


def upper(value: float, digits: int = 3) -> str:
    """An upper bound in scientific notation with ``digits`` significant digits, rounded up,
    so that the printed bound is still a bound: ``upper(1.0296e-4) == "1.03e-04"``,
    ``upper(1.0201e-4) == "1.03e-04"``."""
    if value <= 0:
        return f"{value:.{digits - 1}e}"
    exponent = math.floor(math.log10(value)) - (digits - 1)
    scaled = value / 10.0**exponent
    # a value already exact at these digits (up to float noise) stays as it is
    rounded = math.ceil(scaled - 1e-9)
    return f"{rounded * 10.0**exponent:.{digits - 1}e}"


#: The clean-test metrics a run records.
CLEAN_METRICS = ("hamming_accuracy", "precision", "recall", "f1")


def clean_runs_phrase(clean: pd.DataFrame, what: str = "without a collective") -> str:
    """How many runs a clean-metrics mean is over, and whether they are one fit seen several
    times: ``"30 runs without a collective, identical in every metric"`` where every clean
    metric is the same in all of them (a firm whose fit does not depend on the seed, such as
    the linear firm solved to its optimum: more runs are not more evidence)."""
    n = len(clean)
    text = f"{n} run{'s' if n != 1 else ''} {what}"
    metrics = [m for m in CLEAN_METRICS if m in clean]
    if n > 1 and metrics and all(np.ptp(clean[m].to_numpy(dtype=float)) <= 1e-12 for m in metrics):
        text += ", identical in every metric"
    return text


@dataclass
class GridRuns:
    """The cached runs of a grid (``runs``, one row per run) and the configurations of the
    grid that are not in the cache yet (``missing``)."""

    name: str
    runs: pd.DataFrame
    configs: list[RunConfig]
    missing: list[RunConfig] = field(default_factory=list)

    @property
    def complete(self) -> bool:
        return not self.missing

    def note(self) -> str:
        """One line: how many of the grid's configurations are cached, and which are missing
        (counted by strategy and target)."""
        total, done = len(self.configs), len(self.configs) - len(self.missing)
        head = f"grids/{self.name}.yaml: {done} of {total} configurations in the results cache"
        if not self.missing:
            return head + " (complete)."
        by = Counter((c.strategy, c.target) for c in self.missing)
        parts = [
            f"{_strategy_short(s)} {t.replace('_', ' ')}: {n}" for (s, t), n in sorted(by.items())
        ]
        return (
            f"{head}; {len(self.missing)} not yet computed ({'; '.join(parts)}). "
            f"`collective sweep grids/{self.name}.yaml` computes them."
        )


def _strategy_short(strategy: str) -> str:
    from collective.strategies import strategy_class

    return strategy_class(strategy).paper_name


def load_grid_runs(name: str, results_dir: str | os.PathLike | None = None) -> GridRuns:
    """The runs of ``grids/<name>.yaml`` that are in the cache, and the configurations that
    are not (:func:`collective.runner.load_results` with ``skip_missing``)."""
    configs = load_grid(grid_path(name))
    runs = load_results(configs, skip_missing=True, results_dir=results_dir)
    records = {firm: read_folder(firm, results_dir) for firm in {c.firm for c in configs}}
    missing = [c for c in configs if c.key() not in records[c.firm]]
    return GridRuns(name, runs, configs, missing)


def seeds_phrase(df: pd.DataFrame, by: str = "alpha") -> str:
    """How many seeds stand behind each point of one curve, e.g. ``"5 seeds"`` or
    ``"3 seeds (2 at α = 5%–10%)"`` (points with fewer seeds than the most, by ``by``)."""
    if df.empty:
        return "no runs"
    counts = df.groupby(by)["seed"].nunique().sort_index()
    top = int(counts.max())
    head = f"{top} seed{'s' if top != 1 else ''}"
    fewer = counts[counts < top]
    if fewer.empty:
        return head
    parts = []
    for n, group in fewer.groupby(fewer):
        values = sorted(group.index)
        where = (
            _alpha_text(values[0])
            if len(values) == 1
            else f"{_alpha_text(values[0])}–{_alpha_text(values[-1])}"
        )
        parts.append(
            f"{int(n)} at α = {where}"
            if len(values) == 1
            else f"{int(n)} at {len(values)} sizes, α = {where}"
        )
    return f"{head} ({'; '.join(parts)})"


def _alpha_text(a: float) -> str:
    """0.05 -> "5%", 0.0015 -> "0.15%"."""
    return f"{a * 100:.3f}".rstrip("0").rstrip(".") + "%"


def _key_text(name: str, value) -> str:
    if name == "random_labels":
        return f"{float(value):.0%} random labels"
    if name == "spacing":
        return f"every {int(value)} words"
    if name == "strategy":
        return _strategy_short(str(value))
    if name == "epochs":
        return f"{float(value):g} epochs"
    if name == "n_train":
        return f"{int(value):,} resumes"
    return str(value).replace("_", " ")


def seeds_summary(df: pd.DataFrame, group: str | list[str] = "target", by: str = "alpha") -> str:
    """:func:`seeds_phrase` per curve (one per value of ``group``, a column or a list of
    columns), joined: ``"Database Administrator: 5 seeds; Web Developer: 4 seeds (3 at
    α = 10%)"``."""
    if df.empty:
        return "no runs"
    cols = [group] if isinstance(group, str) else list(group)
    parts = []
    for key, sub in df.groupby(cols, sort=True):
        key = key if isinstance(key, tuple) else (key,)
        parts.append((", ".join(_key_text(c, k) for c, k in zip(cols, key)), seeds_phrase(sub, by)))
    return "; ".join(f"{k}: {v}" for k, v in parts)
