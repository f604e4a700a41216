"""Random-instance checks of Theorems 3.3, 3.5 and 3.7 against the exact engine.

Each check draws many random finite problems (varied ``|X|``, ``|Y|``, ξ, Δ, p, τ, α, ε,
with edge cases: ξ near 0 or exactly 0, Δ = 0, τ = 0, α near 0 and equal to 1, ε = 0),
computes the exact worst-case success with :mod:`collective.theory.discrete` and compares it with

* the paper's bound as stated (``ε/(1-ε)`` term), and
* the corrected bound (``b/α``-type term, :mod:`collective.theory.classification`),

each against the worst ε-optimal classifier under total variation (Definition 3.1) and under
contamination (the model of Lemma B.1's proof). Everything is vectorized over instances of
one shape; the shapes are looped over. :func:`run_check` returns a :class:`CheckResult`
with the instance table (for figures) and the violation counts.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from collective.theory import classification as bounds
from collective.theory import discrete

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


def _alphas(rng: np.random.Generator, B: int) -> np.ndarray:
    kind = rng.choice(4, size=B, p=[0.45, 0.25, 0.2, 0.1])
    uniform = rng.uniform(1e-3, 1.0, B)
    small = 10 ** rng.uniform(-4, -1, B)
    near_one = 1.0 - 10 ** rng.uniform(-4, -1, B)
    return np.select([kind == 0, kind == 1, kind == 2], [uniform, small, near_one], 1.0)


def _epsilons(rng: np.random.Generator, B: int) -> np.ndarray:
    kind = rng.choice(3, size=B, p=[0.35, 0.35, 0.3])
    return np.select(
        [kind == 0, kind == 1], [0.0, 10 ** rng.uniform(-4, -1, B)], rng.uniform(0.0, 0.45, B)
    )


def _dirichlet(rng: np.random.Generator, B: int, n: int, conc: np.ndarray) -> np.ndarray:
    raw = rng.gamma(np.broadcast_to(conc[:, None], (B, n)))
    raw = np.maximum(raw, 1e-300)
    return raw / raw.sum(-1, keepdims=True)


def _shapes(max_x: int, max_y: int) -> list[tuple[int, int]]:
    return [(n, m) for n in range(2, max_x + 1) for m in range(2, max_y + 1)]


def random_planting_instances(
    n_instances: int,
    rng: np.random.Generator,
    strategy: str = "feature-label",
    max_x: int = 8,
    max_y: int = 4,
):
    """Yield batches ``(P0, g, y_star, alpha, eps)`` of random planting problems, one shape each.

    The signal set is a random proper subset of ``X`` whose base mass is scaled by a factor
    in ``[1e-4, 1]`` (5% of instances: 0), so ξ ranges down to 0; in 20% of instances ``y*``
    is made the top label on the signal set (Δ = 0). For feature-only, ``P0(y*|x) >= p`` for a
    random ``p`` in ``[0.02, 1]``.
    """
    shapes = _shapes(max_x, max_y)
    per = int(np.ceil(n_instances / len(shapes)))
    for n, m in shapes:
        B = per
        perm = np.argsort(rng.random((B, n)), axis=1)
        k = rng.integers(1, n, B)  # signal set = perm[:, :k]
        pick = np.floor(rng.random((B, n)) * k[:, None]).astype(int)
        g = np.take_along_axis(perm, pick, axis=1)
        in_signal = np.zeros((B, n), bool)
        np.put_along_axis(in_signal, perm, np.arange(n)[None, :] < k[:, None], axis=1)
        mass = _dirichlet(rng, B, n, 10 ** rng.uniform(-0.7, 0.7, B))
        scale = np.where(rng.random(B) < 0.05, 0.0, 10 ** rng.uniform(-4, 0, B))
        mass = np.where(in_signal, mass * scale[:, None], mass)
        mass = mass / mass.sum(-1, keepdims=True)
        y_star = rng.integers(0, m, B)
        cond = _dirichlet(rng, B * n, m, 10 ** rng.uniform(-1, 1, B * n)).reshape(B, n, m)
        onehot = np.arange(m) == y_star[:, None, None]
        if strategy == "feature-only":
            p = rng.uniform(0.02, 1.0, B)[:, None, None]
            cond = p * onehot + (1 - p) * cond
        zero_delta = (rng.random(B) < 0.2)[:, None] & in_signal
        # Δ = 0: swap y* with the top label at the signal points.
        top = cond.max(-1, keepdims=True)
        own = np.where(onehot, cond, 0).sum(-1, keepdims=True)
        swapped = np.where(onehot, top, np.where(cond == top, own, cond))
        cond = np.where(zero_delta[..., None], swapped, cond)
        P0 = mass[..., None] * cond
        P0 = P0 / P0.sum((1, 2), keepdims=True)
        yield P0, g, y_star, _alphas(rng, B), _epsilons(rng, B)


def random_erasure_instances(
    n_instances: int,
    rng: np.random.Generator,
    max_x: int = 6,
    max_y: int = 3,
    idempotent: bool = True,
):
    """Yield batches ``(P0, g, alpha, eps)`` of random erasure problems, one shape each.

    ``g`` is idempotent (image points map to themselves, every other point to a random image
    point) unless ``idempotent=False``. Labels within a fibre share a base distribution mixed
    with point-specific noise of random weight λ in [0, 1] (λ = 0 in 15%: τ = 0). Image points
    keep positive mass so the point reading is defined.
    """
    shapes = _shapes(max_x, max_y)
    per = int(np.ceil(n_instances / len(shapes)))
    for n, m in shapes:
        B = per
        perm = np.argsort(rng.random((B, n)), axis=1)
        k = rng.integers(1, n + 1, B)
        is_image = np.zeros((B, n), bool)
        np.put_along_axis(is_image, perm, np.arange(n)[None, :] < k[:, None], axis=1)
        pick = np.floor(rng.random((B, n)) * k[:, None]).astype(int)
        g = np.take_along_axis(perm, pick, axis=1)
        g = np.where(is_image, np.arange(n)[None, :], g)
        if not idempotent:
            g = np.floor(rng.random((B, n)) * n).astype(int)
        mass = _dirichlet(rng, B, n, 10 ** rng.uniform(-0.7, 0.7, B))
        scale = 10 ** rng.uniform(-3, 0, B)
        mass = np.where(is_image & (rng.random((B, 1)) < 0.5), mass * scale[:, None], mass)
        mass = np.maximum(mass, 1e-6)
        mass = mass / mass.sum(-1, keepdims=True)
        base = _dirichlet(rng, B * n, m, 10 ** rng.uniform(-1, 1, B * n)).reshape(B, n, m)
        base_of_fibre = np.take_along_axis(base, g[..., None], axis=1)
        noise = _dirichlet(rng, B * n, m, 10 ** rng.uniform(-1, 1, B * n)).reshape(B, n, m)
        lam = np.where(rng.random(B) < 0.15, 0.0, rng.uniform(0, 1, B))[:, None, None]
        cond = (1 - lam) * base_of_fibre + lam * noise
        P0 = mass[..., None] * cond
        P0 = P0 / P0.sum((1, 2), keepdims=True)
        yield P0, g, _alphas(rng, B), _epsilons(rng, B)


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
    :func:`collective.theory.discrete.erasure_success`). The returned summary counts violations
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
    strategy = _STRATEGY[theorem]
    rows = []
    start = time.perf_counter()
    if theorem == "3.7":
        batches = random_erasure_instances(n_instances, rng, idempotent=idempotent)
    else:
        batches = random_planting_instances(n_instances, rng, strategy)
    if progress:
        from tqdm import tqdm  # not tqdm.auto: it warns on stderr in notebooks

        batches = tqdm(list(batches), desc=f"Theorem {theorem}")
    for batch in batches:
        if theorem == "3.7":
            P0, g, alpha, eps = batch
            S0 = discrete.erasure_success_batch(P0, g, alpha, 0.0, reading)
            S_tv = discrete.erasure_success_batch(P0, g, alpha, eps, reading, "tv")
            S_tv_real = discrete.erasure_success_batch(
                P0, g, alpha, eps, reading, "tv", realizable=True
            )
            S_cont = discrete.erasure_success_batch(P0, g, alpha, eps, reading, "contamination")
            tau = np.clip(discrete.tau_batch(P0, g, reading), 0, 1)
            rho = discrete.rho_batch(P0, g)
            paper = bounds.erasure_bound(alpha, tau, eps)
            c_tv = bounds.corrected_erasure_bound(alpha, tau, eps, rho, "tv")
            c_cont = bounds.corrected_erasure_bound(alpha, tau, eps, rho, "contamination")
            params = {"tau": tau, "rho": rho}
        else:
            P0, g, y_star, alpha, eps = batch
            S0 = discrete.planting_success_batch(P0, g, y_star, alpha, strategy, 0.0)
            S_tv = discrete.planting_success_batch(P0, g, y_star, alpha, strategy, eps, "tv")
            S_tv_real = S_tv  # the planting adversary is exact (see collective.theory.adversary)
            S_cont = discrete.planting_success_batch(
                P0, g, y_star, alpha, strategy, eps, "contamination"
            )
            xi = np.clip(discrete.xi_batch(P0, g), 0, 1)
            if theorem == "3.3":
                delta = np.clip(discrete.delta_batch(P0, g, y_star), 0, 1)
                paper = bounds.feature_label_bound(alpha, xi, delta, eps)
                c_tv = bounds.corrected_feature_label_bound(alpha, xi, delta, eps, "tv")
                c_cont = bounds.corrected_feature_label_bound(
                    alpha, xi, delta, eps, "contamination"
                )
                params = {"xi": xi, "delta": delta}
            else:
                p = np.clip(discrete.p_batch(P0, y_star), 1e-300, 1)
                paper = bounds.feature_only_bound(alpha, xi, p, eps)
                c_tv = bounds.corrected_feature_only_bound(alpha, xi, p, eps, "tv")
                c_cont = bounds.corrected_feature_only_bound(alpha, xi, p, eps, "contamination")
                params = {"xi": xi, "p": p}
        rows.append(
            pd.DataFrame(
                {
                    "n_x": P0.shape[1],
                    "n_y": P0.shape[2],
                    "alpha": alpha,
                    "eps": eps,
                    **params,
                    "S_eps0": S0,
                    "S_tv": S_tv,
                    "S_tv_real": S_tv_real,
                    "S_cont": S_cont,
                    "paper": paper,
                    "corrected_tv": c_tv,
                    "corrected_cont": c_cont,
                }
            )
        )
    df = pd.concat(rows, ignore_index=True).iloc[:n_instances]
    seconds = time.perf_counter() - start
    return CheckResult(theorem=theorem, table=df, seconds=seconds, summary=_summarize(df))


def tight_feature_label_instance(
    alpha: float, xi: float, delta: float
) -> tuple[np.ndarray, np.ndarray, int]:
    """A problem on which Theorem 3.3 (ε = 0) holds with equality at ``alpha``.

    Four points: ``x1`` (mass ξ, ``P0(y*|x1) = (1-Δ)/2``, so ``Δ_{x1} = Δ``), ``x2`` (no
    mass), ``u`` (mass ``w = (1-α)Δξ/α``, mapped to ``x1``) and ``v`` (the rest, mapped to
    ``x2`` like ``x1`` and ``x2``). At ``x1`` the collective's mass ``α w`` exactly ties the
    base margin ``(1-α)Δξ``, the tie goes against the collective, and ``S(α) = 1 - w``, the
    bound. Needs ``ξ + w <= 1``. Returns ``(P0, g, y_star)`` with ``y_star = 0``.
    """
    w = (1.0 - alpha) * delta * xi / alpha
    if xi + w > 1.0:
        raise ValueError(
            f"no tight instance: xi + (1-alpha)*delta*xi/alpha = {xi + w:.3g} exceeds 1"
        )
    P0 = np.array(
        [
            [xi * (1 - delta) / 2, xi * (1 + delta) / 2],  # x1
            [0.0, 0.0],  # x2
            [w, 0.0],  # u
            [1.0 - xi - w, 0.0],  # v
        ]
    )
    g = np.array([1, 1, 0, 1])
    return P0, g, 0


def example_planting_problem(
    n_x: int = 40,
    n_signal: int = 12,
    n_y: int = 3,
    xi: float = 0.05,
    p: float | None = None,
    seed: int = 0,
) -> tuple[np.ndarray, np.ndarray, int]:
    """A readable random planting problem for figures: ``(P0, g, y_star)`` with ``y_star = 0``.

    ``n_signal`` of the ``n_x`` points form the signal set with base mass ``xi``; every other
    point maps to a random signal point, so preimage masses (and hence the α at which each
    signal point flips) differ. Labels are Dirichlet draws in which ``y*`` is rarely the top
    label; with ``p`` given, ``P0(y*|x) >= p`` everywhere (for the feature-only strategy).
    """
    if not 0 < n_signal < n_x:
        raise ValueError(f"need 0 < n_signal < n_x, got n_signal={n_signal}, n_x={n_x}")
    if not 0 < xi < 1:
        raise ValueError(f"xi must lie in (0, 1), got {xi}")
    rng = np.random.default_rng(seed)
    mass = rng.dirichlet(np.ones(n_x))
    signal = np.arange(n_signal)
    mass[signal] *= xi / mass[signal].sum()
    mass[n_signal:] *= (1 - xi) / mass[n_signal:].sum()
    cond = rng.dirichlet(np.ones(n_y) * 0.7, size=n_x)
    cond[:, [0, 1]] = np.sort(cond[:, [0, 1]], axis=1)  # label 0 = y* is not the favourite
    if p is not None:
        cond = p * (np.arange(n_y) == 0) + (1 - p) * cond
    g = rng.integers(0, n_signal, n_x)
    return mass[:, None] * cond, g, 0


def example_erasure_problem(
    n_x: int = 8, n_image: int = 3, n_y: int = 2, noise: float = 0.3, seed: int = 0
) -> tuple[np.ndarray, np.ndarray]:
    """A readable random erasure problem for figures: ``(P0, g)`` with idempotent ``g``.

    Points ``0..n_image-1`` are the summaries (``g(z) = z``), every other point maps to one of
    them; labels in a fibre share a base distribution mixed with point noise of weight
    ``noise`` (τ grows with it).
    """
    if not 0 < n_image <= n_x:
        raise ValueError(f"need 0 < n_image <= n_x, got n_image={n_image}, n_x={n_x}")
    if not 0 <= noise <= 1:
        raise ValueError(f"noise must lie in [0, 1], got {noise}")
    rng = np.random.default_rng(seed)
    g = np.concatenate([np.arange(n_image), rng.integers(0, n_image, n_x - n_image)])
    mass = rng.dirichlet(np.ones(n_x) * 2)
    base = rng.dirichlet(np.ones(n_y), size=n_x)[g]
    cond = (1 - noise) * base + noise * rng.dirichlet(np.ones(n_y), size=n_x)
    return mass[:, None] * cond, g


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
    ``realizable`` apply to Theorem 3.7 (see :func:`collective.theory.discrete.erasure_success`:
    ``realizable=True`` scores a concrete ε-optimal classifier, so a bound above it is violated).
    """
    if theorem not in THEOREMS:
        raise ValueError(f"theorem must be one of {THEOREMS}, got {theorem!r}")
    P0, g = discrete.check_problem(P0, g, y_star if theorem != "3.7" else None)
    alphas = np.asarray(alphas, dtype=float)
    B = len(alphas)
    P0b, gb = np.broadcast_to(P0, (B, *P0.shape)), np.broadcast_to(g, (B, len(g)))
    if theorem == "3.7":
        S = discrete.erasure_success_batch(P0b, gb, alphas, eps, reading, perturbation, realizable)
        tau = discrete.tau_of(P0, g, reading)
        rho = discrete.rho_of(P0, g)
        paper = bounds.erasure_bound(alphas, tau, eps)
        corrected = bounds.corrected_erasure_bound(alphas, tau, eps, rho, perturbation)
        params = {"tau": tau, "rho": rho}
    else:
        strategy = _STRATEGY[theorem]
        S = discrete.planting_success_batch(P0b, gb, y_star, alphas, strategy, eps, perturbation)
        xi = discrete.xi_of(P0, g)
        if theorem == "3.3":
            delta = discrete.delta_of(P0, g, y_star)
            paper = bounds.feature_label_bound(alphas, xi, delta, eps)
            corrected = bounds.corrected_feature_label_bound(alphas, xi, delta, eps, perturbation)
            params = {"xi": xi, "delta": delta}
        else:
            p = discrete.p_of(P0, y_star)
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
