"""Figures of the resume corpus (Appendix C of {cite}`hardt2023algorithmic`), drawn from the
corpus summary of :mod:`collective.resumes.summary` (aggregate statistics only, no text).

* :func:`plot_labels`: how often each occupation occurs, and how many occupations a resume has;
* :func:`plot_cooccurrence`: ``Pr[column label | row label]`` over the kept resumes;
* :func:`plot_lengths`: the heavy-tailed resume lengths after preprocessing.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import seaborn as sns

from collective.report import plots
from collective.resumes import summary as cs
from collective.resumes.corpus import LABELS

__all__ = ["plot_labels", "plot_cooccurrence", "plot_lengths"]


def plot_labels(summary: dict[str, Any]):
    """Left: the frequency of each label among the labelled resumes (the paper's classes 0, 1,
    2 in their colours, the others grey); right: the share of kept resumes with k labels.
    Returns the figure."""
    plots.use_style()
    fig, (ax_freq, ax_card) = plots.subplots(
        1, 2, width=4.2, height=3.6, gridspec_kw={"width_ratios": [1.6, 1]}
    )
    labels = cs.label_table(summary)
    order = labels.index.tolist()
    colors = [plots.COLORS.get(name, plots.PALETTE[7]) for name in order]
    sns.barplot(
        x=labels["fraction of labelled resumes"],
        y=order,
        hue=order,
        palette=colors,
        legend=False,
        ax=ax_freq,
    )
    ax_freq.set(xlabel="fraction of resumes", ylabel="", title="Label frequency")
    plots.percent_axis(ax_freq, "x", decimals=0)
    cardinality = cs.labels_per_resume(summary)
    ax_card.bar(cardinality.index, cardinality.values, color=plots.PALETTE[0])
    ax_card.set(xlabel="labels per resume", ylabel="fraction of resumes", title="Labels per resume")
    plots.percent_axis(ax_card, "y", decimals=0)
    return fig


def plot_cooccurrence(summary: dict[str, Any]):
    """Heatmap of ``Pr[column label | row label]`` (:func:`collective.resumes.summary.cooccurrence`),
    annotated with two decimals. Returns the figure."""
    fig, ax = plots.subplots(width=7.2, height=5.6)
    short = [name.replace("_", " ") for name in LABELS]
    sns.heatmap(
        pd.DataFrame(cs.cooccurrence(summary), index=short, columns=short),
        annot=True,
        fmt=".2f",
        cmap="Blues",
        vmin=0,
        vmax=1,
        cbar_kws={"label": "Pr[column | row]"},
        ax=ax,
    )
    ax.set(title="Label co-occurrence")
    return fig


def plot_lengths(summary: dict[str, Any]):
    """Histogram of words per resume after preprocessing on a log axis (cut to the filled bins),
    with the median and the 90% quantile. Returns the figure."""
    hist = summary["words"]["histogram"]
    fig, ax = plots.subplots(width=5.5, height=3.2)
    ax.stairs(hist["counts"], hist["edges"], fill=True, color=plots.PALETTE[0], alpha=0.8)
    ax.set_xscale("log")
    filled = np.flatnonzero(hist["counts"])
    ax.set_xlim(hist["edges"][filled[0]], hist["edges"][filled[-1] + 1])
    for q, style in ((0.5, "-"), (0.9, ":")):
        value = summary["words"]["quantiles"][str(q)]
        ax.axvline(
            value, color="0.3", linestyle=style, label=f"{q:.0%} quantile: {value:,.0f} words"
        )
    ax.set(
        xlabel="words per resume (after preprocessing)", ylabel="resumes", title="Resume lengths"
    )
    plots.legend_outside(ax)
    return fig
