"""Convex risk minimization and the gradient-neutralizing strategy (Section 4.1 of the paper).

The firm is an exact risk minimizer (Definition 4.1) over a generalized linear model (GLM):
logistic or linear regression, with an optional ℓ2 term ``l2/2 ||θ||²`` in every example's
loss, which makes the risk ``l2``-strongly convex. Distributions are weighted samples
(:class:`Sample`): the base population P0 is an empirical sample, and the mixture
``P = alpha P* + (1 - alpha) P0`` the firm sees is again a weighted sample, so the firm's
problem is solved exactly (Newton / trust-region with scipy, gradient norm ~1e-13), not by a
few SGD steps.

The collective's strategy is gradient neutralizing (Section 4.1): it finds a distribution P'
whose gradient at the target θ* points against the base gradient ``g0 = g_{P0}(θ*)``, and
each member plays a draw from P' with the mixing probability ``p`` of the strategy's
definition. For GLMs the per-example gradient is ``x (mu_θ(x) - y)`` (+ ``l2 θ``), so P'
can be a single point:

- *feature-label*: ``x' = -g0`` and a label ``y' < mu_θ*(x')`` (0 for logistic regression,
  ``mu_θ*(x') - margin`` for linear regression);
- *feature-only*: each member keeps her label and moves to ``x' = -g0`` if ``y < mu_θ*(x')``,
  else to ``x = 0`` (zero gradient).

With ``l2 > 0`` every example's gradient carries ``l2 θ*``, which the point must also cancel;
:func:`gradient_neutralizing_strategy` then solves a scalar equation for the point's scale and
raises :class:`NoNeutralizingDistributionError` when no such point exists.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from scipy import linalg, optimize
from scipy.special import expit

from collective.errors import CollectiveError
from collective.theory.optimization import (
    gradient_neutralizing_critical_mass,
    risk_minimization_success_bound,
)

__all__ = [
    "GLM",
    "Sample",
    "GradientNeutralizingStrategy",
    "NoNeutralizingDistributionError",
    "gradient_neutralizing_strategy",
    "make_glm_sample",
    "utility_target",
    "neutralizing_gradient_lower_bound",
]

FAMILIES = ("logistic", "linear")
VARIANTS = ("feature-label", "feature-only")


class NoNeutralizingDistributionError(CollectiveError, ValueError):
    """No gradient-neutralizing distribution of the requested kind exists for the target."""


@dataclass(frozen=True)
class Sample:
    """A weighted sample ``(X, y, w)`` standing for a distribution over ``Z = X x Y``.

    Weights are normalized to sum to 1, so expectations are weighted sums.
    """

    X: np.ndarray
    y: np.ndarray
    w: np.ndarray = field(default=None)  # type: ignore[arg-type]  # None: equal weights, set in __post_init__

    def __post_init__(self) -> None:
        X = np.atleast_2d(np.asarray(self.X, dtype=float))
        y = np.atleast_1d(np.asarray(self.y, dtype=float))
        if X.ndim != 2 or y.ndim != 1 or X.shape[0] != y.shape[0] or X.shape[0] == 0:
            raise ValueError(
                f"A sample needs X of shape (n, d) and y of shape (n,), n >= 1; got {X.shape} and {y.shape}."
            )
        w = np.full(len(y), 1.0 / len(y)) if self.w is None else np.asarray(self.w, dtype=float)
        if w.shape != y.shape or np.any(w < 0) or not np.isfinite(w).all() or w.sum() <= 0:
            raise ValueError(
                "Sample weights must be non-negative, finite, one per example, not all 0."
            )
        if not (np.isfinite(X).all() and np.isfinite(y).all()):
            raise ValueError("Sample features and labels must be finite.")
        object.__setattr__(self, "X", X)
        object.__setattr__(self, "y", y)
        object.__setattr__(self, "w", w / w.sum())

    @property
    def dim(self) -> int:
        return self.X.shape[1]

    def mix(self, other: Sample, weight: float) -> Sample:
        """The mixture ``weight * other + (1 - weight) * self``."""
        if not 0.0 <= weight <= 1.0:
            raise ValueError(f"A mixture weight must lie in [0, 1], got {weight}.")
        if other.dim != self.dim:
            raise ValueError(f"Cannot mix samples of dimension {self.dim} and {other.dim}.")
        return Sample(
            np.vstack([self.X, other.X]),
            np.concatenate([self.y, other.y]),
            np.concatenate([(1 - weight) * self.w, weight * other.w]),
        )


@dataclass(frozen=True)
class GLM:
    """A generalized linear model with loss ``b(θᵀx) - y θᵀx + l2/2 ||θ||²``.

    ``family="logistic"``: ``b(t) = log(1 + e^t)``, mean ``mu_θ(x) = sigmoid(θᵀx)``, labels in
    [0, 1]. ``family="linear"``: ``b(t) = t²/2`` (squared loss up to a constant), mean
    ``θᵀx``. The per-example gradient is ``x (mu_θ(x) - y) + l2 θ`` (Section 4.1).
    """

    family: str = "logistic"
    l2: float = 0.0

    def __post_init__(self) -> None:
        if self.family not in FAMILIES:
            raise ValueError(f"family must be one of {FAMILIES}, got {self.family!r}.")
        if not (np.isfinite(self.l2) and self.l2 >= 0):
            raise ValueError(f"l2 must be a finite non-negative number, got {self.l2}.")

    def mean(self, theta: np.ndarray, X: np.ndarray) -> np.ndarray:
        """The mean predictor ``mu_θ(x)``."""
        t = np.asarray(X) @ theta
        return expit(t) if self.family == "logistic" else t

    def _variance(self, t: np.ndarray) -> np.ndarray:
        if self.family == "logistic":
            s = expit(t)
            return s * (1 - s)
        return np.ones_like(t)

    def risk(self, theta: np.ndarray, P: Sample) -> float:
        """``E_P loss(θ; z)``."""
        t = P.X @ theta
        b = np.logaddexp(0.0, t) if self.family == "logistic" else 0.5 * t**2
        return float(P.w @ (b - P.y * t) + 0.5 * self.l2 * theta @ theta)

    def gradient(self, theta: np.ndarray, P: Sample) -> np.ndarray:
        """``g_P(θ) = E_P ∇loss(θ; z)``."""
        return P.X.T @ (P.w * (self.mean(theta, P.X) - P.y)) + self.l2 * theta

    def hessian(self, theta: np.ndarray, P: Sample) -> np.ndarray:
        """Hessian of the risk on ``P`` at ``theta``."""
        v = P.w * self._variance(P.X @ theta)
        return (P.X * v[:, None]).T @ P.X + self.l2 * np.eye(P.dim)

    def smoothness(self, P: Sample) -> float:
        """A smoothness constant β of the risk on ``P`` (largest Hessian eigenvalue bound)."""
        second = (P.X * P.w[:, None]).T @ P.X
        scale = 0.25 if self.family == "logistic" else 1.0
        return float(scale * linalg.eigvalsh(second)[-1] + self.l2)

    def strong_convexity(
        self, P: Sample, theta_a: np.ndarray, theta_b: np.ndarray, n_grid: int = 65
    ) -> float:
        """Strong convexity μ of the risk on the segment ``[theta_a, theta_b]``.

        The proof of Theorem 4.2 only uses ``||∇F(θ*) - ∇F(θ)|| >= μ ||θ* - θ||`` on that
        segment, which holds with μ the smallest Hessian eigenvalue on it. Exact for linear
        regression (constant Hessian); for logistic regression the minimum over ``n_grid``
        points (``l2`` is a guaranteed lower bound).
        """
        lams = np.linspace(0.0, 1.0, 1 if self.family == "linear" else n_grid)
        return float(
            min(linalg.eigvalsh(self.hessian((1 - s) * theta_a + s * theta_b, P))[0] for s in lams)
        )

    def fit(
        self, P: Sample, theta_init: np.ndarray | None = None, gtol: float = 1e-13
    ) -> np.ndarray:
        """The exact risk minimizer ``argmin_θ E_P loss(θ; z)`` (Definition 4.1)."""
        H0 = self.hessian(np.zeros(P.dim), P)
        if self.family == "linear":
            try:
                return linalg.solve(H0, P.X.T @ (P.w * P.y), assume_a="pos")
            except linalg.LinAlgError as exc:
                raise ValueError(
                    "The least-squares risk has no unique minimizer (singular second moment); "
                    "add features variation or set l2 > 0."
                ) from exc
        theta = np.zeros(P.dim) if theta_init is None else np.asarray(theta_init, dtype=float)
        res = optimize.minimize(
            self.risk,
            theta,
            args=(P,),
            jac=self.gradient,
            hess=self.hessian,
            method="trust-exact",
            options={"gtol": gtol, "maxiter": 500},
        )
        theta = res.x
        for _ in range(3):  # Newton polish down to rounding error
            theta = theta - linalg.solve(
                self.hessian(theta, P), self.gradient(theta, P), assume_a="pos"
            )
        g = np.linalg.norm(self.gradient(theta, P))
        # On separable data the risk only flattens out at infinity: a vanishing curvature at the
        # returned point, not a small gradient, tells it apart from a true minimizer.
        flat = linalg.eigvalsh(self.hessian(theta, P))[0] < 1e-9 * max(self.smoothness(P), 1e-300)
        if not np.isfinite(g) or g > 1e-8 or flat:
            raise ValueError(
                f"The firm's risk minimization did not converge (gradient norm {g:.2e}); the data may be "
                "separable, in which case no minimizer exists: set l2 > 0 or use noisier labels."
            )
        return theta


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


def make_glm_sample(
    family: str,
    n: int,
    theta_true: np.ndarray,
    *,
    noise: float = 1.0,
    seed: int = 0,
    cov: np.ndarray | None = None,
) -> Sample:
    """A synthetic base population P0: Gaussian features and labels from a GLM ``theta_true``.

    Logistic: ``y ~ Bernoulli(sigmoid(θᵀx))``; linear: ``y = θᵀx + noise * N(0, 1)``.
    """
    if family not in FAMILIES:
        raise ValueError(f"family must be one of {FAMILIES}, got {family!r}.")
    if n < 2:
        raise ValueError(f"n must be at least 2, got {n}.")
    theta_true = np.asarray(theta_true, dtype=float)
    rng = np.random.default_rng(seed)
    d = theta_true.shape[0]
    X = (
        rng.standard_normal((n, d))
        if cov is None
        else rng.multivariate_normal(np.zeros(d), cov, size=n)
    )
    t = X @ theta_true
    if family == "logistic":
        y = (rng.random(n) < expit(t)).astype(float)
    else:
        y = t + noise * rng.standard_normal(n)
    return Sample(X, y)


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
