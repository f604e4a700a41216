"""``collective kv-cache``: the command that fills the freeze_kv firm's key/value cache (the
build itself is the firm's, :mod:`collective.firms.transformer.kv_cache`)."""

from __future__ import annotations

import ast

import pytest

from collective.cli import build_parser, main

GRID = """
name: kv_tiny
defaults:
  firm: transformer
  target: Database_Administrator
  seed: 0
  spacing: 5
  max_train: 20
  firm_params: {{max_length: {max_length}, train_layers: 1, freeze_kv: true}}
grids:
  - strategy: feature-label
    alpha: [0.0, 0.1]
  - strategy: feature-only
    alpha: [0.05]
    max_train: 30
  # not a freeze_kv run: its rows are not the cache's
  - strategy: feature-label
    alpha: [0.1]
    max_train: 40
    firm_params: [{{max_length: 64, train_layers: 1}}]
"""


def test_kv_cache_is_a_collective_command_with_help(capsys):
    with pytest.raises(SystemExit) as done:
        build_parser().parse_args(["kv-cache", "--help"])
    assert done.value.code == 0
    out = capsys.readouterr().out
    assert "Fill the key/value cache of the freeze_kv transformer firm." in out
    for flag in ("--grid", "--also-frozen", "--part", "--data", "collective kv-cache --grid"):
        assert flag in out, flag
    assert build_parser().parse_args(["kv-cache", "--part", "1/3"]).part == (1, 3)
    with pytest.raises(SystemExit):
        build_parser().parse_args(["kv-cache", "--part", "3/3"])


def test_kv_cache_fills_the_rows_of_the_grids_freeze_kv_runs_once(
    synthetic_runner, tmp_path, monkeypatch, capsys
):
    pytest.importorskip("torch")
    from collective.cli.kv_cache import needed_rows
    from collective.runner import load_context, load_grid

    monkeypatch.setenv("COLLECTIVE_CACHE", str(tmp_path / "cache"))  # an empty cache
    grid = tmp_path / "kv_tiny.yaml"
    grid.write_text(GRID.format(max_length=32))
    args = ["kv-cache", "--grid", str(grid), "--threads", "1", "--chunk", "16"]
    assert main(args) == 0
    ctx = load_context()
    kv_runs = [c for c in load_grid(grid) if c.firm_params.get("freeze_kv")]
    assert len(kv_runs) == 3
    rows = 2 * len(ctx.test) + len(needed_rows(kv_runs, len(ctx.train), ctx.Y_train))
    counts = ast.literal_eval(capsys.readouterr().out.strip().splitlines()[-1])
    assert counts == {"rows": rows, "computed": rows}
    assert main(args) == 0  # resumable: nothing left to compute
    again = ast.literal_eval(capsys.readouterr().out.strip().splitlines()[-1])
    assert again == {"rows": rows, "computed": 0}
    (folder,) = (tmp_path / "cache" / "frozen").iterdir()
    assert "-kv5-len32-" in folder.name


def test_kv_cache_refuses_grids_whose_freeze_kv_runs_differ(synthetic_runner, tmp_path, capsys):
    first, second = tmp_path / "a.yaml", tmp_path / "b.yaml"
    first.write_text(GRID.format(max_length=32))
    second.write_text(GRID.format(max_length=48))
    assert main(["kv-cache", "--grid", str(first), "--grid", str(second)]) == 2
    assert "must share spacing, max_length and model" in capsys.readouterr().err
