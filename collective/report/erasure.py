"""Figures and tables of the chapter *Erasing a signal in resumes* (Theorem 3.7 on the corpus).

Everything here reads the results cache (the runs of ``grids/erasure.yaml``) and the stored
estimates (:mod:`collective.runner.erasure_estimates`); nothing trains.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from collective.errors import ConfigError
from collective.report import plots
from collective.report.critical_mass import critical_mass_bootstrap
from collective.theory import corrected_erasure_bound, critical_mass_erasure, erasure_bound

#: The two estimates of P0(y | g(x)), by strategy name.
ESTIMATES = {"erasure-oracle": "oracle", "erasure-pooled": "pooled"}
#: Where success is measured: all test resumes (the paper's S) or those that carry the signal.
WHERE = {"all": "", "with_signal": "_with_signal"}
WHERE_NAMES = {"all": "all test resumes", "with_signal": "resumes with the signal"}


def erasure_frame(runs: pd.DataFrame) -> pd.DataFrame:
    """The erasure runs with an ``estimate`` column (oracle, pooled). The run without a
    collective ($\\alpha = 0$) is one experiment for both estimates (it is in the grid once,
    under ``erasure-oracle``): it is copied into the pooled curve of every signal that has
    pooled runs."""
    if runs.empty:
        raise ConfigError(
            "no erasure runs: compute them with `collective sweep grids/erasure.yaml`"
        )
    runs = runs[runs["strategy"].isin(list(ESTIMATES))].copy()
    runs["estimate"] = runs["strategy"].map(ESTIMATES)
    pooled_signals = set(runs.loc[runs["estimate"] == "pooled", "signal"])
    zero = runs[
        (runs["alpha"] == 0) & (runs["estimate"] == "oracle") & runs["signal"].isin(pooled_signals)
    ].copy()
    zero["estimate"] = "pooled"
    have = set(
        map(tuple, runs[runs["estimate"] == "pooled"][["signal", "seed", "alpha"]].to_numpy())
    )
    zero = zero[[(s, d, a) not in have for s, d, a in zero[["signal", "seed", "alpha"]].to_numpy()]]
    return pd.concat([runs, zero], ignore_index=True).sort_values(
        ["signal", "estimate", "alpha", "seed"]
    )


def tau_of(estimates: dict, signal: str, where: str = "all", reading: str = "in_set") -> dict:
    """The stored $\\tau$ (point, interval) of ``signal`` over ``where`` (all, with_signal)."""
    try:
        return estimates["signals"][signal][f"tau_{reading}_{where}"]
    except KeyError as err:
        raise ConfigError(
            f"no stored tau for signal {signal!r}, {where}, {reading}: {err}"
        ) from err


def signals_table(estimates: dict) -> pd.DataFrame:
    """The chosen signals: words, frequency, $\\tau$ with its interval, and $S(0)$ of the clean
    firm (from the candidate measurements)."""
    rows = []
    cand = {row["signal"]: row for row in estimates["candidates"]}
    for name, sig in estimates["signals"].items():
        c = cand[f"signal: {name}"]
        t_all, t_sig = sig["tau_in_set_all"], sig["tau_in_set_with_signal"]
        rows.append(
            {
                "signal": name,
                "words": ", ".join(sig["words"]),
                "resumes with it (train)": sig["train_share"],
                "τ (all)": t_all["tau"],
                "τ (all) 95% CI": (t_all["tau_low"], t_all["tau_high"]),
                "τ (with signal)": t_sig["tau"],
                "τ (with signal) 95% CI": (t_sig["tau_low"], t_sig["tau_high"]),
                "S(0) (all)": c["S(0)"],
                "S(0) (with signal)": c["S(0) (carriers)"],
            }
        )
    return pd.DataFrame(rows)


def _draw_estimates(ax, data: pd.DataFrame, column: str, colors: dict) -> None:
    """One curve per estimate of ``P0(y | g(x))``: the mean over seeds, a band from the
    smallest to the largest seed."""
    for estimate, df in data.groupby("estimate"):
        stats = df.groupby("alpha")[column].agg(["mean", "min", "max"]).reset_index()
        ax.plot(
            stats["alpha"],
            stats["mean"],
            marker="o",
            ms=3,
            color=colors[estimate],
            label=f"{estimate} estimate",
        )
        ax.fill_between(
            stats["alpha"],
            stats["min"],
            stats["max"],
            color=colors[estimate],
            alpha=0.2,
            lw=0,
        )


def _draw_theorem_3_7(ax, grid: np.ndarray, tau: dict) -> None:
    """Theorem 3.7 at the stored $\\tau$ (dashed), the band its 95% interval. At
    $\\epsilon = 0$ the corrected bound is the paper's, which the assertion checks."""
    bound = corrected_erasure_bound(grid, tau["tau"], eps=0.0)
    assert np.allclose(bound, erasure_bound(grid, tau["tau"]))
    ax.plot(grid, bound, color=plots.COLORS["bound"], **plots.BOUND_STYLE, label="Theorem 3.7")
    ax.fill_between(
        grid,
        corrected_erasure_bound(grid, tau["tau_high"], eps=0.0),
        corrected_erasure_bound(grid, tau["tau_low"], eps=0.0),
        color=plots.COLORS["bound"],
        alpha=0.12,
        lw=0,
    )


def _zoom_on_curves(ax, lowest: float) -> None:
    """A y range from a little below the lowest measured success to just above 1."""
    low = max(0.0, lowest - 0.6 * (1.0 - lowest) - 0.005)
    ax.set(ylim=(low, 1.0 + 0.04 * (1.0 - low)))


def plot_erasure_success(
    frame: pd.DataFrame,
    estimates: dict,
    *,
    metric: str = "success_in_set",
    signals: list[str] | None = None,
):
    """Success against $\\alpha$ (one row of panels per signal; all test resumes, then the
    resumes with the signal), oracle vs pooled estimate (mean over seeds, band from the
    smallest to the largest seed), with Theorem 3.7 at the stored $\\tau$ (dashed, the band
    its 95% interval). At $\\epsilon = 0$ the corrected bound equals the paper's."""
    signals = signals or sorted(frame["signal"].unique())
    reading = "top1" if "top1" in metric else "in_set"
    fig, axes = plots.subplots(len(signals), 2, width=3.3, height=2.7, sharex=True, squeeze=False)
    colors = {"oracle": plots.COLORS["erasure"], "pooled": plots.PALETTE[4]}
    grid = np.linspace(0.01, 1.0, 300)
    for i, signal in enumerate(signals):
        for j, where in enumerate(WHERE):
            ax = axes[i][j]
            column = metric + WHERE[where]
            data = frame[frame["signal"] == signal]
            _draw_estimates(ax, data, column, colors)
            _draw_theorem_3_7(ax, grid, tau_of(estimates, signal, where, reading))
            _zoom_on_curves(ax, float(data[column].min()))
            ax.set(title=f"{signal}: {WHERE_NAMES[where]}")
            ax.title.set_fontsize("small")
            plots.percent_axis(ax, "y")
            if i == len(signals) - 1:
                ax.set_xlabel(r"collective size $\alpha$")
            if j == 0:
                ax.set_ylabel("success" + (" (top-1)" if reading == "top1" else ""))
    plots.legend_outside(axes[0][-1])
    return fig


def critical_mass_erasure_table(
    frame: pd.DataFrame,
    estimates: dict,
    *,
    s_star: float = 0.9,
    metric: str = "success_in_set",
    n_boot: int = 2000,
) -> pd.DataFrame:
    """For each signal, estimate and population (all, with the signal): the critical mass
    for ``s_star`` predicted by Corollary 3.8 at the stored $\\tau$ (with the interval from
    $\\tau$'s) and observed on the curves (:func:`critical_mass_bootstrap` over the seeds
    with a complete curve; NaN: not reached on the grid). Also $S(0)$, the success without a
    collective."""
    reading = "top1" if "top1" in metric else "in_set"
    rows = []
    for (signal, estimate), df in frame.groupby(["signal", "estimate"]):
        # only seeds with the whole curve (a sweep still running leaves some incomplete)
        alphas = set(df["alpha"])
        complete = [seed for seed, d in df.groupby("seed") if set(d["alpha"]) == alphas]
        df = df[df["seed"].isin(complete)]
        for where in WHERE:
            column = metric + WHERE[where]
            tau = tau_of(estimates, signal, where, reading)
            observed = critical_mass_bootstrap(df, column, s_star, n_boot=n_boot)
            rows.append(
                {
                    "signal": signal,
                    "estimate": estimate,
                    "measured on": WHERE_NAMES[where],
                    "S(0)": float(df[df["alpha"] == 0][column].mean()),
                    "τ": tau["tau"],
                    "predicted α* (Cor. 3.8)": float(critical_mass_erasure(s_star, tau["tau"])),
                    "predicted 95% CI": (
                        float(critical_mass_erasure(s_star, tau["tau_low"])),
                        float(critical_mass_erasure(s_star, tau["tau_high"])),
                    ),
                    "observed α*": observed["alpha_star"],
                    "observed 95% CI": (observed["ci_low"], observed["ci_high"]),
                    "seeds": observed["n_seeds"],
                }
            )
    return pd.DataFrame(rows)


def per_label_table(
    frame: pd.DataFrame, signal: str, alphas: list[float] | None = None
) -> pd.DataFrame:
    """Per label, the share of the resumes with ``signal`` whose indicator of that label is
    the same with and without the signal, by estimate and $\\alpha$ (mean over seeds)."""
    df = frame[frame["signal"] == signal]
    if alphas is not None:
        df = df[df["alpha"].isin(alphas)]
    columns = [c for c in df.columns if c.startswith("success_label_with_signal_")]
    if not columns:
        raise ConfigError("the runs have no per-label success columns")
    table = df.groupby(["estimate", "alpha"])[columns].mean()
    table.columns = [c[len("success_label_with_signal_") :] for c in columns]
    return table.T


def pooled_agreement(frame: pd.DataFrame) -> pd.DataFrame:
    """How often the pooled estimate gives a member the same label set as the oracle would
    (mean over seeds), by signal and $\\alpha$."""
    df = frame[(frame["estimate"] == "pooled") & (frame["alpha"] > 0)]
    return df.pivot_table(
        index="alpha", columns="signal", values="collective_agreement_with_oracle", aggfunc="mean"
    )


def firm_comparison(
    frames: dict[str, pd.DataFrame], signal: str, metric: str = "success_in_set"
) -> pd.DataFrame:
    """Mean success of each firm's erasure runs (frames from :func:`erasure_frame`, by firm
    name) for ``signal``: one row per $\\alpha$, columns (firm, estimate) for all test resumes
    and for those with the signal, with the number of seeds behind each mean."""
    parts = {}
    for firm, frame in frames.items():
        rows = frame[frame["signal"] == signal]
        if rows.empty:
            continue
        for where, suffix in WHERE.items():
            parts[(WHERE_NAMES[where], firm)] = rows.pivot_table(
                index="alpha", columns="estimate", values=metric + suffix, aggfunc="mean"
            )
        parts[("seeds", firm)] = rows.pivot_table(
            index="alpha", columns="estimate", values="seed", aggfunc="nunique"
        )
    if not parts:
        raise ConfigError(f"no erasure runs for signal {signal!r}")
    return pd.concat(parts, axis=1).sort_index(axis=1)


def bound_check_table(
    frame: pd.DataFrame, estimates: dict, metric: str = "success_in_set"
) -> pd.DataFrame:
    """Runs with a collective against Theorem 3.7 at the stored $\\tau$ ($\\epsilon = 0$), per
    place of measurement and signal: how many runs fall below the bound, the largest bound
    on the grid beside the mean success measured there (how far below the curves the bound
    stays), and the smallest $\\alpha$ at which the bound is positive, $2\\tau/(1 + 2\\tau)$."""
    rows = []
    for where, suffix in WHERE.items():
        for signal, df in frame[frame["alpha"] > 0].groupby("signal"):
            tau = tau_of(estimates, signal, where)["tau"]
            bound = np.asarray(erasure_bound(df["alpha"].to_numpy(), tau))
            below = df[metric + suffix].to_numpy() < bound
            largest = df["alpha"].max()
            rows.append(
                {
                    "measured on": WHERE_NAMES[where],
                    "signal": signal,
                    "runs": len(df),
                    "runs below Theorem 3.7": int(below.sum()),
                    "at α": ", ".join(f"{a:g}" for a in sorted(set(df["alpha"][below]))) or "–",
                    "largest bound on the grid": float(bound.max()),
                    "mean success there": float(
                        df.loc[df["alpha"] == largest, metric + suffix].mean()
                    ),
                    "smallest alpha where the bound is positive": float(2 * tau / (1 + 2 * tau)),
                }
            )
    return pd.DataFrame(rows)


def critical_mass_reading(table: pd.DataFrame) -> str:
    """Corollary 3.8 against the measured critical masses of
    :func:`critical_mass_erasure_table` (with a column ``S*``), in words, for the rows where a
    collective is needed at all (the clean firm's $S(0)$ below $S^*$): which they are, and in
    how many of those that reach $S^*$ on the grid the measured critical mass is at most the
    predicted one."""
    needed = table[table["S(0)"] < table["S*"]]
    if needed.empty:
        return "no curve starts below S*: the firm meets every S* without a collective"
    where = (
        needed.groupby(["signal", "measured on"])["S*"]
        .agg(lambda v: " and ".join(f"{x:g}" for x in sorted(set(v))))
        .items()
    )
    rows = "; ".join(f'"{signal}" on {on} at S* = {levels}' for (signal, on), levels in where)
    reached = needed.dropna(subset=["observed α*"])
    at_most = int((reached["observed α*"] <= reached["predicted α* (Cor. 3.8)"]).sum())
    text = (
        f"{len(needed)} rows start below S* ({rows}); in {at_most} of the {len(reached)} that "
        "reach S* on the grid the measured critical mass is at most the predicted one"
    )
    if len(reached) < len(needed):
        text += f", and {len(needed) - len(reached)} do not reach S* on the grid"
    return text
