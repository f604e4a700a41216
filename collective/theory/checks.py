"""Random-instance checks of Theorems 3.3, 3.5 and 3.7 against the exact engine.

Each check draws many random finite problems (varied ``|X|``, ``|Y|``, ξ, Δ, p, τ, α, ε,
with edge cases: ξ near 0 or exactly 0, Δ = 0, τ = 0, α near 0 and equal to 1, ε = 0;
:mod:`collective.theory.random_instances`), computes the exact worst-case success with
:mod:`collective.theory.discrete` and compares it with

* the paper's bound as stated (``ε/(1-ε)`` term), and
* the corrected bound (``b/α``-type term, :mod:`collective.theory.classification`),

each against the worst ε-optimal classifier under total variation (Definition 3.1) and under
contamination (the model of Lemma B.1's proof). Everything is vectorized over instances of
one shape; the shapes are looped over. :func:`run_check` returns a :class:`CheckResult`
with the instance table (for figures) and the violation counts. The example problems of the
book's figures (:mod:`collective.theory.example_problems`) and the instance generators are
re-exported here.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from collective.theory import classification as bounds
from collective.theory.exact_erasure import erasure_success_batch
from collective.theory.exact_planting import planting_success_batch
from collective.theory.example_problems import (
    example_erasure_problem,
    example_planting_problem,
    tight_feature_label_instance,
)
from collective.theory.finite_problem import check_problem
from collective.theory.problem_parameters import (
    delta_batch,
    delta_of,
    p_batch,
    p_of,
    rho_batch,
    rho_of,
    tau_batch,
    tau_of,
    xi_batch,
    xi_of,
)
from collective.theory.random_instances import random_erasure_instances, random_planting_instances

__all__ = [
    "THEOREMS",
    "CheckResult",
    "random_planting_instances",
    "random_erasure_instances",
    "run_check",
    "tight_feature_label_instance",
    "example_planting_problem",
    "example_erasure_problem",
    "success_curve",
    "summary_frame",
]

THEOREMS = ("3.3", "3.5", "3.7")
_STRATEGY = {"3.3": "feature-label", "3.5": "feature-only", "3.7": "erasure"}

#: Violations smaller than this are floating-point noise, not violations.
VIOLATION_TOL = 1e-9


@dataclass
class CheckResult:
    """Outcome of one theorem's random check.

    ``table`` has one row per instance: the problem's parameters, the worst-case success
    ``S_tv`` (relaxed TV adversary: a lower bound on the true worst case), ``S_tv_real`` (a
    concrete ε-optimal classifier: an upper bound; equal to ``S_tv`` for planting, where the
    adversary is exact), ``S_cont`` (contamination, exact) and ``S_eps0`` (the Bayes-optimal
    success), the paper's
    bound ``paper`` and the corrected bounds ``corrected_tv`` / ``corrected_cont``.
    """

    theorem: str
    table: pd.DataFrame
    seconds: float
    summary: dict = field(default_factory=dict)


def _summarize(df: pd.DataFrame) -> dict:
    eps0 = df["eps"] == 0
    pos = ~eps0

    def count(s_col, b_col, mask):
        return int(((df.loc[mask, b_col] - df.loc[mask, s_col]) > VIOLATION_TOL).sum())

    def worst(s_col, b_col, mask):
        d = df.loc[mask, b_col] - df.loc[mask, s_col]
        return float(d.max()) if len(d) else float("nan")

    nontrivial = eps0 & (df["paper"] > 0)
    slack = df.loc[nontrivial, "S_eps0"] - df.loc[nontrivial, "paper"]
    nontrivial_c = pos & (df["corrected_tv"] > 0)
    slack_c = df.loc[nontrivial_c, "S_tv"] - df.loc[nontrivial_c, "corrected_tv"]
    # Share of the loss the bound predicts that really happens: (1 - S) / (1 - bound), 1 = tight.
    predicted = eps0 & (df["paper"] > 0) & (1 - df["paper"] > 1e-3)
    loss_ratio = (1 - df.loc[predicted, "S_eps0"]) / (1 - df.loc[predicted, "paper"])
    predicted_c = pos & (df["corrected_tv"] > 0) & (1 - df["corrected_tv"] > 1e-3)
    loss_ratio_c = (1 - df.loc[predicted_c, "S_tv"]) / (1 - df.loc[predicted_c, "corrected_tv"])
    return {
        "instances": len(df),
        "instances_eps0": int(eps0.sum()),
        "instances_eps_pos": int(pos.sum()),
        "violations_paper_eps0": count("S_eps0", "paper", eps0),
        # against a concrete ε-optimal classifier, so each of these is a certain violation
        "violations_paper_eps_tv": count("S_tv_real", "paper", pos),
        "violations_paper_eps_contamination": count("S_cont", "paper", pos),
        "worst_violation_paper_eps_tv": worst("S_tv_real", "paper", pos),
        "max_relaxation_gap_tv": float((df["S_tv_real"] - df["S_tv"]).max()),
        "violations_corrected_tv": count("S_tv", "corrected_tv", df.index == df.index),
        "violations_corrected_contamination": count(
            "S_cont", "corrected_cont", df.index == df.index
        ),
        "nonvacuous_eps0": int(nontrivial.sum()),
        "min_slack_eps0": float(slack.min()) if len(slack) else float("nan"),
        "median_slack_eps0": float(slack.median()) if len(slack) else float("nan"),
        "share_slack_below_0.05_eps0": float((slack < 0.05).mean()) if len(slack) else float("nan"),
        "median_loss_ratio_eps0": float(loss_ratio.median()) if len(loss_ratio) else float("nan"),
        "max_loss_ratio_eps0": float(loss_ratio.max()) if len(loss_ratio) else float("nan"),
        "nonvacuous_corrected_tv": int(nontrivial_c.sum()),
        "min_slack_corrected_tv": float(slack_c.min()) if len(slack_c) else float("nan"),
        "median_slack_corrected_tv": float(slack_c.median()) if len(slack_c) else float("nan"),
        "median_loss_ratio_corrected_tv": float(loss_ratio_c.median())
        if len(loss_ratio_c)
        else float("nan"),
        "max_loss_ratio_corrected_tv": float(loss_ratio_c.max())
        if len(loss_ratio_c)
        else float("nan"),
    }


def _instance_batches(
    theorem: str, n_instances: int, rng: np.random.Generator, idempotent: bool, progress: bool
) -> Iterable[tuple]:
    """The random problems of ``theorem``'s check, batch by batch (a progress bar if asked)."""
    batches: Iterable[tuple]
    if theorem == "3.7":
        batches = random_erasure_instances(n_instances, rng, idempotent=idempotent)
    else:
        batches = random_planting_instances(n_instances, rng, _STRATEGY[theorem])
    if progress:
        from tqdm import tqdm  # not tqdm.auto: it warns on stderr in notebooks

        batches = tqdm(list(batches), desc=f"Theorem {theorem}")
    return batches


def _batch_table(
    P0: np.ndarray, alpha: np.ndarray, eps: np.ndarray, params: dict, scores: dict
) -> pd.DataFrame:
    """One row per instance of a batch: its shape, α, ε, parameters, successes and bounds."""
    return pd.DataFrame(
        {"n_x": P0.shape[1], "n_y": P0.shape[2], "alpha": alpha, "eps": eps, **params, **scores}
    )


def _erasure_batch_table(batch: tuple, reading: str) -> pd.DataFrame:
    """Theorem 3.7 on one batch: exact successes, τ and ρ, the paper's and the corrected bounds."""
    P0, g, alpha, eps = batch
    S0 = erasure_success_batch(P0, g, alpha, 0.0, reading)
    S_tv = erasure_success_batch(P0, g, alpha, eps, reading, "tv")
    S_tv_real = erasure_success_batch(P0, g, alpha, eps, reading, "tv", realizable=True)
    S_cont = erasure_success_batch(P0, g, alpha, eps, reading, "contamination")
    tau = np.clip(tau_batch(P0, g, reading), 0, 1)
    rho = rho_batch(P0, g)
    scores = {
        "S_eps0": S0,
        "S_tv": S_tv,
        "S_tv_real": S_tv_real,
        "S_cont": S_cont,
        "paper": bounds.erasure_bound(alpha, tau, eps),
        "corrected_tv": bounds.corrected_erasure_bound(alpha, tau, eps, rho, "tv"),
        "corrected_cont": bounds.corrected_erasure_bound(alpha, tau, eps, rho, "contamination"),
    }
    return _batch_table(P0, alpha, eps, {"tau": tau, "rho": rho}, scores)


def _planting_batch_table(theorem: str, batch: tuple) -> pd.DataFrame:
    """Theorem 3.3 or 3.5 on one batch: exact successes, ξ and Δ or p, and the bounds."""
    P0, g, y_star, alpha, eps = batch
    strategy = _STRATEGY[theorem]
    S0 = planting_success_batch(P0, g, y_star, alpha, strategy, 0.0)
    S_tv = planting_success_batch(P0, g, y_star, alpha, strategy, eps, "tv")
    S_cont = planting_success_batch(P0, g, y_star, alpha, strategy, eps, "contamination")
    xi = np.clip(xi_batch(P0, g), 0, 1)
    if theorem == "3.3":
        delta = np.clip(delta_batch(P0, g, y_star), 0, 1)
        paper = bounds.feature_label_bound(alpha, xi, delta, eps)
        c_tv = bounds.corrected_feature_label_bound(alpha, xi, delta, eps, "tv")
        c_cont = bounds.corrected_feature_label_bound(alpha, xi, delta, eps, "contamination")
        params = {"xi": xi, "delta": delta}
    else:
        p = np.clip(p_batch(P0, y_star), 1e-300, 1)
        paper = bounds.feature_only_bound(alpha, xi, p, eps)
        c_tv = bounds.corrected_feature_only_bound(alpha, xi, p, eps, "tv")
        c_cont = bounds.corrected_feature_only_bound(alpha, xi, p, eps, "contamination")
        params = {"xi": xi, "p": p}
    scores = {
        "S_eps0": S0,
        "S_tv": S_tv,
        # the planting adversary is exact (see collective.theory.adversary)
        "S_tv_real": S_tv,
        "S_cont": S_cont,
        "paper": paper,
        "corrected_tv": c_tv,
        "corrected_cont": c_cont,
    }
    return _batch_table(P0, alpha, eps, params, scores)


def run_check(
    theorem: str,
    n_instances: int = 10_000,
    seed: int = 0,
    reading: str = "point",
    idempotent: bool = True,
    progress: bool = False,
) -> CheckResult:
    """Check one theorem (``"3.3"``, ``"3.5"`` or ``"3.7"``) on ``n_instances`` random problems.

    ``reading`` and ``idempotent`` apply to Theorem 3.7 only (see
    :func:`collective.theory.exact_erasure.erasure_success`). The returned summary counts violations
    (bound above the exact worst-case success by more than ``VIOLATION_TOL``) of the paper's
    bound at ε = 0 and ε > 0 and of the corrected bounds, and measures tightness by the
    slack ``S - bound`` over instances where the bound is positive and by the *loss ratio*
    ``(1 - S)/(1 - bound)`` (the share of the loss the bound allows that really occurs; 1
    means the bound is attained, 0 that no loss occurs at all).
    """
    if theorem not in THEOREMS:
        raise ValueError(f"theorem must be one of {THEOREMS}, got {theorem!r}")
    if n_instances < 1:
        raise ValueError(f"n_instances must be positive, got {n_instances}")
    rng = np.random.default_rng(seed)
    start = time.perf_counter()
    rows = [
        _erasure_batch_table(batch, reading)
        if theorem == "3.7"
        else _planting_batch_table(theorem, batch)
        for batch in _instance_batches(theorem, n_instances, rng, idempotent, progress)
    ]
    df = pd.concat(rows, ignore_index=True).iloc[:n_instances]
    seconds = time.perf_counter() - start
    return CheckResult(theorem=theorem, table=df, seconds=seconds, summary=_summarize(df))


def success_curve(
    theorem: str,
    P0: np.ndarray,
    g: np.ndarray,
    alphas: np.ndarray,
    eps: float = 0.0,
    y_star: int = 0,
    perturbation: str = "tv",
    reading: str = "point",
    realizable: bool = False,
) -> pd.DataFrame:
    """Exact worst-case ``S(α)`` of one problem over a grid of α, with the paper's and the corrected bound.

    Columns: ``alpha``, ``S`` (exact), ``paper`` (Theorem ``theorem`` as stated), ``corrected``
    (valid ε-term, equal to ``paper`` at ε = 0), and the problem's parameters. ``reading`` and
    ``realizable`` apply to Theorem 3.7 (see :func:`collective.theory.exact_erasure.erasure_success`:
    ``realizable=True`` scores a concrete ε-optimal classifier, so a bound above it is violated).
    """
    if theorem not in THEOREMS:
        raise ValueError(f"theorem must be one of {THEOREMS}, got {theorem!r}")
    P0, g = check_problem(P0, g, y_star if theorem != "3.7" else None)
    alphas = np.asarray(alphas, dtype=float)
    B = len(alphas)
    P0b, gb = np.broadcast_to(P0, (B, *P0.shape)), np.broadcast_to(g, (B, len(g)))
    if theorem == "3.7":
        S = erasure_success_batch(P0b, gb, alphas, eps, reading, perturbation, realizable)
        tau = tau_of(P0, g, reading)
        rho = rho_of(P0, g)
        paper = bounds.erasure_bound(alphas, tau, eps)
        corrected = bounds.corrected_erasure_bound(alphas, tau, eps, rho, perturbation)
        params = {"tau": tau, "rho": rho}
    else:
        strategy = _STRATEGY[theorem]
        S = planting_success_batch(P0b, gb, y_star, alphas, strategy, eps, perturbation)
        xi = xi_of(P0, g)
        if theorem == "3.3":
            delta = delta_of(P0, g, y_star)
            paper = bounds.feature_label_bound(alphas, xi, delta, eps)
            corrected = bounds.corrected_feature_label_bound(alphas, xi, delta, eps, perturbation)
            params = {"xi": xi, "delta": delta}
        else:
            p = p_of(P0, y_star)
            paper = bounds.feature_only_bound(alphas, xi, p, eps)
            corrected = bounds.corrected_feature_only_bound(alphas, xi, p, eps, perturbation)
            params = {"xi": xi, "p": p}
    return pd.DataFrame(
        {"alpha": alphas, "eps": eps, "S": S, "paper": paper, "corrected": corrected, **params}
    )


def summary_frame(results: list[CheckResult], names: list[str] | None = None) -> pd.DataFrame:
    """The summaries of several checks side by side, counts as integers, the rest to 4 digits.

    Columns are named ``names`` if given, else ``"Theorem <number>"``.
    """
    if names is not None and len(names) != len(results):
        raise ValueError(f"names must have one entry per result ({len(results)}), got {len(names)}")
    columns = {}
    for i, r in enumerate(results):
        values = {k: (v if isinstance(v, int) else float(f"{v:.4g}")) for k, v in r.summary.items()}
        columns[names[i] if names else f"Theorem {r.theorem}"] = pd.Series(values, dtype=object)
    return pd.DataFrame(columns)
