"""Two collectives planting signals at once: success bounds in the style of Theorem 3.3.

Two collectives of sizes ``α1``, ``α2`` (``α1 + α2 <= 1``) each follow the feature–label
strategy (1) of the paper with their own signal ``g_i`` and target ``y_i*``: collective ``i``
reports ``(g_i(x), y_i*)``, so its distribution is ``P*_i(z, y) = P0(g_i^{-1}(z)) 1{y = y_i*}``.
The firm learns from the three-component mixture

    (M2)   P = (1 - α1 - α2) P0 + α1 P*_1 + α2 P*_2,

and collective ``i`` succeeds with ``S_i = Pr_{x~P0}[f(g_i(x)) = y_i*]``. Throughout
``α0 = 1 - α1 - α2``, ``ξ1 = P0(X1*)`` and ``Δ1`` are collective 1's uniqueness (Definition
3.2) and suboptimality gap (Section 3.1) computed on ``P0`` alone, and ``b`` is the margin an
ε-optimal classifier can erase, :func:`collective.theory.classification.eps_budget` (``2ε``
under Definition 3.1, ``ε/(1-ε)`` under contamination): the book's *corrected* ε-term of
:func:`collective.theory.classification.corrected_feature_label_bound`, not the paper's
``ε/(1-ε)``. Collective 2's bounds follow by swapping the indices.

**The one inequality.** At a signal point ``z`` of collective 1 the margin of ``y1*`` is

    P(z, y1*) - max_{y != y1*} P(z, y) >= α1 P*_1(z) - α0 Δ_z P0(z) - s α2 P*_2(z),

with ``s = 1`` if ``y2* != y1*`` (the competitor's planted mass sits on a rival label) and
``s = -1`` if ``y2* = y1*`` (it sits on ``y1*``). The worst ε-optimal classifier turns away a
set ``F`` of signal points whose positive margins add up to at most ``b`` (the other points of
``F`` are already lost); summing the inequality over ``F`` gives

    (T)    α1 P*_1(F) <= α0 Δ1 ξ1 + s α2 P*_2(F) + b,     S1 = 1 - P*_1(F).

Each bound below is (T) with one way of bounding ``P*_2(F)``:

* (TC-1) :func:`competitor_bound`, any signals, ``y2* != y1*``: ``P*_2(F) <= κ`` with the
  **overlap** ``κ = P*_2(X1*) = Pr_{x~P0}[g2(x) in X1*]``, the share of collective 2's planted
  mass that lands on collective 1's signal set:
  ``S1 >= 1 - (α0 Δ1 ξ1 + α2 κ + b)/α1``.
* (TC-2) :func:`competitor_ratio_bound`, ``y2* != y1*``: ``P*_2(F) <= λ P*_1(F)`` with the
  **density ratio** ``λ = max_{z in X1*, P*_1(z) > 0} P*_2(z)/P*_1(z)``:
  ``S1 >= 1 - (α0 Δ1 ξ1 + b)/(α1 - λ α2)``, only for ``α1 > λ α2`` (no guarantee otherwise).
  Case (b), the **same signal** ``g1 = g2`` with different targets, has ``κ = λ = 1``; (TC-2)
  is then :func:`shared_signal_bound`, Theorem 3.3 with the *net* mass ``α1 - α2`` in place of
  ``α``, and it beats (TC-1) wherever (TC-1) says anything.
* (TC-3) :func:`ally_bound`, ``y2* = y1*`` (case (c), allies): ``P*_2(F) >= μ P*_1(F)`` with
  ``μ = min_{z in X1*, P*_1(z) > 0} P*_2(z)/P*_1(z)``:
  ``S1 >= 1 - (α0 Δ1 ξ1 + b)/(α1 + μ α2)``; with the same signal ``μ = 1`` and the sizes add.
* (TC-4) :func:`coalition_bound`: allies pooled. The coalition's success
  ``S_∪ = (α1 S1 + α2 S2)/(α1 + α2)`` is that of one collective of size ``α1 + α2`` whose
  distribution ``(α1 P*_1 + α2 P*_2)/(α1 + α2)`` lives on the union ``X1* ∪ X2*`` with label
  ``y*``; Theorem 3.3's proof applies verbatim with ``ξ_∪ = P0(X1* ∪ X2*)`` and ``Δ_∪`` on the
  union: ``S_∪ >= 1 - (α0 Δ_∪ ξ_∪ + b)/(α1 + α2)``.

With disjoint signals (``κ = λ = μ = 0``) both (TC-1) and (TC-3) read
``1 - ((1 - α1 - α2) Δ1 ξ1 + b)/α1``: a second collective elsewhere in feature space only
dilutes the base and, in the Bayes-optimal model, never hurts.

All bounds broadcast over numpy arrays and validate their arguments
(:class:`collective.errors.ConfigError` outside the domain; ``α2`` in [0, 1] and
``α1 + α2 <= 1``). A bound that guarantees nothing is ``-inf`` (TC-2 with ``α1 <= λ α2``).
Critical masses (``*_critical_mass``) solve bound ``= S*`` for ``α1`` at given ``α2``
(:func:`derive_critical_masses` does it in sympy) and are ``inf`` where no ``α1 <= 1 - α2``
reaches ``S*``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from collective.errors import ConfigError
from collective.theory.classification import eps_budget
from collective.validation import check_alpha, check_delta, check_s_star, check_xi, domain

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "TWO_COLLECTIVE_CASES",
    "competitor_bound",
    "competitor_ratio_bound",
    "shared_signal_bound",
    "ally_bound",
    "coalition_bound",
    "two_collective_bound",
    "competitor_critical_mass",
    "competitor_ratio_critical_mass",
    "shared_signal_critical_mass",
    "ally_critical_mass",
    "derive_critical_masses",
    "margin_identities",
    "guarantee_curves",
]

ArrayLike = float | np.ndarray

#: The three cases of the chapter: distinct signals and targets (a), the same signal with
#: different targets (b), the same target (allies, c).
TWO_COLLECTIVE_CASES = ("distinct", "shared-signal", "allies")

#: Rounding slack allowed in ``α1 + α2 <= 1``.
_SUM_TOL = 1e-12


def _out(x: np.ndarray) -> ArrayLike:
    return float(x) if np.ndim(x) == 0 else x


def _unit(name: str, value) -> np.ndarray:
    return domain(name, value, 0.0, 1.0, lo_open=False, hi_open=False)


def _ratio(name: str, value) -> np.ndarray:
    """A density ratio (``λ`` or ``μ``): any value in [0, inf)."""
    return domain(f"{name} (density ratio)", value, 0.0, np.inf, lo_open=False, hi_open=False)


def _sizes(alpha1, alpha2) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(α1, α2, α0)`` checked: ``α1`` in (0, 1], ``α2`` in [0, 1], ``α1 + α2 <= 1``."""
    a1 = check_alpha(alpha1)
    a2 = _unit("alpha2 (the other collective's size)", alpha2)
    if np.any(a1 + a2 > 1.0 + _SUM_TOL):
        raise ConfigError(
            "the two collectives cannot exceed the population: need alpha1 + alpha2 <= 1"
        )
    return a1, a2, np.clip(1.0 - a1 - a2, 0.0, 1.0)


def _bound_inputs(alpha1, alpha2, xi, delta, eps, perturbation) -> tuple[np.ndarray, ...]:
    """``(α1, α2, α0, ξ, Δ, b)`` checked, with ``b = eps_budget(ε)``: what every bound reads."""
    a1, a2, a0 = _sizes(alpha1, alpha2)
    b = np.asarray(eps_budget(eps, perturbation))
    return a1, a2, a0, check_xi(xi), check_delta(delta), b


def _critical_mass_inputs(s_star, alpha2, xi, delta, eps, perturbation) -> tuple[np.ndarray, ...]:
    """``(S*, α2, ξ, Δ, b)`` checked: what every critical mass reads."""
    b = np.asarray(eps_budget(eps, perturbation))
    return check_s_star(s_star), _unit("alpha2", alpha2), check_xi(xi), check_delta(delta), b


def _ratio_or(num: np.ndarray, den: np.ndarray, fill: float) -> np.ndarray:
    num, den = np.broadcast_arrays(np.asarray(num, float), np.asarray(den, float))
    out = np.full(num.shape, fill)
    np.divide(num, den, out=out, where=den > 0)
    return out


# ------------------------------------------------------------------------------------------
# Bounds
# ------------------------------------------------------------------------------------------


def competitor_bound(
    alpha1: ArrayLike,
    alpha2: ArrayLike,
    xi1: ArrayLike,
    delta1: ArrayLike,
    kappa: ArrayLike = 1.0,
    eps: ArrayLike = 0.0,
    perturbation: str = "tv",
) -> ArrayLike:
    """(TC-1): ``S1 >= 1 - ((1-α1-α2) Δ1 ξ1 + α2 κ + b)/α1`` against a rival target.

    Valid for any two signals when ``y2* != y1*`` (and, weaker than :func:`ally_bound`, when
    ``y2* = y1*``). ``κ = Pr_{x~P0}[g2(x) in X1*]`` is the overlap: the share of collective
    2's planted mass that lands on collective 1's signal set (``κ = 1`` when it is not known:
    the competitor's whole mass counts against collective 1). ``b = eps_budget(ε)``.
    """
    a1, a2, a0, x, d, b = _bound_inputs(alpha1, alpha2, xi1, delta1, eps, perturbation)
    k = _unit("kappa (overlap)", kappa)
    return _out(1.0 - (a0 * d * x + a2 * k + b) / a1)


def competitor_ratio_bound(
    alpha1: ArrayLike,
    alpha2: ArrayLike,
    xi1: ArrayLike,
    delta1: ArrayLike,
    lam: ArrayLike = 1.0,
    eps: ArrayLike = 0.0,
    perturbation: str = "tv",
) -> ArrayLike:
    """(TC-2): ``S1 >= 1 - ((1-α1-α2) Δ1 ξ1 + b)/(α1 - λ α2)`` if ``α1 > λ α2``, else ``-inf``.

    ``λ = max_{z in X1*, P*_1(z) > 0} P*_2(z)/P*_1(z) >= 0`` bounds how much of the rival's
    planted mass sits on a signal point per unit of collective 1's: the competitor cancels
    ``λ α2`` of collective 1's mass point by point. Valid whenever ``y2* != y1*``.
    """
    a1, a2, a0, x, d, b = _bound_inputs(alpha1, alpha2, xi1, delta1, eps, perturbation)
    lam_ = _ratio("lam", lam)
    net = a1 - lam_ * a2
    return _out(1.0 - _ratio_or(a0 * d * x + b, net, np.inf))


def shared_signal_bound(
    alpha1: ArrayLike,
    alpha2: ArrayLike,
    xi: ArrayLike,
    delta1: ArrayLike,
    eps: ArrayLike = 0.0,
    perturbation: str = "tv",
) -> ArrayLike:
    """Case (b), one signal ``g`` and two targets: ``S1 >= 1 - ((1-α1-α2) Δ1 ξ + b)/(α1 - α2)``.

    (TC-2) with ``λ = 1``: Theorem 3.3 with the net mass ``α1 - α2``. No guarantee
    (``-inf``) unless ``α1 > α2``; zero-sum: ``S1 + S2 <= 1`` against one classifier.
    """
    return competitor_ratio_bound(alpha1, alpha2, xi, delta1, 1.0, eps, perturbation)


def ally_bound(
    alpha1: ArrayLike,
    alpha2: ArrayLike,
    xi1: ArrayLike,
    delta1: ArrayLike,
    mu: ArrayLike = 0.0,
    eps: ArrayLike = 0.0,
    perturbation: str = "tv",
) -> ArrayLike:
    """(TC-3), case (c) allies (``y2* = y1*``): ``S1 >= 1 - ((1-α1-α2) Δ1 ξ1 + b)/(α1 + μ α2)``.

    ``μ = min_{z in X1*, P*_1(z) > 0} P*_2(z)/P*_1(z)`` (``μ = 1`` for the same signal,
    ``μ = 0`` when the ally's support does not cover collective 1's: the ally then only
    dilutes the base).
    """
    a1, a2, a0, x, d, b = _bound_inputs(alpha1, alpha2, xi1, delta1, eps, perturbation)
    mu_ = _ratio("mu", mu)
    return _out(1.0 - (a0 * d * x + b) / (a1 + mu_ * a2))


def coalition_bound(
    alpha1: ArrayLike,
    alpha2: ArrayLike,
    xi_union: ArrayLike,
    delta_union: ArrayLike,
    eps: ArrayLike = 0.0,
    perturbation: str = "tv",
) -> ArrayLike:
    """(TC-4), allies pooled: ``S_∪ >= 1 - ((1-α1-α2) Δ_∪ ξ_∪ + b)/(α1 + α2)``.

    ``S_∪ = (α1 S1 + α2 S2)/(α1 + α2)``; ``ξ_∪ = P0(X1* ∪ X2*)``, ``Δ_∪`` the gap of ``y*``
    on the union. Equal to :func:`collective.theory.corrected_feature_label_bound` at
    ``α = α1 + α2`` when the base share is ``1 - α1 - α2``.
    """
    a1, a2, a0, x, d, b = _bound_inputs(alpha1, alpha2, xi_union, delta_union, eps, perturbation)
    return _out(1.0 - (a0 * d * x + b) / (a1 + a2))


def two_collective_bound(
    case: str,
    alpha1: ArrayLike,
    alpha2: ArrayLike,
    xi1: ArrayLike,
    delta1: ArrayLike,
    kappa: ArrayLike = 1.0,
    lam: ArrayLike = 1.0,
    mu: ArrayLike = 0.0,
    eps: ArrayLike = 0.0,
    perturbation: str = "tv",
) -> ArrayLike:
    """Collective 1's best guarantee in ``case`` (one of :data:`TWO_COLLECTIVE_CASES`).

    ``"distinct"``: ``max(TC-1(κ), TC-2(λ))``; ``"shared-signal"``: :func:`shared_signal_bound`
    (``κ``, ``λ``, ``μ`` ignored); ``"allies"``: :func:`ally_bound` with ``μ``.
    """
    if case == "distinct":
        return _out(
            np.maximum(
                competitor_bound(alpha1, alpha2, xi1, delta1, kappa, eps, perturbation),
                competitor_ratio_bound(alpha1, alpha2, xi1, delta1, lam, eps, perturbation),
            )
        )
    if case == "shared-signal":
        return shared_signal_bound(alpha1, alpha2, xi1, delta1, eps, perturbation)
    if case == "allies":
        return ally_bound(alpha1, alpha2, xi1, delta1, mu, eps, perturbation)
    raise ConfigError(f"unknown case {case!r}; choose one of: {', '.join(TWO_COLLECTIVE_CASES)}")


# ------------------------------------------------------------------------------------------
# Critical masses: the smallest α1 at which a bound reaches S*, given α2
# ------------------------------------------------------------------------------------------


def _reachable(root: np.ndarray, lo: np.ndarray, a2: np.ndarray) -> ArrayLike:
    """``root`` where ``lo < root <= 1 - α2`` (some feasible α1 reaches S*), else ``inf``."""
    ok = (root > lo) & (root <= 1.0 - a2 + _SUM_TOL)
    return _out(np.where(ok, np.maximum(root, 0.0), np.inf))


def competitor_critical_mass(
    s_star: ArrayLike,
    alpha2: ArrayLike,
    xi1: ArrayLike,
    delta1: ArrayLike,
    kappa: ArrayLike = 1.0,
    eps: ArrayLike = 0.0,
    perturbation: str = "tv",
) -> ArrayLike:
    """From (TC-1): ``α1* = ((1-α2) Δ1 ξ1 + κ α2 + b)/(1 - S* + Δ1 ξ1)``."""
    s, a2, x, d, b = _critical_mass_inputs(s_star, alpha2, xi1, delta1, eps, perturbation)
    k = _unit("kappa (overlap)", kappa)
    root = ((1.0 - a2) * d * x + k * a2 + b) / (1.0 - s + d * x)
    return _reachable(root, np.zeros_like(root), a2)


def competitor_ratio_critical_mass(
    s_star: ArrayLike,
    alpha2: ArrayLike,
    xi1: ArrayLike,
    delta1: ArrayLike,
    lam: ArrayLike = 1.0,
    eps: ArrayLike = 0.0,
    perturbation: str = "tv",
) -> ArrayLike:
    """From (TC-2): ``α1* = (λ α2 (1 - S*) + (1-α2) Δ1 ξ1 + b)/(1 - S* + Δ1 ξ1)``, valid above ``λ α2``.

    Equivalently ``α1* = λ α2 + ((1 - (1+λ) α2) Δ1 ξ1 + b)/(1 - S* + Δ1 ξ1)``: collective 1
    must outweigh ``λ α2`` by the single-collective margin computed on the remaining base.
    """
    s, a2, x, d, b = _critical_mass_inputs(s_star, alpha2, xi1, delta1, eps, perturbation)
    lam_ = _ratio("lam", lam)
    root = (lam_ * a2 * (1.0 - s) + (1.0 - a2) * d * x + b) / (1.0 - s + d * x)
    return _reachable(root, lam_ * a2, a2)


def shared_signal_critical_mass(
    s_star: ArrayLike,
    alpha2: ArrayLike,
    xi: ArrayLike,
    delta1: ArrayLike,
    eps: ArrayLike = 0.0,
    perturbation: str = "tv",
) -> ArrayLike:
    """Case (b): ``α1* = α2 + ((1 - 2α2) Δ1 ξ + b)/(1 - S* + Δ1 ξ)`` (``inf`` if unreachable)."""
    return competitor_ratio_critical_mass(s_star, alpha2, xi, delta1, 1.0, eps, perturbation)


def ally_critical_mass(
    s_star: ArrayLike,
    alpha2: ArrayLike,
    xi1: ArrayLike,
    delta1: ArrayLike,
    mu: ArrayLike = 0.0,
    eps: ArrayLike = 0.0,
    perturbation: str = "tv",
) -> ArrayLike:
    """From (TC-3): ``α1* = ((1-α2) Δ1 ξ1 + b - μ α2 (1 - S*))/(1 - S* + Δ1 ξ1)``, at least 0.

    With ``μ = 1`` (the same signal) this is the single collective's corrected critical mass
    minus ``α2``: allies add up. 0 means the ally alone already secures ``S*``.
    """
    s, a2, x, d, b = _critical_mass_inputs(s_star, alpha2, xi1, delta1, eps, perturbation)
    mu_ = _ratio("mu", mu)
    root = ((1.0 - a2) * d * x + b - mu_ * a2 * (1.0 - s)) / (1.0 - s + d * x)
    return _reachable(root, np.full_like(root, -np.inf), a2)


# ------------------------------------------------------------------------------------------
# sympy: the margins of the mixture (M2) and the critical masses, derived
# ------------------------------------------------------------------------------------------


def margin_identities() -> dict[str, Any]:
    """The margin of ``y1*`` over a label ``y`` at one point of the mixture (M2), in sympy.

    Returns the symbols and, for a rival target (``y = y2*``) and for an ally (``y2* = y1*``,
    ``y`` any other label), the exact margin ``P(z, y1*) - P(z, y)`` and the residual of the
    claimed form ``α1 P*_1 - s α2 P*_2 - α0 (P0(z, y) - P0(z, y1*))`` (0 if it holds).
    """
    import sympy as sp

    a1, a2, p1, p2, q1, qy = sp.symbols(
        r"alpha_1 alpha_2 {P^*_1(z)} {P^*_2(z)} {P_0(z\,y_1^*)} {P_0(z\,y)}", nonnegative=True
    )
    a0 = 1 - a1 - a2

    def joint(base, own1, own2):
        return a0 * base + a1 * own1 + a2 * own2

    rival = joint(q1, p1, 0) - joint(qy, 0, p2)  # y = y2*: collective 2's mass sits on y
    ally = joint(q1, p1, p2) - joint(qy, 0, 0)  # y2* = y1*: collective 2's mass sits on y1*
    claimed_rival = a1 * p1 - a2 * p2 - a0 * (qy - q1)
    claimed_ally = a1 * p1 + a2 * p2 - a0 * (qy - q1)
    return {
        "symbols": (a1, a2, p1, p2, q1, qy),
        "rival": sp.expand(rival),
        "ally": sp.expand(ally),
        "rival_residual": sp.simplify(rival - claimed_rival),
        "ally_residual": sp.simplify(ally - claimed_ally),
    }


def derive_critical_masses() -> dict[str, dict[str, Any]]:
    """Solve each bound ``= S*`` for ``α1`` with sympy and compare with the closed forms.

    Keys ``"TC-1"``, ``"TC-2"``, ``"TC-3"``; each entry holds ``bound`` (sympy, with ``b`` the
    ε-budget), ``derived`` (the root), ``closed_form`` (the docstrings' formula), ``equal``
    (``simplify(root - closed_form) == 0``) and ``d_bound_d_alpha1`` (non-negative on the
    domain, so the root is the smallest α1 that the bound certifies). ``"shared-signal"`` is
    TC-2 at ``λ = 1`` written as ``α2 + margin``; ``"allies-same-signal"`` TC-3 at ``μ = 1``
    written as the single collective's critical mass minus ``α2``.
    """
    import sympy as sp

    a1, a2, xi, d, s, b = sp.symbols("alpha_1 alpha_2 xi_1 Delta_1 S^* b", positive=True)
    kappa, lam, mu = sp.symbols("kappa lambda mu", nonnegative=True)
    a0 = 1 - a1 - a2
    bounds = {
        "TC-1": 1 - (a0 * d * xi + a2 * kappa + b) / a1,
        "TC-2": 1 - (a0 * d * xi + b) / (a1 - lam * a2),
        "TC-3": 1 - (a0 * d * xi + b) / (a1 + mu * a2),
    }
    closed = {
        "TC-1": ((1 - a2) * d * xi + kappa * a2 + b) / (1 - s + d * xi),
        "TC-2": (lam * a2 * (1 - s) + (1 - a2) * d * xi + b) / (1 - s + d * xi),
        "TC-3": ((1 - a2) * d * xi + b - mu * a2 * (1 - s)) / (1 - s + d * xi),
    }
    out: dict[str, dict[str, Any]] = {}
    for name, bound in bounds.items():
        roots = sp.solve(sp.Eq(bound, s), a1)
        if len(roots) != 1:
            raise ValueError(f"expected one root in alpha_1 for {name}, got {roots}")
        root = sp.simplify(roots[0])
        out[name] = {
            "bound": bound,
            "derived": root,
            "closed_form": closed[name],
            "equal": sp.simplify(root - closed[name]) == 0,
            "d_bound_d_alpha1": sp.factor(sp.simplify(sp.diff(bound, a1))),
        }
    single = (d * xi + b) / (1 - s + d * xi)  # the corrected Corollary 3.4
    shared = out["TC-2"]["derived"].subs(lam, 1)
    out["shared-signal"] = {
        "derived": sp.simplify(shared),
        "closed_form": a2 + ((1 - 2 * a2) * d * xi + b) / (1 - s + d * xi),
        "equal": sp.simplify(shared - (a2 + ((1 - 2 * a2) * d * xi + b) / (1 - s + d * xi))) == 0,
    }
    allies = out["TC-3"]["derived"].subs(mu, 1)
    out["allies-same-signal"] = {
        "derived": sp.simplify(allies),
        "closed_form": single - a2,
        "equal": sp.simplify(allies - (single - a2)) == 0,
    }
    return out


# ------------------------------------------------------------------------------------------
# Curves for the chapter's figure
# ------------------------------------------------------------------------------------------

#: The scenarios of the chapter's figure: label -> (case, κ, λ, μ).
SCENARIOS: dict[str, tuple[str, float, float, float]] = {
    "(a) rival, disjoint signals": ("distinct", 0.0, 0.0, 0.0),
    "(a) rival, half its signal on X1*": ("distinct", 0.5, np.inf, 0.0),
    "(b) rival, the same signal": ("shared-signal", 1.0, 1.0, 1.0),
    "(c) ally, the same signal": ("allies", 1.0, 1.0, 1.0),
}


def guarantee_curves(
    alpha2: np.ndarray,
    alpha1: float = 0.05,
    xi: float = 0.01,
    delta: float = 1.0,
    eps: float = 0.0,
    s_star: float = 0.9,
    perturbation: str = "tv",
) -> pd.DataFrame:
    """Collective 1's guarantee at ``alpha1`` and its critical mass for ``s_star`` as ``α2`` grows.

    One row per scenario of :data:`SCENARIOS` and value of ``alpha2``: ``bound`` (clipped at
    0; NaN where ``α1 + α2 > 1``) and ``critical_mass`` (``inf`` where unreachable). For
    "half its signal on X1*" only the overlap ``κ = 1/2`` is known (``λ`` unbounded), so it
    uses TC-1 alone.
    """
    import pandas as pd

    alpha2 = np.asarray(alpha2, dtype=float)
    rows = []
    for label, (case, kappa, lam, mu) in SCENARIOS.items():
        feasible = alpha1 + alpha2 <= 1.0
        a2 = np.where(feasible, alpha2, 0.0)
        if case == "distinct" and np.isinf(lam):
            bound = competitor_bound(alpha1, a2, xi, delta, kappa, eps, perturbation)
            crit = competitor_critical_mass(s_star, alpha2, xi, delta, kappa, eps, perturbation)
        elif case == "distinct":
            bound = two_collective_bound(
                case, alpha1, a2, xi, delta, kappa, lam, mu, eps, perturbation
            )
            crit = np.minimum(
                competitor_critical_mass(s_star, alpha2, xi, delta, kappa, eps, perturbation),
                competitor_ratio_critical_mass(s_star, alpha2, xi, delta, lam, eps, perturbation),
            )
        elif case == "shared-signal":
            bound = shared_signal_bound(alpha1, a2, xi, delta, eps, perturbation)
            crit = shared_signal_critical_mass(s_star, alpha2, xi, delta, eps, perturbation)
        else:
            bound = ally_bound(alpha1, a2, xi, delta, mu, eps, perturbation)
            crit = ally_critical_mass(s_star, alpha2, xi, delta, mu, eps, perturbation)
        rows.append(
            pd.DataFrame(
                {
                    "scenario": label,
                    "case": case,
                    "alpha1": alpha1,
                    "alpha2": alpha2,
                    "bound": np.where(feasible, np.clip(bound, 0.0, 1.0), np.nan),
                    "critical_mass": np.broadcast_to(crit, alpha2.shape),
                }
            )
        )
    return pd.concat(rows, ignore_index=True)
