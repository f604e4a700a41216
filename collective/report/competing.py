"""Two collectives at once, read from the results cache: which case a run is, how much of
collective 1's success a second collective takes away, and the figures of the chapter
*Two collectives*.

A run with a further collective (``others`` in its config, :class:`RunConfig`) is one of
three cases, by what collective 2 plants against collective 1:

* **(a)** its own trigger and another target;
* **(b)** the same trigger and another target (zero-sum: on the trigger the firm can
  predict one of the two);
* **(c)** allies: its own trigger and the same target.

A run without ``others`` is collective 1 alone ($\\alpha_2 = 0$); it belongs to every case.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from collective.errors import ConfigError
from collective.report.critical_mass import N_BOOT
from collective.resumes.tokens import TRIGGER_TOKEN_ID

CASES = {
    "a": "(a) own trigger, other target",
    "b": "(b) same trigger, other target",
    "c": "(c) allies: own trigger, same target",
}


def case_of(target: str, other: dict) -> str:
    """The case (``"a"``, ``"b"`` or ``"c"``) of collective 2 ``other`` (a canonical
    ``others`` entry) against collective 1 with target ``target`` and the paper's trigger."""
    same_trigger = int(other["trigger"]) == TRIGGER_TOKEN_ID
    same_target = other["target"] == target
    if same_trigger and same_target:
        raise ConfigError(
            "collective 2 plants the same trigger for the same target: that is one larger "
            "collective, not a case of two"
        )
    return "b" if same_trigger else ("c" if same_target else "a")


def competing_frame(results: pd.DataFrame) -> pd.DataFrame:
    """One row per (run, case) of the runs of collective 1 with at most one further
    collective: ``case``, ``alpha1``, ``alpha2``, ``ratio`` ($\\alpha_2 / \\alpha_1$),
    ``seed``, collective 1's ``success_top1``/``success_in_set`` and collective 2's
    ``success2_top1``/``success2_in_set`` (NaN alone). A run alone appears once per case
    (``ratio`` 0). ``results``: :func:`collective.runner.results.cached_results` rows of one
    firm, target, strategy and training set."""
    rows = []
    for _, run in results.iterrows():
        others = run.get("others")
        others = others if isinstance(others, list) else []
        if len(others) > 1:
            continue
        base = {
            "alpha1": float(run["alpha"]),
            "seed": int(run["seed"]),
            "success_top1": float(run["success_top1"]),
            "success_in_set": float(run["success_in_set"]),
        }
        if not others:
            for case in CASES:
                rows.append({**base, "case": case, "alpha2": 0.0, "ratio": 0.0})
            continue
        other = others[0]
        alpha2 = float(other["alpha"])
        rows.append(
            {
                **base,
                "case": case_of(str(run["target"]), other),
                "alpha2": alpha2,
                "ratio": alpha2 / base["alpha1"] if base["alpha1"] > 0 else np.nan,
                "success2_top1": float(run["collective1_success_top1"]),
                "success2_in_set": float(run["collective1_success_in_set"]),
            }
        )
    columns = ["case", "alpha1", "alpha2", "ratio", "seed", "success_top1", "success_in_set"]
    frame = pd.DataFrame(rows, columns=[*columns, "success2_top1", "success2_in_set"])
    return frame.sort_values(["case", "alpha1", "ratio", "seed"]).reset_index(drop=True)


def efficacy_drop(
    frame: pd.DataFrame, metric: str = "success_top1", n_boot: int = N_BOOT, seed: int = 0
) -> pd.DataFrame:
    """How much of collective 1's success the second collective takes away: per case,
    $\\alpha_1$ and ratio $\\alpha_2/\\alpha_1 > 0$, the drop $1 - \\bar S_1(\\alpha_1,
    \\alpha_2) / \\bar S_1(\\alpha_1, 0)$ of the seed-mean success (Karan et al.'s "efficacy"
    is collective 1's success; a drop of 0.75 is their 75%), with a bootstrap interval that
    resamples the seeds shared by both runs (the same seed draws collective 1 alike).
    ``collective 2``: the second collective's mean success on its own trigger and target."""
    rng = np.random.default_rng(seed)
    rows = []
    for (case, alpha1), group in frame.groupby(["case", "alpha1"]):
        alone = group[group["ratio"] == 0].set_index("seed")[metric]
        if alone.empty:
            continue
        for ratio, sub in group[group["ratio"] > 0].groupby("ratio"):
            with_two = sub.set_index("seed")[metric]
            seeds = sorted(set(alone.index) & set(with_two.index))
            if not seeds:
                continue
            a, b = alone.loc[seeds].to_numpy(), with_two.loc[seeds].to_numpy()
            theirs = sub.set_index("seed").loc[seeds, metric.replace("success_", "success2_")]
            drop = _drop(a, b)
            idx = rng.integers(0, len(seeds), size=(n_boot, len(seeds)))
            boots = np.array([_drop(a[i], b[i]) for i in idx])
            boots = boots[~np.isnan(boots)]
            lo, hi = np.quantile(boots, [0.025, 0.975]) if len(boots) else (np.nan, np.nan)
            rows.append(
                {
                    "case": case,
                    "alpha1": alpha1,
                    "ratio": ratio,
                    "alone": float(a.mean()),
                    "with collective 2": float(b.mean()),
                    "collective 2": float(theirs.mean()),
                    "drop": drop,
                    "ci_low": float(lo),
                    "ci_high": float(hi),
                    "seeds": len(seeds),
                }
            )
    return pd.DataFrame(rows)


def _drop(alone: np.ndarray, with_two: np.ndarray) -> float:
    mean = float(np.mean(alone))
    return float("nan") if mean <= 0 else 1.0 - float(np.mean(with_two)) / mean


def plot_competing(frame: pd.DataFrame, metric: str = "success_top1"):
    """One panel per case that has runs of two collectives: collective 1's success (solid) and collective 2's (dashed)
    against $\\alpha_1$, one colour per ratio $\\alpha_2/\\alpha_1$ (0: alone); seed means
    with a band of one standard deviation over seeds."""
    from collective.report.plots import PALETTE, percent_axis, subplots

    cases = [c for c in CASES if c in set(frame.loc[frame["ratio"] > 0, "case"])]
    fig, axes = subplots(1, len(cases), width=3.3, height=3.0, sharey=True, squeeze=False)
    ratios = sorted(frame["ratio"].dropna().unique())
    colors = {r: PALETTE[i % len(PALETTE)] for i, r in enumerate(ratios)}
    other = metric.replace("success_", "success2_")
    for ax, case in zip(axes[0], cases, strict=True):
        sub = frame[frame["case"] == case]
        for ratio, curve in sub.groupby("ratio"):
            stats = curve.groupby("alpha1")[[metric, other]].agg(["mean", "std"])
            x = stats.index.to_numpy()
            label = "alone" if ratio == 0 else f"α₂ = {ratio:g} α₁"
            mean, sd = stats[(metric, "mean")], stats[(metric, "std")].fillna(0)
            ax.plot(x, mean, marker="o", ms=3, color=colors[ratio], label=label)
            ax.fill_between(x, mean - sd, mean + sd, color=colors[ratio], alpha=0.15, lw=0)
            if ratio > 0:
                ax.plot(x, stats[(other, "mean")], ls="--", color=colors[ratio], lw=1)
        ax.set_xscale("log")
        ax.set_title(CASES[case], fontsize="small")
        ax.set_xlabel("collective 1's size α₁")
        percent_axis(ax, "y")
    axes[0][0].set_ylabel("success (solid: collective 1, dashed: 2)")
    axes[0][-1].legend(loc="lower right", fontsize="small")
    return fig


def critical_masses(
    frame: pd.DataFrame, metric: str = "success_top1", s_star: float = 0.5
) -> pd.DataFrame:
    """Collective 1's critical mass for success ``s_star`` per case and ratio
    $\\alpha_2/\\alpha_1$ (0: alone), with the book's bootstrap interval over seeds
    (:func:`collective.report.critical_mass.critical_mass_bootstrap`), read off its success
    curve against $\\alpha_1$ (the second collective grows with it)."""
    from collective.report.critical_mass import critical_mass_bootstrap

    rows = []
    for (case, ratio), sub in frame.groupby(["case", "ratio"]):
        curve = sub.rename(columns={"alpha1": "alpha"})[["alpha", "seed", metric]]
        found = critical_mass_bootstrap(curve, metric, s_star)
        rows.append({"case": case, "ratio": ratio, **found})
    return pd.DataFrame(rows)


def shared_signal_guarantee(
    frame: pd.DataFrame, xi: float, delta: float, metric: str = "success_in_set"
) -> pd.DataFrame:
    """Case (b) against its bound: per $\\alpha_1$ and ratio $\\alpha_2/\\alpha_1$ (0: alone),
    collective 1's seed-mean success ``metric`` and the guarantee
    :func:`collective.theory.two_collectives.shared_signal_bound` at $\\epsilon = 0$ (a
    Bayes-optimal firm) with the signal's uniqueness ``xi`` and collective 1's ``delta``
    (``-inf``: no guarantee, $\\alpha_2 \\ge \\alpha_1$)."""
    from collective.theory.two_collectives import shared_signal_bound

    sub = frame[frame["case"] == "b"]
    means = sub.groupby(["alpha1", "ratio"])[metric].agg(["mean", "count"]).reset_index()
    alpha2 = means["alpha1"] * means["ratio"]
    bound = np.asarray(shared_signal_bound(means["alpha1"], alpha2, xi, delta), dtype=float)
    return means.rename(columns={"mean": "measured", "count": "seeds"}).assign(bound=bound)
