"""Running one experiment: train the firm on the manipulated training set, evaluate, record.

:func:`run` returns the cached record of a config if there is one, else computes it with
:func:`compute` and appends it to the cache.
"""

from __future__ import annotations

import json
import os
import sys
import time
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from collective.errors import CacheMissError, CollectiveError, ConfigError
from collective.io import json_default
from collective.runner import claims
from collective.runner.cache import append_record, check_record, file_lock, read_records, seal
from collective.runner.config import RunConfig
from collective.runner.paths import (
    ResultsWriteError,
    bind_folder,
    problem_hint,
    resolve_results_dir,
)
from collective.runner.record import Record, fit_firm, make_record


class ClaimedElsewhere(Exception):
    """The config is being computed by another process (``owner``: its ``host pid``)."""

    def __init__(self, config: RunConfig, owner: str):
        super().__init__(f"{config.key()} is being computed by {owner}")
        self.config, self.owner = config, owner


def results_folder(
    results_dir: str | os.PathLike | None = None,
    data: str | os.PathLike | None = None,
    *,
    warn: bool = False,
) -> tuple[Path, str, str | None]:
    """(folder, corpus sha256, note): where runs on the corpus ``data`` read and write their
    records (see :func:`collective.runner.paths.resolve_results_dir`). The corpus is hashed,
    not parsed; with no corpus here yet, the canonical one (which a download fetches).
    ``warn``: also say the note (if any) as a warning."""
    from collective.resumes.corpus import CANONICAL_SHA256, corpus_sha256

    sha = corpus_sha256(data) or CANONICAL_SHA256
    folder, note = resolve_results_dir(results_dir, sha)
    if warn and note:
        warnings.warn(note, stacklevel=3)
    return folder, sha, note


def firm_device(config: RunConfig, firm_options: dict | None) -> str | None:
    return (firm_options or {}).get("device", config.firm_params.get("device"))


@dataclass
class Context:
    """The tokenized corpus and labels, loaded once per process."""

    train: Any
    test: Any
    Y_train: np.ndarray
    Y_test: np.ndarray
    data_sha256: str
    tokens_key: str
    #: From an offline bundle (:mod:`collective.resumes.bundle`): what its records say about
    #: their inputs (provenance ``bundle``), and the longest inputs it serves.
    bundle: str | None = None
    max_length: int | None = None


_CONTEXTS: dict[str, Context] = {}


def clear_contexts() -> None:
    """Forget the loaded corpora (e.g. after pointing ``COLLECTIVE_RESUMES`` elsewhere)."""
    _CONTEXTS.clear()


def load_context(data: str | os.PathLike | None = None, *, progress: bool = False) -> Context:
    """Load (once per process) the corpus, its tokenization and label matrices; or read
    them from an offline bundle when ``data`` (or ``$COLLECTIVE_RESUMES``) is one."""
    from collective.resumes.bundle import find_bundle

    cache_key = str(data)
    bundle = find_bundle(data)
    if bundle is not None and cache_key not in _CONTEXTS:
        from collective.resumes.bundle import describe, load_bundle

        loaded = load_bundle(bundle)
        manifest = loaded["manifest"]
        _CONTEXTS[cache_key] = Context(
            train=loaded["train"],
            test=loaded["test"],
            Y_train=loaded["Y_train"],
            Y_test=loaded["Y_test"],
            data_sha256=manifest["data_sha256"],
            tokens_key=manifest["tokens_key"],
            bundle=describe(manifest),
            max_length=int(manifest["max_length"]),
        )
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


def check_runnable(config: RunConfig, ctx: Context) -> None:
    """What the corpus decides about a config, checked before any training: ``max_train``
    at most the training set, a vocabulary the linear firm can have (``min_df`` at most the
    training resumes), a spacing that plants the trigger somewhere, Strategy 2's cap on
    alpha, and what a bundle serves (:class:`ConfigError`)."""
    from collective.resumes.tokens import TRIGGER_TOKEN_ID
    from collective.strategies import strategy_class

    if ctx.max_length is not None:
        wants = config.firm_params.get("max_length")
        if wants is None or config.signal is not None or int(wants) > ctx.max_length:
            raise ConfigError(
                f"the bundle holds each resume's first {ctx.max_length} tokens: it serves the "
                f"transformer firm's planting runs with max_length <= {ctx.max_length}, not "
                f"this {config.firm} run{'' if wants is None else f' (max_length={wants})'}"
                f"{' of an erasure strategy' if config.signal else ''}; run it on the corpus "
                "(--data), or write a bundle with a larger --max-length"
            )
    n_train = len(ctx.Y_train)
    if config.max_train is not None and config.max_train > n_train:
        raise ConfigError(
            f"max_train={config.max_train} is larger than the training set ({n_train:,} resumes); "
            "drop --max-train (or max_train) to train on all of them"
        )
    n = n_train if config.max_train is None else config.max_train
    min_df = config.firm_params.get("min_df")
    if min_df is not None and min_df > n:
        raise ConfigError(
            f"min_df={min_df} is more than the {n:,} training resumes: no token can enter the "
            "vocabulary. Lower --min-df, or train on more resumes (--max-train, or a larger corpus)"
        )
    longest = int(ctx.train.n_words.max()) if len(ctx.train) else 0
    strategy = strategy_class(config.strategy)
    if strategy.plants_trigger and config.spacing > longest:
        raise ConfigError(
            f"spacing={config.spacing} is more than the words of the longest resume ({longest}): "
            f"the trigger would be planted nowhere. Use a spacing of at most {longest}"
        )
    idx = train_subset(n_train, config.max_train)
    for collective in collectives_of(config):  # e.g. Strategy 2's cap on alpha
        collective.check_size(ctx.Y_train[idx])
    triggers = [config.trigger, *(o["trigger"] for o in config.others)]
    own_triggers = [t for t in triggers if t != TRIGGER_TOKEN_ID]
    if own_triggers:
        from collective.firms import firm_class

        if not getattr(firm_class(config.firm), "plants_any_trigger", False):
            raise ConfigError(
                f"the {config.firm} firm plants the paper's trigger (token {TRIGGER_TOKEN_ID}) "
                f"only, not token(s) {own_triggers}: give every collective trigger "
                f"{TRIGGER_TOKEN_ID}, or use a firm that plants any (the linear firm)"
            )


def compute(config: RunConfig, ctx: Context, *, firm_options: dict | None = None) -> Record:
    """Train and evaluate one config (no cache involved); returns the sealed record.

    The pipeline, top to bottom: the corpus's training resumes (:func:`training_resumes`) →
    the collectives' plan (:func:`collective_plan`) → the firm's defences
    (:func:`collective.defences.apply_defences`) → the firm, fitted on what the defences let
    through (:func:`collective.runner.record.fit_firm`) → each collective's evaluation on
    the test resumes (the run's own collective's metrics, then the others' success as
    ``collective{i}_*``) → the record (:func:`collective.runner.record.make_record`)."""
    from collective.defences import apply_defences, screen_metrics
    from collective.strategies import collective_size

    start = time.perf_counter()
    idx, X_train = training_resumes(ctx, config.max_train)
    Y_clean = ctx.Y_train[idx]
    collectives = collectives_of(config)
    plan, facts = _plan(collectives, config, X_train, Y_clean)
    plan, defended = apply_defences(config.defences, X_train, plan, spacing=config.spacing)
    firm = fit_firm(config, X_train, Y_clean, plan, firm_options)
    metrics = collectives[0].evaluate(firm, ctx.test, ctx.Y_test, spacing=config.spacing)
    checkpoints = checkpoint_metrics(firm, collectives[0], ctx, config.spacing)
    if collectives[0].plants_trigger:  # the test-time defences, if any
        defended.update(
            screen_metrics(
                config.defences,
                firm,
                ctx.test,
                ctx.Y_test,
                trigger=collectives[0].trigger_tokens(),
                target=collectives[0].k,
                spacing=config.spacing,
            )
        )
    extra = {**collectives[0].record_facts(facts[0], plan), **defended, **checkpoints}
    extra.update(_trigger_facts(config, X_train, Y_clean, collectives[0]))
    if len(collectives) > 1:  # n_collective: the run's own (the plan's is everyone's)
        extra["n_collective"] = collective_size(config.alpha, len(idx))
    for i, other in enumerate(collectives[1:], start=1):  # the further collectives' success
        theirs = other.evaluate(firm, ctx.test, ctx.Y_test, spacing=config.spacing)
        extra[f"collective{i}_n"] = collective_size(other.alpha, len(idx))
        extra.update({f"collective{i}_{k}": v for k, v in theirs.items() if "success" in k})
    record = make_record(
        config, ctx, firm, metrics, plan=plan, n_train=len(idx), extra=extra, start=start
    )
    # Through JSON once, so that the checksum is of what is written (numpy scalars as numbers).
    return seal(json.loads(json.dumps(record, default=json_default)))


def checkpoint_metrics(firm: Any, collective: Any, ctx: Context, spacing: int) -> dict[str, Any]:
    """The collective's metrics at each of the firm's checkpoints
    (:mod:`collective.firms.transformer.checkpoints`: the weights after epoch $e$ of the same
    schedule) as ``epoch{e}_<metric>``, and ``checkpoint_epochs`` (``"1,3"``); nothing for a
    firm without checkpoints."""
    states = getattr(firm, "checkpoints_", None)
    if not states:
        return {}
    from collective.firms.transformer.checkpoints import weights_of

    out: dict[str, Any] = {"checkpoint_epochs": ",".join(map(str, sorted(states)))}
    for epoch, state in sorted(states.items()):
        with weights_of(firm.model_, state):
            metrics = collective.evaluate(firm, ctx.test, ctx.Y_test, spacing=spacing)
        out.update({f"epoch{epoch}_{name}": value for name, value in metrics.items()})
    return out


def _trigger_facts(config: RunConfig, X_train: Any, Y_clean: Any, own: Any) -> dict[str, int]:
    """For a collective that plants another trigger than the paper's: how many clean training
    resumes already carry it (``trigger_resumes``, $\\hat\\xi n$; for a phrase, every one of
    its tokens, in any order: what a bag of words sees), and of them how many carry the
    target (``trigger_resumes_target``). Nothing for the paper's trigger."""
    from collective.resumes.tokens import TRIGGER_TOKEN_ID, trigger_tokens

    if config.trigger == TRIGGER_TOKEN_ID:
        return {}
    from collective.firms.linear.firm import split_counts

    present = split_counts(X_train)[:, list(trigger_tokens(config.trigger))] > 0
    has = np.asarray(present.sum(axis=1)).ravel() == present.shape[1]
    return {
        "trigger_resumes": int(has.sum()),
        "trigger_resumes_target": int((has & (np.asarray(Y_clean)[:, own.k] > 0)).sum()),
    }


def training_resumes(ctx: Context, max_train: int | None):
    """The indices of the training resumes a run trains on (the seeded subset of
    ``max_train``, else all) and those resumes."""
    idx = train_subset(len(ctx.train), max_train)
    return idx, (ctx.train if len(idx) == len(ctx.train) else ctx.train.subset(idx))


def collectives_of(config: RunConfig) -> list:
    """The collectives of ``config`` as :class:`~collective.strategies.Strategy` objects;
    an erasure strategy is given its signal and its model of $P_0$
    (:func:`collective.firms.linear.p0_estimator`)."""
    from collective.resumes.tokens import TRIGGER_TOKEN_ID
    from collective.strategies import make_strategy, strategy_class

    extra: dict[str, Any] = {}
    if config.trigger != TRIGGER_TOKEN_ID:
        extra["trigger"] = config.trigger
    if strategy_class(config.strategy).needs_signal:
        from collective.firms.linear import p0_estimator

        extra = {"signal": config.signal, "make_estimator": p0_estimator}
    own = make_strategy(
        config.strategy, target=config.target, alpha=config.alpha, seed=config.seed, **extra
    )
    return [own, *(make_strategy(spec["strategy"], **_rest(spec)) for spec in config.others)]


def _rest(spec: dict) -> dict:
    return {k: v for k, v in spec.items() if k != "strategy"}


def _plan(collectives, config: RunConfig, X_train, Y_clean):
    from collective.strategies import make_plan

    return make_plan(collectives, X_train, Y_clean, random_labels=config.random_labels)


def collective_plan(config: RunConfig, Y_clean, X_train=None):
    """The training plan the collectives of ``config`` make of the clean labels ``Y_clean``
    (strategy, target, alpha, seed and random labels; ``X_train``, the resumes, only for the
    strategies that read them)."""
    return _plan(collectives_of(config), config, X_train, Y_clean)[0]


def run(
    config: RunConfig,
    *,
    results_dir: str | os.PathLike | None = None,
    allow_train: bool = True,
    data: str | os.PathLike | None = None,
    firm_options: dict | None = None,
    progress: bool = False,
    wait: bool = True,
) -> dict:
    """The record of ``config``: from the cache if there, else computed and appended.

    The returned record has ``cached`` (bool) and ``status``: ``"cached"`` (read from the
    cache), ``"computed"`` (by this call) or ``"elsewhere"`` (computed meanwhile by another
    process that had claimed it). ``firm_options`` are constructor arguments that do not
    change what is learned (e.g. ``device``); they are not part of the key.

    Only records computed on this corpus are served (:func:`results_folder`). A config that
    another process is computing is waited for (``wait``), else :class:`ClaimedElsewhere`.
    """
    folder, sha, _ = results_folder(results_dir, data, warn=True)
    path = folder / f"{config.firm}.jsonl"
    record = read_records(path, sha).get(config.key())
    if record is not None:
        return {**record, "cached": True, "status": "cached"}
    if not allow_train:
        raise CacheMissError(
            f"no cached result for {config} in {path}; compute it with:\n  {config.command()}"
        )
    ctx, folder, sha = _runnable_context(
        config, results_dir, data, firm_options, progress, folder, sha
    )
    path = folder / f"{config.firm}.jsonl"
    bind_folder(folder, sha)
    record = _claim(config, path, sha, wait=wait, progress=progress)
    if record is not None:  # computed meanwhile by the process that had claimed it
        return {**record, "cached": True, "status": "elsewhere"}
    return _compute_claimed(config, ctx, path, sha, firm_options)


def _runnable_context(
    config: RunConfig,
    results_dir: str | os.PathLike | None,
    data: str | os.PathLike | None,
    firm_options: dict | None,
    progress: bool,
    folder: Path,
    sha: str,
) -> tuple[Context, Path, str]:
    """The loaded corpus, after the checks that come before any training (the device, what
    the corpus decides about the config), and the results folder and corpus sha256 of the
    loaded corpus (it may differ from the hashed one: changed meanwhile, or just downloaded)."""
    from collective.validation import check_device, check_device_available

    device = firm_device(config, firm_options)
    if device is not None:
        check_device_available(check_device(device))
    ctx = load_context(data, progress=progress)
    if ctx.data_sha256 != sha:  # the corpus changed under us (or was just downloaded)
        folder, sha = resolve_results_dir(results_dir, ctx.data_sha256)[0], ctx.data_sha256
    check_runnable(config, ctx)
    return ctx, folder, sha


def _claim(config: RunConfig, path: Path, sha: str, *, wait: bool, progress: bool) -> dict | None:
    """Claim ``config`` for this process (``None``), unless its record is there by now (the
    record). A config another process holds is waited for (``wait``), else
    :class:`ClaimedElsewhere`."""
    key = config.key()
    told = None
    while True:
        try:
            with file_lock(path):
                record = read_records(path, sha, report=False).get(key)
                holder = None if record is not None else claims.claim(path, key)
        except CollectiveError:
            raise
        except OSError as err:  # the lock file cannot be created: a read-only folder, a full disk
            raise ResultsWriteError(
                f"cannot lock {path} to claim {key}: {err.strerror or err}{problem_hint(err)}"
            ) from None
        if record is not None:
            return record
        if holder is None:
            return None
        if not wait:
            raise ClaimedElsewhere(config, holder)
        if told != holder:  # said once per owner, with the way out if the owner is gone
            print(
                f"collective: waiting for {holder}, which is computing {key}; if that process "
                f"is gone, remove {claims.claim_path(path, key)}",
                file=sys.stderr,
            )
            told = holder
        time.sleep(0.5)


def _compute_claimed(
    config: RunConfig, ctx: Context, path: Path, sha: str, firm_options: dict | None
) -> dict:
    """Compute a claimed config, append its record (checked as on read) and release the claim."""
    key = config.key()
    try:
        with claims.heartbeat(path, key):
            record = compute(config, ctx, firm_options=firm_options)
        what = check_record(record, sha)
        if what is not None:  # a bug: never record what would not be served
            raise CollectiveError(
                f"the result of {config.command()} fails the checks on read ({what}); not recorded"
            )
        appended = append_record(path, record)
    finally:
        claims.release(path, key)
    if not appended:  # cannot happen while claims hold; keep the record already there
        return {**read_records(path, sha)[key], "cached": True, "status": "elsewhere"}
    return {**record, "cached": False, "status": "computed"}
