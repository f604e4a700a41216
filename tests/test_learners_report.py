"""The learner axis and the headline tables on hand-made runs: each firm has one name, chosen
by its parameters; a run two grids share counts once; critical masses say what ran; the
verdicts follow their rules, counting only what a collective did."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from collective.report import headline as hl
from collective.report import learners as lr

DBA, WD, SD = "Database_Administrator", "Web_Developer", "Software_Developer"


def _curve(
    learner_params,
    alphas,
    success,
    *,
    seeds=(0, 1, 2),
    n_train=2000,
    strategy="feature-label",
    target=DBA,
    **extra,
):
    """Runs of one transformer (or linear, with ``firm``) configuration: in-set success
    ``success[i] + seed / 100`` at ``alphas[i]``, top-1 half of it."""
    rows = []
    for a, s in zip(alphas, success):
        for seed in seeds:
            value = min(1.0, s + seed / 100)
            rows.append(
                {
                    "firm": "transformer",
                    "strategy": strategy,
                    "target": target,
                    "alpha": a,
                    "seed": seed,
                    "spacing": 20,
                    "random_labels": 0.0,
                    "max_train": n_train,
                    "n_train": n_train,
                    "success_in_set": value,
                    "success_top1": value / 2,
                    "hamming_accuracy": 0.93,
                    "precision": 0.87,
                    "recall": 0.74,
                    "f1": 0.80,
                    **{f"param_{k}": v for k, v in learner_params.items()},
                    **learner_params,
                    **extra,
                }
            )
    return pd.DataFrame(rows)


KV = lr.MAIN_PARAMS[lr.KV_FROZEN]
TOP = {k: v for k, v in lr.MAIN_PARAMS[lr.TOP_LAYER].items() if k != "freeze_kv"}
EVERY = {
    k: v
    for k, v in lr.MAIN_PARAMS[lr.EVERY_LAYER].items()
    if k not in ("freeze_kv", "train_layers")
}
ALPHAS = (0.0, 0.01, 0.02, 0.03, 0.05)


def test_learner_name_reads_the_parameters():
    assert lr.learner_name({"firm": "linear"}) == "linear"
    assert lr.learner_name({"firm": "transformer", "train_layers": np.nan}) == "every layer"
    assert (
        lr.learner_name({"firm": "transformer", "train_layers": 1.0, "freeze_kv": np.nan})
        == "whole top layer"
    )
    assert (
        lr.learner_name({"firm": "transformer", "train_layers": 1, "freeze_kv": True})
        == "top layer, K/V frozen"
    )
    assert lr.learner_name({"firm": "transformer", "train_layers": 2}) == "top 2 layers"


def test_a_run_two_grids_share_counts_once_and_main_runs_selects_on_parameters():
    kv = _curve(KV, ALPHAS, (0.1, 0.1, 0.2, 0.6, 0.95))
    kv8 = _curve({**KV, "batch_size": 8, "learning_rate": 5e-4}, ALPHAS, (0.1,) * 5)
    top = _curve(TOP, ALPHAS, (0.1, 0.2, 0.6, 0.9, 1.0))
    every = _curve(EVERY, ALPHAS, (0.1, 0.5, 0.9, 1.0, 1.0))
    noisy = _curve(KV, (0.05,), (0.9,), random_labels=0.3)
    frame = pd.concat([kv, kv, kv8, top, every, noisy], ignore_index=True)
    assert len(lr.unique_runs(frame)) == len(frame) - len(kv)
    runs = lr.main_runs(frame)
    assert runs.groupby("learner").size().to_dict() == {
        lr.KV_FROZEN: 15,  # once, not twice; neither batch 8 nor random labels
        lr.TOP_LAYER: 15,
        lr.EVERY_LAYER: 15,
    }
    assert len(lr.main_runs(frame, random_labels=True).query("random_labels > 0")) == 3
    assert (
        len(
            lr.main_runs(frame, vary=("batch_size", "learning_rate")).query(
                "learner == @lr.KV_FROZEN"
            )
        )
        == 30
    )


def test_learner_critical_masses_are_ordered_and_skip_a_curve_of_one_point():
    runs = lr.main_runs(
        pd.concat(
            [
                _curve(EVERY, ALPHAS, (0.1, 0.5, 0.9, 1.0, 1.0), seeds=(0,)),
                _curve(KV, ALPHAS, (0.1, 0.1, 0.2, 0.6, 0.95)),
                _curve(TOP, (0.0, 0.003), (0.1, 0.7), seeds=(0,), n_train=25000),
            ]
        )
    )
    cm = lr.learner_critical_masses(runs, levels=[0.5])
    assert list(cm["learner"]) == [lr.KV_FROZEN, lr.EVERY_LAYER]  # the one-point curve is left out
    # K/V frozen: mean 0.21 at 2%, 0.61 at 3%: crosses 50% at 2% + 0.29/0.40 * 1%
    assert cm.iloc[0]["alpha"] == pytest.approx(0.02 + 0.01 * 0.29 / 0.40)
    assert cm.iloc[1]["alpha"] == pytest.approx(0.01) and cm.iloc[1]["seeds"] == 1


def test_critical_mass_reading_says_what_ran():
    runs = lr.main_runs(
        pd.concat(
            [
                _curve(TOP, (0.0, 0.003), (0.1, 0.7), seeds=(0,), n_train=25000),
                _curve(EVERY, (0.003, 0.005), (0.2, 0.3), seeds=(0,), n_train=25000),
                _curve(KV, ALPHAS, (0.1, 0.1, 0.2, 0.6, 0.95)),
            ]
        )
    )
    read = lambda level, name: lr.critical_mass_reading(runs, level, learner=name)  # noqa: E731
    assert (
        read(0.5, lr.TOP_LAYER)
        == "reached at the smallest α run, α = 0.30% (1 seed): at most 75 resumes"
    )
    assert read(0.5, lr.EVERY_LAYER) == "not reached up to α = 0.50% (1 seed)"
    assert read(0.5, lr.KV_FROZEN).startswith("α = 2.73% (54 resumes; 95% interval")
    assert lr.critical_mass_reading(runs, 0.5, learner=lr.LINEAR) == "not run yet"


def test_clean_metrics_name_the_firm_and_fall_back_to_runs_with_a_collective():
    runs = lr.main_runs(
        pd.concat([_curve(KV, ALPHAS, (0.1,) * 5), _curve(EVERY, (0.01,), (0.5,), seeds=(0,))])
    )
    table = lr.clean_metrics_by_learner(runs, 2000)
    assert list(table.columns) == [
        "top layer, K/V frozen (3 runs without a collective, identical in every metric)",
        "every layer (1 run each with a collective)",
        "paper: DistilBERT, every layer, 25,000 resumes",
    ]
    assert table.loc["recall"].iloc[0] == pytest.approx(0.74)
    assert table.loc["hamming_accuracy"].iloc[-1] == pytest.approx(0.97)
    assert np.isnan(table.loc["f1"].iloc[-1])  # the paper gives no F1


def test_ordering_reading_compares_neighbours_by_clean_quality():
    kv = _curve(KV, ALPHAS, (0.1, 0.1, 0.2, 0.6, 0.95)).assign(f1=0.75)
    top = _curve(TOP, ALPHAS, (0.1, 0.2, 0.6, 0.9, 1.0)).assign(f1=0.77)
    every = _curve(EVERY, ALPHAS, (0.1, 0.3, 0.55, 1.0, 1.0)).assign(f1=0.80)
    runs = lr.main_runs(pd.concat([kv, top, every]))
    cm = lr.learner_critical_masses(runs, levels=[0.5])
    text = lr.ordering_reading(cm, runs, 2000, 0.5)
    assert text.startswith(
        "by clean micro-F1, top layer, K/V frozen (0.750) < whole top layer (0.770) < every layer (0.800)"
    )
    # 2.73% > 1.75% (top: 0.21 at 1%, 0.61 at 2%) > 1.75%? every: 0.31 at 1%, 0.56 at 2%: 1.76%
    assert "the critical mass falls at 1 of the 2 steps up in clean quality" in text
    assert "disjoint for top layer, K/V frozen and whole top layer" in text
    assert lr.ordering_reading(cm, runs, 25000, 0.5).startswith("fewer than two learners")
    # two F1 that read the same at 3 digits get a fourth, so "<" is never between equals
    close = lr.main_runs(pd.concat([kv, top.assign(f1=0.7702), every.assign(f1=0.7704)]))
    assert "whole top layer (0.7702) < every layer (0.7704)" in lr.ordering_reading(
        cm, close, 2000, 0.5
    )


def _firm(curves):
    """Linear-firm runs per (strategy, target): in-set success per α; α = 0 included."""
    frames = []
    for (strategy, target), (alphas, values) in curves.items():
        frames.append(
            _curve({}, alphas, values, n_train=25000, strategy=strategy, target=target).assign(
                firm="linear"
            )
        )
    return pd.concat(frames, ignore_index=True)


S1, S2 = "feature-label", "feature-only"


def test_strategy_verdicts_count_only_what_the_collective_did():
    main = _firm(
        {
            (S1, DBA): ((0.0, 0.002, 0.004), (0.1, 0.5, 0.95)),  # 90% at 0.37%
            (S1, WD): ((0.0, 0.002, 0.004), (0.0, 0.2, 0.5)),  # not reached up to 0.4%: pending
            (S2, DBA): ((0.0, 0.01, 0.05), (0.1, 0.6, 0.95)),
            (S2, SD): ((0.0, 0.01, 0.05), (0.55, 0.6, 0.7)),  # above 50% without a collective
        }
    )
    firm = hl.FirmRuns(main, "planting_resumes")
    s1 = hl.strategy1(firm)
    assert s1.verdict == "partly" and s1.measured.startswith(
        "α for 90% in-set: class 0: 0.37% (3 seeds; 95% interval 0.37%–0.38%)"
    )
    s2 = hl.strategy2_in_set(firm)
    assert s2.verdict == "partly"
    assert "moved across 50% by the collective for 1 of 2" in s2.rule  # class 0, not class 2
    top1 = hl.strategy2_top1(firm)  # top-1 is half of in-set: 0.48 at most for class 0
    assert top1.verdict == "reproduced" and top1.measured.startswith(
        "highest top-1: class 0: 48.0% at α = 5.0%"
    )
    strong = hl.FirmRuns(main.assign(success_top1=main["success_in_set"]), "transformer")
    assert hl.strategy2_top1(strong).verdict == "partly"  # class 0 controlled, class 2 not
    assert hl.strategy1(hl.FirmRuns(main[main["target"] == WD], "x")).verdict == hl.NOT_RUN


def test_epochs_and_not_run_and_the_landing_markdown_links_each_firm():
    runs = pd.concat(
        [
            _curve(KV, ALPHAS, values, n_train=25000, strategy=s, epochs=e).assign(param_epochs=e)
            for e, values in ((1.0, (0.1, 0.1, 0.2, 0.4, 0.6)), (5.0, (0.1, 0.3, 0.7, 0.9, 1.0)))
            for s in (S1, S2)
        ]
    )
    firms = hl.book_firms(
        _firm({(S1, DBA): ((0.0, 0.002), (0.1, 0.95))}), pd.DataFrame(), pd.DataFrame(), runs
    )
    table = hl.landing_table(firms)
    assert list(table.columns) == list(lr.LEARNERS)
    found = table.loc[hl.CLAIMS[-1][0]]
    assert found[lr.LINEAR].verdict == "not applicable"
    assert found[lr.KV_FROZEN].verdict == "reproduced"
    # each number of epochs says how many seeds its critical mass is read over
    assert "1 ep. " in found[lr.KV_FROZEN].measured
    seeds = runs.loc[runs["alpha"] > 0, "seed"].nunique()
    assert (
        f"1 ep. 3.90% ({seeds} seeds), 5 ep. 1.48% ({seeds} seeds)" in found[lr.KV_FROZEN].measured
    )
    assert found[lr.TOP_LAYER].verdict == hl.NOT_RUN
    one_seed_at_1 = runs[(runs["epochs"] == 5.0) | (runs["seed"] == 0)]
    few = hl.epochs(
        hl.book_firms(pd.DataFrame(), pd.DataFrame(), pd.DataFrame(), one_seed_at_1)[lr.KV_FROZEN]
    )
    assert "1 ep. " in few.measured and "(1 seed), 5 ep." in few.measured
    assert table.loc[hl.CLAIMS[0][0], lr.EVERY_LAYER].verdict == hl.NOT_RUN
    text = hl.landing_markdown(table, firms)
    assert "{doc}`linear <planting_resumes>`" in text and "{doc}`every layer <transformer>`" in text
    assert text.count("\n") == len(hl.CLAIMS) + 1 and "nan" not in text


def test_a_seed_still_running_is_left_out_of_the_curve_until_its_grid_is_complete():
    done = _curve(EVERY, ALPHAS, (0.1, 0.3, 0.6, 0.9, 1.0), seeds=(0,))
    running = _curve(EVERY, ALPHAS[:3], (0.1, 0.3, 0.6), seeds=(1,))
    runs = lr.main_runs(pd.concat([done, running]))
    assert set(lr.complete_seeds(runs)["seed"]) == {0}
    assert set(lr.complete_seeds(running)["seed"]) == {1}
    # read over seed 0 alone: 90% at 3%, not "not reached" on a grid cut at 2%
    assert lr.critical_mass_reading(runs, 0.9, learner=lr.EVERY_LAYER) == (
        "α = 3.00% (60 resumes; one seed)"
    )
    cm = lr.learner_critical_masses(runs, levels=[0.9])
    assert cm["alpha"].iloc[0] == pytest.approx(0.03) and cm["seeds"].iloc[0] == 1


def test_a_seed_without_the_run_at_alpha_zero_is_complete():
    with_zero = _curve(TOP, ALPHAS, (0.1, 0.3, 0.6, 0.9, 1.0), seeds=(3,))
    without = _curve(TOP, ALPHAS[1:], (0.3, 0.6, 0.9, 1.0), seeds=(0,))
    assert set(lr.complete_seeds(pd.concat([with_zero, without]))["seed"]) == {0, 3}


def test_a_curve_with_seeds_at_a_few_alphas_is_read_over_the_seed_that_ran_them_all():
    """Seed 0 at every α, seeds 1 and 2 at α = 0.3% only (the every-layer firm's 25,000-resume
    runs): the 90% point is seed 0's crossing, not the one α all three share."""
    seed0 = _curve(
        EVERY,
        (0.0, 0.0002, 0.0005, 0.001, 0.003),
        (0.1, 0.1, 0.7, 0.99, 0.99),
        seeds=(0,),
        n_train=25000,
    )
    more = _curve(EVERY, (0.003,), (0.99,), seeds=(1, 2), n_train=25000)
    runs = lr.main_runs(pd.concat([seed0, more], ignore_index=True))
    s1 = hl.strategy1(hl.FirmRuns(runs, "transformer"))
    # 0.05% + (0.9 - 0.7) / (0.99 - 0.7) * 0.05% = 0.0845%
    assert s1.measured == "α for 90% in-set: class 0: 0.08% (1 seed; 3 at α = 0.30%)"
    assert s1.verdict == "partly"  # below 0.5%, for the one class run of three
    # every seed at every α: nothing added
    full = _curve(EVERY, (0.0, 0.002, 0.004), (0.1, 0.5, 0.95), n_train=25000)
    assert hl.strategy1(hl.FirmRuns(lr.main_runs(full), "x")).measured.endswith(
        "(3 seeds; 95% interval 0.37%–0.38%)"
    )
    table = lr.learners_table(runs, {})
    assert table.loc[lr.EVERY_LAYER, "25,000 resumes"] == "7 runs, 3 seed(s), 1 of them at every α"
    assert table.loc[lr.EVERY_LAYER, "2,000 resumes"] == "not run yet"


def test_strategy2_top1_names_the_seeds_behind_its_highest_point():
    main = _firm({(S2, DBA): ((0.0, 0.01, 0.05), (0.1, 0.6, 0.95))})
    one = main[(main["seed"] == 0) | (main["alpha"] < 0.05)]
    found = hl.strategy2_top1(hl.FirmRuns(one, "transformer"))
    assert (
        found.measured
        == "highest top-1: class 0: 47.5% at α = 5.0% (1 seed; 5.5% without a collective)"
    )
    assert hl.strategy2_top1(hl.FirmRuns(main, "x")).measured.startswith(
        "highest top-1: class 0: 48.0% at α = 5.0% (3 seeds; 5.5% without a collective)"
    )


def test_ordering_reading_judges_no_pair_with_a_one_seed_curve():
    kv = _curve(KV, ALPHAS, (0.1, 0.1, 0.2, 0.6, 0.95)).assign(f1=0.75)
    top = _curve(TOP, ALPHAS, (0.1, 0.2, 0.6, 0.9, 1.0)).assign(f1=0.77)
    every = _curve(EVERY, ALPHAS, (0.1, 0.9, 1.0, 1.0, 1.0), seeds=(0,)).assign(f1=0.80)
    runs = lr.main_runs(pd.concat([kv, top, every]))
    cm = lr.learner_critical_masses(runs, levels=[0.5])
    text = lr.ordering_reading(cm, runs, 2000, 0.5)
    assert "the critical mass falls at every step up in clean quality" in text
    # the one-seed point lies far from the whole top layer's interval, but it has none
    assert text.endswith(
        "disjoint for top layer, K/V frozen and whole top layer (every layer: one seed, no "
        "interval; its pairs are not judged)"
    )
    alone = lr.ordering_reading(
        lr.learner_critical_masses(lr.main_runs(pd.concat([kv[kv["seed"] == 0], every]))),
        runs,
        2000,
        0.5,
    )
    assert alone.endswith(
        "no pair of neighbours has two intervals to compare (top layer, K/V frozen, every layer: "
        "one seed, no interval; their pairs are not judged)"
    )


def test_seeds_reaching_says_how_many_seeds_reach_a_level_and_where_one_ran():
    seed0 = _curve(
        EVERY, (0.0, 0.0005, 0.001, 0.003, 0.005), (0.1, 0.7, 0.97, 0.97, 0.97), seeds=(0,)
    )
    more = _curve(EVERY, (0.003,), (0.5,), seeds=(1, 2))  # 0.51 and 0.52: below 90%
    runs = lr.main_runs(pd.concat([seed0, more]))
    text = lr.seeds_reaching(runs, 0.9, 0.005, learner=lr.EVERY_LAYER)
    assert text == (
        "at α = 0.30%, 1 of 3 seeds reach 90% (the lowest 51.0%); "
        "one seed at α = 0.05%, 0.10%: 70.0%, 97.0%"
    )
    assert lr.seeds_reaching(runs, 0.9, 0.0004, learner=lr.EVERY_LAYER) == (
        "no run below α = 0.04%"
    )
    assert lr.seeds_reaching(runs, 0.9, 0.005, learner=lr.LINEAR) == "no run below α = 0.50%"


def test_smallest_consistent_alpha_counts_only_sizes_where_several_seeds_all_reach_the_level():
    seed0 = _curve(
        EVERY, (0.0, 0.0005, 0.001, 0.003, 0.005), (0.1, 0.95, 0.97, 0.97, 0.97), seeds=(0,)
    )
    # at 0.05% one seed alone reaches 90%: not counted; at 0.1% a second seed misses (0.51);
    # at 0.3% both others reach it (0.92 and 0.93)
    more = pd.concat(
        [
            _curve(EVERY, (0.001,), (0.5,), seeds=(1,)),
            _curve(EVERY, (0.003,), (0.91,), seeds=(1, 2)),
        ]
    )
    runs = lr.main_runs(pd.concat([seed0, more]))
    text = lr.smallest_consistent_alpha(runs, 0.9, 0.005, learner=lr.EVERY_LAYER)
    assert text == "α = 0.30% (3 of 3 seeds, the lowest 92.0%)"
    assert lr.smallest_consistent_alpha(runs, 0.9, 0.002, learner=lr.EVERY_LAYER) == (
        "no α below 0.20% at which several seeds ran and all reach 90%"
    )


def test_seeds_below_groups_the_sizes_by_the_seeds_that_ran_there():
    seed0 = _curve(
        EVERY, (0.0, 0.0002, 0.0005, 0.001, 0.003), (0.1, 0.2, 0.7, 0.97, 0.97), seeds=(0,)
    )
    more = _curve(EVERY, (0.0005, 0.003), (0.5, 0.9), seeds=(1,))
    runs = lr.main_runs(pd.concat([seed0, more]))
    assert lr.seeds_below(runs, 0.003, learner=lr.EVERY_LAYER) == (
        "seeds 0 and 1 at α = 0.05%; seed 0 alone at α = 0.02%, 0.10%"
    )
    assert lr.seeds_below(runs, 0.0002, learner=lr.EVERY_LAYER) == "no run below α = 0.02%"


def test_curve_seeds_names_the_seeds_a_curve_is_read_over():
    seed0 = _curve(EVERY, ALPHAS, (0.1, 0.3, 0.6, 0.9, 1.0), seeds=(0,))
    running = _curve(EVERY, ALPHAS[:3], (0.1, 0.3, 0.6), seeds=(1,))
    runs = lr.main_runs(pd.concat([seed0, running]))
    assert lr.curve_seeds(runs, learner=lr.EVERY_LAYER) == (
        "seed 0, the one seed that ran the whole α grid"
    )
    # seed 1 completes its grid (α = 0 aside): both seeds are read
    done = _curve(EVERY, ALPHAS[1:], (0.3, 0.6, 0.9, 1.0), seeds=(1,))
    both = lr.main_runs(pd.concat([seed0, done]))
    assert lr.curve_seeds(both, learner=lr.EVERY_LAYER) == (
        "seeds 0 and 1, the 2 seeds that ran the whole α grid"
    )
    # seed 1 has no run at alpha = 0: the curve drops alpha = 0 rather than seed 1, so the
    # bootstrap reads both seeds, as the words say
    assert "95% interval" in lr.critical_mass_reading(both, 0.9, learner=lr.EVERY_LAYER)
    assert lr.complete_seeds(lr.one_curve(both, learner=lr.EVERY_LAYER))["alpha"].min() > 0
    assert hl.strategy1(hl.FirmRuns(both, "x")).measured.endswith(
        "(2 seeds; 95% interval 2.97%–3.00%)"
    )
    # no seed ran every size: the one with the most
    split = lr.main_runs(
        pd.concat(
            [
                _curve(EVERY, ALPHAS[:4], (0.1, 0.3, 0.6, 0.9), seeds=(0,)),
                _curve(EVERY, ALPHAS[3:], (0.9, 1.0), seeds=(1,)),
            ]
        )
    )
    assert (
        lr.curve_seeds(split, learner=lr.EVERY_LAYER) == "seed 0, the seed that ran the most sizes"
    )
    assert lr.curve_seeds(runs, learner=lr.LINEAR) == "no seed yet"


def test_below_others_compares_an_interval_where_there_is_one_and_a_point_where_not():
    # the every-layer curve crosses 90% near 0.35%; the others far above
    kv = _curve(KV, ALPHAS, (0.1, 0.1, 0.2, 0.6, 0.95))
    top = _curve(TOP, ALPHAS, (0.1, 0.2, 0.6, 0.9, 1.0))
    lone = _curve(EVERY, ALPHAS, (0.1, 0.9, 1.0, 1.0, 1.0), seeds=(0,))
    cm = lr.learner_critical_masses(lr.main_runs(pd.concat([kv, top, lone])), levels=[0.9])
    one = lr.below_others(cm, lr.EVERY_LAYER, 2000, 0.9)
    assert one == (
        "for 90%, every layer's point (one seed, no interval) lies below the lower end of the "
        "interval of 2 of the 2 other firms"
    )
    three = _curve(EVERY, ALPHAS, (0.1, 0.9, 1.0, 1.0, 1.0))
    cm3 = lr.learner_critical_masses(lr.main_runs(pd.concat([kv, top, three])), levels=[0.9])
    assert lr.below_others(cm3, lr.EVERY_LAYER, 2000, 0.9).startswith(
        "for 90%, every layer's interval (3 seeds) lies below"
    )
    # an interval that reaches into another firm's is not below it
    near = _curve(TOP, ALPHAS, (0.1, 0.9, 1.0, 1.0, 1.0))  # the same curve: the same interval
    cm_near = lr.learner_critical_masses(lr.main_runs(pd.concat([near, three])), levels=[0.9])
    assert lr.below_others(cm_near, lr.EVERY_LAYER, 2000, 0.9).endswith("of 0 of the 1 other firms")
    assert lr.below_others(cm, lr.EVERY_LAYER, 25000, 0.9) == "for 90%, not comparable yet"


def test_clean_runs_phrase_says_when_the_runs_are_one_fit():
    from collective.report.coverage import clean_runs_phrase

    same = pd.DataFrame({"precision": [0.8] * 3, "recall": [0.7] * 3, "f1": [0.75] * 3})
    assert clean_runs_phrase(same) == "3 runs without a collective, identical in every metric"
    varied = same.assign(f1=[0.75, 0.75, 0.76])
    assert clean_runs_phrase(varied) == "3 runs without a collective"
    assert (
        clean_runs_phrase(same.iloc[:1], "each with a collective") == "1 run each with a collective"
    )


def test_pair_reading_says_whether_the_better_clean_firm_needs_the_smaller_collective():
    kv = _curve(KV, ALPHAS, (0.1, 0.1, 0.2, 0.6, 0.95)).assign(
        f1=0.80
    )  # better clean, later crossing
    every = _curve(EVERY, ALPHAS, (0.1, 0.3, 0.55, 1.0, 1.0)).assign(f1=0.75)
    runs = lr.main_runs(pd.concat([kv, every]))
    cm = lr.learner_critical_masses(runs, levels=[0.5])
    text = lr.pair_reading(cm, runs, 2000, 0.5, lr.EVERY_LAYER, lr.KV_FROZEN)
    assert text.startswith("the firm with the lower clean micro-F1 (every layer) needs the smaller")
    swapped = lr.main_runs(pd.concat([kv.assign(f1=0.70), every]))
    assert lr.pair_reading(cm, swapped, 2000, 0.5, lr.EVERY_LAYER, lr.KV_FROZEN).startswith(
        "the firm with the higher clean micro-F1 (every layer) needs the smaller collective"
    )
    assert (
        lr.pair_reading(cm, runs, 25000, 0.5, lr.EVERY_LAYER, lr.KV_FROZEN) == "not comparable yet"
    )
