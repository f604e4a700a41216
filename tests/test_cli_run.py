"""``collective run`` and ``collective sweep`` (issue: one JSON object with the run's keys;
clear errors without tracebacks), end to end on a small synthetic corpus."""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pytest
from _synthetic import make_corpus_zip, use_synthetic_corpus

from collective.cli import main

KEYS = {
    "success_in_set",
    "success_top1",
    "hamming_accuracy",
    "precision",
    "recall",
    "n_collective",
    "wall_seconds",
    "cached",
}


@pytest.fixture(scope="module")
def corpus_zip(tmp_path_factory):
    return make_corpus_zip(tmp_path_factory.mktemp("corpus") / "resumes_corpus.zip", n=120)


@pytest.fixture(autouse=True)
def env(tmp_path, monkeypatch, corpus_zip):
    use_synthetic_corpus(monkeypatch, tmp_path, corpus_zip)


ARGS = [
    "run",
    "--firm",
    "linear",
    "--strategy",
    "feature-label",
    "--target",
    "Database_Administrator",
    "--alpha",
    "0.05",
    "--seed",
    "0",
]


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
    assert json.loads(capsys.readouterr().out) == {
        "total": 4,
        "cached": 0,
        "computed": 4,
        "elsewhere": 0,
    }
    assert main(["sweep", str(grid), "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == {
        "total": 4,
        "cached": 4,
        "computed": 0,
        "elsewhere": 0,
    }
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        "grids: [{alpha: [2.0], firm: linear, strategy: feature-label, target: Web_Developer, seed: 0}]\n"
    )
    assert main(["sweep", str(bad)]) == 2
    assert "alpha" in capsys.readouterr().err
    assert main(["sweep", str(tmp_path / "missing.yaml")]) == 2


def test_slurm_executor_without_a_cluster_is_a_clear_error(tmp_path, capsys):
    import shutil

    if shutil.which("srun"):
        pytest.skip("a SLURM cluster is available here")
    grid = tmp_path / "g.yaml"
    grid.write_text(
        "defaults: {firm: linear, strategy: feature-label, target: Web_Developer}\ngrids:\n  - alpha: 0.05\n    seed: 0\n"
    )
    assert (
        main(["sweep", str(grid), "--executor", "slurm", "--slurm-folder", str(tmp_path / "s")])
        == 2
    )
    assert "needs a SLURM cluster" in capsys.readouterr().err


def test_slurm_parameters_reach_the_sweep(tmp_path, monkeypatch, capsys):
    import collective.runner as ex

    seen = {}

    def fake_sweep(configs, **kwargs):
        seen.update(kwargs)
        return {"total": len(configs), "cached": 0, "computed": len(configs), "failed": 0}

    monkeypatch.setattr(ex, "sweep", fake_sweep)
    grid = tmp_path / "g.yaml"
    grid.write_text(
        "defaults: {firm: linear, strategy: feature-label, target: Web_Developer}\ngrids:\n  - alpha: 0.05\n    seed: 0\n"
    )
    argv = [
        "sweep",
        str(grid),
        "--executor",
        "slurm",
        "--json",
        "--slurm-param",
        "timeout_min=120",
        "--slurm-param",
        "slurm_partition=gpu",
    ]
    assert main(argv) == 0
    assert seen["slurm_parameters"] == {"timeout_min": 120, "slurm_partition": "gpu"}
    assert main(["sweep", str(grid), "--slurm-param", "oops"]) == 2
    assert "--slurm-param expects KEY=VALUE" in capsys.readouterr().err


# ----------------------------------------------------------------------------- no raw tracebacks (issue 10.6)


def _grid(tmp_path, text: str):
    path = tmp_path / "g.yaml"
    path.write_text(text)
    return str(path)


@pytest.mark.parametrize(
    "text, message",
    [
        ("grids: []\n", "'grids' must be a non-empty list"),
        ("grids: [{}]\n", "grid block 1 must be a non-empty mapping"),
        ("defaults: {firm: linear}\n", "'grids' must be a non-empty list"),
        ("grids: [{alpha: []}]\n", "empty list of values"),
    ],
)
def test_empty_grid_blocks_are_clear_errors(tmp_path, capsys, text, message):
    assert main(["sweep", _grid(tmp_path, text)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("collective: error:") and message in err and "Traceback" not in err


def test_value_failing_for_some_configs_fails_before_any_run(tmp_path, capsys):
    grid = _grid(
        tmp_path,
        "defaults: {firm: linear, target: Web_Developer, seed: 0}\n"
        "grids:\n  - strategy: feature-only\n    alpha: [0.01, 0.9]\n  - strategy: feature-label\n    alpha: 0.05\n",
    )
    assert main(["sweep", grid]) == 2
    err = capsys.readouterr().err
    assert (
        "1 of 3 configs cannot run on this corpus (nothing was run)" in err and "--alpha 0.9" in err
    )
    assert "Traceback" not in err
    assert not (tmp_path / "results" / "linear.jsonl").exists()


def test_device_torch_rejects_is_a_clear_error(tmp_path, capsys):
    for argv in (
        [
            "run",
            "--firm",
            "transformer",
            "--strategy",
            "feature-label",
            "--target",
            "Web_Developer",
            "--alpha",
            "0.05",
            "--device",
            "tpu",
        ],
        [
            "sweep",
            _grid(
                tmp_path,
                "grids: [{firm: linear, strategy: feature-label, target: Web_Developer, alpha: 0.05, seed: 0}]\n",
            ),
            "--device",
            "tpu",
        ],
    ):
        assert main(argv) == 2
        err = capsys.readouterr().err
        assert "device 'tpu' is not a device torch knows" in err and "Traceback" not in err


def test_max_train_larger_than_the_training_set(capsys):
    assert main([*ARGS, "--max-train", "100000"]) == 2
    err = capsys.readouterr().err
    assert "max_train=100000 is larger than the training set" in err and "Traceback" not in err


def test_cache_folder_that_is_a_file(tmp_path, monkeypatch, capsys):
    blocker = tmp_path / "file"
    blocker.write_text("")
    monkeypatch.setenv("COLLECTIVE_CACHE", str(blocker))
    assert main([*ARGS, "--seed", "7"]) == 2
    err = capsys.readouterr().err
    assert "is a file, not a folder" in err and "Traceback" not in err


# ----------------------------------------------------------------------------- planning (issue 10.7)


def test_dry_run_counts_without_running(tmp_path, capsys):
    grid = _grid(
        tmp_path,
        "defaults: {strategy: feature-label, target: Web_Developer}\n"
        "grids:\n  - firm: linear\n    alpha: [0.0, 0.05]\n    seed: [0, 1]\n"
        "  - firm: transformer\n    alpha: 0.05\n    seed: 0\n",
    )
    assert (
        main(
            [
                "run",
                "--strategy",
                "feature-label",
                "--target",
                "Web_Developer",
                "--alpha",
                "0.05",
                "--seed",
                "1",
                "--json",
            ]
        )
        == 0
    )
    capsys.readouterr()
    lines = (tmp_path / "results" / "linear.jsonl").read_text()
    assert main(["sweep", grid, "--dry-run", "--json"]) == 0
    plan = json.loads(capsys.readouterr().out)
    assert (plan["total"], plan["cached"], plan["to_run"]) == (5, 1, 4)
    assert plan["firms"] == {
        "linear": {"total": 4, "cached": 1, "to_run": 3},
        "transformer": {"total": 1, "cached": 0, "to_run": 1},
    }
    assert main(["sweep", grid, "--dry-run"]) == 0
    assert (
        "5 configs, 1 cached, 4 would run (linear: 3 of 4; transformer: 1 of 1)"
        in capsys.readouterr().out
    )
    assert (tmp_path / "results" / "linear.jsonl").read_text() == lines  # nothing ran


def test_a_million_configs_are_refused_at_once(tmp_path, capsys):
    import time

    grid = _grid(
        tmp_path,
        "defaults: {firm: linear, strategy: feature-label, target: Web_Developer}\n"
        "grids:\n  - alpha: 0.05\n    seed: [" + ", ".join(map(str, range(1000))) + "]\n"
        "    spacing: [" + ", ".join(map(str, range(1, 1001))) + "]\n",
    )
    start = time.perf_counter()
    assert main(["sweep", grid, "--dry-run"]) == 2
    assert time.perf_counter() - start < 10
    err = capsys.readouterr().err
    assert (
        "the grid has 1,000,000 configs (block 1: 1,000,000), more than the limit of 100,000" in err
    )
    assert "--max-configs" in err


# ----------------------------------------------------------------------------- results from anywhere (issue 10.8)


def test_results_from_another_directory_find_the_committed_ones(tmp_path):
    import os
    import subprocess
    import sys

    from collective.runner.paths import REPO_ROOT

    env = {
        k: v for k, v in os.environ.items() if k not in ("COLLECTIVE_RESULTS", "COLLECTIVE_RESUMES")
    }
    env["PYTHONPATH"] = str(REPO_ROOT)
    out = subprocess.run(
        [sys.executable, "-m", "collective", "results", "--firm", "linear", "--json"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert out.returncode == 0, out.stderr
    committed = (REPO_ROOT / "data" / "results" / "linear.jsonl").read_text().splitlines()
    assert len(json.loads(out.stdout)) == len(committed)


def test_outside_a_source_checkout_results_go_to_the_user_cache(tmp_path, monkeypatch, capsys):
    from collective.resumes.corpus import CANONICAL_SHA256
    from collective.runner import paths

    site = tmp_path / "venv" / "lib" / "python3.11" / "site-packages"
    (site / "collective").mkdir(parents=True)
    monkeypatch.setattr(paths, "REPO_ROOT", site)
    monkeypatch.delenv("COLLECTIVE_RESULTS")
    cache = Path(os.environ["COLLECTIVE_CACHE"])
    assert paths.default_results_dir() == cache / "results" / CANONICAL_SHA256[:12]
    folder, note = paths.resolve_results_dir(None, CANONICAL_SHA256)
    assert (
        folder == cache / "results" / CANONICAL_SHA256[:12] and "not in a source checkout" in note
    )
    assert main([*ARGS, "--json"]) == 0  # the synthetic corpus: its own folder, said on stderr
    err = capsys.readouterr().err
    assert "not the canonical resume corpus" in err
    assert not (site / "data").exists()


def test_damaged_tokens_cache_is_rebuilt_with_a_warning(tmp_path, capsys):
    from collective import runner
    from collective.resumes.tokens import tokens_cache_dir

    assert main([*ARGS, "--json"]) == 0
    for npz in tokens_cache_dir().rglob("train.npz"):
        npz.write_bytes(b"not an npz")
    runner.clear_contexts()
    with pytest.warns(UserWarning, match="re-tokenizing"):
        assert main([*ARGS, "--seed", "5", "--json"]) == 0
    assert json.loads(capsys.readouterr().out.splitlines()[-1])["cached"] is False


@pytest.mark.parametrize(
    "flag",
    [
        ["--warm-start", "maybe"],
        ["--cache", "2"],
        ["--firm", "transformer", "--progress", "yes"],
        ["--firm-param", "warm_start=maybe"],
    ],
)
def test_a_bad_boolean_flag_is_one_clear_line(capsys, flag):
    """These raised ``KeyError`` with a traceback."""
    try:
        code = main([*ARGS, *flag])
    except SystemExit as exit:  # argparse's own error for a flag's value
        code = exit.code
    assert code == 2
    err = capsys.readouterr().err
    assert "must be true or false" in err and "Traceback" not in err and "KeyError" not in err


def test_bool_flags_and_warm_start_false_from_the_command_line(capsys):
    from collective.cli import build_parser
    from collective.cli.options import firm_settings

    args = build_parser().parse_args(
        [*ARGS[:2], "transformer", *ARGS[3:], "--progress", "TRUE", "--cls-only", "0"]
    )
    params, options = firm_settings(args, "transformer")
    assert options == {"progress": True, "cls_only": False}
    assert main([*ARGS, "--firm-param", "warm_start=False", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["firm_params"]["warm_start"] is False


# ----------------------------------------------------------------------------- validation gaps (issue 22)


@pytest.mark.parametrize(
    "extra, message",
    [
        (["--max-train", "2"], "min_df=5 is more than the 2 training resumes"),
        (["--min-df", "100000"], "min_df=100000 is more than the"),
        (["--spacing", "100000"], "spacing=100000 is more than the words of the longest resume"),
    ],
)
def test_runs_that_would_crash_in_the_solver_or_plant_nothing_are_refused(
    tmp_path, capsys, extra, message
):
    """These passed validation and crashed in the solver (``zero-size array``), or planted the
    trigger nowhere without a word."""
    assert main([*ARGS, *extra]) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err and len(err.strip().splitlines()) == 1
    assert not (tmp_path / "results" / "linear.jsonl").exists()


def test_a_two_resume_corpus_is_refused_before_training(tmp_path, capsys):
    tiny = make_corpus_zip(tmp_path / "two.zip", n=2)
    assert main([*ARGS, "--data", str(tiny), "--results", str(tmp_path / "r2")]) == 2
    err = capsys.readouterr().err
    assert "min_df=5 is more than the 1 training resumes" in err and "Traceback" not in err


def test_a_sweep_with_a_config_the_solver_cannot_fit_runs_nothing(tmp_path, capsys):
    """A sweep computed two configs and then crashed."""
    grid = _grid(
        tmp_path,
        "defaults: {firm: linear, strategy: feature-label, target: Web_Developer, alpha: 0.05}\n"
        "grids:\n  - seed: [0, 1]\n  - seed: 2\n    max_train: 2\n",
    )
    assert main(["sweep", grid]) == 2
    err = capsys.readouterr().err
    assert "1 of 3 configs cannot run on this corpus (nothing was run)" in err
    assert "min_df=5 is more than the 2 training resumes" in err and "Traceback" not in err
    assert not (tmp_path / "results" / "linear.jsonl").exists()


def test_the_empty_vocabulary_is_a_config_error_not_a_solver_crash(tokenizer):
    from collective.errors import ConfigError
    from collective.firms.linear import LinearFirm
    from collective.resumes.tokens import tokenize_texts

    split = tokenize_texts(["alpha beta", "gamma delta", "epsilon zeta"], tokenizer)
    Y = np.eye(3, 10, dtype=np.uint8)
    with pytest.raises(ConfigError, match="no token occurs in min_df=2 of the 3 training resumes"):
        LinearFirm(min_df=2, warm_start=False).fit(split, Y, planted=np.zeros(3, bool), spacing=20)


def test_a_device_this_machine_lacks_is_refused_before_training(tmp_path, capsys):
    """``--device mps`` on Linux trained, then failed."""
    import torch

    if torch.backends.mps.is_available():
        pytest.skip("this machine has an Apple GPU")
    transformer = [*ARGS[:2], "transformer", *ARGS[3:], "--train-layers", "1", "--epochs", "1"]
    assert main([*transformer, "--device", "mps"]) == 2
    err = capsys.readouterr().err
    assert "device 'mps' (an Apple GPU) is not available on this machine" in err
    assert "Traceback" not in err
    assert not (tmp_path / "results" / "transformer.jsonl").exists()
    grid = _grid(
        tmp_path,
        "grids: [{firm: transformer, strategy: feature-label, target: Web_Developer, alpha: 0.05, seed: 0}]\n",
    )
    assert main(["sweep", grid, "--device", "mps"]) == 2
    assert "(an Apple GPU) is not available" in capsys.readouterr().err


@pytest.mark.parametrize(
    "text, message",
    [
        ("grids: [{alpha: [[0.01]]}]", "alpha must be a single value, got [0.01]"),
        ("grids: [{firm: [[linear]]}]", "firm must be a single value"),
        ("grids: [{random_labels: [[0.1]]}]", "random_labels must be a single value"),
    ],
)
def test_a_list_inside_a_list_in_a_grid_is_a_clear_error(tmp_path, capsys, text, message):
    grid = _grid(
        tmp_path,
        "defaults: {firm: linear, strategy: feature-label, target: Web_Developer, alpha: 0.05, seed: 0}\n"
        + text
        + "\n",
    )
    assert main(["sweep", grid, "--dry-run"]) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err


def test_a_folder_as_grid_path_is_a_clear_error(tmp_path, capsys):
    assert main(["sweep", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert "is a folder, not a file" in err and "Traceback" not in err


def test_minus_zero_is_zero(capsys):
    """``--alpha -0`` got a key of its own."""
    from collective.runner import RunConfig

    fields = dict(firm="linear", strategy="feature-label", target="Database_Administrator", seed=0)
    zero = RunConfig(**fields, alpha=0.0)
    assert RunConfig(**fields, alpha=-0.0).key() == zero.key()
    assert RunConfig(**fields, alpha=0.0, random_labels=-0.0).key() == zero.key()
    assert main([*ARGS[:-4], "--alpha", "-0", "--seed", "0", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["key"] == zero.key() and str(out["alpha"]) == "0.0"


def test_estimates_dry_run_says_what_it_estimated(tmp_path, capsys):
    """``estimates --dry-run`` printed nothing."""
    assert main(["estimates", "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("xi = ") and "Database_Administrator" in out
    assert out.rstrip().endswith("not written (--dry-run)")
    assert not list((tmp_path / "results").glob("*.json"))


# ----------------------------------------------------------------------------- file-system errors (issue 22)


def _one_line(err: str, *words: str) -> None:
    """``err`` (progress bars aside) is one line of error naming ``words``."""
    lines = [line for line in err.split("\n") if line.strip() and "\r" not in line]
    assert len(lines) == 1 and lines[0].startswith("collective: error:"), err
    assert "Traceback" not in err and all(w in lines[0] for w in words), err


def _read_only(monkeypatch, folder: Path) -> None:
    """Writes under ``folder`` fail as on a read-only file system (chmod does not stop root,
    who runs these tests in CI)."""
    import builtins
    import errno

    def under(path) -> bool:
        try:
            return Path(os.fsdecode(path)).resolve().is_relative_to(folder.resolve())
        except (TypeError, ValueError):
            return False

    def refuse(path):
        raise OSError(errno.EROFS, os.strerror(errno.EROFS), os.fsdecode(path))

    real_open, real_os_open, real_mkdir = builtins.open, os.open, os.mkdir

    def os_open(path, flags, *args, **kw):
        if under(path) and flags & (os.O_WRONLY | os.O_RDWR | os.O_CREAT):
            refuse(path)
        return real_os_open(path, flags, *args, **kw)

    def open_(file, mode="r", *args, **kw):
        if isinstance(file, (str, os.PathLike)) and under(file) and set(mode) & set("wax+"):
            refuse(file)
        return real_open(file, mode, *args, **kw)

    def mkdir(path, *args, **kw):
        if under(path):
            refuse(path)
        return real_mkdir(path, *args, **kw)

    monkeypatch.setattr(os, "open", os_open)
    monkeypatch.setattr(builtins, "open", open_)
    monkeypatch.setattr(os, "mkdir", mkdir)


def test_a_read_only_results_folder_is_one_line(tmp_path, monkeypatch, capsys):
    fresh, bound = tmp_path / "fresh", tmp_path / "bound"
    fresh.mkdir()
    assert main([*ARGS, "--json", "--results", str(bound)]) == 0  # bound, then made read-only
    capsys.readouterr()
    _read_only(monkeypatch, fresh)
    _read_only(monkeypatch, bound)
    for folder in (fresh, bound):
        assert main([*ARGS, "--seed", "1", "--results", str(folder)]) == 2
        _one_line(capsys.readouterr().err, str(folder), "Read-only file system", "make it writable")
    assert main([*ARGS, "--json", "--results", str(bound)]) == 0  # what is there still reads


def test_a_results_path_that_is_a_file_is_one_line(tmp_path, capsys):
    file = tmp_path / "results-file"
    file.write_text("")
    grid = _grid(
        tmp_path,
        "grids: [{firm: linear, strategy: feature-label, target: Web_Developer, alpha: 0.05, seed: 0}]\n",
    )
    for argv in (
        [*ARGS, "--results", str(file)],
        ["sweep", grid, "--results", str(file)],
        ["results", "--results", str(file)],
    ):
        assert main(argv) == 2
        _one_line(capsys.readouterr().err, f"the results folder {file} is a file, not a folder")


def test_a_results_file_that_is_a_folder_is_one_line(tmp_path, capsys):
    folder = tmp_path / "results"
    (folder / "linear.jsonl").mkdir(parents=True)
    for argv in ([*ARGS], ["results"]):
        assert main(argv) == 2
        _one_line(capsys.readouterr().err, "linear.jsonl is not a results file")


def test_a_full_disk_while_writing_the_parsed_corpus_is_one_line(tmp_path, monkeypatch, capsys):
    import errno

    import datasets

    from collective.resumes.corpus import cache_dir

    def full(self, *args, **kwargs):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(datasets.Dataset, "save_to_disk", full)
    monkeypatch.setenv("COLLECTIVE_CACHE", str(tmp_path / "empty-cache"))
    assert main(["data", "info"]) == 2
    _one_line(
        capsys.readouterr().err, "could not write the parsed corpus", "No space left on device"
    )
    assert not any((cache_dir() / "corpus").iterdir())  # nothing half-written left


def test_a_full_disk_while_writing_the_tokens_is_one_line(tmp_path, monkeypatch, capsys):
    import errno

    from collective.resumes import tokens

    def full(path, **arrays):
        Path(path).write_bytes(b"half")  # as a write cut short would, before the rename
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(tokens, "save_npz_checked", full)
    monkeypatch.setenv("COLLECTIVE_CACHE", str(tmp_path / "empty-cache"))
    assert main([*ARGS, "--json"]) == 2
    _one_line(
        capsys.readouterr().err, "could not write the tokenized corpus", "No space left on device"
    )


def test_export_is_atomic_on_a_full_disk(tmp_path, monkeypatch, capsys):
    """A full disk left a truncated CSV."""
    import errno

    import pandas as pd

    assert main([*ARGS, "--json"]) == 0
    out = tmp_path / "runs.csv"
    out.write_text("the previous export\n")
    real = pd.DataFrame.to_csv

    def full(self, path_or_buf=None, **kw):  # half a table, then the disk is full
        given_a_path = isinstance(path_or_buf, (str, os.PathLike))
        fh = open(path_or_buf, "wb") if given_a_path else path_or_buf  # noqa: SIM115
        fh.write(b"key,alpha\n123,")
        fh.flush()
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(pd.DataFrame, "to_csv", full)
    capsys.readouterr()
    assert main(["results", "--export", str(out)]) == 2
    _one_line(capsys.readouterr().err, f"could not write {out}", "the disk is full")
    assert out.read_text() == "the previous export\n"
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".runs")) == []
    monkeypatch.setattr(pd.DataFrame, "to_csv", real)
    assert main(["results", "--export", str(out)]) == 0
    assert pd.read_csv(out)["alpha"].tolist() == [0.05]
