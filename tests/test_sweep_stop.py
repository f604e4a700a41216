"""Sweeps stop cleanly and share work (issue 10, point 4): subprocess sweeps on a synthetic
corpus with the linear firm.

Faults covered: Ctrl-C (SIGINT to the process group) on ``sweep --jobs 2``; ``kill -9`` of the
sweep's parent process; two sweeps of the same grid at the same time; a claim left by a
dead process.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import warnings
from pathlib import Path

import psutil
import pytest

from collective.runner import claims, read_records

GRID = (
    "defaults: {firm: linear, strategy: feature-label, target: Web_Developer}\n"
    "grids:\n  - alpha: [0.01, 0.02, 0.03, 0.04, 0.05, 0.06]\n    seed: [0, 1, 2, 3, 4, 5, 6, 7]\n"
)
N = 48


@pytest.fixture
def grid(synthetic_runner, tmp_path):
    path = tmp_path / "g.yaml"
    path.write_text(GRID)
    return path


def _sweep(grid: Path, *extra: str, **kw) -> subprocess.Popen:
    cmd = [sys.executable, "-m", "collective", "sweep", str(grid), "--json", *extra]
    return subprocess.Popen(
        cmd, env=dict(os.environ), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, **kw
    )


def _lines(path: Path) -> int:
    return len(path.read_bytes().splitlines()) if path.exists() else 0


def _wait_for_workers(
    proc: subprocess.Popen, path: Path, records: int, workers: int, timeout: float = 120
) -> list[psutil.Process]:
    deadline = time.time() + timeout
    parent = psutil.Process(proc.pid)
    while time.time() < deadline:
        children = parent.children(recursive=True)
        if _lines(path) >= records and len(children) >= workers:
            return children
        assert proc.poll() is None, proc.communicate()
        time.sleep(0.05)
    raise AssertionError("the sweep did not get going")


def _gone(procs: list[psutil.Process], timeout: float) -> bool:
    deadline = time.time() + timeout
    while time.time() < deadline:
        alive = []
        for p in procs:
            try:
                if p.is_running() and p.status() != psutil.STATUS_ZOMBIE:
                    alive.append(p)
            except psutil.NoSuchProcess:
                pass
        if not alive:
            return True
        time.sleep(0.1)
    return False


def _records(path: Path) -> dict:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        return read_records(path)


def test_ctrl_c_stops_every_worker_and_keeps_finished_records(grid, synthetic_runner):
    path = synthetic_runner / "linear.jsonl"
    proc = _sweep(grid, "--jobs", "2", start_new_session=True)
    children = _wait_for_workers(proc, path, records=3, workers=2)
    start = time.time()
    os.killpg(proc.pid, signal.SIGINT)  # what Ctrl-C in a terminal does
    out, err = proc.communicate(timeout=30)
    stopped = time.time() - start
    assert proc.returncode == 130, err
    assert "interrupted" in err and "Traceback" not in err
    print(f"Ctrl-C: the sweep returned {stopped:.2f} s after SIGINT")
    assert stopped < 10, f"took {stopped:.1f} s to stop"
    assert _gone(children, timeout=2), "a worker outlived the sweep"
    after = _lines(path)
    time.sleep(1.5)
    assert _lines(path) == after, "a record was appended after the sweep returned"
    kept = _records(path)
    assert 3 <= len(kept) < N
    assert not list(claims.claims_dir(path).glob("*")) if claims.claims_dir(path).exists() else True
    plan = subprocess.run(
        [sys.executable, "-m", "collective", "sweep", str(grid), "--json", "--dry-run"],
        env=dict(os.environ),
        capture_output=True,
        text=True,
        timeout=300,
    )
    counts = json.loads(plan.stdout)  # a rerun would compute only what is missing
    assert counts["cached"] == len(kept) and counts["to_run"] == N - len(kept)


def test_kill_9_of_the_parent_leaves_no_worker(grid, synthetic_runner):
    path = synthetic_runner / "linear.jsonl"
    proc = _sweep(grid, "--jobs", "2")
    children = _wait_for_workers(proc, path, records=2, workers=2)
    proc.kill()
    proc.wait(10)
    start = time.time()
    assert _gone(children, timeout=5), "workers kept running after their parent was killed"
    print(f"kill -9: every worker gone {time.time() - start:.2f} s after the parent died")


def test_two_sweeps_of_one_grid_compute_each_config_once(grid, synthetic_runner):
    path = synthetic_runner / "linear.jsonl"
    grid.write_text(
        GRID.replace("0.04, 0.05, 0.06", "0.04").replace("4, 5, 6, 7", "4, 5")
    )  # 24 configs
    n = 24
    first, second = _sweep(grid), _sweep(grid)
    results = []
    for proc in (first, second):
        out, err = proc.communicate(timeout=600)
        assert proc.returncode == 0, err
        results.append(json.loads(out))
    for counts in results:
        assert (
            counts["total"] == n
            and counts["computed"] + counts["cached"] + counts["elsewhere"] == n
        )
    assert results[0]["computed"] + results[1]["computed"] == n  # each config computed once
    lines = path.read_text().splitlines()
    assert len(lines) == len({json.loads(line)["key"] for line in lines}) == n


def test_claim_of_a_dead_process_is_taken_over(tmp_path):
    path = tmp_path / "linear.jsonl"
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    folder = claims.claims_dir(path)
    folder.mkdir(parents=True)
    import socket

    (folder / "k1").write_text(f"{socket.gethostname()} {dead.pid}\n")
    (folder / "k2").write_text(f"{socket.gethostname()} {os.getppid()}\n")  # alive
    (folder / "k3").write_text("another-host 1\n")  # cannot be checked: trusted
    assert claims.claim(path, "k1") is None
    assert claims.claim(path, "k2") == f"{socket.gethostname()} {os.getppid()}"
    assert claims.claim(path, "k3") == "another-host 1"
    claims.release(path, "k1")
    assert not (folder / "k1").exists() and (folder / "k2").exists()
