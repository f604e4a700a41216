"""Sweeps: every config of a grid not yet in the cache, on this machine or on SLURM.

Executors: ``local`` (this machine, ``jobs`` processes), ``slurm`` (submitit, one array
task per chunk of configs) and ``submitit-local`` (the submitit path on this machine, as the
tests run it). A sweep is resumable: finished records are in the cache, so running it again
computes only what is missing.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

from collective.errors import CollectiveError, ConfigError
from collective.runner.cache import read_records
from collective.runner.config import RunConfig
from collective.runner.paths import default_results_dir, results_path
from collective.runner.run import run

EXECUTORS = ("local", "slurm", "submitit-local")


def missing_configs(configs: Sequence[RunConfig], results_dir: str | os.PathLike | None = None) -> list[RunConfig]:
    """The configs that have no record in the cache (reading each firm's file once)."""
    by_firm: dict[str, dict] = {}
    todo = []
    for c in configs:
        if c.firm not in by_firm:
            by_firm[c.firm] = read_records(results_path(c.firm, results_dir))
        if c.key() not in by_firm[c.firm]:
            todo.append(c)
    return todo


def _run_chunk(configs: Sequence[dict], results_dir: str | None, data: str | None, firm_options: dict | None) -> list[str]:
    """Worker: run configs (as dicts) in one process; returns their keys."""
    keys = []
    for d in configs:
        config = RunConfig.from_dict(d)
        run(config, results_dir=results_dir, data=data, firm_options=firm_options)
        keys.append(config.key())
    return keys


def _chunks(items: list, n: int) -> list[list]:
    n = max(1, min(n, len(items)))
    return [items[i::n] for i in range(n)]


def _run_local_pool(todo, jobs, rd, dd, firm_options, counts, bar) -> None:
    import multiprocessing as mp
    from concurrent.futures import ProcessPoolExecutor, as_completed

    # Small chunks so the bar moves; each worker keeps its data context between chunks.
    pieces = [todo[i : i + 4] for i in range(0, len(todo), 4)]
    with ProcessPoolExecutor(max_workers=jobs, mp_context=mp.get_context("spawn")) as pool:
        futures = [pool.submit(_run_chunk, [c.as_dict() for c in piece], rd, dd, firm_options) for piece in pieces]
        for fut in as_completed(futures):
            done = len(fut.result())
            counts["computed"] += done
            bar.update(done)


def _submitit_executor(executor: str, folder: Path, slurm_parameters: dict | None):
    import submitit

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
) -> dict[str, int]:
    """Run every config not yet in the cache; returns counts ``total``, ``cached``, ``computed``."""
    from tqdm.auto import tqdm

    if executor not in EXECUTORS:
        raise ConfigError(f"unknown executor {executor!r}; choose local or slurm")
    if isinstance(jobs, bool) or not isinstance(jobs, int) or jobs < 1:
        raise ConfigError(f"jobs must be a positive integer, got {jobs!r}")
    configs = list(configs)
    todo = missing_configs(configs, results_dir)
    counts = {"total": len(configs), "cached": len(configs) - len(todo), "computed": 0}
    if not todo:
        return counts
    rd = str(results_dir) if results_dir is not None else None
    dd = str(data) if data is not None else None
    bar = tqdm(total=len(todo), desc="sweep", unit="run", disable=not progress)
    try:
        if executor == "local":
            # One run here first, so that one-off work (tokenizing, the linear firm's clean
            # fit) lands in the disk caches before any worker starts, instead of in each.
            first = todo if jobs == 1 else todo[:1]
            for c in first:
                run(c, results_dir=results_dir, data=data, firm_options=firm_options)
                counts["computed"] += 1
                bar.update()
            if jobs > 1 and len(todo) > 1:
                _run_local_pool(todo[1:], jobs, rd, dd, firm_options, counts, bar)
            return counts
        folder = Path(slurm_folder or (Path(results_dir or default_results_dir()).parent / "submitit"))
        ex = _submitit_executor(executor, folder, slurm_parameters)
        submitted = [ex.submit(_run_chunk, [c.as_dict() for c in chunk], rd, dd, firm_options) for chunk in _chunks(todo, jobs)]
        for job in submitted:
            try:
                done = len(job.result())
            except Exception as err:  # noqa: BLE001 - report the job's failure to the user
                raise CollectiveError(f"sweep job {job.job_id} failed: {err}") from err
            counts["computed"] += done
            bar.update(done)
    finally:
        bar.close()
    return counts
