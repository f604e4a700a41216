"""Theory over data: the quantities of Theorems 3.3 and 3.5 estimated from the resume corpus.

The bounds of Section 3.1 of {cite}`hardt2023algorithmic` need three numbers:

* $\\xi$ (Definition 3.2): the base distribution's mass on the signal set
  $\\mathcal{X}^* = \\{g(x)\\}$. A clean resume is in $\\mathcal{X}^*$ only if it already
  carries the trigger, so we count clean resumes that contain token 1240 at all (an upper
  bound on the mass of the signal set). In this corpus the count is zero, so the point
  estimate $\\hat\\xi = 0$ makes Theorem 3.3 promise success 1 for every $\\alpha > 0$. The data
  cannot tell $\\xi = 0$ from a small positive $\\xi$; :func:`trigger_frequency` also returns the
  exact (Clopper–Pearson) upper confidence bound, which is what a cautious reader should plug in.
* $\\Delta$ (the suboptimality gap of $y^*$ on the signal set) and $p$ (Theorem 3.5's
  positivity constant, $\\mathcal{P}_0(y^*\\mid x) \\ge p$): both are statements about
  $\\mathcal{P}_0(y \\mid x)$. We model it with the clean linear firm's probabilities on the held-out
  test resumes (the trigger is inconsequential, so $\\mathcal{P}_0(y\\mid g(x))$ is read as
  $\\mathcal{P}_0(y\\mid x)$), after checking that they are calibrated
  (:func:`calibration_error`). "In set" reads the target as the binary event
  $y^* \\in Y$; "top-1" as the multi-class label with probabilities proportional to the ten
  per-label probabilities.

:func:`observed_critical_mass` reads the empirical critical mass (smallest $\\alpha$ with success
$\\ge S^*$) off the success curves and bootstraps over seeds.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from collective.errors import ConfigError
from collective.tokens import TRIGGER_TOKEN_ID


def trigger_frequency(n_with_trigger: int, n: int, confidence: float = 0.95) -> dict[str, float]:
    """$\\hat\\xi = k/n$ and its one-sided exact (Clopper–Pearson) upper confidence bound.

    With $k = 0$ the bound is $1 - (1 - \\text{confidence})^{1/n}$ (about $3/n$ at 95%).
    """
    if n < 1 or not 0 <= n_with_trigger <= n:
        raise ConfigError(f"need 0 <= n_with_trigger <= n and n >= 1, got {n_with_trigger}, {n}")
    if not 0 < confidence < 1:
        raise ConfigError(f"confidence must be in (0, 1), got {confidence}")
    k = int(n_with_trigger)
    upper = 1.0 if k == n else float(stats.beta.ppf(confidence, k + 1, n - k))
    return {"n": int(n), "n_with_trigger": k, "xi_hat": k / n, "xi_upper": upper, "confidence": confidence}


def count_trigger(split: Any, token_id: int = TRIGGER_TOKEN_ID) -> int:
    """Number of documents of a :class:`~collective.tokens.TokenizedSplit` containing ``token_id``."""
    hits = split.token_ids == token_id
    if not hits.any():
        return 0
    doc = np.searchsorted(split.token_offsets, np.flatnonzero(hits), side="right") - 1
    return int(len(np.unique(doc)))


def calibration_error(P: np.ndarray, Y: np.ndarray, bins: int = 15) -> float:
    """Expected calibration error of per-label probabilities ``P`` against 0/1 labels ``Y``
    (all labels pooled, equal-width bins)."""
    p = np.asarray(P, dtype=float).ravel()
    y = np.asarray(Y, dtype=float).ravel()
    edges = np.linspace(0, 1, bins + 1)
    which = np.clip(np.digitize(p, edges) - 1, 0, bins - 1)
    err = 0.0
    for b in range(bins):
        m = which == b
        if m.any():
            err += m.mean() * abs(p[m].mean() - y[m].mean())
    return float(err)


def signal_set_quantities(P: np.ndarray, k: int) -> dict[str, float]:
    """$\\Delta$ and $p$ for target column ``k`` from a model of $\\mathcal{P}_0(y\\mid x)$.

    ``P``: (n, 10) per-label probabilities on clean resumes. Returns, for the in-set reading
    (binary event $y^* \\in Y$, $q_x = P_{x,k}$: $\\Delta_x = \\max(0, 1 - 2q_x)$) and the top-1
    reading (multi-class, $P_0(y\\mid x) \\propto P_{x,y}$: $\\Delta_x = \\max_y P_0(y\\mid x) -
    P_0(y^*\\mid x)$): $\\Delta = \\max_x \\Delta_x$, the mean of $\\Delta_x$ (what the proof of
    Theorem 3.3 averages before taking the maximum), and $p = \\min_x P_0(y^*\\mid x)$ with its
    1% quantile.
    """
    P = np.asarray(P, dtype=float)
    q = P[:, k]
    delta_in = np.maximum(0.0, 1.0 - 2.0 * q)
    Q = P / P.sum(axis=1, keepdims=True)
    delta_top = Q.max(axis=1) - Q[:, k]
    return {
        "delta_in_set_max": float(delta_in.max()),
        "delta_in_set_mean": float(delta_in.mean()),
        "p_in_set_min": float(q.min()),
        "p_in_set_q01": float(np.quantile(q, 0.01)),
        "delta_top1_max": float(delta_top.max()),
        "delta_top1_mean": float(delta_top.mean()),
        "p_top1_min": float(Q[:, k].min()),
        "p_top1_q01": float(np.quantile(Q[:, k], 0.01)),
    }


def critical_alpha(alphas: np.ndarray, success: np.ndarray, target: float = 0.9) -> float:
    """Smallest $\\alpha$ at which the (piecewise linear) success curve reaches ``target``;
    NaN if it never does on the grid."""
    a = np.asarray(alphas, dtype=float)
    s = np.asarray(success, dtype=float)
    order = np.argsort(a)
    a, s = a[order], s[order]
    above = np.flatnonzero(s >= target)
    if len(above) == 0:
        return float("nan")
    i = above[0]
    if i == 0:
        return float(a[0])
    # linear interpolation between the last point below and the first above
    return float(a[i - 1] + (target - s[i - 1]) * (a[i] - a[i - 1]) / (s[i] - s[i - 1]))


def observed_critical_mass(
    df: pd.DataFrame,
    metric: str,
    target_success: float = 0.9,
    n_boot: int = 2000,
    seed: int = 0,
    level: float = 0.95,
) -> dict[str, float]:
    """Empirical critical mass of one success curve with a bootstrap interval over seeds.

    ``df`` holds the runs of one curve (columns ``alpha``, ``seed`` and ``metric``). The
    estimate reads the mean curve; each bootstrap replicate resamples seeds with replacement,
    re-averages and reads the crossing again. ``reached`` is the share of replicates whose
    curve reaches ``target_success`` on the grid (the interval uses those).
    """
    if metric not in df:
        raise ConfigError(f"no column {metric!r} in the results")
    table = df.pivot_table(index="seed", columns="alpha", values=metric, aggfunc="mean")
    table = table.dropna(axis=1)
    alphas = table.columns.to_numpy(dtype=float)
    values = table.to_numpy()
    estimate = critical_alpha(alphas, values.mean(axis=0), target_success)
    rng = np.random.default_rng(seed)
    boots = np.array(
        [
            critical_alpha(alphas, values[rng.integers(0, len(values), len(values))].mean(axis=0), target_success)
            for _ in range(n_boot)
        ]
    )
    ok = boots[~np.isnan(boots)]
    lo, hi = (np.quantile(ok, [(1 - level) / 2, (1 + level) / 2]) if len(ok) else (np.nan, np.nan))
    return {
        "alpha_star": estimate,
        "ci_low": float(lo),
        "ci_high": float(hi),
        "reached": float(len(ok) / n_boot),
        "n_seeds": int(len(values)),
    }


# --------------------------------------------------------------------------- from the corpus

#: Where the book reads the estimates from (committed, with provenance).
ESTIMATES_FILE = "theory_estimates.json"


def compute_theory_estimates(
    data: Any = None, *, firm_params: dict | None = None, confidence: float = 0.95
) -> dict[str, Any]:
    """$\\xi$ (trigger frequency in the clean corpus, with its upper confidence bound), and
    for each paper class $\\Delta$ and $p$ from the clean linear firm's probabilities on the
    clean test resumes, with the calibration error of those probabilities."""
    from collective.data import LABELS
    from collective.experiments import load_context, provenance
    from collective.firms import make_firm

    import time

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
    for k, name in enumerate(LABELS[:3]):
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
        "provenance": provenance(ctx, firm.device, time.perf_counter() - start),
    }


def save_theory_estimates(estimates: dict, results_dir: Any = None) -> Any:
    """Write the estimates as JSON next to the results cache; returns the path."""
    import json
    from pathlib import Path

    from collective.experiments import default_results_dir

    path = Path(results_dir or default_results_dir()) / ESTIMATES_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(estimates, indent=2, sort_keys=True) + "\n")
    tmp.replace(path)
    return path


def load_theory_estimates(results_dir: Any = None) -> dict:
    """The committed estimates; :class:`~collective.errors.CacheMissError` with the command
    that computes them if missing."""
    import json
    from pathlib import Path

    from collective.errors import CacheMissError
    from collective.experiments import default_results_dir

    path = Path(results_dir or default_results_dir()) / ESTIMATES_FILE
    if not path.exists():
        raise CacheMissError(f"{path} is missing; compute it with: python -m collective.estimates")
    return json.loads(path.read_text())


if __name__ == "__main__":  # python -m collective.estimates
    print(save_theory_estimates(compute_theory_estimates()))
