"""The GPU session's script (``benchmarks/gpu_every_layer_grid.sh``), run as its CPU twin:
the same script and grid at tiny scale (``GRID_SCALE=tiny``), from a bundle of the synthetic
corpus, in a Python that has neither ``datasets`` nor the packaged weights' package (as on
the GPU machine). All 30 runs of the grid land in ``$OUT/results``, trained in batches."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

pytest.importorskip("torch")

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.slow
def test_the_gpu_grid_script_runs_its_tiny_twin_offline(tmp_path, monkeypatch):
    import sys

    from _synthetic import offline_tiny_bundle

    from collective.runner import load_grid

    bundle, offline = offline_tiny_bundle(tmp_path, monkeypatch)
    out = tmp_path / "out"
    env = {
        **os.environ,
        "GRID_SCALE": "tiny",
        "BUNDLE": str(bundle),
        "OUT": str(out),
        "K": "8",
        "PYTHON": sys.executable,
        "PYTHONPATH": str(offline),
        "OMP_NUM_THREADS": "1",
    }
    env.pop("COLLECTIVE_RESUMES", None)
    done = subprocess.run(
        ["bash", str(ROOT / "benchmarks" / "gpu_every_layer_grid.sh")],
        env=env,
        capture_output=True,
        text=True,
        timeout=3600,
    )
    assert done.returncode == 0, done.stderr[-3000:] + done.stdout[-3000:]
    tiny = load_grid(out / "grid_tiny.yaml")
    full = load_grid(ROOT / "grids" / "transformer_every_layer_25k_gpu.yaml")
    assert len(tiny) == len(full) == 30
    assert [c.alpha for c in tiny] == [c.alpha for c in full]
    records = [json.loads(line) for line in (out / "results" / "transformer.jsonl").open()]
    assert sorted(r["key"] for r in records) == sorted(c.key() for c in tiny)
    assert {r["provenance"]["batch_runs"] for r in records} == {8, 6}
    assert all("bundle" in r["provenance"] for r in records)
    assert "30 computed" in (out / "sweep.log").read_text()
    assert (out / "results.txt").read_text().strip()
