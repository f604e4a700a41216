"""Section 3 of the paper in sympy: the bounds, their corollaries, and Lemma B.1.

The corollaries are *derived*: each theorem's lower bound is set equal to the target ``S*``
and solved for ``α`` with :func:`sympy.solve` (the bound increases in ``α``, so the root is
the smallest ``α`` at which the bound guarantees ``S*``). :func:`corollary_checks` compares
each root with the closed form printed in the paper.
"""

from __future__ import annotations

import sympy as sp

__all__ = [
    "symbols",
    "bounds",
    "corrected_bounds",
    "paper_critical_masses",
    "derive_critical_mass",
    "corrected_critical_masses",
    "corollary_checks",
    "lemma_b1_contamination_chain",
    "lemma_b1_tv_counterexample",
]

alpha, xi, delta, p, tau, eps, S_star, rho = sp.symbols(
    "alpha xi Delta p tau epsilon S^* rho", positive=True
)
b = sp.Symbol("b", nonnegative=True)  # margin an ε-optimal classifier can erase


def symbols() -> dict[str, sp.Symbol]:
    """The symbols, keyed by the book's names."""
    return {
        "alpha": alpha,
        "xi": xi,
        "delta": delta,
        "p": p,
        "tau": tau,
        "eps": eps,
        "S_star": S_star,
        "rho": rho,
        "b": b,
    }


def bounds() -> dict[str, sp.Expr]:
    """The lower bounds on ``S(α)`` of Theorems 3.3, 3.5 and 3.7, as stated in the paper."""
    eta = eps / (1 - eps)
    return {
        "feature-label": 1 - (1 - alpha) / alpha * delta * xi - eta,  # Theorem 3.3
        "feature-only": 1 - (1 - p) / (p * alpha) * xi - eta,  # Theorem 3.5
        "erasure": 1 - 2 * (1 - alpha) / alpha * tau - eta,  # Theorem 3.7
    }


def corrected_bounds() -> dict[str, sp.Expr]:
    """The bounds with the corrected ε-term ``b`` (``2ε`` under TV, ``ε/(1-ε)`` under contamination)."""
    return {
        "feature-label": 1 - (1 - alpha) / alpha * delta * xi - b / alpha,
        "feature-only": 1 - (1 - p) / (p * alpha) * xi - b / (p * alpha),
        "erasure": 1 - 2 * (1 - alpha) / alpha * tau - sp.Max(1, rho - 1) * b / alpha,
    }


def paper_critical_masses() -> dict[str, sp.Expr]:
    """Corollaries 3.4, 3.6, 3.8, typed in from the paper (to be compared, not used)."""
    eta = eps / (1 - eps)
    return {
        "feature-label": delta * xi / (1 - S_star - eta + delta * xi),  # (2)
        "feature-only": (1 - p) / p * xi / (1 - S_star - eta),
        "erasure": tau / (sp.Rational(1, 2) * (1 - S_star) - eps / (2 * (1 - eps)) + tau),
    }


def derive_critical_mass(bound: sp.Expr) -> sp.Expr:
    """Solve ``bound(α) = S*`` for ``α`` with sympy; the unique root is the critical mass bound."""
    roots = sp.solve(sp.Eq(bound, S_star), alpha)
    if len(roots) != 1:
        raise ValueError(f"expected one root in alpha, got {roots}")
    return sp.simplify(roots[0])


def corollary_checks() -> dict[str, dict[str, object]]:
    """For each strategy: the solved root, the paper's form, whether they agree, and monotonicity.

    Agreement is ``simplify(root - paper) == 0``. ``d_bound_d_alpha`` is the derivative of the
    bound in ``α`` (``Δξ/α²``, ``(1-p)ξ/(pα²)``, ``2τ/α²``: non-negative, so the root is the
    smallest ``α`` at which the bound reaches ``S*``).
    """
    out: dict[str, dict[str, object]] = {}
    paper = paper_critical_masses()
    for name, bound in bounds().items():
        root = derive_critical_mass(bound)
        derivative = sp.simplify(sp.diff(bound, alpha))
        out[name] = {
            "bound": bound,
            "derived": root,
            "paper": paper[name],
            "equal": sp.simplify(root - paper[name]) == 0,
            "d_bound_d_alpha": derivative,
        }
    return out


def corrected_critical_masses() -> dict[str, sp.Expr]:
    """Critical masses solved (with sympy) from :func:`corrected_bounds`."""
    return {name: derive_critical_mass(bound) for name, bound in corrected_bounds().items()}


def lemma_b1_contamination_chain() -> dict[str, sp.Expr]:
    """Lemma B.1's chain under ``P' = (1-ε)P + εQ``, as sympy expressions shown to be positive.

    With ``P(E1) = P(E2) + ε/(1-ε) + s`` (``s > 0``, the premise) and ``0 <= Q(E2) <= 1``:
    ``P'(E1) - P'(E2) = (1-ε)s + εQ(E1) + ε(1 - Q(E2))``, a sum of non-negative terms with
    ``(1-ε)s > 0``. Returns the difference and its expanded residual (0 if the identity holds).
    """
    P2, s, Q1, Q2 = sp.symbols("P_2 s Q_1 Q_2", nonnegative=True)
    P1 = P2 + eps / (1 - eps) + s
    diff = ((1 - eps) * P1 + eps * Q1) - ((1 - eps) * P2 + eps * Q2)
    claimed = (1 - eps) * s + eps * Q1 + eps * (1 - Q2)
    return {"difference": sp.simplify(diff), "residual": sp.simplify(diff - claimed)}


def lemma_b1_tv_counterexample() -> dict[str, object]:
    """Why Lemma B.1 fails under total variation, in sympy.

    Moving mass ``t`` from ``E1`` to a disjoint ``E2`` is a TV perturbation of size ``t``
    and shrinks ``P(E1) - P(E2)`` by ``2t``; so the right threshold is ``2ε``. The returned
    ``interval`` is the set of ``ε`` in (0, 1) where the paper's threshold ``ε/(1-ε)`` is
    smaller than ``2ε`` (the lemma then fails for ``P(E1) - P(E2)`` in between).
    """
    e = sp.Symbol("epsilon", real=True)
    gap = sp.simplify(2 * e - e / (1 - e))
    interval = sp.solve_univariate_inequality(gap > 0, e, relational=False).intersect(
        sp.Interval.open(0, 1)
    )
    return {"threshold_gap": gap, "interval": interval}
