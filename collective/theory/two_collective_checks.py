"""Random-instance checks of the two-collective bounds against the exact engine.

:func:`random_two_collective_instances` draws finite problems with two feature–label
collectives for each case of :data:`collective.theory.two_collectives.TWO_COLLECTIVE_CASES`
(distinct targets with disjoint, partly overlapping or equal signal sets; one shared signal
with two targets; allies with one target), with the single-collective generator's edge cases
(ξ near 0 and exactly 0, Δ = 0, α1 near 0 and equal to 1, ε = 0) and ``α2`` from 0 to
``1 - α1`` (about as large as ``α1`` in a third of them). :func:`run_two_collective_check`
scores each instance exactly (:mod:`collective.theory.exact_two_collectives`) for *both*
collectives (collective 2's bound is collective 1's with the indices swapped) against the
Bayes-optimal classifier and the worst ε-optimal one (TV and contamination), and compares
with the bounds of :mod:`collective.theory.two_collectives`. The tight instances show the
bounds are attained.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from collective.theory import two_collectives as tc
from collective.theory.exact_planting import planting_success_batch
from collective.theory.exact_two_collectives import (
    coalition_success_batch,
    density_ratios_batch,
    overlap_batch,
    two_collective_success_batch,
    union_delta_batch,
    union_xi_batch,
)
from collective.theory.problem_parameters import delta_batch, xi_batch
from collective.theory.random_instances import _alphas, _dirichlet, _epsilons, joint, zero_margin
from collective.validation import check_choice

__all__ = [
    "VIOLATION_TOL",
    "TwoCollectiveCheck",
    "random_two_collective_instances",
    "run_two_collective_check",
    "tight_competitor_instance",
    "tight_shared_signal_instance",
    "example_two_collective_problem",
    "success_over_alpha2",
]

#: Violations smaller than this are floating-point noise, not violations.
VIOLATION_TOL = 1e-9


# ------------------------------------------------------------------------------------------
# Random problems
# ------------------------------------------------------------------------------------------


def _signal_map(rng, B, n, members):
    """A map sending every point to a uniformly chosen point of ``members`` (bool (B, n))."""
    k = members.sum(-1)
    order = np.argsort(~members, axis=1, kind="stable")  # members first
    pick = np.floor(rng.random((B, n)) * k[:, None]).astype(int)
    return np.take_along_axis(order, pick, axis=1)


def _random_subset(rng, B, n, allowed, k_max):
    """A random non-empty subset of ``allowed`` (bool (B, n), each row non-empty) of size <= k_max."""
    keys = np.where(allowed, rng.random((B, n)), np.inf)
    rank = np.argsort(np.argsort(keys, axis=1), axis=1)
    size = np.minimum(allowed.sum(-1), k_max)
    k = 1 + np.floor(rng.random(B) * size).astype(int)
    return allowed & (rank < k[:, None])


def _second_sizes(rng, alpha1):
    B = len(alpha1)
    room = 1.0 - alpha1
    kind = rng.choice(5, size=B, p=[0.1, 0.3, 0.3, 0.2, 0.1])
    comparable = np.minimum(alpha1 * rng.uniform(0.5, 1.5, B), room)
    return np.select(
        [kind == 0, kind == 1, kind == 2, kind == 3],
        [0.0, rng.uniform(0, 1, B) * room, comparable, 10 ** rng.uniform(-4, -1, B) * room],
        room,
    )


def random_two_collective_instances(
    n_instances: int,
    rng: np.random.Generator,
    case: str = "distinct",
    max_x: int = 7,
    max_y: int = 4,
):
    """Yield batches ``(P0, g1, y1, g2, y2, alpha1, alpha2, eps)``, one shape ``(|X|, |Y|)`` each.

    ``case="distinct"``: ``y2 != y1``; collective 2's signal set is disjoint from 1's (a third),
    a random one that may overlap (a third) or 1's own set with a different map (a third).
    ``"shared-signal"``: ``g2 = g1``, ``y2 != y1``. ``"allies"``: ``y2 = y1``, signal sets as
    for ``"distinct"`` or ``g2 = g1`` (a quarter each). The signal sets' base mass is scaled
    by a factor in ``[1e-4, 1]`` (5%: 0); in 20% of instances ``y1`` is the top label on 1's
    signal set (``Δ1 = 0``).
    """
    check_choice("case", case, tc.TWO_COLLECTIVE_CASES)
    shapes = [(n, m) for n in range(3, max_x + 1) for m in range(2, max_y + 1)]
    per = int(np.ceil(n_instances / len(shapes)))
    for n, m in shapes:
        B = per
        everyone = np.ones((B, n), bool)
        set1 = _random_subset(rng, B, n, everyone, n - 1)
        g1 = _signal_map(rng, B, n, set1)
        outside = ~set1
        set_disjoint = _random_subset(rng, B, n, outside, n)
        set_random = _random_subset(rng, B, n, everyone, n - 1)
        mode = rng.choice(
            4, size=B, p=[1 / 3, 1 / 3, 1 / 3, 0.0] if case == "distinct" else [0.25] * 4
        )
        set2 = np.where(
            (mode == 0)[:, None], set_disjoint, np.where((mode == 1)[:, None], set_random, set1)
        )
        g2 = _signal_map(rng, B, n, set2)
        if case == "shared-signal":
            g2 = g1
        elif case == "allies":
            g2 = np.where((mode == 3)[:, None], g1, g2)
        signal = set1 | set2
        mass = _dirichlet(rng, B, n, 10 ** rng.uniform(-0.7, 0.7, B))
        scale = np.where(rng.random(B) < 0.05, 0.0, 10 ** rng.uniform(-4, 0, B))
        scale = np.where(signal.all(-1), 1.0, scale)  # the signals cover X: nothing to scale
        mass = np.where(signal, mass * scale[:, None], mass)
        mass = mass / mass.sum(-1, keepdims=True)
        y1 = rng.integers(0, m, B)
        y2 = y1 if case == "allies" else (y1 + rng.integers(1, m, B)) % m
        cond = _dirichlet(rng, B * n, m, 10 ** rng.uniform(-1, 1, B * n)).reshape(B, n, m)
        onehot = np.arange(m) == y1[:, None, None]
        zero_delta = (rng.random(B) < 0.2)[:, None] & set1
        cond = zero_margin(cond, onehot, zero_delta)
        P0 = joint(mass, cond)
        alpha1 = _alphas(rng, B)
        yield P0, g1, y1, g2, y2, alpha1, _second_sizes(rng, alpha1), _epsilons(rng, B)


# ------------------------------------------------------------------------------------------
# Scoring
# ------------------------------------------------------------------------------------------


def _bounds_for(case, a_own, a_other, xi, delta, kappa, lam, mu, eps, perturbation):
    """The case's bound for the scored collective, and TC-1 / TC-2 separately (NaN if n/a)."""
    best = tc.two_collective_bound(
        case, a_own, a_other, xi, delta, kappa, lam, mu, eps, perturbation
    )
    if case == "allies":
        nan = np.full_like(np.asarray(best), np.nan)
        return best, nan, nan
    k = tc.competitor_bound(a_own, a_other, xi, delta, kappa, eps, perturbation)
    r = tc.competitor_ratio_bound(a_own, a_other, xi, delta, lam, eps, perturbation)
    return best, k, r


def _score(case, P0, g_own, y_own, g_other, y_other, a_own, a_other, eps, collective):
    """One row per instance for the collective that plants ``(g_own, y_own)``."""
    if case == "shared-signal":
        kappa, lam, mu = np.ones(len(P0)), np.ones(len(P0)), np.ones(len(P0))
    else:
        kappa = np.clip(overlap_batch(P0, g_own, g_other), 0, 1)
        lam, mu = density_ratios_batch(P0, g_own, g_other)
    xi = np.clip(xi_batch(P0, g_own), 0, 1)
    delta = np.clip(delta_batch(P0, g_own, y_own), 0, 1)
    own = a_own > 0
    a_safe = np.where(own, a_own, 1.0)  # a collective of size 0 is not scored (rows dropped)
    a_oth = np.where(own, a_other, 0.0)
    S = {}
    for label, e, pert in [("eps0", 0.0, "tv"), ("tv", eps, "tv"), ("cont", eps, "contamination")]:
        S[label] = two_collective_success_batch(
            P0, g_own, y_own, g_other, y_other, a_safe, a_oth, e, pert
        )[0]
    alone = planting_success_batch(P0, g_own, y_own, a_safe, "feature-label", 0.0)
    b0, k0, r0 = _bounds_for(case, a_safe, a_oth, xi, delta, kappa, lam, mu, 0.0, "tv")
    btv, ktv, rtv = _bounds_for(case, a_safe, a_oth, xi, delta, kappa, lam, mu, eps, "tv")
    bco, _, _ = _bounds_for(case, a_safe, a_oth, xi, delta, kappa, lam, mu, eps, "contamination")
    df = pd.DataFrame(
        {
            "case": case,
            "collective": collective,
            "n_x": P0.shape[1],
            "n_y": P0.shape[2],
            "alpha_own": a_own,
            "alpha_other": a_other,
            "eps": eps,
            "xi": xi,
            "delta": delta,
            "kappa": kappa,
            "lam": lam,
            "mu": mu,
            "S_alone_eps0": alone,
            "S_eps0": S["eps0"],
            "S_tv": S["tv"],
            "S_cont": S["cont"],
            "bound_eps0": b0,
            "bound_tv": btv,
            "bound_cont": bco,
            "tc1_eps0": k0,
            "tc2_eps0": r0,
            "tc1_tv": ktv,
            "tc2_tv": rtv,
        }
    )
    return df[own]


def _coalition_rows(P0, g1, g2, y, a1, a2, eps) -> pd.DataFrame:
    xi_u = np.clip(union_xi_batch(P0, g1, g2), 0, 1)
    d_u = np.clip(union_delta_batch(P0, g1, g2, y), 0, 1)
    rows = {"alpha1": a1, "alpha2": a2, "eps": eps, "xi_union": xi_u, "delta_union": d_u}
    for label, e, pert in [("eps0", 0.0, "tv"), ("tv", eps, "tv"), ("cont", eps, "contamination")]:
        rows[f"S_{label}"] = coalition_success_batch(P0, g1, g2, y, a1, a2, e, pert)
        rows[f"bound_{label}"] = tc.coalition_bound(a1, a2, xi_u, d_u, e, pert)
    return pd.DataFrame(rows)


@dataclass
class TwoCollectiveCheck:
    """Outcome of one case's random check.

    ``table``: one row per (instance, scored collective): sizes, ε, the scored collective's
    ξ, Δ and the overlap parameters κ, λ, μ, its exact success with the other collective
    present (``S_eps0``: Bayes-optimal; ``S_tv``, ``S_cont``: worst ε-optimal) and alone at the
    same size (``S_alone_eps0``), the case's bound (``bound_*``) and for rival targets TC-1
    and TC-2 separately. ``coalition``: for allies, the pooled success and TC-4.
    """

    case: str
    table: pd.DataFrame
    coalition: pd.DataFrame | None
    seconds: float
    summary: dict = field(default_factory=dict)


def _slack_stats(S: pd.Series, bound: pd.Series, prefix: str) -> dict:
    gap = bound - S
    nonvacuous = bound > 0
    slack = (S - bound)[nonvacuous]
    predicted = nonvacuous & (1 - bound > 1e-3)
    loss_ratio = ((1 - S) / (1 - bound))[predicted]

    def stat(series, how):
        return float(getattr(series, how)()) if len(series) else float("nan")

    return {
        f"violations_{prefix}": int((gap > VIOLATION_TOL).sum()),
        f"max_violation_{prefix}": float(gap[np.isfinite(gap)].max()),
        f"nonvacuous_{prefix}": int(nonvacuous.sum()),
        f"min_slack_{prefix}": stat(slack, "min"),
        f"median_slack_{prefix}": stat(slack, "median"),
        f"median_loss_ratio_{prefix}": stat(loss_ratio, "median"),
        f"max_loss_ratio_{prefix}": stat(loss_ratio, "max"),
    }


def _summarize(df: pd.DataFrame, coalition: pd.DataFrame | None) -> dict:
    eps0 = df["eps"] == 0
    out: dict = {
        "instances": int(df.groupby("collective").size().max()),
        "scored_collectives": len(df),
        "rows_eps0": int(eps0.sum()),
        "rows_eps_pos": int((~eps0).sum()),
    }
    out.update(_slack_stats(df["S_eps0"], df["bound_eps0"], "eps0"))
    out.update(_slack_stats(df["S_tv"], df["bound_tv"], "tv"))
    out.update(_slack_stats(df["S_cont"], df["bound_cont"], "cont"))
    if df["tc1_tv"].notna().any():
        out["violations_tc1_tv"] = int((df["tc1_tv"] - df["S_tv"] > VIOLATION_TOL).sum())
        out["violations_tc2_tv"] = int((df["tc2_tv"] - df["S_tv"] > VIOLATION_TOL).sum())
        pos = df["bound_eps0"] > 0
        out["share_tc2_better_eps0"] = float(
            (df.loc[pos, "tc2_eps0"] > df.loc[pos, "tc1_eps0"]).mean()
        )
    # What the other collective does to the exact (Bayes-optimal) success at the same size
    alone, together = df["S_alone_eps0"], df["S_eps0"]
    change = together - alone
    out["share_hurt_eps0"] = float((change < -VIOLATION_TOL).mean())
    out["share_helped_eps0"] = float((change > VIOLATION_TOL).mean())
    out["max_drop_eps0"] = float(max(-change.min(), 0.0)) + 0.0
    succeeded = alone >= 0.5  # a collective that succeeds alone: how much can the other take?
    out["max_relative_drop_eps0"] = (
        float(((alone - together) / alone)[succeeded].max()) if succeeded.any() else float("nan")
    )
    disjoint = df["kappa"] <= 0
    out["disjoint_rows"] = int(disjoint.sum())
    out["disjoint_hurt_eps0"] = int((change[disjoint] < -VIOLATION_TOL).sum())
    if coalition is not None:
        for key in ("eps0", "tv", "cont"):
            gap = coalition[f"bound_{key}"] - coalition[f"S_{key}"]
            out[f"coalition_violations_{key}"] = int((gap > VIOLATION_TOL).sum())
            out[f"coalition_max_violation_{key}"] = float(gap.max())
    return out


def run_two_collective_check(
    case: str, n_instances: int = 5_000, seed: int = 0, progress: bool = False
) -> TwoCollectiveCheck:
    """Check the bound of ``case`` on ``n_instances`` random problems, both collectives scored.

    The summary counts violations (bound above the exact worst-case success by more than
    :data:`VIOLATION_TOL`) at ε = 0 and against the worst ε-optimal classifier (TV,
    contamination), the largest violation (should be ``<= 0`` up to rounding), and the
    tightness: slack ``S - bound`` where the bound is positive and the loss ratio
    ``(1 - S)/(1 - bound)`` (1 = attained). What the other collective does to the exact success
    (Bayes-optimal firm, same size, compared with acting alone): ``share_hurt_eps0``,
    ``share_helped_eps0``, ``max_drop_eps0`` and ``max_relative_drop_eps0`` (over collectives
    that reach at least 1/2 alone); ``disjoint_hurt_eps0`` counts drops where the other
    collective plants nothing on the scored one's signal set (``κ = 0``; it must be 0).
    """
    check_choice("case", case, tc.TWO_COLLECTIVE_CASES)
    if n_instances < 1:
        raise ValueError(f"n_instances must be positive, got {n_instances}")
    rng = np.random.default_rng(seed)
    start = time.perf_counter()
    batches = list(random_two_collective_instances(n_instances, rng, case))
    if progress:
        from tqdm import tqdm

        batches = list(tqdm(batches, desc=f"two collectives: {case}"))
    tables, coalitions = [], []
    taken = 0
    for P0, g1, y1, g2, y2, a1, a2, eps in batches:
        keep = min(len(P0), n_instances - taken)
        if keep <= 0:
            break
        sl = slice(0, keep)
        P0, g1, y1, g2, y2, a1, a2, eps = (v[sl] for v in (P0, g1, y1, g2, y2, a1, a2, eps))
        taken += keep
        tables.append(_score(case, P0, g1, y1, g2, y2, a1, a2, eps, 1))
        tables.append(_score(case, P0, g2, y2, g1, y1, a2, a1, eps, 2))
        if case == "allies":
            coalitions.append(_coalition_rows(P0, g1, g2, y1, a1, a2, eps))
    df = pd.concat(tables, ignore_index=True)
    coalition = pd.concat(coalitions, ignore_index=True) if coalitions else None
    seconds = time.perf_counter() - start
    return TwoCollectiveCheck(case, df, coalition, seconds, _summarize(df, coalition))


# ------------------------------------------------------------------------------------------
# Hand-made problems
# ------------------------------------------------------------------------------------------


def tight_competitor_instance(
    alpha1: float, alpha2: float, xi: float, delta: float, kappa: float
) -> tuple[np.ndarray, np.ndarray, int, np.ndarray, int]:
    """A problem with distinct targets on which TC-1 (and TC-2) hold with equality, ε = 0.

    Seven points: ``x1`` (mass ξ, ``Δ_{x1} = Δ`` against ``y1* = 0``, the rival label is
    ``y2* = 1``), ``x2``, ``x3`` (no mass), ``u`` (mass ``w``), ``k`` (mass κ), ``v`` (the rest)
    and a spare ``s`` (no mass). ``g1`` sends ``u`` to ``x1`` and everything else to ``x2``;
    ``g2`` sends ``k`` to ``x1`` and everything else to ``x3``. So ``κ = P*_2(X1*)`` and at
    ``x1`` collective 1's mass ``α1 w`` exactly ties ``(1-α1-α2)Δξ + α2κ`` when
    ``w = ((1-α1-α2)Δξ + α2κ)/α1``; the tie goes against it and ``S1 = 1 - w``, the bound.
    Needs ``ξ + w + κ <= 1``. Returns ``(P0, g1, y1, g2, y2)``.
    """
    a0 = 1.0 - alpha1 - alpha2
    w = (a0 * delta * xi + alpha2 * kappa) / alpha1
    rest = 1.0 - xi - w - kappa
    if rest < -1e-12:
        raise ValueError(f"no tight instance: xi + w + kappa = {xi + w + kappa:.3g} exceeds 1")
    x1, x2, x3, u, k, v, s = range(7)
    P0 = np.zeros((7, 2))
    P0[x1] = [xi * (1 - delta) / 2, xi * (1 + delta) / 2]
    P0[u, 0], P0[k, 0], P0[v, 0] = w, kappa, max(rest, 0.0)
    g1 = np.full(7, x2)
    g1[u] = x1
    g2 = np.full(7, x3)
    g2[k] = x1
    del s
    return P0, g1, 0, g2, 1


def tight_shared_signal_instance(
    alpha1: float, alpha2: float, xi: float, delta: float
) -> tuple[np.ndarray, np.ndarray, int, np.ndarray, int]:
    """Case (b): one signal, two targets; :func:`~collective.theory.two_collectives.shared_signal_bound`
    holds with equality at ε = 0.

    As :func:`collective.theory.checks.tight_feature_label_instance`, with both collectives
    sending ``u`` (mass ``w = (1-α1-α2)Δξ/(α1-α2)``) to ``x1`` and everything else to the
    massless ``x2``: at ``x1`` the net mass ``(α1-α2) w`` ties the base margin, so
    ``S1 = 1 - w``. Needs ``α1 > α2`` and ``ξ + w <= 1``. Returns ``(P0, g, 0, g, 1)``.
    """
    if alpha1 <= alpha2:
        raise ValueError("the shared-signal bound says nothing unless alpha1 > alpha2")
    w = (1.0 - alpha1 - alpha2) * delta * xi / (alpha1 - alpha2)
    if xi + w > 1.0 + 1e-12:
        raise ValueError(f"no tight instance: xi + w = {xi + w:.3g} exceeds 1")
    P0 = np.array(
        [
            [xi * (1 - delta) / 2, xi * (1 + delta) / 2],  # x1
            [0.0, 0.0],  # x2
            [w, 0.0],  # u
            [max(1.0 - xi - w, 0.0), 0.0],  # v
        ]
    )
    g = np.array([1, 1, 0, 1])
    return P0, g, 0, g.copy(), 1


def example_two_collective_problem(
    case: str, n_x: int = 40, n_signal: int = 12, n_y: int = 3, xi: float = 0.05, seed: int = 0
) -> tuple[np.ndarray, np.ndarray, int, np.ndarray, int]:
    """A readable problem for figures: ``(P0, g1, y1, g2, y2)``.

    ``n_signal`` points carry base mass ``xi`` in all; collective 1 maps every point to a random
    one of the first half of them. ``"distinct"``: collective 2 (target 1) maps to the second
    half with probability 1/2 and to the first half otherwise (overlapping signals);
    ``"shared-signal"``: ``g2 = g1``, target 1; ``"allies"``: collective 2 maps to any of the
    ``n_signal`` points (so it covers collective 1's too), target 0 (collective 1's).
    """
    check_choice("case", case, tc.TWO_COLLECTIVE_CASES)
    from collective.theory.example_problems import example_planting_problem

    P0, _, _ = example_planting_problem(n_x=n_x, n_signal=n_signal, n_y=n_y, xi=xi, seed=seed)
    rng = np.random.default_rng(seed + 1)
    half = n_signal // 2
    g1 = rng.integers(0, half, n_x)
    second = rng.integers(half, n_signal, n_x)
    if case == "shared-signal":
        return P0, g1, 0, g1.copy(), 1
    if case == "allies":
        return P0, g1, 0, rng.integers(0, n_signal, n_x), 0
    g2 = np.where(rng.random(n_x) < 0.5, second, rng.integers(0, half, n_x))
    return P0, g1, 0, g2, 1


def success_over_alpha2(
    case: str,
    P0: np.ndarray,
    g1: np.ndarray,
    y1: int,
    g2: np.ndarray,
    y2: int,
    alpha1: float,
    alpha2: np.ndarray,
    eps: float = 0.0,
    perturbation: str = "tv",
) -> pd.DataFrame:
    """Collective 1's exact worst-case success at ``alpha1`` over a grid of ``alpha2``, with its bound.

    Columns ``alpha2``, ``S1`` (exact), ``S1_alone`` (``alpha2 = 0``), ``bound`` (the case's,
    clipped at 0), and κ, λ, μ, ξ1, Δ1.
    """
    check_choice("case", case, tc.TWO_COLLECTIVE_CASES)
    alpha2 = np.asarray(alpha2, dtype=float)
    alpha2 = alpha2[alpha1 + alpha2 <= 1.0]
    B = len(alpha2)
    P0b = np.broadcast_to(P0, (B, *P0.shape))
    g1b, g2b = np.broadcast_to(g1, (B, len(g1))), np.broadcast_to(g2, (B, len(g2)))
    S1, _ = two_collective_success_batch(P0b, g1b, y1, g2b, y2, alpha1, alpha2, eps, perturbation)
    S_alone, _ = two_collective_success_batch(
        P0b[:1], g1b[:1], y1, g2b[:1], y2, alpha1, 0.0, eps, perturbation
    )
    xi = float(xi_batch(P0[None], g1[None])[0])
    delta = float(delta_batch(P0[None], g1[None], np.array([y1]))[0])
    kappa = float(overlap_batch(P0[None], g1[None], g2[None])[0])
    lam, mu = (float(v[0]) for v in density_ratios_batch(P0[None], g1[None], g2[None]))
    bound = tc.two_collective_bound(
        case, alpha1, alpha2, xi, delta, min(kappa, 1.0), lam, mu, eps, perturbation
    )
    return pd.DataFrame(
        {
            "case": case,
            "alpha1": alpha1,
            "alpha2": alpha2,
            "eps": eps,
            "S1": S1,
            "S1_alone": float(S_alone[0]),
            "bound": np.clip(bound, 0.0, None),
            "xi": xi,
            "delta": delta,
            "kappa": kappa,
            "lam": lam,
            "mu": mu,
        }
    )
