"""What the transformer firm trains, as one object (:mod:`collective.firms.transformer.trained_part`):
chosen from the firm's parameters (which, and so every cache key, stay as they were), named
in the record as the report names the learner, and behind one fit and one predict loop.

The Trainer is replaced by a recorder (no training), so each part's network is the pretrained
one: every part must then predict the stock model's scores, whatever it reads from the caches.
"""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from _recorder import recording_trainer  # noqa: E402
from _synthetic import synthetic_resumes  # noqa: E402

from collective.firms.transformer import firm as tf  # noqa: E402
from collective.resumes.tokens import tokenize_texts  # noqa: E402

#: Firm parameters -> the trained part's repr.
PARTS = {
    "every layer": ({}, "EveryLayer()"),
    "top 2 layers": ({"train_layers": 2}, "TopLayers(2)"),
    "whole top layer": ({"train_layers": 1}, "TopLayers(1)"),
    "whole top layer, computed live": ({"train_layers": 1, "cache_frozen": False}, "TopLayers(1)"),
    "top layer, K/V frozen": ({"train_layers": 1, "freeze_kv": True}, "TopLayerFrozenKV()"),
}


@pytest.mark.parametrize("case", sorted(PARTS))
def test_the_trained_part_is_chosen_from_the_parameters_and_named_as_the_report_names_it(case):
    from collective.report.learners import learner_name

    params, expected = PARTS[case]
    firm = tf.TransformerFirm(**params)
    assert repr(firm.trained_part) == expected
    row = {"firm": "transformer", "train_layers": params.get("train_layers")}
    row["freeze_kv"] = params.get("freeze_kv", False)
    assert firm.trained_part.name == learner_name(row)
    # not a parameter: the cache key is what it was
    assert "trained_part" not in firm.params()
    assert set(firm.params()) == set(tf.TransformerFirm().params()) | set(params) - {"cache_frozen"}


@pytest.fixture(scope="module")
def resumes(tokenizer):
    texts = [text for text, _ in synthetic_resumes(8, seed=3)]
    return tokenize_texts(texts, tokenizer)


def _stock_scores(firm: tf.TransformerFirm, inputs: list[np.ndarray]) -> np.ndarray:
    net = tf.load_model(firm.model, seed=firm.seed).eval()
    with torch.no_grad():
        return np.stack(
            [
                torch.sigmoid(net(input_ids=torch.as_tensor(x)[None]).logits[0]).numpy()
                for x in inputs
            ]
        )


@pytest.mark.parametrize("case", sorted(PARTS))
def test_one_fit_and_one_predict_loop_for_every_trained_part(case, resumes, tmp_path, monkeypatch):
    params, _ = PARTS[case]
    seen: dict = {}
    monkeypatch.setattr(tf, "make_trainer", recording_trainer(seen))
    firm = tf.TransformerFirm(
        max_length=40,
        device="cpu",
        precision="fp32",
        threads=1,
        progress=False,
        frozen_dtype="float32",
        frozen_cache=str(tmp_path),
        **params,
    )
    Y = (np.arange(80).reshape(8, 10) % 3 == 0).astype(np.uint8)
    planted = np.arange(8) % 2 == 0
    firm.fit(resumes, Y, planted=planted, spacing=4)
    part = firm.trained_part
    assert firm.fit_info["trained_part"] == part.name
    kv = params.get("freeze_kv", False)
    assert seen["collate"] is (tf.collate_kv if kv else tf.collate)
    assert (type(seen["model"]).__name__ == "ClsKVHead") == kv
    assert len(seen["examples"]) == 8 and "labels" in seen["examples"][0]
    assert seen["lengths"] == [len(x) for x in firm.model_inputs(resumes, planted, 4)]

    # what training would move: the part's layers only
    trainable = {n for n, p in firm.model_.named_parameters() if p.requires_grad}
    layers = {int(n.split("layer.")[1].split(".")[0]) for n in trainable if "layer." in n}
    k = params.get("train_layers") or 6
    assert layers == set(range(6 - k, 6)) and "classifier.weight" in trainable
    assert any("embeddings" in n for n in trainable) == (k == 6)
    top_kv = {f"bert.encoder.layer.5.attention.self.{p}.weight" for p in ("key", "value")}
    assert top_kv.isdisjoint(trainable) == kv
    assert firm.fit_info["n_frozen_layers"] == 6 - k

    # untrained, every part computes the stock model's function
    clean = np.zeros(8, bool)
    for flags in (clean, ~planted):
        P = firm.predict_proba(resumes, planted=flags, spacing=4)
        expected = _stock_scores(firm, firm.model_inputs(resumes, flags, 4))
        np.testing.assert_allclose(P, expected, atol=1e-5)
