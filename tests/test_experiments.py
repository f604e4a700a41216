"""The runner and its JSONL results cache (the machinery behind every figure of Section 5).

End to end on a small synthetic corpus: a config is computed once and then read from the
cache; records carry provenance; a crash mid-write (a cut line) and concurrent writers
corrupt nothing; the book's read path fails loudly on a miss; sweeps run locally, with
several processes, and through submitit (its LocalExecutor stands in for SLURM).
"""

from __future__ import annotations

import json
import multiprocessing as mp
import os
import warnings
from pathlib import Path

import numpy as np
import pytest
from _synthetic import fake_record, make_corpus_zip, use_synthetic_corpus

from collective import runner as ex
from collective.errors import CacheMissError, ConfigError
from collective.runner import RunConfig, append_record, load_results, read_records, run, sweep

TARGET = "Database_Administrator"


@pytest.fixture(scope="module")
def corpus_zip(tmp_path_factory):
    return make_corpus_zip(tmp_path_factory.mktemp("corpus") / "resumes_corpus.zip", n=160)


@pytest.fixture(autouse=True)
def env(tmp_path, monkeypatch, corpus_zip):
    use_synthetic_corpus(monkeypatch, tmp_path, corpus_zip)


def _config(**kw):
    args = dict(firm="linear", strategy="feature-label", target=TARGET, alpha=0.05, seed=0)
    args.update(kw)
    return RunConfig(**args)


def test_config_is_canonical_and_validated():
    a = _config()
    b = _config(firm_params={"C": 4.0}, spacing=20)
    assert a == b and a.key() == b.key()  # defaults filled in
    assert a.firm_params["min_df"] == 5
    assert _config(seed=1).key() != a.key()
    assert _config(alpha=0.06).key() != a.key()
    assert "--alpha 0.05" in a.command()
    for bad, match in [
        ({"alpha": 1.5}, "alpha"),
        ({"target": "Chef"}, "unknown target"),
        ({"spacing": 0}, "spacing"),
        ({"random_labels": 2.0}, "random_labels"),
        ({"firm": "oracle"}, "unknown firm"),
        ({"seed": -1}, "seed"),
        ({"firm_params": {"C": -1}}, "C must be"),
        ({"max_train": 1}, "max_train"),
    ]:
        with pytest.raises(ConfigError, match=match):
            _config(**bad)


def test_run_computes_once_then_reads_the_cache(tmp_path):
    config = _config()
    first = run(config)
    assert first["cached"] is False
    m = first["metrics"]
    for key in (
        "success_in_set",
        "success_top1",
        "hamming_accuracy",
        "precision",
        "recall",
        "n_collective",
    ):
        assert key in m
    assert m["n_collective"] == round(0.05 * m["n_train"])
    prov = first["provenance"]
    assert len(prov["data_sha256"]) == 64 and prov["device"].startswith("cpu")
    for key in (
        "package_version",
        "host",
        "wall_seconds",
        "timestamp",
        "sklearn",
        "torch",
        "git_commit",
        "cpu_model",
    ):
        assert key in prov
    path = Path(os.environ["COLLECTIVE_RESULTS"]) / "linear.jsonl"
    assert len(path.read_text().splitlines()) == 1
    second = run(config)
    assert second["cached"] is True and second["metrics"] == m
    assert len(path.read_text().splitlines()) == 1  # not recomputed, not appended


def test_cut_line_is_moved_aside_and_nothing_else_is_lost(tmp_path):
    path = tmp_path / "results" / "linear.jsonl"
    append_record(path, fake_record(0))
    with open(path, "ab") as fh:  # a writer killed mid-line
        fh.write(b'{"key": "b", "config": {}, "metr')
    os.utime(path, (0, 0))  # an old fragment (a young one may be a write in progress)
    with pytest.warns(RuntimeWarning, match=r"linear.jsonl:2: .*incomplete last line"):
        assert len(read_records(path)) == 1
    with pytest.warns(RuntimeWarning, match=r"torn last line .* moved to .*linear.jsonl.torn"):
        append_record(path, fake_record(1))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert len(read_records(path)) == 2
    assert (
        tmp_path / "results" / "linear.jsonl.torn"
    ).read_bytes() == b'{"key": "b", "config": {}, "metr\n'
    import pandas as pd

    assert len(pd.read_json(path, lines=True)) == 2  # valid JSON Lines again


def test_duplicate_key_is_not_appended(tmp_path):
    path = tmp_path / "r.jsonl"
    rec = fake_record(0)
    assert append_record(path, rec) is True
    assert append_record(path, rec) is False
    assert len(path.read_text().splitlines()) == 1


def _writer(path: str, start: int, n: int) -> None:
    from _synthetic import fake_record

    for i in range(start, start + n):
        ex.append_record(path, fake_record(i, pad="x" * 5000))


def test_concurrent_writers_corrupt_nothing(tmp_path):
    path = str(tmp_path / "r.jsonl")
    ctx = mp.get_context("spawn")
    procs = [ctx.Process(target=_writer, args=(path, 100 * w, 40)) for w in range(4)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(60)
        assert p.exitcode == 0
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # any corrupt line fails the test
        records = read_records(path)
    assert len(records) == 160
    assert all(json.loads(line) for line in Path(path).read_text().splitlines())


def test_load_results_fails_loudly_on_a_miss():
    configs = [_config(seed=s) for s in range(3)]
    with pytest.raises(
        CacheMissError,
        match=r"(?s)3 of 3 results are not in the cache.*collective run --firm linear",
    ):
        load_results(configs, allow_train=False)
    with pytest.raises(CacheMissError, match="(?s)compute it with"):
        run(configs[0], allow_train=False)
    run(configs[0])
    with pytest.raises(CacheMissError, match="2 of 3"):
        load_results(configs)
    df = load_results(configs, allow_train=True)
    assert list(df["seed"]) == [0, 1, 2] and df["success_in_set"].between(0, 1).all()


def test_feature_only_cap_error_names_the_cap():
    with pytest.raises(ConfigError, match="at most"):
        run(_config(strategy="feature-only", alpha=0.9))


def test_max_train_subset_and_random_labels():
    rec = run(_config(max_train=80, random_labels=0.1, alpha=0.1))
    assert rec["metrics"]["n_train"] == 80
    assert rec["metrics"]["n_collective"] == 8
    assert rec["metrics"]["n_randomized"] == 8


GRID = """
name: test
defaults: {firm: linear, target: Database_Administrator, spacing: 20}
grids:
  - strategy: feature-label
    alpha: [0.0, 0.05]
    seed: [0, 1]
  - strategy: feature-only
    alpha: 0.02
    seed: [0]
"""


def test_expand_grid(tmp_path):
    path = tmp_path / "g.yaml"
    path.write_text(GRID)
    configs = ex.load_grid(path)
    assert len(configs) == 5
    assert {c.strategy for c in configs} == {"feature-label", "feature-only"}
    (tmp_path / "bad.yaml").write_text(
        "defaults: {firm: linear}\ngrids:\n  - alpha: [0.1]\n    colour: red\n"
    )
    with pytest.raises(ConfigError, match="unknown config field"):
        ex.load_grid(tmp_path / "bad.yaml")
    with pytest.raises(ConfigError, match="not found"):
        ex.load_grid(tmp_path / "missing.yaml")


def test_sweep_local_resumes_and_is_idempotent(tmp_path):
    configs = ex.expand_grid(__import__("yaml").safe_load(GRID))
    run(configs[0])  # as if an earlier, interrupted sweep had finished one
    counts = sweep(configs, progress=False)
    assert counts == {"total": 5, "cached": 1, "computed": 4, "elsewhere": 0}
    assert sweep(configs, progress=False) == {
        "total": 5,
        "cached": 5,
        "computed": 0,
        "elsewhere": 0,
    }
    assert len(load_results(configs)) == 5


def test_sweep_with_two_processes_equals_one(tmp_path, monkeypatch):
    configs = [_config(seed=s, alpha=a) for s in (0, 1) for a in (0.02, 0.05)]
    sweep(configs, jobs=2, progress=False)
    parallel = load_results(configs)
    monkeypatch.setenv("COLLECTIVE_RESULTS", str(tmp_path / "serial"))
    sweep(configs, jobs=1, progress=False)
    serial = load_results(configs)
    cols = ["success_in_set", "success_top1", "hamming_accuracy"]
    np.testing.assert_allclose(parallel[cols].to_numpy(), serial[cols].to_numpy(), atol=1e-6)


def test_sweep_through_submitit_local_executor(tmp_path):
    configs = [_config(seed=s) for s in range(3)]
    counts = sweep(
        configs, executor="submitit-local", jobs=2, progress=False, slurm_folder=tmp_path / "sub"
    )
    assert counts["computed"] == 3
    df = load_results(configs)
    assert len(df) == 3
    assert any((tmp_path / "sub").iterdir())  # submitit's job folders


def test_bad_sweep_arguments():
    with pytest.raises(ConfigError, match="unknown executor"):
        sweep([_config()], executor="kubernetes")
    with pytest.raises(ConfigError, match="jobs"):
        sweep([_config()], jobs=0)


def test_sweep_killed_with_sigkill_resumes(tmp_path):
    """kill -9 in the middle of a sweep: the rerun computes only what is missing and every
    line of the cache is intact (or a fenced-off fragment, skipped with a warning)."""
    import signal
    import subprocess
    import sys
    import time

    grid = tmp_path / "g.yaml"
    grid.write_text(
        "defaults: {firm: linear, strategy: feature-label, target: Web_Developer}\n"
        "grids:\n  - alpha: [0.02, 0.05, 0.08]\n    seed: [0, 1, 2, 3, 4, 5]\n"
    )
    path = Path(os.environ["COLLECTIVE_RESULTS"]) / "linear.jsonl"
    cmd = [sys.executable, "-m", "collective", "sweep", str(grid), "--json"]
    proc = subprocess.Popen(
        cmd, env=dict(os.environ), stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    deadline = time.time() + 120
    while time.time() < deadline and (not path.exists() or len(path.read_bytes().splitlines()) < 3):
        time.sleep(0.05)
    proc.send_signal(signal.SIGKILL)
    proc.wait(30)
    before = len(read_records(path))
    assert 3 <= before < 18, before
    done = subprocess.run(cmd, env=dict(os.environ), capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    counts = json.loads(done.stdout)
    assert counts["total"] == 18 and counts["cached"] >= before
    assert counts["cached"] + counts["computed"] == 18
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # a fragment cut by the kill, if any
        assert len(read_records(path)) == 18


def test_cpu_model_reads_the_model_name_and_amx(tmp_path):
    from collective.runner.provenance import cpu_model

    info = tmp_path / "cpuinfo"
    info.write_text(
        "processor\t: 0\nmodel name\t: Intel(R) Xeon(R) Processor\nflags\t\t: fpu avx512f amx_bf16 amx_tile\n"
        "processor\t: 1\nmodel name\t: Intel(R) Xeon(R) Processor\nflags\t\t: fpu\n"
    )
    assert cpu_model.__wrapped__(str(info)) == "Intel(R) Xeon(R) Processor +amx"
    info.write_text("processor\t: 0\nmodel name\t: AMD EPYC\nflags\t\t: fpu avx512_bf16\n")
    assert cpu_model.__wrapped__(str(info)) == "AMD EPYC"
    import platform

    # no cpuinfo: the platform's name, never an empty string
    fallback = platform.processor() or platform.machine() or "unknown"
    assert cpu_model.__wrapped__(str(tmp_path / "missing")) == fallback
    info.write_text("processor\t: 0\nflags\t\t: fpu\n")  # no model name line
    assert cpu_model.__wrapped__(str(info)) == fallback
