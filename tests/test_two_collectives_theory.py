"""Two collectives at once: the bounds (collective.theory.two_collectives), the exact engine
(collective.theory.exact_two_collectives) on hand-made problems with known answers, and the
random checks (collective.theory.two_collective_checks)."""

import numpy as np
import pytest

from collective.errors import ConfigError
from collective.theory import (
    ally_bound,
    ally_critical_mass,
    coalition_bound,
    competitor_bound,
    competitor_critical_mass,
    competitor_ratio_bound,
    competitor_ratio_critical_mass,
    corrected_critical_mass_feature_label,
    corrected_feature_label_bound,
    discrete,
    shared_signal_bound,
    shared_signal_critical_mass,
    two_collective_bound,
)
from collective.theory import two_collectives as tc
from collective.theory.checks import tight_feature_label_instance
from collective.theory.two_collective_checks import (
    example_two_collective_problem,
    run_two_collective_check,
    success_over_alpha2,
    tight_competitor_instance,
    tight_shared_signal_instance,
)

TOL = 1e-9

# ------------------------------------------------------------------------------------------
# Hand-made problems
# ------------------------------------------------------------------------------------------

# Three points, two labels. x0 carries all base mass (label 1 mostly); x1, x2 are fresh signals.
P0_SMALL = np.array([[0.3, 0.7], [0.0, 0.0], [0.0, 0.0]])
TO_X1 = np.array([1, 1, 1])
TO_X2 = np.array([2, 2, 2])


def test_disjoint_signals_both_succeed():
    # Fresh signals, different targets: each collective owns its point.
    S1, S2 = discrete.two_collective_success(P0_SMALL, TO_X1, 0, TO_X2, 1, 0.01, 0.02)
    assert (S1, S2) == (1.0, 1.0)


@pytest.mark.parametrize(
    ("a1", "a2", "expected"),
    [(0.2, 0.1, (1.0, 0.0)), (0.1, 0.2, (0.0, 1.0)), (0.15, 0.15, (0.0, 0.0))],
)
def test_shared_signal_is_won_by_the_larger_collective(a1, a2, expected):
    # Same fresh signal, rival targets: the larger mass takes the point; a tie loses for both.
    assert discrete.two_collective_success(P0_SMALL, TO_X1, 0, TO_X1, 1, a1, a2) == expected


def test_shared_signal_against_base_evidence():
    # Signal point x0 itself (mass 1, P0(y=1|x0) = 0.7): y1* = 0 needs
    # α1 + 0.3 α0 > 0.7 α0 + α2, i.e. α1 - α2 > 0.4 (1 - α1 - α2).
    g = np.array([0, 0, 0])
    for a1, a2, wins in [(0.5, 0.1, True), (0.3, 0.2, False), (0.45, 0.1, True)]:
        S1, S2 = discrete.two_collective_success(P0_SMALL, g, 0, g, 1, a1, a2)
        assert S1 == (1.0 if wins else 0.0)
        assert S1 + S2 <= 1.0  # zero-sum on one signal


def test_allies_add_up():
    # Same signal, same target, on x0: together they need α1 + α2 > 0.4 (1 - α1 - α2).
    g = np.array([0, 0, 0])
    assert discrete.two_collective_success(P0_SMALL, g, 0, g, 0, 0.2, 0.1) == (1.0, 1.0)
    assert discrete.two_collective_success(P0_SMALL, g, 0, g, 0, 0.2, 0.0) == (0.0, 0.0)


def test_alpha2_zero_is_the_single_collective():
    P0, g1, y1, g2, y2 = example_two_collective_problem("distinct")
    for a1 in (0.01, 0.05, 0.3):
        for eps in (0.0, 0.01):
            S1, _ = discrete.two_collective_success(P0, g1, y1, g2, y2, a1, 0.0, eps=eps)
            assert S1 == pytest.approx(discrete.planting_success(P0, g1, y1, a1, eps=eps))


def test_mixture_is_a_distribution_with_the_planted_mass():
    P0, g1, y1, g2, y2 = example_two_collective_problem("distinct")
    P = discrete.two_collective_mixture(P0, g1, y1, g2, y2, 0.1, 0.2)
    assert P.sum() == pytest.approx(1.0) and (P >= 0).all()
    # the label y2 = 1 carries 0.7 of the base mass on it plus all of collective 2's
    assert P[:, y2].sum() == pytest.approx(0.7 * P0[:, y2].sum() + 0.2 + 0.1 * (y1 == y2))


def test_eps_adversary_by_hand():
    # One fresh shared point: margin of y1* is α1 - α2 = 0.1; TV budget 2ε erases it iff ε >= 0.05.
    S1, _ = discrete.two_collective_success(P0_SMALL, TO_X1, 0, TO_X1, 1, 0.3, 0.2, eps=0.049)
    assert S1 == 1.0
    S1, _ = discrete.two_collective_success(P0_SMALL, TO_X1, 0, TO_X1, 1, 0.3, 0.2, eps=0.05)
    assert S1 == 0.0


def test_overlap_parameters_by_hand():
    P0 = np.full((4, 2), 1 / 8)
    g1 = np.array([0, 0, 1, 1])  # X1* = {0, 1}, P*_1 = (1/2, 1/2, 0, 0)
    g2 = np.array([0, 2, 2, 2])  # P*_2 = (1/4, 0, 3/4, 0)
    assert discrete.overlap_of(P0, g1, g2) == pytest.approx(0.25)
    assert discrete.density_ratios_of(P0, g1, g2) == pytest.approx((0.5, 0.0))
    assert discrete.density_ratios_of(P0, g1, g1) == pytest.approx((1.0, 1.0))


# ------------------------------------------------------------------------------------------
# The bounds as formulas
# ------------------------------------------------------------------------------------------


def test_bounds_reduce_to_theorem_3_3_without_a_second_collective():
    for a1, xi, d, eps in [(0.1, 0.01, 1.0, 0.0), (0.5, 0.2, 0.5, 0.01)]:
        single = corrected_feature_label_bound(a1, xi, d, eps)
        assert competitor_bound(a1, 0.0, xi, d, 1.0, eps) == pytest.approx(single)
        assert competitor_ratio_bound(a1, 0.0, xi, d, 1.0, eps) == pytest.approx(single)
        assert ally_bound(a1, 0.0, xi, d, 0.7, eps) == pytest.approx(single)


def test_bound_values():
    # TC-1: 1 - (0.85*1*0.01 + 0.05*0.5 + 0)/0.1
    assert competitor_bound(0.1, 0.05, 0.01, 1.0, 0.5) == pytest.approx(1 - 0.3350)
    # case (b): net mass 0.05
    assert shared_signal_bound(0.1, 0.05, 0.01, 1.0) == pytest.approx(1 - 0.0085 / 0.05)
    assert shared_signal_bound(0.1, 0.1, 0.01, 1.0) == -np.inf
    # allies, same signal: Theorem 3.3 at α1 + α2 with base 1 - α1 - α2
    assert ally_bound(0.1, 0.05, 0.01, 1.0, 1.0, 0.01) == pytest.approx(
        coalition_bound(0.1, 0.05, 0.01, 1.0, 0.01)
    )
    assert coalition_bound(0.1, 0.05, 0.01, 1.0) == pytest.approx(1 - 0.0085 / 0.15)
    # distinct: the better of TC-1 and TC-2
    best = two_collective_bound("distinct", 0.1, 0.05, 0.01, 1.0, 1.0, 1.0)
    assert best == pytest.approx(shared_signal_bound(0.1, 0.05, 0.01, 1.0))


def test_a_disjoint_competitor_only_dilutes():
    assert competitor_bound(0.1, 0.3, 0.01, 1.0, 0.0) >= corrected_feature_label_bound(
        0.1, 0.01, 1.0
    )


def test_bad_arguments():
    with pytest.raises(ConfigError, match="alpha1 \\+ alpha2"):
        competitor_bound(0.6, 0.5, 0.01, 1.0)
    with pytest.raises(ConfigError, match="kappa"):
        competitor_bound(0.1, 0.1, 0.01, 1.0, 1.5)
    with pytest.raises(ConfigError, match="case"):
        two_collective_bound("enemies", 0.1, 0.1, 0.01, 1.0)
    with pytest.raises(ValueError, match="alpha1 \\+ alpha2"):
        discrete.two_collective_success(P0_SMALL, TO_X1, 0, TO_X2, 1, 0.6, 0.5)


def test_sympy_derivations_match_the_closed_forms():
    derived = tc.derive_critical_masses()
    assert all(entry["equal"] for entry in derived.values())
    identities = tc.margin_identities()
    assert identities["rival_residual"] == 0 and identities["ally_residual"] == 0


@pytest.mark.parametrize("eps", [0.0, 0.01])
def test_critical_masses_reach_the_target(eps):
    s, a2, xi, d = 0.9, 0.03, 0.01, 1.0
    for crit, bound in [
        (competitor_critical_mass(s, a2, xi, d, 0.4, eps), competitor_bound),
        (competitor_ratio_critical_mass(s, a2, xi, d, 0.4, eps), competitor_ratio_bound),
        (ally_critical_mass(s, a2, xi, d, 0.4, eps), ally_bound),
    ]:
        assert 0 < crit < 1 - a2
        assert bound(crit, a2, xi, d, 0.4, eps) == pytest.approx(s)
    # case (b): α1 must exceed α2 by the single collective's margin on the remaining base
    assert shared_signal_critical_mass(s, a2, xi, d, eps) == pytest.approx(
        a2 + ((1 - 2 * a2) * xi + 2 * eps) / (1 - s + xi)
    )
    # allies with one signal: the single critical mass minus α2
    assert ally_critical_mass(s, a2, xi, d, 1.0, eps) == pytest.approx(
        corrected_critical_mass_feature_label(s, xi, d, eps) - a2
    )
    assert ally_critical_mass(s, 0.5, xi, d, 1.0, eps) == 0.0
    assert shared_signal_critical_mass(s, 0.6, xi, d, eps) == np.inf


# ------------------------------------------------------------------------------------------
# Tightness
# ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("a1", "a2", "xi", "d", "kappa"),
    [(0.3, 0.1, 0.05, 1.0, 0.4), (0.05, 0.01, 0.01, 0.5, 0.3), (0.5, 0.2, 0.2, 0.9, 0.0)],
)
def test_competitor_bound_is_attained(a1, a2, xi, d, kappa):
    P0, g1, y1, g2, y2 = tight_competitor_instance(a1, a2, xi, d, kappa)
    assert discrete.xi_of(P0, g1) == pytest.approx(xi)
    assert discrete.delta_of(P0, g1, y1) == pytest.approx(d)
    assert discrete.overlap_of(P0, g1, g2) == pytest.approx(kappa)
    S1, _ = discrete.two_collective_success(P0, g1, y1, g2, y2, a1, a2)
    assert S1 == pytest.approx(competitor_bound(a1, a2, xi, d, kappa), abs=1e-12)


@pytest.mark.parametrize(("a1", "a2", "xi", "d"), [(0.3, 0.1, 0.05, 1.0), (0.06, 0.05, 0.001, 0.7)])
def test_shared_signal_bound_is_attained(a1, a2, xi, d):
    P0, g1, y1, g2, y2 = tight_shared_signal_instance(a1, a2, xi, d)
    S1, S2 = discrete.two_collective_success(P0, g1, y1, g2, y2, a1, a2)
    assert S1 == pytest.approx(shared_signal_bound(a1, a2, xi, d), abs=1e-12)
    assert S2 == 0.0


def test_coalition_bound_is_attained():
    a1, a2, xi, d = 0.2, 0.1, 0.05, 0.8
    P0, g, y = tight_feature_label_instance(a1 + a2, xi, d)
    S1, S2 = discrete.two_collective_success(P0, g, y, g, y, a1, a2)
    assert S1 == S2 == pytest.approx(coalition_bound(a1, a2, xi, d), abs=1e-12)
    assert S1 == pytest.approx(ally_bound(a1, a2, xi, d, 1.0), abs=1e-12)


def test_success_over_alpha2_stays_above_the_bound():
    for case in tc.TWO_COLLECTIVE_CASES:
        problem = example_two_collective_problem(case)
        curve = success_over_alpha2(case, *problem, 0.05, np.linspace(0, 0.2, 41), eps=0.002)
        assert (curve["S1"] >= curve["bound"] - TOL).all()
        if case == "allies":
            assert (curve["S1"] >= curve["S1_alone"] - TOL).all()


# ------------------------------------------------------------------------------------------
# Random problems
# ------------------------------------------------------------------------------------------


@pytest.fixture(scope="module", params=list(tc.TWO_COLLECTIVE_CASES))
def check(request):
    return run_two_collective_check(request.param, n_instances=3_000, seed=0)


def test_enough_varied_instances(check):
    s, t = check.summary, check.table
    assert s["instances"] == 3_000
    assert s["rows_eps0"] > 1000 and s["rows_eps_pos"] > 2500
    assert t["alpha_own"].min() < 1e-3 and t["xi"].min() < 1e-4
    assert (t["delta"] == 0).sum() > 200
    assert (t["alpha_other"] >= t["alpha_own"]).mean() > 0.2
    assert t["n_x"].nunique() >= 5 and t["n_y"].nunique() >= 2


def test_no_violations(check):
    s = check.summary
    for key in ("eps0", "tv", "cont"):
        assert s[f"violations_{key}"] == 0, key
        assert s[f"max_violation_{key}"] < TOL
        assert s[f"nonvacuous_{key}"] > 1000
    if check.case == "distinct":
        assert s["violations_tc1_tv"] == 0 and s["violations_tc2_tv"] == 0
    if check.case == "allies":
        for key in ("eps0", "tv", "cont"):
            assert s[f"coalition_violations_{key}"] == 0


def test_bounds_come_close(check):
    # Some instances come within 1e-3 of the bound against the worst ε-optimal classifier.
    assert check.summary["min_slack_tv"] < 1e-3
    assert check.summary["max_loss_ratio_tv"] > 0.9


def test_what_the_other_collective_does(check):
    s = check.summary
    assert s["disjoint_hurt_eps0"] == 0  # planting nothing on my signal set never hurts me
    if check.case == "allies":
        assert s["share_hurt_eps0"] == 0 and s["share_helped_eps0"] > 0
    else:
        assert s["share_hurt_eps0"] > 0.1 and s["max_relative_drop_eps0"] == pytest.approx(1.0)
