"""The GPU session's driver (``benchmarks/gpu_session.py``): its step-time model and its
planner on hand-made numbers (the H200's among them), and the whole script as its CPU twin at
tiny scale, the 25,000-resume batch first, from a bundle of the synthetic corpus."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from _scripts import load_script

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "benchmarks" / "gpu_session.py"


def _session():
    return load_script("benchmarks/gpu_session.py")


#: The first call's timing on the H200 (benchmarks/results/gpu_session_h200_timing.json).
CALL1 = {1: 0.03374822840000036, 11: 0.02552176920000022, 25: 0.03484966640000024}


def test_the_step_time_model_pools_what_falls_with_k_and_never_falls():
    gs = _session()
    # K=1 above K=11: the two are pooled at their mean; K=25 stays
    fit = gs.monotone_fit(CALL1)
    mean = (CALL1[1] + CALL1[11]) / 2
    assert fit == [(1, pytest.approx(mean)), (11, pytest.approx(mean)), (25, CALL1[25])]
    # the second call's 10-step timing, K=11 above K=25: one pooled level
    assert [s for _, s in gs.monotone_fit({11: 0.0505, 25: 0.0422})] == pytest.approx(
        [0.04635, 0.04635]
    )
    # already monotone: unchanged; a violation in the middle pools only its neighbours
    assert gs.monotone_fit({1: 1.0, 2: 2.0, 3: 3.0}) == [(1, 1.0), (2, 2.0), (3, 3.0)]
    assert gs.monotone_fit({1: 1.0, 2: 3.0, 3: 2.0, 4: 4.0}) == [
        (1, 1.0),
        (2, 2.5),
        (3, 2.5),
        (4, 4.0),
    ]
    with pytest.raises(ValueError):
        gs.monotone_fit({})
    for measured in (CALL1, {11: 0.0505, 25: 0.0422}, {1: 0.02, 11: 0.05, 25: 0.03}):
        times = [gs.step_seconds(measured, k) for k in range(1, 61)]
        assert all(b >= a for a, b in zip(times, times[1:]))
    # flat below the smallest K, linear between, proportional beyond the largest
    assert gs.step_seconds(CALL1, 1) == gs.step_seconds(CALL1, 5) == pytest.approx(mean)
    assert gs.step_seconds(CALL1, 18) == pytest.approx((mean + CALL1[25]) / 2)
    assert gs.step_seconds(CALL1, 50) == pytest.approx(2 * CALL1[25])


def test_the_planner_takes_the_longest_batch_that_ends_in_time():
    gs = _session()
    steps = 15_625
    # the first call: budget 411 s, 1.86 s per run outside the loop, 30 s to load; even
    # 2 runs at the pooled 29.6 ms per step need 463 s + ...: nothing started, as on the H200
    assert gs.plan_runs(CALL1, 25, steps, 410.97, 1.857, 30.0) == 0
    # the third call's batch: 13 runs at 26.7 ms per step (417.5 s of loop), 30.1 s outside
    # it; 447.6 s in all. With that step time measured at K = 13, a budget of 450 s takes 13
    measured = {13: 417.503 / steps}
    assert gs.predicted_seconds(measured, 13, steps, 30.1 / 13, 0.0) == pytest.approx(
        447.6, abs=0.01
    )
    assert gs.plan_runs(measured, 25, steps, 450.0, 30.1 / 13, 0.0) == 13
    # fewer missing runs than fit: all of them; a budget below two runs: none
    assert gs.plan_runs(measured, 5, steps, 450.0, 30.1 / 13, 0.0) == 5
    assert gs.plan_runs(measured, 25, steps, 100.0, 30.1 / 13, 0.0) == 0
    # a single missing run is not a batch
    assert gs.plan_runs(measured, 1, steps, 1e9, 0.0, 0.0) == 0
    # more time never plans fewer runs
    plans = [gs.plan_runs(CALL1, 30, steps, b, 2.5, 10.0) for b in range(400, 1200, 25)]
    assert plans == sorted(plans) and plans[-1] == 30


@pytest.mark.slow
def test_the_session_runs_its_tiny_twin_25k_first(tmp_path, monkeypatch):
    pytest.importorskip("torch")
    from _synthetic import offline_tiny_bundle

    from collective.runner import load_grid

    bundle, offline = offline_tiny_bundle(tmp_path, monkeypatch)
    out, results = tmp_path / "out", tmp_path / "results"
    env = {
        **os.environ,
        "PYTHONPATH": f"{offline}{os.pathsep}{ROOT}",
        "HF_HUB_OFFLINE": "1",
        "TRANSFORMERS_OFFLINE": "1",
        "OMP_NUM_THREADS": "1",
    }
    env.pop("COLLECTIVE_RESUMES", None)
    done = subprocess.run(
        [
            sys.executable,
            str(SCRIPT),
            "--bundle",
            str(bundle),
            "--results",
            str(results),
            "--out",
            str(out),
            "--scale",
            "tiny",
            "--deadline",
            "3000",
            "--first-25k",
            "--k-low",
            "2",
            "--k-high",
            "3",
            "--warmup-steps",
            "1",
            "--timing-steps",
            "2",
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=3600,
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stderr[-3000:] + done.stdout[-3000:]
    gs = _session()
    big = gs.tiny(load_grid(gs.GRID_25K))
    small = gs.tiny(load_grid(gs.GRID_2K))
    records = [json.loads(line) for line in (out / "transformer.jsonl").open()]
    keys = {r["key"] for r in records}
    assert {c.key() for c in big} <= keys and {c.key() for c in small} <= keys
    for r in records:  # the runs' epoch-1 checkpoint of their 2-epoch schedule is evaluated
        assert r["metrics"]["checkpoint_epochs"] == "1", r["key"]
        assert 0.0 <= r["metrics"]["epoch1_success_in_set"] <= 1.0
    timing = json.loads((out / "timing.json").read_text())
    assert timing["order"] == "25k first"
    assert set(timing["seconds_per_step"]) == {"1", "2", "3"}
    assert timing["plan"]["runs"] == len(big) == timing["grid_25k"]["runs"]
    # the 2,000-resume stage ran after, planned, on what the 25,000-resume batch left missing
    # (at tiny scale the two grids share the configurations they have in common)
    assert timing["plan_2k"]["runs"] == timing["grid_2k"]["runs"] > 0
    log = done.stdout
    assert log.index("25,000-resume grid:") < log.index("2,000-resume grid:")
    assert all(
        r["provenance"]["batch_runs"] in (len(big), timing["grid_2k"]["runs"]) for r in records
    )
