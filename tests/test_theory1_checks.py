"""Theorems 3.3, 3.5, 3.7 on 10,000 random finite problems each (collective.theory.checks), exactly."""

import pytest

from collective.theory.checks import run_check


@pytest.fixture(scope="module", params=["3.3", "3.5", "3.7"])
def result(request):
    return run_check(request.param, n_instances=10_000, seed=0)


def test_enough_varied_instances(result):
    s, t = result.summary, result.table
    assert s["instances"] == 10_000
    assert s["instances_eps0"] > 2000 and s["instances_eps_pos"] > 5000
    assert t["alpha"].min() < 1e-3 and (t["alpha"] == 1.0).sum() > 100
    assert t["n_x"].nunique() >= 5 and t["n_y"].nunique() >= 2
    if result.theorem == "3.3":
        assert (t["delta"] == 0).sum() > 500 and t["xi"].min() < 1e-4
    if result.theorem == "3.7":
        assert (t["tau"] < 1e-12).sum() > 500


def test_paper_bound_holds_at_eps_zero(result):
    # Theorem at ε = 0, against the Bayes-optimal classifier with ties against the collective.
    assert result.summary["violations_paper_eps0"] == 0
    assert result.summary["nonvacuous_eps0"] > 2000


def test_corrected_bound_holds_against_worst_eps_classifier(result):
    assert result.summary["violations_corrected_tv"] == 0
    assert result.summary["violations_corrected_contamination"] == 0
    # and it is not slack everywhere: some instances come within 1e-3 of it
    assert result.summary["min_slack_corrected_tv"] < 1e-3
    assert result.summary["max_loss_ratio_corrected_tv"] > 0.9


def test_paper_eps_term_is_violated(result):
    # The documented failure of the ε/(1-ε) term: many violations, some nearly total,
    # against concrete ε-optimal classifiers (TV) and under contamination.
    assert result.summary["violations_paper_eps_tv"] > 500
    assert result.summary["violations_paper_eps_contamination"] > 500
    assert result.summary["worst_violation_paper_eps_tv"] > 0.9


def test_bound_is_attained_up_to_rounding(result):
    # Tightness at ε = 0: the bound comes within 1e-9 of the exact success on some instances.
    assert abs(result.summary["min_slack_eps0"]) < 1e-9


@pytest.mark.parametrize("kwargs", [dict(reading="summary"), dict(idempotent=False)])
def test_theorem_3_7_fails_under_other_readings(kwargs):
    s = run_check("3.7", n_instances=10_000, seed=0, **kwargs).summary
    assert s["violations_paper_eps0"] > 10


def test_bad_arguments():
    with pytest.raises(ValueError, match="theorem"):
        run_check("3.4")
    with pytest.raises(ValueError, match="n_instances"):
        run_check("3.3", n_instances=0)


def test_success_curve_matches_single_instance_engine():
    import numpy as np

    from collective.theory import checks, discrete

    P0, g, y_star = checks.example_planting_problem(n_x=20, n_signal=6, xi=0.05, seed=2)
    alphas = np.array([0.01, 0.1, 0.5, 1.0])
    for theorem, strategy in (("3.3", "feature-label"), ("3.5", "feature-only")):
        df = checks.success_curve(theorem, P0, g, alphas, eps=0.01, y_star=y_star)
        expected = [discrete.planting_success(P0, g, y_star, a, strategy, eps=0.01) for a in alphas]
        np.testing.assert_allclose(df["S"], expected)
        assert (df["S"] >= df["corrected"] - 1e-12).all()
    P0e, ge = checks.example_erasure_problem(n_x=6, n_image=2, n_y=2, seed=1)
    df = checks.success_curve("3.7", P0e, ge, alphas)
    np.testing.assert_allclose(df["S"], [discrete.erasure_success(P0e, ge, a) for a in alphas])
    assert (df["S"] >= df["paper"] - 1e-12).all()
    for realizable in (False, True):
        df = checks.success_curve("3.7", P0e, ge, alphas, eps=0.05, realizable=realizable)
        np.testing.assert_allclose(
            df["S"],
            [discrete.erasure_success(P0e, ge, a, eps=0.05, realizable=realizable) for a in alphas],
        )


def test_helpers_reject_bad_arguments():
    from collective.theory import checks

    with pytest.raises(ValueError, match="n_signal"):
        checks.example_planting_problem(n_x=5, n_signal=5)
    with pytest.raises(ValueError, match="xi"):
        checks.example_planting_problem(xi=1.0)
    with pytest.raises(ValueError, match="noise"):
        checks.example_erasure_problem(noise=2.0)
    with pytest.raises(ValueError, match="theorem"):
        checks.success_curve("3.8", *checks.example_erasure_problem(), [0.5])
    with pytest.raises(ValueError, match="names"):
        checks.summary_frame([run_check("3.3", n_instances=10)], names=["a", "b"])
