"""The firms: learners with fit/predict_proba, from a fast linear model to transformer fine-tuning.

``make_firm("linear", ...)`` gives :class:`collective.firms.linear.LinearFirm` (TF-IDF over
WordPiece ids + one-vs-rest logistic regression, seconds per run on a laptop);
``make_firm("transformer", ...)`` gives :class:`collective.firms.transformer.TransformerFirm`
(imported lazily: torch is slow to import).

One subpackage per firm family: :mod:`collective.firms.linear` (the firm and its Newton-CG
solver) and :mod:`collective.firms.transformer` (the firm and its internals: caches of the
frozen layers, the ``[CLS]`` layer, batches, device, pretrained weights). Here: their registry,
the interface every firm implements (:mod:`collective.firms.base`) and the parameters of every
firm, declared once and torch-free (:mod:`collective.firms.params`).
"""

from __future__ import annotations

from typing import Any

from collective.errors import ConfigError
from collective.firms.base import Firm
from collective.firms.params import FirmParams, LinearParams, TransformerParams
from collective.registry import Registry

#: The firm families: name -> class and parameter declaration (the one place a firm is
#: registered; its cache key, command-line flags and results file all come from here).
FIRMS = Registry("firm")
FIRMS.register(
    "linear",
    "collective.firms.linear:LinearFirm",
    help="TF-IDF over WordPiece ids + one-vs-rest logistic regression, solved to convergence",
    params=LinearParams,
)
FIRMS.register(
    "transformer",
    "collective.firms.transformer:TransformerFirm",
    help="a BERT-family classifier fine-tuned with the Hugging Face Trainer's defaults",
    params=TransformerParams,
)


def declared(name: str) -> type[FirmParams]:
    """The parameter declaration of firm ``name``."""
    params = FIRMS[name].params
    assert params is not None  # every firm declares its parameters
    return params


def canonical_params(name: str, params: dict[str, Any]) -> dict[str, Any]:
    """``params`` checked, with the firm's defaults filled in and speed-only ones left out:
    what enters a run's cache key."""
    cls = declared(name)
    known = {f.name for f in cls.fields()}
    unknown = sorted(set(params) - known)
    if unknown:
        raise ConfigError(
            f"unknown parameter(s) {unknown} for the {name} firm; its parameters: {', '.join(sorted(known))}"
        )
    values = cls(**params)
    values.validate()
    return values.key_params()


def firm_class(name: str) -> type:
    """The class behind a firm name."""
    return FIRMS.load(name)


def make_firm(name: str, **params: Any) -> Firm:
    """A new, unfitted firm ``name`` with ``params`` (its constructor's keyword arguments)."""
    return FIRMS.create(name, **params)


__all__ = ["FIRMS", "Firm", "canonical_params", "declared", "firm_class", "make_firm"]
