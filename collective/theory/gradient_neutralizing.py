"""The collective's gradient-neutralizing strategy against a GLM firm (Section 4.1, Theorem 4.2).

The strategy finds a distribution P' whose gradient at the target θ* points against the base
gradient ``g0 = g_{P0}(θ*)``, and each member plays a draw from P' with the mixing probability
``p`` of the strategy's definition. For GLMs the per-example gradient is ``x (mu_θ(x) - y)``
(+ ``l2 θ``), so P' can be a single point:

- *feature-label*: ``x' = -g0`` and a label ``y' < mu_θ*(x')`` (0 for logistic regression,
  ``mu_θ*(x') - margin`` for linear regression);
- *feature-only*: each member keeps her label and moves to ``x' = -g0`` if ``y < mu_θ*(x')``,
  else to ``x = 0`` (zero gradient).

With ``l2 > 0`` every example's gradient carries ``l2 θ*``, which the point must also cancel;
:func:`gradient_neutralizing_strategy` then solves a scalar equation for the point's scale and
raises :class:`NoNeutralizingDistributionError` when no such point exists.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import optimize

from collective.errors import CollectiveError
from collective.theory.glm import GLM
from collective.theory.optimization import (
    gradient_neutralizing_critical_mass,
    risk_minimization_success_bound,
)
from collective.theory.weighted_sample import Sample

__all__ = [
    "VARIANTS",
    "GradientNeutralizingStrategy",
    "NoNeutralizingDistributionError",
    "gradient_neutralizing_strategy",
]

VARIANTS = ("feature-label", "feature-only")


class NoNeutralizingDistributionError(CollectiveError, ValueError):
    """No gradient-neutralizing distribution of the requested kind exists for the target."""


@dataclass(frozen=True)
class GradientNeutralizingStrategy:
    """The gradient-neutralizing strategy for a target θ* (Section 4.1, Theorem 4.2).

    ``collective`` is the distribution P' (a weighted :class:`Sample`), ``g0`` and ``g_prime``
    are ``g_{P0}(θ*)`` and ``g_{P'}(θ*)``; ``alpha_star`` is Corollary 4.3's critical mass.
    """

    model: GLM
    base: Sample
    theta_star: np.ndarray
    variant: str
    collective: Sample
    g0: np.ndarray
    g_prime: np.ndarray

    @property
    def alpha_star(self) -> float:
        """Corollary 4.3: ``||g0|| / (||g'|| + ||g0||)``."""
        return gradient_neutralizing_critical_mass(self.g0, self.g_prime)

    def p(self, alpha: float) -> float:
        """The mixing probability ``min(1, alpha*/alpha)`` of the strategy's definition."""
        if not 0.0 < alpha <= 1.0:
            raise ValueError(f"alpha must lie in (0, 1], got {alpha}.")
        return min(1.0, self.alpha_star / alpha)

    def mixture(self, alpha: float) -> Sample:
        """``P = alpha P* + (1-alpha) P0 = alpha p P' + (1 - alpha p) P0`` (proof of Thm 4.2)."""
        if alpha == 0.0:
            return self.base
        return self.base.mix(self.collective, alpha * self.p(alpha))

    def firm(self, alpha: float) -> np.ndarray:
        """The firm's exact risk minimizer on the mixture at collective size ``alpha``."""
        return self.model.fit(self.mixture(alpha), theta_init=self.theta_star)

    def theorem_4_2_bound(self, alpha: float, mu: float) -> float:
        """Theorem 4.2: an upper bound on ``||θ - θ*||`` (minus the success bound)."""
        return -float(risk_minimization_success_bound(alpha, self.g0, self.g_prime, mu))


def _solve_scale(phi, target: float) -> float | None:
    """Smallest r > 0 on a log grid with ``phi(r) = target`` (phi continuous, phi(0+) = 0)."""
    rs = np.geomspace(1e-8, 1e8, 321)
    vals = np.array([phi(r) for r in rs])
    hit = np.nonzero(vals >= target)[0]
    if len(hit) == 0:
        return None
    j = hit[0]
    if j == 0:
        return float(rs[0])
    return float(
        optimize.brentq(lambda r: phi(r) - target, rs[j - 1], rs[j], xtol=1e-15, rtol=1e-15)
    )


def gradient_neutralizing_strategy(
    model: GLM,
    base: Sample,
    theta_star: np.ndarray,
    variant: str = "feature-label",
    *,
    margin: float = 1.0,
    feature_norm: float | None = None,
) -> GradientNeutralizingStrategy:
    """Build the gradient-neutralizing strategy for ``theta_star`` (Section 4.1).

    ``variant``: ``"feature-label"`` (the collective sets ``x' = -g0`` and a label below
    ``mu_θ*(x')``: 0 for logistic, ``mu_θ*(x') - margin`` for linear regression) or
    ``"feature-only"`` (members keep labels; ``x' = -g0`` if ``y < mu_θ*(x')``, else 0).
    ``feature_norm``: rescale the point to ``x' = -feature_norm g0 / ||g0||`` (a feature budget;
    only without ``l2``). With ``l2 > 0`` the point also cancels ``l2 θ*``; its scale is then
    solved for and :class:`NoNeutralizingDistributionError` is raised if none exists.
    """
    if variant not in VARIANTS:
        raise ValueError(f"variant must be one of {VARIANTS}, got {variant!r}.")
    theta_star = np.asarray(theta_star, dtype=float)
    if theta_star.shape != (base.dim,) or not np.isfinite(theta_star).all():
        raise ValueError(
            f"theta_star must be a finite vector of length {base.dim}, got {theta_star}."
        )
    if not margin > 0:
        raise ValueError(f"margin must be positive (the label sits below the mean), got {margin}.")
    if feature_norm is not None and not feature_norm > 0:
        raise ValueError(f"feature_norm must be positive, got {feature_norm}.")
    if feature_norm is not None and model.l2 > 0:
        raise ValueError(
            "feature_norm is only supported for l2 = 0 (with l2 the scale is solved for)."
        )
    g0 = model.gradient(theta_star, base)
    n0 = float(np.linalg.norm(g0))
    if n0 == 0.0:  # θ* already minimizes the base risk: the collective need not act (alpha* = 0)
        collective = base
    elif model.l2 == 0.0:
        x_prime = -g0 if feature_norm is None else -feature_norm * g0 / n0
        collective = _point_distribution(model, base, theta_star, variant, x_prime, margin)
    else:
        collective = _regularized_point(model, base, theta_star, variant, g0, margin)
    g_prime = model.gradient(theta_star, collective)
    if n0 > 0 and not (
        g_prime @ g0 < 0 and np.isclose(abs(g_prime @ g0), np.linalg.norm(g_prime) * n0, rtol=1e-9)
    ):
        raise NoNeutralizingDistributionError(
            f"The {variant} point does not neutralize the gradient at theta_star "
            f"(g0={g0}, g'={g_prime}); this should not happen, please report it."
        )
    return GradientNeutralizingStrategy(model, base, theta_star, variant, collective, g0, g_prime)


def _point_distribution(model, base, theta_star, variant, x_prime, margin) -> Sample:
    mu_x = float(model.mean(theta_star, x_prime[None, :])[0])
    if variant == "feature-label":
        y_prime = 0.0 if model.family == "logistic" else mu_x - margin
        return Sample(x_prime[None, :], np.array([y_prime]))
    moves = base.y < mu_x
    if not moves.any():
        raise NoNeutralizingDistributionError(
            f"Feature-only gradient neutralizing needs labels y < mu_theta*(x') = {mu_x:.4g} under P0, "
            "but no base label is that small; use the feature-label variant or another target."
        )
    X = np.where(moves[:, None], x_prime[None, :], 0.0)
    return Sample(X, base.y, base.w)


def _regularized_point(model, base, theta_star, variant, g0, margin) -> Sample:
    # Need E_{P'}[x (mu - y)] = v(k) := -(k g0 + l2 θ*) for some k > 0: put x' = r v̂ and solve
    # r E[(mu_θ*(r v̂) - y)_+] = ||v(k)|| for r; shrink k if no r works.
    for k in np.geomspace(1.0, 1e-12, 25):
        v = -(k * g0 + model.l2 * theta_star)
        nv = float(np.linalg.norm(v))
        vhat = v / nv
        if variant == "feature-label" and model.family == "linear":
            return Sample(
                (nv / margin) * vhat[None, :], np.array([theta_star @ vhat * nv / margin - margin])
            )
        if variant == "feature-label":  # logistic, label 0
            labels, weights = np.zeros(1), np.ones(1)
        else:
            labels, weights = base.y, base.w

        def phi(r: float) -> float:
            return r * float(
                weights @ np.clip(model.mean(theta_star, r * vhat[None, :])[0] - labels, 0.0, None)
            )

        r = _solve_scale(phi, nv)
        if r is None:
            continue
        x_prime = r * vhat
        if variant == "feature-label":
            return Sample(x_prime[None, :], np.array([0.0]))
        moves = base.y < model.mean(theta_star, x_prime[None, :])[0]
        return Sample(np.where(moves[:, None], x_prime[None, :], 0.0), base.y, base.w)
    raise NoNeutralizingDistributionError(
        f"No {variant} point can cancel both the base gradient and the regularizer's pull "
        f"l2*theta_star (l2={model.l2}, ||theta_star||={np.linalg.norm(theta_star):.3g}): labels are "
        "bounded, so a single point's gradient is too. Lower l2 or pick a target closer to 0."
    )
