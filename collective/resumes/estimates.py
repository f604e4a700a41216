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

The empirical critical mass read off the measured curves, with its bootstrap over seeds, is
:func:`collective.report.critical_mass.critical_mass_bootstrap`.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from scipy import stats

from collective.errors import ConfigError
from collective.resumes.tokens import TRIGGER_TOKEN_ID


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
    return {
        "n": int(n),
        "n_with_trigger": k,
        "xi_hat": k / n,
        "xi_upper": upper,
        "confidence": confidence,
    }


def count_trigger(split: Any, token_id: int = TRIGGER_TOKEN_ID) -> int:
    """Number of documents of a :class:`~collective.resumes.tokens.TokenizedSplit` containing ``token_id``."""
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
