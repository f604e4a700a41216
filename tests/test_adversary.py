"""The worst ε-optimal classifier (collective.theory.adversary) against independent solvers.

* Planting with more than 12 live signal points (the exact Pareto knapsack branch of
  :func:`collective.theory.exact_planting.planting_success_batch`, where subset enumeration would be
  too large) against a mixed-integer linear programme over the perturbed distribution itself
  (scipy's HiGHS ``milp``): it knows nothing about margins, half-gaps or knapsacks.
* Erasure with ε > 0 against a brute force over labelings with a linear programme for each
  (the least total variation, or a contamination ``Q``, that makes the labeling ε-optimal).
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from _lp import perturbation_feasible
from scipy.optimize import Bounds, LinearConstraint, milp

from collective.theory import adversary, discrete, exact_planting

# ---------------------------------------------------------------------------------------------
# Planting: mixed-integer programme over P'
# ---------------------------------------------------------------------------------------------


def _worst_planting_by_milp(
    P: np.ndarray, value: np.ndarray, y_star: int, eps: float, model: str
) -> float:
    """Least success ``sum_x value[x] [f(x) = y*]`` over ε-optimal ``f`` (Definition 3.1).

    Variables: the perturbed joint ``P'`` (TV: with ``u >= |P' - P|``, ``sum(u)/2 <= ε``;
    contamination: ``Q`` with ``P' = (1-ε)P + εQ``) and binaries ``z[x, r]``: the rival ``r``
    weakly beats ``y*`` at ``x`` under ``P'`` (``P'(x,y*) - P'(x,r) <= 1 - z[x,r]``; masses are
    at most 1, so 1 is a big-M). Maximise the value turned away, ``sum value[x] z[x, r]``,
    with at most one rival per point.
    """
    n, m = P.shape
    k = n * m
    rivals = [(x, r) for x in range(n) for r in range(m) if r != y_star]
    nz = len(rivals)
    if model == "tv":
        nv = 2 * k + nz  # P' (k), u (k), z (nz)
        cols = {"p": 0, "u": k, "z": 2 * k}
    else:
        nv = k + nz  # Q (k), z (nz)
        cols = {"q": 0, "z": k}
    rows, lo, hi = [], [], []

    def row():
        return np.zeros(nv)

    for j, (x, r) in enumerate(rivals):
        a = row()
        a[cols["z"] + j] = 1.0
        if model == "tv":
            a[cols["p"] + x * m + y_star] += 1.0
            a[cols["p"] + x * m + r] -= 1.0
            rows.append(a), lo.append(-np.inf), hi.append(1.0)
        else:  # (1-ε)(P(x,y*) - P(x,r)) + ε(Q(x,y*) - Q(x,r)) + z <= 1
            a[cols["q"] + x * m + y_star] += eps
            a[cols["q"] + x * m + r] -= eps
            (
                rows.append(a),
                lo.append(-np.inf),
                hi.append(1.0 - (1 - eps) * (P[x, y_star] - P[x, r])),
            )
    for x in range(n):  # one rival per point
        a = row()
        for j, (xx, _) in enumerate(rivals):
            if xx == x:
                a[cols["z"] + j] = 1.0
        rows.append(a), lo.append(-np.inf), hi.append(1.0)
    if model == "tv":
        for c in range(k):  # u >= P' - P and u >= P - P'
            a = row()
            a[cols["p"] + c], a[cols["u"] + c] = 1.0, -1.0
            rows.append(a), lo.append(-np.inf), hi.append(P.ravel()[c])
            a = row()
            a[cols["p"] + c], a[cols["u"] + c] = -1.0, -1.0
            rows.append(a), lo.append(-np.inf), hi.append(-P.ravel()[c])
        a = row()
        a[cols["u"] : cols["u"] + k] = 0.5
        rows.append(a), lo.append(-np.inf), hi.append(eps)
        a = row()
        a[cols["p"] : cols["p"] + k] = 1.0
        rows.append(a), lo.append(1.0), hi.append(1.0)
    else:
        a = row()
        a[cols["q"] : cols["q"] + k] = 1.0
        rows.append(a), lo.append(1.0), hi.append(1.0)
    c = np.zeros(nv)
    c[cols["z"] :] = -np.array([value[x] for x, _ in rivals])
    integrality = np.zeros(nv)
    integrality[cols["z"] :] = 1
    upper = np.full(nv, np.inf)
    upper[cols["z"] :] = 1.0
    res = milp(
        c,
        constraints=LinearConstraint(np.array(rows), lo, hi),
        integrality=integrality,
        bounds=Bounds(np.zeros(nv), upper),
        options={"mip_rel_gap": 0.0},
    )
    assert res.status == 0, res.message
    # value already lost at Bayes (ties/losses) is free for the MILP too: z=1 with P' = P
    return float(value.sum() + res.fun)


def _many_signal_points(rng, n: int, m: int):
    """A problem with ``n`` signal points (``g`` = identity), most of them live for ``y* = 0``."""
    P0 = rng.dirichlet(np.ones(n * m) * 0.8).reshape(n, m)
    P0[:, 0] += 0.02  # y* a little favoured so that the collective wins at most points
    P0 /= P0.sum()
    return P0, np.arange(n)


@pytest.mark.parametrize("model", ["tv", "contamination"])
def test_planting_adversary_beyond_twelve_signal_points_against_milp(model, monkeypatch):
    rng = np.random.default_rng(11)
    calls = []
    real = adversary.knapsack_max_value

    def spy(*args, **kwargs):
        calls.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(exact_planting, "knapsack_max_value", spy)
    hurt = 0
    for trial in range(6):
        n, m = (14, 2) if trial % 2 == 0 else (13, 3)
        P0, g = _many_signal_points(rng, n, m)
        alpha, eps = rng.uniform(0.3, 0.6), rng.uniform(0.01, 0.08)
        P = discrete.planting_mixture(P0, g, 0, alpha)
        value = P0.sum(1)  # g = identity: each point is its own preimage
        live = P[:, 0] - np.max(P[:, 1:], axis=1) > 1e-12
        assert live.sum() > 12, "the test must exercise the branch for more than 12 live points"
        engine = discrete.planting_success(P0, g, 0, alpha, eps=eps, perturbation=model)
        reference = _worst_planting_by_milp(P, value, 0, eps, model)
        assert engine == pytest.approx(reference, abs=1e-7)
        hurt += 0 < engine < discrete.planting_success(P0, g, 0, alpha) - 1e-9
    assert len(calls) == 6  # every instance went through the Pareto knapsack, not enumeration
    assert (
        hurt >= 4
    )  # the adversary changed the answer (without taking it all), so the comparison has teeth


def test_milp_reference_agrees_with_the_lp_brute_force_on_small_problems():
    # The reference of the test above, checked against the LP brute force of test_discrete.
    from test_discrete import _worst_success_by_lp

    rng = np.random.default_rng(12)
    for _ in range(6):
        P0 = rng.dirichlet(np.ones(12) * 0.7).reshape(4, 3)
        g = rng.choice([1, 2, 3], size=4)
        alpha, eps = rng.uniform(0.05, 0.8), rng.uniform(0.005, 0.15)
        P = discrete.planting_mixture(P0, g, 2, alpha)
        value = np.bincount(g, weights=P0.sum(1), minlength=4)
        for model in ("tv", "contamination"):
            assert _worst_planting_by_milp(P, value, 2, eps, model) == pytest.approx(
                _worst_success_by_lp(P, value, 2, eps, model), abs=1e-7
            )


def test_planting_adversary_builds_a_legal_perturbation_beyond_twelve_points():
    rng = np.random.default_rng(13)
    P0, g = _many_signal_points(rng, 15, 2)
    P = discrete.planting_mixture(P0, g, 0, 0.4)
    eps = 0.02
    f, P_prime, flipped = adversary.planting_adversary(P, P0.sum(1), 0, eps)
    assert 0.5 * np.abs(P_prime - P).sum() <= eps + 1e-12
    assert P_prime.min() >= -1e-15 and P_prime.sum() == pytest.approx(1.0)
    # f is a Bayes classifier of P' (ties may go either way) and loses y* where it flipped
    assert np.all(P_prime[np.arange(15), f] >= P_prime.max(1) - 1e-12)
    assert np.all(f[flipped] != 0)
    success = P0.sum(1) @ (f == 0)
    assert success == pytest.approx(discrete.planting_success(P0, g, 0, 0.4, eps=eps))


# ---------------------------------------------------------------------------------------------
# Erasure: brute force over labelings, a linear programme for each
# ---------------------------------------------------------------------------------------------


def _least_perturbation(P: np.ndarray, labels: np.ndarray, model: str, eps: float) -> bool:
    """Whether some ε-perturbation ``P'`` of ``P`` makes ``labels[x]`` weakly top at every x."""
    n, m = P.shape
    k = n * m
    A = []
    for x in range(n):  # P'(x, y) - P'(x, labels[x]) <= 0
        for y in range(m):
            if y != labels[x]:
                a = np.zeros(k)
                a[x * m + y], a[x * m + labels[x]] = 1.0, -1.0
                A.append(a)
    return perturbation_feasible(np.array(A), P, eps, model)


def _worst_erasure_by_lp(P0, g, alpha, eps, model, reading="point"):
    P = discrete.erasure_mixture(P0, g, alpha, reading)
    n, m = P.shape
    weight = P0.sum(1)
    worst = np.inf
    for labels in itertools.product(range(m), repeat=n):
        labels = np.array(labels)
        success = weight @ ((labels == labels[g]) | (g == np.arange(n)))
        if success < worst and _least_perturbation(P, labels, model, eps):
            worst = success
    return worst


@pytest.mark.parametrize("model", ["tv", "contamination"])
def test_erasure_adversary_two_labels_equals_lp_brute_force(model):
    # Two labels: the relaxed TV cost (half the gap per point) is exact, contamination always.
    rng = np.random.default_rng(21)
    hurt = 0
    for trial in range(10):
        P0 = rng.dirichlet(np.ones(8) * 0.6).reshape(4, 2)
        g = np.array([0, 0, 2, 2]) if trial % 2 else np.array([1, 1, 3, 3])
        alpha, eps = rng.uniform(0.1, 0.9), rng.uniform(0.01, 0.15)
        engine = discrete.erasure_success(P0, g, alpha, eps=eps, perturbation=model)
        reference = _worst_erasure_by_lp(P0, g, alpha, eps, model)
        assert engine == pytest.approx(reference, abs=1e-9)
        hurt += engine < discrete.erasure_success(P0, g, alpha) - 1e-9
    assert hurt >= 3


def test_erasure_adversary_three_labels_brackets_lp_brute_force():
    # Three labels under TV: relaxed (lower bound) <= true worst (LP) <= realizable (upper bound).
    rng = np.random.default_rng(22)
    strict = 0
    for _ in range(8):
        P0 = rng.dirichlet(np.ones(9) * 0.6).reshape(3, 3)
        g = np.array([0, 0, 2])
        alpha, eps = rng.uniform(0.1, 0.9), rng.uniform(0.01, 0.15)
        lo = discrete.erasure_success(P0, g, alpha, eps=eps)
        hi = discrete.erasure_success(P0, g, alpha, eps=eps, realizable=True)
        true = _worst_erasure_by_lp(P0, g, alpha, eps, "tv")
        assert lo <= true + 1e-9 <= hi + 2e-9
        strict += lo < hi - 1e-9
        # contamination is exact with any number of labels
        assert discrete.erasure_success(
            P0, g, alpha, eps=eps, perturbation="contamination"
        ) == pytest.approx(_worst_erasure_by_lp(P0, g, alpha, eps, "contamination"), abs=1e-9)


# ---------------------------------------------------------------------------------------------
# planting_adversary's outputs and inputs
# ---------------------------------------------------------------------------------------------


def test_planting_adversary_moves_half_the_margin_even_for_an_integer_distribution():
    # All mass at (x=0, y*=1): the adversary must move 1/2 to the runner-up to tie, which
    # costs TV 1/2 <= eps. The distribution arrives as integers and P' must still hold halves.
    f, P_prime, flipped = adversary.planting_adversary([[0, 1], [0, 0]], [1, 0], 1, 0.6)
    np.testing.assert_array_equal(P_prime, [[0.5, 0.5], [0.0, 0.0]])
    assert f.tolist() == [0, 0] and flipped.tolist() == [True, False]
    # under the budget it keeps y*
    f, P_prime, flipped = adversary.planting_adversary([[0, 1], [0, 0]], [1, 0], 1, 0.4)
    np.testing.assert_array_equal(P_prime, [[0, 1], [0, 0]])
    assert f.tolist() == [1, 0] and not flipped.any()


def test_planting_adversary_under_contamination_has_no_explicit_distribution():
    P = np.array([[0.1, 0.5], [0.3, 0.1]])
    f, P_prime, flipped = adversary.planting_adversary(P, [1.0, 0.0], 1, 0.1, "contamination")
    assert P_prime is None
    # budget eps/(1-eps) = 1/9 of gap < margin 0.4: y* survives at x = 0; x = 1 is lost anyway
    assert f.tolist() == [1, 0] and not flipped.any()
    f, P_prime, flipped = adversary.planting_adversary(P, [1.0, 0.0], 1, 0.3, "contamination")
    assert P_prime is None and f.tolist() == [0, 0] and flipped.tolist() == [True, False]


def test_planting_adversary_rejects_an_unknown_perturbation():
    with pytest.raises(
        ValueError, match=r"unknown perturbation 'huber'; choose one of: tv, contamination"
    ):
        adversary.planting_adversary(np.eye(2) / 2, [1.0, 0.0], 1, 0.1, "huber")


# ---------------------------------------------------------------------------------------------
# The exact knapsack on hand-solved instances (the random comparison in test_discrete never
# has free items, exact-budget items or frontier ties)
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("values", "costs", "budget", "best", "chosen"),
    [
        # a cheap partial set of the same value as an expensive one must stay on the frontier:
        # B + D = 6 fits (0.6), A + D does not
        ([1, 1, 5], [0.5, 0.1, 0.5], 0.6, 6, [False, True, True]),
        # free items (cost 0) count once, whatever the budget
        ([1, 2], [0.0, 0.5], 1.0, 3, [True, True]),
        ([1, 2], [0.0, 0.5], 0.4, 1, [True, False]),
        # an item costing exactly the budget is affordable (ties go to the adversary)
        ([1], [0.5], 0.5, 1, [True]),
        # and so is one within TIE_TOL above it (the solvers compare with budget + TIE_TOL)
        ([1], [0.5 + adversary.TIE_TOL], 0.5, 1, [True]),
        ([2, 2], [0.25, 0.25 + adversary.TIE_TOL], 0.5, 4, [True, True]),
        ([3, 2, 2], [2, 1, 1], 2, 4, [False, True, True]),
        # nothing affordable
        ([1, 1], [0.7, 0.8], 0.5, 0, [False, False]),
    ],
)
def test_knapsack_by_hand(values, costs, budget, best, chosen):
    value, mask = adversary.knapsack_max_value(values, costs, budget)
    assert value == pytest.approx(best)
    assert mask.tolist() == chosen
    batch = adversary.knapsack_max_value_batch(
        np.array([values], float), np.array([costs], float), np.array([budget])
    )
    assert batch[0] == pytest.approx(best)


def test_knapsack_batch_refuses_too_many_items():
    with pytest.raises(ValueError, match="subset enumeration needs at most 16 items, got 17"):
        adversary.knapsack_max_value_batch(np.ones((1, 17)), np.ones((1, 17)), np.ones(1))


def test_knapsack_near_zero_costs_are_free_in_both_solvers():
    # margins within TIE_TOL are ties, which the adversary wins for free: three of them fit a
    # zero budget together although their costs add up to more than TIE_TOL
    tol = adversary.TIE_TOL
    values, costs = [1.0, 1.0, 1.0, 4.0], [tol, tol, tol / 2, 0.5]
    assert adversary.knapsack_max_value(values, costs, 0.0)[0] == 3.0
    batch = adversary.knapsack_max_value_batch(
        np.array([values]), np.array([costs]), np.array([0.0])
    )
    assert batch[0] == 3.0


def test_knapsack_batch_takes_sixteen_items():
    rng = np.random.default_rng(14)
    values, costs = rng.random((2, 16)), rng.random((2, 16))
    batch = adversary.knapsack_max_value_batch(values, costs, np.array([1.0, 2.0]))
    single = [
        adversary.knapsack_max_value(v, c, b)[0] for v, c, b in zip(values, costs, [1.0, 2.0])
    ]
    np.testing.assert_allclose(batch, single)


def test_planting_adversary_spends_nothing_on_a_margin_of_tie_tol():
    # the knapsack takes a point whose margin is at most TIE_TOL for free, so the adversary
    # turns it away without counting it as flipped or moving mass there
    tol = adversary.TIE_TOL
    P = np.array([[tol, 0.0], [0.6, 0.4 - tol]])
    f, P_prime, flipped = adversary.planting_adversary(P, np.array([1.0, 1.0]), 0, eps=0.0)
    assert f.tolist() == [1, 0] and flipped.tolist() == [False, False]
    assert np.array_equal(P_prime, P)


def test_point_costs_by_hand_with_integer_masses():
    # relaxed: the gap to the best other label; balanced: raise y and cut the others to a
    # common level. Integer input must not break the -inf masking.
    P = [[0, 4, 2], [3, 0, 0], [1, 1, 1]]
    y = [0, 0, 2]
    np.testing.assert_allclose(adversary.relaxed_cost(P, y), [4, 0, 0])
    # point 0: lift label 0 to L and cut 4 to L (2 stays below): L - 0 = 4 - L -> L = 2
    np.testing.assert_allclose(adversary.balanced_cost(P, y), [2, 0, 0], atol=1e-12)
    # with two labels above: (0, 4, 4) -> L - 0 = 2 (4 - L) -> L = 8/3
    np.testing.assert_allclose(adversary.balanced_cost([[0, 4, 4]], [0]), [8 / 3], atol=1e-12)
