"""The firm of Section 4.1: an exact risk minimizer (Definition 4.1) over a generalized linear model.

:class:`GLM` is logistic or linear regression with an optional ℓ2 term ``l2/2 ||θ||²`` in
every example's loss (which makes the risk ``l2``-strongly convex): its risk, gradient,
Hessian, smoothness and strong convexity on a weighted :class:`~collective.theory.weighted_sample.Sample`,
and :meth:`GLM.fit`, the firm's problem solved exactly (Newton / trust-region with scipy,
gradient norm ~1e-13), not by a few SGD steps. :func:`make_glm_sample` draws a synthetic base
population from such a model.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import linalg, optimize
from scipy.special import expit

from collective.theory.weighted_sample import Sample

__all__ = ["FAMILIES", "GLM", "make_glm_sample"]

FAMILIES = ("logistic", "linear")


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
