"""The Newton-CG solver of the linear firm (collective.firms.linear.newton).

Checks: on small sparse problems the solution equals scikit-learn's LogisticRegression (same C,
unpenalised intercept) to 1e-4 in the weights, from zero and from a poor warm start, with one
and two threads; the stopping test is honest (the returned float32 weights have the reported
gradient); labels that start at the optimum take no iteration; bad input is refused.
"""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp

from collective.errors import ConfigError
from collective.firms.linear.newton import SparseOps, newton_cg


def _problem(n=600, d=80, K=4, seed=0):
    rng = np.random.default_rng(seed)
    X = sp.random(n, d, density=0.15, format="csr", random_state=seed, dtype=np.float64)
    X = sp.csr_matrix(X.multiply(1.0 / np.maximum(np.sqrt(X.multiply(X).sum(axis=1)), 1e-12)))
    W_true = 4.0 * rng.standard_normal((d, K))
    Y = (X @ W_true + 0.5 * rng.standard_normal((n, K)) > 0.3).astype(int)
    return X.astype(np.float32), Y


def _sklearn(X, Y, C):
    from sklearn.linear_model import LogisticRegression

    W, b = [], []
    for k in range(Y.shape[1]):
        m = LogisticRegression(C=C, tol=1e-12, max_iter=20000).fit(X.astype(np.float64), Y[:, k])
        W.append(m.coef_[0])
        b.append(m.intercept_[0])
    return np.column_stack(W), np.array(b)


def _gradient(X, Y, W, b, lam):
    """The gradient of the summed loss, in float64, at the given weights."""
    X = X.astype(np.float64)
    S = 2.0 * Y - 1.0
    Z = X @ W.astype(np.float64) + b.astype(np.float64)
    U = -S / (1.0 + np.exp(S * Z))
    return X.T @ U + lam * W, U.sum(axis=0)


@pytest.mark.parametrize("C", [0.5, 4.0])
@pytest.mark.parametrize("threads", [1, 2])
def test_equals_scikit_learn_logistic_regression(C, threads):
    X, Y = _problem()
    W_ref, b_ref = _sklearn(X, Y, C)
    W, b, info = newton_cg(X, 2.0 * Y - 1.0, lam=1.0 / C, tol=1e-8, threads=threads)
    assert info["converged"] and info["grad_max"] <= 1e-8
    np.testing.assert_allclose(W, W_ref, atol=1e-4)
    np.testing.assert_allclose(b, b_ref, atol=1e-4)


def test_from_a_poor_warm_start():
    X, Y = _problem(seed=3)
    W_ref, b_ref = _sklearn(X, Y, 4.0)
    rng = np.random.default_rng(1)
    W0 = 20.0 * rng.standard_normal(W_ref.shape)
    b0 = np.full(Y.shape[1], -15.0)
    W, b, info = newton_cg(X, 2.0 * Y - 1.0, W0, b0, lam=0.25, tol=1e-8)
    assert info["converged"]
    np.testing.assert_allclose(W, W_ref, atol=1e-4)
    np.testing.assert_allclose(b, b_ref, atol=1e-4)


def test_reported_gradient_is_the_gradient_of_the_returned_weights():
    X, Y = _problem(seed=5)
    n = X.shape[0]
    W, b, info = newton_cg(X, 2.0 * Y - 1.0, lam=0.25, tol=1e-5)
    gW, gb = _gradient(X, Y, W, b, 0.25)
    grad_max = max(np.abs(gW).max(), np.abs(gb).max()) / n
    assert info["converged"] and grad_max <= 1e-5
    assert grad_max == pytest.approx(info["grad_max"], rel=1e-3, abs=1e-9)


def test_converged_labels_stop_and_max_iter_is_honest():
    X, Y = _problem(seed=7)
    W, b, _ = newton_cg(X, 2.0 * Y - 1.0, lam=0.25, tol=1e-7)
    # restart at the optimum with one label perturbed: only that label iterates
    W0 = W.copy()
    W0[:, 2] = 0.0
    _, _, info = newton_cg(X, 2.0 * Y - 1.0, W0, b, lam=0.25, tol=1e-7)
    assert info["label_iterations"][2] > 0
    assert [it for k, it in enumerate(info["label_iterations"]) if k != 2] == [0, 0, 0]
    # one Newton step from zero is not the optimum, and the solver says so
    _, _, info = newton_cg(X, 2.0 * Y - 1.0, lam=0.25, tol=1e-9, max_iter=1)
    assert not info["converged"] and info["iterations"] == 1 and info["grad_max"] > 1e-9


def test_bad_input():
    X, Y = _problem(n=50, d=10, K=2)
    with pytest.raises(ConfigError, match="S must be"):
        newton_cg(X, Y, lam=1.0)  # 0/1 labels, not signs
    with pytest.raises(ConfigError, match="bad solver settings"):
        newton_cg(X, 2.0 * Y - 1.0, lam=0.0)
    with pytest.raises(ConfigError, match="sparse"):
        SparseOps(np.ones((3, 3)))
