"""What a computed run does after the collective's plan is drawn: the firm trained on the
plan (:func:`fit_firm`), and the record of the run (:func:`make_record`: the evaluation's
metrics with the plan's counts and what the fit reports, provenance, key and config).
Shared by :func:`collective.runner.execute.compute` and the erasure strategies'
:func:`collective.runner.erasure.compute_erasure`."""

from __future__ import annotations

import time
from typing import Any

from collective.runner.provenance import provenance


def fit_firm(
    config: Any, X_train: Any, Y_clean: Any, plan: Any, firm_options: dict | None = None
) -> Any:
    """A new firm of ``config`` (``firm_options``: settings that do not change what is
    learned) fitted on the plan's labels and planted resumes."""
    from collective.firms import make_firm

    firm = make_firm(config.firm, **config.firm_params, **(firm_options or {}))
    firm.reference_labels = Y_clean  # the clean labels: a firm may warm-start from them
    firm.fit(X_train, plan.Y, planted=plan.planted, spacing=config.spacing)
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
) -> dict:
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
