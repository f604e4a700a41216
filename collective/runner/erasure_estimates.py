"""Theory over data for erasure: the sensitivity $\\tau$ of Theorem 3.7 and the signals'
statistics, estimated on the whole corpus and stored.

The model of $\\mathcal{P}_0(y \\mid x)$ is the converged linear firm fitted on the clean
training set (:data:`collective.firms.linear.P0_ESTIMATOR_PARAMS`, the oracle estimate of
the erasure strategy), evaluated on the held-out test resumes $x$ and on $g(x)$
(:mod:`collective.resumes.signals`). The result, aggregate numbers only, is kept with its
provenance in ``data/results/erasure_estimates.json`` (``compute_erasure_estimates`` then
``save_erasure_estimates``), which the chapter *Erasing a signal in resumes* reads.
"""

from __future__ import annotations

import copy
import json
import os
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from collective.errors import CacheMissError
from collective.io import atomic_write
from collective.runner.paths import default_results_dir

if TYPE_CHECKING:  # the firm and the corpus are imported where they are used (slow imports)
    from collective.firms.linear import LinearFirm
    from collective.resumes.signals import Signal
    from collective.runner.execute import Context

#: Where the chapter reads the estimates from (committed, with provenance).
ERASURE_ESTIMATES_FILE = "erasure_estimates.json"


def _clean_firm(ctx: Context) -> LinearFirm:
    """The converged linear firm fitted on the clean training set: the model of
    $\\mathcal{P}_0(y \\mid x)$ (the oracle estimate of the erasure strategy)."""
    from collective.firms.linear import P0_ESTIMATOR_PARAMS as ESTIMATOR_PARAMS
    from collective.firms.linear import LinearFirm

    firm = LinearFirm(**ESTIMATOR_PARAMS)
    firm.reference_labels = ctx.Y_train  # the cached clean fit
    firm.fit(ctx.train, ctx.Y_train, planted=np.zeros(len(ctx.train), dtype=bool), spacing=20)
    return firm


def _candidate_table(firm: LinearFirm, ctx: Context) -> pd.DataFrame:
    """Frequency, $\\tau$ and $S(0)$ of every single-token candidate word and every signal."""
    from collective.resumes.signals import CANDIDATE_WORDS, SIGNALS, signal_table, word_token_ids

    words = {w: ids for w, ids in word_token_ids(CANDIDATE_WORDS).items() if len(ids) == 1}
    candidates = {**words, **{f"signal: {s.name}": list(s.token_ids) for s in SIGNALS.values()}}
    return signal_table(firm, ctx.train, ctx.test, candidates)


def _tau_estimates(
    P_x: np.ndarray, P_gx: np.ndarray, carry: np.ndarray, n_boot: int
) -> dict[str, Any]:
    """$\\tau$ in the in-set and top-1 readings over all test resumes and over the carriers
    (``None`` if no test resume carries the signal), and per label over the carriers."""
    from collective.resumes.corpus import LABELS
    from collective.resumes.signals import tau_estimate

    out: dict[str, Any] = {}
    for reading in ("in_set", "top1"):
        for where, mask in (("all", None), ("with_signal", carry)):
            if mask is not None and not mask.any():
                out[f"tau_{reading}_{where}"] = None  # no test resume carries the signal
                continue
            est = tau_estimate(P_x, P_gx, mask, n_boot=n_boot, reading=reading)
            out[f"tau_{reading}_{where}"] = {k: est[k] for k in ("tau", "tau_low", "tau_high", "n")}
            if reading == "in_set" and where == "with_signal":
                out["tau_label_with_signal"] = dict(
                    zip(LABELS, [float(v) for v in np.asarray(est["tau_label"])])
                )
    return out


def _blind_firm_success(
    firm: LinearFirm, ctx: Context, sig: Signal, carry: np.ndarray
) -> dict[str, Any]:
    """Success of a firm blind to the signal: the clean firm with the signal tokens' weights
    set to 0."""
    from collective.resumes.evaluation import erasure_agreement
    from collective.resumes.signals import erase

    none_test = np.zeros(len(ctx.test), dtype=bool)
    # Erasing the tokens still rescales the resume's other TF-IDF features (rows have unit
    # length), so even this firm can change its label set: the ceiling of what a
    # collective can get from this firm's feature map.
    blind = copy.copy(firm)
    blind.W_ = np.array(firm.W_, copy=True)
    blind.W_[np.isin(firm.columns_, list(sig.token_ids))] = 0.0
    agreement = erasure_agreement(
        blind.predict_proba(ctx.test, planted=none_test, spacing=20),
        blind.predict_proba(erase(ctx.test, sig.token_ids), planted=none_test, spacing=20),
        carry,
    )
    return {
        k: agreement[k]
        for k in (
            "success_in_set",
            "success_in_set_with_signal",
            "success_top1",
            "success_top1_with_signal",
        )
    }


def _summary_reading(
    firm: LinearFirm, ctx: Context, P_x: np.ndarray, sig: Signal, carry: np.ndarray, n_boot: int
) -> dict[str, Any]:
    """The summary reading of $P_0(y \\mid g(x))$: a model fitted on the training set with the
    signal erased; its $\\tau$ over the carriers, whether it converged, and how often its labels
    for the training carriers differ from the point reading's."""
    from collective.firms.linear import P0_ESTIMATOR_PARAMS as ESTIMATOR_PARAMS
    from collective.firms.linear import LinearFirm
    from collective.resumes.signals import carriers, erase, tau_estimate
    from collective.strategies.erasure import erasure_labels

    none_test = np.zeros(len(ctx.test), dtype=bool)
    erased_train = erase(ctx.train, sig.token_ids)
    model = LinearFirm(**{**ESTIMATOR_PARAMS, "warm_start": False})
    model.fit(erased_train, ctx.Y_train, planted=np.zeros(len(ctx.train), dtype=bool), spacing=20)
    P_sum = model.predict_proba(erase(ctx.test, sig.token_ids), planted=none_test, spacing=20)
    est = tau_estimate(P_x, P_sum, carry, n_boot=n_boot)
    out: dict[str, Any] = {
        "tau_in_set_with_signal": {k: est[k] for k in ("tau", "tau_low", "tau_high", "n")},
        "converged": bool(model.fit_info.get("converged", False)),
    }
    rows = np.flatnonzero(carriers(ctx.train, sig.token_ids))
    gx_train = erased_train.subset(rows)
    none_rows = np.zeros(len(rows), dtype=bool)
    point = erasure_labels(firm.predict_proba(gx_train, planted=none_rows, spacing=20))
    summ = erasure_labels(model.predict_proba(gx_train, planted=none_rows, spacing=20))
    out["label_sets_differ_train_carriers"] = float((point != summ).any(axis=1).mean())
    return out


def _signal_estimates(
    firm: LinearFirm,
    ctx: Context,
    P_x: np.ndarray,
    sig: Signal,
    n_boot: int,
    summary_reading: bool,
) -> dict[str, Any]:
    """Everything stored about one signal: its words and frequency, $\\tau$, the blind firm's
    success and (with ``summary_reading``, if a test resume carries it) the summary reading."""
    from collective.resumes.signals import carriers, erase

    none_test = np.zeros(len(ctx.test), dtype=bool)
    carry = carriers(ctx.test, sig.token_ids)
    P_gx = firm.predict_proba(erase(ctx.test, sig.token_ids), planted=none_test, spacing=20)
    out: dict[str, Any] = {
        "words": list(sig.words),
        "token_ids": list(sig.token_ids),
        "description": sig.description,
        "train_share": float(carriers(ctx.train, sig.token_ids).mean()),
        "test_share": float(carry.mean()),
        "n_test_with_signal": int(carry.sum()),
    }
    out.update(_tau_estimates(P_x, P_gx, carry, n_boot))
    out["blind_firm"] = _blind_firm_success(firm, ctx, sig, carry)
    if summary_reading and carry.any():
        out["summary_reading"] = _summary_reading(firm, ctx, P_x, sig, carry, n_boot)
    return out


def compute_erasure_estimates(
    data: Any = None, *, n_boot: int = 1000, summary_reading: bool = True
) -> dict[str, Any]:
    """For the candidate words of :data:`~collective.resumes.signals.CANDIDATE_WORDS` and the
    signals of :data:`~collective.resumes.signals.SIGNALS`: frequency, $\\tau$ and $S(0)$
    (:func:`~collective.resumes.signals.signal_table`). For each signal of ``SIGNALS``:
    $\\tau$ over all test resumes and over the carriers, in the in-set and top-1 readings,
    with bootstrap intervals over resumes, and per label. With ``summary_reading``, also the
    summary reading of $P_0(y \\mid g(x))$ (a model fitted on the training set with the signal
    erased): its $\\tau$ and how often its labels for the training carriers differ from the
    point reading's. ``blind_firm``: the success of the clean firm with the signal's weights
    set to zero (what TF-IDF's row normalisation leaves of the signal)."""
    from collective.firms.linear import P0_ESTIMATOR_PARAMS as ESTIMATOR_PARAMS
    from collective.resumes.estimates import calibration_error
    from collective.resumes.signals import SIGNALS
    from collective.runner.execute import load_context
    from collective.runner.provenance import provenance

    start = time.perf_counter()
    ctx = load_context(data)
    firm = _clean_firm(ctx)
    P_x = firm.predict_proba(ctx.test, planted=np.zeros(len(ctx.test), dtype=bool), spacing=20)
    table = _candidate_table(firm, ctx)
    signals = {
        sig.name: _signal_estimates(firm, ctx, P_x, sig, n_boot, summary_reading)
        for sig in SIGNALS.values()
    }
    return {
        "calibration_error": calibration_error(P_x, ctx.Y_test),
        "estimator": {"name": "linear", **{k: v for k, v in ESTIMATOR_PARAMS.items()}},
        "candidates": table.to_dict(orient="records"),
        "signals": signals,
        "n_boot": n_boot,
        "n_train": len(ctx.train),
        "n_test": len(ctx.test),
        "provenance": provenance(
            ctx.data_sha256, ctx.tokens_key, firm.device_, time.perf_counter() - start
        ),
    }


def save_erasure_estimates(estimates: dict, results_dir: str | os.PathLike | None = None) -> Path:
    """Write the estimates as JSON beside the results cache (atomically); returns the path."""
    path = Path(results_dir or default_results_dir()) / ERASURE_ESTIMATES_FILE
    with atomic_write(path, "w") as fh:
        fh.write(json.dumps(estimates, indent=2, sort_keys=True, default=float) + "\n")
    return path


def load_erasure_estimates(results_dir: str | os.PathLike | None = None) -> dict:
    """The committed estimates; :class:`~collective.errors.CacheMissError` naming the call
    that computes them if missing."""
    path = Path(results_dir or default_results_dir()) / ERASURE_ESTIMATES_FILE
    if not path.exists():
        raise CacheMissError(
            f"{path} is missing; compute it with: python -c 'from collective.runner.erasure_estimates import *; "
            "save_erasure_estimates(compute_erasure_estimates())'"
        )
    return json.loads(path.read_text())


if __name__ == "__main__":  # python -m collective.runner.erasure_estimates
    print(save_erasure_estimates(compute_erasure_estimates()))
