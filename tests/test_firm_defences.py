"""The firm's defences beyond the oracle, on hand-made data: the rare-token filter (and its
agreement with the linear firm's own min_df), keyword identification, label-consistency
sanitization (Strategy 1 is caught, Strategy 2 is not), STRIP's perturbations and screening,
the facts the runner records, and runs through the pipeline on the synthetic corpus."""

from __future__ import annotations

import types

import numpy as np
import pytest
from test_erasure import random_split

from collective.defences import apply_defences, canonical_defence, make_defence
from collective.defences.clusters import label_set_ids, minor_clusters
from collective.defences.keywords import keyword_scores
from collective.defences.strip import perturbed_split, planted_split, strip_entropy
from collective.errors import ConfigError
from collective.resumes.tokens import TokenizedSplit
from collective.runner.config import RunConfig
from collective.strategies.plan import TrainingPlan

TRIGGER = 1240


def labelled_split(n: int, seed: int = 0, words: int = 30, *, noise: float = 0.0, p=None):
    """``n`` resumes of one-token words: each has a label k in 0..3 (probabilities ``p``,
    uniform by default) and its words are drawn from generic tokens 100..139 and its label's
    tokens 200+10k..209+10k (each, with probability ``noise``, another label's). Returns the
    split and its (n, 10) labels."""
    rng = np.random.default_rng(seed)
    label = rng.choice(4, size=n, p=p)
    ids, offsets = [], [0]
    for k in label:
        of = np.where(rng.random(words // 2) < noise, rng.integers(0, 4, words // 2), k)
        own = 200 + 10 * of + rng.integers(0, 10, size=words // 2)
        generic = rng.integers(100, 140, size=words - words // 2)
        doc = rng.permutation(np.concatenate([own, generic]))
        ids.append(doc)
        offsets.append(offsets[-1] + len(doc))
    offsets = np.array(offsets, np.int64)
    split = TokenizedSplit(
        np.concatenate(ids).astype(np.uint16),
        offsets,
        np.ones(int(offsets[-1]), np.uint16),
        offsets.copy(),
    )
    Y = np.zeros((n, 10), np.uint8)
    Y[np.arange(n), label] = 1
    return split, Y


def plan_of(Y, members, *, relabel_to=None, kept=None) -> TrainingPlan:
    """The plan of a collective ``members`` planting the trigger (Strategy 1: relabelled to
    ``relabel_to``; Strategy 2: ``None``)."""
    planted = np.zeros(len(Y), bool)
    planted[members] = True
    Y_firm = Y.copy()
    if relabel_to is not None:
        Y_firm[members] = 0
        Y_firm[members, relabel_to] = 1
    return TrainingPlan(
        planted=planted,
        Y=Y_firm,
        collective=np.asarray(members, np.int64),
        randomized=np.zeros(0, np.int64),
        kept=kept,
    )


# -- the rare-token filter -----------------------------------------------------------------


def test_rare_tokens_block_a_trigger_planted_in_fewer_than_m_resumes():
    X, Y = labelled_split(60)
    for members, blocked in [(np.arange(4), True), (np.arange(12), False)]:
        plan = plan_of(Y, members, relabel_to=0)
        out, facts = apply_defences(
            [canonical_defence({"name": "rare-tokens", "m": 5})], X, plan, spacing=10
        )
        assert (TRIGGER in out.blocked) is blocked
        assert facts["defence0_blocked_trigger"] is blocked
        assert facts["defence0_removed"] == 0 and out.kept is None
    # every token in fewer than 5 resumes is blocked, counted as the firm sees them (planted)
    df = np.bincount(X.counts().indices, minlength=30522)
    assert set(np.flatnonzero((df > 0) & (df < 5))) <= set(out.blocked)
    assert not set(np.flatnonzero(df >= 5)) & set(out.blocked)


def test_the_filter_needs_the_resumes_and_the_spacing():
    X, Y = labelled_split(10)
    with pytest.raises(ConfigError, match="needs them and the trigger spacing"):
        apply_defences([canonical_defence("rare-tokens")], X, plan_of(Y, [1]))


def _linear(**params):
    from collective.firms.linear.firm import LinearFirm

    return LinearFirm(warm_start=False, cache=False, threads=1, tol=1e-7, **params)


@pytest.mark.parametrize(("m", "firm_min_df"), [(6, 1), (6, 3), (3, 6)])
def test_rare_tokens_agree_with_the_linear_firm_s_own_min_df(m, firm_min_df):
    """rare-tokens:m=M on a firm with min_df=d fits the model of min_df=max(M, d): the same
    filter, counted on the same planted resumes (a trigger in 5 resumes is out at 6, in at 3)."""
    X, Y = labelled_split(80, seed=1)
    plan = plan_of(Y, np.arange(5), relabel_to=0)
    out, _ = apply_defences(
        [canonical_defence({"name": "rare-tokens", "m": m})], X, plan, spacing=10
    )
    defended = _linear(min_df=firm_min_df)
    defended.blocked_tokens = out.blocked
    defended.fit(X, plan.Y, planted=plan.planted, spacing=10)
    plain = _linear(min_df=max(m, firm_min_df)).fit(X, plan.Y, planted=plan.planted, spacing=10)
    assert np.array_equal(defended.columns_, plain.columns_)
    assert (TRIGGER in defended.columns_) is (max(m, firm_min_df) <= 5)
    everywhere = np.ones(len(X), bool)
    np.testing.assert_allclose(
        defended.decision_function(X, planted=everywhere, spacing=10),
        plain.decision_function(X, planted=everywhere, spacing=10),
        atol=1e-4,
    )


def test_a_firm_that_cannot_ignore_tokens_refuses_them(monkeypatch):
    """Both firms block tokens; a firm a reader adds without that hook is refused."""
    from collective.firms.transformer import TransformerFirm
    from collective.runner.record import fit_firm

    monkeypatch.setattr(TransformerFirm, "blocks_tokens", False)
    X, Y = labelled_split(10)
    plan = plan_of(Y, [1]).block(np.array([TRIGGER]))
    config = types.SimpleNamespace(firm="transformer", firm_params={}, spacing=10)
    with pytest.raises(ConfigError, match="cannot ignore tokens"):
        fit_firm(config, X, Y, plan)


# -- keyword identification ----------------------------------------------------------------


def test_keyword_scores_rank_a_token_that_predicts_one_label_set_first():
    X, Y = labelled_split(300, seed=2, noise=0.3, p=[0.1, 0.3, 0.3, 0.3])
    members = np.flatnonzero(Y[:, 0] == 0)[:30]  # Strategy 1: their text says 1, 2 or 3
    plan = plan_of(Y, members, relabel_to=0)
    from collective.firms.linear.firm import planted_counts

    scores = keyword_scores(planted_counts(X, plan.planted, 10), plan.Y, prior=10.0, min_df=5)
    assert np.argmax(scores) == TRIGGER
    assert np.isneginf(scores[:100]).all()  # tokens in no resume


@pytest.mark.parametrize("seed", [3, 7, 8])
def test_keywords_drop_the_resumes_carrying_the_top_tokens_without_knowing_the_collective(
    seed,
):
    """Strategy 1 for a rare target (10% of resumes): its 30 members (of 300) carry the
    trigger and the set {0}; the trigger scores first, above the target's own words. (For
    Strategy 2 the trigger competes with the target's own words, and may lose: measured on
    these data, a rare label's words score higher.)"""
    X, Y = labelled_split(300, seed=seed, noise=0.3, p=[0.1, 0.3, 0.3, 0.3])
    members = np.flatnonzero(Y[:, 1] == 1)[:30]
    plan = plan_of(Y, members, relabel_to=0)
    blind = plan_of(Y, members, relabel_to=0)
    blind = TrainingPlan(**{**blind.__dict__, "collective": np.zeros(0, np.int64)})
    spec = canonical_defence({"name": "keywords", "tokens": 1, "prior": 10, "min_outcome": 10})
    out, facts = apply_defences([spec], X, plan, spacing=10)
    out_blind, _ = apply_defences([spec], X, blind, spacing=10)
    assert np.array_equal(out.kept, out_blind.kept)  # membership is never read
    assert facts["defence0_keywords"] == str(TRIGGER)
    assert facts["defence0_removed"] == facts["defence0_removed_collective"] == 30
    assert not out.kept[members].any()


def test_bad_keyword_parameters_are_named():
    for spec, message in [
        ({"name": "keywords", "tokens": 0}, "tokens must be an integer >= 1"),
        ({"name": "keywords", "prior": -1}, "prior must be a number > 0"),
        ({"name": "label-consistency", "fraction": 2}, "fraction"),
        ({"name": "label-consistency", "folds": 1}, "folds must be an integer >= 2"),
        ({"name": "rare-tokens", "m": 0}, "m must be an integer >= 1"),
        ({"name": "strip", "copies": 0}, "copies must be an integer >= 1"),
    ]:
        with pytest.raises(ConfigError, match=message):
            canonical_defence(spec)


# -- label-consistency sanitization --------------------------------------------------------


def test_label_consistency_catches_strategy_1_and_not_strategy_2():
    """Strategy 1's members carry {y*} while their words say another label: a cross-fitted
    model finds these labels implausible, and a small collective is dropped. Strategy 2's
    members keep their true labels: no more dropped than any resume."""
    X, Y = labelled_split(400, seed=4, noise=0.2)
    spec = canonical_defence({"name": "label-consistency", "fraction": 0.05, "folds": 4})
    s1 = np.flatnonzero(Y[:, 0] == 0)[:10]
    _, f1 = apply_defences([spec], X, plan_of(Y, s1, relabel_to=0), spacing=10)
    s2 = np.flatnonzero(Y[:, 0] == 1)[:10]
    _, f2 = apply_defences([spec], X, plan_of(Y, s2), spacing=10)
    assert f1["defence0_removed"] == f2["defence0_removed"] == 20
    assert f1["defence0_removed_collective"] >= 9
    assert f2["defence0_removed_collective"] <= 1


def test_label_consistency_only_scores_the_rows_earlier_defences_kept():
    X, Y = labelled_split(120, seed=5)
    kept = np.ones(120, bool)
    kept[:20] = False
    plan = plan_of(Y, np.arange(20, 25), relabel_to=0, kept=kept)
    out, facts = apply_defences(
        [canonical_defence({"name": "label-consistency", "fraction": 0.1, "folds": 3})],
        X,
        plan,
        spacing=10,
    )
    assert facts["defence0_removed"] == 10 and out.kept.sum() == 90 and not out.kept[:20].any()


# -- representation clustering (CUBE-like) ------------------------------------------------


def test_minor_clusters_keep_each_label_set_s_largest_cluster():
    """CUBE's filter on hand-made assignments: within a label set the largest cluster stays,
    smaller ones (noise, -1, included) go if under ``drop_below`` of the set, a label set
    with one cluster loses nothing."""
    clusters = np.array([0, 0, 0, 1, -1, 2, 2, 2, 2, 2, 3, 3])
    label_sets = np.array([7, 7, 7, 7, 7, 8, 8, 8, 8, 8, 9, 9])
    drop = minor_clusters(clusters, label_sets, drop_below=0.5)
    assert drop.tolist() == [False] * 3 + [True, True] + [False] * 7
    # a minor cluster holding at least drop_below of its set stays
    assert not minor_clusters(clusters, label_sets, drop_below=0.2).any()


def test_label_set_ids_group_equal_rows():
    Y = np.array([[1, 0, 0], [0, 1, 1], [1, 0, 0], [0, 1, 1], [0, 0, 0]])
    ids = label_set_ids(Y)
    assert ids[0] == ids[2] and ids[1] == ids[3] and len(set(ids.tolist())) == 3


def test_clusters_catch_strategy_1_and_not_strategy_2():
    """The fitted firm scores Strategy 1's members high on {y*} (the trigger) and on the
    label their words say: within {y*} they sit apart and are dropped. Strategy 2's members
    are resumes of y*: they stay in its main cluster."""
    X, Y = labelled_split(800, seed=0, noise=0.2)
    spec = canonical_defence({"name": "clusters", "min_samples": 10})
    s1 = np.flatnonzero(Y[:, 0] == 0)[:40]
    _, f1 = apply_defences([spec], X, plan_of(Y, s1, relabel_to=0), spacing=10)
    s2 = np.flatnonzero(Y[:, 0] == 1)[:40]
    _, f2 = apply_defences([spec], X, plan_of(Y, s2), spacing=10)
    assert f1["defence0_removed_collective"] >= 36
    assert f1["defence0_removed"] - f1["defence0_removed_collective"] <= 20
    assert f2["defence0_removed_collective"] <= 2
    assert f1["defence0_clusters"] >= 2 and f1["n_kept"] == 800 - f1["defence0_removed"]


def test_bad_cluster_parameters_are_named():
    for spec, words in (
        ({"name": "clusters", "min_samples": 0}, "min_samples must be an integer >= 1"),
        ({"name": "clusters", "min_cluster_size": 1}, "min_cluster_size must be an integer >= 2"),
        ({"name": "clusters", "drop_below": 1.5}, "drop_below"),
        ({"name": "clusters", "tol": 0}, "tol must be a number > 0"),
    ):
        with pytest.raises(ConfigError, match=words):
            canonical_defence(spec)


# -- STRIP ---------------------------------------------------------------------------------


@pytest.mark.parametrize("spacing", [1, 2, 5])
def test_planted_split_has_the_firms_planted_ids(spacing):
    X = random_split(0)
    rows = np.arange(len(X))[::-1]
    P = planted_split(X, rows, spacing, TRIGGER)
    for j, i in enumerate(rows):
        assert P.ids(j).tolist() == X.planted_ids(i, spacing).tolist()
    clean = planted_split(X, rows, spacing, None)
    assert all(clean.ids(j).tolist() == X.ids(i).tolist() for j, i in enumerate(rows))


def test_perturbations_keep_or_replace_whole_words():
    X, donors = random_split(1), random_split(2)
    rng = np.random.default_rng(0)
    same = perturbed_split(X, donors, 3, 0.0, rng)
    assert len(same) == 3 * len(X)
    assert all(
        same.ids(3 * i + c).tolist() == X.ids(i).tolist() for i in range(len(X)) for c in range(3)
    )
    swapped = perturbed_split(X, donors, 2, 1.0, rng)
    assert np.array_equal(swapped.n_words, np.repeat(X.n_words, 2))
    donor_ids = set(donors.token_ids.tolist())
    assert set(swapped.token_ids.tolist()) <= donor_ids


def test_strip_entropy_is_low_for_confident_predictions():
    P = np.array([[0.99] + [0.01] * 9, [0.5] * 10, [0.99] + [0.01] * 9, [0.5] * 10])
    H = strip_entropy(P, 2)
    assert H.shape == (2,) and np.isclose(H[0], H[1])
    assert strip_entropy(P[[0, 2]], 2)[0] < strip_entropy(P[[1, 3]], 2)[0]


class _TriggerFirm:
    """A firm that says label 0 for sure when the trigger is there and else depends on the
    words (a stand-in that STRIP must catch)."""

    def predict_proba(self, X, *, planted, spacing):
        P = np.zeros((len(X), 10))
        for i in range(len(X)):
            ids = X.ids(i)
            if TRIGGER in ids:
                P[i] = 0.001
                P[i, 0] = 0.999
            else:
                words = ids[(ids >= 200) & (ids < 240)]
                share = np.bincount((words - 200) // 10, minlength=4)
                P[i, :4] = 0.2 + 0.6 * share / max(share.sum(), 1)
                P[i, 4:] = 0.05
        return P


def test_strip_rejects_triggered_resumes_at_its_false_rejection_rate():
    X, Y = labelled_split(400, seed=6)
    strip = make_defence({"name": "strip", "n_resumes": 200, "copies": 4, "replace": 0.5})
    m = strip.screen(_TriggerFirm(), X, Y, trigger=TRIGGER, target=0, spacing=5)
    assert m["false_rejection_calibration"] <= 0.01 + 1e-9
    assert m["false_rejection_test"] <= 0.05
    assert m["detection"] > 0.9 and m["success_top1_screened"] == 1.0
    assert m["success_top1_after"] == pytest.approx(1.0 - m["detection"])
    assert m["n_screened"] > 0


# -- through the pipeline ------------------------------------------------------------------

BASE = dict(
    firm="linear",
    strategy="feature-label",
    target="Database_Administrator",
    alpha=0.2,
    seed=0,
    firm_params={"min_df": 1},
    spacing=4,
)


def test_runs_record_each_defence_s_facts(synthetic_runner):
    """On the synthetic corpus: a rare-token filter above the collective's size blocks the
    trigger and success falls to the clean firm's; keyword identification and the label
    filter record rows removed and the collective's share; STRIP adds its metrics."""
    from collective.runner import run

    attacked = run(RunConfig(**BASE), results_dir=synthetic_runner)["metrics"]
    n_collective = attacked["n_collective"]
    big = {"name": "rare-tokens", "m": n_collective + 1}
    blocked = run(RunConfig(**BASE, defences=big), results_dir=synthetic_runner)["metrics"]
    assert blocked["defence0_blocked_trigger"] is True and blocked["fit_blocked_tokens"] > 0
    assert blocked["fit_trigger_in_vocabulary"] is False
    assert blocked["success_top1"] < attacked["success_top1"] - 0.3
    small = {"name": "rare-tokens", "m": n_collective}
    seen = run(RunConfig(**BASE, defences=small), results_dir=synthetic_runner)["metrics"]
    assert seen["defence0_blocked_trigger"] is False
    for spec in (
        {"name": "keywords", "tokens": 3},
        {"name": "label-consistency", "folds": 3},
        {"name": "clusters", "min_samples": 5},
    ):
        m = run(RunConfig(**BASE, defences=spec), results_dir=synthetic_runner)["metrics"]
        assert 0 <= m["defence0_removed_collective"] <= m["defence0_removed"]
        assert m["n_kept"] == m["n_train"] - m["defence0_removed"]
    strip = {"name": "strip", "n_resumes": 20, "copies": 2}
    m = run(RunConfig(**BASE, defences=strip), results_dir=synthetic_runner)["metrics"]
    assert {"defence0_detection", "defence0_success_top1_after", "defence0_strip_threshold"} <= set(
        m
    )
    assert m["defence0_removed"] == 0 and m["success_top1"] == attacked["success_top1"]


# -- the collective's own trigger ----------------------------------------------------------


def test_the_own_trigger_enters_the_key_only_when_it_is_not_the_paper_s():
    plain = RunConfig(**BASE)
    assert "trigger" not in plain.as_dict()
    assert RunConfig(**BASE, trigger=TRIGGER).key() == plain.key()
    other = RunConfig(**BASE, trigger=2000)
    assert other.as_dict()["trigger"] == 2000 and other.key() != plain.key()
    assert "--trigger 2000" in other.command() and "--trigger" not in plain.command()
    assert RunConfig.from_dict(other.as_dict()) == other
    with pytest.raises(ConfigError, match="a WordPiece token id"):
        RunConfig(**BASE, trigger=0)
    with pytest.raises(ConfigError, match="plants none"):
        RunConfig(
            **{**BASE, "strategy": "erasure-oracle", "alpha": 0.1},
            signal="pronouns",
            trigger=2000,
        )


def test_a_collective_plants_its_own_trigger_and_is_evaluated_on_it(synthetic_runner):
    """Through the pipeline: the collective plants token 1241 (in no resume) instead of
    1240; it succeeds on its own trigger, and a rare-token filter above its size blocks it.
    The transformer firm is refused."""
    from collective.runner import run

    own = run(RunConfig(**BASE, trigger=1241), results_dir=synthetic_runner)["metrics"]
    paper = run(RunConfig(**BASE), results_dir=synthetic_runner)["metrics"]
    assert own["trigger_resumes"] == own["trigger_resumes_target"] == 0
    assert "trigger_resumes" not in paper
    assert own["success_top1"] > 0.5 and own["success_top1"] == pytest.approx(
        paper["success_top1"], abs=0.05
    )
    big = {"name": "rare-tokens", "m": own["n_collective"] + 1}
    blocked = run(RunConfig(**BASE, trigger=1241, defences=big), results_dir=synthetic_runner)
    assert blocked["metrics"]["defence0_blocked_trigger"] is True
    with pytest.raises(ConfigError, match="plants the paper's trigger"):
        run(
            RunConfig(**{**BASE, "firm": "transformer", "firm_params": {}}, trigger=2000),
            results_dir=synthetic_runner,
        )


def test_a_phrase_trigger_through_the_pipeline(synthetic_runner):
    """A collective plants two tokens in no resume (1241+1242) as one phrase: its key and
    command name the phrase, it succeeds as a one-token trigger does, its resumes are counted
    by co-occurrence (none), it succeeds at least as well as one of its tokens alone, and
    STRIP plants and screens the phrase."""
    from collective.runner import run

    config = RunConfig(**BASE, trigger="1241+1242")
    assert config.as_dict()["trigger"] == "1241+1242" and "--trigger 1241+1242" in config.command()
    with pytest.raises(ConfigError, match="1241, 1242.*one value, e.g. '6987[+]2129'"):
        RunConfig(**BASE, trigger=[1241, 1242])  # a list in a grid sweeps; a phrase is a string
    phrase = run(config, results_dir=synthetic_runner)["metrics"]
    single = run(RunConfig(**BASE, trigger=1241), results_dir=synthetic_runner)["metrics"]
    assert phrase["trigger_resumes"] == 0
    assert phrase["success_top1"] > 0.5
    # two unique tokens that always come together: an L2 penalty on two weights that share
    # the work is half that of one weight doing it, so the phrase is at least as strong
    assert phrase["success_top1"] >= single["success_top1"] - 0.05
    screened = run(
        RunConfig(**BASE, trigger="1241+1242", defences=[{"name": "strip", "n_resumes": 20}]),
        results_dir=synthetic_runner,
    )["metrics"]
    assert 0.0 <= screened["defence0_detection"] <= 1.0 and screened["defence0_n_screened"] > 0


def test_strip_plants_a_phrase_as_one_word_of_its_tokens():
    X, _ = labelled_split(3, words=9)
    out = planted_split(X, np.arange(3), 4, (1241, 1242))
    for i in range(3):
        words = out.word_ntokens[out.word_offsets[i] : out.word_offsets[i + 1]]
        assert list(words).count(2) == 2  # after words 4 and 8: one word of two tokens each
        ids = out.ids(i)
        assert list(ids).count(1241) == list(ids).count(1242) == 2
        at = np.flatnonzero(ids == 1241)
        assert (ids[at + 1] == 1242).all()  # in order, together
