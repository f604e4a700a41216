"""One run of the erasure strategy (Section 3.2 of {cite}`hardt2023algorithmic`) for the
runner: the collective relabels its resumes (:func:`collective.resumes.strategies.apply_erasure`),
the firm trains on the resumes *with* the signal, and success is agreement of its predictions
with and without the signal on the test set
(:func:`collective.resumes.evaluation.evaluate_erasure`)."""

from __future__ import annotations

from typing import Any

import numpy as np


def compute_erasure(
    config: Any,
    ctx: Any,
    idx: np.ndarray,
    X_train: Any,
    start: float,
    *,
    firm_options: dict | None = None,
) -> dict:
    """The record of an erasure config (called by :func:`collective.runner.run.compute`)."""
    from collective.resumes.evaluation import evaluate_erasure
    from collective.resumes.signals import check_signal
    from collective.resumes.strategies import apply_erasure
    from collective.runner.record import fit_firm, make_record

    signal = check_signal(config.signal)
    Y_clean = ctx.Y_train[idx]
    plan, info = apply_erasure(
        X_train,
        Y_clean,
        strategy=config.strategy,
        signal=signal.name,
        alpha=config.alpha,
        seed=config.seed,
    )
    firm = fit_firm(config, X_train, Y_clean, plan, firm_options)
    metrics = evaluate_erasure(firm, ctx.test, ctx.Y_test, token_ids=signal.token_ids)
    extra = {f"collective_{k}": v for k, v in info.items()}
    return make_record(
        config, ctx, firm, metrics, plan=plan, n_train=len(idx), extra=extra, start=start
    )
