"""Convex risk minimization (Section 4.1): Theorem 4.2, Corollary 4.3, Proposition 4.4."""

import numpy as np
import pytest
from scipy import optimize

from collective.theory import gradient_neutralizing_critical_mass, utility_gain_critical_mass
from collective.theory.risk import (
    GLM,
    NoNeutralizingDistributionError,
    Sample,
    gradient_neutralizing_strategy,
    make_glm_sample,
    neutralizing_gradient_lower_bound,
    utility_target,
)

THETA_TRUE = np.array([1.0, -0.5])
CASES = [
    (f, l2, v)
    for f in ("logistic", "linear")
    for l2 in (0.0, 0.05)
    for v in ("feature-label", "feature-only")
]


@pytest.fixture(scope="module")
def samples():
    return {f: make_glm_sample(f, 400, THETA_TRUE, seed=3) for f in ("logistic", "linear")}


def test_firm_is_exact_risk_minimizer(samples):
    """Definition 4.1: the firm's parameter zeroes the mixture gradient to rounding error."""
    for family in ("logistic", "linear"):
        model = GLM(family, l2=0.01)
        theta = model.fit(samples[family])
        assert np.linalg.norm(model.gradient(theta, samples[family])) < 1e-12
        for e in np.eye(2):
            assert model.risk(theta + 1e-4 * e, samples[family]) > model.risk(
                theta, samples[family]
            )
    # ... and matches independent solvers: ridge least squares in closed form, and a generic
    # quasi-Newton minimization of the logistic risk (no gradient or Hessian of ours used).
    P = samples["linear"]
    ridge = np.linalg.lstsq(
        np.vstack([P.X * np.sqrt(P.w)[:, None], np.sqrt(0.01) * np.eye(2)]),
        np.concatenate([P.y * np.sqrt(P.w), np.zeros(2)]),
        rcond=None,
    )[0]
    np.testing.assert_allclose(GLM("linear", 0.01).fit(P), ridge, atol=1e-12)
    P = samples["logistic"]
    risk = lambda t: np.mean(np.logaddexp(0, P.X @ t) - P.y * (P.X @ t)) + 0.005 * t @ t  # noqa: E731
    generic = optimize.minimize(risk, np.zeros(2), method="BFGS", options={"gtol": 1e-10}).x
    np.testing.assert_allclose(GLM("logistic", 0.01).fit(P), generic, atol=1e-6)


def _strategy(samples, family, l2, variant):
    """The strategy for a target offset (0.6, 0.5) from the base minimizer (the tests below)."""
    model = GLM(family, l2)
    theta_star = model.fit(samples[family]) + np.array([0.6, 0.5])
    return (
        model,
        theta_star,
        gradient_neutralizing_strategy(model, samples[family], theta_star, variant),
    )


@pytest.mark.parametrize("family, l2, variant", CASES)
def test_corollary_4_3_firm_lands_on_target_exactly_from_alpha_star(samples, family, l2, variant):
    """Corollary 4.3: for alpha >= alpha* the risk minimizer is theta* (to solver precision)."""
    model, theta_star, s = _strategy(samples, family, l2, variant)
    a_star = s.alpha_star
    assert 0 < a_star < 1
    assert a_star == pytest.approx(gradient_neutralizing_critical_mass(s.g0, s.g_prime))
    # g' is anti-parallel to g0: the definition of a gradient-neutralizing distribution.
    cos = s.g_prime @ s.g0 / (np.linalg.norm(s.g_prime) * np.linalg.norm(s.g0))
    assert cos == pytest.approx(-1.0, abs=1e-12)
    for alpha in (a_star, 0.5 * (a_star + 1), 1.0):
        assert np.linalg.norm(s.firm(alpha) - theta_star) < 1e-10
        assert s.p(alpha) == pytest.approx(a_star / alpha)
    # Just below alpha* the firm misses theta* by a clearly non-zero amount.
    assert np.linalg.norm(s.firm(0.9 * a_star) - theta_star) > 1e-4


@pytest.mark.parametrize("family, l2, variant", CASES)
def test_theorem_4_2_bound_holds_below_alpha_star(samples, family, l2, variant):
    """Theorem 4.2: ||theta - theta*|| <= max((1-a)||g0|| - a||g'||, 0) / mu, mu computed on the mixture."""
    model, theta_star, s = _strategy(samples, family, l2, variant)
    for alpha in np.linspace(0.05, 0.95, 7) * s.alpha_star:
        theta = s.firm(alpha)
        dist = np.linalg.norm(theta - theta_star)
        mu = model.strong_convexity(s.mixture(alpha), theta, theta_star)
        assert 0 < dist <= s.theorem_4_2_bound(alpha, mu) * (1 + 1e-9)
        if l2 > 0:  # l2 is a guaranteed strong-convexity constant: the bound holds with it too
            assert dist <= s.theorem_4_2_bound(alpha, l2)


def test_corollary_4_3_more_optimal_targets_need_smaller_collectives(samples):
    """Corollary 4.3: with a fixed feature budget (fixed ||g'||), alpha* grows with ||g_P0(theta*)||,
    and the firm's empirical critical mass (bisection) equals it."""
    model, P0 = GLM("linear"), samples["linear"]
    theta0 = model.fit(P0)
    g0_norms, a_stars = [], []
    for t in (0.1, 0.3, 0.6, 1.0):
        theta_star = theta0 + t * np.array([0.8, 0.6])
        s = gradient_neutralizing_strategy(model, P0, theta_star, feature_norm=2.0, margin=1.0)
        assert np.linalg.norm(s.g_prime) == pytest.approx(2.0)
        g0_norms.append(np.linalg.norm(s.g0))
        a_stars.append(s.alpha_star)
        lo, hi = 0.0, 1.0
        for _ in range(40):  # smallest alpha at which the firm lands on theta*
            mid = 0.5 * (lo + hi)
            lo, hi = (lo, mid) if np.linalg.norm(s.firm(mid) - theta_star) < 1e-9 else (mid, hi)
        assert hi == pytest.approx(s.alpha_star, abs=1e-9)
    assert np.all(np.diff(g0_norms) > 0) and np.all(np.diff(a_stars) > 0)


@pytest.mark.parametrize("family", ["linear", "logistic"])
def test_proposition_4_4_linear_utility(samples, family):
    """Proposition 4.4 with u(theta) = theta^T v: at the bound's alpha, the gain U is reached."""
    model, P0 = GLM(family), samples[family]
    theta0 = model.fit(P0)
    v = np.array([1.0, 2.0])
    kwargs = {"feature_norm": 3.0}
    for U in (0.1, 0.5, 1.0):
        theta_star = utility_target(theta0, v, U)
        radius = U / np.linalg.norm(v)
        g_lb = neutralizing_gradient_lower_bound(model, P0, theta0, radius, n_samples=60, **kwargs)
        bound = utility_gain_critical_mass(U, np.linalg.norm(v), model.smoothness(P0), g_lb)
        s = gradient_neutralizing_strategy(model, P0, theta_star, **kwargs)
        assert s.alpha_star <= bound < 1
        gain = (s.firm(bound) - theta0) @ v
        assert gain >= U - 1e-9, gain
        # below the exact critical mass the gain falls short
        assert (s.firm(0.8 * s.alpha_star) - theta0) @ v < U


def test_linear_feature_norm_gives_constant_g_lb(samples):
    model, P0 = GLM("linear"), samples["linear"]
    g_lb = neutralizing_gradient_lower_bound(
        model, P0, model.fit(P0), 0.5, n_samples=30, feature_norm=2.0, margin=0.5
    )
    assert g_lb == pytest.approx(1.0)


def test_feature_only_needs_small_labels():
    """Feature-only neutralizing needs labels below mu_theta*(x') with positive probability."""
    X = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]])
    P0 = Sample(X, [5.0, 5.0, 5.0])  # every label far above any mean the target predicts
    model = GLM("linear")
    with pytest.raises(NoNeutralizingDistributionError, match="feature-label"):
        gradient_neutralizing_strategy(model, P0, np.array([0.1, 0.1]), "feature-only")


def test_regularizer_too_strong_has_no_neutralizing_point(samples):
    """Logistic labels are bounded, so one point cannot cancel a strong l2 pull on a far target."""
    with pytest.raises(NoNeutralizingDistributionError, match="Lower l2"):
        gradient_neutralizing_strategy(
            GLM("logistic", l2=5.0), samples["logistic"], np.array([3.0, 3.0])
        )


@pytest.mark.parametrize(
    "call, match",
    [
        (lambda: GLM("poisson"), "family"),
        (lambda: GLM("linear", l2=-1.0), "l2"),
        (lambda: Sample(np.ones((3, 2)), np.ones(4)), "shape"),
        (lambda: Sample(np.ones((2, 2)), np.ones(2), [1.0, -1.0]), "weights"),
        (
            lambda: gradient_neutralizing_strategy(
                GLM(), Sample(np.eye(2), [0.0, 1.0]), np.ones(3)
            ),
            "length 2",
        ),
        (
            lambda: gradient_neutralizing_strategy(
                GLM(), Sample(np.eye(2), [0.0, 1.0]), np.ones(2), "labels"
            ),
            "variant",
        ),
        (
            lambda: gradient_neutralizing_strategy(
                GLM("linear", 0.1), Sample(np.eye(2), [0.0, 1.0]), np.ones(2), feature_norm=1.0
            ),
            "feature_norm",
        ),
        (lambda: utility_target(np.zeros(2), np.zeros(2), 1.0), "utility gradient"),
    ],
)
def test_bad_arguments(call, match):
    with pytest.raises(ValueError, match=match):
        call()


def test_separable_logistic_without_l2_fails_clearly():
    P0 = Sample(np.array([[1.0, 0.0], [-1.0, 0.0], [2.0, 1.0]]), [1.0, 0.0, 1.0])
    with pytest.raises(ValueError, match="separable"):
        GLM("logistic").fit(P0)
