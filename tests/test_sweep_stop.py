"""Sweeps stop cleanly and share work (issue 10, point 4): subprocess sweeps on a synthetic
corpus with the linear firm.

Faults covered: Ctrl-C (SIGINT to the process group) on ``sweep --jobs 2``; ``kill -9`` of the
sweep's parent process; two sweeps of the same grid at the same time; a claim left by a
dead process.
"""

from __future__ import annotations

import importlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
import types
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


def _leftover_claims(path: Path) -> dict[str, str]:
    """The claim files left in the results folder of ``path``, with what each says."""
    folder = claims.claims_dir(path)
    return {p.name: p.read_text() for p in folder.glob("*")} if folder.exists() else {}


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
    left = _leftover_claims(path)
    assert not left, f"claims left behind (file: what it says): {left}"
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


# ----------------------------------------------------------------------------- stale claims (issue 22)


def _claim_file(path: Path, key: str, text: str, age: float = 0.0) -> Path:
    folder = claims.claims_dir(path)
    folder.mkdir(parents=True, exist_ok=True)
    file = folder / key
    file.write_text(text)
    stamp = time.time() - age
    os.utime(file, (stamp, stamp))
    return file


def test_an_empty_claim_left_by_a_full_disk_is_taken_over(tmp_path):
    path = tmp_path / "linear.jsonl"
    file = _claim_file(path, "k", "")  # a disk full while claiming leaves a 0-byte file
    assert claims.claim(path, "k") is None
    assert file.read_text().split() == [socket.gethostname(), str(os.getpid())]


def test_a_claim_whose_pid_was_reused_is_taken_over(tmp_path):
    path = tmp_path / "linear.jsonl"
    live = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        text = f"{socket.gethostname()} {live.pid}\n"
        # touched an hour before that process started: the pid was reused
        _claim_file(path, "old", text, age=3600)
        _claim_file(path, "new", text)  # touched after it started: its owner
        assert claims.claim(path, "old") is None
        assert claims.claim(path, "new") == text.strip()
    finally:
        live.kill()
        live.wait()


def test_a_claim_of_another_host_expires_without_heartbeat(tmp_path):
    path = tmp_path / "linear.jsonl"
    _claim_file(path, "fresh", "another-host 1\n", age=claims.CLAIM_TTL_SECONDS / 2)
    _claim_file(path, "expired", "another-host 1\n", age=claims.CLAIM_TTL_SECONDS * 2)
    assert claims.claim(path, "fresh") == "another-host 1"
    assert claims.claim(path, "expired") is None


def test_the_heartbeat_keeps_a_claim_fresh(tmp_path, monkeypatch):
    path = tmp_path / "linear.jsonl"
    assert claims.claim(path, "k") is None
    file = claims.claim_path(path, "k")
    os.utime(file, (0, 0))
    monkeypatch.setattr(claims, "HEARTBEAT_SECONDS", 0.01)
    with claims.heartbeat(path, "k"):
        deadline = time.time() + 30
        while file.stat().st_mtime == 0 and time.time() < deadline:
            time.sleep(0.01)
    assert file.stat().st_mtime > time.time() - 60


def test_a_full_disk_while_claiming_leaves_no_claim(tmp_path, monkeypatch):
    import errno

    from collective.errors import CollectiveError

    path = tmp_path / "linear.jsonl"

    def full(fd):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(claims.os, "fsync", full)
    with pytest.raises(CollectiveError, match="could not claim the config k .*the disk is full"):
        claims.claim(path, "k")
    assert not claims.claim_path(path, "k").exists()


def test_a_wait_names_the_claim_file_to_remove(synthetic_runner, monkeypatch, capsys):
    from collective.runner import RunConfig, execute

    config = RunConfig(
        firm="linear", strategy="feature-label", target="Web_Developer", alpha=0.05, seed=0
    )
    path = synthetic_runner / "linear.jsonl"
    file = _claim_file(path, config.key(), "another-host 7\n")
    sleeps = []

    def user_removes_the_claim(seconds):  # what the message tells the user to do
        sleeps.append(seconds)
        file.unlink()

    fake_time = types.SimpleNamespace(
        sleep=user_removes_the_claim, time=time.time, perf_counter=time.perf_counter
    )
    monkeypatch.setattr(execute, "time", fake_time)
    assert execute.run(config)["status"] == "computed"
    err = capsys.readouterr().err
    assert len(sleeps) == 1
    assert f"waiting for another-host 7, which is computing {config.key()}" in err
    assert f"remove {file}" in err


# ----------------------------------------------------------------------------- a killed worker (issue 22)


def _workers(proc: subprocess.Popen) -> list[psutil.Process]:
    """The pool's workers (not the resource tracker)."""
    out = []
    for child in psutil.Process(proc.pid).children(recursive=True):
        try:
            if "spawn_main" in " ".join(child.cmdline()):
                out.append(child)
        except psutil.NoSuchProcess:
            pass
    return out


def test_a_killed_worker_is_reported_and_the_sweep_finishes_with_a_fresh_pool(
    grid, synthetic_runner
):
    """``kill -9`` of one pool process aborted the sweep with ``BrokenProcessPool``."""
    path = synthetic_runner / "linear.jsonl"
    proc = _sweep(grid, "--jobs", "2")
    _wait_for_workers(proc, path, records=2, workers=2)
    victim = _workers(proc)[0]
    victim.kill()
    out, err = proc.communicate(timeout=600)
    assert proc.returncode == 0, err
    assert "a worker process of the sweep died" in err and "Traceback" not in err
    counts = json.loads(out)
    assert counts["total"] == N and counts["computed"] + counts["cached"] == N
    lines = path.read_text().splitlines()
    assert len(lines) == len({json.loads(line)["key"] for line in lines}) == N


def test_workers_that_keep_dying_stop_the_sweep_with_what_is_done(synthetic_runner):
    from collections import Counter

    from _synthetic import dying_chunk

    from collective.errors import CollectiveError
    from collective.runner import RunConfig

    sweep_module = importlib.import_module(
        "collective.runner.sweep"
    )  # the package's sweep is a function
    todo = [
        RunConfig(
            firm="linear", strategy="feature-label", target="Web_Developer", alpha=0.01, seed=s
        )
        for s in range(6)
    ]

    class Bar:
        def update(self, n=1):
            pass

    with pytest.warns(RuntimeWarning, match="starting a fresh pool for the 6 configs not done"):
        with pytest.raises(CollectiveError, match=r"died 3 times .*0 of 6 configs .* are done"):
            sweep_module._run_local_pool(
                todo, 2, str(synthetic_runner), None, None, Counter(), Bar(), chunk_fn=dying_chunk
            )
