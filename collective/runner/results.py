"""Reading the results cache as tables: what the chapters (and ``collective results``) use."""

from __future__ import annotations

import os
from collections.abc import Iterable
from typing import Any

import pandas as pd

from collective.errors import CacheMissError
from collective.runner.cache import read_records
from collective.runner.config import RunConfig
from collective.runner.execute import run
from collective.runner.grids import load_grid
from collective.runner.paths import default_results_dir, folder_corpus, grid_path, results_path


def _row(config: RunConfig | dict, record: dict, *, provenance: bool = False) -> dict[str, Any]:
    fields = config.as_dict() if isinstance(config, RunConfig) else dict(config)
    row = {k: v for k, v in fields.items() if k != "firm_params"}
    row.update({f"param_{k}": v for k, v in (fields.get("firm_params") or {}).items()})
    row.update(record["metrics"])
    row["device"] = record["provenance"].get("device")
    row["wall_seconds"] = record["provenance"].get("wall_seconds")
    if provenance:
        row["key"] = record["key"]
        for name, value in record["provenance"].items():
            row[name if name not in row else f"provenance_{name}"] = value
    return row


def read_folder(firm: str, results_dir: str | os.PathLike | None = None) -> dict[str, dict]:
    """The good records of one firm in a results folder (served only if computed on the
    corpus the folder is bound to)."""
    folder = results_dir if results_dir is not None else default_results_dir()
    return read_records(results_path(firm, folder), folder_corpus(folder))


def cached_results(
    results_dir: str | os.PathLike | None = None,
    *,
    firms: Iterable[str] | None = None,
    provenance: bool = True,
) -> pd.DataFrame:
    """Everything a results folder holds, one row per record: config columns (firm
    parameters as ``param_*``), metrics, and (``provenance``) the record's key and provenance
    (``git_commit``, ``data_sha256``, ``timestamp``, ...). What ``collective results`` shows."""
    from collective.firms import FIRMS

    rows = []
    for firm in firms or FIRMS:
        for record in read_folder(firm, results_dir).values():
            rows.append(_row(record["config"], record, provenance=provenance))
    return pd.DataFrame(rows)


def load_results(
    configs: Iterable[RunConfig],
    *,
    allow_train: bool = False,
    results_dir: str | os.PathLike | None = None,
    skip_missing: bool = False,
    provenance: bool = False,
    **run_kwargs: Any,
) -> pd.DataFrame:
    """A :class:`pandas.DataFrame` with one row per config: the config's fields, its firm
    parameters as ``param_*`` columns, the metrics, the device and the wall time.

    A config missing from the cache is computed with ``allow_train``, dropped with
    ``skip_missing`` (a sweep still running), and otherwise raises :class:`CacheMissError`
    naming the missing configs and how to compute them (what the book does).
    """
    configs = list(configs)
    by_firm: dict[str, dict[str, dict]] = {}
    rows, missing = [], []
    sha = None
    if allow_train:  # read where the runs on this corpus are written
        from collective.runner.execute import results_folder

        results_dir, sha, _ = results_folder(results_dir, run_kwargs.get("data"), warn=True)
    for config in configs:
        if config.firm not in by_firm:
            by_firm[config.firm] = (
                read_records(results_path(config.firm, results_dir), sha)
                if sha
                else read_folder(config.firm, results_dir)
            )
        record = by_firm[config.firm].get(config.key())
        if record is None and allow_train:
            record = run(config, results_dir=results_dir, **run_kwargs)
            by_firm[config.firm][config.key()] = record
        if record is None:
            missing.append(config)
            continue
        rows.append(_row(config, record, provenance=provenance))
    if missing and not skip_missing:
        shown = "\n  ".join(c.command() for c in missing[:5])
        more = f"\n  ... and {len(missing) - 5} more" if len(missing) > 5 else ""
        raise CacheMissError(
            f"{len(missing)} of {len(configs)} results are not in the cache "
            f"({results_dir or default_results_dir()}). Compute them with\n  {shown}{more}\n"
            "or run the sweep grid they belong to: collective sweep grids/<grid>.yaml"
        )
    return pd.DataFrame(rows)


def grid_results(grid: str | os.PathLike, **kwargs: Any) -> pd.DataFrame:
    """:func:`load_results` of every config of a grid file (a path, or a book grid's name
    such as ``"fig2_fig3"``), with the firm's parameters also as plain columns (``model``,
    ``epochs``, ``train_layers``, ...; one named like a metric is prefixed ``firm_``, e.g.
    ``firm_precision``) and a ``firm`` column."""
    configs = load_grid(grid_path(grid))
    frame = load_results(configs, **kwargs)
    if frame.empty:
        return frame
    params = frame.filter(like="param_").rename(columns=lambda c: c[len("param_") :])
    params = params.drop(columns=["seed"], errors="ignore")
    params = params.rename(
        columns={name: f"firm_{name}" for name in params.columns if name in frame.columns}
    )
    return pd.concat([frame, params], axis=1)
