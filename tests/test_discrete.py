"""The exact engine of Section 3 (collective.theory.discrete, collective.theory.adversary) on hand-solvable problems."""

import itertools

import numpy as np
import pytest

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
    from scipy.optimize import linprog

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
                if model == "tv":  # variables P' (k), u >= |P' - P| (k); minimize TV = sum(u)/2
                    eye = np.eye(k)
                    A_ub = np.vstack(
                        [
                            np.hstack([A, np.zeros((len(F), k))]),
                            np.hstack([eye, -eye]),
                            np.hstack([-eye, -eye]),
                        ]
                    )
                    b_ub = np.concatenate([np.zeros(len(F)), P.ravel(), -P.ravel()])
                    res = linprog(
                        np.r_[np.zeros(k), 0.5 * np.ones(k)],
                        A_ub=A_ub,
                        b_ub=b_ub,
                        A_eq=np.r_[np.ones(k), np.zeros(k)][None],
                        b_eq=[1.0],
                        bounds=(0, None),
                    )
                    feasible = res.status == 0 and res.fun <= eps + 1e-9
                else:  # variables Q (k): (1-ε) A P + ε A Q <= 0
                    res = linprog(
                        np.zeros(k),
                        A_ub=eps * A,
                        b_ub=-(1 - eps) * A @ P.ravel() + 1e-12,
                        A_eq=np.ones((1, k)),
                        b_eq=[1.0],
                        bounds=(0, None),
                    )
                    feasible = res.status == 0
                if feasible:
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
