"""Theory over data: $\\xi$, $\\Delta$ and $p$ estimated on the whole corpus, and stored.

The statistics are those of :mod:`collective.resumes.estimates`; this module runs the clean
linear firm that models $\\mathcal{P}_0(y \\mid x)$, and keeps the result with its provenance in
``data/results/theory_estimates.json`` (computed by ``collective estimates``), which the
chapters read.
"""

from __future__ import annotations

import json
import os
import time
import warnings
from pathlib import Path
from typing import Any

import numpy as np

from collective.errors import CacheMissError
from collective.firms import make_firm
from collective.io import atomic_write
from collective.resumes.corpus import PAPER_CLASSES
from collective.resumes.estimates import (
    calibration_error,
    count_trigger,
    signal_set_quantities,
    trigger_frequency,
)
from collective.runner.execute import load_context
from collective.runner.paths import bind_folder, default_results_dir, resolve_results_dir
from collective.runner.provenance import provenance

#: Where the book reads the estimates from (committed, with provenance).
ESTIMATES_FILE = "theory_estimates.json"


def compute_theory_estimates(
    data: Any = None, *, firm_params: dict | None = None, confidence: float = 0.95
) -> dict[str, Any]:
    """$\\xi$ (trigger frequency in the clean corpus, with its upper confidence bound), and
    for each paper class $\\Delta$ and $p$ from the clean linear firm's probabilities on the
    clean test resumes, with the calibration error of those probabilities."""
    start = time.perf_counter()
    ctx = load_context(data)
    n_train, n_test = len(ctx.train), len(ctx.test)
    k_train, k_test = count_trigger(ctx.train), count_trigger(ctx.test)
    firm = make_firm("linear", **(firm_params or {}))
    # The clean firm: the runner's warm-start reference, fitted to convergence on clean data
    # (read from the linear firm's disk cache when a sweep has already fitted it).
    firm.reference_labels = ctx.Y_train
    firm.fit(ctx.train, ctx.Y_train, planted=np.zeros(n_train, dtype=bool), spacing=20)
    P = firm.predict_proba(ctx.test, planted=np.zeros(n_test, dtype=bool), spacing=20)
    per_class = {}
    for k, name in enumerate(PAPER_CLASSES):
        per_class[name] = {
            **signal_set_quantities(P, k),
            "class_frequency_train": float(ctx.Y_train[:, k].mean()),
            "n_class_train": int(ctx.Y_train[:, k].sum()),
        }
    return {
        "xi": trigger_frequency(k_train + k_test, n_train + n_test, confidence),
        "xi_train": trigger_frequency(k_train, n_train, confidence),
        "calibration_error": calibration_error(P, ctx.Y_test),
        "firm": {"name": "linear", **firm.params()},
        "classes": per_class,
        "n_train": n_train,
        "n_test": n_test,
        "provenance": provenance(
            ctx.data_sha256, ctx.tokens_key, firm.device_, time.perf_counter() - start
        ),
    }


def save_theory_estimates(estimates: dict, results_dir: str | os.PathLike | None = None) -> Path:
    """Write the estimates as JSON beside the results cache of their corpus (atomically);
    returns the path. Estimates of a corpus other than the canonical one never go into the
    committed ``data/results`` (see :func:`collective.runner.paths.resolve_results_dir`)."""
    sha = estimates.get("provenance", {}).get("data_sha256")
    if sha:
        folder, note = resolve_results_dir(results_dir, sha)
        if note:
            warnings.warn(note, stacklevel=2)
        bind_folder(folder, sha)
    else:
        folder = Path(results_dir or default_results_dir())
    path = folder / ESTIMATES_FILE
    with atomic_write(path, "w") as fh:
        fh.write(json.dumps(estimates, indent=2, sort_keys=True) + "\n")
    return path


def load_theory_estimates(results_dir: str | os.PathLike | None = None) -> dict:
    """The committed estimates; :class:`~collective.errors.CacheMissError` with the command
    that computes them if missing."""
    path = Path(results_dir or default_results_dir()) / ESTIMATES_FILE
    if not path.exists():
        raise CacheMissError(f"{path} is missing; compute it with: collective estimates")
    return json.loads(path.read_text())
