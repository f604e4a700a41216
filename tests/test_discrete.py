"""The exact engine of Section 3 (collective.theory.discrete, collective.theory.adversary) on hand-solvable problems."""

import itertools

import numpy as np
import pytest
from _lp import perturbation_feasible

from collective.theory import (
    PERTURBATIONS,
    adversary,
    discrete,
    erasure_bound,
    feature_label_bound,
    feature_only_bound,
)

# Feature-label, Theorem 3.3: two signal points 2 and 3, each the image of half the mass.
P0_TWO = np.array([[0.3, 0.0], [0.2, 0.0], [0.1, 0.1], [0.25, 0.05]])
G_TWO = np.array([2, 2, 3, 3])


@pytest.mark.parametrize(
    ("alpha", "expected"),
    [(0.1, 0.5), (2 / 7, 0.5), (0.2858, 1.0), (0.9, 1.0), (1.0, 1.0)],
)
def test_feature_label_success_by_hand(alpha, expected):
    # Point 2: margin 0.5α > 0 always. Point 3: 0.5α + 0.05(1-α) vs 0.25(1-α): wins iff α > 2/7;
    # at α = 2/7 the labels tie and the tie goes against the collective.
    assert discrete.planting_success(P0_TWO, G_TWO, 1, alpha) == pytest.approx(expected)


def test_problem_parameters_by_hand():
    assert discrete.xi_of(P0_TWO, G_TWO) == pytest.approx(0.5)
    # Δ_2 = 0.5 - 0.5 = 0, Δ_3 = 0.25/0.3 - 0.05/0.3 = 2/3.
    assert discrete.delta_of(P0_TWO, G_TWO, 1) == pytest.approx(2 / 3)
    assert discrete.p_of(P0_TWO, 1) == pytest.approx(0.0)
    assert discrete.p_of(P0_TWO, 0) == pytest.approx(0.5)
    assert discrete.signal_set(G_TWO).tolist() == [2, 3]
    # Theorem 3.3 holds here at every alpha (exact S vs bound).
    for alpha in np.linspace(0.01, 1, 50):
        S = discrete.planting_success(P0_TWO, G_TWO, 1, alpha)
        assert S >= feature_label_bound(alpha, 0.5, 2 / 3) - 1e-12


@pytest.mark.parametrize(("alpha", "expected"), [(0.2, 0.0), (0.25, 0.0), (0.26, 1.0), (1.0, 1.0)])
def test_feature_only_success_by_hand(alpha, expected):
    # Theorem 3.5: P(1, y*) = 0.05 + 0.4α against P(1, 0) = 0.15: wins iff α > 1/4.
    P0 = np.array([[0.4, 0.4], [0.15, 0.05]])
    g = np.array([1, 1])
    assert discrete.planting_success(P0, g, 1, alpha, "feature-only") == pytest.approx(expected)
    assert discrete.p_of(P0, 1) == pytest.approx(0.25)
    assert discrete.xi_of(P0, g) == pytest.approx(0.2)
    assert expected >= feature_only_bound(alpha, 0.2, 0.25) - 1e-12


def test_feature_only_mixture_moves_only_target_label():
    P0 = np.array([[0.4, 0.4], [0.15, 0.05]])
    P = discrete.planting_mixture(P0, [1, 1], 1, 0.5, "feature-only")
    # Label-0 mass never moves; label-1 mass of point 0 half moves to point 1.
    np.testing.assert_allclose(P, [[0.4, 0.2], [0.15, 0.05 * 0.5 + 0.45 * 0.5]])
    assert P.sum() == pytest.approx(1.0)


W = 0.1
P0_ERASE = np.array([[0.0, W], [1 - W, 0.0]])  # point 0 = g(0) = g(1) carries label 1 only
G_ERASE = np.array([0, 0])


@pytest.mark.parametrize(("alpha", "expected"), [(0.3, W), (0.5, W), (0.6, 1.0)])
def test_erasure_success_point_reading_by_hand(alpha, expected):
    # Collective labels everything 1 (the label at the point g(x) = 0). Point 1 flips to 1 iff
    # α(1-w) > (1-α)(1-w), i.e. α > 1/2.
    assert discrete.erasure_success(P0_ERASE, G_ERASE, alpha) == pytest.approx(expected)
    assert discrete.tau_of(P0_ERASE, G_ERASE) == pytest.approx(1 - W)
    assert expected >= erasure_bound(alpha, 1 - W) - 1e-12


def test_erasure_mixture_by_hand():
    # Point reading: everybody's label becomes 1 (the label at g(x) = 0); members keep x.
    P = discrete.erasure_mixture(P0_ERASE, G_ERASE, 0.5)
    np.testing.assert_allclose(P, [[0.0, W], [(1 - W) / 2, (1 - W) / 2]])
    # Summary reading: the pooled majority label 0 for everybody.
    P = discrete.erasure_mixture(P0_ERASE, G_ERASE, 0.5, reading="summary")
    np.testing.assert_allclose(P, [[W / 2, W / 2], [1 - W, 0.0]])


def test_erasure_summary_reading_violates_theorem_3_7():
    # Summary reading: the collective labels everything 0 (the majority of the fibre) and
    # τ = 2w(1-w) is small, yet point 0 keeps label 1 until α > 1/2, and only x = 0 agrees.
    assert discrete.erasure_labels(P0_ERASE, G_ERASE, "summary").tolist() == [0, 0]
    tau = discrete.tau_of(P0_ERASE, G_ERASE, "summary")
    assert tau == pytest.approx(2 * W * (1 - W))
    S = discrete.erasure_success(P0_ERASE, G_ERASE, 0.45, reading="summary")
    assert S == pytest.approx(W)
    assert erasure_bound(0.45, tau) == pytest.approx(1 - 2 * 0.55 / 0.45 * 0.18)
    assert erasure_bound(0.45, tau) > S + 0.4


def test_erasure_non_idempotent_g_violates_theorem_3_7():
    # g(c) = b, g(b) = a, g(a) = a: f(g(c)) = f(b) follows the label of a, not of b.
    P0 = np.array([[0.0, W], [W, 0.0], [1 - 2 * W, 0.0]])
    g = np.array([0, 0, 1])
    assert not discrete.is_idempotent(g)
    assert discrete.tau_of(P0, g) == pytest.approx(W)
    S = discrete.erasure_success(P0, g, 0.6)
    assert S == pytest.approx(2 * W)
    assert erasure_bound(0.6, W) == pytest.approx(1 - 2 * 0.4 / 0.6 * W)
    assert erasure_bound(0.6, W) > S + 0.5


def test_paper_eps_term_fails_against_tv_adversary():
    # ξ = 0.001, Δ = 0: Theorem 3.3 promises 1 - ε/(1-ε) = 0.889 at ε = 0.1 for every α.
    # With α = 0.1 the margin of y* at the signal point is about 0.1; moving half of it
    # (TV 0.05) ties the labels, so the worst ε-optimal classifier never predicts y*.
    P0 = np.array([[0.999, 0.0], [0.0, 0.001]])
    g = np.array([1, 1])
    assert discrete.delta_of(P0, g, 1) == 0.0
    bound = feature_label_bound(0.1, discrete.xi_of(P0, g), 0.0, 0.1)
    assert bound == pytest.approx(1 - 1 / 9)
    assert discrete.planting_success(P0, g, 1, 0.1, eps=0.1) == 0.0
    assert discrete.planting_success(P0, g, 1, 0.1, eps=0.1, perturbation="contamination") == 0.0
    # The classifier and its distribution P' are explicit and legal.
    P = discrete.planting_mixture(P0, g, 1, 0.1)
    f, P_prime, flipped = adversary.planting_adversary(P, [0, 1.0], 1, 0.1)
    assert 0.5 * np.abs(P_prime - P).sum() <= 0.1
    assert P_prime.min() >= 0 and P_prime.sum() == pytest.approx(1.0)
    assert f[1] == 0 and flipped[1]
    assert P_prime[1, 0] >= P_prime[1, 1] - 1e-15  # label 0 (weakly) wins at the signal point
    # A larger collective survives the same adversary.
    assert discrete.planting_success(P0, g, 1, 0.3, eps=0.1) == 1.0


def test_eps_zero_equals_bayes_and_eps_monotone():
    rng = np.random.default_rng(1)
    for _ in range(30):
        P0 = rng.dirichlet(np.ones(10)).reshape(5, 2)
        g = rng.integers(0, 5, 5)
        S = [discrete.planting_success(P0, g, 1, 0.3, eps=e) for e in (0.0, 0.01, 0.05, 0.2)]
        assert all(a >= b - 1e-12 for a, b in zip(S, S[1:]))
        # ε = 0 is the Bayes-optimal classifier of P = 0.3 P* + 0.7 P0, built here by hand
        P = 0.7 * P0
        np.add.at(P[:, 1], g, 0.3 * P0.sum(1))  # every member reports (g(x), y* = 1)
        assert S[0] == pytest.approx(P0.sum(1) @ (P[g, 1] > P[g, 0]))


def test_knapsack_dp_matches_enumeration():
    rng = np.random.default_rng(2)
    values = rng.random((200, 7)) * (rng.random((200, 7)) < 0.8)
    costs = rng.random((200, 7)) * 0.3
    budget = rng.random(200) * 0.6
    batch = adversary.knapsack_max_value_batch(values, costs, budget)
    single = [adversary.knapsack_max_value(v, c, b)[0] for v, c, b in zip(values, costs, budget)]
    np.testing.assert_allclose(batch, single)
    # by hand: items (value, cost) (3, 2), (2, 1), (2, 1); budget 2 -> 4 (two cheap ones)
    assert adversary.knapsack_max_value([3, 2, 2], [2, 1, 1], 2)[0] == 4


def _worst_success_by_lp(P, value, y_star, eps, model):
    """Worst success over ε-optimal classifiers, independently of collective.theory.adversary.

    For every set F of signal points and every choice of a rival label at each, a linear
    programme decides whether some P' (TV ball, or contamination (1-ε)P + εQ) makes the
    rivals weakly beat y* on all of F; the worst success is the least value left outside F.
    """
    n, m = P.shape
    signal = [x for x in range(n) if value[x] > 0]
    k = n * m
    best = value.sum()
    for r in range(len(signal) + 1):
        for F in itertools.combinations(signal, r):
            for rivals in itertools.product(*[[y for y in range(m) if y != y_star]] * len(F)):
                # rival beats y* at each x in F: P'(x, y*) - P'(x, rival) <= 0
                A = np.zeros((len(F), k))
                for i, (x, y) in enumerate(zip(F, rivals)):
                    A[i, x * m + y_star], A[i, x * m + y] = 1.0, -1.0
                if perturbation_feasible(A, P, eps, model):
                    best = min(best, value.sum() - value[list(F)].sum())
                    break
    return best


@pytest.mark.parametrize("strategy", discrete.STRATEGIES)
def test_planting_adversary_is_the_exact_worst_case_by_linear_programming(strategy):
    # Definition 3.1: the engine's worst ε-optimal classifier (half the margin per point,
    # knapsack) equals a brute force over flip sets with a linear programme for each.
    rng = np.random.default_rng(3)
    hurt = 0
    for _ in range(12):
        P0 = rng.dirichlet(np.ones(12) * 0.7).reshape(4, 3)
        g = rng.choice([1, 2, 3], size=4)
        alpha, eps = rng.uniform(0.05, 0.8), rng.uniform(0.005, 0.15)
        P = discrete.planting_mixture(P0, g, 2, alpha, strategy)
        value = np.bincount(g, weights=P0.sum(1), minlength=4)
        bayes = discrete.planting_success(P0, g, 2, alpha, strategy)
        for model in PERTURBATIONS:
            engine = discrete.planting_success(
                P0, g, 2, alpha, strategy, eps=eps, perturbation=model
            )
            assert engine == pytest.approx(_worst_success_by_lp(P, value, 2, eps, model), abs=1e-9)
            hurt += engine < bayes - 1e-9
    assert hurt >= 8  # the adversary matters on many of the 24 cases, so the comparison has teeth


def test_erasure_eps_zero_fast_path_matches_enumeration():
    rng = np.random.default_rng(4)
    for _ in range(40):
        P0 = rng.dirichlet(np.ones(8) * 0.5).reshape(4, 2)
        g = np.array([0, 0, 2, 2])
        alpha = rng.uniform(0.01, 1)
        fast = discrete.erasure_success(P0, g, alpha)
        # a batch with one ε > 0 takes the enumeration path for both members
        both = discrete.erasure_success_batch(
            np.stack([P0, P0]), np.stack([g, g]), alpha, np.array([0.0, 0.1])
        )
        assert both[0] == pytest.approx(fast)
        assert both[1] <= fast + 1e-12


def test_balanced_cost_between_half_gap_and_gap_and_realizes_flip():
    rng = np.random.default_rng(5)
    P = rng.dirichlet(np.ones(4), size=300) * 0.5
    y = rng.integers(0, 4, 300)
    gap = adversary.relaxed_cost(P, y)
    t = adversary.balanced_cost(P, y)
    assert np.all(t >= gap / 2 - 1e-12) and np.all(t <= gap + 1e-12)
    # Apply the move: y raised by t, the others above the new level cut to it.
    level = P[np.arange(300), y] + t
    after = np.minimum(P, level[:, None])
    after[np.arange(300), y] = level
    np.testing.assert_allclose(after.sum(1), P.sum(1), atol=1e-9)  # balanced
    assert np.all(after.max(1) <= level + 1e-9)  # y weakly on top


def test_erasure_realizable_not_below_relaxed():
    rng = np.random.default_rng(6)
    for _ in range(20):
        P0 = rng.dirichlet(np.ones(12)).reshape(4, 3)
        g = np.array([0, 0, 0, 3])
        lo = discrete.erasure_success(P0, g, 0.4, eps=0.05)
        hi = discrete.erasure_success(P0, g, 0.4, eps=0.05, realizable=True)
        assert lo <= hi + 1e-12


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        (dict(P0=np.ones(4) / 4), "shape"),
        (dict(P0=np.ones((4, 1)) / 4), "two labels"),
        (dict(P0=np.ones((2, 2))), "sum to 1"),
        (dict(P0=np.array([[0.5, 0.6], [0.0, -0.1]])), "non-negative"),
        (dict(g=[0, 5, 0, 0]), "range"),
        (dict(g=[0, 1]), "one entry per feature"),
        (dict(y_star=2), "y_star"),
        (dict(alpha=0.0), "alpha"),
        (dict(alpha=1.5), "alpha"),
        (dict(eps=1.0), "eps"),
        (dict(strategy="feature"), "strategy"),
        (dict(perturbation="huber"), "perturbation"),
    ],
)
def test_planting_bad_arguments(kwargs, message):
    args = dict(P0=np.ones((4, 2)) / 8, g=[0, 0, 1, 1], y_star=1, alpha=0.5)
    args.update(kwargs)
    with pytest.raises(ValueError, match=message):
        discrete.planting_success(**args)


def test_erasure_bad_arguments():
    with pytest.raises(ValueError, match="reading"):
        discrete.erasure_success(P0_ERASE, G_ERASE, 0.5, reading="fibre")
    P0 = np.array([[0.0, 0.0], [0.5, 0.5]])
    with pytest.raises(ValueError, match="P0\\(g\\(x\\)\\) > 0"):
        discrete.erasure_success(P0, [0, 0], 0.5)
    # the summary reading is defined there
    assert discrete.erasure_success(P0, [0, 0], 0.5, reading="summary") == pytest.approx(0.0)
    with pytest.raises(ValueError, match="labelings"):
        discrete.erasure_success(np.ones((20, 2)) / 40, np.zeros(20, int), 0.5, eps=0.1)


def test_claims_b2_b3_b4_pointwise_on_random_problems():
    # Claim B.2 (feature-label): y* wins at x when alpha > (1-alpha) Delta_x P0(x) / P*(x).
    # Claim B.3 (feature-only): y* wins at x* when alpha > (1-p)/p P0(x*) / P0(g^{-1}(x*)).
    # Claim B.4 (erasure, point reading, idempotent g): f(x) = f(g(x)) when alpha > (1-alpha) 2 tau(x).
    from collective.theory import checks, exact_erasure, exact_planting, finite_problem

    rng = np.random.default_rng(7)
    checked = {"B.2": 0, "B.3": 0, "B.4": 0}
    for strategy, claim in (("feature-label", "B.2"), ("feature-only", "B.3")):
        for P0, g, y_star, alpha, _ in checks.random_planting_instances(3000, rng, strategy):
            P = exact_planting._planting_joint_batch(P0, g, y_star, alpha, strategy)
            margin = exact_planting._target_margin(P, y_star)
            mass = P0.sum(-1)
            pre = finite_problem._preimage_mass(P0, g)
            cond = finite_problem._conditional(P0)
            target = np.take_along_axis(cond, y_star[:, None, None], axis=-1)[..., 0]
            a = alpha[:, None]
            if claim == "B.2":
                delta_x = cond.max(-1) - target
                condition = a * pre > (1 - a) * delta_x * mass
            else:
                p = discrete.p_batch(P0, y_star)[:, None]
                condition = (p > 0) & (a * p * pre > (1 - p) * mass)
            condition &= pre > 0
            assert np.all(margin[condition] > 0)
            checked[claim] += int(condition.sum())
    for P0, g, alpha, _ in checks.random_erasure_instances(3000, rng):
        P, _ = exact_erasure._erasure_joint_batch(P0, g, alpha, "point")
        cond = finite_problem._conditional(P0)
        tau_x = np.abs(cond - np.take_along_axis(cond, g[..., None], axis=1)).max(-1)
        condition = alpha[:, None] > (1 - alpha[:, None]) * 2 * tau_x
        label = np.argmax(P, -1)
        unique = (P >= P.max(-1, keepdims=True) - 1e-12).sum(-1) == 1
        agree = (
            unique & np.take_along_axis(unique, g, 1) & (label == np.take_along_axis(label, g, 1))
        )
        agree |= g == np.arange(g.shape[1])
        assert np.all(agree[condition])
        checked["B.4"] += int(condition.sum())
    assert min(checked.values()) > 1000


@pytest.mark.parametrize(
    ("g", "expected"),
    [
        ([0, 0, 2, 2], True),
        ([0.0, 0.0, 2.0, 3.0], True),
        ([0, 1, 2, 3], True),
        ([3, 3, 3, 3], True),
        ([0, 0, 1, 1], False),
        ([1, 0, 2, 3], False),
        ([1, 2, 3, 3], False),
    ],
)
def test_is_idempotent_by_hand(g, expected):
    # g(g(x)) = g(x) checked entry by entry: e.g. [0, 0, 1, 1] sends 2 -> 1 -> 0
    assert discrete.is_idempotent(g) is expected


def test_erasure_labels_point_reading_by_hand():
    # every point's label is the top label at the point g(x) = 0: label 1
    assert discrete.erasure_labels(P0_ERASE, G_ERASE).tolist() == [1, 1]
    assert discrete.erasure_labels(P0_ERASE, G_ERASE, "point").tolist() == [1, 1]
    # three labels, two fibres: labels follow the image point's argmax
    P0 = np.array([[0.1, 0.0, 0.2], [0.05, 0.05, 0.0], [0.0, 0.3, 0.1], [0.2, 0.0, 0.0]])
    assert discrete.erasure_labels(P0, [0, 0, 2, 2]).tolist() == [2, 2, 1, 1]
    # summary reading pools the fibre {0, 1}: (0.15, 0.05, 0.2) -> 2; fibre {2, 3}: (0.2, 0.3, 0.1) -> 1
    assert discrete.erasure_labels(P0, [0, 0, 2, 2], "summary").tolist() == [2, 2, 1, 1]
    P0[1] = [0.3, 0.0, 0.0]  # now the pooled fibre {0, 1} has label 0, the point 0 still 2
    P0 /= P0.sum()
    assert discrete.erasure_labels(P0, [0, 0, 2, 2], "summary").tolist()[:2] == [0, 0]
    assert discrete.erasure_labels(P0, [0, 0, 2, 2], "point").tolist()[:2] == [2, 2]


POINT_WITHOUT_MASS = (np.array([[0.0, 0.0], [0.5, 0.5]]), [0, 0])


@pytest.mark.parametrize(
    "call",
    [
        lambda P0, g: discrete.erasure_labels(P0, g),
        lambda P0, g: discrete.erasure_mixture(P0, g, 0.5),
        lambda P0, g: discrete.tau_of(P0, g),
        lambda P0, g: discrete.erasure_success(P0, g, 0.5),
    ],
)
def test_point_reading_needs_mass_at_the_image(call):
    with pytest.raises(ValueError, match=r"g maps points \[1\] to rows without mass"):
        call(*POINT_WITHOUT_MASS)


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (
            lambda: discrete.erasure_labels(P0_ERASE, G_ERASE, "fibre"),
            "unknown reading 'fibre'; choose one of: point, summary",
        ),
        (
            lambda: discrete.erasure_mixture(P0_ERASE, G_ERASE, 0.5, "fibre"),
            "unknown reading 'fibre'; choose one of: point, summary",
        ),
        (
            lambda: discrete.tau_of(P0_ERASE, G_ERASE, "fibre"),
            "unknown reading 'fibre'; choose one of: point, summary",
        ),
        (
            lambda: discrete.erasure_success(P0_ERASE, G_ERASE, 0.5, reading="fibre"),
            "unknown reading 'fibre'; choose one of: point, summary",
        ),
        (
            lambda: discrete.erasure_success(P0_ERASE, G_ERASE, 0.5, perturbation="huber"),
            "unknown perturbation 'huber'; choose one of: tv, contamination",
        ),
        (
            lambda: discrete.planting_mixture(P0_TWO, G_TWO, 1, 0.5, "feature"),
            "unknown strategy 'feature'; choose one of: feature-label, feature-only",
        ),
        (
            lambda: discrete.planting_success(P0_TWO, G_TWO, 1, 0.5, "feature"),
            "unknown strategy 'feature'; choose one of: feature-label, feature-only",
        ),
        (
            lambda: discrete.planting_success(P0_TWO, G_TWO, 1, 0.5, perturbation="huber"),
            "unknown perturbation 'huber'; choose one of: tv, contamination",
        ),
        (
            lambda: discrete.planting_success_batch(P0_TWO[None], G_TWO[None], 1, 0.5, "feature"),
            "unknown strategy 'feature'",
        ),
        (
            lambda: discrete.planting_success_batch(
                P0_TWO[None], G_TWO[None], 1, 0.5, perturbation="huber"
            ),
            "unknown perturbation 'huber'",
        ),
        (
            lambda: discrete.erasure_success_batch(
                P0_ERASE[None], G_ERASE[None], 0.5, reading="fibre"
            ),
            "unknown reading 'fibre'",
        ),
        (
            lambda: discrete.erasure_success_batch(
                P0_ERASE[None], G_ERASE[None], 0.5, perturbation="huber"
            ),
            "unknown perturbation 'huber'",
        ),
        (lambda: discrete.erasure_mixture(P0_ERASE, G_ERASE, 0.0), "alpha"),
        (lambda: discrete.planting_mixture(P0_TWO, G_TWO, 1, 1.5), "alpha"),
        (lambda: discrete.erasure_success(P0_ERASE, G_ERASE, 0.5, eps=1.0), "eps"),
        (
            lambda: discrete.delta_of(P0_TWO, G_TWO, 2),
            r"y_star must be a label index in range\(2\), got 2",
        ),
        (lambda: discrete.p_of(P0_TWO, -1), r"y_star must be a label index in range\(2\), got -1"),
        (
            lambda: discrete.xi_of(P0_TWO, [2, 2, 3]),
            r"g must have one entry per feature value, shape \(4,\), got \(3,\)",
        ),
        (lambda: discrete.rho_of(P0_TWO, [0.5, 0, 0, 0]), "g must hold integer row indices"),
        (lambda: discrete.xi_of(P0_TWO * 2, G_TWO), "it sums to 2"),
    ],
)
def test_bad_arguments_name_what_is_wrong(call, message):
    with pytest.raises(ValueError, match=message):
        call()


# ---------------------------------------------------------------------------------------------
# Survivors of the mutation run of the exact engine (finite_problem, problem_parameters,
# exact_planting, exact_erasure; 2026-11-24), each checked against a hand-solved problem or a
# linear programme, never against the engine itself.
# ---------------------------------------------------------------------------------------------


def test_conditional_of_a_point_without_mass_is_zero():
    # P(y|x) by hand: rows 0 and 2 are (0.25, 0.75), rows 1 and 3 carry no mass and stay zero.
    # The freed NaN block is what an output array allocated without initial values would reuse.
    from collective.theory import finite_problem

    P = np.zeros((4, 2))
    P[[0, 2]] = [0.1, 0.3]
    for _ in range(3):
        junk = np.full(P.shape, np.nan)
        del junk
        np.testing.assert_allclose(
            finite_problem._conditional(P), [[0.25, 0.75], [0, 0], [0.25, 0.75], [0, 0]], atol=0
        )
    # τ on a problem with a massless point (mass 0 there, so it contributes nothing):
    # point 2 carries (0.25, 0.25), point 0 (0.5, 0); g = [0, 0, 0]: τ = 0.5 * |0.5 - 1| = 0.25
    P0 = np.array([[0.5, 0.0], [0.0, 0.0], [0.25, 0.25]])
    assert discrete.tau_of(P0, [0, 0, 0]) == pytest.approx(0.25)


def test_point_reading_error_message_in_full():
    P0, g = POINT_WITHOUT_MASS
    message = (
        "under reading='point' the collective's label argmax_y P0(y | g(x)) needs P0(g(x)) > 0, "
        "but g maps points [1] to rows without mass; use reading='summary' or give those rows mass"
    )
    with pytest.raises(ValueError) as info:
        discrete.erasure_labels(P0, g)
    assert str(info.value) == message


def test_signal_set_is_integer_row_indices():
    # g given as integer-valued floats: X* = {2, 3} as indices into the rows of P0
    X_star = discrete.signal_set([2.0, 2.0, 3.0, 3.0])
    assert X_star.dtype.kind == "i"
    np.testing.assert_array_equal(P0_TWO[X_star], P0_TWO[[2, 3]])


def test_p_ignores_points_without_mass():
    # p = min over points WITH mass of P0(y*|x): the empty row 0 is left out
    P0 = np.array([[0.0, 0.0, 0.0], [0.1, 0.3, 0.0], [0.3, 0.1, 0.2]])
    assert discrete.p_of(P0, 1) == pytest.approx(1 / 6)  # min(0.3/0.4, 0.1/0.6)
    assert discrete.p_of(P0, 0) == pytest.approx(0.25)  # min(0.1/0.4, 0.3/0.6)
    assert discrete.p_of(P0, 2) == pytest.approx(0.0)
    # and Δ: the image point 0 has no mass, Δ is taken over point 1 only (0.75 - 0.25)
    assert discrete.delta_of(P0, [0, 1, 1], 0) == pytest.approx(0.5)


@pytest.mark.parametrize(
    ("P0", "g", "expected"),
    [
        # masses 0.5, 0.1, 0.4; image {0, 2}: 0.6 / 0.5 and 0.4 / 0.4; point 1 is not an image
        (np.array([[0.25, 0.25], [0.05, 0.05], [0.2, 0.2]]), [0, 0, 2], 1.2),
        (np.array([[0.25, 0.25], [0.05, 0.05], [0.2, 0.2]]), [0, 1, 2], 1.0),
        # image {2, 3}: 0.5 / 0.2 and 0.5 / 0.3
        (P0_TWO, G_TWO, 2.5),
        # the image point 0 carries no mass but its fibre {0, 1} does: the ratio is infinite
        (np.array([[0.0, 0.0], [0.5, 0.5]]), [0, 0], np.inf),
        # an image point without mass whose fibre has no mass either does not count
        (np.array([[0.0, 0.0], [0.0, 0.0], [0.5, 0.5]]), [0, 0, 2], 1.0),
    ],
)
def test_rho_by_hand(P0, g, expected):
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no division by a zero mass along the way
        assert discrete.rho_of(P0, g) == pytest.approx(expected)


def test_erasure_eps_zero_needs_no_enumeration():
    # 2^20 labelings would be too many for the ε-adversary, but ε = 0 needs none: every point
    # has (1/40, 1/40) and the collective's label 0 (lowest index), so label 0 wins everywhere
    P0 = np.ones((20, 2)) / 40
    assert discrete.erasure_success(P0, np.zeros(20, int), 0.5) == pytest.approx(1.0)
    assert discrete.erasure_success(P0, np.zeros(20, int), 0.5, eps=0.0) == pytest.approx(1.0)


# Three labels, g = (2, 2, 2), alpha = 0.1. The collective labels everything 0 (the top label
# at the point 2), so the mixture P = 0.1 P* + 0.9 P0 is
#   point 0: (0.3, 0, 0)      point 1: (0.03, 0.27, 0)      point 2: (0.1912, 0.1368, 0.072).
# Bayes: f = (0, 1, 0), S = P0(2) + P0(0) = 0.7. The adversary can only afford changes at the
# point 2 (points 0 and 1 cost >= 0.12 TV): label 1 there (S = 0.7 again) or label 2 (f(2)
# disagrees with both, S = 0.4). Costs of label 2 at the point 2, by hand:
#   relaxed TV: half the gap, (0.1912 - 0.072) / 2 = 0.0596;
#   realizable TV: raise label 2 to L and cut labels 0 and 1 to L with equal mass:
#     (0.1912 - L) + (0.1368 - L) = L - 0.072  ->  L = 0.4 / 3, cost L - 0.072 = 0.061333;
#   contamination: the whole gap 0.1192 against ε / (1 - ε)  ->  ε >= 0.1192 / 1.1192 = 0.10651.
P0_ERASE3 = np.array([[0.3, 0.0, 0.0], [0.0, 0.3, 0.0], [0.168, 0.152, 0.08]])
G_ERASE3 = np.array([2, 2, 2])


@pytest.mark.parametrize(
    ("eps", "perturbation", "realizable", "expected"),
    [
        (0.0, "tv", False, 0.7),
        (0.031, "tv", False, 0.7),  # 2ε = 0.062 covers the realizable cost, not the gap 0.1192
        (0.0595, "tv", False, 0.7),
        (0.0597, "tv", False, 0.4),
        (0.0597, "tv", True, 0.7),
        (0.0613, "tv", True, 0.7),
        (0.0614, "tv", True, 0.4),
        (0.1, "contamination", False, 0.7),
        (0.1, "contamination", True, 0.7),  # contamination ignores `realizable`
        (0.1066, "contamination", False, 0.4),
        (0.1066, "contamination", True, 0.4),
    ],
)
def test_erasure_adversary_by_hand_with_three_labels(eps, perturbation, realizable, expected):
    assert discrete.erasure_labels(P0_ERASE3, G_ERASE3).tolist() == [0, 0, 0]
    S = discrete.erasure_success(
        P0_ERASE3, G_ERASE3, 0.1, eps=eps, perturbation=perturbation, realizable=realizable
    )
    assert S == pytest.approx(expected)
    batch = discrete.erasure_success_batch(
        P0_ERASE3[None], G_ERASE3[None], 0.1, eps, "point", perturbation, realizable
    )
    assert batch[0] == pytest.approx(expected)


def test_erasure_batch_defaults_to_the_relaxed_adversary():
    # at ε = 0.06 the relaxed TV adversary affords label 2 at the point 2 (0.0596), the
    # realizable one does not (0.061333): see P0_ERASE3
    S = discrete.erasure_success_batch(P0_ERASE3[None], G_ERASE3[None], 0.1, 0.06)
    assert S[0] == pytest.approx(0.4)
    assert discrete.erasure_success(P0_ERASE3, G_ERASE3, 0.1, eps=0.06) == pytest.approx(0.4)


def _erasure_worst_by_lp(P, g, weight, eps, model):
    """Worst erasure success over ε-optimal classifiers, independently of the engine's costs.

    Labelings f of X are tried from the lowest success up; a linear programme decides whether
    some P' makes every f(x) weakly top at x: ``"tv"`` P' anywhere in the TV ball,
    ``"tv-point"`` the same with the mass of every point kept (moves within points only),
    ``"contamination"`` P' = (1-ε)P + εQ.
    """
    n, m = P.shape
    k = n * m
    labelings = list(itertools.product(range(m), repeat=n))
    success = [sum(weight[x] for x in range(n) if g[x] == x or f[x] == f[g[x]]) for f in labelings]
    for i in np.argsort(success, kind="stable"):
        f = labelings[i]
        A = np.zeros((n * (m - 1), k))  # P'(x, y) - P'(x, f(x)) <= 0
        row = 0
        for x in range(n):
            for y in range(m):
                if y != f[x]:
                    A[row, x * m + y], A[row, x * m + f[x]] = 1.0, -1.0
                    row += 1
        feasible = perturbation_feasible(
            A,
            P,
            eps,
            "contamination" if model == "contamination" else "tv",
            keep_point_mass=model == "tv-point",
        )
        if feasible:
            return success[i]
    raise AssertionError("the Bayes labeling itself is always feasible")


def _erasure_lp_problems(m, rng):
    """Random problems with m labels; for three labels also P0_ERASE3 and noisy copies of it,
    where the relaxed and the realizable adversaries part (random problems rarely do)."""
    for _ in range(4):
        P0 = rng.dirichlet(np.ones(3 * m)).reshape(3, m)
        yield P0, rng.choice(3, size=3), rng.uniform(0.05, 0.6), rng.uniform(0.01, 0.15)
    if m == 3:
        yield P0_ERASE3, G_ERASE3, 0.1, 0.06
        for _ in range(2):
            P0 = P0_ERASE3 + rng.uniform(0, 0.02, (3, 3))
            yield P0 / P0.sum(), G_ERASE3, 0.1, rng.uniform(0.055, 0.065)


@pytest.mark.parametrize("m", [2, 3])
def test_erasure_adversary_against_linear_programming(m):
    # realizable TV = per-point moves exactly; relaxed TV <= the true TV worst case <= realizable,
    # with equality for two labels; contamination exact either way.
    rng = np.random.default_rng(8)
    strict = 0
    for P0, g, alpha, eps in _erasure_lp_problems(m, rng):
        P = discrete.erasure_mixture(P0, g, alpha)
        w = P0.sum(1)
        relaxed = discrete.erasure_success(P0, g, alpha, eps=eps)
        realizable = discrete.erasure_success(P0, g, alpha, eps=eps, realizable=True)
        true_tv = _erasure_worst_by_lp(P, g, w, eps, "tv")
        assert realizable == pytest.approx(_erasure_worst_by_lp(P, g, w, eps, "tv-point"))
        assert relaxed <= true_tv + 1e-9 and true_tv <= realizable + 1e-9
        if m == 2:
            assert relaxed == pytest.approx(true_tv)
        strict += relaxed < realizable - 1e-9
        for realizable_flag in (False, True):
            S = discrete.erasure_success(
                P0, g, alpha, eps=eps, perturbation="contamination", realizable=realizable_flag
            )
            assert S == pytest.approx(_erasure_worst_by_lp(P, g, w, eps, "contamination"))
    if m == 3:
        assert strict >= 1  # the relaxed and the realizable adversaries differ (P0_ERASE3)


@pytest.mark.parametrize("y_star", [2, -1, 0.5])
def test_planting_mixture_checks_the_target_label(y_star):
    # two labels: y* must be 0 or 1 (otherwise no member would send y* and P would not sum to 1)
    with pytest.raises(ValueError, match=r"y_star must be a label index in range\(2\)"):
        discrete.planting_mixture(P0_TWO, G_TWO, y_star, 0.5)


@pytest.mark.parametrize("P0", [[[0.5, 0.6], [0.0, -0.1]], [[np.nan, 0.5], [0.5, 0.0]]])
def test_negative_or_nan_mass_message_in_full(P0):
    with pytest.raises(ValueError, match=r"^P0 must have finite, non-negative entries$"):
        discrete.check_problem(P0, [0, 0])


def test_integer_joint_is_read_as_probabilities():
    # a point mass given as integers: all the mass on (x=0, y=1); g sends both points to 0
    P0 = [[0, 1], [0, 0]]
    P0_checked, g = discrete.check_problem(P0, [0, 0], 1)
    assert P0_checked.dtype == float and g.dtype.kind == "i"
    assert discrete.xi_of(P0, [0, 0]) == 1.0
    assert discrete.delta_of(P0, [0, 0], 1) == 0.0  # y* = 1 is the top label at the point 0
    assert discrete.delta_of(P0, [0, 0], 0) == 1.0
    assert discrete.p_of(P0, 1) == 1.0  # the point 1 carries no mass
    assert discrete.tau_of(P0, [0, 0]) == 0.0
    assert discrete.rho_of(P0, [0, 0]) == 1.0
    assert discrete.planting_success(P0, [0, 0], 1, 0.5) == 1.0
    assert discrete.planting_success(P0, [0, 0], 0, 0.5) == 0.0  # P(0, ·) = (0.5, 0.5): a tie
    assert discrete.erasure_success(P0, [0, 0], 0.5) == 1.0


def test_integer_valued_float_g_is_accepted():
    # g = (2, 2, 3, 3) given as floats (odd and even values): the same problem as G_TWO
    g = [2.0, 2.0, 3.0, 3.0]
    P0, g_checked = discrete.check_problem(P0_TWO, g)
    assert g_checked.dtype.kind == "i" and g_checked.tolist() == [2, 2, 3, 3]
    assert discrete.xi_of(P0_TWO, g) == pytest.approx(0.5)
    assert discrete.rho_of(P0_TWO, g) == pytest.approx(2.5)
    assert discrete.planting_success(P0_TWO, g, 1, 0.9) == pytest.approx(1.0)


@pytest.mark.parametrize(
    ("g", "message"),
    [
        ([0, -1, 0, 0], r"g must map into range(|X|) = range(4)"),
        ([0, 4, 0, 0], r"g must map into range(|X|) = range(4)"),
        ([0.5, 0, 0, 0], "g must hold integer row indices of P0 (g[x] is the index of g(x))"),
    ],
)
def test_g_out_of_range_or_fractional_message_in_full(g, message):
    # P0_TWO has 4 points and 2 labels: the range is over the points
    with pytest.raises(ValueError) as info:
        discrete.check_problem(P0_TWO, g)
    assert str(info.value) == message
