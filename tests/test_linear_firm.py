"""The linear firm (TF-IDF over WordPiece ids + one-vs-rest logistic regression).

Checks: the count shortcut for planting equals inserting the trigger in the text and
re-tokenizing; the warm-started fit reaches the same solution as a fit from zero; the firm
learns the synthetic labels; Strategy 1 plants the signal (Theorem 3.3's regime: a unique
trigger, success near 1 for a modest collective).
"""

from __future__ import annotations

import numpy as np
import pytest
from _synthetic import LABEL_WORDS, synthetic_resumes

from collective.errors import ConfigError
from collective.firms import make_firm
from collective.firms.linear import LinearFirm, planted_counts, split_counts
from collective.resumes.evaluation import evaluate
from collective.resumes.strategies import apply_strategy
from collective.resumes.tokens import (
    TRIGGER_TOKEN_ID,
    plant_trigger_text,
    tokenize_texts,
)


@pytest.fixture(scope="module")
def data(tokenizer):
    names = list(LABEL_WORDS)
    rows = synthetic_resumes(700, seed=11)
    texts = [" ".join(t.split()[20:]) for t, _ in rows]
    Y = np.array([[int(n in labels) for n in names] for _, labels in rows], dtype=np.uint8)
    split = tokenize_texts(texts, tokenizer)
    return texts, Y, split


@pytest.fixture(autouse=True)
def _cache(tmp_path, monkeypatch):
    monkeypatch.setenv("COLLECTIVE_CACHE", str(tmp_path / "cache"))


def test_planted_counts_equal_retokenized_text(data, tokenizer):
    texts, _, split = data
    planted = np.zeros(len(split), dtype=bool)
    planted[::3] = True
    for spacing in (7, 20):
        shortcut = planted_counts(split, planted, spacing).toarray()
        for i in range(0, 60):
            text = plant_trigger_text(texts[i], spacing) if planted[i] else texts[i]
            ids = tokenizer(text, add_special_tokens=False)["input_ids"]
            np.testing.assert_array_equal(
                shortcut[i], np.bincount(ids, minlength=shortcut.shape[1])
            )
    assert (
        split_counts(split)[:, TRIGGER_TOKEN_ID].sum() == 0
    )  # the trigger is unused in clean text


def test_learns_the_labels(data):
    _, Y, split = data
    train, test = np.arange(500), np.arange(500, 700)
    firm = LinearFirm().fit(split.subset(train), Y[train], planted=np.zeros(500, bool), spacing=20)
    P = firm.predict_proba(split.subset(test), planted=np.zeros(200, bool), spacing=20)
    assert P.shape == (200, 10) and np.all((P >= 0) & (P <= 1))
    accuracy = np.mean((P > 0.5) == (Y[test] > 0))
    assert accuracy > 0.97, accuracy  # predicting "no label" everywhere scores about 0.82
    assert firm.fit_info["converged"]


def test_equals_scikit_learn_tfidf_and_logistic_regression(data):
    """Same model as TfidfTransformer(sublinear_tf=True) + one LogisticRegression per label."""
    from sklearn.feature_extraction.text import TfidfTransformer
    from sklearn.linear_model import LogisticRegression

    _, Y, split = data
    X, Xt = split.subset(np.arange(500)), split.subset(np.arange(500, 700))
    planted = np.zeros(500, bool)
    planted[:40] = True
    firm = LinearFirm(C=4.0, tol=1e-8).fit(X, Y[:500], planted=planted, spacing=20)
    train = planted_counts(X, planted, 20)[:, firm.columns_]
    test = planted_counts(Xt, np.ones(200, bool), 20)[:, firm.columns_]
    tf = TfidfTransformer(sublinear_tf=True).fit(train)
    reference = np.column_stack(
        [
            LogisticRegression(C=4.0, tol=1e-10, max_iter=5000)
            .fit(tf.transform(train), Y[:500, j])
            .predict_proba(tf.transform(test))[:, 1]
            for j in range(10)
        ]
    )
    np.testing.assert_allclose(
        firm.predict_proba(Xt, planted=np.ones(200, bool), spacing=20), reference, atol=2e-3
    )


def test_warm_start_reaches_the_cold_solution(data):
    _, Y, split = data
    X = split.subset(np.arange(500))
    plan = apply_strategy(
        Y[:500], strategy="feature-label", target="Web_Developer", alpha=0.04, seed=0
    )
    kwargs = dict(planted=plan.planted, spacing=20)
    cold = LinearFirm(warm_start=False, tol=1e-7).fit(X, plan.Y, **kwargs)
    warm = LinearFirm(tol=1e-7)
    warm.reference_labels = Y[:500]
    warm.fit(X, plan.Y, **kwargs)
    assert warm.fit_info["warm_start"] and not cold.fit_info["warm_start"]
    assert warm.fit_info["converged"] and cold.fit_info["converged"]
    assert warm.fit_info["solver"] == cold.fit_info["solver"] == "newton-cg"
    Xt = split.subset(np.arange(500, 700))
    for planted in (np.zeros(200, bool), np.ones(200, bool)):
        np.testing.assert_allclose(
            warm.predict_proba(Xt, planted=planted, spacing=20),
            cold.predict_proba(Xt, planted=planted, spacing=20),
            atol=2e-3,
        )


def test_default_converges_and_max_iter_is_the_approximate_firm(data):
    """The default firm reaches the tolerance and says so; max_iter=10 is the book's first,
    approximate firm (10 L-BFGS steps from the warm start, stopped before the tolerance)."""
    _, Y, split = data
    X = split.subset(np.arange(500))
    plan = apply_strategy(
        Y[:500], strategy="feature-only", target="Software_Developer", alpha=0.1, seed=2
    )
    fits = {}
    for max_iter in (None, 1):
        firm = LinearFirm(max_iter=max_iter)
        firm.reference_labels = Y[:500]
        fits[max_iter] = firm.fit(X, plan.Y, planted=plan.planted, spacing=20).fit_info
    new, old = fits[None], fits[1]
    assert new["solver"] == "newton-cg" and new["converged"] and new["grad_max"] <= 1e-6
    assert isinstance(new["iterations"], int) and new["iterations"] >= 1
    assert old["solver"] == "lbfgs" and old["iterations"] == 1
    assert old["grad_max"] > new["grad_max"] and not old["converged"]
    assert new["objective"] <= old["objective"]


def test_strategy_one_plants_the_signal(data):
    _, Y, split = data
    X, Xt = split.subset(np.arange(500)), split.subset(np.arange(500, 700))
    target = "Database_Administrator"
    success = []
    for alpha in (0.0, 0.06, 0.2):
        plan = apply_strategy(Y[:500], strategy="feature-label", target=target, alpha=alpha, seed=1)
        firm = LinearFirm()
        firm.reference_labels = Y[:500]
        firm.fit(X, plan.Y, planted=plan.planted, spacing=20)
        m = evaluate(firm, Xt, Y[500:], target=target, spacing=20)
        success.append(m["success_in_set_without_target"])
        assert firm.fit_info["trigger_in_vocabulary"] == (alpha > 0)
    assert success[0] < 0.05  # without a collective the trigger means nothing
    assert success[0] < success[1] < success[2]
    assert success[2] > 0.9, success


def test_fewer_planted_resumes_than_min_df_drop_the_trigger(data):
    _, Y, split = data
    planted = np.zeros(500, bool)
    planted[:4] = True
    firm = LinearFirm(min_df=5).fit(
        split.subset(np.arange(500)), Y[:500], planted=planted, spacing=20
    )
    assert not firm.fit_info["trigger_in_vocabulary"]


def test_params_and_registry():
    firm = make_firm("linear", C=2.0)
    assert isinstance(firm, LinearFirm)
    assert firm.params() == {
        "C": 2.0,
        "min_df": 5,
        "max_iter": None,
        "tol": 1e-6,
        "warm_start": True,
    }
    assert (
        make_firm("linear", max_iter=10).params()["max_iter"] == 10
    )  # the approximate firm, explicitly
    with pytest.raises(ConfigError, match="unknown firm 'svm'"):
        make_firm("svm")
    with pytest.raises(ConfigError, match="bad parameters for the linear firm"):
        make_firm("linear", gamma=3)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"C": 0},
        {"C": -1.0},
        {"min_df": 0},
        {"max_iter": -1},
        {"max_iter": 2.5},
        {"tol": 0},
        {"threads": 0},
    ],
)
def test_bad_parameters(kwargs, data):
    """The constructor only stores its arguments (scikit-learn's convention); a bad value is
    a ConfigError when the parameters are read (the runner's key) or the firm is fitted."""
    _, Y, split = data
    firm = LinearFirm(**kwargs)
    assert all(getattr(firm, name) == value for name, value in kwargs.items())
    with pytest.raises(ConfigError):
        firm.params()
    with pytest.raises(ConfigError):
        LinearFirm(**kwargs).fit(split, Y)


def test_predicting_before_fit_is_a_not_fitted_error(data):
    from collective.errors import NotFittedError

    _, _, split = data
    firm = LinearFirm()
    with pytest.raises(NotFittedError, match="not fitted"):
        firm.predict_proba(split)
    with pytest.raises(NotFittedError):
        _ = firm.fit_info


def test_bad_fit_input(data):
    _, Y, split = data
    X = split.subset(np.arange(10))
    with pytest.raises(ConfigError, match="planted must have shape"):
        LinearFirm().fit(X, Y[:10], planted=np.zeros(3, bool), spacing=20)
    with pytest.raises(ConfigError, match="Y must have shape"):
        LinearFirm().fit(X, Y[:9], planted=np.zeros(10, bool), spacing=20)
    from collective.errors import NotFittedError

    with pytest.raises(NotFittedError, match="not fitted"):
        LinearFirm().predict_proba(X, planted=np.zeros(10, bool), spacing=20)


@pytest.mark.parametrize("damage", ["edited", "truncated"])
def test_a_damaged_clean_fit_cache_is_refitted_with_a_warning(data, tmp_path, damage):
    """An edited clean fit was the warm start of every run; a truncated one raised
    ``BadZipFile`` on every later run (issue 22)."""
    from collective.firms.linear import firm as linear  # the module that holds the cache

    _, Y, split = data
    X = split.subset(np.arange(300))
    firm = LinearFirm(tol=1e-5)
    linear._CLEAN.clear()  # fitted afresh: onto this test's disk cache
    fit = firm._clean_fit(X, Y[:300])
    (path,) = (tmp_path / "cache" / "linear").glob("clean-*.npz")
    if damage == "edited":  # a valid file, other weights, the checksum left as it was
        np.savez(path, **{**fit, "W": fit["W"] * 2})
    else:
        path.write_bytes(path.read_bytes()[:100])
    linear._CLEAN.clear()  # a new process
    with pytest.warns(UserWarning, match=r"clean-fit cache .*clean-.*\.npz is damaged"):
        again = firm._clean_fit(X, Y[:300])
    np.testing.assert_array_equal(again["W"], fit["W"])
    linear._CLEAN.clear()
    np.testing.assert_array_equal(firm._clean_fit(X, Y[:300])["W"], fit["W"])  # rebuilt whole
