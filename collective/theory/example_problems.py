"""Small, readable finite problems for the book's figures and for the tightness of Theorem 3.3.

:func:`tight_feature_label_instance` is a problem on which Theorem 3.3 holds with equality;
:func:`example_planting_problem` and :func:`example_erasure_problem` are random problems of a
size a figure can show, seeded so that the book draws the same one every time.
"""

from __future__ import annotations

import numpy as np

__all__ = ["tight_feature_label_instance", "example_planting_problem", "example_erasure_problem"]


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
