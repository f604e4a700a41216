"""The every-layer profile (benchmarks/profile_full_finetune.py): the products' floor on
hand-made counts, and the product rate it measures."""

from __future__ import annotations

from _scripts import load_script


def _profile():
    return load_script("benchmarks/profile_full_finetune.py")


def test_product_floor_turns_operations_into_minutes_per_paper_run():
    profile = _profile()
    assert profile.PAPER_STEPS == 15_625
    # 60 GFLOP a step at 500 GFLOP/s: 120 ms a step, 15,625 steps: 31.25 minutes
    text = profile.product_floor(flops=60e9, ms=150.0, peak=500.0, threads=1)
    assert "60.0 GFLOP a step in 150 ms (400 GFLOP/s)" in text
    assert "on 1 thread(s): 500 GFLOP/s" in text
    assert "take 120 ms a step" in text
    assert "at least 31 minutes" in text


def test_product_rate_is_a_plausible_rate():
    rate = _profile().product_rate(threads=1, n=128, repeats=3)
    # 2 * 128**3 operations: far above 0.01 GFLOP/s on any CPU, far below 100 TFLOP/s
    assert 0.01 < rate < 1e5
