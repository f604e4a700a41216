"""Property-based tests (hypothesis) of the theory's invariants.

* Every bound of Section 3 (the paper's and the corrected ε-terms) is non-decreasing in the
  collective's size α.
* On random finite problems the paper's bounds hold at ε = 0 (Theorems 3.3, 3.5, 3.7) and the
  corrected bounds hold against the worst ε-optimal classifier, computed exactly by
  :mod:`collective.theory.discrete` (problem parameters ξ, Δ, p, τ, ρ from the same problem).

Hypothesis shrinks a failing problem to a small one and prints it.
"""

from __future__ import annotations

import numpy as np
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from collective.theory import classification as cl
from collective.theory import discrete

SETTINGS = settings(max_examples=150, deadline=None, derandomize=True)
TOL = 1e-9

unit = st.floats(0.0, 1.0, allow_nan=False, allow_subnormal=False)
alphas = st.floats(1e-3, 1.0, allow_nan=False)
epsilons = st.floats(0.0, 0.3, allow_nan=False)
perturbations = st.sampled_from(cl.PERTURBATIONS)


@st.composite
def alpha_pairs(draw):
    a, b = sorted((draw(alphas), draw(alphas)))
    return a, b


@SETTINGS
@given(
    alpha_pairs(),
    unit,
    unit,
    st.floats(0.01, 1.0),
    unit,
    st.floats(1.0, 5.0),
    epsilons,
    perturbations,
)
def test_every_bound_is_non_decreasing_in_alpha(pair, xi, delta, p, tau, rho, eps, perturbation):
    lo, hi = pair
    pairs = [
        (cl.feature_label_bound(lo, xi, delta, eps), cl.feature_label_bound(hi, xi, delta, eps)),
        (cl.feature_only_bound(lo, xi, p, eps), cl.feature_only_bound(hi, xi, p, eps)),
        (cl.erasure_bound(lo, tau, eps), cl.erasure_bound(hi, tau, eps)),
        (
            cl.corrected_feature_label_bound(lo, xi, delta, eps, perturbation),
            cl.corrected_feature_label_bound(hi, xi, delta, eps, perturbation),
        ),
        (
            cl.corrected_feature_only_bound(lo, xi, p, eps, perturbation),
            cl.corrected_feature_only_bound(hi, xi, p, eps, perturbation),
        ),
        (
            cl.corrected_erasure_bound(lo, tau, eps, rho, perturbation),
            cl.corrected_erasure_bound(hi, tau, eps, rho, perturbation),
        ),
    ]
    for at_lo, at_hi in pairs:
        assert at_lo <= at_hi + TOL * max(1.0, abs(at_hi))


@SETTINGS
@given(st.floats(0.01, 0.99), unit, unit, epsilons, perturbations)
def test_corrected_critical_mass_reaches_the_target(s_star, xi, delta, eps, perturbation):
    # At the corrected critical mass the corrected bound is (at least) S*.
    a = cl.corrected_critical_mass_feature_label(s_star, xi, delta, eps, perturbation)
    assume(np.isfinite(a) and 1e-6 <= a <= 1)
    assert cl.corrected_feature_label_bound(a, xi, delta, eps, perturbation) >= s_star - 1e-7


@st.composite
def planting_problems(draw, max_x: int = 5, max_y: int = 3):
    n = draw(st.integers(1, max_x))
    m = draw(st.integers(2, max_y))
    weights = draw(
        st.lists(st.sampled_from([0.0, 0.5, 1.0, 2.0, 3.0, 7.0]), min_size=n * m, max_size=n * m)
    )
    P0 = np.array(weights, dtype=float).reshape(n, m)
    assume(P0.sum() > 0)
    P0 /= P0.sum()
    g = np.array(draw(st.lists(st.integers(0, n - 1), min_size=n, max_size=n)))
    y_star = draw(st.integers(0, m - 1))
    return P0, g, y_star


@st.composite
def erasure_problems(draw, max_x: int = 4, max_y: int = 3):
    """Idempotent g (image points map to themselves) with mass on every image point."""
    P0, g, _ = draw(planting_problems(max_x, max_y))
    n = len(g)
    g = np.array([g[x] for x in range(n)])
    g = g[g]  # not yet idempotent in general: make image points fixed
    image = np.unique(g)
    g[image] = image
    assume(np.all(P0.sum(1)[image] > 0))
    assume(discrete.is_idempotent(g))
    return P0, g


@SETTINGS
@given(planting_problems(), alphas)
def test_papers_planting_bounds_hold_at_eps_zero(problem, alpha):
    P0, g, y_star = problem
    xi, delta = discrete.xi_of(P0, g), discrete.delta_of(P0, g, y_star)
    S = discrete.planting_success(P0, g, y_star, alpha)
    assert S >= cl.feature_label_bound(alpha, xi, delta) - TOL
    p = discrete.p_of(P0, y_star)
    if p > 0:
        S_only = discrete.planting_success(P0, g, y_star, alpha, "feature-only")
        assert S_only >= cl.feature_only_bound(alpha, xi, p) - TOL


@SETTINGS
@given(planting_problems(), alphas, epsilons, perturbations)
def test_corrected_planting_bounds_hold_against_the_worst_eps_optimal_classifier(
    problem, alpha, eps, perturbation
):
    P0, g, y_star = problem
    xi, delta = discrete.xi_of(P0, g), discrete.delta_of(P0, g, y_star)
    S = discrete.planting_success(P0, g, y_star, alpha, eps=eps, perturbation=perturbation)
    assert S >= cl.corrected_feature_label_bound(alpha, xi, delta, eps, perturbation) - TOL
    p = discrete.p_of(P0, y_star)
    if p > 0:
        S_only = discrete.planting_success(
            P0, g, y_star, alpha, "feature-only", eps=eps, perturbation=perturbation
        )
        assert S_only >= cl.corrected_feature_only_bound(alpha, xi, p, eps, perturbation) - TOL


@SETTINGS
@given(erasure_problems(), alphas, epsilons, perturbations)
def test_erasure_bounds_hold(problem, alpha, eps, perturbation):
    P0, g = problem
    tau, rho = discrete.tau_of(P0, g), discrete.rho_of(P0, g)
    assert discrete.erasure_success(P0, g, alpha) >= cl.erasure_bound(alpha, tau) - TOL
    # the relaxed adversary is at least as strong as the true worst case: a bound that holds
    # against it holds against every ε-optimal classifier
    S = discrete.erasure_success(P0, g, alpha, eps=eps, perturbation=perturbation)
    assert S >= cl.corrected_erasure_bound(alpha, tau, eps, rho, perturbation) - TOL


@SETTINGS
@given(planting_problems(), alphas, st.floats(0.0, 0.2), st.floats(0.0, 0.2), perturbations)
def test_exact_success_is_non_increasing_in_eps(problem, alpha, e1, e2, perturbation):
    P0, g, y_star = problem
    lo, hi = sorted((e1, e2))
    S_lo = discrete.planting_success(P0, g, y_star, alpha, eps=lo, perturbation=perturbation)
    S_hi = discrete.planting_success(P0, g, y_star, alpha, eps=hi, perturbation=perturbation)
    assert S_hi <= S_lo + TOL
    assert 0.0 <= S_hi <= S_lo <= 1.0 + TOL
