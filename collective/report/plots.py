"""One figure style for the whole book.

Every chapter calls :func:`use_style` once and draws with the colours and helpers here, so
figures look alike across chapters: seaborn's ``whitegrid`` theme, the ``colorblind``
palette, one font scale, and a fixed colour per strategy and per paper class.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import matplotlib as mpl
import matplotlib.pyplot as plt
import seaborn as sns

PALETTE = sns.color_palette("colorblind")

#: Colours for the things the book compares again and again.
COLORS: dict[str, tuple[float, float, float]] = {
    "feature-label": PALETTE[0],
    "feature-only": PALETTE[1],
    "erasure": PALETTE[2],
    "bound": (0.25, 0.25, 0.25),
    "Database_Administrator": PALETTE[0],
    "Web_Developer": PALETTE[1],
    "Software_Developer": PALETTE[2],
    "linear": PALETTE[4],
    "transformer": PALETTE[3],
    # the learners of the transformer chapter (collective.report.learners)
    "top layer, K/V frozen": PALETTE[0],
    "whole top layer": PALETTE[3],
    "every layer": PALETTE[2],
}

#: Line style for theoretical curves (bounds) drawn over empirical ones.
BOUND_STYLE = {"linestyle": "--", "linewidth": 1.5}


def use_style(context: str = "notebook") -> None:
    """Apply the book's figure style (idempotent)."""
    sns.set_theme(context=context, style="whitegrid", palette=PALETTE, font_scale=0.95)
    mpl.rcParams.update(
        {
            "figure.figsize": (6.4, 4.0),
            "figure.dpi": 110,
            "savefig.dpi": 150,
            "savefig.bbox": "tight",
            "axes.spines.top": False,
            "axes.spines.right": False,
            "legend.frameon": False,
            "axes.titleweight": "bold",
        }
    )


def subplots(
    nrows: int = 1, ncols: int = 1, *, width: float = 3.4, height: float = 3.0, **kwargs
) -> tuple[plt.Figure, Any]:
    """``plt.subplots`` with panel sizes in inches, in the book's style."""
    use_style()
    kwargs.setdefault("constrained_layout", True)
    return plt.subplots(nrows, ncols, figsize=(width * ncols, height * nrows), **kwargs)


def caption(fig: plt.Figure, text: str) -> None:
    """Print a provenance line under a figure (e.g. which firm produced it)."""
    fig.text(0.0, -0.02, text, ha="left", va="top", fontsize="small", color="0.35", wrap=True)


def percent_axis(ax, axis: str = "x", decimals: int | None = None) -> None:
    """Format an axis in percent (values given as fractions)."""
    fmt = mpl.ticker.PercentFormatter(xmax=1.0, decimals=decimals)
    (ax.xaxis if axis == "x" else ax.yaxis).set_major_formatter(fmt)


def legend_outside(ax, handles: Sequence | None = None, **kwargs) -> None:
    """A legend to the right of the axes, so it never covers a curve."""
    kwargs.setdefault("loc", "center left")
    kwargs.setdefault("bbox_to_anchor", (1.02, 0.5))
    if handles is None:
        ax.legend(**kwargs)
    else:
        ax.legend(handles=handles, **kwargs)
