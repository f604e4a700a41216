"""Section 3 of the paper: success bounds for planting and erasing a signal.

Two families of functions, all numpy-vectorized over their arguments (they broadcast):

* the paper's statements, verbatim: Theorems 3.3, 3.5, 3.7 (``*_bound``) and Corollaries
  3.4, 3.6, 3.8 (``critical_mass_*``), whose ε-term is ``ε/(1-ε)``;
* ``corrected_*``: the same bounds with an ε-term that holds against the worst ε-optimal
  classifier. The paper's ε-term rests on Lemma B.1, which is true when the classifier's
  distribution is a contamination ``P' = (1-ε)P + εQ`` but not for every ``P'`` within total
  variation ``ε`` (Definition 3.1); and passing from Lemma B.1 to the success loses a factor
  ``1/α`` (a small collective can be out-voted by a perturbation of size about ``α``). The
  corrected ε-term is ``b/α`` (feature–label), ``b/(pα)`` (feature-only) and
  ``max(1, ρ-1)·b/α`` (erasure) with ``b = 2ε`` under TV and ``b = ε/(1-ε)`` under
  contamination. The book's chapters derive them and check both families exactly.

Arguments outside their domain raise :class:`collective.errors.ConfigError` (a ``ValueError``;
the domains are those of :mod:`collective.validation`): ``alpha`` in (0, 1], ``s_star`` in
(0, 1), ``eps`` in [0, 1), ``xi``, ``delta``, ``tau`` in [0, 1], ``p`` in (0, 1], ``rho >= 1``.
Critical masses are ``inf`` where the bound never reaches the target; a value above 1 means
the bound reaches it only beyond a collective of everybody, i.e. not at all.
"""

from __future__ import annotations

import numpy as np

from collective.validation import (
    check_alpha,
    check_choice,
    check_delta,
    check_eps,
    check_p,
    check_rho,
    check_s_star,
    check_tau,
    check_xi,
)

__all__ = [
    "feature_label_bound",
    "feature_only_bound",
    "erasure_bound",
    "critical_mass_feature_label",
    "critical_mass_feature_only",
    "critical_mass_erasure",
    "eps_budget",
    "PERTURBATIONS",
    "corrected_feature_label_bound",
    "corrected_feature_only_bound",
    "corrected_erasure_bound",
    "corrected_critical_mass_feature_label",
    "corrected_critical_mass_feature_only",
    "corrected_critical_mass_erasure",
]

ArrayLike = float | np.ndarray

#: How an ε-optimal classifier's distribution may differ from the true one: any distribution
#: within total variation ε (Definition 3.1), or a contamination (1-ε)P + εQ (Lemma B.1).
PERTURBATIONS = ("tv", "contamination")


def _out(x: np.ndarray) -> ArrayLike:
    return float(x) if np.ndim(x) == 0 else x


def eps_budget(eps: ArrayLike, perturbation: str = "tv") -> ArrayLike:
    """The margin an ε-optimal classifier can erase: ``2ε`` (TV ball) or ``ε/(1-ε)`` (contamination).

    ``ε/(1-ε)`` is the threshold of Lemma B.1; it is valid for contaminations
    ``P' = (1-ε)P + εQ`` only. Under Definition 3.1 (any ``P'`` within TV ``ε``) two events'
    probabilities can move ``2ε`` closer, and ``2ε > ε/(1-ε)`` for every ``ε < 1/2``.
    """
    e = check_eps(eps)
    check_choice("perturbation", perturbation, PERTURBATIONS)
    return _out(2.0 * e if perturbation == "tv" else e / (1.0 - e))


# ------------------------------------------------------------------------------------------
# The paper's statements
# ------------------------------------------------------------------------------------------


def feature_label_bound(
    alpha: ArrayLike, xi: ArrayLike, delta: ArrayLike, eps: ArrayLike = 0.0
) -> ArrayLike:
    """Theorem 3.3: ``S(α) >= 1 - (1-α)/α · Δ · ξ - ε/(1-ε)`` (feature–label strategy (1)).

    Holds exactly (zero violations) at ``eps = 0``; for ``eps > 0`` see
    :func:`corrected_feature_label_bound`.
    """
    a, x, d, e = check_alpha(alpha), check_xi(xi), check_delta(delta), check_eps(eps)
    return _out(1.0 - (1.0 - a) / a * d * x - e / (1.0 - e))


def feature_only_bound(
    alpha: ArrayLike, xi: ArrayLike, p: ArrayLike, eps: ArrayLike = 0.0
) -> ArrayLike:
    """Theorem 3.5: ``S(α) >= 1 - (1-p)/(pα) · ξ - ε/(1-ε)`` (feature-only strategy (3))."""
    a, x, pp, e = check_alpha(alpha), check_xi(xi), check_p(p), check_eps(eps)
    return _out(1.0 - (1.0 - pp) / (pp * a) * x - e / (1.0 - e))


def erasure_bound(alpha: ArrayLike, tau: ArrayLike, eps: ArrayLike = 0.0) -> ArrayLike:
    """Theorem 3.7: ``S(α) >= 1 - 2(1-α)/α · τ - ε/(1-ε)`` (erasure strategy)."""
    a, t, e = check_alpha(alpha), check_tau(tau), check_eps(eps)
    return _out(1.0 - 2.0 * (1.0 - a) / a * t - e / (1.0 - e))


def _ratio(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    """``num/den`` where the bound can reach the target (``den > 0``), else ``inf``."""
    num, den = np.broadcast_arrays(num, den)
    out = np.full(num.shape, np.inf)
    ok = den > 0
    np.divide(num, den, out=out, where=ok)
    return out


def critical_mass_feature_label(
    s_star: ArrayLike, xi: ArrayLike, delta: ArrayLike, eps: ArrayLike = 0.0
) -> ArrayLike:
    """Corollary 3.4: ``α* <= Δξ / (1 - S* - ε/(1-ε) + Δξ)`` (``inf`` if ``1 - S* <= ε/(1-ε)``)."""
    s, x, d, e = check_s_star(s_star), check_xi(xi), check_delta(delta), check_eps(eps)
    eta = e / (1.0 - e)
    out = _ratio(d * x, 1.0 - s - eta + d * x)
    return _out(np.where(1.0 - s - eta > 0, out, np.inf))


def critical_mass_feature_only(
    s_star: ArrayLike, xi: ArrayLike, p: ArrayLike, eps: ArrayLike = 0.0
) -> ArrayLike:
    """Corollary 3.6: ``α* <= (1-p)/p · ξ / (1 - S* - ε/(1-ε))`` (``inf`` if the denominator <= 0)."""
    s, x, pp, e = check_s_star(s_star), check_xi(xi), check_p(p), check_eps(eps)
    return _out(_ratio((1.0 - pp) / pp * x, 1.0 - s - e / (1.0 - e)))


def critical_mass_erasure(s_star: ArrayLike, tau: ArrayLike, eps: ArrayLike = 0.0) -> ArrayLike:
    """Corollary 3.8: ``α* <= τ / ((1-S*)/2 - ε/(2(1-ε)) + τ)`` (``inf`` if ``1 - S* <= ε/(1-ε)``)."""
    s, t, e = check_s_star(s_star), check_tau(tau), check_eps(eps)
    half_gap = 0.5 * (1.0 - s) - e / (2.0 * (1.0 - e))
    out = _ratio(t, half_gap + t)
    return _out(np.where(half_gap > 0, out, np.inf))


# ------------------------------------------------------------------------------------------
# Corrected ε-terms (valid against the worst ε-optimal classifier)
# ------------------------------------------------------------------------------------------


def corrected_feature_label_bound(
    alpha: ArrayLike,
    xi: ArrayLike,
    delta: ArrayLike,
    eps: ArrayLike = 0.0,
    perturbation: str = "tv",
) -> ArrayLike:
    """Theorem 3.3 with a valid ε-term: ``S(α) >= 1 - (1-α)/α · Δξ - b/α``, ``b = eps_budget(ε)``.

    Proof: the worst ε-optimal classifier turns away from ``y*`` a set ``F`` of signal
    points whose margins ``P(x, y*) - max_{y != y*} P(x, y) >= α P*(x) - (1-α) Δ_x P0(x)``
    add up to at most ``b``; summing gives ``α P*(F) <= b + (1-α) Δ ξ``.
    """
    a, x, d = check_alpha(alpha), check_xi(xi), check_delta(delta)
    b = np.asarray(eps_budget(eps, perturbation))
    return _out(1.0 - (1.0 - a) / a * d * x - b / a)


def corrected_feature_only_bound(
    alpha: ArrayLike, xi: ArrayLike, p: ArrayLike, eps: ArrayLike = 0.0, perturbation: str = "tv"
) -> ArrayLike:
    """Theorem 3.5 with a valid ε-term: ``S(α) >= 1 - (1-p)ξ/(pα) - b/(pα)``."""
    a, x, pp = check_alpha(alpha), check_xi(xi), check_p(p)
    b = np.asarray(eps_budget(eps, perturbation))
    return _out(1.0 - (1.0 - pp) / (pp * a) * x - b / (pp * a))


def corrected_erasure_bound(
    alpha: ArrayLike,
    tau: ArrayLike,
    eps: ArrayLike = 0.0,
    rho: ArrayLike = 1.0,
    perturbation: str = "tv",
) -> ArrayLike:
    """Theorem 3.7 with a valid ε-term: ``S(α) >= 1 - 2(1-α)τ/α - max(1, ρ-1)·b/α``.

    ``ρ = max_z P0(g^{-1}(z))/P0(z)`` over image points (:func:`collective.theory.problem_parameters.rho_of`):
    relabelling one image point ``z`` costs the adversary about ``α P0(z)`` of margin but
    breaks the whole fibre ``g^{-1}(z)``. Requires the reading and idempotence under which
    the ε = 0 theorem holds (see the erasure chapter).
    """
    a, t = check_alpha(alpha), check_tau(tau)
    r = check_rho(rho)
    b = np.asarray(eps_budget(eps, perturbation))
    return _out(1.0 - 2.0 * (1.0 - a) / a * t - np.maximum(1.0, r - 1.0) * b / a)


def corrected_critical_mass_feature_label(
    s_star: ArrayLike,
    xi: ArrayLike,
    delta: ArrayLike,
    eps: ArrayLike = 0.0,
    perturbation: str = "tv",
) -> ArrayLike:
    """Critical mass from :func:`corrected_feature_label_bound`: ``(Δξ + b)/(1 - S* + Δξ)``."""
    s, x, d = check_s_star(s_star), check_xi(xi), check_delta(delta)
    b = np.asarray(eps_budget(eps, perturbation))
    return _out(_ratio(d * x + b, 1.0 - s + d * x))


def corrected_critical_mass_feature_only(
    s_star: ArrayLike, xi: ArrayLike, p: ArrayLike, eps: ArrayLike = 0.0, perturbation: str = "tv"
) -> ArrayLike:
    """Critical mass from :func:`corrected_feature_only_bound`: ``((1-p)ξ + b)/(p(1 - S*))``."""
    s, x, pp = check_s_star(s_star), check_xi(xi), check_p(p)
    b = np.asarray(eps_budget(eps, perturbation))
    return _out(_ratio((1.0 - pp) * x + b, pp * (1.0 - s)))


def corrected_critical_mass_erasure(
    s_star: ArrayLike,
    tau: ArrayLike,
    eps: ArrayLike = 0.0,
    rho: ArrayLike = 1.0,
    perturbation: str = "tv",
) -> ArrayLike:
    """Critical mass from :func:`corrected_erasure_bound`: ``(2τ + max(1,ρ-1) b)/(1 - S* + 2τ)``."""
    s, t = check_s_star(s_star), check_tau(tau)
    r = check_rho(rho)
    b = np.asarray(eps_budget(eps, perturbation))
    return _out(_ratio(2.0 * t + np.maximum(1.0, r - 1.0) * b, 1.0 - s + 2.0 * t))
