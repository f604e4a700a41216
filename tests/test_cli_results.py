"""``collective results`` (issue 14, point 5): the cache as a table, filtered; what a grid is
missing; a tidy export with config, metrics and provenance columns. On hand-made records
(nothing is trained)."""

from __future__ import annotations

import json

import pandas as pd
import pytest
from _synthetic import fake_record

from collective.cli import main
from collective.resumes.corpus import CANONICAL_SHA256
from collective.runner import append_record
from collective.runner.paths import BINDING_FILE


@pytest.fixture
def folder(tmp_path, monkeypatch):
    folder = tmp_path / "results"
    folder.mkdir()
    (folder / BINDING_FILE).write_text(CANONICAL_SHA256 + "\n")
    for i in range(3):
        append_record(folder / "linear.jsonl", fake_record(i, success_in_set=0.1 * (i + 1)))
    for i in range(2):
        append_record(folder / "linear.jsonl", fake_record(i, target="Web_Developer"))
    append_record(
        folder / "linear.jsonl", fake_record(9, sha="a" * 64)
    )  # another corpus: not shown
    monkeypatch.setenv("COLLECTIVE_RESULTS", str(folder))
    return folder


def test_table_and_filters(folder, capsys):
    with pytest.warns(RuntimeWarning, match="computed on another corpus"):
        assert main(["results"]) == 0
    out = capsys.readouterr().out
    assert (
        out.startswith("5 runs in") and "Database_Administrator" in out and "Web_Developer" in out
    )
    assert main(["results", "--target", "Web_Developer", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert len(rows) == 2 and {r["target"] for r in rows} == {"Web_Developer"}
    assert main(["results", "--alpha-min", "0.02", "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == []
    assert (
        main(
            [
                "results",
                "--alpha-max",
                "0.01",
                "--strategy",
                "feature-label",
                "--firm",
                "linear",
                "--json",
            ]
        )
        == 0
    )
    assert len(json.loads(capsys.readouterr().out)) == 5


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_export_is_tidy_with_provenance(folder, tmp_path, capsys, suffix):
    out = tmp_path / f"runs{suffix}"
    assert main(["results", "--target", "Database_Administrator", "--export", str(out)]) == 0
    frame = pd.read_csv(out) if suffix == ".csv" else pd.read_parquet(out)
    assert len(frame) == 3
    for column in (
        "firm",
        "strategy",
        "target",
        "alpha",
        "seed",
        "param_C",
        "success_in_set",
        "key",
        "data_sha256",
        "runner_version",
    ):
        assert column in frame.columns
    assert sorted(frame["success_in_set"].round(3)) == [0.1, 0.2, 0.3]
    assert set(frame["data_sha256"]) == {CANONICAL_SHA256}


def test_grid_and_missing(folder, tmp_path, capsys):
    grid = tmp_path / "g.yaml"
    grid.write_text(
        "defaults: {firm: linear, strategy: feature-label, target: Database_Administrator, alpha: 0.01,"
        " firm_params: {max_iter: 300, tol: 1.0e-5}}\ngrids:\n  - seed: [0, 1, 2, 3, 4]\n"
    )
    assert main(["results", "--grid", str(grid), "--json"]) == 0
    assert sorted(r["seed"] for r in json.loads(capsys.readouterr().out)) == [0, 1, 2]
    assert main(["results", "--grid", str(grid), "--missing"]) == 0
    out = capsys.readouterr().out
    assert (
        "2 of 5 configs missing" in out
        and "--seed 3" in out
        and "--seed 4" in out
        and "collective sweep" in out
    )


def test_bad_options_and_help(folder, capsys):
    assert main(["results", "--export", "x.xlsx"]) == 2
    assert ".csv or .parquet" in capsys.readouterr().err
    assert main(["results", "--missing"]) == 2
    assert "--missing needs --grid" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["results", "--help"])
    assert "examples:" in capsys.readouterr().out
