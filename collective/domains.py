"""Domain checks shared by the closed-form bounds and the exact engine.

Both :mod:`collective.theory.classification` and :mod:`collective.discrete` validate the
paper's parameters the same way; this module keeps that in one place without importing the
theory package (which pulls in sympy).
"""

from __future__ import annotations

import numpy as np


def domain(name: str, value, lo: float, hi: float, *, lo_open: bool, hi_open: bool) -> np.ndarray:
    """``value`` as an array if every entry lies in the interval, else a ValueError naming it."""
    arr = np.asarray(value, dtype=float)
    if np.any(np.isnan(arr)):
        raise ValueError(f"{name} must not be NaN")
    below = arr <= lo if lo_open else arr < lo
    above = arr >= hi if hi_open else arr > hi
    if np.any(below | above):
        bad = arr[below | above].ravel()[0]
        interval = f"{'(' if lo_open else '['}{lo:g}, {hi:g}{')' if hi_open else ']'}"
        raise ValueError(f"{name} must lie in {interval}, got {bad:g}")
    return arr


def check_alpha(a) -> np.ndarray:
    """alpha in (0, 1], else a ValueError naming the value (shared by the exact engine)."""
    return domain("alpha (collective size)", a, 0.0, 1.0, lo_open=True, hi_open=False)


def check_eps(e) -> np.ndarray:
    """eps in [0, 1), else a ValueError naming the value (shared by the exact engine)."""
    return domain("eps (suboptimality of the classifier)", e, 0.0, 1.0, lo_open=False, hi_open=True)
