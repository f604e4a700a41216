"""Sweeps: every config of a grid not yet in the cache, on this machine or on SLURM.

Executors: ``local`` (this machine, ``jobs`` processes), ``slurm`` (submitit, one array
task per chunk of configs), ``submitit-local`` (the submitit path on this machine, as the
tests run it) and ``batched`` (this process: the transformer runs that can share a stacked
model train ``runs_per_batch`` at a time, :mod:`collective.runner.batched`; the others one
at a time). A sweep is resumable: finished records are in the cache, so running it again
computes only what is missing.

Before the first run, every config to compute is checked against the corpus
(:func:`~collective.runner.execute.check_runnable`), so a value that fails for only some configs
fails the sweep at once. Each config is claimed before it is computed
(:mod:`~collective.runner.claims`), so two sweeps that share configs compute each once; the
counts say what this sweep computed, found cached, and saw done by another process.

Stopping: on Ctrl-C (or any error) the local pool's workers are stopped before the sweep
returns, so no record is appended afterwards (a worker in the middle of writing a line
finishes the line first). Workers ignore SIGINT themselves, and watch their parent: if it
disappears (``kill -9``), they exit. A worker that dies (``kill -9``, out of memory) is
reported and what it left undone runs again in a fresh pool (a few times at most; then the
sweep stops, keeping what is done).
"""

from __future__ import annotations

import os
import signal
import threading
import time
import warnings
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from collective.errors import CollectiveError, ConfigError
from collective.runner import claims
from collective.runner.cache import WRITE_GUARD, read_records
from collective.runner.config import RunConfig
from collective.runner.execute import (
    ClaimedElsewhere,
    check_runnable,
    firm_device,
    results_folder,
    run,
)
from collective.runner.paths import default_results_dir

EXECUTORS = ("local", "slurm", "submitit-local", "batched")
STATUSES = ("computed", "cached", "elsewhere")
#: How often a worker checks that its parent is alive (seconds).
WATCHDOG_SECONDS = 0.5
#: How many times a local sweep starts a fresh pool after a worker died.
POOL_RESTARTS = 2


def plan(
    configs: Sequence[RunConfig],
    results_dir: str | os.PathLike | None = None,
    data: str | os.PathLike | None = None,
) -> dict:
    """What a sweep would do, without running anything: the results folder (and a note if it
    is not the default), the configs to compute, and counts overall and by firm."""
    folder, sha, note = results_folder(results_dir, data)
    by_firm: dict[str, dict] = {}
    todo: list[RunConfig] = []
    total: Counter = Counter()
    for c in configs:
        if c.firm not in by_firm:
            by_firm[c.firm] = read_records(folder / f"{c.firm}.jsonl", sha)
        total[c.firm] += 1
        if c.key() not in by_firm[c.firm]:
            todo.append(c)
    pending = Counter(c.firm for c in todo)
    firms = {
        f: {"total": n, "cached": n - pending[f], "to_run": pending[f]} for f, n in total.items()
    }
    return {
        "folder": str(folder),
        "data_sha256": sha,
        "note": note,
        "todo": todo,
        "total": len(configs),
        "cached": len(configs) - len(todo),
        "to_run": len(todo),
        "firms": firms,
    }


def missing_configs(
    configs: Sequence[RunConfig], results_dir: str | os.PathLike | None = None
) -> list[RunConfig]:
    """The configs that have no record in the cache (reading each firm's file once)."""
    return plan(configs, results_dir)["todo"]


def _run_list(
    configs: Sequence[RunConfig], results_dir, data, firm_options, on_done=None
) -> list[str]:
    """Run configs in this process; a config another process is computing is left to the end
    and then waited for. Returns the status of each."""
    statuses, deferred = [], []
    for config in configs:
        try:
            statuses.append(
                run(
                    config,
                    results_dir=results_dir,
                    data=data,
                    firm_options=firm_options,
                    wait=False,
                )["status"]
            )
        except ClaimedElsewhere:
            deferred.append(config)
            continue
        if on_done:
            on_done(statuses[-1])
    for config in deferred:
        statuses.append(
            run(config, results_dir=results_dir, data=data, firm_options=firm_options)["status"]
        )
        if on_done:
            on_done(statuses[-1])
    return statuses


def _run_chunk(
    configs: Sequence[dict], results_dir: str | None, data: str | None, firm_options: dict | None
) -> list[str]:
    """Worker: run configs (as dicts) in one process; returns their statuses."""
    return _run_list([RunConfig.from_dict(d) for d in configs], results_dir, data, firm_options)


def _watch_parent(parent: int) -> None:
    while True:
        time.sleep(WATCHDOG_SECONDS)
        if os.getppid() != parent:
            WRITE_GUARD.acquire(timeout=10)  # let a line being written land whole
            os._exit(3)


def _worker_init(parent: int) -> None:
    """Pool initializer: leave Ctrl-C to the parent, and exit when the parent is gone."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    threading.Thread(
        target=_watch_parent, args=(parent,), daemon=True, name="parent-watchdog"
    ).start()


def _stop_pool(pool, procs: list | None = None) -> set[int]:
    """Cancel what has not started and stop every worker now (``procs``: the workers, if the
    pool may have forgotten them); returns their pids."""
    known = list((getattr(pool, "_processes", None) or {}).values())
    procs = list({id(p): p for p in [*(procs or []), *known]}.values())
    pool.shutdown(wait=False, cancel_futures=True)
    for p in procs:
        if p.is_alive():
            p.terminate()  # SIGTERM: a worker writing a line has it blocked until the line is out
    deadline = time.monotonic() + 5
    for p in procs:
        p.join(max(0.0, deadline - time.monotonic()))
        if p.is_alive():
            p.kill()
            p.join(2)
    return {p.pid for p in procs if p.pid is not None}


def _run_local_pool(todo, jobs, rd, dd, firm_options, counts, bar, *, chunk_fn=None) -> None:
    """Run ``todo`` in a pool of ``jobs`` processes. A worker that dies (``kill -9``, the out
    of memory killer) breaks the pool: what was not done runs again in a fresh pool (its
    claims are stale, so they are taken over), at most :data:`POOL_RESTARTS` times; then the
    sweep stops with a :class:`CollectiveError` saying what is done."""
    # Small chunks so the bar moves; each worker keeps its data context between chunks.
    pieces = [todo[i : i + 4] for i in range(0, len(todo), 4)]
    for restart in range(POOL_RESTARTS + 1):
        pieces = _pool_round(
            pieces, jobs, rd, dd, firm_options, counts, bar, chunk_fn or _run_chunk
        )
        if not pieces:
            return
        left = sum(len(piece) for piece in pieces)
        if restart == POOL_RESTARTS:
            raise CollectiveError(
                f"the sweep's worker processes died {restart + 1} times (killed, or out of memory?); "
                f"{len(todo) - left} of {len(todo)} configs run by the pool are done and kept, {left} "
                "are not. Run the same sweep again to compute what is missing (with fewer --jobs if "
                "memory is short)"
            )
        warnings.warn(
            f"a worker process of the sweep died (killed, or out of memory?); starting a fresh pool "
            f"for the {left} configs not done",
            RuntimeWarning,
            stacklevel=2,
        )


def _pool_round(pieces, jobs, rd, dd, firm_options, counts, bar, chunk_fn) -> list:
    """One pool over ``pieces``; returns the pieces a dead worker left undone."""
    import multiprocessing as mp
    from concurrent.futures import ProcessPoolExecutor, as_completed
    from concurrent.futures.process import BrokenProcessPool

    pool = ProcessPoolExecutor(
        max_workers=jobs,
        mp_context=mp.get_context("spawn"),
        initializer=_worker_init,
        initargs=(os.getpid(),),
    )
    undone, procs = [], []
    try:
        futures = {
            pool.submit(chunk_fn, [c.as_dict() for c in piece], rd, dd, firm_options): piece
            for piece in pieces
        }
        procs = list((getattr(pool, "_processes", None) or {}).values())  # before any dies
        for fut in as_completed(futures):
            try:
                statuses = fut.result()
            except BrokenProcessPool:
                undone.append(futures[fut])
                continue
            counts.update(statuses)
            bar.update(len(statuses))
    except BaseException:
        _stop_and_release(pool, procs, pieces, rd)
        raise
    if undone:
        _stop_and_release(pool, procs, pieces, rd)
    else:
        pool.shutdown(wait=True)
    return undone


def _stop_and_release(pool, procs: list, pieces, rd) -> None:
    """Stop the pool's workers and free their claims for the next sweep (or round) at once."""
    pids = _stop_pool(pool, procs)
    for firm in {c.firm for piece in pieces for c in piece}:
        claims.release_pids(Path(rd) / f"{firm}.jsonl", pids)


def _submitit_executor(executor: str, folder: Path, slurm_parameters: dict | None):
    import submitit

    ex: Any
    if executor == "submitit-local":
        ex = submitit.LocalExecutor(folder=folder)
        ex.update_parameters(timeout_min=60)
        return ex
    try:
        ex = submitit.AutoExecutor(folder=folder, cluster="slurm")
    except RuntimeError as err:
        raise CollectiveError(
            f"the slurm executor needs a SLURM cluster ({err}); on one machine use --executor local --jobs N"
        ) from err
    ex.update_parameters(**(slurm_parameters or {"timeout_min": 60, "cpus_per_task": 2}))
    return ex


def _chunks(items: list, n: int) -> list[list]:
    n = max(1, min(n, len(items)))
    return [items[i::n] for i in range(n)]


def validate_for_data(configs: Sequence[RunConfig], data=None, *, progress: bool = False) -> None:
    """Check every config against the corpus before any runs (one :class:`ConfigError`
    listing the configs that cannot run)."""
    if not configs:
        return
    import importlib

    run_module = importlib.import_module(
        "collective.runner.execute"
    )  # looked up at call time (tests replace it)

    ctx = run_module.load_context(data, progress=progress)
    bad = []
    for c in configs:
        try:
            check_runnable(c, ctx)
        except ConfigError as err:
            bad.append(f"{c.command()}: {err}")
    if bad:
        shown = "\n  ".join(bad[:5])
        more = f"\n  ... and {len(bad) - 5} more" if len(bad) > 5 else ""
        raise ConfigError(
            f"{len(bad)} of {len(configs)} configs cannot run on this corpus (nothing was run):\n  {shown}{more}"
        )


def sweep(
    configs: Sequence[RunConfig],
    *,
    executor: str = "local",
    jobs: int = 1,
    results_dir: str | os.PathLike | None = None,
    data: str | os.PathLike | None = None,
    firm_options: dict | None = None,
    progress: bool = True,
    slurm_folder: str | os.PathLike | None = None,
    slurm_parameters: dict | None = None,
    runs_per_batch: int | None = None,
) -> dict[str, int]:
    """Run every config not yet in the cache; returns counts ``total``, ``cached`` (before
    the sweep, or found while it ran), ``computed`` (by this sweep) and ``elsewhere``
    (computed meanwhile by another process that had claimed it)."""
    from tqdm.auto import tqdm

    configs = _checked_sweep(configs, executor, jobs, firm_options, runs_per_batch)
    planned = plan(configs, results_dir, data)
    if planned["note"] and results_dir is None:
        warnings.warn(planned["note"], stacklevel=2)
    todo = planned["todo"]
    counts: Counter = Counter({"computed": 0, "cached": planned["cached"], "elsewhere": 0})
    result = lambda: {"total": len(configs), **{k: counts[k] for k in STATUSES}}  # noqa: E731
    if not todo:
        return result()
    if executor in ("local", "batched"):  # here: the devices must exist here (not a SLURM node's)
        from collective.validation import check_device_available

        for device in {firm_device(c, firm_options) for c in todo}:
            if device is not None:
                check_device_available(device)
        validate_for_data(todo, data, progress=progress)
    rd = planned["folder"]
    dd = str(data) if data is not None else None
    bar = tqdm(total=len(todo), desc="sweep", unit="run", disable=not progress)
    try:
        if executor == "local":
            _sweep_here(todo, jobs, rd, data, dd, firm_options, counts, bar)
        elif executor == "batched":
            _sweep_batched(todo, runs_per_batch, rd, data, firm_options, counts, bar)
        else:
            folder = Path(
                slurm_folder or (Path(results_dir or default_results_dir()).parent / "submitit")
            )
            ex = _submitit_executor(executor, folder, slurm_parameters)
            _sweep_submitit(ex, _chunks(todo, jobs), rd, dd, firm_options, counts, bar)
    finally:
        bar.close()
    return result()


def _checked_sweep(
    configs: Sequence[RunConfig],
    executor: str,
    jobs: int,
    firm_options: dict | None,
    runs_per_batch: int | None = None,
) -> list[RunConfig]:
    """The configs as a list, after checking the executor, ``jobs``, ``runs_per_batch`` and
    every device asked for (:class:`ConfigError`)."""
    from collective.validation import check_device

    if executor not in EXECUTORS:
        raise ConfigError(f"unknown executor {executor!r}; choose one of {', '.join(EXECUTORS)}")
    if isinstance(jobs, bool) or not isinstance(jobs, int) or jobs < 1:
        raise ConfigError(f"jobs must be a positive integer, got {jobs!r}")
    if executor == "batched" and jobs != 1:
        raise ConfigError(
            "the batched executor trains its batches one after another in one process (one "
            "device): drop --jobs, and set the runs trained at once with --runs-per-batch"
        )
    if runs_per_batch is not None and executor != "batched":
        raise ConfigError("--runs-per-batch applies to --executor batched only")
    if runs_per_batch is not None and (
        isinstance(runs_per_batch, bool)
        or not isinstance(runs_per_batch, int)
        or runs_per_batch < 1
    ):
        raise ConfigError(f"runs per batch must be a positive integer, got {runs_per_batch!r}")
    device = (firm_options or {}).get("device")
    if device is not None:
        check_device(device)
    configs = list(configs)
    for c in configs:
        if c.firm_params.get("device") is not None:
            check_device(c.firm_params["device"])
    return configs


def _sweep_here(todo, jobs, rd, data, dd, firm_options, counts: Counter, bar) -> None:
    """The local executor: the first config in this process, the rest in a pool of ``jobs``
    worker processes (all here when ``jobs`` is 1)."""

    def done(status: str) -> None:
        counts[status] += 1
        bar.update()

    # One run here first, so that one-off work (tokenizing, the linear firm's clean
    # fit) lands in the disk caches before any worker starts, instead of in each.
    first = todo if jobs == 1 else todo[:1]
    _run_list(first, rd, data, firm_options, on_done=done)
    if jobs > 1 and len(todo) > 1:
        _run_local_pool(todo[1:], jobs, rd, dd, firm_options, counts, bar)


def _sweep_batched(
    todo, runs_per_batch: int | None, rd, data, firm_options, counts: Counter, bar
) -> None:
    """The batched executor: the batches (:func:`collective.runner.batched.batch_groups`),
    each trained as one stacked model and recorded when it ends, then the runs that cannot
    be batched, one at a time (a warning says how many)."""
    import importlib

    from collective.runner import batched

    run_module = importlib.import_module("collective.runner.execute")  # tests replace it
    n_train = len(run_module.load_context(data).train)
    batches, singles = batched.batch_groups(
        todo, n_train, runs_per_batch or batched.DEFAULT_RUNS_PER_BATCH
    )
    if singles:
        warnings.warn(
            f"{len(singles)} of {len(todo)} configs run one at a time: only transformer "
            "planting runs with every layer trained (train_layers=None) that share the model, "
            "max_length, epochs, batch size, learning rate, precision and training resumes of "
            "another train in a batch",
            stacklevel=3,
        )
    for batch in batches:
        statuses = batched.run_batch(batch, results_dir=rd, data=data, firm_options=firm_options)
        counts.update(statuses)
        bar.update(len(statuses))

    def done(status: str) -> None:
        counts[status] += 1
        bar.update()

    _run_list(singles, rd, data, firm_options, on_done=done)


def _sweep_submitit(ex, chunks, rd, dd, firm_options, counts: Counter, bar) -> None:
    """The submitit executors: one job per chunk of configs; a failed job fails the sweep."""
    submitted = [
        ex.submit(_run_chunk, [c.as_dict() for c in chunk], rd, dd, firm_options)
        for chunk in chunks
    ]
    for job in submitted:
        try:
            statuses = job.result()
        except Exception as err:  # noqa: BLE001 - report the job's failure to the user
            raise CollectiveError(f"sweep job {job.job_id} failed: {err}") from err
        counts.update(statuses)
        bar.update(len(statuses))
