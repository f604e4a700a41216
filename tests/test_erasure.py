"""The erasure experiment on resumes: the summary map g (exact, idempotent), the strategy's
labels (oracle and pooled estimates of P0(y | g(x))), and the success f(x) = f(g(x))."""

from __future__ import annotations

import functools
import re

import numpy as np
import pandas as pd
import pytest

from collective.errors import ConfigError
from collective.firms.linear import p0_estimator
from collective.resumes.evaluation import erasure_agreement, evaluate_erasure
from collective.resumes.signals import (
    SIGNALS,
    carriers,
    erase,
    same_split,
    tau_estimate,
    word_token_ids,
)
from collective.resumes.strategies import apply_erasure, erasure_labels, p0_at_summary
from collective.resumes.tokens import TokenizedSplit


def random_split(seed: int, n: int = 30, vocab: int = 12) -> TokenizedSplit:
    """A split of random documents: random word lengths (some 0), random ids in [0, vocab)."""
    rng = np.random.default_rng(seed)
    words = rng.integers(0, 15, size=n)
    word_ntokens = rng.integers(0, 4, size=int(words.sum())).astype(np.uint16)
    word_offsets = np.concatenate([[0], np.cumsum(words)]).astype(np.int64)
    per_doc = (
        np.add.reduceat(word_ntokens.astype(np.int64), word_offsets[:-1])
        if len(word_ntokens)
        else np.zeros(n, np.int64)
    )
    per_doc = np.where(words > 0, per_doc, 0)
    token_offsets = np.concatenate([[0], np.cumsum(per_doc)]).astype(np.int64)
    token_ids = rng.integers(0, vocab, size=int(token_offsets[-1])).astype(np.uint16)
    return TokenizedSplit(token_ids, token_offsets, word_ntokens, word_offsets)


@pytest.mark.parametrize("seed", range(5))
def test_erase_deletes_exactly_the_signal_tokens_and_is_idempotent(seed):
    split = random_split(seed)
    signal = [3, 7]
    g = erase(split, signal)
    for i in range(len(split)):
        reference = [t for t in split.ids(i).tolist() if t not in signal]
        assert g.ids(i).tolist() == reference
    # word boundaries kept: same words, each lost exactly its signal tokens
    assert np.array_equal(g.word_offsets, split.word_offsets)
    assert int(g.word_ntokens.sum()) == len(g.token_ids)
    assert same_split(erase(g, signal), g)  # g(g(x)) = g(x)
    carry = carriers(split, signal)
    for i in range(len(split)):  # g(x) = x exactly off the carriers
        assert carry[i] == (len(g.ids(i)) < len(split.ids(i)))
    assert not carriers(g, signal).any()


def test_erase_rejects_bad_signals():
    split = random_split(0)
    with pytest.raises(ConfigError, match="at least one token"):
        erase(split, [])
    with pytest.raises(ConfigError, match="token ids must lie"):
        erase(split, [-1])


def test_signal_ids_are_single_tokens_of_their_words():
    for signal in SIGNALS.values():
        ids = word_token_ids(signal.words)
        assert [i for w in signal.words for i in ids[w]] == list(signal.token_ids), signal.name


def test_erase_on_real_tokenization_equals_removing_the_word_from_the_text():
    from collective.resumes.tokens import tokenize_texts

    texts = ["Senior network engineer, network design and Cisco routers", "no signal here at all"]
    without = [" ".join(w for w in t.split() if w.lower() != "network") for t in texts]
    split, reference = tokenize_texts(texts), tokenize_texts(without)
    g = erase(split, SIGNALS["network"].token_ids)
    for i in range(len(texts)):
        assert g.ids(i).tolist() == reference.ids(i).tolist()
    assert carriers(split, SIGNALS["network"].token_ids).tolist() == [True, False]


def test_erasure_labels_threshold_each_label_at_one_half():
    P = np.array([[0.9, 0.5, 0.51], [0.1, 0.2, 0.3]])
    assert erasure_labels(P).tolist() == [[1, 0, 1], [0, 0, 0]]
    assert erasure_labels(P).dtype == np.uint8  # label indicators, as the label matrix
    with pytest.raises(
        ConfigError, match=r"^P_gx must be an \(n, labels\) matrix, got shape \(2,\)$"
    ):
        erasure_labels(np.array([0.2, 0.7]))


def test_erasure_agreement_counts_equal_label_sets():
    P_x = np.array([[0.9, 0.1], [0.6, 0.7], [0.2, 0.3], [0.8, 0.4]])
    P_gx = np.array([[0.8, 0.2], [0.4, 0.7], [0.7, 0.6], [0.6, 0.45]])
    carry = np.array([True, True, True, False])
    out = erasure_agreement(P_x, P_gx, carry)
    assert out["success_in_set"] == pytest.approx(2 / 4)  # rows 0 and 3
    assert out["success_in_set_with_signal"] == pytest.approx(1 / 3)
    assert out["success_top1"] == pytest.approx(3 / 4)  # row 2 changes its argmax
    assert out["n_test_with_signal"] == 3
    same = erasure_agreement(P_x, P_x, carry)
    assert same["success_in_set"] == 1.0 and same["success_top1_with_signal"] == 1.0
    with pytest.raises(ConfigError, match="differ in shape"):
        erasure_agreement(P_x, P_gx[:2])


def _rows(*entries: dict[int, float]) -> np.ndarray:
    """(len(entries), 10) probabilities: 0.1 everywhere but the given (label: value) entries."""
    P = np.full((len(entries), 10), 0.1)
    for i, entry in enumerate(entries):
        for k, v in entry.items():
            P[i, k] = v
    return P


def test_erasure_agreement_per_label_at_the_threshold_over_the_carriers_by_hand():
    from collective.resumes.corpus import LABELS

    P_x = _rows({0: 0.9}, {0: 0.2, 1: 0.5}, {2: 0.8, 3: 0.6}, {4: 0.4})
    P_gx = _rows({0: 0.9}, {0: 0.2, 1: 0.7}, {2: 0.3, 3: 0.6}, {4: 0.5})
    # label sets: row 1 differs at label 1 (0.5 is not above 1/2), row 2 at label 2, row 3 is
    # the same (0.4 and 0.5 both out); top-1 changes only in row 2 (label 2 -> 3)
    out = erasure_agreement(P_x, P_gx, [1, 1, 0, 1])  # a 0/1 mask: rows 0, 1 and 3
    expected = {
        "success_in_set": 2 / 4,
        "success_top1": 3 / 4,
        "success_in_set_with_signal": 2 / 3,
        "success_top1_with_signal": 3 / 3,
        **{f"success_label_with_signal_{name}": 1.0 for name in LABELS},
        f"success_label_with_signal_{LABELS[1]}": 2 / 3,
        "n_test": 4,
        "n_test_with_signal": 3,
    }
    assert out == pytest.approx(expected)
    # without carry every row carries the signal
    out = erasure_agreement(P_x, P_gx)
    assert out["success_in_set_with_signal"] == 2 / 4 and out["n_test_with_signal"] == 4
    assert out[f"success_label_with_signal_{LABELS[2]}"] == 3 / 4
    with pytest.raises(
        ConfigError, match=r"carry must be a boolean mask of length 4, got shape \(2,\)"
    ):
        erasure_agreement(P_x, P_gx, [True, False])


def test_erasure_agreement_of_no_rows_is_nan_without_a_warning():
    import warnings

    P = _rows({0: 0.9}, {1: 0.7})
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # numpy warns on the mean of an empty slice
        out = erasure_agreement(P, P, np.zeros(2, bool))
        empty = erasure_agreement(np.zeros((0, 10)), np.zeros((0, 10)))
    assert out["success_in_set"] == 1.0 and out["n_test_with_signal"] == 0
    assert np.isnan(out["success_in_set_with_signal"]) and np.isnan(out["success_top1_with_signal"])
    assert all(np.isnan(v) for k, v in empty.items() if k.startswith("success"))
    assert empty["n_test"] == empty["n_test_with_signal"] == 0


def test_evaluate_erasure_compares_x_with_x_without_the_signal_tokens():
    """Reference: the erased documents, the carriers and the agreement, by hand from the ids."""
    X = random_split(2, n=40)
    signal = [3, 7]
    calls = []

    class Recorder:
        def predict_proba(self, X, *, planted, spacing):
            calls.append((planted, [X.ids(i).tolist() for i in range(len(X))]))
            P = np.full((len(X), 10), 0.1)
            for i in range(len(X)):
                P[i, sum(X.ids(i).tolist()) % 10] = 0.9
            return P

    Y = np.zeros((40, 10), np.uint8)
    out = evaluate_erasure(Recorder(), X, Y, token_ids=signal)
    docs = [X.ids(i).tolist() for i in range(40)]
    erased = [[t for t in d if t not in signal] for d in docs]
    assert [c[1] for c in calls] == [docs, erased]
    for planted, _ in calls:  # no document carries the trigger
        assert planted.dtype == bool and planted.shape == (40,) and not planted.any()
    carry = [any(t in signal for t in d) for d in docs]
    same = [sum(d) % 10 == sum(e) % 10 for d, e in zip(docs, erased, strict=True)]
    assert 0 < sum(carry) < 40 and not all(same)
    assert out["n_test_with_signal"] == sum(carry)
    assert out["success_in_set"] == pytest.approx(np.mean(same))
    assert out["success_in_set_with_signal"] == pytest.approx(
        np.mean([s for s, c in zip(same, carry, strict=True) if c])
    )
    with pytest.raises(
        ConfigError, match=r"probabilities \(40, 10\) do not match labels \(40, 9\)"
    ):
        evaluate_erasure(Recorder(), X, Y[:, :9], token_ids=signal)


def test_tau_is_the_mean_summed_label_change_with_an_interval():
    P_x = np.array([[0.9, 0.1], [0.5, 0.5]])
    P_gx = np.array([[0.6, 0.3], [0.5, 0.5]])
    out = tau_estimate(P_x, P_gx, n_boot=200)
    assert out["tau"] == pytest.approx((0.3 + 0.2) / 2)
    assert out["tau_low"] <= out["tau"] <= out["tau_high"]
    assert np.allclose(out["tau_label"], [0.15, 0.1])


@pytest.fixture
def ctx(synthetic_runner):
    from collective.runner.execute import load_context

    return load_context()


def test_strategy_labels_are_the_estimates_at_the_summaries(ctx):
    from collective.firms.linear import LinearFirm

    ids = SIGNALS["network"].token_ids
    X, Y = ctx.train, ctx.Y_train
    plans = {}
    for strategy in ("erasure-oracle", "erasure-pooled"):
        plan, info = apply_erasure(
            X,
            Y,
            strategy=strategy,
            signal="network",
            alpha=0.4,
            seed=1,
            make_estimator=p0_estimator,
        )
        plans[strategy] = (plan, info)
        outside = np.setdiff1d(np.arange(len(Y)), plan.collective)
        assert np.array_equal(plan.Y[outside], Y[outside])  # only the collective's labels change
        assert not plan.planted.any()  # the resumes keep their text (and the signal)
    oracle, pooled = plans["erasure-oracle"][0], plans["erasure-pooled"][0]
    assert np.array_equal(oracle.collective, pooled.collective)  # the same members
    C = oracle.collective
    # oracle: a model fitted on the whole training set, evaluated at g(x)
    model = LinearFirm(max_iter=None, warm_start=False).fit(X, Y)
    P = model.predict_proba(erase(X.subset(C), ids), planted=np.zeros(len(C), bool), spacing=20)
    assert (erasure_labels(P) == oracle.Y[C]).all(axis=1).mean() >= 0.97
    # pooled: the same model fitted on the collective's resumes only
    model = LinearFirm(max_iter=None, warm_start=False).fit(X.subset(C), Y[C])
    P = model.predict_proba(erase(X.subset(C), ids), planted=np.zeros(len(C), bool), spacing=20)
    assert np.array_equal(erasure_labels(P), pooled.Y[C])
    assert plans["erasure-oracle"][1]["estimator_n"] == len(Y)
    assert plans["erasure-pooled"][1]["estimator_n"] == len(C)
    assert 0.0 <= plans["erasure-pooled"][1]["agreement_with_oracle"] <= 1.0


def test_pooled_estimate_of_the_whole_training_set_is_the_oracle(ctx):
    rows = np.arange(len(ctx.Y_train))
    ids = SIGNALS["network"].token_ids
    P_o, _ = p0_at_summary(
        ctx.train, ctx.Y_train, rows, ids, estimate="oracle", make_estimator=p0_estimator
    )
    P_p, _ = p0_at_summary(
        ctx.train,
        ctx.Y_train,
        rows,
        ids,
        estimate="pooled",
        make_estimator=p0_estimator,
        collective=rows,
    )
    assert np.abs(P_o - P_p).max() < 1e-2
    with pytest.raises(ConfigError, match="oracle' or 'pooled"):
        p0_at_summary(
            ctx.train, ctx.Y_train, rows, ids, estimate="bogus", make_estimator=p0_estimator
        )


def _reference_labels(X, Y, fit_rows, rows, params) -> tuple[np.ndarray, int]:
    """P0(y | g(x)) > 1/2 at ``rows`` from a linear firm fitted from zero on ``fit_rows``, and
    the iterations of that fit."""
    from collective.firms.linear import P0_ESTIMATOR_PARAMS, LinearFirm

    model = LinearFirm(**{**P0_ESTIMATOR_PARAMS, **(params or {})}, warm_start=False)
    model.fit(X.subset(fit_rows), Y[fit_rows])
    summaries = erase(X.subset(rows), SIGNALS["network"].token_ids)
    P = model.predict_proba(summaries, planted=np.zeros(len(rows), bool), spacing=20)
    return (P > 0.5).astype(np.uint8), model.fit_info["iterations"]


@pytest.mark.parametrize("params", [None, {"C": 0.05}])
def test_erasure_plans_and_their_facts_against_separately_fitted_models(ctx, params):
    """Reference: linear firms fitted from zero on the whole training set (oracle) and on the
    collective (pooled); the collective is Strategy 1's draw; the facts are counted by hand."""
    from collective.resumes.corpus import LABELS
    from collective.resumes.strategies import apply_strategy

    X, Y = ctx.train, ctx.Y_train.astype(np.int64)  # any integer 0/1 matrix
    n = len(Y)
    plans = {
        s: apply_erasure(
            X,
            Y,
            strategy=s,
            signal="network",
            alpha=0.4,
            seed=1,
            make_estimator=functools.partial(p0_estimator, **(params or {})),
        )
        for s in ("erasure-oracle", "erasure-pooled")
    }
    C = apply_strategy(Y, strategy="feature-label", target=LABELS[0], alpha=0.4, seed=1).collective
    assert len(np.unique(C)) == round(0.4 * n)
    labels = {
        "erasure-oracle": _reference_labels(X, Y, np.arange(n), C, params)[0],
        "erasure-pooled": _reference_labels(X, Y, C, C, params)[0],
    }
    for strategy, (plan, info) in plans.items():
        assert np.array_equal(plan.collective, C) and plan.collective.dtype == np.int64
        assert plan.Y.dtype == np.uint8 and np.array_equal(plan.Y[C], labels[strategy])
        assert np.array_equal(np.delete(plan.Y, C, axis=0), np.delete(Y, C, axis=0))
        assert plan.randomized.dtype == np.int64 and plan.randomized.shape == (0,)
        assert not plan.planted.any() and plan.planted.shape == (n,)
        changed = int((labels[strategy] != Y[C]).any(axis=1).sum())
        assert info["n_relabelled"] == changed > 1
        assert info["estimator_converged"] is True
    oracle, pooled = plans["erasure-oracle"][1], plans["erasure-pooled"][1]
    # the oracle starts from the cached clean fit, which already is its answer
    assert oracle == {
        "estimator_n": n,
        "estimator_converged": True,
        "estimator_iterations": 0,
        "n_relabelled": oracle["n_relabelled"],
    }
    agreement = (labels["erasure-oracle"] == labels["erasure-pooled"]).all(axis=1).mean()
    assert 0 < agreement < 1
    assert set(pooled) == set(oracle) | {"agreement_with_oracle"}
    assert pooled["estimator_n"] == len(C) and pooled["agreement_with_oracle"] == agreement
    # the pooled estimate solves from zero, as the reference does
    assert pooled["estimator_iterations"] == _reference_labels(X, Y, C, C, params)[1] > 0


def test_erasure_plans_without_a_collective_change_nothing(ctx):
    X, Y = ctx.train, ctx.Y_train
    for strategy in ("erasure-oracle", "erasure-pooled"):
        plan, info = apply_erasure(
            X,
            Y,
            strategy=strategy,
            signal="network",
            alpha=0.0,
            seed=3,
            make_estimator=p0_estimator,
        )
        assert plan.collective.shape == (0,) and np.array_equal(plan.Y, Y)
        assert info == {"estimator_n": 0, "n_relabelled": 0}


def test_p0_at_summary_of_no_row_and_of_one_row(ctx):
    X, Y = ctx.train, ctx.Y_train
    ids = SIGNALS["network"].token_ids
    P, info = p0_at_summary(
        X, Y, np.array([], np.int64), ids, estimate="oracle", make_estimator=p0_estimator
    )
    assert P.shape == (0, 10) and info == {"estimator_n": 0}
    P, info = p0_at_summary(
        X, Y, [7], ids, estimate="pooled", make_estimator=p0_estimator, collective=np.arange(60)
    )
    assert P.shape == (1, 10) and info["estimator_n"] == 60
    assert np.array_equal(
        (P > 0.5).astype(np.uint8), _reference_labels(X, Y, np.arange(60), [7], None)[0]
    )
    with pytest.raises(ConfigError, match="^the pooled estimate needs the collective's resumes$"):
        p0_at_summary(X, Y, [7], ids, estimate="pooled", make_estimator=p0_estimator)


def test_apply_erasure_errors_name_the_problem():
    from collective.resumes.strategies import check_erasure_signal

    X, Y = random_split(0, n=30), np.zeros((30, 10), np.uint8)
    kwargs = dict(signal="network", alpha=0.2, seed=0, make_estimator=p0_estimator)
    with pytest.raises(
        ConfigError, match="^apply_erasure needs an erasure strategy, got 'feature-label'$"
    ):
        apply_erasure(X, Y, strategy="feature-label", **kwargs)
    for bad in (Y[:, :9], Y[:29], Y[:, 0]):
        with pytest.raises(
            ConfigError,
            match=rf"^Y must be a \(30, 10\) label matrix, got shape {re.escape(str(bad.shape))}$",
        ):
            apply_erasure(X, bad, strategy="erasure-oracle", **kwargs)
    with pytest.raises(
        ConfigError,
        match=f"^the erasure-pooled strategy needs a signal to erase; choose one of: {', '.join(SIGNALS)}$",
    ):
        check_erasure_signal("erasure-pooled", None)


class _Blind:
    """A firm that ignores the signal token: f(x) = f(g(x)) everywhere."""

    def __init__(self, ignore):
        self.ignore = set(ignore)

    def predict_proba(self, X, *, planted, spacing):
        out = np.zeros((len(X), 10))
        for i in range(len(X)):
            ids = [t for t in X.ids(i).tolist() if t not in self.ignore]
            out[i, (sum(ids) % 10)] = 0.9
        return out


def test_evaluate_erasure_on_a_blind_and_a_seeing_firm(ctx):
    ids = SIGNALS["network"].token_ids
    blind = evaluate_erasure(_Blind(ids), ctx.test, ctx.Y_test, token_ids=ids)
    assert blind["success_in_set"] == 1.0 and blind["success_in_set_with_signal"] == 1.0
    assert blind["n_test_with_signal"] > 0
    seeing = evaluate_erasure(_Blind([]), ctx.test, ctx.Y_test, token_ids=ids)
    assert seeing["success_in_set_with_signal"] < 1.0
    # off the carriers g(x) = x, so the only disagreements are on carriers
    n, m = seeing["n_test"], seeing["n_test_with_signal"]
    assert 1 - seeing["success_in_set"] == pytest.approx(
        (1 - seeing["success_in_set_with_signal"]) * m / n
    )


def test_run_records_an_erasure_experiment(synthetic_runner):
    from collective.runner import RunConfig, run

    config = RunConfig(
        firm="linear",
        strategy="erasure-pooled",
        target="Web_Developer",
        alpha=0.3,
        seed=0,
        signal="network",
    )
    record = run(config)
    m = record["metrics"]
    assert record["status"] == "computed" and record["config"]["signal"] == "network"
    assert 0 <= m["success_in_set_with_signal"] <= m["success_top1"] + 1
    assert m["n_collective"] == round(0.3 * m["n_train"]) and m["fit_converged"]
    # sealed like every other record: a metric edited by hand is refused on read
    from collective.runner.cache import record_checksum

    stored = {k: v for k, v in record.items() if k != "status"}
    assert stored["checksum"] == record_checksum(stored)
    assert run(config)["status"] == "cached"


def _fake_estimates(tau_all=0.01, tau_sig=0.05):
    t = lambda v: {"tau": v, "tau_low": v * 0.9, "tau_high": v * 1.1, "n": 100}  # noqa: E731
    return {
        "signals": {
            "network": {
                "tau_in_set_all": t(tau_all),
                "tau_in_set_with_signal": t(tau_sig),
                "tau_top1_all": t(tau_all),
                "tau_top1_with_signal": t(tau_sig),
            }
        }
    }


def _fake_runs():
    rows = []
    for strategy in ("erasure-oracle", "erasure-pooled"):
        for seed in (0, 1):
            for alpha in (0.0, 0.2, 0.5, 0.9):
                if alpha == 0 and strategy == "erasure-pooled":
                    continue  # in the grid once, under the oracle
                s = 0.8 + 0.2 * alpha + 0.01 * seed
                rows.append(
                    {
                        "strategy": strategy,
                        "signal": "network",
                        "seed": seed,
                        "alpha": alpha,
                        "n_train": 1000,
                        "success_in_set": s,
                        "success_in_set_with_signal": s - 0.1,
                    }
                )
    return pd.DataFrame(rows)


def test_report_copies_the_run_without_collective_and_reads_critical_masses():
    from collective.report import erasure as er
    from collective.theory import critical_mass_erasure

    frame = er.erasure_frame(_fake_runs())
    assert len(frame[(frame["estimate"] == "pooled") & (frame["alpha"] == 0)]) == 2
    table = er.critical_mass_erasure_table(frame, _fake_estimates(), s_star=0.9, n_boot=50)
    assert len(table) == 4  # 2 estimates x (all, with signal)
    row = table[
        (table["estimate"] == "oracle") & (table["measured on"] == "all test resumes")
    ].iloc[0]
    # mean curve 0.805 + 0.2 alpha reaches 0.9 at alpha = 0.475
    assert row["observed α*"] == pytest.approx(0.475)
    assert row["predicted α* (Cor. 3.8)"] == pytest.approx(float(critical_mass_erasure(0.9, 0.01)))
    fig = er.plot_erasure_success(frame, _fake_estimates(), signals=["network"])
    assert len(fig.axes) == 2


def test_firm_comparison_puts_each_firms_means_side_by_side():
    from collective.report import erasure as er

    linear = er.erasure_frame(_fake_runs())
    transformer = linear[linear["seed"] == 0].assign(
        success_in_set=lambda d: d["success_in_set"] - 0.5
    )
    table = er.firm_comparison({"linear": linear, "transformer": transformer}, "network")
    # mean over seeds 0 and 1 of 0.8 + 0.2 alpha + 0.01 seed, at alpha = 0.5
    assert table[("all test resumes", "linear")].loc[0.5, "oracle"] == pytest.approx(0.905)
    assert table[("all test resumes", "transformer")].loc[0.5, "pooled"] == pytest.approx(0.4)
    assert table[("seeds", "linear")].loc[0.9, "oracle"] == 2
    assert table[("seeds", "transformer")].loc[0.9, "oracle"] == 1
    with pytest.raises(ConfigError, match="no erasure runs for signal 'pronouns'"):
        er.firm_comparison({"linear": linear}, "pronouns")


def test_run_without_collective_joins_the_pooled_curve_only_where_pooled_runs_exist():
    from collective.report import erasure as er

    oracle_only = _fake_runs()
    oracle_only = oracle_only[oracle_only["strategy"] == "erasure-oracle"]
    frame = er.erasure_frame(oracle_only)
    assert set(frame["estimate"]) == {"oracle"}


def test_bound_check_counts_runs_below_theorem_3_7():
    from collective.report import erasure as er
    from collective.theory import erasure_bound

    frame = er.erasure_frame(_fake_runs())
    est = _fake_estimates(tau_all=0.01, tau_sig=0.05)
    table = er.bound_check_table(frame, est).set_index("measured on")
    # all resumes: success 0.8 + 0.2 a + 0.01 seed against 1 - 2(1-a)/a * 0.01, counted by hand
    runs = frame[frame["alpha"] > 0]
    bound = erasure_bound(runs["alpha"].to_numpy(), 0.01)
    expected = int((runs["success_in_set"].to_numpy() < bound).sum())
    assert table.loc["all test resumes", "runs below Theorem 3.7"] == expected > 0
    assert table.loc[
        "all test resumes", "smallest alpha where the bound is positive"
    ] == pytest.approx(0.02 / 1.02)
    assert table.loc["all test resumes", "runs"] == len(runs)
    # the bound at the largest alpha beside the mean measured there: 0.8 + 0.2 * 0.9 + 0.005
    top = runs["alpha"].max()
    assert table.loc["all test resumes", "mean success there"] == pytest.approx(
        runs.loc[runs["alpha"] == top, "success_in_set"].mean()
    )


def test_critical_mass_reading_counts_only_the_rows_that_need_a_collective():
    from collective.report import erasure as er

    table = pd.DataFrame(
        {
            "signal": ["network", "network", "network", "pronouns"],
            "measured on": ["all test resumes", "resumes with the signal"] * 2,
            "S*": [0.95, 0.9, 0.95, 0.9],
            "S(0)": [0.90, 0.70, 0.96, 0.99],
            "predicted α* (Cor. 3.8)": [0.80, 0.80, 0.5, 0.1],
            "observed α*": [0.46, float("nan"), 0.0, 0.0],
        }
    )
    text = er.critical_mass_reading(table)
    assert text == (
        '2 rows start below S* ("network" on all test resumes at S* = 0.95; "network" on '
        "resumes with the signal at S* = 0.9); in 1 of the 1 that reach S* on the grid the "
        "measured critical mass is at most the predicted one, and 1 do not reach S* on the grid"
    )
    none = table.assign(**{"S(0)": 0.99})
    assert er.critical_mass_reading(none).startswith("no curve starts below S*")


def test_apply_strategy_refuses_the_erasure_strategies():
    with pytest.raises(ConfigError, match="use apply_erasure"):
        from collective.resumes.strategies import apply_strategy

        apply_strategy(
            np.zeros((5, 10), np.uint8),
            strategy="erasure-oracle",
            target="Web_Developer",
            alpha=0.2,
            seed=0,
        )


def test_erasure_estimates_on_the_synthetic_corpus(synthetic_runner, tmp_path):
    from collective.runner.erasure_estimates import (
        compute_erasure_estimates,
        load_erasure_estimates,
        save_erasure_estimates,
    )

    est = compute_erasure_estimates(n_boot=50)
    network = est["signals"]["network"]
    assert network["n_test_with_signal"] > 0
    t = network["tau_in_set_with_signal"]
    assert 0 <= t["tau_low"] <= t["tau"] <= t["tau_high"]
    # tau over all resumes is tau over the carriers times their share (g(x) = x elsewhere)
    assert network["tau_in_set_all"]["tau"] == pytest.approx(t["tau"] * network["test_share"])
    assert est["signals"]["pronouns"]["tau_in_set_with_signal"] is None  # no pronouns in it
    assert 0 <= network["summary_reading"]["label_sets_differ_train_carriers"] <= 1
    assert network["blind_firm"]["success_in_set_with_signal"] <= 1
    save_erasure_estimates(est, tmp_path)
    assert (
        load_erasure_estimates(tmp_path)["signals"]["network"]["tau_in_set_all"]
        == network["tau_in_set_all"]
    )
