"""Gradient-based learning on a nonconvex model and the gradient-control strategy (Section 4.2).

The firm runs gradient descent ``θ_{t+1} = θ_t - eta g_{P_t}(θ_t)`` on the mixture
``P_t = alpha P'_t + (1 - alpha) P0`` it observes at step ``t``. The model is a single sigmoid
neuron with squared loss, ``loss(θ; (x, y)) = (sigmoid(θᵀx) - y)² / 2`` with labels in [0, 1]:
its risk is nonconvex in θ (plateaus where the sigmoid saturates), which is the setting of
Theorem 4.5.

The collective acts adaptively (:class:`GradientControlCollective`): at each step it sees θ_t
and plays a point ``(x', y')`` whose gradient redirects the firm,

    g_{P'}(θ) = -(1 - alpha)/alpha g_{P0}(θ) + xi (θ - θ*),   0 < xi < 1/(alpha eta),

so the firm's step becomes ``alpha xi (θ - θ*)`` and θ moves straight towards θ*.

**How the point is found.** The neuron's per-example gradient is
``(sigmoid(θᵀx) - y) sigmoid'(θᵀx) x``: a multiple of ``x``. So a target vector ``v`` is
reached by a point on the line of ``v``: ``x' = r v/||v||`` with ``a = θᵀv/||v||`` and label
``y' = sigmoid(r a) - ||v|| / (r sigmoid'(r a))``. Features are limited to ``||x'|| <= R``
(``feature_bound``) and labels to [0, 1], so the largest gradient a point can produce along
``v`` is ``M(v) = max_{0 < r <= R} r sigmoid(r a)² (1 - sigmoid(r a))``: a point exists iff
``||v|| <= M(v)`` (we maximize over a fine grid of ``r`` and build the point at the best grid
``r``, so every point we report is checked, not assumed). The collective takes the largest
``xi <= xi_fraction / (alpha eta)`` for which a point exists (grid search, then bisection).

**When none exists.** If even ``xi -> 0`` fails, i.e. ``(1 - alpha)/alpha ||g_{P0}(θ)||``
exceeds what one bounded point can produce, the collective cannot cancel the base gradient:
:class:`NoRedirectingDistributionError` says where and by how much. (A mixture of several
points reaches the convex hull of these gradients; we restrict the collective to a point mass,
so "none" means "no point mass".) This is the theorem's caveat: paths through large P0
gradients need larger collectives.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from scipy.special import expit

from collective.errors import CollectiveError
from collective.theory.glm import make_glm_sample
from collective.theory.weighted_sample import Sample

__all__ = [
    "NeuronModel",
    "GradientControlCollective",
    "NoRedirectingDistributionError",
    "Trajectory",
    "gradient_descent",
    "make_neuron_sample",
    "path_constant",
    "minimal_feasible_alpha",
]


class NoRedirectingDistributionError(CollectiveError, ValueError):
    """No bounded point redirects the firm's gradient at the current model."""


@dataclass(frozen=True)
class NeuronModel:
    """A sigmoid neuron ``f_θ(x) = sigmoid(θᵀx)`` with squared loss (nonconvex in θ)."""

    def predict(self, theta: np.ndarray, X: np.ndarray) -> np.ndarray:
        return expit(np.asarray(X) @ theta)

    def risk(self, theta: np.ndarray, P: Sample) -> float:
        return float(0.5 * P.w @ (self.predict(theta, P.X) - P.y) ** 2)

    def gradient(self, theta: np.ndarray, P: Sample) -> np.ndarray:
        """``g_P(θ)``: the weighted mean of ``(sigmoid(θᵀx) - y) sigmoid'(θᵀx) x``."""
        s = self.predict(theta, P.X)
        return P.X.T @ (P.w * (s - P.y) * s * (1 - s))

    def risk_grid(self, P: Sample, t1: np.ndarray, t2: np.ndarray) -> np.ndarray:
        """Risk on the 2-D grid ``θ = (t1[j], t2[i])`` (for contour plots)."""
        T1, T2 = np.meshgrid(t1, t2)
        thetas = np.stack([T1.ravel(), T2.ravel()], axis=1)
        s = expit(P.X @ thetas.T)
        return (0.5 * P.w @ (s - P.y[:, None]) ** 2).reshape(T1.shape)


def make_neuron_sample(n: int, theta_true: np.ndarray, *, seed: int = 0) -> Sample:
    """Base population P0: standard Gaussian features, labels ``y ~ Bernoulli(sigmoid(θ_trueᵀx))``.

    The logistic sample of :func:`collective.theory.glm.make_glm_sample`; the neuron fits it with
    squared loss.
    """
    return make_glm_sample("logistic", n, theta_true, seed=seed)


@dataclass
class GradientControlCollective:
    """The adaptive gradient-control strategy of Section 4.2 for a target ``theta_star``.

    ``feature_bound`` (R) caps ``||x'||``; labels lie in [0, 1]. ``xi_fraction`` in (0, 1) caps
    ``xi`` at ``xi_fraction / (alpha eta)`` (the definition needs ``xi < 1/(alpha eta)``).
    """

    model: NeuronModel
    base: Sample
    theta_star: np.ndarray
    alpha: float
    eta: float
    feature_bound: float = 3.0
    xi_fraction: float = 0.5
    n_r: int = 512
    _r: np.ndarray = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self.theta_star = np.asarray(self.theta_star, dtype=float)
        if self.theta_star.shape != (self.base.dim,):
            raise ValueError(
                f"theta_star must have length {self.base.dim}, got {self.theta_star.shape}."
            )
        if not 0.0 < self.alpha < 1.0:
            raise ValueError(f"alpha must lie in (0, 1), got {self.alpha}.")
        if not self.eta > 0:
            raise ValueError(f"eta (step size) must be positive, got {self.eta}.")
        if not self.feature_bound > 0:
            raise ValueError(f"feature_bound must be positive, got {self.feature_bound}.")
        if not 0.0 < self.xi_fraction < 1.0:
            raise ValueError(f"xi_fraction must lie in (0, 1), got {self.xi_fraction}.")
        self._r = np.linspace(0.0, self.feature_bound, self.n_r + 1)[1:]

    @property
    def xi_cap(self) -> float:
        return self.xi_fraction / (self.alpha * self.eta)

    def _best_point(self, theta: np.ndarray, v: np.ndarray) -> tuple[float, float]:
        """Largest gradient ``M(v)`` a bounded point produces along ``v`` and its radius."""
        nv = np.linalg.norm(v)
        a = theta @ (v / nv)
        s = expit(self._r * a)
        h = self._r * s * s * (1 - s)
        j = int(np.argmax(h))
        return float(h[j]), float(self._r[j])

    def _feasible(self, theta: np.ndarray, g0: np.ndarray, xi: float) -> bool:
        v = -(1 - self.alpha) / self.alpha * g0 + xi * (theta - self.theta_star)
        nv = np.linalg.norm(v)
        return bool(nv == 0.0 or self._best_point(theta, v)[0] >= nv)

    def xi(self, theta: np.ndarray, g0: np.ndarray | None = None) -> float:
        """The largest feasible ``xi`` at ``theta`` (``nan`` if none: see module docstring)."""
        g0 = self.model.gradient(theta, self.base) if g0 is None else g0
        grid = self.xi_cap * np.linspace(1.0, 0.0, 65)[:-1]
        grid = np.concatenate([grid, self.xi_cap * np.geomspace(1 / 64, 1e-9, 30)[1:]])
        ok = [self._feasible(theta, g0, x) for x in grid]
        if not any(ok):
            return float("nan")
        j = ok.index(True)
        if j == 0:
            return float(grid[0])
        lo, hi = grid[j], grid[j - 1]  # lo feasible, hi not
        for _ in range(40):
            mid = 0.5 * (lo + hi)
            lo, hi = (mid, hi) if self._feasible(theta, g0, mid) else (lo, mid)
        return float(lo)

    def redirect(self, theta: np.ndarray) -> tuple[Sample, float]:
        """The gradient-redirecting distribution P' at ``theta`` (a point mass) and its ``xi``."""
        g0 = self.model.gradient(theta, self.base)
        d = theta - self.theta_star
        xi = self.xi(theta, g0) if np.linalg.norm(d) > 0 else self.xi_cap
        if not np.isfinite(xi):
            need = (1 - self.alpha) / self.alpha * np.linalg.norm(g0)
            best = self._best_point(theta, -g0)[0] if np.linalg.norm(g0) > 0 else 0.0
            raise NoRedirectingDistributionError(
                f"No gradient-redirecting point exists at theta={np.round(theta, 4)}: cancelling the base "
                f"gradient needs ||g'|| = (1-alpha)/alpha ||g_P0|| = {need:.4g}, but a point with "
                f"||x'|| <= {self.feature_bound} and a label in [0, 1] yields at most {best:.4g} in that "
                "direction. Use a larger collective (alpha), a larger feature_bound, or a target whose path "
                "avoids large base gradients."
            )
        v = -(1 - self.alpha) / self.alpha * g0 + xi * d
        nv = float(np.linalg.norm(v))
        if nv == 0.0:
            return Sample(np.zeros((1, self.base.dim)), np.array([0.5])), xi
        _, r = self._best_point(theta, v)
        vhat = v / nv
        t = r * (theta @ vhat)
        s = expit(t)
        y = s - nv / (r * s * (1 - s))
        return Sample(r * vhat[None, :], np.array([float(np.clip(y, 0.0, 1.0))])), xi


@dataclass
class Trajectory:
    """Iterates ``thetas[t]`` of gradient descent, the ``xis[t]`` used at each step, and
    ``stopped_at`` (step where no redirecting point existed, else ``None``)."""

    thetas: np.ndarray
    xis: np.ndarray
    stopped_at: int | None = None

    def distances(self, theta_star: np.ndarray) -> np.ndarray:
        return np.linalg.norm(self.thetas - np.asarray(theta_star)[None, :], axis=1)


def gradient_descent(
    model: NeuronModel,
    base: Sample,
    theta0: np.ndarray,
    eta: float,
    T: int,
    collective: GradientControlCollective | None = None,
    *,
    on_infeasible: str = "raise",
) -> Trajectory:
    """The firm's gradient descent ``θ_{t+1} = θ_t - eta g_{P_t}(θ_t)`` (Section 4.2).

    With a ``collective``, ``P_t = alpha P'_t + (1 - alpha) P0`` where ``P'_t`` is the
    collective's redirecting point at ``θ_t``; the firm computes its gradient from that data,
    so the step checks the collective's construction. ``on_infeasible``: ``"raise"`` or
    ``"stop"`` (return the iterates so far, with ``stopped_at``).
    """
    if on_infeasible not in ("raise", "stop"):
        raise ValueError(f"on_infeasible must be 'raise' or 'stop', got {on_infeasible!r}.")
    if not eta > 0 or int(T) != T or T < 0:
        raise ValueError(f"Need eta > 0 and an integer T >= 0, got eta={eta}, T={T}.")
    theta = np.asarray(theta0, dtype=float).copy()
    thetas, xis = [theta.copy()], []
    for t in range(int(T)):
        if collective is None:
            P_t = base
            xis.append(np.nan)
        else:
            try:
                P_prime, xi = collective.redirect(theta)
            except NoRedirectingDistributionError:
                if on_infeasible == "raise":
                    raise
                return Trajectory(np.array(thetas), np.array(xis), stopped_at=t)
            P_t = base.mix(P_prime, collective.alpha)
            xis.append(xi)
        theta = theta - eta * model.gradient(theta, P_t)
        thetas.append(theta.copy())
    return Trajectory(np.array(thetas), np.array(xis))


def path_constant(collective: GradientControlCollective, theta0: np.ndarray, n: int = 201) -> float:
    """``c = min_λ xi(λ θ0 + (1 - λ) θ*)`` of the proof of Theorem 4.5, on ``n`` segment points
    (excluding θ* itself, where ``xi`` plays no role). ``nan`` if the strategy fails somewhere."""
    lams = np.linspace(1.0, 0.0, n)[:-1]
    th0, ts = np.asarray(theta0, dtype=float), collective.theta_star
    xis = np.array([collective.xi(lam * th0 + (1 - lam) * ts) for lam in lams])
    return float("nan") if np.isnan(xis).any() else float(xis.min())


def minimal_feasible_alpha(
    model: NeuronModel,
    base: Sample,
    theta0: np.ndarray,
    theta_star: np.ndarray,
    eta: float,
    *,
    n: int = 101,
    tol: float = 1e-3,
    **kwargs,
) -> float:
    """Smallest alpha (to ``tol``) for which a redirecting point exists all along the segment
    from θ0 to θ* (the assumption of Theorem 4.5), by bisection."""

    def ok(alpha: float) -> bool:
        col = GradientControlCollective(model, base, theta_star, alpha, eta, **kwargs)
        return np.isfinite(path_constant(col, theta0, n))

    lo, hi = 0.0, 1.0 - 1e-9
    if not ok(hi):
        return float("nan")
    while hi - lo > tol:
        mid = 0.5 * (lo + hi)
        lo, hi = (lo, mid) if ok(mid) else (mid, hi)
    return hi
