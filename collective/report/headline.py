"""The headline table: the paper's claims of Section 5 and Appendix C beside this book's measurements.

One row per claim, each built by a function of its own from the runs behind it: what the
linear firm measured, the scale and seeds behind it, a verdict (reproduced / partly / not /
not yet computed) and the rule that decided it. A claim whose runs are not in the results
cache yet says so, never ``nan``.
"""

from __future__ import annotations

import pandas as pd

from collective.report.coverage import MISSING, pct, seeds_summary
from collective.report.critical_mass_tables import critical_mass_bootstrap_alpha
from collective.report.resume_labels import STRATEGY_NAMES
from collective.report.success_tables import mean_at
from collective.resumes.corpus import PAPER_CLASSES

__all__ = ["PAPER_S2_ALPHA", "headline_table"]

#: Strategy 2's in-set threshold in the paper: about 10% of the target class, i.e. about
#: 1%, 2% and 5% of the dataset for classes 0, 1, 2 (Section 5.2).
PAPER_S2_ALPHA = {"Database_Administrator": 0.01, "Web_Developer": 0.02, "Software_Developer": 0.05}

#: One row: the paper's claim, this book's measurement, scale and seeds, verdict, rule.
Row = tuple[str, str, str, str, str]

_COLUMNS = [
    "paper's claim",
    "this book (linear firm, converged)",
    "scale and seeds",
    "verdict",
    "rule",
]

#: Figure 5's claim concerns training epochs, which the linear firm does not have.
_EPOCHS_ROW: Row = (
    "More epochs give more success (Figure 5)",
    "not applicable to the linear firm (no epochs)",
    "see the transformer chapter",
    "not tested here",
    "the linear firm is solved to its optimum",
)


def _scale(df: pd.DataFrame) -> str:
    """The training-set size and the seeds per target behind a row's runs."""
    if df.empty:
        return "no runs yet"
    return f"{int(df['n_train'].iloc[0]):,} train; {seeds_summary(df, 'target')}"


def _clean_quality_row(main: pd.DataFrame) -> Row:
    """Clean accuracy, precision and recall against the paper's DistilBERT (Section 5.1)."""
    from collective.resumes.evaluation import PAPER_CLEAN_METRICS

    clean = main[(main["alpha"] == 0)] if len(main) else main
    if len(clean):
        ours = ", ".join(
            f"{clean[k].mean():.1%}" for k in ("hamming_accuracy", "precision", "recall")
        )
        recall_gap = PAPER_CLEAN_METRICS["recall"] - clean["recall"].mean()
        verdict = "partly" if recall_gap > 0.05 else "reproduced"
        reason = (
            f"accuracy and precision close; recall {recall_gap:.1%} below the paper's"
            if recall_gap > 0.05
            else "all three within 5 points"
        )
    else:
        ours, verdict, reason = MISSING, "not yet computed", "no clean runs cached"
    paper = ", ".join(
        f"{PAPER_CLEAN_METRICS[k]:.1%}" for k in ("hamming_accuracy", "precision", "recall")
    )
    return (
        "Clean quality: accuracy, precision, recall " + paper + " (DistilBERT)",
        ours,
        _scale(clean),
        verdict,
        reason,
    )


def _strategy1_row(main: pd.DataFrame) -> Row:
    """Strategy 1 reaches 90% in-set success below α = 0.5% for every class."""
    s1 = main[main["strategy"] == "feature-label"] if len(main) else main
    if len(s1):
        found = {
            t: critical_mass_bootstrap_alpha(sub, "success_in_set", 0.9)
            for t, sub in s1.groupby("target")
        }
        ours = "; ".join(
            f"{t.replace('_', ' ')}: {pct(a, 2, 'not reached')}" for t, a in found.items()
        )
        below = [t for t, a in found.items() if a == a and a < 0.005]
        verdict = "reproduced" if len(below) == 3 else ("partly" if below else "not")
        reason = f"in-set success reaches 90% below α = 0.5% for {len(below)} of {len(found)} classes cached (of 3)"
    else:
        ours, verdict, reason = MISSING, "not yet computed", "no Strategy 1 runs cached"
    return (
        "Strategy 1 controls the output well below 0.5% of the data (< 125 resumes)",
        "α* for 90% in-set: " + ours,
        _scale(s1),
        verdict,
        reason,
    )


def _strategy2_in_set_row(s2: pd.DataFrame) -> Row:
    """Strategy 2's in-set success at about 10% of the target class (:data:`PAPER_S2_ALPHA`)."""
    vals = {t: mean_at(s2, "success_in_set", target=t, alpha=a) for t, a in PAPER_S2_ALPHA.items()}
    have = {t: v for t, v in vals.items() if v[1] > 0}
    if have:
        ours = "; ".join(
            f"{t.replace('_', ' ')} (α = {PAPER_S2_ALPHA[t]:.0%}): {v[0]:.1%}"
            for t, v in have.items()
        )
        n_hi = sum(v[0] >= 0.9 for v in have.values())
        n_half = sum(v[0] >= 0.5 for v in have.values())
        verdict = "reproduced" if n_hi == len(have) == 3 else ("partly" if n_half else "not")
        reason = (
            f"in-set success at 10% of the class: at least 90% for {n_hi}, at least 50% for {n_half} "
            f"of {len(have)} classes cached (of 3)"
        )
    else:
        ours, verdict, reason = MISSING, "not yet computed", "no Strategy 2 runs at these α cached"
    return (
        "Strategy 2 succeeds (in set) at about 10% of the target class (α = 1%, 2%, 5%)",
        ours,
        _scale(s2),
        verdict,
        reason,
    )


def _strategy2_top1_row(s2: pd.DataFrame) -> Row:
    """Strategy 2's highest mean top-1 success over α stays below 90%."""
    if len(s2):
        best = (
            s2[s2["alpha"] > 0]
            .groupby(["target", "alpha"])["success_top1"]
            .mean()
            .groupby("target")
            .max()
        )
        ours = "; ".join(f"{t.replace('_', ' ')}: {v:.1%}" for t, v in best.items())
        verdict = "reproduced" if (best < 0.9).all() else "not"
        reason = f"the highest mean top-1 success over α stays below 90% for {int((best < 0.9).sum())} of {len(best)} classes"
        ours = "highest top-1 over α: " + ours
    else:
        ours, verdict, reason = MISSING, "not yet computed", "no Strategy 2 runs cached"
    return (
        "Strategy 2 does not consistently control the top-1 prediction",
        ours,
        _scale(s2),
        verdict,
        reason,
    )


def _random_labels_row(s2: pd.DataFrame, rl: pd.DataFrame) -> Row:
    """Strategy 2's top-1 success at α = 5% without and with 30% random labels (Figure 4)."""
    parts, gains = [], []
    for t in PAPER_CLASSES:
        base, n0 = mean_at(s2, "success_top1", target=t, alpha=0.05)
        noisy, n30 = (
            mean_at(rl, "success_top1", target=t, alpha=0.05, random_labels=0.3)
            if len(rl)
            else (float("nan"), 0)
        )
        if n0 and n30:
            parts.append(f"{t.replace('_', ' ')}: {base:.1%} → {noisy:.1%}")
            gains.append(noisy - base)
    if gains:
        n_big = sum(g >= 0.3 for g in gains)
        verdict = (
            "reproduced"
            if n_big == len(gains) == 3
            else ("partly" if n_big or any(g > 0 for g in gains) else "not")
        )
        reason = f"top-1 at α = 5% rises by at least 30 points with 30% random labels for {n_big} of {len(gains)} classes cached (of 3)"
        ours = "top-1 at α = 5%, 0% → 30% random labels: " + "; ".join(parts)
    else:
        ours, verdict, reason = (
            MISSING,
            "not yet computed",
            "no 30% random-label runs at α = 5% cached",
        )
    return (
        "A small fraction of random labels dramatically raises Strategy 2's top-1 success",
        ours,
        _scale(rl) if len(rl) else "no runs yet",
        verdict,
        reason,
    )


def _spacing_row(sp: pd.DataFrame) -> Row:
    """The largest in-set gap between trigger spacings at one α stays below 10 points (Figure 7)."""
    if len(sp) and sp["spacing"].nunique() > 1:
        spreads = {}
        for strategy, sub in sp.groupby("strategy"):
            means = sub.groupby(["alpha", "spacing"])["success_in_set"].mean().unstack()
            means = means.dropna(thresh=2)
            if len(means):
                spreads[strategy] = float((means.max(axis=1) - means.min(axis=1)).max())
        ours = "; ".join(f"{STRATEGY_NAMES[k]}: {v:.1%}" for k, v in spreads.items())
        n_ok = sum(v < 0.1 for v in spreads.values())
        verdict = "reproduced" if n_ok == len(spreads) == 2 else ("partly" if n_ok else "not")
        reason = f"largest in-set gap between spacings at one α below 10 points for {n_ok} of {len(spreads)} strategies"
        ours = "largest gap between spacings (in set): " + ours
        sc = f"{int(sp['n_train'].iloc[0]):,} train; {seeds_summary(sp, ['strategy', 'spacing'])}"
    else:
        ours, verdict, reason, sc = (
            MISSING,
            "not yet computed",
            "no runs at other spacings cached",
            "no runs yet",
        )
    return ("Success is insensitive to the trigger's spacing (Figure 7)", ours, sc, verdict, reason)


def headline_table(
    main: pd.DataFrame, random_labels: pd.DataFrame, spacing: pd.DataFrame
) -> pd.DataFrame:
    """The paper's headline claims of Section 5 and Appendix C beside this book's measurements
    with the linear firm, each marked reproduced / partly / not / not yet computed, with the
    rule that decides it (stated in the ``reason`` column). ``main``: runs of
    ``fig2_fig3``; ``random_labels``: runs of ``fig4_random_labels``; ``spacing``: runs of
    ``fig7_spacing`` (both with the spacing-20 runs of ``main`` added by the caller or not)."""
    s2 = main[main["strategy"] == "feature-only"] if len(main) else main
    rows = [
        _clean_quality_row(main),
        _strategy1_row(main),
        _strategy2_in_set_row(s2),
        _strategy2_top1_row(s2),
        _random_labels_row(s2, random_labels),
        _spacing_row(spacing),
        _EPOCHS_ROW,
    ]
    return pd.DataFrame(rows, columns=_COLUMNS)
