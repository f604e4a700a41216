"""Figure 6 from measured curves: one panel per class, a class without runs says so."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import numpy as np

from collective.report.economics import plot_measured_joining
from collective.theory.economics import SuccessCurve, joining_economics


def test_measured_joining_panels_and_missing_class():
    alphas = np.array([0.0, 0.001, 0.005, 0.01])
    curve = SuccessCurve.from_empirical(alphas, np.array([0.1, 0.5, 0.9, 0.95]), label="A")
    fig = plot_measured_joining(
        {"A": curve}, ["A", "B"], c=0.2, gamma=0.5, alpha_max=0.01, caption="test caption"
    )
    a, b = fig.axes[:2]
    e = joining_economics(curve, 0.2, 0.5)
    assert f"{e.alpha_crit:.2%}" in a.get_title()
    assert any("not yet computed" in t.get_text() for t in b.texts)
    assert any("test caption" in t.get_text() for t in fig.texts)
