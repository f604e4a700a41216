"""Closed forms of Section 3 (Theorems 3.3, 3.5, 3.7, Corollaries 3.4, 3.6, 3.8) and their sympy derivations."""

import numpy as np
import pytest
import sympy as sp

from collective.theory import (
    checks,
    corrected_critical_mass_erasure,
    corrected_critical_mass_feature_label,
    corrected_critical_mass_feature_only,
    corrected_erasure_bound,
    corrected_feature_label_bound,
    corrected_feature_only_bound,
    critical_mass_erasure,
    critical_mass_feature_label,
    critical_mass_feature_only,
    discrete,
    eps_budget,
    erasure_bound,
    feature_label_bound,
    feature_only_bound,
    symbolic,
)


def test_bounds_by_hand():
    # Theorem 3.3: 1 - (0.5/0.5)*0.5*0.2 - 0.1/0.9
    assert feature_label_bound(0.5, 0.2, 0.5, 0.1) == pytest.approx(1 - 0.1 - 1 / 9)
    # Theorem 3.5: 1 - 0.5/(0.5*0.25)*0.1 = 0.6
    assert feature_only_bound(0.25, 0.1, 0.5) == pytest.approx(0.6)
    # Theorem 3.7: 1 - 2*0.2/0.8*0.1 = 0.95
    assert erasure_bound(0.8, 0.1) == pytest.approx(0.95)
    assert feature_label_bound(1.0, 1.0, 1.0) == 1.0  # a collective of everybody always wins
    assert eps_budget(0.25) == pytest.approx(0.5)
    assert eps_budget(0.25, "contamination") == pytest.approx(1 / 3)


def test_bounds_vectorize_and_broadcast():
    alpha = np.linspace(0.1, 1, 7)[:, None]
    xi = np.array([0.01, 0.1, 0.3])[None, :]
    out = feature_label_bound(alpha, xi, 1.0)
    assert out.shape == (7, 3)
    assert np.all(np.diff(out, axis=0) > 0)  # increasing in alpha
    assert np.all(np.diff(out[:-1], axis=1) < 0)  # decreasing in xi (for alpha < 1)
    np.testing.assert_allclose(out[-1], 1.0)  # alpha = 1: nothing to outvote
    # a Python float for scalars, not np.float64 (whose repr, np.float64(...), tables would show)
    assert type(feature_label_bound(0.5, 0.1, 1.0)) is float


def test_corollaries_by_hand():
    # Corollary 3.4 with Δξ = 0.1, S* = 0.9: 0.1 / (0.1 + 0.1) = 0.5
    assert critical_mass_feature_label(0.9, 0.1, 1.0) == pytest.approx(0.5)
    # Corollary 3.6: (0.5/0.5) * 0.05 / 0.1 = 0.5
    assert critical_mass_feature_only(0.9, 0.05, 0.5) == pytest.approx(0.5)
    # Corollary 3.8: 0.05 / (0.05 + 0.05) = 0.5
    assert critical_mass_erasure(0.9, 0.05) == pytest.approx(0.5)
    # the bound never reaches S* when 1 - S* <= eps/(1-eps)
    assert critical_mass_feature_label(0.9, 0.1, 1.0, eps=0.2) == np.inf
    assert critical_mass_feature_only(0.95, 0.1, 0.5, eps=0.1) == np.inf
    assert critical_mass_erasure(0.9, 0.1, eps=0.5) == np.inf
    assert critical_mass_feature_label(0.9, 0.0, 1.0) == 0.0  # a signal absent from P0


@pytest.mark.parametrize("eps", [0.0, 0.01, 0.05])
def test_critical_mass_solves_the_bound(eps):
    # Corollaries 3.4, 3.6, 3.8: the bound at alpha* equals S* (where alpha* <= 1).
    rng = np.random.default_rng(0)
    target = rng.uniform(0.5, 0.9, 500)
    xi, d, p, tau = (
        rng.uniform(0, 0.1, 500),
        rng.uniform(0, 1, 500),
        rng.uniform(0.2, 1, 500),
        rng.uniform(0, 0.1, 500),
    )
    for crit, bound in [
        (
            critical_mass_feature_label(target, xi, d, eps),
            lambda a: feature_label_bound(a, xi, d, eps),
        ),
        (
            critical_mass_feature_only(target, xi, p, eps),
            lambda a: feature_only_bound(a, xi, p, eps),
        ),
        (critical_mass_erasure(target, tau, eps), lambda a: erasure_bound(a, tau, eps)),
    ]:
        ok = (crit > 1e-6) & (crit <= 1)
        assert ok.sum() > 100
        a = np.where(ok, crit, 0.5)
        np.testing.assert_allclose(bound(a)[ok], target[ok], atol=1e-9)
        assert np.all(bound(np.minimum(a * 1.01, 1.0))[ok] >= target[ok] - 1e-12)


def test_corollary_3_4_exact_success_above_critical_mass():
    # Corollary 3.4 (ε = 0) against the exact engine: on random feature-label problems the
    # Bayes-optimal success at alpha* + 1e-6 meets S*.
    rng = np.random.default_rng(1)
    met = 0
    for P0, g, y_star, _, _ in checks.random_planting_instances(2000, rng):
        xi = discrete.xi_batch(P0, g)
        d = discrete.delta_batch(P0, g, y_star)
        target = rng.uniform(0.5, 0.99, len(xi))
        crit = critical_mass_feature_label(target, np.clip(xi, 0, 1), np.clip(d, 0, 1))
        alpha = np.clip(crit + 1e-6, 1e-6, 1.0)
        S = discrete.planting_success_batch(P0, g, y_star, alpha)
        use = crit + 1e-6 <= 1
        assert np.all(S[use] >= target[use])
        met += use.sum()
    assert met > 1000


def test_corollary_3_6_and_3_8_exact_success_above_critical_mass():
    rng = np.random.default_rng(2)
    for P0, g, y_star, _, _ in checks.random_planting_instances(1000, rng, "feature-only"):
        xi, p = discrete.xi_batch(P0, g), discrete.p_batch(P0, y_star)
        target = rng.uniform(0.5, 0.99, len(xi))
        crit = critical_mass_feature_only(target, np.clip(xi, 0, 1), np.clip(p, 1e-300, 1))
        use = crit + 1e-6 <= 1
        S = discrete.planting_success_batch(
            P0, g, y_star, np.clip(crit + 1e-6, 0, 1), "feature-only"
        )
        assert np.all(S[use] >= target[use])
    for P0, g, _, _ in checks.random_erasure_instances(1000, rng):
        tau = np.clip(discrete.tau_batch(P0, g), 0, 1)
        target = rng.uniform(0.5, 0.99, len(tau))
        crit = critical_mass_erasure(target, tau)
        use = crit + 1e-6 <= 1
        S = discrete.erasure_success_batch(P0, g, np.clip(crit + 1e-6, 0, 1))
        assert np.all(S[use] >= target[use])


def test_tight_instance_attains_theorem_3_3():
    for alpha, xi, delta in [(0.3, 0.2, 0.5), (0.05, 0.01, 1.0), (0.8, 0.5, 0.9)]:
        P0, g, y_star = checks.tight_feature_label_instance(alpha, xi, delta)
        assert discrete.xi_of(P0, g) == pytest.approx(xi)
        assert discrete.delta_of(P0, g, y_star) == pytest.approx(delta)
        S = discrete.planting_success(P0, g, y_star, alpha)
        assert S == pytest.approx(feature_label_bound(alpha, xi, delta), abs=1e-12)
    with pytest.raises(ValueError, match="no tight instance"):
        checks.tight_feature_label_instance(0.01, 0.5, 1.0)


def test_corrected_bounds_by_hand_and_reduce_at_eps_zero():
    assert corrected_feature_label_bound(0.5, 0.2, 0.5, 0.05) == pytest.approx(1 - 0.1 - 0.2)
    assert corrected_feature_only_bound(0.5, 0.1, 0.5, 0.05) == pytest.approx(1 - 0.2 - 0.4)
    assert corrected_erasure_bound(0.5, 0.1, 0.05, rho=3.0) == pytest.approx(1 - 0.2 - 0.4)
    a = np.linspace(0.05, 1, 20)
    np.testing.assert_allclose(
        corrected_feature_label_bound(a, 0.1, 0.7), feature_label_bound(a, 0.1, 0.7)
    )
    np.testing.assert_allclose(
        corrected_feature_only_bound(a, 0.1, 0.7), feature_only_bound(a, 0.1, 0.7)
    )
    np.testing.assert_allclose(corrected_erasure_bound(a, 0.1), erasure_bound(a, 0.1))


def test_sympy_derives_the_papers_corollaries():
    result = symbolic.corollary_checks()
    assert set(result) == {"feature-label", "feature-only", "erasure"}
    for name, r in result.items():
        assert r["equal"], name
    alpha = symbolic.alpha
    assert (
        sp.simplify(
            result["feature-label"]["d_bound_d_alpha"] - symbolic.delta * symbolic.xi / alpha**2
        )
        == 0
    )
    assert sp.simplify(result["erasure"]["d_bound_d_alpha"] - 2 * symbolic.tau / alpha**2) == 0


def test_sympy_corrected_critical_masses_match_numpy():
    derived = symbolic.corrected_critical_masses()
    s = symbolic.symbols()
    values = {
        s["S_star"]: 0.8,
        s["xi"]: 0.03,
        s["delta"]: 0.6,
        s["p"]: 0.4,
        s["tau"]: 0.02,
        s["rho"]: 4.0,
    }
    for model in ("tv", "contamination"):
        b = eps_budget(0.02, model)
        sub = {**values, s["b"]: b}
        assert float(derived["feature-label"].subs(sub)) == pytest.approx(
            corrected_critical_mass_feature_label(0.8, 0.03, 0.6, 0.02, model)
        )
        assert float(derived["feature-only"].subs(sub)) == pytest.approx(
            corrected_critical_mass_feature_only(0.8, 0.03, 0.4, 0.02, model)
        )
        assert float(derived["erasure"].subs(sub)) == pytest.approx(
            corrected_critical_mass_erasure(0.8, 0.02, 0.02, 4.0, model)
        )


def test_sympy_lemma_b1():
    chain = symbolic.lemma_b1_contamination_chain()
    assert chain["residual"] == 0
    tv = symbolic.lemma_b1_tv_counterexample()
    assert tv["interval"] == sp.Interval.open(0, sp.Rational(1, 2))


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: feature_label_bound(0.0, 0.1, 1.0), "alpha"),
        (lambda: feature_label_bound(np.array([0.5, 1.2]), 0.1, 1.0), "alpha"),
        (lambda: feature_label_bound(0.5, 1.1, 1.0), "xi"),
        (lambda: feature_label_bound(0.5, 0.1, -0.1), "delta"),
        (lambda: feature_label_bound(0.5, 0.1, 1.0, eps=1.0), "eps"),
        (lambda: feature_only_bound(0.5, 0.1, 0.0), "p"),
        (lambda: erasure_bound(0.5, np.nan), "NaN"),
        (lambda: critical_mass_feature_label(1.0, 0.1, 1.0), "s_star"),
        (lambda: critical_mass_feature_only(0.0, 0.1, 0.5), "s_star"),
        (lambda: critical_mass_erasure(0.9, 0.1, eps=-0.1), "eps"),
        (lambda: corrected_erasure_bound(0.5, 0.1, 0.1, rho=0.5), "rho"),
        (
            lambda: eps_budget(0.1, "huber"),
            "^unknown perturbation 'huber'; choose one of: tv, contamination$",
        ),
    ],
)
def test_bad_arguments(call, message):
    with pytest.raises(ValueError, match=message):
        call()


def test_critical_masses_are_infinite_when_the_eps_term_eats_the_target():
    from collective.theory import classification as cl

    # 1 - S* - ε/(1-ε) < 0 although 1 - S* - ε/(1-ε) + Δξ > 0: no α reaches S* = 0.9
    assert cl.critical_mass_feature_label(0.9, 0.1, 0.5, 0.1) == np.inf
    assert cl.critical_mass_erasure(0.9, 0.05, 0.1) == np.inf
    # exactly at the edge (1 - S* = ε/(1-ε) = 1/4 in floating point too): still infinite, as documented
    assert cl.critical_mass_feature_label(0.75, 0.1, 0.5, 0.2) == np.inf
    assert cl.critical_mass_erasure(0.75, 0.05, 0.2) == np.inf
    # and finite just inside
    assert cl.critical_mass_feature_label(0.7, 0.1, 0.5, 0.2) == pytest.approx(
        0.05 / (0.3 - 0.25 + 0.05)
    )
    assert cl.critical_mass_erasure(0.7, 0.05, 0.2) == pytest.approx(0.05 / (0.15 - 0.125 + 0.05))


def test_corrected_critical_masses_by_hand_and_their_defaults():
    from collective.theory import classification as cl

    s, xi, delta, p, tau, eps = 0.8, 0.1, 0.5, 0.4, 0.05, 0.1
    # defaults: ε = 0 (then they equal the paper's corollaries), TV, ρ = 1
    assert cl.corrected_critical_mass_feature_label(s, xi, delta) == pytest.approx(
        cl.critical_mass_feature_label(s, xi, delta)
    )
    assert cl.corrected_critical_mass_feature_only(s, xi, p) == pytest.approx(
        cl.critical_mass_feature_only(s, xi, p)
    )
    assert cl.corrected_critical_mass_erasure(s, tau) == pytest.approx(
        cl.critical_mass_erasure(s, tau)
    )
    b = 2 * eps  # TV budget
    assert cl.corrected_critical_mass_feature_label(s, xi, delta, eps) == pytest.approx(
        (delta * xi + b) / (1 - s + delta * xi)
    )
    assert cl.corrected_critical_mass_feature_only(s, xi, p, eps) == pytest.approx(
        ((1 - p) * xi + b) / (p * (1 - s))
    )
    assert cl.corrected_critical_mass_erasure(s, tau, eps) == pytest.approx(
        (2 * tau + b) / (1 - s + 2 * tau)
    )
    # ρ enters as max(1, ρ - 1)
    assert cl.corrected_critical_mass_erasure(s, tau, eps, rho=3.5) == pytest.approx(
        (2 * tau + 2.5 * b) / (1 - s + 2 * tau)
    )
    eta = eps / (1 - eps)  # contamination budget
    assert cl.corrected_critical_mass_erasure(
        s, tau, eps, perturbation="contamination"
    ) == pytest.approx((2 * tau + eta) / (1 - s + 2 * tau))


def test_feature_only_critical_mass_at_the_edge_is_infinite_even_without_signal_mass():
    from collective.theory import classification as cl

    # denominator 1 - S* - ε/(1-ε) = 0 exactly: infinite (documented), also when ξ = 0 (not 0/0 = nan)
    assert cl.critical_mass_feature_only(0.75, 0.0, 0.5, 0.2) == np.inf
    assert cl.critical_mass_feature_only(0.75, 0.1, 0.5, 0.2) == np.inf
    assert cl.corrected_critical_mass_feature_label(
        0.8, 0.1, 0.5, 0.1
    ) == cl.corrected_critical_mass_feature_label(0.8, 0.1, 0.5, 0.1, "tv")


def test_corrected_bounds_by_hand_under_both_perturbations():
    from collective.theory import classification as cl

    a, xi, delta, p, tau, eps = 0.5, 0.1, 0.4, 0.5, 0.05, 0.1
    for perturbation, b in (("tv", 2 * eps), ("contamination", eps / (1 - eps))):
        assert cl.corrected_feature_label_bound(a, xi, delta, eps, perturbation) == pytest.approx(
            1 - delta * xi - b / a
        )
        assert cl.corrected_feature_only_bound(a, xi, p, eps, perturbation) == pytest.approx(
            1 - xi / a - b / (p * a)
        )
        assert cl.corrected_erasure_bound(a, tau, eps, 1.0, perturbation) == pytest.approx(
            1 - 2 * tau - b / a
        )
