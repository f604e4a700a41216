"""The economics of joining a collective (Section 6, Figure 6)."""

import matplotlib

matplotlib.use("Agg")

import numpy as np
import pytest
from scipy import integrate, optimize

from collective.report.economics import plot_joining
from collective.theory.curves import critical_mass_of_curve as critical_mass
from collective.theory.economics import (
    SuccessCurve,
    investment_area,
    join_threshold,
    joining_economics,
    s_curve,
)


def test_join_threshold_is_c_over_one_minus_gamma():
    """Section 6: joining is rational iff S(alpha) > c / (1 - gamma)."""
    assert join_threshold(0.2, 0.5) == pytest.approx(0.4)
    assert join_threshold(0.3, 0.0) == pytest.approx(0.3)
    assert join_threshold(0.3, 1.0) == float("inf")


def test_alpha_crit_and_area_on_linear_curve():
    """On S(alpha) = alpha: alpha_crit = S* and B = S*^2 / 2 exactly."""
    curve = SuccessCurve.from_function(lambda a: a, n=11)
    econ = joining_economics(curve, c=0.15, gamma=0.5)
    assert econ.s_star == pytest.approx(0.3)
    assert econ.alpha_crit == pytest.approx(0.3)
    assert econ.B == pytest.approx(0.045)
    assert econ.payment == pytest.approx(0.5 * 0.045)
    assert econ.sustainable


def test_alpha_crit_and_area_on_s_curve_match_root_finding_and_quadrature():
    c, gamma = 0.1, 0.6
    curve = SuccessCurve.from_function(s_curve, n=4001)
    econ = joining_economics(curve, c, gamma)
    s_star = c / (1 - gamma)
    root = optimize.brentq(lambda a: s_curve(a) - s_star, 0, 1)
    assert econ.alpha_crit == pytest.approx(root, abs=1e-6)
    area, _ = integrate.quad(lambda a: s_star - s_curve(a), 0, root)
    assert econ.B == pytest.approx(area, rel=1e-5)
    # a higher cost or more free riding moves the threshold up and costs more
    worse = joining_economics(curve, c, 0.8)
    assert worse.alpha_crit > econ.alpha_crit and worse.B > econ.B


def test_unreachable_threshold():
    curve = SuccessCurve.from_empirical([0.0, 0.5, 1.0], [0.0, 0.3, 0.6])
    econ = joining_economics(curve, c=0.5, gamma=0.0)  # S* = 0.5 reached at 5/6
    assert econ.alpha_crit == pytest.approx(0.5 + 0.2 / 0.3 * 0.5)
    econ = joining_economics(curve, c=0.4, gamma=0.5)  # S* = 0.8 > max S
    assert not econ.sustainable and econ.B == float("inf")
    assert np.isnan(critical_mass(curve, 0.9)) and investment_area(curve, 0.9) == float("inf")


def test_empirical_hook_averages_seeds_and_uses_first_crossing():
    """Definition 2.1: the critical mass is the first alpha that reaches S*, even on a noisy curve."""
    alpha = [0.3, 0.1, 0.2, 0.2, 0.3, 0.4]
    success = [0.55, 0.1, 0.4, 0.6, 0.45, 0.9]  # alpha = 0.2 and 0.3 have two seeds each
    curve = SuccessCurve.from_empirical(alpha, success)
    np.testing.assert_allclose(curve.alpha, [0.1, 0.2, 0.3, 0.4])
    np.testing.assert_allclose(curve.success, [0.1, 0.5, 0.5, 0.9])
    assert critical_mass(curve, 0.5) == pytest.approx(0.2)
    assert critical_mass(curve, 0.7) == pytest.approx(0.35)


def test_plot_joining_draws_threshold_and_area():
    curve = SuccessCurve.from_function(s_curve)
    ax = plot_joining(curve, c=0.1, gamma=0.6)
    assert len(ax.collections) == 1  # the shaded area
    labels = ax.get_legend_handles_labels()[1]
    assert any("B(" in lab for lab in labels) and any("S^*" in lab for lab in labels)


@pytest.mark.parametrize(
    "call, match",
    [
        (lambda: join_threshold(0.0, 0.5), "cost"),
        (lambda: join_threshold(0.1, 1.5), "gamma"),
        (lambda: SuccessCurve.from_empirical([0.1, 0.2], [0.5]), "same length"),
        (lambda: SuccessCurve.from_empirical([0.1, 1.2], [0.5, 0.6]), r"\[0, 1\]"),
        (lambda: SuccessCurve.from_empirical([0.1, 0.2], [0.5, np.nan]), "finite"),
        (lambda: SuccessCurve.from_empirical([0.2, 0.2], [0.5, 0.6]), "two distinct"),
        (lambda: s_curve(0.5, midpoint=1.5), "midpoint"),
    ],
)
def test_bad_arguments(call, match):
    with pytest.raises(ValueError, match=match):
        call()
