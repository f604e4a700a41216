"""The layout of ``collective/firms/``: one subpackage per firm family, and the module names
from before the split still import, as the moved modules themselves."""

from __future__ import annotations

import importlib
import subprocess
import sys
from pathlib import Path

import pytest

import collective.firms

FIRMS_DIR = Path(collective.firms.__file__).parent

#: Each subpackage's modules.
SUBPACKAGES = {
    "linear": {"__init__", "firm", "newton", "newton_steps", "p0", "sparse_ops"},
    "transformer": {
        "__init__",
        "firm",
        "batches",
        "checkpoints",
        "cls_layer",
        "device",
        "frozen",
        "frozen_features",
        "kv_cache",
        "kv_head",
        "kv_store",
        "pretrained",
        "batched",
        "stacked",
        "trained_part",
        "fast_dropout",
    },
}

#: Old name under collective.firms -> the module it is now (under collective.firms).
MOVED = {
    "newton": "linear.newton",
    "newton_steps": "linear.newton_steps",
    "sparse_ops": "linear.sparse_ops",
    "batches": "transformer.batches",
    "cls_layer": "transformer.cls_layer",
    "device": "transformer.device",
    "frozen": "transformer.frozen",
    "frozen_features": "transformer.frozen_features",
    "kv_cache": "transformer.kv_cache",
    "kv_head": "transformer.kv_head",
    "kv_store": "transformer.kv_store",
    "pretrained": "transformer.pretrained",
}

#: Modules written after the move (no old name to alias).
NEW = {
    "linear.firm",
    "linear.p0",
    "transformer.firm",
    "transformer.batched",
    "transformer.stacked",
    "transformer.trained_part",
    "transformer.checkpoints",
    "transformer.fast_dropout",
}

#: What stays at the top: the registry, the firm interface, the (torch-free) parameters.
TOP = {"__init__", "base", "params"}

TORCH_FREE = {"newton", "newton_steps", "sparse_ops"}


def _modules(folder: Path) -> set[str]:
    return {p.stem for p in folder.glob("*.py")}


def _needs_torch(old: str) -> None:
    if old not in TORCH_FREE:
        pytest.importorskip("torch")


def test_each_module_is_in_its_subpackage():
    assert _modules(FIRMS_DIR) == TOP | set(MOVED)
    for package, modules in SUBPACKAGES.items():
        assert _modules(FIRMS_DIR / package) == modules
    assert {f"{p}.{m}" for p, ms in SUBPACKAGES.items() for m in ms - {"__init__"}} == set(
        MOVED.values()
    ) | NEW


@pytest.mark.parametrize("old", sorted(MOVED))
def test_old_module_name_is_the_moved_module(old):
    _needs_torch(old)
    new = importlib.import_module(f"collective.firms.{MOVED[old]}")
    assert importlib.import_module(f"collective.firms.{old}") is new
    assert sys.modules[f"collective.firms.{old}"] is new
    assert getattr(collective.firms, old) is new  # `from collective.firms import frozen`
    assert new.__name__ == f"collective.firms.{MOVED[old]}"
    # the alias files only alias: each is a few lines
    assert len((FIRMS_DIR / f"{old}.py").read_text().splitlines()) < 25


def test_a_name_patched_under_the_old_module_name_is_patched_in_the_moved_module(monkeypatch):
    from collective.firms.linear import newton

    monkeypatch.setattr("collective.firms.newton.default_threads", lambda: 7)
    assert newton.default_threads() == 7
    from collective.firms.newton import default_threads

    assert default_threads is newton.default_threads


def test_old_names_of_the_firms_are_their_subpackages():
    from collective.firms.linear import LinearFirm, firm, planted_counts, split_counts, tfidf

    assert LinearFirm is firm.LinearFirm and collective.firms.firm_class("linear") is LinearFirm
    assert (planted_counts, split_counts, tfidf) == (
        firm.planted_counts,
        firm.split_counts,
        firm.tfidf,
    )
    pytest.importorskip("torch")
    import collective.firms.transformer as transformer
    from collective.firms.transformer import firm as transformer_firm

    assert collective.firms.firm_class("transformer") is transformer_firm.TransformerFirm
    for name in transformer.__all__:  # the names the old module exported, the same objects
        assert getattr(transformer, name) is getattr(transformer_firm, name), name
    from collective.firms.batches import collate

    assert collate is transformer.collate


def test_the_top_level_and_the_linear_firm_import_no_torch():
    code = (
        "import sys, collective.firms, collective.firms.params, collective.firms.linear, "
        "collective.firms.newton; print('torch' in sys.modules)"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "False"


@pytest.mark.parametrize(
    "module", ["collective.firms.kv_cache", "collective.firms.transformer.kv_cache"]
)
def test_kv_cache_runs_under_its_old_and_new_names(module):
    pytest.importorskip("torch")
    done = subprocess.run(
        [sys.executable, "-W", "error::RuntimeWarning", "-m", module, "--help"],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr
    assert "Fill the key/value cache of the freeze_kv transformer firm." in done.stdout
    assert "--also-frozen" in done.stdout
