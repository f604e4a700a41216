"""The learner axis of the transformer chapter: the four firms of the book, one name each, by
what they train, selected from the results cache on their parameter columns.

* ``linear``: the linear firm (TF-IDF and logistic regression, solved to its optimum);
* ``top layer, K/V frozen``: the transformer with its top layer trained but that layer's key
  and value projections frozen (``train_layers=1, freeze_kv=True``);
* ``whole top layer``: the transformer with its top layer trained (``train_layers=1``);
* ``every layer``: the transformer with every layer trained (``train_layers`` unset), the
  paper's training procedure (on a smaller model than the paper's).

Each transformer learner has one main configuration (batch, learning rate, epochs), the one
its curves use (:data:`MAIN_PARAMS`); other configurations of the same learner (the ablation's
batch sizes, fewer epochs) keep the learner's name in :func:`learner_name` but are not in
:func:`main_runs`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from collective.report.coverage import clean_runs_phrase
from collective.report.critical_mass import critical_mass_phrase, critical_mass_table, has_interval

__all__ = [
    "EVERY_LAYER",
    "KV_FROZEN",
    "LEARNERS",
    "LINEAR",
    "MAIN_PARAMS",
    "TOP_LAYER",
    "TRAINS",
    "below_others",
    "clean_metrics_by_learner",
    "complete_seeds",
    "critical_mass_reading",
    "curve_seeds",
    "learner_critical_masses",
    "learner_name",
    "learners_table",
    "main_runs",
    "one_curve",
    "ordering_reading",
    "pair_reading",
    "seeds_below",
    "seeds_reaching",
    "smallest_consistent_alpha",
    "unique_runs",
]

LINEAR = "linear"
KV_FROZEN = "top layer, K/V frozen"
TOP_LAYER = "whole top layer"
EVERY_LAYER = "every layer"
#: The learners from the simplest to the paper's.
LEARNERS = (LINEAR, KV_FROZEN, TOP_LAYER, EVERY_LAYER)

#: What each learner trains, for tables.
TRAINS = {
    LINEAR: "one logistic regression per label on TF-IDF token counts (no pretrained model)",
    KV_FROZEN: "the top layer's [CLS] path and the head; the lower five layers and the top "
    "layer's key and value projections frozen",
    TOP_LAYER: "the top layer (keys and values included) and the head; the lower five layers "
    "frozen",
    EVERY_LAYER: "every layer and the head (as the paper trains DistilBERT)",
}

#: The parameters of each transformer learner's main configuration (``None``: unset).
MAIN_PARAMS: dict[str, dict[str, Any]] = {
    KV_FROZEN: {
        "train_layers": 1,
        "freeze_kv": True,
        "batch_size": 32,
        "learning_rate": 2e-3,
        "epochs": 5.0,
    },
    TOP_LAYER: {
        "train_layers": 1,
        "freeze_kv": False,
        "batch_size": 8,
        "learning_rate": 5e-4,
        "epochs": 5.0,
    },
    EVERY_LAYER: {
        "train_layers": None,
        "freeze_kv": False,
        "batch_size": 8,
        "learning_rate": 5e-5,
        "epochs": 5.0,
    },
}

#: The columns that make a run's configuration (with the firm's ``param_*`` columns).
CONFIG_COLUMNS = (
    "firm",
    "strategy",
    "target",
    "alpha",
    "seed",
    "spacing",
    "random_labels",
    "max_train",
    "signal",
    "trigger",
    "defences",
    "others",
)


def _missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and np.isnan(value))


def learner_name(row: Mapping[str, Any]) -> str:
    """The learner of one run, from its parameter columns: ``firm``, ``train_layers`` and
    ``freeze_kv`` (missing: not set; a row without ``firm`` is a transformer's). A transformer that trains ``k > 1`` top layers is
    ``"top k layers"``."""
    if row.get("firm", "transformer") == "linear":
        return LINEAR
    value = row.get("train_layers")
    if value is None or _missing(value):
        return EVERY_LAYER
    layers = int(value)
    freeze = row.get("freeze_kv")
    if layers == 1:
        return KV_FROZEN if not _missing(freeze) and bool(freeze) else TOP_LAYER
    return f"top {layers} layers"


def unique_runs(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with every run once: a run that two grids share (the same configuration, so
    the same record) is kept the first time it appears."""
    if frame.empty:
        return frame
    columns = [c for c in CONFIG_COLUMNS if c in frame]
    columns += [c for c in frame if c.startswith("param_")]
    # as text: defences and further collectives are lists, which pandas cannot hash
    return frame.loc[~frame[columns].astype(str).duplicated()]


def _matches(frame: pd.DataFrame, params: Mapping[str, Any]) -> pd.Series:
    keep = pd.Series(True, index=frame.index)
    for name, value in params.items():
        column = frame[name] if name in frame else pd.Series(np.nan, index=frame.index)
        if value is None:
            keep &= column.isna()
        elif value is False:  # unset means False for a switch
            keep &= column.isna() | (column == False)  # noqa: E712
        else:
            keep &= np.isclose(column.astype(float), float(value))
    return keep


def main_runs(
    frame: pd.DataFrame, *, vary: Sequence[str] = (), random_labels: bool = False
) -> pd.DataFrame:
    """The runs of each learner's main configuration (:data:`MAIN_PARAMS`, but for the
    parameters named in ``vary``, e.g. ``("epochs",)``; the linear firm's runs as they are)
    at spacing 20, without random labels unless ``random_labels``, each run once, with a
    ``learner`` column."""
    if frame.empty:
        return frame.assign(learner=pd.Series(dtype=object))
    rows = unique_runs(frame)
    if "random_labels" in rows and not random_labels:
        rows = rows[rows["random_labels"].fillna(0.0) == 0]
    if "spacing" in rows:
        rows = rows[rows["spacing"].fillna(20) == 20]
    parts = [rows[rows["firm"] == "linear"].assign(learner=LINEAR)]
    tf = rows[rows["firm"] == "transformer"]
    for name, params in MAIN_PARAMS.items():
        fixed = {k: v for k, v in params.items() if k not in vary}
        parts.append(tf[_matches(tf, fixed)].assign(learner=name))
    return pd.concat(parts)


def _kept_seeds(rows: pd.DataFrame) -> tuple[list[int], bool]:
    """The seeds :func:`complete_seeds` keeps, and whether they ran the whole α grid (else:
    the one seed with the most values of α > 0)."""
    positive = rows[rows["alpha"] > 0]
    grids = positive.groupby("seed")["alpha"].agg(lambda a: frozenset(a.round(12)))
    every = frozenset().union(*grids)
    whole = grids[grids.map(len) == len(every)].index
    if len(whole):
        return sorted(int(s) for s in whole), True
    return [int(grids.map(len).idxmax())], False


def complete_seeds(rows: pd.DataFrame) -> pd.DataFrame:
    """The runs of one curve from the seeds that ran every value of α > 0 the curve has (a
    seed still running is left out until its grid is complete; α = 0 does not count); where
    no seed has, the seed with the most values of α. The runs at α = 0 are kept only where
    every seed kept ran one: the bootstrap over seeds needs every seed on one grid, and would
    otherwise read only the seeds with a run at α = 0 while the reading counts them all."""
    if rows.empty or not (rows["alpha"] > 0).any():
        return rows
    keep, _ = _kept_seeds(rows)
    kept = rows[rows["seed"].isin(keep)]
    clean = kept[kept["alpha"] == 0]
    if len(clean) and set(clean["seed"]) != set(keep):
        kept = kept[kept["alpha"] > 0]
    return kept


def _order(frame: pd.DataFrame, column: str = "learner") -> pd.DataFrame:
    rank = {name: i for i, name in enumerate(LEARNERS)}
    return frame.sort_values(
        [c for c in ("n_train",) if c in frame] + [column],
        key=lambda s: s.map(rank) if s.name == column else s,
        kind="stable",
    )


def learner_critical_masses(
    runs: pd.DataFrame,
    strategy: str = "feature-label",
    levels: Sequence[float] = (0.5, 0.9),
) -> pd.DataFrame:
    """The critical mass of in-set success for each (training size, learner) of ``runs`` (a
    frame of :func:`main_runs`) under ``strategy``, with the bootstrap interval over seeds of
    :func:`collective.report.critical_mass.critical_mass_table`, ordered along
    :data:`LEARNERS`. A curve with fewer than two values of α > 0 is left out (no curve to
    read; :func:`critical_mass_reading` says what ran). A curve is read over the seeds that ran
    its whole grid (:func:`complete_seeds`)."""
    rows = runs[runs["strategy"] == strategy]
    if len(rows):
        rows = pd.concat(complete_seeds(g) for _, g in rows.groupby(["n_train", "learner"]))
    counts = rows[rows["alpha"] > 0].groupby(["n_train", "learner"])["alpha"].nunique()
    keep = counts[counts >= 2].index
    rows = rows[rows.set_index(["n_train", "learner"]).index.isin(keep)]
    if rows.empty:
        return pd.DataFrame(
            columns=["n_train", "learner", "metric", "S*", "alpha", "alpha 95% CI", "resumes"]
        )
    table = critical_mass_table(
        rows, ["n_train", "learner"], metrics=["success_in_set"], levels=levels
    )
    return _order(table)


def one_curve(runs: pd.DataFrame, strategy: str = "feature-label", **where: Any) -> pd.DataFrame:
    """The runs of one curve: ``strategy``'s rows of ``runs`` where each column of ``where``
    equals its value (e.g. ``learner=EVERY_LAYER, n_train=25000``)."""
    rows = runs[runs["strategy"] == strategy]
    for name, value in where.items():
        rows = rows[rows[name] == value]
    return rows


def critical_mass_reading(
    runs: pd.DataFrame, level: float, strategy: str = "feature-label", **where: Any
) -> str:
    """The critical mass for in-set success ``level`` of the one curve of ``runs`` selected by
    ``where`` (column = value, e.g. ``learner=...``, ``n_train=...``), in words and honest
    about what ran: ``"not run yet"``; ``"reached at the smallest α run, α = 0.30% (1 seed):
    at most 75 resumes"``; ``"not reached up to α = 0.50% (1 seed)"``; else the crossing
    between two measured sizes (:func:`~collective.report.critical_mass.critical_mass_phrase`),
    over the seeds that ran the whole grid (:func:`complete_seeds`)."""
    rows = one_curve(runs, strategy, **where)
    rows = complete_seeds(rows)
    positive = rows[rows["alpha"] > 0]
    if positive.empty:
        return "not run yet"
    n_train = int(rows["n_train"].iloc[0])
    curve = positive.groupby("alpha")["success_in_set"].agg(["mean", "count"])
    seeds = positive["seed"].nunique()
    seed_words = f"{seeds} seed{'s' if seeds > 1 else ''}"
    reached = curve[curve["mean"] >= level]
    if reached.empty:
        return f"not reached up to α = {curve.index.max():.2%} ({seed_words})"
    if reached.index.min() == curve.index.min():
        first = float(curve.index.min())
        return (
            f"reached at the smallest α run, α = {first:.2%} ({seed_words}): at most "
            f"{first * n_train:.0f} resumes"
        )
    table = critical_mass_table(rows, ["learner"], metrics=["success_in_set"], levels=[level])
    return critical_mass_phrase(table, level)


def _seed_list(seeds: Sequence[int]) -> str:
    """``"seed 0"``, ``"seeds 0 and 1"``, ``"seeds 0, 1 and 2"``."""
    seeds = [int(v) for v in seeds]
    if len(seeds) == 1:
        return f"seed {seeds[0]}"
    return "seeds " + ", ".join(map(str, seeds[:-1])) + f" and {seeds[-1]}"


def curve_seeds(runs: pd.DataFrame, strategy: str = "feature-label", **where: Any) -> str:
    """The seeds that :func:`critical_mass_reading` reads the one curve of ``runs`` selected by
    ``where`` over (:func:`complete_seeds`), in words: ``"seed 0, the one seed that ran the
    whole α grid"``, ``"seeds 0 and 1, the 2 seeds that ran the whole α grid"``, or, where no
    seed ran every size, ``"seed 0, the seed that ran the most sizes"``."""
    rows = one_curve(runs, strategy, **where)
    if not (rows["alpha"] > 0).any():
        return "no seed yet"
    seeds, whole = _kept_seeds(rows)
    if not whole:
        return f"{_seed_list(seeds)}, the seed that ran the most sizes"
    if len(seeds) == 1:
        return f"{_seed_list(seeds)}, the one seed that ran the whole α grid"
    return f"{_seed_list(seeds)}, the {len(seeds)} seeds that ran the whole α grid"


def _masses_at(cm: pd.DataFrame, n_train: int, level: float) -> pd.DataFrame:
    """The rows of ``cm`` (:func:`learner_critical_masses`) at ``n_train`` and ``level``, one
    per learner (the index)."""
    return cm[(cm["n_train"] == n_train) & (cm["S*"] == level)].set_index("learner")


def _clean_f1(clean: pd.DataFrame, n_train: int) -> pd.Series:
    """Each learner's mean clean micro-F1 at ``n_train`` over its runs without a collective
    (``clean``: runs of :func:`main_runs`), Theorem 3.3's proxy for closeness to optimal."""
    at = clean[(clean["n_train"] == n_train) & (clean["alpha"] == 0)]
    return at.groupby("learner")["f1"].mean()


def below_others(cm: pd.DataFrame, learner: str, n_train: int, level: float) -> str:
    """Where ``learner``'s critical mass for ``level`` sits among the other learners' at
    ``n_train`` (``cm``: :func:`learner_critical_masses`), in words. Only other curves of two
    or more seeds have an interval to compare with; ``learner``'s own crossing is its 95%
    interval's upper end where it has two or more seeds, else its point (one seed, no
    interval): ``"for 90%, every layer's interval (2 seeds) lies below the lower end of the
    interval of 2 of the 3 other firms"``."""
    rows = _masses_at(cm, n_train, level)
    if learner not in rows.index or pd.isna(rows.loc[learner, "alpha"]):
        return f"for {level:.0%}, not comparable yet"
    mine = rows.loc[learner]
    others = rows.drop(index=learner)
    if has_interval(mine):
        top, what = (
            mine["alpha 95% CI"][1],
            f"{learner}'s interval ({int(mine['seeds'])} seeds) lies",
        )
    else:
        top, what = mine["alpha"], f"{learner}'s point (one seed, no interval) lies"
    under = [
        name
        for name, r in others.iterrows()
        if has_interval(r) and pd.notna(r["alpha"]) and top < r["alpha 95% CI"][0]
    ]
    return (
        f"for {level:.0%}, {what} below the lower end of the interval of {len(under)} of the "
        f"{len(others)} other firms"
    )


def seeds_below(
    runs: pd.DataFrame, below: float, strategy: str = "feature-label", **where: Any
) -> str:
    """Which seeds ran at each α in (0, ``below``) of the one curve of ``runs`` selected by
    ``where``, in words, the sizes grouped by their seeds: ``"seeds 0 and 1 at α = 0.05%;
    seed 0 alone at α = 0.02%, 0.10%, 0.20%"``."""
    rows = one_curve(runs, strategy, **where)
    rows = rows[(rows["alpha"] > 0) & (rows["alpha"] < below)]
    if rows.empty:
        return f"no run below α = {below:.2%}"
    by_alpha = rows.groupby("alpha")["seed"].agg(lambda s: tuple(sorted(set(int(v) for v in s))))
    groups: dict[tuple[int, ...], list[float]] = {}
    for alpha, seeds in by_alpha.items():
        groups.setdefault(seeds, []).append(float(alpha))
    parts = []
    for seeds, alphas in sorted(groups.items(), key=lambda kv: (-len(kv[0]), kv[1][0])):
        who = f"seed {seeds[0]} alone" if len(seeds) == 1 else _seed_list(seeds)
        parts.append(f"{who} at α = " + ", ".join(f"{a:.2%}" for a in alphas))
    return "; ".join(parts)


def _success_below(runs: pd.DataFrame, below: float, strategy: str, **where: Any) -> Any:
    """In-set success of the one curve of ``runs`` selected by ``where`` at each α in
    (0, ``below``), grouped by α (a pandas ``SeriesGroupBy``); ``None`` where no run is there."""
    rows = one_curve(runs, strategy, **where)
    rows = rows[(rows["alpha"] > 0) & (rows["alpha"] < below)]
    return None if rows.empty else rows.groupby("alpha")["success_in_set"]


def seeds_reaching(
    runs: pd.DataFrame,
    level: float,
    below: float,
    strategy: str = "feature-label",
    **where: Any,
) -> str:
    """How consistently the one curve of ``runs`` selected by ``where`` (as in
    :func:`critical_mass_reading`) reaches in-set success ``level`` at α below ``below``, seed
    by seed, in words: where several seeds ran, how many of them reach it and the lowest;
    where one ran, its values: ``"at α = 0.30%, 3 of 3 seeds reach 90% (the lowest 99.8%);
    one seed at α = 0.05%, 0.10%: 73.0%, 99.6%"``."""
    success = _success_below(runs, below, strategy, **where)
    if success is None:
        return f"no run below α = {below:.2%}"
    per = pd.DataFrame(
        {
            "seeds": success.size(),
            "reach": success.agg(lambda s: int((s >= level).sum())),
            "lowest": success.min(),
        }
    )
    parts = [
        f"at α = {a:.2%}, {int(r['reach'])} of {int(r['seeds'])} seeds reach {level:.0%} "
        f"(the lowest {r['lowest']:.1%})"
        for a, r in per[per["seeds"] > 1].iterrows()
    ]
    single = per[per["seeds"] == 1]
    if len(single):
        parts.append(
            "one seed at α = "
            + ", ".join(f"{a:.2%}" for a in single.index)
            + ": "
            + ", ".join(f"{v:.1%}" for v in single["lowest"])
        )
    return "; ".join(parts)


def smallest_consistent_alpha(
    runs: pd.DataFrame,
    level: float,
    below: float,
    strategy: str = "feature-label",
    **where: Any,
) -> str:
    """The smallest α in (0, ``below``) at which several seeds of the one curve of ``runs``
    selected by ``where`` ran and every one of them reaches in-set success ``level``, in words:
    ``"α = 0.10% (3 of 3 seeds, the lowest 99.6%)"``; the paper's "consistent success" read
    only where consistency can be seen (a size one seed ran is not counted)."""
    success = _success_below(runs, below, strategy, **where)
    per = (
        pd.DataFrame({"seeds": success.size(), "lowest": success.min()})
        if success is not None
        else pd.DataFrame(columns=["seeds", "lowest"])
    )
    held = per[(per["seeds"] > 1) & (per["lowest"] >= level)]
    if held.empty:
        return f"no α below {below:.2%} at which several seeds ran and all reach {level:.0%}"
    alpha = float(held.index.min())
    r = held.loc[alpha]
    n = int(r["seeds"])
    return f"α = {alpha:.2%} ({n} of {n} seeds, the lowest {r['lowest']:.1%})"


def clean_metrics_by_learner(runs: pd.DataFrame, n_train: int) -> pd.DataFrame:
    """Clean-test accuracy (1 - Hamming loss), precision, recall and micro-F1 of each learner
    at ``n_train`` training resumes, mean over its runs without a collective (over all its
    runs, said in the column name, where none without a collective has run), beside the
    paper's DistilBERT (every layer trained, Section 5.1 of {cite}`hardt2023algorithmic`)."""
    from collective.resumes.evaluation import PAPER_CLEAN_METRICS

    metrics = list(PAPER_CLEAN_METRICS) + ["f1"]
    at = runs[runs["n_train"] == n_train]
    columns = {}
    for name in LEARNERS:
        rows = at[at["learner"] == name]
        if rows.empty:
            continue
        clean = rows[rows["alpha"] == 0]
        if len(clean):
            label = f"{name} ({clean_runs_phrase(clean)})"
        else:
            clean = rows
            label = f"{name} ({clean_runs_phrase(rows, 'each with a collective')})"
        columns[label] = clean[metrics].mean()
    paper = pd.Series(PAPER_CLEAN_METRICS, dtype=float).reindex(metrics)
    return pd.DataFrame({**columns, "paper: DistilBERT, every layer, 25,000 resumes": paper})


def ordering_reading(cm: pd.DataFrame, clean: pd.DataFrame, n_train: int, level: float) -> str:
    r"""Theorem 3.3's reading along the learner axis at ``n_train`` resumes, in words: the
    learners ordered by clean micro-F1 (``clean``: runs of :func:`main_runs`, the same size;
    a proxy for closeness to the Bayes-optimal classifier, not $\epsilon$ itself), their
    critical masses for in-set success ``level`` (``cm``: :func:`learner_critical_masses`),
    and whether the critical mass falls as the clean quality rises, for every pair of
    neighbours or not, and for which pairs the bootstrap intervals are disjoint."""
    rows = _masses_at(cm, n_train, level)
    f1 = _clean_f1(clean, n_train)
    names = [
        n
        for n in f1.sort_values().index
        if n in rows.index and rows.loc[n, "alpha"] == rows.loc[n, "alpha"]
    ]
    if len(names) < 2:
        return "fewer than two learners have both a clean run and a critical mass at this size"
    digits = 3  # enough digits that no two learners' F1 read the same
    while digits < 6 and len({f"{f1[n]:.{digits}f}" for n in names}) < len(names):
        digits += 1
    order = " < ".join(f"{n} ({f1[n]:.{digits}f})" for n in names)
    masses = "; ".join(f"{n}: {rows.loc[n, 'alpha']:.2%}" for n in names)
    pairs = list(zip(names, names[1:]))
    falls = [b for a, b in pairs if rows.loc[b, "alpha"] < rows.loc[a, "alpha"]]
    # a curve of one seed has no interval (its bootstrap is its one point): no pair with it
    # is called disjoint
    single = [n for n in names if "seeds" in rows and not has_interval(rows.loc[n])]
    apart = [
        f"{a} and {b}"
        for a, b in pairs
        if a not in single
        and b not in single
        and (
            rows.loc[a, "alpha 95% CI"][1] < rows.loc[b, "alpha 95% CI"][0]
            or rows.loc[b, "alpha 95% CI"][1] < rows.loc[a, "alpha 95% CI"][0]
        )
    ]
    if len(falls) == len(pairs):
        trend = "the critical mass falls at every step up in clean quality"
    elif not falls:
        trend = "the critical mass falls at no step up in clean quality"
    else:
        trend = (
            f"the critical mass falls at {len(falls)} of the {len(pairs)} steps up in clean quality"
        )
    judged = [(a, b) for a, b in pairs if a not in single and b not in single]
    if apart:
        separated = "the 95% intervals of neighbours are disjoint for " + "; ".join(apart)
    elif judged:
        separated = "the 95% intervals of every pair of neighbours with intervals overlap"
    else:
        separated = "no pair of neighbours has two intervals to compare"
    if single:
        separated += (
            " ("
            + ", ".join(single)
            + f": one seed, no interval; {'its' if len(single) == 1 else 'their'} pairs are "
            "not judged)"
        )
    return (
        f"by clean micro-F1, {order}; critical mass for {level:.0%} in-set success: {masses}; "
        f"{trend}, and {separated}"
    )


def pair_reading(
    cm: pd.DataFrame, clean: pd.DataFrame, n_train: int, level: float, a: str, b: str
) -> str:
    """Two learners ``a`` and ``b`` at ``n_train`` resumes read against Theorem 3.3's proxy, in
    words: does the one with the higher clean micro-F1 (``clean``: runs of :func:`main_runs`)
    also need the smaller collective for in-set success ``level`` (``cm``:
    :func:`learner_critical_masses`)?"""
    rows = _masses_at(cm, n_train, level)
    f1 = _clean_f1(clean, n_train)
    if not {a, b} <= set(f1.index) or not {a, b} <= set(rows.index):
        return "not comparable yet"
    if pd.isna(rows.loc[a, "alpha"]) or pd.isna(rows.loc[b, "alpha"]):
        return "not comparable yet (a curve does not reach the level on its grid)"
    high, low = (a, b) if f1[a] > f1[b] else (b, a)
    if rows.loc[high, "alpha"] < rows.loc[low, "alpha"]:
        return (
            f"the firm with the higher clean micro-F1 ({high}) needs the smaller collective, the "
            "order Theorem 3.3 leads one to expect of a learner nearer the optimum"
        )
    if rows.loc[high, "alpha"] > rows.loc[low, "alpha"]:
        return (
            f"the firm with the lower clean micro-F1 ({low}) needs the smaller collective, the "
            "reverse of the order the clean-quality proxy suggests: the kind of case Ben-Dov et "
            "al.'s reading allows for"
        )
    return "the two need the same collective"


def learners_table(runs: pd.DataFrame, grids: Mapping[str, str]) -> pd.DataFrame:
    """One row per learner: what it trains, the grids behind its main configuration
    (``grids``: learner -> grid names), and the runs and seeds of that configuration in
    ``runs`` (a frame of :func:`main_runs`) at each training size ("not run yet" where none)."""
    out = []
    for name in LEARNERS:
        rows = runs[runs["learner"] == name]
        entry: dict[str, str] = {
            "learner": name,
            "trains": TRAINS[name],
            "grids": grids.get(name, ""),
        }
        for n in (2000, 25000):
            at = rows[rows["n_train"] == n]
            text = f"{len(at)} runs, {at['seed'].nunique()} seed(s)" if len(at) else "not run yet"
            whole = complete_seeds(at)["seed"].nunique() if len(at) else 0
            if whole < at["seed"].nunique():  # a seed that ran part of the α grid only
                text += f", {whole} of them at every α"
            entry[f"{n:,} resumes"] = text
        out.append(entry)
    return pd.DataFrame(out).set_index("learner")
