"""``collective run`` and ``collective sweep`` (issue: one JSON object with the run's keys;
clear errors without tracebacks), end to end on a small synthetic corpus."""

from __future__ import annotations

import json

import pytest

from collective.cli import main

from _synthetic import make_corpus_zip, use_synthetic_corpus

KEYS = {"success_in_set", "success_top1", "hamming_accuracy", "precision", "recall", "n_collective", "wall_seconds", "cached"}


@pytest.fixture(scope="module")
def corpus_zip(tmp_path_factory):
    return make_corpus_zip(tmp_path_factory.mktemp("corpus") / "resumes_corpus.zip", n=120)


@pytest.fixture(autouse=True)
def env(tmp_path, monkeypatch, corpus_zip):
    use_synthetic_corpus(monkeypatch, tmp_path, corpus_zip)


ARGS = ["run", "--firm", "linear", "--strategy", "feature-label", "--target", "Database_Administrator", "--alpha", "0.05", "--seed", "0"]


def test_run_json_then_cached(capsys):
    assert main([*ARGS, "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert KEYS <= set(out)
    assert out["cached"] is False and out["n_collective"] > 0 and 0 <= out["success_in_set"] <= 1
    assert main([*ARGS, "--json", "--spacing", "20"]) == 0
    again = json.loads(capsys.readouterr().out)
    assert again["cached"] is True and again["success_in_set"] == out["success_in_set"]


def test_run_text_output_and_no_train(capsys):
    assert main([*ARGS, "--seed", "3", "--no-train"]) == 2
    assert "collective run --firm linear" in capsys.readouterr().err
    assert main([*ARGS, "--seed", "3", "--random-labels", "0.1"]) == 0
    assert "success in set" in capsys.readouterr().out


@pytest.mark.parametrize(
    "extra, message",
    [
        (["--alpha", "1.5"], "alpha"),
        (["--target", "Chef"], "choose one of: Database_Administrator"),
        (["--spacing", "0"], "spacing must be >= 1"),
        (["--random-labels", "-0.2"], "random_labels"),
        (["--firm-param", "C"], "KEY=VALUE"),
        (["--firm-param", "C=-2"], "C must be a number > 0"),
            (["--C", "-2"], "C must be a number > 0"),
            (["--max-length", "64"], "--max-length applies to --firm transformer only"),
    ],
)
def test_bad_input_is_one_clear_line(capsys, extra, message):
    assert main([*ARGS, *extra]) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err


def test_sweep_command(tmp_path, capsys):
    grid = tmp_path / "g.yaml"
    grid.write_text(
        "defaults: {firm: linear, strategy: feature-label, target: Web_Developer}\n"
        "grids:\n  - alpha: [0.0, 0.05]\n    seed: [0, 1]\n"
    )
    assert main(["sweep", str(grid), "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == {"total": 4, "cached": 0, "computed": 4, "elsewhere": 0}
    assert main(["sweep", str(grid), "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == {"total": 4, "cached": 4, "computed": 0, "elsewhere": 0}
    bad = tmp_path / "bad.yaml"
    bad.write_text("grids: [{alpha: [2.0], firm: linear, strategy: feature-label, target: Web_Developer, seed: 0}]\n")
    assert main(["sweep", str(bad)]) == 2
    assert "alpha" in capsys.readouterr().err
    assert main(["sweep", str(tmp_path / "missing.yaml")]) == 2


def test_slurm_executor_without_a_cluster_is_a_clear_error(tmp_path, capsys):
    import shutil

    if shutil.which("srun"):
        pytest.skip("a SLURM cluster is available here")
    grid = tmp_path / "g.yaml"
    grid.write_text("defaults: {firm: linear, strategy: feature-label, target: Web_Developer}\ngrids:\n  - alpha: 0.05\n    seed: 0\n")
    assert main(["sweep", str(grid), "--executor", "slurm", "--slurm-folder", str(tmp_path / "s")]) == 2
    assert "needs a SLURM cluster" in capsys.readouterr().err


def test_slurm_parameters_reach_the_sweep(tmp_path, monkeypatch, capsys):
    import collective.runner as ex

    seen = {}

    def fake_sweep(configs, **kwargs):
        seen.update(kwargs)
        return {"total": len(configs), "cached": 0, "computed": len(configs), "failed": 0}

    monkeypatch.setattr(ex, "sweep", fake_sweep)
    grid = tmp_path / "g.yaml"
    grid.write_text("defaults: {firm: linear, strategy: feature-label, target: Web_Developer}\ngrids:\n  - alpha: 0.05\n    seed: 0\n")
    argv = ["sweep", str(grid), "--executor", "slurm", "--json",
            "--slurm-param", "timeout_min=120", "--slurm-param", "slurm_partition=gpu"]
    assert main(argv) == 0
    assert seen["slurm_parameters"] == {"timeout_min": 120, "slurm_partition": "gpu"}
    assert main(["sweep", str(grid), "--slurm-param", "oops"]) == 2
    assert "--slurm-param expects KEY=VALUE" in capsys.readouterr().err
