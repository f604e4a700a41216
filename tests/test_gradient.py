"""Gradient-based learning with an adaptive collective (Section 4.2, Theorem 4.5)."""

import numpy as np
import pytest

from collective.theory import gradient_control_rate
from collective.theory.gradient import (
    GradientControlCollective,
    NeuronModel,
    NoRedirectingDistributionError,
    gradient_descent,
    make_neuron_sample,
    minimal_feasible_alpha,
    path_constant,
)

ETA = 2.0
EASY, HARD = np.array([2.2, 3.0]), np.array([-1.5, 1.5])


@pytest.fixture(scope="module")
def setup():
    model = NeuronModel()
    P0 = make_neuron_sample(400, np.array([2.0, -1.0]), seed=0)
    theta0 = gradient_descent(model, P0, np.zeros(2), ETA, 3000).thetas[-1]
    return model, P0, theta0


def test_neuron_risk_is_nonconvex(setup):
    """The model of Section 4.2 is nonconvex: the risk's Hessian has a negative eigenvalue somewhere."""
    model, P0, _ = setup
    t = np.linspace(-6, 6, 25)
    R = model.risk_grid(P0, t, t)
    # a negative second difference along a grid line is a direction of negative curvature
    assert (np.diff(R, 2, axis=0).min() < 0) or (np.diff(R, 2, axis=1).min() < 0)
    assert model.risk(np.zeros(2), P0) == pytest.approx(R[12, 12])


def test_gradient_matches_finite_differences(setup):
    model, P0, _ = setup
    theta, h = np.array([0.7, -0.3]), 1e-6
    fd = [
        (model.risk(theta + h * e, P0) - model.risk(theta - h * e, P0)) / (2 * h) for e in np.eye(2)
    ]
    np.testing.assert_allclose(model.gradient(theta, P0), fd, rtol=1e-6, atol=1e-10)


def test_redirecting_point_has_the_prescribed_gradient(setup):
    """Gradient-control strategy: g_P'(theta) = -(1-a)/a g_P0(theta) + xi (theta - theta*), with ||x'|| <= R, y' in [0,1]."""
    model, P0, theta0 = setup
    col = GradientControlCollective(model, P0, EASY, alpha=0.6, eta=ETA)
    theta = 0.3 * theta0 + 0.7 * EASY
    P_prime, xi = col.redirect(theta)
    assert 0 < xi <= col.xi_cap < 1 / (col.alpha * ETA)
    expected = -(1 - 0.6) / 0.6 * model.gradient(theta, P0) + xi * (theta - EASY)
    np.testing.assert_allclose(model.gradient(theta, P_prime), expected, rtol=1e-9, atol=1e-14)
    assert np.linalg.norm(P_prime.X[0]) <= col.feature_bound + 1e-12 and 0 <= P_prime.y[0] <= 1


@pytest.mark.parametrize("alpha", [0.5, 0.7, 0.9])
def test_theorem_4_5_geometric_rate(setup, alpha):
    """Theorem 4.5: ||theta_t - theta*|| <= (1 - eta C(alpha))^t ||theta0 - theta*||, C = alpha c."""
    model, P0, theta0 = setup
    col = GradientControlCollective(model, P0, EASY, alpha=alpha, eta=ETA)
    T = 80
    traj = gradient_descent(model, P0, theta0, ETA, T, col)
    d = traj.distances(EASY)
    # Each step contracts by exactly (1 - eta alpha xi_t): the firm's gradient is alpha xi_t (theta_t - theta*).
    np.testing.assert_allclose(d[1:], (1 - ETA * alpha * traj.xis) * d[:-1], rtol=1e-8, atol=1e-13)
    c_path = traj.xis.min()  # c = min xi along the path the iterates travel
    bound = d[0] * gradient_control_rate(alpha, ETA, c_path, np.arange(T + 1))
    assert np.all(d <= bound * (1 + 1e-9) + 1e-13)
    # c over the segment from theta0 to theta*, as in the proof (on a grid of 41 points)
    c_segment = path_constant(col, theta0, n=41)
    assert np.isfinite(c_segment) and c_segment == pytest.approx(c_path, rel=0.05)
    assert np.all(
        d
        <= d[0] * gradient_control_rate(alpha, ETA, c_segment, np.arange(T + 1)) * (1 + 1e-9)
        + 1e-13
    )
    assert d[-1] < 0.5 * d[0]


def test_larger_collectives_converge_faster(setup):
    """Theorem 4.5: C(alpha) and the progress after T steps grow with alpha."""
    model, P0, theta0 = setup
    finals, C = [], []
    for alpha in (0.45, 0.55, 0.7, 0.85):
        col = GradientControlCollective(model, P0, EASY, alpha=alpha, eta=ETA)
        finals.append(gradient_descent(model, P0, theta0, ETA, 60, col).distances(EASY)[-1])
        C.append(alpha * path_constant(col, theta0, n=41))
    assert np.all(np.diff(finals) < 0), finals
    assert np.all(np.diff(C) > 0), C


def test_paths_through_large_base_gradients_are_harder(setup):
    """Theorem 4.5's condition: the straight path to HARD crosses the large P0 gradients near 0,
    so it needs a larger collective than EASY, at a comparable distance."""
    model, P0, theta0 = setup
    assert abs(np.linalg.norm(HARD - theta0) - np.linalg.norm(EASY - theta0)) < 0.6
    max_g = [
        max(
            np.linalg.norm(model.gradient(lam * theta0 + (1 - lam) * ts, P0))
            for lam in np.linspace(0, 1, 51)
        )
        for ts in (EASY, HARD)
    ]
    assert max_g[1] > 1.5 * max_g[0]
    a_easy = minimal_feasible_alpha(model, P0, theta0, EASY, ETA, n=41, tol=5e-3)
    a_hard = minimal_feasible_alpha(model, P0, theta0, HARD, ETA, n=41, tol=5e-3)
    assert a_hard > a_easy + 0.1
    # between the two, the easy target is reachable and the hard one is not
    alpha = 0.5 * (a_easy + a_hard)
    for ts, feasible in ((EASY, True), (HARD, False)):
        col = GradientControlCollective(model, P0, ts, alpha=alpha, eta=ETA)
        assert np.isfinite(path_constant(col, theta0, n=41)) == feasible


def test_no_redirecting_point_raises_clear_error(setup):
    model, P0, theta0 = setup
    col = GradientControlCollective(model, P0, HARD, alpha=0.1, eta=ETA)
    with pytest.raises(NoRedirectingDistributionError, match="larger collective"):
        col.redirect(np.array([-0.5, 0.5]))
    traj = gradient_descent(model, P0, np.array([-0.5, 0.5]), ETA, 5, col, on_infeasible="stop")
    assert traj.stopped_at == 0 and len(traj.thetas) == 1


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"alpha": 0.0}, "alpha"),
        ({"alpha": 1.0}, "alpha"),
        ({"eta": -1.0}, "eta"),
        ({"feature_bound": 0.0}, "feature_bound"),
        ({"xi_fraction": 1.0}, "xi_fraction"),
        ({"theta_star": np.ones(3)}, "length 2"),
    ],
)
def test_bad_arguments(setup, kwargs, match):
    model, P0, _ = setup
    args = {"model": model, "base": P0, "theta_star": EASY, "alpha": 0.5, "eta": ETA} | kwargs
    with pytest.raises(ValueError, match=match):
        GradientControlCollective(**args)


def test_bad_descent_arguments(setup):
    model, P0, theta0 = setup
    with pytest.raises(ValueError, match="on_infeasible"):
        gradient_descent(model, P0, theta0, ETA, 3, on_infeasible="ignore")
    with pytest.raises(ValueError, match="integer T"):
        gradient_descent(model, P0, theta0, ETA, 2.5)
