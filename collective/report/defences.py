"""The chapter *When the firm defends itself*: the runs of ``grids/defences_linear.yaml`` as
frames, figures and tables in the book's style (:mod:`collective.report.plots`).

A run's defences are a list of specs in its config (``defences``; absent: none); the facts
the runner recorded for the first defence (``defence0_*``) give its false positives and its
share of the collective, and its test-time metrics (STRIP).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import matplotlib as mpl
import numpy as np
import pandas as pd

from collective.report import plots
from collective.report.critical_mass import critical_mass_table
from collective.report.learners import CONFIG_COLUMNS, complete_seeds, unique_runs

#: How each defence is named in the chapter, from its parameters.
_SHORT = {
    "rare-tokens": lambda s: f"rare tokens (m = {s['m']})",
    "keywords": lambda s: f"keywords (top {s['tokens']})",
    "label-consistency": lambda s: f"label consistency ({s['fraction']:.0%})",
    "strip": lambda s: f"STRIP ({s['false_rejection']:.0%} FRR)",
    "known-collective": lambda s: f"oracle (recall {s['recall']:.0%})",
    "clusters": lambda s: f"clusters (min_samples {s['min_samples']})",
}

NO_DEFENCE = "no defence"

#: The paper's trigger, the token of every run whose config names none.
TRIGGER = 1240


def defence_label(specs: Any) -> str:
    """A run's defences in words (``"no defence"`` when it has none)."""
    if not isinstance(specs, (list, tuple)) or not specs:
        return NO_DEFENCE
    return " + ".join(_SHORT.get(s["name"], lambda s: s["name"])(s) for s in specs)


def _trigger(value: Any) -> int | str:
    """A run's trigger as its config holds it: a token id, or a phrase ``"a+b"``; 1240 where
    the config names none."""
    if isinstance(value, str):
        return value
    return TRIGGER if value is None or pd.isna(value) else int(value)


def defence_frame(runs: pd.DataFrame) -> pd.DataFrame:
    """``runs`` with the columns the chapter reads: ``defence`` (its label), ``removed`` and
    ``removed_collective`` (rows the first defence dropped, and of which the collective's;
    0 without one), ``false_positive_rate`` (removed rows not the collective's, over the
    training rows not the collective's), ``collective_removed`` (the share of the collective
    removed; NaN without a collective), ``trigger`` (the collective's token; 1240 where the
    config does not say), and for a test-time defence ``detection`` and
    ``success_top1_after`` (NaN otherwise)."""
    df = runs.copy()
    df["trigger"] = [_trigger(t) for t in df["trigger"]] if "trigger" in df else TRIGGER
    specs = df["defences"] if "defences" in df else pd.Series([None] * len(df), index=df.index)
    df["defence"] = [defence_label(s) for s in specs]
    for column in ("defence0_removed", "defence0_removed_collective"):
        df[column] = df[column].fillna(0) if column in df else 0
    df["removed"] = df["defence0_removed"].astype(int)
    df["removed_collective"] = df["defence0_removed_collective"].astype(int)
    others = df["n_train"] - df["n_collective"]
    df["false_positive_rate"] = (df["removed"] - df["removed_collective"]) / others
    with np.errstate(invalid="ignore", divide="ignore"):
        df["collective_removed"] = np.where(
            df["n_collective"] > 0, df["removed_collective"] / df["n_collective"], np.nan
        )
    for name in ("detection", "success_top1_after", "false_rejection_test"):
        column = f"defence0_{name}"
        df[name] = df[column] if column in df else np.nan
    return df


def defence_order(df: pd.DataFrame) -> list[str]:
    """The defences of ``df``: no defence first, then in order of appearance."""
    seen = list(dict.fromkeys(df["defence"]))
    return ([NO_DEFENCE] if NO_DEFENCE in seen else []) + [d for d in seen if d != NO_DEFENCE]


#: The metric a test-time defence's success after rejection is comparable with: top-1 success
#: on test resumes without the target (STRIP screens a sample of them).
SCREENED_METRIC = "success_top1_without_target"


def success_panels(
    df: pd.DataFrame,
    metric: str = SCREENED_METRIC,
    strategies: Sequence[str] = ("feature-label", "feature-only"),
    *,
    after_screen: bool = True,
):
    """Success against $\\alpha$ (log axis, linear over less than a decade), one panel per
    strategy, one line per defence
    (mean over seeds, points at each $\\alpha > 0$). A test-time defence's line is its
    success after rejection (``after_screen``; only for :data:`SCREENED_METRIC`, which it
    is comparable with; for other metrics its runs are left out, since it has no other).
    Returns the figure."""
    order = defence_order(df)
    colors = dict(zip(order, plots.PALETTE[: len(order)] if len(order) <= 10 else plots.PALETTE))
    fig, axes = plots.subplots(
        1,
        len(strategies),
        width=3.6 if len(strategies) > 1 else 4.6,
        height=3.0,
        sharey=True,
        squeeze=False,
    )
    for ax, strategy in zip(axes[0], strategies):
        part = df[(df["strategy"] == strategy) & (df["alpha"] > 0)]
        for name in order:
            rows = part[part["defence"] == name]
            if rows.empty:
                continue
            column = metric
            if rows["success_top1_after"].notna().all():
                if not (after_screen and metric == SCREENED_METRIC):
                    continue
                column = "success_top1_after"
            curve = rows.groupby("alpha")[column].mean()
            style = {"linestyle": "--"} if column != metric else {}
            ax.plot(
                curve.index, curve.values, marker="o", ms=3, label=name, color=colors[name], **style
            )
        alphas = sorted(part["alpha"].unique())
        # log sizes, unless they span less than a decade (a log axis would show no tick)
        ax.set_xscale("log" if not alphas or alphas[-1] / alphas[0] >= 10 else "linear")
        if alphas:  # a tick at each size run
            ax.set_xticks(alphas)
            ax.xaxis.set_minor_formatter(mpl.ticker.NullFormatter())
            ax.tick_params(axis="x", labelrotation=45)
        plots.percent_axis(ax, "x", decimals=2)
        plots.percent_axis(ax, "y", decimals=0)
        ax.set_ylim(-0.02, 1.02)
        ax.set_xlabel("collective size α")
        ax.set_title(strategy)
    axes[0][0].set_ylabel(metric.replace("_", " "))
    plots.legend_outside(axes[0][-1])
    return fig


def cost_table(df: pd.DataFrame) -> pd.DataFrame:
    """Per defence and strategy, means over runs: the clean micro-F1 and its change from the
    undefended firm at the same ($\\alpha$, seed), rows removed, tokens blocked (that occur in
    the training resumes), the false-positive rate and the share of the collective removed
    (runs with $\\alpha > 0$)."""
    base = (
        df[df["defence"] == NO_DEFENCE]
        .set_index(["strategy", "alpha", "seed"])["f1"]
        .rename("f1_undefended")
    )
    joined = df.join(base, on=["strategy", "alpha", "seed"])
    joined["f1_change"] = joined["f1"] - joined["f1_undefended"]
    rows = []
    for (defence, strategy), g in joined.groupby(["defence", "strategy"], sort=False):
        attacked = g[g["alpha"] > 0]
        rows.append(
            {
                "defence": defence,
                "strategy": strategy,
                "runs": len(g),
                "clean F1": g["f1"].mean(),
                "F1 change": g["f1_change"].mean(),
                "rows removed": g["removed"].mean(),
                "tokens blocked": g["defence0_blocked"].mean()
                if "defence0_blocked" in g
                else np.nan,
                "false-positive rate": g["false_positive_rate"].mean(),
                "collective removed": attacked["collective_removed"].mean(),
                "detection": attacked["detection"].mean(),
            }
        )
    out = pd.DataFrame(rows)
    order = {name: i for i, name in enumerate(defence_order(df))}
    return out.sort_values(
        ["strategy", "defence"], key=lambda c: c.map(order) if c.name == "defence" else c
    ).reset_index(drop=True)


def screened(df: pd.DataFrame, metric: str = SCREENED_METRIC) -> pd.DataFrame:
    """``df`` with a test-time defence's ``metric`` replaced by its success after rejection
    (for :data:`SCREENED_METRIC` only; for other metrics such runs are left out: they have
    no other success to compare)."""
    frame = df.copy()
    rejected = frame["success_top1_after"].notna()
    if metric == SCREENED_METRIC:
        frame.loc[rejected, metric] = frame.loc[rejected, "success_top1_after"]
        return frame
    return frame[~rejected]


def critical_masses(
    df: pd.DataFrame,
    metric: str = SCREENED_METRIC,
    levels: Sequence[float] = (0.5, 0.9),
    by: Sequence[str] = ("defence", "strategy"),
) -> pd.DataFrame:
    """The critical mass of each curve (one per value of the columns ``by``) with the book's
    bootstrap over seeds (:func:`collective.report.critical_mass.critical_mass_table`); a
    test-time defence's curve is its success after rejection (:func:`screened`)."""
    table = critical_mass_table(screened(df, metric), list(by), metrics=(metric,), levels=levels)
    order = {name: i for i, name in enumerate(defence_order(df))}
    first = [c for c in by if c != "defence"]
    return table.sort_values(
        [*first, "defence", "S*"], key=lambda c: c.map(order) if c.name == "defence" else c
    ).reset_index(drop=True)


def rare_token_masses(
    df: pd.DataFrame, metric: str = SCREENED_METRIC, level: float = 0.5
) -> pd.DataFrame:
    """For each rare-token filter of ``df`` (one defence, its ``m`` read from the spec), the
    critical mass of its curve (:func:`critical_masses`), with columns ``m`` and ``floor``
    ($m / n$: the theory's lower bound for a trigger in no clean resume)."""
    rows = df[[_only_rare_tokens(s) for s in df["defences"]]].copy()
    rows["m"] = [s[0]["m"] for s in rows["defences"]]
    table = critical_masses(rows, metric, levels=(level,), by=("defence", "m"))
    table["floor"] = table["m"] / rows["n_train"].iloc[0] if len(rows) else np.nan
    return table.sort_values("m").reset_index(drop=True)


def _only_rare_tokens(specs: Any) -> bool:
    return (
        isinstance(specs, (list, tuple)) and len(specs) == 1 and specs[0]["name"] == "rare-tokens"
    )


def blocked_success(df: pd.DataFrame, metric: str = SCREENED_METRIC) -> pd.DataFrame:
    """Success of the runs whose trigger the first defence blocked (``defence0_blocked_trigger``),
    by defence (its largest, its mean and the number of runs): the collective then trains the firm on nothing it can see, so its success
    should be that of no collective (compare ``df``'s runs with $\alpha = 0$)."""
    if "defence0_blocked_trigger" not in df:
        return pd.DataFrame(columns=["max", "mean", "size"])
    rows = df[(df["alpha"] > 0) & (df["defence0_blocked_trigger"] == True)]  # noqa: E712 (NaN-safe)
    return rows.groupby("defence", sort=False)[metric].agg(["max", "mean", "size"])


def trigger_table(
    df: pd.DataFrame, names: dict[int, str], metric: str = SCREENED_METRIC
) -> pd.DataFrame:
    """Success (mean over seeds) by strategy and $\alpha$ (rows) and by trigger and defence
    (columns), for the triggers of ``names`` (token id -> its name in the table)."""
    part = df[df["trigger"].isin(list(names))].copy()
    part["trigger name"] = part["trigger"].map(names)
    table = part.pivot_table(
        index=["strategy", "alpha"],
        columns=["trigger name", "defence"],
        values=metric,
        aggfunc="mean",
    )
    order = [names[t] for t in names if names[t] in set(part["trigger name"])]
    return table.reindex(columns=order, level=0)


# -- the arms race: who answers whom ---------------------------------------------------------

_STRATEGY_SHORT = {"feature-label": "Strategy 1", "feature-only": "Strategy 2"}


def collective_label(
    strategy: str,
    trigger: int | str = TRIGGER,
    spacing: int = 20,
    names: dict[Any, str] | None = None,
) -> str:
    """A collective in words: its strategy, its trigger (``names`` may name a token or a
    phrase ``"a+b"``) and, when it is not the paper's 20, its spacing:
    ``"Strategy 1, token 1240, every 80 words"``."""
    trigger = _trigger(trigger)
    default = (
        f"token {trigger}" if isinstance(trigger, int) else f"tokens {trigger.replace('+', ' + ')}"
    )
    word = (names or {}).get(trigger, default)
    text = f"{_STRATEGY_SHORT.get(strategy, strategy)}, {word}"
    return text if int(spacing) == 20 else f"{text}, every {int(spacing)} words"


def with_collective(df: pd.DataFrame, names: dict[int, str] | None = None) -> pd.DataFrame:
    """``df`` (a :func:`defence_frame`) with a ``collective`` column (:func:`collective_label`)."""
    out = df.copy()
    spacing = out["spacing"] if "spacing" in out else pd.Series(20, index=out.index)
    out["collective"] = [
        collective_label(s, t, p, names)
        for s, t, p in zip(out["strategy"], out["trigger"], spacing, strict=True)
    ]
    return out


def seed_counts_phrase(df: pd.DataFrame) -> str:
    """How many seeds stand behind the cells of ``df`` (runs with $\alpha > 0$, one cell per
    defence and collective; a seed counts where it ran every $\alpha$ of its cell, as the
    critical masses read them: :func:`collective.report.learners.complete_seeds`), in words:
    the largest count, then the cells with fewer, by defence: ``"3 seeds per cell, but label
    consistency (2%) against 4 collectives (1 seed)"``."""
    runs = df[df["alpha"] > 0]
    if runs.empty:
        return "no runs"
    counts = pd.Series(
        {
            key: complete_seeds(cell)["seed"].nunique()
            for key, cell in runs.groupby(["defence", "collective"], sort=True)
        }
    )
    top = int(counts.max())
    head = f"{top} seed{'s' if top != 1 else ''} per cell"
    fewer = counts[counts < top]
    if fewer.empty:
        return head
    parts = []
    for first, group in fewer.groupby(level=0, sort=False):
        for n, cells in group.groupby(group, sort=True):
            k = len(cells)
            parts.append(
                f"{first} against {k} collective{'s' if k != 1 else ''} "
                f"({int(n)} seed{'s' if n != 1 else ''})"
            )
    return head + ", but " + "; ".join(parts)


def best_responses(table: pd.DataFrame) -> pd.DataFrame:
    """The arms race read off a table of critical masses (one row per defence and collective,
    columns ``defence``, ``collective`` and ``alpha``; NaN: not reached on the grid, which
    ranks above every reached one): a defence x collective frame of critical masses, a
    column ``collective's best answer`` (per defence, the collective with the smallest
    critical mass) and a row ``firm's best defence`` (per collective, the defence with the
    largest). Cells never run are missing and never chosen; a tie names the first in the
    table's order; ``"none reached"`` where no collective reaches $S^*$ against a defence,
    ``"none needed"`` where a collective does not reach it even without one.
    Point estimates only: the intervals are in the critical-mass tables."""
    defences = list(dict.fromkeys(table["defence"]))
    collectives = list(dict.fromkeys(table["collective"]))
    masses = table.pivot_table(
        index="defence", columns="collective", values="alpha", aggfunc="first", dropna=False
    ).reindex(index=defences, columns=collectives)
    ran = table.assign(ran=True).pivot_table(
        index="defence", columns="collective", values="ran", aggfunc="any"
    )
    ran = ran.reindex(index=defences, columns=collectives).fillna(False).astype(bool)
    ranked = masses.where(masses.notna(), np.inf).where(ran)  # not reached: above any alpha

    def pick(values: pd.Series, largest: bool) -> str:
        values = values.dropna()
        if values.empty:
            return "–"
        if not largest and np.isinf(values.min()):
            return "none reached"
        return str(values.idxmax() if largest else values.idxmin())

    shown = masses.astype(object).where(ran, "not run").where(masses.notna() | ~ran, "not reached")
    shown["collective's best answer"] = [pick(ranked.loc[d], False) for d in defences]

    def defend(values: pd.Series) -> str:
        values = values.dropna()
        if NO_DEFENCE in values.index and np.isinf(values[NO_DEFENCE]):
            return "none needed"  # not reached even without a defence
        return pick(values, True)

    firm = {c: defend(ranked[c]) for c in collectives}
    firm["collective's best answer"] = ""
    shown.loc["firm's best defence"] = pd.Series(firm)
    return shown


def rare_token_panel(table: pd.DataFrame, n_train: int, undefended: float | None = None):
    """The rare-token filter's critical mass against its $m$ (rows of ``table``: ``m``,
    ``alpha``, ``alpha 95% CI``; NaN: not reached, drawn at the top as an open marker), with
    the theory's floor $\\alpha = m / n$ (a unique trigger in fewer than $m$ resumes
    vanishes) and the undefended critical mass (``undefended``) for reference. Returns the
    figure."""
    fig, ax = plots.subplots(1, 1, width=4.6, height=3.2)
    t = table.sort_values("m")
    ms = np.asarray(t["m"], dtype=float)
    grid = np.geomspace(ms.min() * 0.8, ms.max() * 1.25, 50)
    ax.plot(grid, grid / n_train, color="0.4", linestyle="--", label="floor m / n")
    if undefended is not None and np.isfinite(undefended):
        ax.axhline(undefended, color="0.6", linestyle=":", label="no defence")
    reached = t[t["alpha"].notna()]
    lo = [ci[0] for ci in reached["alpha 95% CI"]]
    hi = [ci[1] for ci in reached["alpha 95% CI"]]
    err = np.array(
        [
            np.nan_to_num(reached["alpha"] - lo, nan=0.0),
            np.nan_to_num(np.asarray(hi) - reached["alpha"], nan=0.0),
        ]
    )
    ax.errorbar(
        reached["m"],
        reached["alpha"],
        yerr=err,
        fmt="o",
        color=plots.PALETTE[0],
        capsize=3,
        label="critical mass (95% interval)",
    )
    top = t[t["alpha"].isna()]
    if len(top):
        ax.plot(
            top["m"],
            [ax.get_ylim()[1]] * len(top),
            marker="^",
            linestyle="none",
            markerfacecolor="none",
            color=plots.PALETTE[0],
            label="not reached on the grid",
        )
    ax.set_xscale("log")
    ax.set_yscale("log")
    plots.percent_axis(ax, "y", decimals=2)
    ax.set_xlabel("filter threshold m (training resumes)")
    ax.set_ylabel("critical mass α (50%)")
    plots.legend_outside(ax)
    return fig


def defence_runs(*grids: str, names: dict[int, str] | None = None) -> pd.DataFrame:
    """The cached runs of the grids ``grids`` (names under ``grids/``), each run once, as a
    :func:`defence_frame` with its ``collective`` (:func:`with_collective`)."""
    from collective.report.coverage import load_grid_runs

    frames = [runs for runs in (load_grid_runs(g).runs for g in grids) if len(runs)]
    if not frames:
        return pd.DataFrame()
    runs = unique_runs(pd.concat(frames, ignore_index=True)).reset_index(drop=True)
    return with_collective(defence_frame(runs), names)


def undefended_counterparts(runs: pd.DataFrame, defended: pd.DataFrame) -> pd.DataFrame:
    """The rows of ``runs`` without a defence that are some row of ``defended`` with its
    defences taken away: the same firm and parameters, strategy, target, $\\alpha$, seed,
    spacing, trigger and training set (the reference a defended curve is read against)."""
    runs = defence_frame(runs) if "defence" not in runs else runs
    plain = runs[runs["defence"] == NO_DEFENCE]
    ident = [
        c
        for c in defended.columns
        if (c in CONFIG_COLUMNS or c.startswith("param_"))
        and c not in ("defences", "others")
        and c in plain.columns
    ]
    wanted = set(map(tuple, defended[ident].astype(str).to_numpy()))
    keep = [tuple(row) in wanted for row in plain[ident].astype(str).to_numpy()]
    return plain.loc[keep]


def theory_reading(
    cm: pd.DataFrame, runs: pd.DataFrame, delta: float, s_star: float = 0.5
) -> pd.DataFrame:
    """Strategy 1's critical masses read against Corollary 3.4 under each defence.

    ``cm``: a :func:`critical_masses` table by ``("defence", "collective")`` at ``s_star``
    (top-1); ``runs``: the :func:`defence_frame` runs behind it (with ``collective``);
    ``delta``: $\\Delta$ for the target, an upper bound over all resumes (so the bound stays
    valid on any signal set). Per (defence, collective) of Strategy 1:

    * ``xi``: $\\hat\\xi$, the clean training resumes that already carry the trigger, over
      $n$ (0 for token 1240, which no resume carries);
    * ``removed``: the share of the collective the defence removed (mean over $\\alpha > 0$);
    * ``floor``: for the rare-token filter, the collective a one-token trigger needs before
      it passes, $(m - \\hat\\xi n)/n$ (0 otherwise);
    * ``bound``: what the theory allows a Bayes-optimal firm ($\\varepsilon = 0$):
      Corollary 3.4's $\\alpha^*$ for $\\xi = \\hat\\xi$ and ``delta``, for the collective the
      firm trains on (divided by $1 -$ ``removed``), and at least ``floor``;
    * ``measured``: the critical mass of the runs;
    * ``budget``: the $\\varepsilon$-budget $b$ of the book's corrected bound (chapter
      *Strategy 1*) that the measured critical mass implies,
      $b = \\max(0, \\alpha^*(1-r)(1 - S^* + \\Delta\\xi) - \\Delta\\xi)$ (NaN where not
      reached): how far from Bayes-optimal the firm must be, on the triggered distribution,
      for the measurement to agree with the theorem; 0 where the measured critical mass is
      already within the bound for $\\varepsilon = 0$ ($b = 2\\varepsilon$ cannot be negative)."""
    from collective.theory.classification import critical_mass_feature_label

    rows = []
    s1 = cm[cm["collective"].str.startswith("Strategy 1")]
    for _, row in s1.iterrows():
        part = runs[(runs["defence"] == row["defence"]) & (runs["collective"] == row["collective"])]
        n = float(part["n_train"].iloc[0])
        clean = part["trigger_resumes"].dropna() if "trigger_resumes" in part else pd.Series()
        xi = float(clean.iloc[0]) / n if len(clean) else 0.0
        attacked = part[part["alpha"] > 0]["collective_removed"]
        removed = float(attacked.mean()) if len(attacked) else 0.0
        floor = 0.0
        specs: Any = part["defences"].iloc[0] if "defences" in part else None
        if _only_rare_tokens(specs) and "+" not in str(part["trigger"].iloc[0]):
            floor = max(0.0, (specs[0]["m"] - xi * n) / n)
        theory = float(critical_mass_feature_label(s_star, xi, delta)) / max(1e-12, 1 - removed)
        measured = float(row["alpha"])
        # np.maximum keeps a NaN (not reached) where max() would turn it into 0
        budget = float(
            np.maximum(0.0, measured * (1 - removed) * (1 - s_star + delta * xi) - delta * xi)
        )
        rows.append(
            {
                "defence": row["defence"],
                "collective": row["collective"],
                "xi": xi,
                "removed": removed,
                "floor": floor,
                "bound": max(theory, floor),
                "measured": measured,
                "budget": budget,
            }
        )
    return pd.DataFrame(rows)


def rivals(table: pd.DataFrame, defence: str, collective: str, *, across: str) -> list[str]:
    """The cells that the choice of (``defence``, ``collective``) in :func:`best_responses`
    does not settle: the other cells of its row (``across="collective"``: the same defence,
    other collectives) or column (``across="defence"``) whose 95% bootstrap interval of
    the critical mass overlaps the chosen cell's (``table``: :func:`critical_masses` at one
    level, columns ``defence``, ``collective``, ``alpha``, ``alpha 95% CI``; a cell of one
    seed is its point). A chosen cell not reached on the grid is tied with every other cell
    not reached; a reached one is never tied with them."""
    fixed = "defence" if across == "collective" else "collective"
    key = defence if fixed == "defence" else collective
    rows = table[table[fixed] == key]
    chosen_name = collective if across == "collective" else defence
    chosen = rows[rows[across] == chosen_name]
    if chosen.empty:
        return []

    def interval(row: pd.Series) -> tuple[float, float]:
        ci = row.get("alpha 95% CI")
        lo, hi = ci if isinstance(ci, tuple) and len(ci) == 2 else (np.nan, np.nan)
        return (
            (row["alpha"], row["alpha"]) if not (np.isfinite(lo) and np.isfinite(hi)) else (lo, hi)
        )

    mine = chosen.iloc[0]
    out = []
    for _, row in rows[rows[across] != chosen_name].iterrows():
        if pd.isna(mine["alpha"]) or pd.isna(row["alpha"]):
            if pd.isna(mine["alpha"]) and pd.isna(row["alpha"]):
                out.append(str(row[across]))
            continue
        lo, hi = interval(mine)
        lo2, hi2 = interval(row)
        if lo <= hi2 and lo2 <= hi:
            out.append(str(row[across]))
    return out


def best_response_lines(race: pd.DataFrame, table: pd.DataFrame | None = None) -> list[str]:
    """The arms race of :func:`best_responses` in words, one line per defence (the
    collective's best answer and its critical mass) and one per collective (the firm's best
    defence), for the chapter's prose. With ``table`` (the critical masses the race was read
    from), each choice names the cells it does not settle (:func:`rivals`)."""

    def mass(value: Any) -> str:
        return f"α = {value:.2%}" if isinstance(value, float) and np.isfinite(value) else str(value)

    def unsettled(defence: str, collective: str, across: str) -> str:
        if table is None:
            return ""
        others = rivals(table, defence, collective, across=across)
        if not others:
            return ""
        tied = pd.isna(race.loc[defence, collective]) or race.loc[defence, collective] == (
            "not reached"
        )
        names = " and ".join(others)
        if tied:
            return f"; tied with {names}, also not reached"
        return f"; not told apart from {names} by the 95% intervals"

    answers = race["collective's best answer"].drop("firm's best defence")
    lines = []
    for defence, best in answers.items():
        if best in race.columns:
            lines.append(
                f"against {defence}: {best} ({mass(race.loc[defence, best])}"
                + unsettled(str(defence), str(best), "collective")
                + ")"
            )
        else:
            lines.append(f"against {defence}: {best}")
    firm = race.loc["firm's best defence"].drop("collective's best answer")
    for collective, defence in firm.items():
        if defence in race.index:
            lines.append(
                f"for {collective}: {defence} ({mass(race.loc[defence, collective])}"
                + unsettled(str(defence), str(collective), "defence")
                + ")"
            )
        elif defence == "none needed":
            lines.append(f"for {collective}: none needed (not reached without a defence)")
    return lines


def same_removal_across_triggers(df: pd.DataFrame, defence: str) -> tuple[int, int]:
    """Whether ``defence`` removes the collective's resumes because of the trigger: over the
    (strategy, $\\alpha$, seed) cells where it ran against two or more triggers (the same
    members: memberships do not depend on the trigger), how many cells there are and in how
    many it removed exactly as many members whatever the trigger."""
    rows = df[(df["defence"] == defence) & (df["alpha"] > 0)]
    cells = rows.groupby(["strategy", "alpha", "seed"])
    several = cells["trigger"].nunique() > 1
    same = cells["defence0_removed_collective"].nunique() == 1
    return int(several.sum()), int((several & same).sum())


def race_ending(race: pd.DataFrame) -> str:
    """Where the arms race of :func:`best_responses` ends on the runs, in one sentence: the
    defences that no collective tried answers (none reaches $S^*$ against them), or that
    every defence is answered."""
    answers = race["collective's best answer"].drop("firm's best defence")
    unanswered = [str(d) for d, best in answers.items() if best == "none reached"]
    if not unanswered:
        return (
            "every defence tried is answered by some collective on the grid: on these runs "
            "the race does not end."
        )
    return (
        f"against {' and '.join(unanswered)} no collective tried reaches the success level on "
        "the grid: on these runs the race ends there, unless the collective finds an answer "
        "not tried here, and the firm pays that defence's price in clean quality."
    )
