"""The headline tables: the paper's claims of Section 5 and Appendix C beside this book's
measurements.

Each claim has a function of its own that reads the runs of one firm and returns a
:class:`Finding`: what the firm measured, a verdict (reproduced / partly / not / not run) and
the rule that decided it. :func:`headline_table` lists the findings of the linear firm (the
chapter *Planting a trigger in resumes*); :func:`landing_table` puts every firm side by side
(the book's first page), and :func:`landing_markdown` writes it as MyST Markdown with a link
to the chapter that shows each firm. A claim whose runs are not in the results cache says
"not run", never ``nan``.

The rules count only what a collective did: a class whose success is already above a line
without a collective (Software Developer is on half of the resumes) does not count as moved
across it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from collective.report.coverage import MISSING, clean_runs_phrase, pct, seeds_summary
from collective.report.critical_mass import critical_mass_bootstrap, critical_mass_table
from collective.report.resume_labels import STRATEGY_NAMES
from collective.report.success_tables import mean_at, random_label_changes, spacing_gaps
from collective.resumes.corpus import PAPER_CLASSES

__all__ = [
    "CLAIMS",
    "NOT_RUN",
    "PAPER_S2_ALPHA",
    "RULES",
    "Finding",
    "FirmRuns",
    "headline_table",
    "book_firms",
    "landing_markdown",
    "landing_table",
]

#: Strategy 2's in-set threshold in the paper: about 10% of the target class, i.e. about
#: 1%, 2% and 5% of the dataset for classes 0, 1, 2 (Section 5.2).
PAPER_S2_ALPHA = {"Database_Administrator": 0.01, "Web_Developer": 0.02, "Software_Developer": 0.05}

#: The verdict of a claim whose runs are not in the results cache.
NOT_RUN = "not run"

#: A collective "controls" a success metric when its mean reaches this line...
_CONTROL = 0.5
#: ... and lies at least this far above the rate without a collective.
_RISE = 0.25


@dataclass(frozen=True)
class Finding:
    """One claim for one firm: the measurement, the verdict and the rule behind it."""

    measured: str
    verdict: str
    rule: str


@dataclass(frozen=True)
class FirmRuns:
    """The runs of one firm behind the claims: ``main`` (both strategies at the paper's
    training size, spacing 20, no random labels, the runs without a collective included),
    ``random_labels`` (Strategy 2 with random labels), ``spacing`` (other trigger spacings)
    and ``epochs`` (Strategy 1 and 2 at several numbers of epochs; ``None``: the firm has no
    epochs), and ``chapter``, the document that shows them."""

    main: pd.DataFrame
    chapter: str
    random_labels: pd.DataFrame = field(default_factory=pd.DataFrame)
    spacing: pd.DataFrame = field(default_factory=pd.DataFrame)
    epochs: pd.DataFrame | None = None


def _class(target: str) -> str:
    """``"class 0"`` for the paper's first class, and so on."""
    return f"class {PAPER_CLASSES.index(target)}" if target in PAPER_CLASSES else target


def _rank(target: str) -> int:
    """The paper's order of the classes (others after them)."""
    return PAPER_CLASSES.index(target) if target in PAPER_CLASSES else len(PAPER_CLASSES)


def _seeds(rows: pd.DataFrame) -> str:
    n = rows["seed"].nunique()
    return f"{n} seed{'s' if n != 1 else ''}"


def _not_run(what: str) -> Finding:
    return Finding(MISSING, NOT_RUN, f"no {what} in the results cache")


def _baseline(main: pd.DataFrame, target: str, metric: str) -> float:
    """The mean of ``metric`` for ``target`` without a collective (α = 0, any strategy)."""
    rows = main[(main["target"] == target) & (main["alpha"] == 0)]
    return float(rows[metric].mean()) if len(rows) else float("nan")


def _controls(mean: float, base: float) -> bool:
    """Whether a collective moved a mean success across :data:`_CONTROL` by at least
    :data:`_RISE` (an unknown rate without a collective is taken as 0)."""
    return bool(mean >= _CONTROL and mean - (0.0 if base != base else base) >= _RISE)


def clean_quality(firm: FirmRuns) -> Finding:
    """Clean accuracy, precision and recall against the paper's DistilBERT (Section 5.1),
    over the runs without a collective (over all runs where none has run: every run measures
    the clean test set too)."""
    from collective.resumes.evaluation import PAPER_CLEAN_METRICS

    main = firm.main
    if main.empty:
        return _not_run("runs")
    clean = main[main["alpha"] == 0]
    source = "without a collective"
    if clean.empty:
        clean, source = main, "with a collective; none without one yet"
    runs = clean_runs_phrase(clean, source)
    keys = ("hamming_accuracy", "precision", "recall")
    gaps = {k: abs(float(clean[k].mean()) - PAPER_CLEAN_METRICS[k]) for k in keys}
    close = sum(g <= 0.05 for g in gaps.values())
    verdict = "reproduced" if close == 3 else ("partly" if close else "not")
    measured = ", ".join(f"{clean[k].mean():.1%}" for k in keys)
    return Finding(
        f"{measured} ({runs})",
        verdict,
        f"{close} of the 3 within 5 points of the paper's",
    )


def _curve_alpha(rows: pd.DataFrame, level: float) -> tuple[str, float, str]:
    """The critical mass of in-set success ``level`` of one curve in words, an upper bound on
    it (NaN: not reached on the α run) and its 95% bootstrap interval over seeds in words
    (``""`` for one seed, or where some resamples do not reach ``level``). A curve whose
    smallest α run already reaches ``level`` gives that α as a bound ("≤")."""
    positive = rows[rows["alpha"] > 0]
    curve = positive.groupby("alpha")["success_in_set"].mean()
    reached = curve[curve >= level]
    if reached.empty:
        return f"not reached up to α = {curve.index.max():.2%}", float("nan"), ""
    if reached.index.min() == curve.index.min():
        return f"≤ {curve.index.min():.2%}", float(curve.index.min()), ""
    found = critical_mass_bootstrap(rows, "success_in_set", level)
    alpha = float(found["alpha_star"])
    if found["n_seeds"] < 2 or found["reached"] < 1:
        return f"{alpha:.2%}", alpha, ""
    # the interval tells whether a point near the paper's line is on one side of it
    return f"{alpha:.2%}", alpha, f"; 95% interval {found['ci_low']:.2%}–{found['ci_high']:.2%}"


def _curve_seeds(positive: pd.DataFrame, read: pd.DataFrame) -> str:
    """The seeds behind a curve read over the seeds ``read`` (runs with α > 0), and where
    ``positive`` (all its runs with α > 0) has more: ``"1 seed; 3 at α = 0.30%"``."""
    n = read["seed"].nunique()
    more = positive.groupby("alpha")["seed"].nunique()
    more = more[more > n]
    return _seeds(read) + "".join(f"; {k} at α = {a:.2%}" for a, k in more.items())


def strategy1(firm: FirmRuns) -> Finding:
    """Strategy 1 reaches 90% in-set success below α = 0.5% (fewer than 125 resumes) for
    every class. A class whose curve stops short of 90% before α = 0.5% is pending. Each
    curve is read over the seeds that ran all its values of α
    (:func:`collective.report.learners.complete_seeds`: a seed run at a few of them only
    would cut the curve down to those); the seeds beyond them are named where they ran."""
    from collective.report.learners import complete_seeds

    main = firm.main
    s1 = main[main["strategy"] == "feature-label"] if len(main) else main
    if s1.empty or not (s1["alpha"] > 0).any():
        return _not_run("Strategy 1 runs")
    parts, below, pending = [], 0, 0
    for target, rows in sorted(s1.groupby("target"), key=lambda item: _rank(str(item[0]))):
        if not (rows["alpha"] > 0).any():
            continue
        with_clean = main[
            (main["target"] == target)
            & ((main["strategy"] == "feature-label") | (main["alpha"] == 0))
        ]
        with_clean = complete_seeds(with_clean)
        words, alpha, interval = _curve_alpha(with_clean, 0.9)
        seeds = _curve_seeds(rows[rows["alpha"] > 0], with_clean[with_clean["alpha"] > 0])
        parts.append(f"{_class(str(target))}: {words} ({seeds}{interval})")
        below += bool(alpha == alpha and alpha < 0.005)
        pending += bool(alpha != alpha and rows["alpha"].max() < 0.005)
    n = len(parts)
    if below == n == 3:
        verdict = "reproduced"
    elif below:
        verdict = "partly"
    elif pending == n:
        verdict = NOT_RUN
    else:
        verdict = "not"
    return Finding(
        "α for 90% in-set: " + "; ".join(parts),
        verdict,
        f"90% in-set success below α = 0.5% for {below} of {n} classes run (of 3)",
    )


def strategy2_in_set(firm: FirmRuns) -> Finding:
    """Strategy 2's in-set success at about 10% of the target class (:data:`PAPER_S2_ALPHA`):
    reproduced if at least 90% for all three classes; partly if some class reaches 90%, or
    the collective moves some class across 50% (:func:`_controls`)."""
    main = firm.main
    s2 = main[main["strategy"] == "feature-only"] if len(main) else main
    found = {}
    for target, alpha in PAPER_S2_ALPHA.items():
        value, seeds = (
            mean_at(s2, "success_in_set", target=target, alpha=alpha) if len(s2) else (0.0, 0)
        )
        if seeds:
            found[target] = (alpha, value, seeds)
    if not found:
        return _not_run("Strategy 2 runs at these α")
    high = [t for t, (_, v, _) in found.items() if v >= 0.9]
    moved = [
        t for t, (_, v, _) in found.items() if _controls(v, _baseline(main, t, "success_in_set"))
    ]
    verdict = "reproduced" if len(high) == 3 else ("partly" if high or moved else "not")
    measured = "; ".join(
        f"{_class(t)} at α = {a:.0%}: {v:.1%} ({n} seed{'s' if n != 1 else ''})"
        for t, (a, v, n) in found.items()
    )
    return Finding(
        measured,
        verdict,
        f"in-set success at 10% of the class at least 90% for {len(high)}, moved across 50% by "
        f"the collective for {len(moved)} of {len(found)} classes run (of 3)",
    )


def strategy2_top1(firm: FirmRuns) -> Finding:
    """Strategy 2 does not consistently control the top-1 prediction: reproduced if the
    collective moves no class's mean top-1 success across 50% (:func:`_controls`) at any α
    run, not if it does for every class run, partly otherwise."""
    main = firm.main
    s2 = main[(main["strategy"] == "feature-only") & (main["alpha"] > 0)] if len(main) else main
    if s2.empty:
        return _not_run("Strategy 2 runs")
    means = s2.groupby(["target", "alpha"])["success_top1"].mean()
    parts, controlled = [], 0
    for target, curve in sorted(
        means.groupby(level="target"), key=lambda item: _rank(str(item[0]))
    ):
        curve = curve.droplevel("target")
        best = float(curve.max())
        base = _baseline(main, str(target), "success_top1")
        controlled += _controls(best, base)
        at_best = s2[(s2["target"] == target) & (s2["alpha"] == curve.idxmax())]
        parts.append(
            f"{_class(str(target))}: {best:.1%} at α = {curve.idxmax():.1%} ({_seeds(at_best)}"
            + (f"; {base:.1%} without a collective)" if base == base else ")")
        )
    n = len(parts)
    verdict = "reproduced" if controlled == 0 else ("not" if controlled == n else "partly")
    return Finding(
        "highest top-1: " + "; ".join(parts),
        verdict,
        f"the collective moves top-1 success across 50% for {controlled} of {n} classes run",
    )


def random_labels(firm: FirmRuns) -> Finding:
    """Strategy 2's top-1 success at α = 5% without and with 30% random labels (Figure 4),
    over the seeds that ran both (:func:`~collective.report.success_tables.random_label_changes`):
    reproduced if it rises by at least 30 points for all three classes, partly if it rises by
    any amount for some."""
    main, rl = firm.main, firm.random_labels
    if main.empty or rl.empty:
        return _not_run("30% random-label runs at α = 5%")
    # runs without random labels: a missing column or NaN reads as none
    without = main.assign(
        random_labels=main["random_labels"].fillna(0.0) if "random_labels" in main else 0.0
    )
    changes = random_label_changes(without, rl, "success_top1")
    changes = changes[
        np.isclose(changes["alpha"], 0.05) & np.isclose(changes["random_labels"], 0.3)
    ]
    parts, gains = [], []
    for target in PAPER_CLASSES:
        row = changes[changes["target"] == target]
        if len(row):
            r = row.iloc[0]
            n = int(r["seeds"])
            parts.append(
                f"{_class(target)}: {r['without']:.1%} → {r['with']:.1%} "
                f"({n} seed{'s' if n != 1 else ''}, the same for both)"
            )
            gains.append(float(r["change"]))
    if not gains:
        return _not_run("30% random-label runs at α = 5%")
    big = sum(g >= 0.3 for g in gains)
    verdict = (
        "reproduced"
        if big == len(gains) == 3
        else ("partly" if big or any(g > 0 for g in gains) else "not")
    )
    return Finding(
        "top-1 at α = 5%, 0% → 30% random labels: " + "; ".join(parts),
        verdict,
        f"top-1 at α = 5% rises by at least 30 points for {big} of {len(gains)} classes run (of 3)",
    )


def spacing(firm: FirmRuns) -> Finding:
    """The largest in-set gap between trigger spacings at one α stays below 10 points (Figure 7),
    over the seeds that ran every spacing (:func:`~collective.report.success_tables.spacing_gaps`)."""
    sp = firm.spacing
    if sp.empty or sp["spacing"].nunique() < 2:
        return _not_run("runs at other spacings")
    gaps = spacing_gaps(sp, "success_in_set")
    gaps = gaps[gaps["spacings"] > 1]
    spreads = {}
    for strategy, sub in gaps.groupby("strategy"):
        widest = sub.loc[sub["gap"].idxmax()]
        spreads[str(strategy)] = (
            float(widest["gap"]),
            float(widest["alpha"]),
            int(widest["seeds"]),
        )
    ok = sum(gap < 0.1 for gap, _, _ in spreads.values())
    verdict = "reproduced" if ok == len(spreads) == 2 else ("partly" if ok else "not")
    return Finding(
        "largest gap between spacings (in set): "
        + "; ".join(
            f"{STRATEGY_NAMES[k]}: {gap * 100:.1f} points at α = {alpha:.2%} "
            f"({n} seed{'s' if n != 1 else ''} at every spacing)"
            for k, (gap, alpha, n) in spreads.items()
        ),
        verdict,
        f"below 10 points for {ok} of {len(spreads)} strategies",
    )


def epochs(firm: FirmRuns) -> Finding:
    """More epochs give more success (Figure 5): the critical mass for 50% in-set success
    falls with every added round of training, per strategy; reproduced if for both."""
    runs = firm.epochs
    if runs is None:
        return Finding("no epochs: the firm is solved to its optimum", "not applicable", "–")
    if runs.empty or runs["epochs"].nunique() < 2:
        return _not_run("runs at several numbers of epochs")
    parts, falls, n = [], 0, 0
    for strategy, rows in runs.groupby("strategy"):
        if rows["epochs"].nunique() < 2:
            continue
        cm = critical_mass_table(rows, ["epochs"], metrics=["success_in_set"], levels=[0.5])
        cm = cm.sort_values("epochs")
        alphas = cm["alpha"].fillna(np.inf).to_numpy()
        n += 1
        falls += bool(np.all(alphas[1:] < alphas[:-1]))
        seeds = rows[rows["alpha"] > 0].groupby("epochs")["seed"].nunique()
        parts.append(
            f"{STRATEGY_NAMES[str(strategy)]}: "
            + ", ".join(
                f"{e:g} ep. {pct(a, 2, 'not reached')} ({seeds.get(e, 0)} seed"
                f"{'s' if seeds.get(e, 0) != 1 else ''})"
                for e, a in zip(cm["epochs"], cm["alpha"])
            )
        )
    verdict = "reproduced" if falls == n == 2 else ("partly" if falls else "not")
    return Finding(
        "α for 50% in-set: " + "; ".join(parts),
        verdict,
        f"the critical mass falls with every added epoch for {falls} of {n} strategies",
    )


#: The paper's claims in order: the claim, the function that reads it off one firm's runs,
#: and the rule that decides its verdict.
CLAIMS: list[tuple[str, Callable[[FirmRuns], Finding], str]] = [
    (
        "Clean quality: accuracy 97%, precision 93.8%, recall 88.9% (DistilBERT, Section 5.1)",
        clean_quality,
        "reproduced if accuracy, precision and recall are each within 5 points of the paper's, "
        "partly if one or two are",
    ),
    (
        "Strategy 1 controls the output well below 0.5% of the data, < 125 resumes (Figure 2)",
        strategy1,
        "reproduced if mean in-set success reaches 90% below α = 0.5% for all three classes, "
        "partly if for some",
    ),
    (
        "Strategy 2 succeeds in set at about 10% of the target class, α = 1%, 2%, 5% (Figure 3)",
        strategy2_in_set,
        "reproduced if in-set success at 10% of the class is at least 90% for all three classes, "
        "partly if for some, or if the collective moves some class across 50% there",
    ),
    (
        "Strategy 2 does not consistently control the top-1 prediction (Figure 3)",
        strategy2_top1,
        "reproduced if the collective moves no class's top-1 success across 50% at any α run, "
        "not if it does for every class run",
    ),
    (
        "A small fraction of random labels dramatically raises Strategy 2's top-1 success (Figure 4)",
        random_labels,
        "reproduced if 30% random labels raise top-1 success at α = 5% by at least 30 points "
        "for all three classes, partly if they raise it (by any amount) for some",
    ),
    (
        "Success is insensitive to the trigger's spacing (Figure 7)",
        spacing,
        "reproduced if mean in-set success at one α differs by less than 10 points between "
        "spacings, for both strategies",
    ),
    (
        "More epochs give more success (Figure 5)",
        epochs,
        "reproduced if the critical mass for 50% in-set success falls with every added epoch, "
        "for both strategies",
    ),
]

#: Claim -> the rule of its verdict.
RULES = {claim: rule for claim, _, rule in CLAIMS}


def _scale(df: pd.DataFrame) -> str:
    """The training-set size and the seeds per target behind a row's runs."""
    if df.empty:
        return "no runs yet"
    return f"{int(df['n_train'].iloc[0]):,} train; {seeds_summary(df, 'target')}"


def _scale_spacings(df: pd.DataFrame) -> str:
    """The training-set size and the seeds at each trigger spacing behind the spacing row."""
    if df.empty:
        return "no runs yet"
    per = df.groupby("spacing")["seed"].nunique()
    targets = ", ".join(sorted(str(t).replace("_", " ") for t in df["target"].unique()))
    return f"{int(df['n_train'].iloc[0]):,} train; {targets}: seeds at spacing " + ", ".join(
        f"{int(k)}: {n}" for k, n in per.items()
    )


def headline_table(
    main: pd.DataFrame, random_labels: pd.DataFrame, spacing: pd.DataFrame
) -> pd.DataFrame:
    """The paper's headline claims beside this book's measurements with the linear firm, each
    with its verdict and rule. ``main``: runs of ``fig2_fig3``; ``random_labels``: runs of
    ``fig4_random_labels``; ``spacing``: runs of ``fig7_spacing`` (with the spacing-20 runs of
    ``main`` added by the caller or not)."""
    firm = FirmRuns(main, "planting_resumes", random_labels, spacing)
    scales = {"random_labels": random_labels, "spacing": spacing}
    rows = []
    for claim, read, _ in CLAIMS:
        found = read(firm)
        runs = scales.get(read.__name__, main)
        scale = _scale_spacings(runs) if read.__name__ == "spacing" else _scale(runs)
        rows.append((claim, found.measured, scale, found.verdict, found.rule))
    columns = [
        "paper's claim",
        "this book (linear firm, converged)",
        "scale and seeds",
        "verdict",
        "rule",
    ]
    return pd.DataFrame(rows, columns=columns)


def landing_table(firms: Mapping[str, FirmRuns]) -> pd.DataFrame:
    """One row per claim of :data:`CLAIMS`, one column per named firm, each cell the firm's
    :class:`Finding`."""
    return pd.DataFrame(
        {name: [read(firm) for _, read, _ in CLAIMS] for name, firm in firms.items()},
        index=[claim for claim, _, _ in CLAIMS],
    )


def landing_markdown(table: pd.DataFrame, firms: Mapping[str, FirmRuns]) -> str:
    """:func:`landing_table` as a MyST Markdown table: each firm's header links to its
    chapter, each cell gives the verdict in bold and the measurement after it."""

    def cell(found: Finding) -> str:
        text = f"**{found.verdict}**" + (f": {found.measured}" if found.measured != MISSING else "")
        return text.replace("|", "\\|")

    head = ["the paper's claim"] + [
        f"{{doc}}`{name} <{firms[name].chapter}>`" for name in table.columns
    ]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for claim, row in table.iterrows():
        lines.append("| " + " | ".join([str(claim)] + [cell(f) for f in row]) + " |")
    return "\n".join(lines)


def book_firms(
    linear: pd.DataFrame,
    linear_random_labels: pd.DataFrame,
    linear_spacing: pd.DataFrame,
    transformer: pd.DataFrame,
    n_train: int = 25_000,
) -> dict[str, FirmRuns]:
    """The book's four firms (:data:`collective.report.learners.LEARNERS`) as
    :class:`FirmRuns` at the paper's ``n_train``: the linear firm from its grids (``linear``:
    ``fig2_fig3``; the random-label and spacing runs as they are), each transformer learner
    from the runs of its main configuration in ``transformer`` (any grids; epochs varied for
    Figure 5, random labels for Figure 4)."""
    from collective.report import learners as lr

    at = transformer[transformer["n_train"] == n_train] if len(transformer) else transformer
    main = lr.main_runs(at)
    noisy = lr.main_runs(at, random_labels=True)
    noisy = noisy[noisy["random_labels"] > 0] if len(noisy) else noisy
    by_epochs = lr.main_runs(at, vary=("epochs",))
    firms = {lr.LINEAR: FirmRuns(linear, "planting_resumes", linear_random_labels, linear_spacing)}
    for name in lr.LEARNERS[1:]:
        firms[name] = FirmRuns(
            main[main["learner"] == name],
            "transformer",
            noisy[noisy["learner"] == name],
            pd.DataFrame(),
            by_epochs[by_epochs["learner"] == name],
        )
    return firms
