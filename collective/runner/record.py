"""What a computed run does after the collective's plan is drawn: the firm trained on the
plan (:func:`fit_firm`), and the record of the run (:func:`make_record`: the evaluation's
metrics with the plan's counts and what the fit reports, provenance, key and config).
Shared by :func:`collective.runner.execute.compute` and the batched executor
(:mod:`collective.runner.batched`)."""

from __future__ import annotations

import time
from typing import Any, NotRequired, TypedDict

import numpy as np

from collective.runner.provenance import provenance


class Record(TypedDict):
    """A run's record, as the results cache stores it (one JSON line): its ``key`` (the
    hash of ``config``, :meth:`collective.runner.config.RunConfig.key`), the ``config``
    (:meth:`~collective.runner.config.RunConfig.as_dict`), the ``metrics`` (the evaluation's,
    the plan's counts, the defences' facts and the fit's report, ``fit_*``), the
    ``provenance`` (code version, data checksum, machine, wall time) and, once sealed
    (:func:`collective.runner.cache.seal`), the ``checksum`` of the four."""

    key: str
    config: dict[str, Any]
    metrics: dict[str, Any]
    provenance: dict[str, Any]
    checksum: NotRequired[str]


def fit_firm(
    config: Any, X_train: Any, Y_clean: Any, plan: Any, firm_options: dict | None = None
) -> Any:
    """A new firm of ``config`` (``firm_options``: settings that do not change what is
    learned) fitted on the plan's labels and planted resumes, on the rows the defences kept
    (all, without defences)."""
    from collective.errors import ConfigError
    from collective.firms import make_firm

    firm = make_firm(config.firm, **config.firm_params, **(firm_options or {}))
    blocked = getattr(plan, "blocked", None)
    if blocked is not None and len(blocked):
        if not getattr(firm, "blocks_tokens", False):
            raise ConfigError(
                f"the {config.firm} firm cannot ignore tokens, which a defence of this run "
                f"blocks ({len(blocked)} token(s)): use a firm that does (the linear firm)"
            )
        firm.blocked_tokens = np.asarray(blocked, dtype=np.int64)  # type: ignore[attr-defined]
    Y, planted = plan.Y, plan.firm_planted
    if plan.kept is not None:
        rows = plan.rows
        X_train, Y_clean, Y, planted = X_train.subset(rows), Y_clean[rows], Y[rows], planted[rows]
    firm.reference_labels = Y_clean  # the clean labels: a firm may warm-start from them
    firm.fit(X_train, Y, planted=planted, spacing=config.spacing)
    return firm


def make_record(
    config: Any,
    ctx: Any,
    firm: Any,
    metrics: dict,
    *,
    plan: Any,
    n_train: int,
    extra: dict,
    start: float,
    wall_seconds: float | None = None,
    provenance_extra: dict | None = None,
) -> Record:
    """The record of a run: ``metrics`` (from the evaluation) completed, in this order, with
    ``n_collective``, ``n_train``, the ``extra`` metrics and the fit's report (``fit_*``),
    then provenance with the wall time since ``start`` (or ``wall_seconds``: a batched run's
    share), what a bundle context says about its inputs (``bundle``) and ``provenance_extra``
    (a batched run's batch)."""
    metrics["n_collective"] = plan.n_collective
    metrics["n_train"] = int(n_train)
    metrics.update(extra)
    metrics.update({f"fit_{k}": v for k, v in firm.fit_info.items()})
    wall = time.perf_counter() - start if wall_seconds is None else wall_seconds
    prov = provenance(ctx.data_sha256, ctx.tokens_key, firm.device_, wall)
    if getattr(ctx, "bundle", None):
        prov["bundle"] = ctx.bundle
    prov.update(provenance_extra or {})
    return {"key": config.key(), "config": config.as_dict(), "metrics": metrics, "provenance": prov}
