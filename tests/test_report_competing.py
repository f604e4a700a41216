"""The two-collectives report on hand-made result rows."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from collective.errors import ConfigError
from collective.report.competing import case_of, competing_frame, efficacy_drop, plot_competing

DA, WD = "Database_Administrator", "Web_Developer"


def _other(target, trigger, alpha):
    return {
        "strategy": "feature-label",
        "target": target,
        "alpha": alpha,
        "seed": 100,
        "trigger": trigger,
    }


def _rows():
    rows = []
    for seed, (alone, b, a) in enumerate([(0.8, 0.2, 0.7), (0.6, 0.3, 0.6)]):
        base = dict(target=DA, alpha=0.01, seed=seed, success_in_set=alone + 0.1)
        rows.append({**base, "others": np.nan, "success_top1": alone})
        rows.append(
            {**base, "others": [_other(WD, 1240, 0.01)], "success_top1": b,
             "collective1_success_top1": 0.5, "collective1_success_in_set": 0.6}
        )  # fmt: skip
        rows.append(
            {**base, "others": [_other(WD, 1241, 0.02)], "success_top1": a,
             "collective1_success_top1": 0.9, "collective1_success_in_set": 0.95}
        )  # fmt: skip
    return pd.DataFrame(rows)


def test_cases_are_read_from_trigger_and_target():
    assert case_of(DA, _other(WD, 1241, 0.1)) == "a"
    assert case_of(DA, _other(WD, 1240, 0.1)) == "b"
    assert case_of(DA, _other(DA, 1241, 0.1)) == "c"
    with pytest.raises(ConfigError, match="one larger collective"):
        case_of(DA, _other(DA, 1240, 0.1))


def test_a_run_alone_belongs_to_every_case_and_the_others_to_theirs():
    frame = competing_frame(_rows())
    assert len(frame) == 2 * 3 + 2 + 2
    b = frame[(frame.case == "b") & (frame.ratio == 1.0)]
    assert list(b.success_top1) == [0.2, 0.3] and list(b.success2_top1) == [0.5, 0.5]
    a = frame[(frame.case == "a") & (frame.ratio == 2.0)]
    assert list(a.alpha2) == [0.02, 0.02]
    assert frame[frame.ratio == 0].success2_top1.isna().all()


def test_the_drop_is_one_minus_the_ratio_of_seed_means():
    drop = efficacy_drop(competing_frame(_rows()), n_boot=200)
    b = drop[drop.case == "b"].iloc[0]
    assert b["alone"] == pytest.approx(0.7) and b["with collective 2"] == pytest.approx(0.25)
    assert b["drop"] == pytest.approx(1 - 0.25 / 0.7) and b["seeds"] == 2
    assert b["collective 2"] == pytest.approx(0.5)
    assert b["ci_low"] <= b["drop"] <= b["ci_high"]
    a = drop[drop.case == "a"].iloc[0]
    assert a["drop"] == pytest.approx(1 - 0.65 / 0.7)
    assert set(drop.case) == {"a", "b"}  # no run of case (c)


def test_the_figure_has_one_panel_per_case_with_runs():
    fig = plot_competing(competing_frame(_rows()))
    assert [ax.get_title() for ax in fig.axes] == [
        "(a) own trigger, other target",
        "(b) same trigger, other target",
    ]


def test_critical_masses_per_case_and_ratio():
    from collective.report.competing import critical_masses

    rows = []
    for seed in (0, 1):
        for alpha, alone, b in [(0.001, 0.2, 0.1), (0.01, 0.8, 0.4), (0.1, 1.0, 0.9)]:
            base = dict(target=DA, alpha=alpha, seed=seed, success_in_set=1.0)
            rows.append({**base, "others": np.nan, "success_top1": alone})
            rows.append(
                {**base, "others": [_other(WD, 1240, alpha)], "success_top1": b,
                 "collective1_success_top1": 0.0, "collective1_success_in_set": 0.0}
            )  # fmt: skip
    table = critical_masses(competing_frame(pd.DataFrame(rows)), s_star=0.5)
    alone = table[(table.case == "b") & (table.ratio == 0)].iloc[0]
    both = table[(table.case == "b") & (table.ratio == 1)].iloc[0]
    # piecewise-linear crossings of 0.5: between 0.001 and 0.01, and between 0.01 and 0.1
    assert alone["alpha_star"] == pytest.approx(0.001 + 0.009 * 0.3 / 0.6)
    assert both["alpha_star"] == pytest.approx(0.01 + 0.09 * 0.1 / 0.5)
    assert alone["n_seeds"] == 2


def test_the_shared_signal_guarantee_is_theorem_3_3_with_the_net_mass():
    from collective.report.competing import shared_signal_guarantee

    table = shared_signal_guarantee(
        competing_frame(_rows()), xi=0.001, delta=0.5, metric="success_top1"
    )
    alone = table[table.ratio == 0].iloc[0]
    assert alone["measured"] == pytest.approx(0.7) and alone["seeds"] == 2
    assert alone["bound"] == pytest.approx(1 - (1 - 0.01) * 0.5 * 0.001 / 0.01)
    equal = table[table.ratio == 1].iloc[0]
    assert equal["bound"] == -np.inf  # as large a rival on the same signal: no guarantee
    assert set(table.ratio) == {0.0, 1.0}  # case (b) only
