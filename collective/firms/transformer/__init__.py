"""The transformer firm and its internals.

* :mod:`collective.firms.transformer.firm`: :class:`TransformerFirm`, which fine-tunes a
  pretrained transformer (one fit, one predict loop);
* :mod:`collective.firms.transformer.trained_part`: what it trains (every layer, the top
  ``k`` layers, the top layer with its keys and values frozen), chosen from its parameters;
* :mod:`collective.firms.transformer.frozen_features`: the features of the frozen lower layers
  it trains on, read from :mod:`collective.firms.transformer.frozen` (the frozen-layer cache)
  and :mod:`collective.firms.transformer.kv_store` (the key/value cache, filled by
  :mod:`collective.firms.transformer.kv_cache`, the command ``collective kv-cache``);
* :mod:`collective.firms.transformer.cls_layer` and :mod:`collective.firms.transformer.kv_head`:
  the top layer computed for ``[CLS]`` alone;
* :mod:`collective.firms.transformer.batches`, :mod:`collective.firms.transformer.device`,
  :mod:`collective.firms.transformer.pretrained`: batches and the ``Trainer``, device and
  precision, the pretrained weights and tokenizer.

The names the firm's module exports are re-exported here, so
``collective.firms.transformer.TransformerFirm`` is the name the registry
(:data:`collective.firms.FIRMS`) uses. The firm looks up its helpers (``make_trainer``,
``collate``, ``load_model``, ...) in :mod:`collective.firms.transformer.firm`: patch them there.
The internals used to sit directly under :mod:`collective.firms` (``collective.firms.frozen``,
``collective.firms.kv_cache``, ...); those names are kept as aliases of the modules here.
"""

from __future__ import annotations

from collective.firms.transformer.firm import (
    CLS_PATH_FP32,
    DEFAULT_MODEL,
    PAPER_MODEL,
    PRECISIONS,
    FrozenFeatures,
    KVExamples,
    KVStore,
    RowCollator,
    TransformerFirm,
    TransformerParams,
    autocast,
    cls_only_last_layer,
    collate,
    collate_kv,
    cpu_supports_bf16,
    describe_device,
    length_batches,
    load_model,
    load_tokenizer,
    make_trainer,
    n_cores,
    resolve_device,
    resolve_model_path,
    resolve_precision,
)

__all__ = [
    "CLS_PATH_FP32",
    "DEFAULT_MODEL",
    "PAPER_MODEL",
    "PRECISIONS",
    "FrozenFeatures",
    "KVExamples",
    "KVStore",
    "RowCollator",
    "TransformerFirm",
    "TransformerParams",
    "autocast",
    "cls_only_last_layer",
    "collate",
    "collate_kv",
    "cpu_supports_bf16",
    "describe_device",
    "length_batches",
    "load_model",
    "load_tokenizer",
    "make_trainer",
    "n_cores",
    "resolve_device",
    "resolve_model_path",
    "resolve_precision",
]
