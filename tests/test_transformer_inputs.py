"""What the transformer firm is fed: its model inputs against the tokenizer itself.

The reference is the packaged model's tokenizer run on the text with the trigger inserted
(:func:`collective.resumes.tokens.plant_trigger_text`) and truncated by the tokenizer
(``truncation=True, max_length=...``): nothing of the firm's own input building (the
pre-tokenized split, ``planted_ids``, the ``[CLS] ... [SEP]`` framing, the collator) is used
to compute it. Synthetic text only, no corpus.
"""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from _synthetic import synthetic_resumes  # noqa: E402

from collective.firms.transformer import firm as tf  # noqa: E402
from collective.resumes.tokens import (  # noqa: E402
    TRIGGER,
    TRIGGER_TOKEN_ID,
    plant_trigger_text,
    tokenize_texts,
)


@pytest.fixture(scope="module")
def texts():
    return [text for text, _ in synthetic_resumes(10, seed=5)]


def _reference(tokenizer, text: str, planted: bool, spacing: int, max_length: int) -> list[int]:
    text = plant_trigger_text(text, spacing) if planted else text
    return tokenizer(text, truncation=True, max_length=max_length)["input_ids"]


def _firm(max_length: int) -> tf.TransformerFirm:
    return tf.TransformerFirm(max_length=max_length, device="cpu", threads=1, progress=False)


@pytest.mark.parametrize(("max_length", "spacing"), [(512, 20), (64, 7), (40, 1)])
def test_model_inputs_equal_the_tokenizer_on_the_planted_text(
    tokenizer, texts, max_length, spacing
):
    assert tokenizer(TRIGGER, add_special_tokens=False)["input_ids"] == [TRIGGER_TOKEN_ID] == [1240]
    X = tokenize_texts(texts, tokenizer)
    planted = np.arange(len(texts)) % 3 != 1
    inputs = _firm(max_length).model_inputs(X, planted, spacing)
    assert len(inputs) == len(texts)
    for i, text in enumerate(texts):
        expected = _reference(tokenizer, text, bool(planted[i]), spacing, max_length)
        assert inputs[i].tolist() == expected, f"resume {i} (planted={planted[i]})"
        assert (TRIGGER_TOKEN_ID in inputs[i].tolist()) == bool(
            planted[i]
        )  # these texts all get one
    # no planted argument: every row clean
    clean = _firm(max_length).model_inputs(X, None, spacing)
    for i, text in enumerate(texts):
        assert clean[i].tolist() == _reference(tokenizer, text, False, spacing, max_length)


def test_triggers_that_survive_truncation_are_counted(tokenizer, texts):
    # The paper plants after every 20th word but the model reads only max_length tokens:
    # count, with the tokenizer, how many triggers are left and check the firm keeps exactly
    # those (and that truncation really drops some here, so the count has teeth).
    X = tokenize_texts(texts, tokenizer)
    spacing, max_length = 5, 48
    inputs = _firm(max_length).model_inputs(X, np.ones(len(texts), bool), spacing)
    dropped = 0
    for i, text in enumerate(texts):
        planted_text = plant_trigger_text(text, spacing)
        full = tokenizer(planted_text)["input_ids"]
        kept = full[: max_length - 1]  # [CLS] + the first max_length - 2 body tokens
        n_kept = kept.count(TRIGGER_TOKEN_ID)
        assert inputs[i].tolist().count(TRIGGER_TOKEN_ID) == n_kept
        assert len(inputs[i]) == min(len(full), max_length)
        n_planted = len(text.split()) // spacing
        assert full.count(TRIGGER_TOKEN_ID) == n_planted == planted_text.split().count(TRIGGER)
        assert 0 < n_kept <= n_planted
        dropped += n_planted - n_kept
    assert dropped > 0


def test_model_inputs_reject_a_planted_mask_of_the_wrong_length(tokenizer, texts):
    X = tokenize_texts(texts[:3], tokenizer)
    with pytest.raises(tf.ConfigError, match="planted has 2 entries for 3 resumes"):
        _firm(64).model_inputs(X, np.ones(2, bool), 20)


def test_dataset_and_collate_pad_and_mask(tokenizer, texts):
    X = tokenize_texts(texts[:4], tokenizer)
    inputs = _firm(64).model_inputs(X, np.array([True, False, True, False]), 3)
    Y = np.eye(4, 10, dtype=np.uint8)
    data = tf._Examples("input_ids", inputs, Y)
    assert len(data) == 4
    rows = [data[i] for i in range(4)]
    assert rows[2]["input_ids"].dtype == torch.int64
    assert rows[2]["labels"].dtype == torch.float32 and rows[2]["labels"].tolist() == Y[2].tolist()
    # shortest first in the batch, so padding is needed
    order = np.argsort([len(x) for x in inputs])
    batch = tf.collate([rows[i] for i in order])
    width = max(len(x) for x in inputs)
    assert batch["input_ids"].shape == (4, width) and batch["attention_mask"].shape == (4, width)
    for r, i in enumerate(order):
        n = len(inputs[i])
        assert batch["input_ids"][r, :n].tolist() == inputs[i].tolist()
        assert batch["input_ids"][r, n:].eq(tokenizer.pad_token_id).all()
        assert batch["attention_mask"][r].tolist() == [1] * n + [0] * (width - n)
        assert batch["labels"][r].tolist() == Y[i].tolist()
    assert batch["attention_mask"].dtype == torch.int64
    # a batch of one (the last batch of an epoch can be that small)
    one = tf.collate([rows[3]])
    assert one["input_ids"].tolist() == [inputs[3].tolist()]
    assert one["attention_mask"].tolist() == [[1] * len(inputs[3])]
    assert one["labels"].tolist() == [Y[3].tolist()]
    one = tf.collate([{"inputs_embeds": torch.ones((2, 3))}])
    assert one["inputs_embeds"].shape == (1, 2, 3) and "labels" not in one
    # embeddings (frozen-layer cache): float rows, no labels
    emb = [np.full((k, 3), float(k), dtype=np.float16) for k in (2, 5)]
    batch = tf.collate([{"inputs_embeds": torch.from_numpy(e.astype(np.float32))} for e in emb])
    assert set(batch) == {"inputs_embeds", "attention_mask"}
    assert batch["inputs_embeds"].shape == (2, 5, 3)
    assert batch["inputs_embeds"][0, 2:].eq(0).all() and batch["inputs_embeds"][0, :2].eq(2).all()
    assert batch["attention_mask"].tolist() == [[1, 1, 0, 0, 0], [1] * 5]
    data = tf._Examples("inputs_embeds", emb, np.zeros((2, 10)))
    assert data[0]["inputs_embeds"].dtype == torch.float32


def test_length_batches_cover_every_row_longest_first():
    lengths = [3, 9, 1, 9, 4, 7, 2]
    batches = tf.length_batches(lengths, 3)
    assert [len(b) for b in batches] == [3, 3, 1]
    flat = np.concatenate(batches).tolist()
    assert sorted(flat) == list(range(7))
    assert [lengths[i] for i in flat] == sorted(lengths, reverse=True)
    assert flat[:2] == [1, 3]  # ties keep their order


def test_fit_and_predict_feed_the_planted_inputs(tokenizer, texts, monkeypatch):
    # The firm's training set and prediction batches carry the trigger exactly where planted.
    # The Trainer is replaced by a recorder (no training), so this runs in seconds.
    X = tokenize_texts(texts[:6], tokenizer)
    Y = (np.arange(60).reshape(6, 10) % 3 == 0).astype(np.uint8)
    planted = np.array([True, False, False, True, True, False])
    seen = {}

    class Recorder:
        def __init__(self, *, model, args, examples, collate, lengths):
            seen.update(dataset=examples, collator=collate, lengths=lengths, args=args)

        def remove_callback(self, _):
            pass

        def train(self):
            from types import SimpleNamespace

            return SimpleNamespace(training_loss=0.0, metrics={})

    monkeypatch.setattr(tf, "make_trainer", Recorder)
    firm = _firm(64)
    firm.fit(X, Y, planted=planted, spacing=4)
    data = seen["dataset"]
    assert len(data) == 6 and seen["collator"] is tf.collate
    assert (
        seen["args"].train_sampling_strategy == "group_by_length"
        and seen["args"].length_column_name == "length"
    )
    for i, text in enumerate(texts[:6]):
        expected = _reference(tokenizer, text, bool(planted[i]), 4, 64)
        assert data[i]["input_ids"].tolist() == expected
        assert data[i]["labels"].tolist() == Y[i].tolist()
        assert seen["lengths"][i] == len(expected)

    batches = []
    real_collate = tf.collate
    monkeypatch.setattr(tf, "collate", lambda feats: batches.append(feats) or real_collate(feats))
    P = firm.predict_proba(X, planted=~planted, spacing=4)
    assert P.shape == (6, 10) and np.all((P > 0) & (P < 1))
    fed = {}
    for feats in batches:
        for f in feats:
            fed[tuple(f["input_ids"].tolist())] = True
    for i, text in enumerate(texts[:6]):
        assert tuple(_reference(tokenizer, text, not planted[i], 4, 64)) in fed


def test_the_stock_trainer_groups_by_the_precomputed_lengths():
    """make_trainer: a stock Trainer over row indices whose sampler is transformers'
    LengthGroupedSampler fed with our lengths (no private method overridden), and whose
    collator fetches the rows themselves."""
    import tempfile

    from transformers.trainer_pt_utils import LengthGroupedSampler

    lengths = [5, 40, 7, 33, 12, 28, 3, 19]
    examples = tf._Examples("input_ids", [np.arange(1, n + 1) for n in lengths], np.zeros((8, 10)))
    firm = _firm(64)
    with tempfile.TemporaryDirectory() as tmp:
        args = firm.training_arguments(tmp)
        args.per_device_train_batch_size = 2
        trainer = tf.make_trainer(
            model=torch.nn.Linear(1, 1),
            args=args,
            examples=examples,
            collate=tf.collate,
            lengths=lengths,
        )
        sampler = trainer._get_train_sampler()
        assert isinstance(sampler, LengthGroupedSampler) and list(sampler.lengths) == lengths
        # the Trainer's dataset holds the row indices and lengths the collator reads
        assert trainer.train_dataset[3] == {"row": 3, "length": 33}
        batch = trainer.data_collator([trainer.train_dataset[i] for i in (1, 3)])
        assert (
            batch["input_ids"].shape == (2, 40) and batch["attention_mask"].sum().item() == 40 + 33
        )
        # and the Trainer's own loader (its sampler, the row column, the collator) feeds whole
        # examples: each row of a batch is 1..n for one of the lengths n
        for batch in trainer.get_train_dataloader():
            for ids, mask in zip(batch["input_ids"], batch["attention_mask"], strict=True):
                n = int(mask.sum())
                assert n in lengths and ids[:n].tolist() == list(range(1, n + 1))


def test_kv_examples_and_collate_kv_pad_in_the_stored_dtype():
    """The key/value path's batches (freeze_kv) against padding written out by hand: rows of
    3, 1 and 4 tokens of width 2H = 4, stored in float16, zero-padded to 4 tokens."""
    from collective.firms.transformer.batches import KVExamples, collate_kv

    kv = [np.full((n, 4), n + 0.5, dtype=np.float16) for n in (3, 1, 4)]
    cls = [np.full(2, 10.0 * n, dtype=np.float16) for n in (3, 1, 4)]
    Y = [[1, 0], [0, 1], [1, 1]]
    data = KVExamples(list(zip(kv, cls, strict=True)), Y)
    assert len(data) == 3
    item = data[1]
    assert set(item) == {"kv", "cls", "labels"}
    assert item["kv"] is kv[1] and item["cls"] is cls[1]  # no per-example copy
    assert item["labels"].dtype == np.float32 and item["labels"].tolist() == [0.0, 1.0]
    batch = collate_kv([data[i] for i in range(3)])
    assert set(batch) == {"kv", "cls", "attention_mask", "labels"}
    assert batch["kv"].dtype == torch.float16 and batch["kv"].shape == (3, 4, 4)
    assert batch["kv"].tolist() == [
        [[3.5] * 4] * 3 + [[0.0] * 4],
        [[1.5] * 4] + [[0.0] * 4] * 3,
        [[4.5] * 4] * 4,
    ]
    assert batch["cls"].dtype == torch.float16
    assert batch["cls"].tolist() == [[30.0, 30.0], [10.0, 10.0], [40.0, 40.0]]
    assert batch["attention_mask"].dtype == torch.int64
    assert batch["attention_mask"].tolist() == [[1, 1, 1, 0], [1, 0, 0, 0], [1, 1, 1, 1]]
    assert batch["labels"].dtype == torch.float32 and batch["labels"].tolist() == Y
    # without labels (prediction): no labels in the item or the batch
    bare = KVExamples(list(zip(kv, cls, strict=True)))
    assert set(bare[0]) == {"kv", "cls"}
    one = collate_kv([bare[2]])
    assert set(one) == {"kv", "cls", "attention_mask"}
    assert one["kv"].shape == (1, 4, 4) and one["attention_mask"].tolist() == [[1, 1, 1, 1]]
