"""The chapter's frames, tables and figures (collective.report.defences) on hand-made runs."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from collective.report.defences import (
    NO_DEFENCE,
    cost_table,
    critical_masses,
    defence_frame,
    defence_label,
    seed_counts_phrase,
    success_panels,
)

RARE = [{"name": "rare-tokens", "m": 10}]
STRIP = [
    {
        "name": "strip",
        "false_rejection": 0.01,
        "replace": 0.5,
        "copies": 8,
        "n_resumes": 500,
        "seed": 0,
    }
]


def _runs() -> pd.DataFrame:
    rows = []
    for seed in (0, 1):
        for alpha in (0.0, 0.001, 0.002, 0.004):
            n_collective = int(alpha * 1000)
            s = min(1.0, alpha / 0.002)  # undefended: reaches 1 at 0.2%
            common = dict(
                strategy="feature-label",
                alpha=alpha,
                seed=seed,
                n_train=1000,
                n_collective=n_collective,
            )
            rows.append({**common, "success_top1_without_target": s, "f1": 0.80})
            rows.append(
                {
                    **common,
                    "defences": RARE,
                    "success_top1_without_target": s / 2,
                    "f1": 0.79,
                    "defence0_removed": 10,
                    "defence0_removed_collective": n_collective // 2,
                }
            )
            rows.append(
                {
                    **common,
                    "defences": STRIP,
                    "success_top1_without_target": s,
                    "f1": 0.80,
                    "defence0_removed": 0,
                    "defence0_removed_collective": 0,
                    "defence0_detection": 0.5,
                    "defence0_success_top1_after": s / 4,
                    "defence0_false_rejection_test": 0.01,
                }
            )
    return pd.DataFrame(rows)


def test_labels_name_each_defence_and_its_parameter():
    assert defence_label(None) == defence_label([]) == defence_label(np.nan) == NO_DEFENCE
    assert defence_label(RARE) == "rare tokens (m = 10)"
    assert defence_label(STRIP) == "STRIP (1% FRR)"
    assert defence_label(
        [{"name": "keywords", "tokens": 5}, {"name": "label-consistency", "fraction": 0.02}]
    ) == ("keywords (top 5) + label consistency (2%)")


def test_the_frame_counts_false_positives_and_the_collective_s_share():
    df = defence_frame(_runs())
    rare = df[
        (df["defence"] == "rare tokens (m = 10)") & (df["alpha"] == 0.004) & (df["seed"] == 0)
    ].iloc[0]
    assert rare["removed"] == 10 and rare["removed_collective"] == 2
    assert rare["false_positive_rate"] == pytest.approx(8 / 996)
    assert rare["collective_removed"] == pytest.approx(0.5)
    none = df[df["defence"] == NO_DEFENCE]
    assert (none["removed"] == 0).all() and none["detection"].isna().all()
    assert np.isnan(
        df[(df["alpha"] == 0) & (df["defence"] == NO_DEFENCE)]["collective_removed"]
    ).all()


def test_the_cost_table_compares_with_the_undefended_firm_at_the_same_runs():
    table = cost_table(defence_frame(_runs()))
    assert list(table["defence"]) == [NO_DEFENCE, "rare tokens (m = 10)", "STRIP (1% FRR)"]
    rare = table.set_index("defence").loc["rare tokens (m = 10)"]
    assert rare["F1 change"] == pytest.approx(-0.01) and rare["rows removed"] == 10
    assert np.isnan(rare["tokens blocked"])  # no facts of blocked tokens in these runs
    assert table.set_index("defence").loc["STRIP (1% FRR)", "detection"] == 0.5


def test_critical_masses_read_success_after_rejection_for_a_screening_defence():
    table = critical_masses(defence_frame(_runs()), levels=(0.5,))
    alpha = table.set_index("defence")["alpha"]
    assert alpha[NO_DEFENCE] == pytest.approx(0.001)
    assert alpha["rare tokens (m = 10)"] == pytest.approx(0.002)  # s/2 reaches 0.5 at 0.2%
    assert np.isnan(alpha["STRIP (1% FRR)"])  # s/4 never reaches 0.5 on the grid


def test_the_figure_draws_one_line_per_defence():
    import matplotlib.pyplot as plt

    fig = success_panels(defence_frame(_runs()), strategies=("feature-label",))
    other = success_panels(
        defence_frame(_runs()).assign(success_in_set=0.5), "success_in_set", ("feature-label",)
    )
    assert len(other.axes[0].get_lines()) == 2  # STRIP has no in-set success after rejection
    plt.close(other)
    ax = fig.axes[0]
    assert [line.get_label() for line in ax.get_lines()] == [
        NO_DEFENCE,
        "rare tokens (m = 10)",
        "STRIP (1% FRR)",
    ]
    assert ax.get_lines()[2].get_linestyle() == "--"  # after rejection
    plt.close(fig)


def test_a_screening_defence_has_no_critical_mass_but_for_top_1():
    runs = _runs().assign(success_in_set=lambda d: d["success_top1_without_target"])
    table = critical_masses(defence_frame(runs), metric="success_in_set", levels=(0.5,))
    assert "STRIP (1% FRR)" not in set(table["defence"])


def test_the_trigger_table_puts_each_trigger_beside_the_paper_s():
    from collective.report.defences import trigger_table

    runs = _runs()
    word = runs[runs["defences"].isna()].assign(trigger=2000, success_top1_without_target=0.5)
    df = defence_frame(pd.concat([runs, word], ignore_index=True))
    assert set(df["trigger"]) == {1240, 2000}
    table = trigger_table(df, {1240: "token 1240", 2000: "a word"})
    assert list(table.columns.get_level_values(0).unique()) == ["token 1240", "a word"]
    assert table[("a word", NO_DEFENCE)].eq(0.5).all()
    assert table.loc[("feature-label", 0.004), ("token 1240", NO_DEFENCE)] == 1.0


# -- the arms race -------------------------------------------------------------------------


def test_collective_label_names_strategy_trigger_and_an_unusual_spacing():
    from collective.report.defences import collective_label

    assert collective_label("feature-label") == "Strategy 1, token 1240"
    assert collective_label("feature-only", 9831, 20, {9831: "a rare word"}) == (
        "Strategy 2, a rare word"
    )
    assert collective_label("feature-label", 1240, 80) == "Strategy 1, token 1240, every 80 words"


def test_best_responses_pick_the_smallest_and_the_largest_critical_mass():
    """Hand-made critical masses: NaN (not reached) ranks above every alpha for the firm and
    is never the collective's answer; a cell never run is 'not run' and never chosen."""
    from collective.report.defences import best_responses

    rows = [
        ("none", "A", 0.002),
        ("none", "B", 0.001),
        ("filter", "A", 0.008),
        ("filter", "B", np.nan),  # not reached
        ("strip", "A", np.nan),
        ("strip", "B", np.nan),
        ("keywords", "A", 0.003),  # keywords x B never ran
    ]
    table = pd.DataFrame(rows, columns=["defence", "collective", "alpha"])
    out = best_responses(table)
    answer = out["collective's best answer"]
    assert answer["none"] == "B" and answer["filter"] == "A" and answer["keywords"] == "A"
    assert answer["strip"] == "none reached"
    firm = out.loc["firm's best defence"]
    assert firm["A"] == "strip" and firm["B"] == "filter"  # first not-reached in table order
    assert out.loc["keywords", "B"] == "not run" and out.loc["strip", "A"] == "not reached"
    assert out.loc["filter", "A"] == pytest.approx(0.008)


def test_rare_token_panel_draws_the_floor_and_each_threshold():
    import matplotlib.pyplot as plt

    from collective.report.defences import rare_token_panel

    table = pd.DataFrame(
        {
            "m": [10, 50, 300],
            "alpha": [0.002, 0.0025, np.nan],
            "alpha 95% CI": [(0.0015, 0.0025), (0.002, 0.003), (np.nan, np.nan)],
        }
    )
    fig = rare_token_panel(table, n_train=25_000, undefended=0.0018)
    ax = fig.axes[0]
    floor = ax.lines[0]
    np.testing.assert_allclose(floor.get_ydata(), floor.get_xdata() / 25_000)
    labels = ax.get_legend_handles_labels()[1]
    assert "not reached on the grid" in labels and "floor m / n" in labels
    plt.close(fig)


def test_undefended_counterparts_are_the_same_runs_without_their_defence():
    from collective.report.defences import undefended_counterparts

    base = dict(
        firm="transformer",
        strategy="feature-label",
        target="T",
        spacing=20,
        max_train=100,
        n_train=100,
        param_epochs=5,
    )
    rows = [
        {**base, "alpha": 0.01, "seed": 0, "defences": RARE, "n_collective": 1},
        {**base, "alpha": 0.01, "seed": 0, "defences": None, "n_collective": 1},  # its twin
        {**base, "alpha": 0.01, "seed": 1, "defences": None, "n_collective": 1},  # other seed
        {
            **base,
            "alpha": 0.01,
            "seed": 0,
            "defences": None,
            "n_collective": 1,
            "param_epochs": 1,
        },  # another learner
        {**base, "alpha": 0.01, "seed": 0, "defences": RARE, "n_collective": 1},
    ]
    runs = defence_frame(pd.DataFrame(rows))
    out = undefended_counterparts(runs, runs[runs["defence"] != NO_DEFENCE])
    assert list(out.index) == [1]


def test_rare_token_masses_read_m_and_the_floor_and_blocked_runs_are_counted():
    """Hand-made runs of two filters: below m members the trigger is blocked (success 0),
    from m on it passes (the undefended curve s = alpha / 0.2%)."""
    from collective.report.defences import blocked_success, rare_token_masses

    rows = []
    for m in (2, 3):
        for seed in (0, 1):
            for alpha in (0.0, 0.001, 0.002, 0.004):
                members = int(alpha * 1000)
                blocked = 0 < members < m
                rows.append(
                    dict(
                        strategy="feature-label",
                        alpha=alpha,
                        seed=seed,
                        n_train=1000,
                        n_collective=members,
                        defences=[{"name": "rare-tokens", "m": m}],
                        success_top1_without_target=0.0
                        if blocked or not members
                        else min(1.0, alpha / 0.002),
                        defence0_blocked_trigger=blocked,
                        f1=0.8,
                    )
                )
    df = defence_frame(pd.DataFrame(rows))
    table = rare_token_masses(df)
    assert list(table["m"]) == [2, 3]
    np.testing.assert_allclose(table["floor"], [0.002, 0.003])
    # m = 2: 1 member blocked at 0.1%, success 1 at 0.2%: 50% at 0.15%; m = 3: 0 at 0.2%
    np.testing.assert_allclose(table["alpha"], [0.0015, 0.003])
    blocked = blocked_success(df)
    assert blocked.loc["rare tokens (m = 2)", "size"] == 2
    assert blocked.loc["rare tokens (m = 3)", "size"] == 4
    assert (blocked["max"] == 0).all()


def test_a_phrase_trigger_is_named_by_its_tokens_or_its_name():
    from collective.report.defences import collective_label

    assert collective_label("feature-label", "6987+4248") == "Strategy 1, tokens 6987 + 4248"
    assert collective_label("feature-only", "6987+8048", 20, {"6987+8048": "a phrase"}) == (
        "Strategy 2, a phrase"
    )
    frame = defence_frame(
        pd.DataFrame({"trigger": [np.nan, 9831.0, "6987+8048"], "n_train": 10, "n_collective": 1})
    )
    assert list(frame["trigger"]) == [1240, 9831, "6987+8048"]


def test_theory_reading_puts_corollary_3_4_beside_each_measured_critical_mass():
    """Hand-made: a word in 10 of 1,000 clean resumes (xi = 1%), a defence that removes half
    the collective, Delta = 1: Corollary 3.4 gives 0.01 / 0.51 for the collective the firm
    keeps, twice that for the collective that acts; the rare-token filter at m = 30 needs 20
    more members (floor 2%); Strategy 2 rows are left out."""
    from collective.report.defences import theory_reading

    def runs_of(defence, specs, removed):
        return [
            dict(
                defence=defence,
                collective="Strategy 1, a word",
                n_train=1000,
                trigger_resumes=10,
                alpha=a,
                collective_removed=removed,
                defences=specs,
                trigger=77,
            )
            for a in (0.0, 0.05)
        ]

    runs = pd.DataFrame(
        runs_of("halving", [{"name": "keywords", "tokens": 1}], 0.5)
        + runs_of("filter", [{"name": "rare-tokens", "m": 30}], 0.0)
    )
    cm = pd.DataFrame(
        {
            "defence": ["halving", "filter", "halving"],
            "collective": ["Strategy 1, a word", "Strategy 1, a word", "Strategy 2, a word"],
            "alpha": [0.05, 0.025, 0.2],
        }
    )
    out = theory_reading(cm, runs, delta=1.0).set_index("defence")
    assert list(out.index) == ["halving", "filter"]
    assert out.loc["halving", "xi"] == pytest.approx(0.01)
    assert out.loc["halving", "bound"] == pytest.approx(0.01 / 0.51 / 0.5)
    assert out.loc["halving", "budget"] == pytest.approx(0.05 * 0.5 * 0.51 - 0.01)
    assert out.loc["filter", "floor"] == pytest.approx(0.02)
    assert out.loc["filter", "bound"] == pytest.approx(0.02)  # the floor is above 0.01 / 0.51
    # a measured critical mass within the epsilon = 0 bound needs no budget (b = 2 eps >= 0);
    # one not reached has none to read
    below = theory_reading(cm.assign(alpha=[0.005, float("nan"), 0.2]), runs, delta=1.0)
    assert below.set_index("defence").loc["halving", "budget"] == 0.0
    assert np.isnan(below.set_index("defence").loc["filter", "budget"])


def test_best_response_lines_say_each_answer_with_its_critical_mass():
    from collective.report.defences import best_response_lines, best_responses

    table = pd.DataFrame(
        [
            ("none", "A", 0.002),
            ("none", "B", 0.001),
            ("filter", "A", 0.008),
            ("filter", "B", np.nan),
        ],
        columns=["defence", "collective", "alpha"],
    )
    lines = best_response_lines(best_responses(table))
    assert lines == [
        "against none: B (α = 0.10%)",
        "against filter: A (α = 0.80%)",
        "for A: filter (α = 0.80%)",
        "for B: filter (not reached)",
    ]


def test_best_response_lines_name_the_choices_the_intervals_do_not_settle():
    """With the critical masses' intervals: B's answer to none (0.10%, 0.08-0.12%) overlaps
    A's (0.20%, 0.11-0.30%) and C's does not (0.50%, 0.40-0.60%); the firm's best defence
    for B and for C is not reached, tied with the other not reached; A's best defence
    (filter, 0.80%, 0.70-0.90%) is apart from none's interval."""
    from collective.report.defences import best_response_lines, best_responses, rivals

    table = pd.DataFrame(
        [
            ("none", "A", 0.002, (0.0011, 0.003)),
            ("none", "B", 0.001, (0.0008, 0.0012)),
            ("none", "C", 0.005, (0.004, 0.006)),
            ("filter", "A", 0.008, (0.007, 0.009)),
            ("filter", "B", np.nan, (np.nan, np.nan)),
            ("filter", "C", np.nan, (np.nan, np.nan)),
            ("strip", "A", 0.001, (np.nan, np.nan)),  # one seed: its point
            ("strip", "B", np.nan, (np.nan, np.nan)),
            ("strip", "C", 0.0055, (0.0052, 0.0058)),
        ],
        columns=["defence", "collective", "alpha", "alpha 95% CI"],
    )
    assert rivals(table, "none", "B", across="collective") == ["A"]
    assert rivals(table, "filter", "B", across="defence") == ["strip"]
    assert rivals(table, "filter", "A", across="defence") == []
    assert rivals(table, "strip", "A", across="collective") == []  # C is reached, apart
    assert rivals(table, "none", "D", across="collective") == []  # never ran
    lines = best_response_lines(best_responses(table), table)
    assert lines == [
        "against none: B (α = 0.10%; not told apart from A by the 95% intervals)",
        "against filter: A (α = 0.80%)",
        "against strip: A (α = 0.10%)",
        "for A: filter (α = 0.80%)",
        "for B: filter (not reached; tied with strip, also not reached)",
        "for C: filter (not reached)",
    ]
    # without the table, the point estimates alone (as before)
    assert best_response_lines(best_responses(table))[0] == "against none: B (α = 0.10%)"


def test_same_removal_across_triggers_counts_cells_where_the_trigger_made_no_difference():
    from collective.report.defences import same_removal_across_triggers

    rows = []
    for seed in (0, 1):
        for trigger, removed in ((1240, 3), (6987, 3 if seed == 0 else 5)):
            rows.append(
                dict(
                    defence="kw",
                    strategy="feature-label",
                    alpha=0.01,
                    seed=seed,
                    trigger=trigger,
                    defence0_removed_collective=removed,
                )
            )
    rows.append(
        dict(
            defence="kw",
            strategy="feature-label",
            alpha=0.02,
            seed=0,
            trigger=1240,
            defence0_removed_collective=1,
        )
    )  # one trigger: not a comparison
    assert same_removal_across_triggers(pd.DataFrame(rows), "kw") == (2, 1)


def test_a_collective_that_fails_without_a_defence_needs_none():
    from collective.report.defences import best_responses

    table = pd.DataFrame(
        [
            ("no defence", "A", np.nan),
            ("filter", "A", np.nan),
            ("no defence", "B", 0.01),
            ("filter", "B", np.nan),
        ],
        columns=["defence", "collective", "alpha"],
    )
    firm = best_responses(table).loc["firm's best defence"]
    assert firm["A"] == "none needed" and firm["B"] == "filter"


def test_the_race_ends_at_the_defences_no_collective_answers():
    from collective.report.defences import best_responses, race_ending

    table = pd.DataFrame(
        [("none", "A", 0.002), ("strip", "A", np.nan), ("filter", "A", 0.004)],
        columns=["defence", "collective", "alpha"],
    )
    assert race_ending(best_responses(table)).startswith("against strip no collective")
    answered = table[table["defence"] != "strip"]
    assert "does not end" in race_ending(best_responses(answered))


def test_seed_counts_phrase_names_the_cells_with_fewer_seeds():
    rows = []
    for defence, collective, seeds in (
        ("none", "A", (0, 1, 2)),
        ("none", "B", (0, 1, 2)),
        ("lc", "A", (0,)),
        ("lc", "B", (0,)),
        ("strip", "A", (0, 1)),
    ):
        for seed in seeds:
            for alpha in (0.0, 0.001, 0.002):
                rows.append(
                    {"defence": defence, "collective": collective, "seed": seed, "alpha": alpha}
                )
    df = pd.DataFrame(rows)
    assert seed_counts_phrase(df) == (
        "3 seeds per cell, but lc against 2 collectives (1 seed); strip against 1 collective "
        "(2 seeds)"
    )
    assert seed_counts_phrase(df[df["defence"] == "none"]) == "3 seeds per cell"
    # a seed that ran part of its cell's grid does not count
    partial = pd.DataFrame([{"defence": "lc", "collective": "A", "seed": 1, "alpha": 0.002}])
    assert seed_counts_phrase(pd.concat([df, partial])) == seed_counts_phrase(df)
    assert seed_counts_phrase(df[df["alpha"] == 0]) == "no runs"
