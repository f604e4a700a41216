"""Section 4 of the paper: risk minimization and gradient-based learning.

Closed forms of Theorem 4.2, Corollary 4.3, Proposition 4.4 and Theorem 4.5 of
Hardt et al. (ICML 2023), plus :func:`derivations`, which re-derives each of them with
sympy (the tests check that the closed forms here equal the solved expressions).

Notation follows the paper: ``g0`` is the base gradient :math:`g_{P_0}(\\theta^*)`,
``g_prime`` the gradient :math:`g_{P'}(\\theta^*)` of a gradient-neutralizing distribution,
``mu`` the strong-convexity constant, ``beta`` the smoothness constant, ``eta`` the step size.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:  # sympy is imported by the two functions that use it (it is slow to import)
    import sympy as sp

__all__ = [
    "gradient_neutralizing_critical_mass",
    "risk_minimization_success_bound",
    "utility_gain_critical_mass",
    "gradient_control_rate",
    "gradient_control_success_bound",
    "derivations",
    "derivation_latex",
]

#: How the symbols of :func:`derivations` print in the book.
_TEX_NAMES = {
    "g0": r"\|g_0\|",
    "gp": r"\|g'\|",
    "gu": r"\|\nabla u(\theta_0)\|",
    "g_lb": r"g_{\mathrm{lb}}",
    "d0": r"\|\theta_0 - \theta^*\|",
    "theta_star": r"\theta^*",
}


def _norm(g: Any, name: str, ord: Any) -> float:
    arr = np.atleast_1d(np.asarray(g, dtype=float))
    if arr.ndim != 1 or arr.size == 0:
        raise ValueError(
            f"{name} must be a non-empty gradient vector (1-D), got shape {arr.shape}."
        )
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} has non-finite entries ({arr}); pass a finite gradient.")
    return float(np.linalg.norm(arr, ord=ord))


def _positive(value: float, name: str, *, allow_zero: bool = False) -> float:
    value = float(value)
    if not np.isfinite(value) or value < 0 or (value == 0 and not allow_zero):
        need = "non-negative" if allow_zero else "positive"
        raise ValueError(f"{name} must be a finite {need} number, got {value}.")
    return value


def _alpha_array(alpha: Any) -> np.ndarray:
    a = np.asarray(alpha, dtype=float)
    if np.any(~np.isfinite(a)) or np.any(a < 0) or np.any(a > 1):
        raise ValueError(
            f"alpha is the collective's fraction of the population; it must lie in [0, 1], got {alpha}."
        )
    return a


def gradient_neutralizing_critical_mass(
    g0: Any, g_prime: Any, ord: float | str | None = None
) -> float:
    """Corollary 4.3: the critical mass ``||g0|| / (||g'|| + ||g0||)`` of gradient neutralizing.

    ``g0`` is :math:`g_{P_0}(\\theta^*)`, ``g_prime`` is :math:`g_{P'}(\\theta^*)` for a
    gradient-neutralizing :math:`P'` (eq. (4) of the paper). Norms are ℓ2 unless ``ord`` is
    given (any ``numpy.linalg.norm`` order). Scalars are treated as 1-D gradients.
    A target that is already optimal under P0 (``g0 = 0``) needs no collective (returns 0).
    """
    n0, n1 = _norm(g0, "g0", ord), _norm(g_prime, "g_prime", ord)
    if np.shape(np.atleast_1d(g0)) != np.shape(np.atleast_1d(g_prime)):
        raise ValueError(
            f"g0 and g_prime must have the same shape, got {np.shape(g0)} and {np.shape(g_prime)}."
        )
    if n0 == 0.0:
        return 0.0
    return n0 / (n1 + n0)


def risk_minimization_success_bound(
    alpha: Any, g0: Any, g_prime: Any, mu: float, ord: float | str | None = None
) -> np.ndarray | float:
    """Theorem 4.2: ``S(alpha) >= min(alpha ||g'|| - (1 - alpha) ||g0||, 0) / mu``.

    Lower bound on the success :math:`-\\|\\theta - \\theta^*\\|` of the gradient-neutralizing
    strategy when the firm's risk is ``mu``-strongly convex (``mu > 0``). ``alpha`` may be an
    array. The bound is 0 (θ* reached) from the critical mass of Corollary 4.3 on.
    """
    a = _alpha_array(alpha)
    mu = _positive(mu, "mu (strong-convexity constant)")
    n0, n1 = _norm(g0, "g0", ord), _norm(g_prime, "g_prime", ord)
    out = np.minimum(a * n1 - (1 - a) * n0, 0.0) / mu
    return float(out) if out.ndim == 0 else out


def utility_gain_critical_mass(U: float, grad_u_norm: float, beta: float, g_lb: float) -> float:
    """Proposition 4.4: critical mass for a utility gain ``u(θ) - u(θ0) >= U``.

    ``alpha* <= beta U / (g_lb ||∇u(θ0)|| + beta U)`` for a convex utility ``u``, a
    ``beta``-smooth loss, and ``g_lb`` the smallest gradient norm a gradient-neutralizing
    distribution attains on the ball of radius ``U / ||∇u(θ0)||`` around θ0.
    """
    U = _positive(U, "U (utility gain)", allow_zero=True)
    grad_u_norm = _positive(grad_u_norm, "grad_u_norm (||∇u(θ0)||)")
    beta = _positive(beta, "beta (smoothness constant)")
    g_lb = _positive(g_lb, "g_lb", allow_zero=True)
    if U == 0.0:
        return 0.0
    return beta * U / (g_lb * grad_u_norm + beta * U)


def gradient_control_rate(alpha: Any, eta: float, c: float, T: Any) -> np.ndarray | float:
    """Theorem 4.5: the contraction ``(1 - eta C(alpha))**T`` with ``C(alpha) = alpha c``.

    ``c`` is the smallest ξ the gradient-control strategy uses along the path from θ0 to θ*;
    the strategy's definition requires ``0 < ξ < 1 / (alpha eta)``, so ``0 < eta alpha c < 1``.
    """
    a = _alpha_array(alpha)
    eta = _positive(eta, "eta (step size)")
    c = _positive(c, "c (smallest xi along the path)")
    T = np.asarray(T)
    if np.any(T < 0) or not np.issubdtype(T.dtype, np.integer):
        raise ValueError(f"T counts gradient steps; it must be a non-negative integer, got {T}.")
    step = eta * a * c
    if np.any(step <= 0) or np.any(step >= 1):
        raise ValueError(
            f"eta * alpha * c must lie in (0, 1) (xi < 1/(alpha eta) in the strategy's definition), "
            f"got {step}; lower eta or c, or use alpha > 0."
        )
    out = (1.0 - step) ** T
    return float(out) if np.ndim(out) == 0 else out


def gradient_control_success_bound(
    alpha: Any, eta: float, c: float, T: Any, dist0: float
) -> np.ndarray | float:
    """Theorem 4.5: ``S_T(alpha) >= -(1 - eta alpha c)**T ||θ0 - θ*||``."""
    dist0 = _positive(dist0, "dist0 (||θ0 - θ*||)", allow_zero=True)
    return -dist0 * gradient_control_rate(alpha, eta, c, T)


def derivations() -> dict[str, sp.Expr]:
    """Derive the closed forms of Section 4 with sympy instead of typing them.

    Returns a dict of sympy expressions (symbols: ``alpha, g0, gp`` for the norms
    ``||g0||, ||g'||``, ``mu, beta, U, gu`` for ``||∇u(θ0)||``, ``g_lb, eta, c, d0, t``):

    - ``"mixture_gradient_norm"``: the norm of the mixture gradient at θ* under the
      gradient-neutralizing strategy with ``p = 1`` (proof of Theorem 4.2), solved along the
      direction of g0: ``(1 - alpha) g0 - alpha gp``.
    - ``"alpha_star"``: Corollary 4.3, solving ``alpha gp = (1 - alpha) g0`` for alpha.
    - ``"p"``: the mixing probability that balances the forces exactly, ``alpha_star / alpha``.
    - ``"prop_4_4"``: Proposition 4.4, alpha_star after substituting the smoothness bound
      ``g0 <= beta ||θ* - θ0||``, ``gp >= g_lb`` and ``||θ* - θ0|| = U / gu``.
    - ``"d_alpha_star_d_g0"``, ``"d_alpha_star_d_gp"``: derivatives of alpha_star (positive and
      negative: a target that looks more optimal under P0 is cheaper).
    - ``"gradient_control_step"``: the firm's gradient under gradient control, divided by
      ``theta - theta_star`` (proof of Theorem 4.5); simplifies to ``alpha xi``.
    - ``"theorem_4_5"``: the solution d_t of the recursion ``d_{t+1} = (1 - eta alpha c) d_t``.
    """
    import sympy as sp

    alpha, g0, gp, mu, beta, U, gu, g_lb, eta, c, d0, xi = sp.symbols(
        "alpha g0 gp mu beta U gu g_lb eta c d0 xi", positive=True
    )
    t = sp.symbols("t", integer=True, nonnegative=True)
    # Proof of Theorem 4.2: g_P(θ*) = (1 - α) g0 + α g' with g' = -(gp/g0) g0 (anti-parallel).
    # Along the unit vector g0/||g0|| the mixture gradient has coordinate:
    mixture = sp.simplify((1 - alpha) * g0 + alpha * (-gp / g0) * g0)
    (alpha_star,) = sp.solve(sp.Eq(mixture, 0), alpha)
    # The strategy's mixing probability: members play P' w.p. p, so the collective's weight is
    # alpha p; solving the same balance for p gives p = alpha*/alpha (capped at 1).
    p = sp.symbols("p", positive=True)
    (p_star,) = sp.solve(sp.Eq(mixture.subs(alpha, alpha * p), 0), p)
    dist = sp.symbols("dist", positive=True)  # ||θ* - θ0||
    prop = sp.simplify(alpha_star.subs({g0: beta * dist, gp: g_lb}).subs(dist, U / gu))
    # Proof of Theorem 4.5 in one coordinate: g' = -(1-α)/α g0 + ξ (θ - θ*).
    theta, theta_star, g0_theta = sp.symbols("theta theta_star g0_theta", real=True)
    g_redirect = -(1 - alpha) / alpha * g0_theta + xi * (theta - theta_star)
    g_firm = alpha * g_redirect + (1 - alpha) * g0_theta
    step_ratio = sp.simplify(g_firm / (theta - theta_star))
    d = sp.Function("d")
    recursion = sp.rsolve(d(t + 1) - (1 - eta * alpha * c) * d(t), d(t), {d(0): d0})
    return {
        "mixture_gradient_norm": mixture,
        "alpha_star": sp.simplify(alpha_star),
        "p": sp.simplify(p_star),
        "prop_4_4": prop,
        "d_alpha_star_d_g0": sp.simplify(sp.diff(alpha_star, g0)),
        "d_alpha_star_d_gp": sp.simplify(sp.diff(alpha_star, gp)),
        "gradient_control_step": step_ratio,
        "theorem_4_5": sp.simplify(recursion),
    }


def derivation_latex(expr: sp.Expr) -> str:
    """LaTeX for an expression of :func:`derivations`, with the norms written as norms."""
    import sympy as sp

    names = {x: _TEX_NAMES[x.name] for x in expr.free_symbols if x.name in _TEX_NAMES}
    return sp.latex(expr, symbol_names=names)
