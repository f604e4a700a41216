"""The firms: learners with fit/predict_proba, from a fast linear model to transformer fine-tuning.

``make_firm("linear", ...)`` gives :class:`collective.firms.linear.LinearFirm` (TF-IDF over
WordPiece ids + one-vs-rest logistic regression, seconds per run on a laptop);
``make_firm("transformer", ...)`` gives :class:`collective.firms.transformer.TransformerFirm`
(imported lazily: torch is slow to import).

One subpackage per firm family: :mod:`collective.firms.linear` (the firm and its Newton-CG
solver) and :mod:`collective.firms.transformer` (the firm and its internals: caches of the
frozen layers, the ``[CLS]`` layer, batches, device, pretrained weights). Here: this registry,
the interface every firm implements (:mod:`collective.firms.base`) and the parameters of every
firm, declared once and torch-free (:mod:`collective.firms.params`).
"""

from __future__ import annotations

import importlib
from typing import Any

from collective.errors import ConfigError
from collective.firms.base import Firm
from collective.firms.params import PARAMS, canonical_params, declared

#: Firm name -> "module:class" (imported on first use).
FIRMS: dict[str, str] = {
    "linear": "collective.firms.linear:LinearFirm",
    "transformer": "collective.firms.transformer:TransformerFirm",
}


def firm_class(name: str) -> type:
    """The class behind a firm name."""
    if name not in FIRMS:
        raise ConfigError(f"unknown firm {name!r}; choose one of: {', '.join(FIRMS)}")
    module, cls = FIRMS[name].split(":")
    return getattr(importlib.import_module(module), cls)


def make_firm(name: str, **params: Any) -> Firm:
    """A new, unfitted firm ``name`` with ``params`` (its constructor's keyword arguments)."""
    cls = firm_class(name)
    try:
        return cls(**params)
    except TypeError as err:
        raise ConfigError(f"bad parameters for the {name} firm: {err}") from err


__all__ = ["FIRMS", "PARAMS", "Firm", "canonical_params", "declared", "firm_class", "make_firm"]
