"""Proposition 4.4: the target a collective aims at to gain utility, and the gradient bound it needs.

:func:`utility_target` is the target ``θ*`` of the proposition's proof for a convex utility;
:func:`neutralizing_gradient_lower_bound` estimates ``g_lb``, the smallest gradient the
gradient-neutralizing distribution (:mod:`collective.theory.gradient_neutralizing`) has on a
ball of targets, which the proposition's critical mass is stated in.
"""

from __future__ import annotations

import numpy as np

from collective.theory.glm import GLM
from collective.theory.gradient_neutralizing import gradient_neutralizing_strategy
from collective.theory.weighted_sample import Sample

__all__ = ["utility_target", "neutralizing_gradient_lower_bound"]


def utility_target(theta0: np.ndarray, grad_u: np.ndarray, U: float) -> np.ndarray:
    """The target ``θ* = θ0 + ∇u(θ0) U / ||∇u(θ0)||²`` of the proof of Proposition 4.4.

    For a convex utility ``u``, reaching it guarantees a utility gain of at least ``U``.
    """
    grad_u = np.asarray(grad_u, dtype=float)
    nu = float(np.linalg.norm(grad_u))
    if nu == 0 or U < 0:
        raise ValueError(f"Need a non-zero utility gradient and U >= 0, got ||∇u||={nu}, U={U}.")
    return np.asarray(theta0, dtype=float) + grad_u * U / nu**2


def neutralizing_gradient_lower_bound(
    model: GLM,
    base: Sample,
    center: np.ndarray,
    radius: float,
    *,
    variant: str = "feature-label",
    n_samples: int = 200,
    seed: int = 0,
    **strategy_kwargs,
) -> float:
    """``g_lb`` of Proposition 4.4, estimated: the smallest ``||g_{P'}(θ')||`` over the center,
    the sphere and random points of the ball ``||θ' - center|| <= radius``.

    Sampling gives an upper estimate of the true minimum; when ``||g_{P'}||`` is constant (e.g.
    linear regression with ``feature_norm``) it is exact.
    """
    rng = np.random.default_rng(seed)
    center = np.asarray(center, dtype=float)
    d = center.shape[0]
    dirs = rng.standard_normal((n_samples, d))
    dirs /= np.linalg.norm(dirs, axis=1, keepdims=True)
    radii = radius * rng.random(n_samples) ** (1.0 / d)
    points = np.vstack([center[None, :], center + radius * dirs, center + radii[:, None] * dirs])
    best = np.inf
    for theta in points:
        s = gradient_neutralizing_strategy(model, base, theta, variant, **strategy_kwargs)
        if np.linalg.norm(s.g0) > 0:
            best = min(best, float(np.linalg.norm(s.g_prime)))
    return best
