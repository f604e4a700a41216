"""Figures and tables of the resume chapter, on a synthetic results table (no training):
the numbers they show are the means, crossings and bounds they claim to be."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import numpy as np
import pandas as pd
import pytest

from collective.report import resumes as rf
from collective.theory import critical_mass_feature_label, critical_mass_feature_only

TARGETS = rf.PAPER_CLASSES


def _row(**fields):
    """One synthetic run of the linear firm: the given fields over defaults (spacing 20, no
    random labels, 25,000 training resumes, fixed clean metrics)."""
    return {
        "firm": "linear",
        "spacing": 20,
        "random_labels": 0.0,
        "n_train": 25_000,
        "device": "cpu",
        "hamming_accuracy": 0.9,
        "precision": 0.8,
        "recall": 0.7,
        "f1": 0.75,
        **fields,
    }


def _runs():
    rows = []
    for strategy in ("feature-label", "feature-only"):
        for target in TARGETS:
            for level in (0.0, 0.2):
                for seed in range(3):
                    for alpha in (0.0, 0.001, 0.002, 0.004):
                        s = min(1.0, 0.1 + 200 * alpha + 0.01 * seed)
                        rows.append(
                            _row(
                                strategy=strategy,
                                target=target,
                                alpha=alpha,
                                seed=seed,
                                random_labels=level,
                                success_in_set=s,
                                success_top1=s / 2,
                                param_max_iter=10,
                                fit_iterations=3,
                            )
                        )
    return pd.DataFrame(rows)


def test_summarize_and_success_table():
    df = _runs()
    one = df[(df.strategy == "feature-label") & (df.target == TARGETS[0]) & (df.random_labels == 0)]
    s = rf.summarize(one, ["alpha"], "success_in_set")
    assert s.loc[s.alpha == 0.002, "mean"].item() == pytest.approx(
        0.5 + 0.01
    )  # mean over seeds 0, 1, 2
    table = rf.success_table(one, "success_in_set", [0.002], {TARGETS[0]: 2500})
    assert table.loc[TARGETS[0], "no collective"] == pytest.approx(0.11)
    assert table.loc[TARGETS[0], "α = 0.2% (share of class)"] == pytest.approx(0.02)


def test_figures_draw_and_name_the_firm():
    df = _runs()
    wide = pd.concat([df, df.assign(spacing=10)])
    # curves per panel: 3 classes (+ 3 dotted no-collective lines); 2 random-label levels; 2 spacings
    for fig, n_lines in (
        (rf.plot_success_vs_alpha(df, "feature-label"), 6),
        (rf.plot_random_labels(df[df.strategy == "feature-only"]), 2),
        (rf.plot_spacing(wide), 2),
    ):
        text = " ".join(t.get_text() for t in fig.texts)
        assert "Firm: linear (TF-IDF, min_df 5; logistic regression C = 4;" in text
        assert "25,000 training resumes" in text and "3 seeds" in text
        assert len(fig.axes[0].lines) == n_lines


def test_figures_without_runs_say_so():
    empty = _runs().iloc[0:0]
    for fig in (
        rf.plot_success_vs_alpha(empty, "feature-label"),
        rf.plot_random_labels(empty),
        rf.plot_spacing(empty),
    ):
        assert any("results cache yet" in t.get_text() for t in fig.axes[0].texts)


def test_seeds_summary_counts_fewer_seeds_where_runs_are_missing():
    from collective.report.coverage import pct, seeds_phrase, seeds_summary

    df = _runs()
    one = df[(df.strategy == "feature-label") & (df.target == TARGETS[0]) & (df.random_labels == 0)]
    assert seeds_phrase(one) == "3 seeds"
    partial = one[~((one.alpha >= 0.002) & (one.seed == 2))]
    assert seeds_phrase(partial) == "3 seeds (2 at 2 sizes, α = 0.2%–0.4%)"
    text = seeds_summary(
        pd.concat([partial, df[(df.target == TARGETS[1]) & (df.strategy == "feature-label")]])
    )
    assert (
        text.startswith("Database Administrator: 3 seeds (2 at")
        and "Web Developer: 3 seeds" in text
    )
    assert pct(float("nan")) == "not yet computed" and pct(0.1234) == "12.3%"


def test_implied_eps_inverts_the_corrected_bounds():
    from collective.theory import corrected_feature_label_bound, corrected_feature_only_bound

    eps = rf.implied_eps("feature-label", 0.004, 0.9, 1e-4, 1.0)
    assert corrected_feature_label_bound(0.004, 1e-4, 1.0, eps) == pytest.approx(0.9)
    eps = rf.implied_eps("feature-only", 0.05, 0.9, 1e-4, 0.2)
    assert corrected_feature_only_bound(0.05, 1e-4, 0.2, eps) == pytest.approx(0.9)
    assert (
        rf.implied_eps("feature-label", 1e-5, 0.9, 1e-4, 1.0) == 0.0
    )  # the eps = 0 bound is already below S*
    assert np.isnan(rf.implied_eps("feature-label", float("nan"), 0.9, 1e-4, 1.0))


def test_headline_table_marks_each_claim():
    df = _runs()
    main = df[df.random_labels == 0]
    table = rf.headline_table(main, df[df.random_labels > 0], main.iloc[0:0])
    verdicts = dict(zip(table["paper's claim"].str[:10], table["verdict"]))
    # synthetic Strategy 1 reaches 90% at alpha = 0.395% < 0.5% for every class
    assert verdicts["Strategy 1"] == "reproduced"
    assert table["verdict"].iloc[-2] == "not run"  # no spacing runs
    assert "nan" not in " ".join(table.astype(str).to_numpy().ravel())


def test_critical_mass_comparison_uses_the_corollaries():
    df = _runs()
    est = {
        "xi": {"xi_upper": 1e-4},
        "classes": {
            t: {"delta_in_set_max": 1.0, "delta_top1_max": 1.0, "p_in_set_min": 1e-6}
            for t in TARGETS
        },
    }
    table = rf.critical_mass_comparison(df, est, "success_in_set", 0.9)
    row = table[(table.strategy == "feature-label") & (table.target == TARGETS[0])].iloc[0]
    assert row["predicted α* ≤"] == pytest.approx(critical_mass_feature_label(0.9, 1e-4, 1.0))
    # mean curve 0.11 + 200 alpha crosses 0.9 at alpha = 0.00395
    assert row["observed α*"] == pytest.approx(0.00395, rel=1e-6)
    row2 = table[(table.strategy == "feature-only") & (table["random labels"] == 0.2)].iloc[0]
    assert row2["predicted α* ≤"] == pytest.approx(
        critical_mass_feature_only(0.9, 1e-4, 0.1 + 0.8e-6)
    )
    assert rf.positivity_constant(0.2, 0.0) == pytest.approx(0.1)


def test_convergence_table_pairs_configs():
    df = _runs()
    df = df[(df.random_labels == 0) & (df.seed == 0) & (df.alpha > 0)]
    full = df.copy()
    full["param_max_iter"] = None
    full["success_in_set"] += 0.05
    df = df.assign(fit_converged=False, fit_grad_max=2e-2, param_tol=1e-5)
    table = rf.convergence_table(pd.concat([df, full]))
    assert np.allclose(
        table[("success_in_set", "converged")] - table[("success_in_set", "10 steps")], 0.05
    )
    assert "random_labels" in table.index.names
    summary = rf.convergence_summary(pd.concat([df, full]))
    assert summary["pairs"] == len(df) and summary["short_converged"] == 0
    assert summary["in_set_diff_mean"] == pytest.approx(0.05) and summary[
        "grad_ratio_max"
    ] == pytest.approx(2e3)
    assert summary["in_set_lower"] == 0
    # one pair where the converged fit gives less: counted
    worse = full.copy()
    worse.iloc[0, worse.columns.get_loc("success_in_set")] -= 0.2
    assert rf.convergence_summary(pd.concat([df, worse]))["in_set_lower"] == 1


def test_clean_metrics_table_next_to_the_paper():
    table = rf.clean_metrics_table(_runs())
    assert table.loc["precision (micro)", "linear firm"] == "80.0%"
    assert table.loc["precision (micro)", "paper: DistilBERT, every layer"] == "93.8%"


def _s2(target, alpha, seed, top1, *, random_labels=0.0, spacing=20, in_set=0.5):
    return _row(
        strategy="feature-only",
        target=target,
        alpha=alpha,
        seed=seed,
        spacing=spacing,
        random_labels=random_labels,
        success_in_set=in_set,
        success_top1=top1,
    )


def test_random_label_changes_compare_the_seeds_that_ran_both():
    t = TARGETS[0]
    # seeds 0-4 without random labels (mean 0.3), but random labels ran on seed 0 only:
    # the change is seed 0's, 0.1 -> 0.9, not the five-seed mean's
    clean = pd.DataFrame([_s2(t, 0.05, s, 0.1 if s == 0 else 0.35) for s in range(5)])
    noisy = pd.DataFrame(
        [_s2(t, 0.05, 0, 0.9, random_labels=0.3), _s2(t, 0.05, 7, 0.2, random_labels=0.3)]
    )
    out = rf.random_label_changes(clean, noisy)
    assert len(out) == 1
    row = out.iloc[0]
    assert (row["without"], row["with"], row["seeds"]) == (
        pytest.approx(0.1),
        pytest.approx(0.9),
        1,
    )
    assert row["change"] == pytest.approx(0.8)
    # no seed in common: no row
    assert rf.random_label_changes(clean, noisy[noisy.seed == 7]).empty


def test_spacing_gaps_read_every_spacing_over_the_same_seeds():
    t = TARGETS[0]
    rows = [_s2(t, 0.01, s, 0.0, in_set=0.2 + 0.1 * s) for s in range(5)]  # spacing 20: seeds 0-4
    rows += [_s2(t, 0.01, s, 0.0, spacing=10, in_set=0.2 + 0.1 * s) for s in range(3)]  # seeds 0-2
    gaps = rf.spacing_gaps(pd.DataFrame(rows))
    row = gaps.iloc[0]
    # over seeds 0-2 both spacings have mean 0.3: no gap (the five-seed mean of spacing 20 is 0.4)
    assert row["gap"] == pytest.approx(0.0) and row["seeds"] == 3 and row["spacings"] == 2
    assert row[10] == pytest.approx(0.3) and row[20] == pytest.approx(0.3)


def test_headline_cells_name_the_paired_seeds_and_points():
    from collective.report import headline as hl

    t = TARGETS[0]
    main = pd.DataFrame([_s2(t, 0.05, s, 0.1 if s == 0 else 0.35) for s in range(5)])
    noisy = pd.DataFrame([_s2(t, 0.05, 0, 0.9, random_labels=0.3)])
    sp = pd.DataFrame(
        [_s2(t, 0.01, s, 0.0, in_set=0.5) for s in range(5)]
        + [_s2(t, 0.01, s, 0.0, spacing=50, in_set=0.25) for s in range(3)]
        + [
            dict(_s2(t, 0.001, s, 0.0, spacing=sp_, in_set=0.9), strategy="feature-label")
            for s in range(3)
            for sp_ in (20, 50)
        ]
    )
    found = hl.random_labels(hl.FirmRuns(main, "x", noisy))
    assert found.measured.endswith("class 0: 10.0% → 90.0% (1 seed, the same for both)")
    found = hl.spacing(hl.FirmRuns(main, "x", spacing=sp))
    assert (
        "Strategy 2 (feature-only): 25.0 points at α = 1.00% (3 seeds at every spacing)"
        in found.measured
    )
    assert "0.0 points at α = 0.10%" in found.measured and found.verdict == "partly"
    # the scale column of the spacing row gives the seeds at each spacing, not the most of any
    table = hl.headline_table(main, noisy, sp).set_index("paper's claim")
    scale = table.loc[
        [c for c in table.index if c.startswith("Success is insensitive")][0], "scale and seeds"
    ]
    assert scale == "25,000 train; Database Administrator: seeds at spacing 20: 5, 50: 3"


def test_upper_rounds_a_bound_up_so_the_printed_number_is_still_a_bound():
    from collective.report.coverage import upper

    assert upper(1.0296e-4) == "1.03e-04"  # not 1.0e-04, which is below the bound
    assert upper(1.0201e-4) == "1.03e-04"
    assert upper(1.2e-4) == "1.20e-04"  # already exact: unchanged
    assert upper(9.991e-3, digits=2) == "1.0e-02"
    assert float(upper(3.14159e-5)) >= 3.14159e-5
