"""The scale study's exponent on curves whose answer is known by construction."""

import numpy as np
import pandas as pd
import pytest

from collective.errors import ConfigError
from collective.report.critical_mass import critical_mass_table
from collective.report.scaling import plot_critical_mass_scaling, scaling_exponent

ALPHAS = np.array([0.0, 0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05])
SIZES = [2000, 5000, 10000, 25000]


def runs(critical_resumes, seeds=(0, 1, 2), noise=0.0):
    """Logistic success curves in α whose 50% point is critical_resumes(n) / n."""
    rng = np.random.default_rng(1)
    rows = []
    for n in SIZES:
        a_half = critical_resumes(n) / n
        for seed in seeds:
            for a in ALPHAS:
                s = 1 / (1 + (a_half / a) ** 4) if a > 0 else 0.0
                s = float(np.clip(s + noise * rng.standard_normal(), 0, 1))
                rows.append({"n_train": n, "seed": seed, "alpha": a, "success_in_set": s})
    return pd.DataFrame(rows)


def test_constant_number_of_resumes_gives_exponent_zero():
    out = scaling_exponent(runs(lambda n: 60.0), n_boot=50)
    assert out["sizes"] == 4
    # piecewise-linear reading on a coarse grid: near 0, far from 1
    assert abs(out["b"]) < 0.05


def test_constant_fraction_gives_exponent_one():
    out = scaling_exponent(runs(lambda n: 0.004 * n), n_boot=50)
    assert out["b"] == pytest.approx(1.0, abs=1e-9)  # the same curve at every n: exactly 1


def test_interval_covers_the_estimate_and_widens_with_noise():
    calm = scaling_exponent(runs(lambda n: 0.004 * n, noise=0.0), n_boot=200)
    noisy = scaling_exponent(runs(lambda n: 0.004 * n, noise=0.08), n_boot=200)
    assert calm["ci_high"] - calm["ci_low"] < 1e-9
    assert noisy["ci_low"] <= noisy["b"] <= noisy["ci_high"]
    assert noisy["ci_high"] - noisy["ci_low"] > 0


def test_never_reached_and_one_size_are_reported():
    frame = runs(lambda n: 0.004 * n)
    assert np.isnan(scaling_exponent(frame, s_star=1.01, n_boot=10)["b"])
    with pytest.raises(ConfigError, match="two or more training sizes"):
        scaling_exponent(frame[frame["n_train"] == 2000], n_boot=10)
    with pytest.raises(ConfigError, match="column 'seed'"):
        scaling_exponent(frame.drop(columns="seed"))


def test_figure_has_one_line_per_level():
    frame = runs(lambda n: 60.0)
    table = critical_mass_table(frame, by=["n_train"], metrics=["success_in_set"], n_boot=20)
    fig = plot_critical_mass_scaling(table)
    left, right = fig.axes[:2]
    assert len(left.lines) >= 2 and len(right.get_legend().get_texts()) == 2
    # in resumes, the 50% line sits at 60 at every size (the curves were built that way)
    half = table[table["S*"] == 0.5]
    assert np.allclose(half["resumes"], 60.0, rtol=0.2)


def test_figure_refuses_a_table_where_nothing_is_reached():
    frame = runs(lambda n: 60.0)
    table = critical_mass_table(
        frame, by=["n_train"], metrics=["success_in_set"], levels=[1.01], n_boot=5
    )
    with pytest.raises(ConfigError, match="no critical mass to draw"):
        plot_critical_mass_scaling(table)


def test_theorem_3_3_readings_invert_corollary_3_4():
    from collective.report.scaling import theorem_3_3_readings
    from collective.theory.classification import critical_mass_feature_label

    table = pd.DataFrame(
        {
            "n_train": [2000, 25000],
            "S*": [0.5, 0.9],
            "alpha": [0.04, np.nan],
            "resumes": [80, np.nan],
        }
    )
    out = theorem_3_3_readings(table)
    assert list(out["n_train"]) == [2000]  # the row not reached has nothing to read
    delta_xi = out["Δξ if ε = 0"].iloc[0]
    # Corollary 3.4 with that Δξ (Δ = 1) gives back the critical mass
    assert critical_mass_feature_label(0.5, delta_xi, 1.0) == pytest.approx(0.04)
    assert out["ε if ξ = 0"].iloc[0] == pytest.approx(0.04 * 0.5 / 2)


def test_critical_mass_phrase_reads_one_row():
    from collective.report.critical_mass import critical_mass_phrase

    table = critical_mass_table(
        runs(lambda n: 60.0), by=["n_train"], metrics=["success_in_set"], n_boot=20
    )
    assert critical_mass_phrase(table, 0.9, n_train=2000) == "not reached on the grid"
    text = critical_mass_phrase(table, 0.5, n_train=25000)
    row = table[(table["S*"] == 0.5) & (table["n_train"] == 25000)].iloc[0]
    assert text.startswith(f"α = {row['alpha']:.2%} ({row['resumes']:.0f} resumes; 95% interval")
    with pytest.raises(ConfigError, match="4 rows"):
        critical_mass_phrase(table, 0.5)
    one = critical_mass_table(
        runs(lambda n: 60.0, seeds=(0,)), by=["n_train"], metrics=["success_in_set"], n_boot=20
    )
    assert critical_mass_phrase(one, 0.5, n_train=25000).endswith("resumes; one seed)")


@pytest.mark.parametrize(
    ("lo", "hi", "words"),
    [
        (-0.1, 1.2, "not resolved"),
        (-0.1, 0.4, "fixed number of resumes (b = 0), not"),
        (0.7, 1.3, "fixed share of the training set (b = 1), not"),
        (0.2, 0.5, "neither"),
        (-0.8, -0.2, "falls"),
        (1.2, 1.6, "grows with the training set (b > 1)"),
        (np.nan, np.nan, "not measurable"),
    ],
)
def test_scaling_reading_follows_the_interval(lo, hi, words):
    from collective.report.scaling import scaling_reading

    assert words in scaling_reading({"b": (lo + hi) / 2, "ci_low": lo, "ci_high": hi})
