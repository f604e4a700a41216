"""Estimating the quantities of Theorems 3.3 / 3.5 (xi, Delta, p) and the empirical critical mass
(one definition: :func:`collective.theory.curves.critical_mass`)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from collective.errors import ConfigError
from collective.report.critical_mass import critical_mass_bootstrap as observed_critical_mass
from collective.resumes.estimates import (
    calibration_error,
    signal_set_quantities,
    trigger_frequency,
)
from collective.theory.curves import critical_mass as critical_alpha


def test_trigger_frequency_zero_count_rule_of_three():
    est = trigger_frequency(0, 30_000)
    assert est["xi_hat"] == 0.0
    # exact one-sided 95% bound for k = 0: 1 - 0.05**(1/n), close to 3/n
    assert est["xi_upper"] == pytest.approx(1 - 0.05 ** (1 / 30_000))
    assert est["xi_upper"] == pytest.approx(3 / 30_000, rel=0.01)
    est = trigger_frequency(5, 100)
    assert est["xi_hat"] == 0.05 and 0.09 < est["xi_upper"] < 0.11
    with pytest.raises(ConfigError):
        trigger_frequency(3, 2)


def test_signal_set_quantities_by_hand():
    P = np.array([[0.9, 0.1, 0.5], [0.2, 0.8, 0.0]])
    q = signal_set_quantities(P, 0)
    assert q["delta_in_set_max"] == pytest.approx(0.6)  # 1 - 2 * 0.2
    assert q["delta_in_set_mean"] == pytest.approx(0.3)
    assert q["p_in_set_min"] == pytest.approx(0.2)
    # top-1: row 2 normalised (0.2, 0.8, 0): gap 0.6; row 1: target already top
    assert q["delta_top1_max"] == pytest.approx(0.6)
    assert q["p_top1_min"] == pytest.approx(0.2)


def test_calibration_error():
    rng = np.random.default_rng(0)
    P = rng.random((20_000, 1))
    Y = rng.random((20_000, 1)) < P  # calibrated by construction
    assert calibration_error(P, Y) < 0.025
    assert calibration_error(np.full((1000, 1), 0.9), np.zeros((1000, 1))) == pytest.approx(0.9)


def test_critical_alpha_interpolates():
    a = np.array([0.001, 0.002, 0.004])
    assert critical_alpha(a, np.array([0.5, 0.8, 1.0]), 0.9) == pytest.approx(0.003)
    assert critical_alpha(a, np.array([0.95, 0.97, 1.0]), 0.9) == 0.001
    assert np.isnan(critical_alpha(a, np.array([0.1, 0.2, 0.3]), 0.9))
    # repeated alphas (seeds) are averaged before reading the crossing; order does not matter
    assert critical_alpha(
        [0.05, 0.01, 0.05, 0.1, 0.01], [0.7, 0.2, 0.5, 0.95, 0.4], 0.5
    ) == pytest.approx(0.01 + 0.2 / 0.3 * 0.04)


def test_observed_critical_mass_bootstrap():
    rows = []
    for seed, shift in enumerate([0.0, 0.05, -0.05, 0.02, -0.02]):
        for alpha, s in [(0.001, 0.5), (0.002, 0.8), (0.004, 1.0)]:
            rows.append({"seed": seed, "alpha": alpha, "success": min(1.0, s + shift)})
    out = observed_critical_mass(pd.DataFrame(rows), "success", 0.9, n_boot=500)
    assert out["alpha_star"] == pytest.approx(0.003, abs=2e-4)
    assert out["ci_low"] <= out["alpha_star"] <= out["ci_high"]
    assert out["reached"] == 1.0 and out["n_seeds"] == 5
    with pytest.raises(ConfigError, match="no column"):
        observed_critical_mass(pd.DataFrame(rows), "nope")


def test_a_seed_that_ran_part_of_the_curve_does_not_shrink_it():
    """Seed 0 ran every size, seed 1 one of them (a sweep under way): the curve is seed 0's
    whole curve (one seed read), not both seeds at the one size they share. With no seed
    complete, the sizes some seed lacks are left out."""
    full = [(0, a, s) for a, s in [(0.001, 0.2), (0.002, 0.6), (0.004, 1.0)]]
    rows = pd.DataFrame(full + [(1, 0.004, 1.0)], columns=["seed", "alpha", "success"])
    out = observed_critical_mass(rows, "success", 0.5, n_boot=50)
    assert out["n_seeds"] == 1 and out["alpha_star"] == pytest.approx(0.00175)
    ragged = pd.DataFrame(
        [(0, 0.001, 0.2), (0, 0.002, 0.6), (1, 0.002, 0.4), (1, 0.004, 1.0)],
        columns=["seed", "alpha", "success"],
    )
    out = observed_critical_mass(ragged, "success", 0.5, n_boot=50)
    assert out["n_seeds"] == 2 and out["alpha_star"] == 0.002  # 0.2% alone, mean 0.5 there
