"""The batched executor (``collective sweep --executor batched``): the transformer runs of a
sweep that can share a stacked model train K at a time
(:func:`collective.firms.transformer.batched.fit_batched`); the others run one at a time.

Each run's record has the form and key of a single run's (same config, same metrics,
computed by the same evaluation on its own network), with provenance saying it was trained
in a batch: ``batch_runs`` (K), ``batch_index`` (its place) and ``batch_id`` (the hash of
the batch's keys, which also seeds its dropout). Its ``wall_seconds`` and ``fit_*`` timings
are its share of the batch's training plus its own evaluation.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import time
from collections.abc import Sequence

from collective.errors import CollectiveError, ConfigError
from collective.io import json_default
from collective.runner import claims
from collective.runner.cache import append_record, check_record, read_records, seal
from collective.runner.config import RunConfig
from collective.runner.execute import (
    ClaimedElsewhere,
    Context,
    _claim,
    _runnable_context,
    checkpoint_metrics,
    collective_plan,
    collectives_of,
    results_folder,
    run,
    train_subset,
    training_resumes,
)
from collective.runner.paths import bind_folder
from collective.runner.record import Record

#: Runs per batch by default (``--runs-per-batch``): on one GPU, more runs per batch means
#: fewer, larger kernels, up to the device's memory (about 0.4 GB per MiniLM run at batch 8).
DEFAULT_RUNS_PER_BATCH = 16


def signature(config: RunConfig, n_train_total: int) -> tuple | None:
    """What ``config`` must share with the others of its batch (``None``: it runs alone):
    a planting run of the transformer firm with every layer trained, of one collective and
    without defences (the single runs' path records those)."""
    from collective.firms import firm_class

    if config.signal or config.defences or config.others:
        return None
    if not getattr(firm_class(config.firm), "trains_in_batches", False):
        return None
    from collective.firms.transformer.batched import batch_signature

    n_train = len(train_subset(n_train_total, config.max_train))
    return batch_signature(config.firm_params, n_train)


def batch_groups(
    configs: Sequence[RunConfig], n_train_total: int, runs_per_batch: int
) -> tuple[list[list[RunConfig]], list[RunConfig]]:
    """(batches, singles): the configs that share a :func:`signature` in batches of at most
    ``runs_per_batch`` (of near-equal sizes), in the grid's order; the rest, and any
    signature met only once, one at a time."""
    groups: dict[tuple, list[RunConfig]] = {}
    singles: list[RunConfig] = []
    for config in configs:
        sig = signature(config, n_train_total)
        if sig is None:
            singles.append(config)
        else:
            groups.setdefault(sig, []).append(config)
    batches: list[list[RunConfig]] = []
    for members in groups.values():
        if len(members) == 1:
            singles.extend(members)
            continue
        n = math.ceil(len(members) / runs_per_batch)
        size = math.ceil(len(members) / n)
        batches.extend(members[i : i + size] for i in range(0, len(members), size))
    return batches, singles


def batch_id(configs: Sequence[RunConfig]) -> str:
    """The hash of a batch's keys (12 hex digits)."""
    keys = "|".join(sorted(c.key() for c in configs))
    return hashlib.sha256(keys.encode()).hexdigest()[:12]


def compute_batch(
    configs: Sequence[RunConfig], ctx: Context, *, firm_options: dict | None = None
) -> list[Record]:
    """Train ``configs`` (one batch: see :func:`batch_groups`) as one stacked model and
    evaluate each; returns their sealed records, in order (no cache involved)."""
    from collective.firms import make_firm
    from collective.firms.transformer import TransformerFirm
    from collective.firms.transformer.batched import BatchRun, fit_batched
    from collective.runner.record import make_record

    start = time.perf_counter()
    idx, X = training_resumes(ctx, configs[0].max_train)
    Y_clean = ctx.Y_train[idx]
    plans, runs = [], []
    for c in configs:
        plan = collective_plan(c, Y_clean, X)
        firm = make_firm(c.firm, **c.firm_params, **(firm_options or {}))
        if not isinstance(firm, TransformerFirm):  # batch_groups batches transformer runs only
            raise ConfigError(f"only transformer runs train in a batch, not {c.firm} runs")
        firm.reference_labels = Y_clean
        plans.append(plan)
        runs.append(BatchRun(firm, plan.Y, plan.planted, c.spacing))
    ident = batch_id(configs)
    fit_batched(runs, X, dropout_seed=int(ident, 16) % 2**31)
    share = (time.perf_counter() - start) / len(configs)
    records = []
    for i, (c, run_, plan) in enumerate(zip(configs, runs, plans, strict=True)):
        began = time.perf_counter()
        [collective] = collectives_of(c)
        metrics = collective.evaluate(run_.firm, ctx.test, ctx.Y_test, spacing=c.spacing)
        record = make_record(
            c,
            ctx,
            run_.firm,
            metrics,
            plan=plan,
            n_train=len(idx),
            extra={
                **collective.record_facts({}, plan),
                **checkpoint_metrics(run_.firm, collective, ctx, c.spacing),
            },
            start=began,
            wall_seconds=share + time.perf_counter() - began,
            provenance_extra={"batch_runs": len(configs), "batch_index": i, "batch_id": ident},
        )
        run_.firm.model_ = None  # the next run's evaluation needs the memory more
        records.append(seal(json.loads(json.dumps(record, default=json_default))))
    return records


def run_batch(
    configs: Sequence[RunConfig],
    *,
    results_dir: str | os.PathLike | None = None,
    data: str | os.PathLike | None = None,
    firm_options: dict | None = None,
) -> list[str]:
    """Compute one batch through the cache: each config is claimed (one another process
    holds is left to the end and waited for, one cached meanwhile is not computed), the
    claimed ones trained together, their records appended. Returns each config's status
    (``computed``, ``cached`` or ``elsewhere``)."""
    folder, sha, _ = results_folder(results_dir, data)
    ctx, folder, sha = _runnable_context(
        configs[0], results_dir, data, firm_options, False, folder, sha
    )
    path = folder / "transformer.jsonl"
    bind_folder(folder, sha)
    statuses: list[str] = []
    claimed: list[RunConfig] = []
    deferred: list[RunConfig] = []
    cached = read_records(path, sha)
    for config in configs:
        if config.key() in cached:
            statuses.append("cached")
            continue
        try:
            if _claim(config, path, sha, wait=False, progress=False) is not None:
                statuses.append("elsewhere")
            else:
                claimed.append(config)
        except ClaimedElsewhere:
            deferred.append(config)
    try:
        if len(claimed) > 1:
            records = compute_batch(claimed, ctx, firm_options=firm_options)
        elif claimed:
            from collective.runner.execute import compute

            records = [compute(claimed[0], ctx, firm_options=firm_options)]
        else:
            records = []
        for record in records:
            what = check_record(record, sha)
            if what is not None:  # a bug: never record what would not be served
                raise CollectiveError(f"a batched run's record fails the checks on read ({what})")
        for record in records:
            statuses.append("computed" if append_record(path, record) else "elsewhere")
    finally:
        for config in claimed:
            claims.release(path, config.key())
    for config in deferred:
        statuses.append(
            run(config, results_dir=results_dir, data=data, firm_options=firm_options)["status"]
        )
    return statuses
