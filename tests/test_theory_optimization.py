"""Closed forms of Section 4 (Theorem 4.2, Corollary 4.3, Proposition 4.4, Theorem 4.5)."""

import numpy as np
import pytest
import sympy as sp

import collective.theory as theory
from collective.theory import optimization as opt


def test_corollary_4_3_value_and_norms():
    # ||g0|| = 5, ||g'|| = 15 -> 5 / 20.
    assert opt.gradient_neutralizing_critical_mass([3.0, 4.0], [0.0, -15.0]) == pytest.approx(0.25)
    # l1 norm: ||g0||_1 = 7, ||g'||_1 = 21.
    assert opt.gradient_neutralizing_critical_mass(
        [3.0, 4.0], [-9.0, -12.0], ord=1
    ) == pytest.approx(0.25)
    # Already optimal target: no collective needed; zero g' -> everybody is needed.
    assert opt.gradient_neutralizing_critical_mass([0.0, 0.0], [1.0, 0.0]) == 0.0
    assert opt.gradient_neutralizing_critical_mass([1.0, 0.0], [0.0, 0.0]) == 1.0


def test_public_names_reexported():
    assert "gradient_neutralizing_critical_mass" in theory.__all__
    assert theory.gradient_neutralizing_critical_mass is opt.gradient_neutralizing_critical_mass
    assert set(opt.__all__) <= set(theory.__all__)


def test_theorem_4_2_bound_is_zero_exactly_from_corollary_4_3_on():
    g0, gp, mu = np.array([2.0, 0.0]), np.array([-6.0, 0.0]), 0.5
    a_star = opt.gradient_neutralizing_critical_mass(g0, gp)
    assert a_star == pytest.approx(0.25)
    alphas = np.array([0.0, 0.1, 0.2, a_star, 0.5, 1.0])
    bound = opt.risk_minimization_success_bound(alphas, g0, gp, mu)
    # alpha = 0: -||g0|| / mu = -4; alpha = 0.1: (0.6 - 1.8) / 0.5 = -2.4.
    np.testing.assert_allclose(bound[:3], [-4.0, -2.4, -0.8])
    np.testing.assert_array_equal(bound[3:], 0.0)


def test_proposition_4_4_value():
    # beta U / (g_lb ||grad u|| + beta U) = 2*1 / (3*2 + 2) = 0.25
    assert opt.utility_gain_critical_mass(
        U=1.0, grad_u_norm=2.0, beta=2.0, g_lb=3.0
    ) == pytest.approx(0.25)
    assert opt.utility_gain_critical_mass(U=0.0, grad_u_norm=2.0, beta=2.0, g_lb=3.0) == 0.0


def test_theorem_4_5_rate():
    assert opt.gradient_control_rate(0.5, 0.1, 4.0, 3) == pytest.approx(0.8**3)
    np.testing.assert_allclose(
        opt.gradient_control_success_bound(0.5, 0.1, 4.0, np.arange(3), 2.0), [-2.0, -1.6, -1.28]
    )


def test_sympy_derivations_match_closed_forms():
    """The closed forms equal the expressions sympy solved for (Cor. 4.3, Prop. 4.4, Thm. 4.5)."""
    d = opt.derivations()
    s = {x.name: x for e in d.values() for x in e.free_symbols}
    f = sp.lambdify((s["g0"], s["gp"]), d["alpha_star"])
    for g0n, gpn in [(1.0, 3.0), (0.2, 0.7), (5.0, 0.1)]:
        assert f(g0n, gpn) == pytest.approx(opt.gradient_neutralizing_critical_mass(g0n, gpn))
    f = sp.lambdify((s["U"], s["gu"], s["beta"], s["g_lb"]), d["prop_4_4"])
    assert f(1.5, 0.3, 2.0, 0.7) == pytest.approx(
        opt.utility_gain_critical_mass(1.5, 0.3, 2.0, 0.7)
    )
    f = sp.lambdify((s["alpha"], s["eta"], s["c"], s["t"], s["d0"]), d["theorem_4_5"])
    assert f(0.3, 0.2, 5.0, 7, 2.0) == pytest.approx(
        -opt.gradient_control_success_bound(0.3, 0.2, 5.0, 7, 2.0)
    )
    # The strategy's mixing probability p = alpha* / alpha balances the forces exactly.
    assert sp.simplify(d["p"] - d["alpha_star"] / s["alpha"]) == 0
    # The proof of Theorem 4.5: the firm's gradient is alpha * xi * (theta - theta*).
    assert sp.simplify(d["gradient_control_step"] - s["alpha"] * s["xi"]) == 0
    # Corollary 4.3's reading: alpha* grows with ||g0|| and shrinks with ||g'||.
    assert d["d_alpha_star_d_g0"].is_positive and d["d_alpha_star_d_gp"].is_negative
    assert opt.derivation_latex(d["alpha_star"]) == r"\frac{\|g_0\|}{\|g_0\| + \|g'\|}"


@pytest.mark.parametrize(
    "call, match",
    [
        (lambda: opt.gradient_neutralizing_critical_mass([1.0, np.nan], [1.0, 0.0]), "non-finite"),
        (
            lambda: opt.gradient_neutralizing_critical_mass([1.0, 2.0], [1.0, 0.0, 0.0]),
            "same shape",
        ),
        (lambda: opt.gradient_neutralizing_critical_mass(np.ones((2, 2)), np.ones((2, 2))), "1-D"),
        (lambda: opt.risk_minimization_success_bound(1.5, 1.0, 1.0, 1.0), "alpha"),
        (lambda: opt.risk_minimization_success_bound(0.5, 1.0, 1.0, 0.0), "mu"),
        (lambda: opt.utility_gain_critical_mass(1.0, 0.0, 1.0, 1.0), "grad_u_norm"),
        (lambda: opt.utility_gain_critical_mass(-1.0, 1.0, 1.0, 1.0), "U"),
        (lambda: opt.gradient_control_rate(0.5, 1.0, 4.0, 3), r"\(0, 1\)"),
        (lambda: opt.gradient_control_rate(0.5, 0.1, 4.0, 2.5), "integer"),
    ],
)
def test_bad_arguments_raise_clear_errors(call, match):
    with pytest.raises(ValueError, match=match):
        call()
