"""The theory chapters' figures (Sections 3 and 4, Lemma B.1) and the corpus chapter's, drawn
by :mod:`collective.report`: each plotted curve is checked against the quantity it shows,
where there is one in closed form against that closed form."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest

from collective.report import corpus as corpus_figures
from collective.report import gradient_descent as gd_figures
from collective.report import planting as planting_figures
from collective.report import risk_minimization as risk_figures
from collective.resumes import summary as cs
from collective.theory import checks
from collective.theory.checks import CheckResult
from collective.theory.gradient import NeuronModel, gradient_descent, make_neuron_sample
from collective.theory.risk import (
    GLM,
    gradient_neutralizing_strategy,
    make_glm_sample,
    neutralizing_gradient_lower_bound,
)


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def _dashed(ax):
    return [line for line in ax.get_lines() if line.get_linestyle() == "--"]


# ---------------------------------------------------------------- corpus (Appendix C)


@pytest.fixture(scope="module")
def summary():
    return cs.load_corpus_summary()


def test_label_figure_bars_are_the_label_table(summary):
    fig = corpus_figures.plot_labels(summary)
    ax_freq, ax_card = fig.axes
    labels = cs.label_table(summary)
    widths = sorted(p.get_width() for p in ax_freq.patches)
    assert widths == pytest.approx(sorted(labels["fraction of labelled resumes"]))
    cardinality = cs.labels_per_resume(summary)
    assert [p.get_height() for p in ax_card.patches] == pytest.approx(list(cardinality.values))
    assert sum(p.get_height() for p in ax_card.patches) == pytest.approx(1.0)


def test_cooccurrence_heatmap_is_conditional_probability(summary):
    fig = corpus_figures.plot_cooccurrence(summary)
    counts = np.asarray(summary["cooccurrence_counts"], dtype=float)
    mesh = fig.axes[0].collections[0].get_array().reshape(counts.shape)
    # Pr[column | row] = count(row and column) / count(row); the diagonal is 1.
    np.testing.assert_allclose(mesh, counts / np.diag(counts)[:, None])
    assert len(fig.axes[0].texts) == counts.size


def test_length_figure_marks_the_quantiles(summary):
    fig = corpus_figures.plot_lengths(summary)
    ax = fig.axes[0]
    marked = sorted(line.get_xdata()[0] for line in ax.get_lines())
    q = summary["words"]["quantiles"]
    assert marked == pytest.approx(sorted([q["0.5"], q["0.9"]]))
    assert ax.get_xscale() == "log"


# ---------------------------------------------------------------- Section 3 and Lemma B.1


def test_figure_1_is_theorem_3_3_in_closed_form():
    alpha = np.geomspace(1e-3, 1, 50)
    fig = planting_figures.plot_figure_1(xis=[0.01, 0.1], eps_values=[0.0, 0.05], alpha=alpha)
    left, right = fig.axes
    assert len(left.get_lines()) == 2 and len(right.get_lines()) == 3  # + one corrected curve
    np.testing.assert_allclose(left.get_lines()[1].get_ydata(), 1 - (1 - alpha) / alpha * 0.1)
    printed, corrected = right.get_lines()[1:]
    xi, eps = 0.01, 0.05
    np.testing.assert_allclose(printed.get_ydata(), 1 - (1 - alpha) / alpha * xi - eps / (1 - eps))
    np.testing.assert_allclose(
        corrected.get_ydata(), 1 - (1 - alpha) / alpha * xi - 2 * eps / alpha
    )
    assert _dashed(right) == [corrected]


@pytest.fixture(scope="module")
def problem():
    return checks.example_planting_problem(n_x=12, n_signal=4, n_y=3, xi=0.05, p=0.2, seed=0)


def test_feature_label_success_panels(problem):
    P0, g, _ = problem
    alphas = np.geomspace(1e-3, 1, 30)
    curves = pd.concat([checks.success_curve("3.3", P0, g, alphas, eps=e) for e in (0.0, 0.01)])
    fig = planting_figures.plot_feature_label_success(curves)
    assert len(fig.axes) == 2
    assert [len(ax.get_lines()) for ax in fig.axes] == [2, 3]  # corrected only at eps > 0
    exact = fig.axes[0].get_lines()[0]
    np.testing.assert_allclose(exact.get_ydata(), curves.query("eps == 0")["S"])
    assert exact.get_drawstyle() == "steps-post"


def test_feature_only_success_panels(problem):
    P0, g, _ = problem
    alphas = np.geomspace(1e-3, 1, 30)
    curves = {
        "feature-only": checks.success_curve("3.5", P0, g, alphas),
        "feature-label": checks.success_curve("3.3", P0, g, alphas),
        "eps": checks.success_curve("3.5", P0, g, alphas, eps=0.005),
    }
    fig = planting_figures.plot_feature_only_success(curves, eps_key="eps")
    left, right = fig.axes
    assert len(left.get_lines()) == 4 and len(right.get_lines()) == 3
    assert "0.005" in right.get_title()
    xi, p = curves["eps"]["xi"].iloc[0], curves["eps"]["p"].iloc[0]
    corrected = right.get_lines()[2].get_ydata()  # Theorem 3.5 with b = 2 eps (TV)
    np.testing.assert_allclose(
        corrected, 1 - (1 - p) * xi / (p * alphas) - 2 * 0.005 / (p * alphas)
    )


@pytest.fixture(scope="module")
def check_33():
    return checks.run_check("3.3", n_instances=300, seed=0)


def test_feature_label_check_scatter(check_33):
    fig = planting_figures.plot_feature_label_check(check_33)
    left, right = fig.axes
    eps0 = check_33.table.query("eps == 0")
    xy = left.collections[0].get_offsets()
    assert len(xy) == len(eps0)
    # Theorem 3.3 at eps = 0: every point on or above the diagonal.
    assert (xy[:, 1] >= xy[:, 0] - 1e-9).all()
    assert len(right.collections) == 2
    assert len(right.collections[0].get_offsets()) == (check_33.table["eps"] > 0).sum()


def test_feature_only_tightness_ratios_at_most_one():
    check = checks.run_check("3.5", n_instances=300, seed=0)
    fig = planting_figures.plot_feature_only_tightness(check)
    xy = fig.axes[0].collections[0].get_offsets()
    t = check.table
    assert len(xy) == ((t["eps"] == 0) & (t["paper"] > 0) & (t["paper"] < 1 - 1e-3)).sum() > 0
    assert (xy[:, 1] <= 1 + 1e-9).all() and (xy[:, 1] >= -1e-9).all()


def _fake_check(theorem: str, alphas, violated) -> CheckResult:
    paper = np.where(violated, 0.5, 0.1)
    table = pd.DataFrame({"alpha": alphas, "eps": 0.1, "paper": paper, "S_tv_real": 0.3})
    return CheckResult(theorem=theorem, table=table, seconds=0.0, summary={})


def test_eps_violation_shares_by_bin():
    # bins: 0 = [0, 1e-3], 1 = (1e-3, 1e-2], ..., 5 = (0.2, 0.5], 6 = (0.5, 0.999], 7 = (0.999, 1]
    check = _fake_check("3.3", [0.0005, 0.001, 0.3, 0.4, 1.0], [True, False, True, True, False])
    share = planting_figures.eps_violation_shares(check)
    assert share.to_dict() == {0: 0.5, 5: 1.0, 7: 0.0}
    eps0 = pd.concat([check.table, check.table.assign(eps=0.0, paper=1.0)])
    same = CheckResult(theorem="3.3", table=eps0, seconds=0.0, summary={})
    assert planting_figures.eps_violation_shares(same).to_dict() == share.to_dict()


def test_eps_violation_figure_one_line_per_theorem():
    results = [_fake_check(t, [0.05, 0.5], [True, False]) for t in ("3.3", "3.5", "3.7")]
    fig = planting_figures.plot_eps_violations(results)
    ax = fig.axes[0]
    assert [line.get_label() for line in ax.get_lines()] == [
        "Theorem 3.3",
        "Theorem 3.5",
        "Theorem 3.7",
    ]
    assert list(ax.get_lines()[0].get_ydata()) == [1.0, 0.0]
    assert len(ax.get_xticklabels()) == len(planting_figures.EPS_BINS) - 1


# ---------------------------------------------------------------- Section 4.1


@pytest.fixture(scope="module")
def logistic():
    P0 = make_glm_sample("logistic", 120, np.array([1.0, -0.5]), seed=1)
    model = GLM("logistic")
    theta0 = model.fit(P0)
    return model, P0, theta0


def test_firm_path_lands_and_obeys_theorem_4_2(logistic):
    model, P0, theta0 = logistic
    s = gradient_neutralizing_strategy(model, P0, theta0 + np.array([0.8, 0.6]), "feature-label")
    alphas = np.array([0.0, 0.5 * s.alpha_star, s.alpha_star + 0.05, 1.0])
    path = risk_figures.firm_path(s, alphas)
    n0, n1 = np.linalg.norm(s.g0), np.linalg.norm(s.g_prime)
    closed = np.maximum((1 - alphas) * n0 - alphas * n1, 0) / path["mu"]
    np.testing.assert_allclose(path["bound"], closed)
    assert (path["distance"] <= path["bound"] + 1e-9).all()
    assert (path["distance"][alphas > s.alpha_star] < 1e-9).all()
    assert path["distance"][0] == pytest.approx(np.linalg.norm(theta0 - s.theta_star), abs=1e-8)
    fig = risk_figures.plot_firm_path(model, P0, theta0, {"feature-label": s}, alphas)
    ax0, ax1 = fig.axes
    assert len(_dashed(ax1)) == 1
    assert [line.get_xdata()[0] for line in ax1.get_lines()][-1] == pytest.approx(s.alpha_star)


def test_critical_mass_follows_corollary_4_3():
    P0 = make_glm_sample("linear", 150, np.array([1.0, -0.5]), seed=2)
    R, m, n = 2.0, 1.0, 50
    table = risk_figures.critical_mass_vs_pull(
        GLM("linear"), P0, directions=[0, 90], distances=np.array([0.2, 1.0]), n_grid=n
    )
    assert len(table) == 4
    np.testing.assert_allclose(table["alpha_star"], table["g0"] / (R * m + table["g0"]))
    # the firm lands at the first grid point at or above alpha*
    np.testing.assert_allclose(table["alpha_firm"], np.ceil(table["alpha_star"] * n - 1e-9) / n)
    fig = risk_figures.plot_critical_mass_vs_pull(table)
    ax = fig.axes[0]
    (curve,) = _dashed(ax)
    gg = curve.get_xdata()
    np.testing.assert_allclose(curve.get_ydata(), gg / (R * m + gg))
    assert len(ax.get_lines()) == 3  # two directions and Corollary 4.3


def test_utility_gain_reaches_the_gain_at_proposition_4_4(logistic):
    model, P0, theta0 = logistic
    v, gains = np.array([1.0, 2.0]), np.array([0.2, 0.6])
    table = risk_figures.utility_gain_table(model, P0, theta0, v, gains, n_samples=4)
    np.testing.assert_allclose(table["gain_at_bound"], gains, atol=1e-6)
    assert (table["bound"] >= table["alpha_star"]).all()
    beta, nv = model.smoothness(P0), np.linalg.norm(v)
    g_lb = neutralizing_gradient_lower_bound(
        model, P0, theta0, 0.6 / nv, n_samples=4, feature_norm=3.0
    )
    assert table["bound"].iloc[1] == pytest.approx(beta * 0.6 / (g_lb * nv + beta * 0.6))
    fig = risk_figures.plot_utility_gain(model, P0, theta0, v, table, U=0.6, n_samples=4)
    ax0, ax1 = fig.axes
    np.testing.assert_allclose(ax0.get_lines()[1].get_ydata(), table["bound"])
    assert _dashed(ax1)[0].get_xdata()[0] == pytest.approx(table["bound"].iloc[1])
    assert "v = (1, 2)" in fig.texts[-1].get_text()


# ---------------------------------------------------------------- Section 4.2


@pytest.fixture(scope="module")
def neuron():
    model = NeuronModel()
    P0 = make_neuron_sample(100, np.array([2.0, -1.0]), seed=0)
    theta0 = gradient_descent(model, P0, np.zeros(2), 2.0, 300).thetas[-1]
    return model, P0, theta0


def test_geometric_rate_is_theorem_4_5(neuron):
    model, P0, theta0 = neuron
    eta, T, target = 2.0, 25, np.array([2.2, 3.0])
    runs = gd_figures.gradient_control_runs(
        model, P0, theta0, {"easy": target}, alphas=[0.7, 0.9], eta=eta, T=T
    )
    fig = gd_figures.plot_geometric_rate(runs, "easy")
    ax0, ax1 = fig.axes
    t = np.arange(T + 1)
    for alpha, bound in zip(runs.alphas, _dashed(ax0)):
        traj = runs.trajectories["easy", alpha]
        c, d0 = traj.xis.min(), np.linalg.norm(theta0 - target)
        np.testing.assert_allclose(bound.get_ydata(), d0 * (1 - eta * alpha * c) ** t)
        assert (traj.distances(target) <= bound.get_ydata() + 1e-12).all()
    C = [a * runs.trajectories["easy", a].xis.min() for a in runs.alphas]
    np.testing.assert_allclose(ax1.get_lines()[0].get_ydata(), C)
    assert "Easy target" in fig.texts[-1].get_text()


def test_trajectories_and_their_description(neuron):
    model, P0, theta0 = neuron
    targets = {"easy": np.array([2.2, 3.0]), "hard": np.array([-1.5, 1.5])}
    runs = gd_figures.gradient_control_runs(
        model, P0, theta0, targets, alphas=[0.3, 0.9], eta=2.0, T=10, on_infeasible="stop"
    )
    fig = gd_figures.plot_trajectories(runs, t_mark=5)
    ax = fig.axes[0]
    dots = [line for line in ax.get_lines() if line.get_marker() == "o"]
    assert len(dots) == 4
    traj = runs.trajectories["hard", 0.9]
    np.testing.assert_allclose(dots[3].get_xydata()[0], traj.thetas[min(5, len(traj.thetas) - 1)])
    assert len(ax.texts) == 2  # the two targets' names
    lines = gd_figures.describe_runs(runs).splitlines()
    assert len(lines) == 4
    d = runs.trajectories["easy", 0.3].distances(targets["easy"])
    assert lines[0] == f"easy alpha=0.3: distance {d[0]:.2f} -> {d[-1]:.2e}"


def test_hard_targets_and_rank_correlation(neuron):
    model, P0, theta0 = neuron
    table = gd_figures.hard_targets(model, P0, theta0, 2.0, directions=[0, 180], n=5, tol=0.1)
    assert list(table["direction"]) == pytest.approx([0.0, 180.0])
    assert ((table["alpha_min"] > 0) & (table["alpha_min"] < 1)).all()
    fig = gd_figures.plot_hard_targets(table)
    np.testing.assert_allclose(
        fig.axes[0].collections[0].get_offsets(), table[["gmax", "alpha_min"]]
    )
    fake = pd.DataFrame({"gmax": [1.0, 2.0, 3.0, 4.0], "alpha_min": [0.1, 0.3, 0.2, 0.4]})
    assert gd_figures.rank_correlation(fake) == pytest.approx(0.8)  # 1 - 6 * 2 / (4 * 15)
    assert gd_figures.rank_correlation(fake.assign(alpha_min=-fake["gmax"])) == pytest.approx(-1)
