"""Random finite problems for the checks of Theorems 3.3, 3.5 and 3.7, drawn in batches.

Each generator yields one batch per shape ``(|X|, |Y|)`` (the shapes are looped over, the
instances of one shape are vectorized) and draws the parameters the bounds depend on over
their whole range, edge cases included: ξ near 0 or exactly 0, Δ = 0, τ = 0, α near 0 and
equal to 1, ε = 0. :func:`collective.theory.checks.run_check` scores them.
"""

from __future__ import annotations

import numpy as np

__all__ = ["random_planting_instances", "random_erasure_instances"]


def zero_margin(cond: np.ndarray, onehot: np.ndarray, where: np.ndarray) -> np.ndarray:
    """``cond`` (B, n, m) with the target (``onehot``) swapped with the top label at the
    points ``where`` (B, n): $\\Delta = 0$ there (the target ties the top label)."""
    top = cond.max(-1, keepdims=True)
    own = np.where(onehot, cond, 0).sum(-1, keepdims=True)
    swapped = np.where(onehot, top, np.where(cond == top, own, cond))
    return np.where(where[..., None], swapped, cond)


def joint(mass: np.ndarray, cond: np.ndarray) -> np.ndarray:
    """The joint distributions (B, n, m) of point masses (B, n) and conditionals (B, n, m),
    normalised."""
    P0 = mass[..., None] * cond
    return P0 / P0.sum((1, 2), keepdims=True)


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
        cond = zero_margin(cond, onehot, zero_delta)
        P0 = joint(mass, cond)
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
        P0 = joint(mass, cond)
        yield P0, g, _alphas(rng, B), _epsilons(rng, B)
