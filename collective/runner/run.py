"""Running one experiment: train the firm on the manipulated training set, evaluate, record.

:func:`run` returns the cached record of a config if there is one, else computes it with
:func:`compute` and appends it to the cache.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from typing import Any

import numpy as np

from collective.errors import CacheMissError
from collective.runner.cache import append_record, read_records
from collective.runner.config import RunConfig
from collective.runner.paths import results_path
from collective.runner.provenance import provenance


@dataclass
class Context:
    """The tokenized corpus and labels, loaded once per process."""

    train: Any
    test: Any
    Y_train: np.ndarray
    Y_test: np.ndarray
    data_sha256: str
    tokens_key: str


_CONTEXTS: dict[str, Context] = {}


def clear_contexts() -> None:
    """Forget the loaded corpora (e.g. after pointing ``COLLECTIVE_RESUMES`` elsewhere)."""
    _CONTEXTS.clear()


def load_context(data: str | os.PathLike | None = None, *, progress: bool = False) -> Context:
    """Load (once per process) the corpus, its tokenization and label matrices."""
    cache_key = str(data)
    if cache_key not in _CONTEXTS:
        from collective.resumes.corpus import load_corpus
        from collective.resumes.tokens import tokenize_corpus

        corpus = load_corpus(data, progress=progress)
        tokens = tokenize_corpus(corpus, progress=progress)
        _CONTEXTS[cache_key] = Context(
            train=tokens.train,
            test=tokens.test,
            Y_train=corpus.label_matrix("train"),
            Y_test=corpus.label_matrix("test"),
            data_sha256=corpus.sha256,
            tokens_key=tokens.key,
        )
    return _CONTEXTS[cache_key]


def train_subset(n_train: int, max_train: int | None) -> np.ndarray:
    """Indices of the training subset of size ``max_train`` (fixed seed, sorted)."""
    if max_train is None or max_train >= n_train:
        return np.arange(n_train)
    rng = np.random.default_rng([int(max_train), 0x5EB5E7])
    return np.sort(rng.choice(n_train, size=max_train, replace=False))


def compute(config: RunConfig, ctx: Context, *, firm_options: dict | None = None) -> dict:
    """Train and evaluate one config (no cache involved); returns the record."""
    from collective.firms import make_firm
    from collective.resumes.evaluation import evaluate
    from collective.resumes.strategies import apply_strategy

    start = time.perf_counter()
    idx = train_subset(len(ctx.train), config.max_train)
    X_train = ctx.train if len(idx) == len(ctx.train) else ctx.train.subset(idx)
    plan = apply_strategy(
        ctx.Y_train[idx],
        strategy=config.strategy,
        target=config.target,
        alpha=config.alpha,
        seed=config.seed,
        random_labels=config.random_labels,
    )
    firm = make_firm(config.firm, **config.firm_params, **(firm_options or {}))
    firm.reference_labels = ctx.Y_train[idx]  # the clean labels: a firm may warm-start from them
    firm.fit(X_train, plan.Y, planted=plan.planted, spacing=config.spacing)
    metrics = evaluate(firm, ctx.test, ctx.Y_test, target=config.target, spacing=config.spacing)
    metrics["n_collective"] = plan.n_collective
    metrics["n_train"] = int(len(idx))
    metrics["n_randomized"] = int(len(plan.randomized))
    metrics.update({f"fit_{k}": v for k, v in firm.fit_info.items()})
    wall = time.perf_counter() - start
    return {
        "key": config.key(),
        "config": config.as_dict(),
        "metrics": metrics,
        "provenance": provenance(ctx.data_sha256, ctx.tokens_key, firm.device, wall),
    }


def run(
    config: RunConfig,
    *,
    results_dir: str | os.PathLike | None = None,
    allow_train: bool = True,
    data: str | os.PathLike | None = None,
    firm_options: dict | None = None,
    progress: bool = False,
) -> dict:
    """The record of ``config``: from the cache if there, else computed and appended.

    The returned record has ``cached`` (bool) set. ``firm_options`` are constructor arguments
    that do not change what is learned (e.g. ``device``); they are not part of the key.
    """
    path = results_path(config.firm, results_dir)
    record = read_records(path).get(config.key())
    if record is not None:
        return {**record, "cached": True}
    if not allow_train:
        raise CacheMissError(f"no cached result for {config} in {path}; compute it with:\n  {config.command()}")
    ctx = load_context(data, progress=progress)
    record = compute(config, ctx, firm_options=firm_options)
    if not append_record(path, record):  # another sweep finished it first: keep theirs
        return {**read_records(path)[config.key()], "cached": True}
    return {**record, "cached": False}
