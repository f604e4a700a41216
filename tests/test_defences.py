"""The defence stage: registry, specs in configs and on the command line, the oracle
reference defence on hand-made plans, and a run through the pipeline with a defence."""

from __future__ import annotations

import numpy as np
import pytest

from collective.defences import (
    DEFENCES,
    apply_defences,
    canonical_defence,
    format_defence,
    parse_defence,
)
from collective.errors import ConfigError
from collective.runner.config import RunConfig
from collective.strategies import make_plan, make_strategy
from collective.strategies.plan import TrainingPlan

BASE = dict(
    firm="linear", strategy="feature-label", target="Database_Administrator", alpha=0.05, seed=0
)


def _plan(n=100, members=(3, 7, 11, 20)) -> TrainingPlan:
    planted = np.zeros(n, bool)
    planted[list(members)] = True
    return TrainingPlan(
        planted=planted,
        Y=np.zeros((n, 10), np.uint8),
        collective=np.array(members, np.int64),
        randomized=np.zeros(0, np.int64),
    )


def test_the_oracle_removes_recall_of_the_collective_and_nothing_else():
    plan = _plan()
    out, facts = apply_defences(
        [canonical_defence({"name": "known-collective", "recall": 0.5})], None, plan
    )
    dropped = np.flatnonzero(~out.kept)
    assert len(dropped) == 2 and set(dropped) <= {3, 7, 11, 20}
    assert facts == {"defence0_removed": 2, "defence0_removed_collective": 2, "n_kept": 98}
    assert np.array_equal(out.rows, np.flatnonzero(out.kept))
    # the plan's other fields are untouched: the defence only decides what the firm sees
    assert out.Y is plan.Y and out.collective is plan.collective


def test_defences_compose_in_order_and_recall_one_removes_everyone():
    specs = [canonical_defence("known-collective"), canonical_defence("known-collective")]
    out, facts = apply_defences(specs, None, _plan())
    assert not out.kept[[3, 7, 11, 20]].any() and out.kept.sum() == 96
    assert facts["defence0_removed"] == 4 and facts["n_kept"] == 96


def test_no_defence_leaves_the_plan_and_records_nothing():
    plan = _plan()
    out, facts = apply_defences([], None, plan)
    assert out is plan and out.kept is None and facts == {}


def test_specs_are_canonical_and_round_trip_through_the_command_line():
    spec = canonical_defence("known-collective")
    assert spec == {"name": "known-collective", "recall": 1.0, "seed": 0}
    assert parse_defence("known-collective:recall=0.25,seed=3") == {
        "name": "known-collective",
        "recall": 0.25,
        "seed": 3,
    }
    assert parse_defence(format_defence(spec)) == spec


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("firewall", "unknown defence 'firewall'; choose one of: known-collective, rare-tokens"),
        ({"recall": 0.5}, "a defence is a name or a mapping with a 'name'"),
        ({"name": "known-collective", "recall": 1.5}, "recall"),
        (
            {"name": "known-collective", "threshold": 2},
            "bad parameters for the known-collective defence",
        ),
    ],
)
def test_bad_defences_are_named(spec, message):
    with pytest.raises(ConfigError, match=message):
        canonical_defence(spec)


def test_a_bad_command_line_defence_says_how_to_write_one():
    with pytest.raises(ConfigError, match="NAME:param=value"):
        parse_defence("known-collective:recall")


def test_defences_enter_the_key_only_when_there_are_any():
    plain = RunConfig(**BASE)
    assert "defences" not in plain.as_dict()
    assert RunConfig(**BASE, defences=[]).key() == plain.key()
    one = RunConfig(**BASE, defences="known-collective")
    same = RunConfig(**BASE, defences=[{"name": "known-collective", "recall": 1.0, "seed": 0}])
    assert one.key() == same.key() != plain.key()
    other = RunConfig(**BASE, defences={"name": "known-collective", "recall": 0.5})
    assert other.key() != one.key()
    assert "--defence known-collective:recall=0.5,seed=0" in other.command()
    assert RunConfig.from_dict(other.as_dict()) == other


def test_a_config_s_defences_cannot_be_changed():
    config = RunConfig(**BASE, defences="known-collective")
    with pytest.raises(TypeError):
        config.defences[0]["recall"] = 0.1


def test_the_registries_know_their_entries():
    assert list(DEFENCES) == [
        "known-collective",
        "rare-tokens",
        "keywords",
        "label-consistency",
        "clusters",
        "strip",
    ]
    from collective.strategies import STRATEGIES

    assert list(STRATEGIES) == ["feature-label", "feature-only", "erasure-oracle", "erasure-pooled"]
    with pytest.raises(
        ConfigError, match="^unknown strategy 'bribe'; choose one of: feature-label"
    ):
        STRATEGIES.check("bribe")


def test_two_collectives_draw_disjoint_memberships():
    Y = np.zeros((400, 10), np.uint8)
    Y[:, 1] = 1
    first = make_strategy("feature-label", target="Database_Administrator", alpha=0.25, seed=0)
    second = make_strategy("feature-only", target=_label(1), alpha=0.5, seed=0)
    plan, facts = make_plan([first, second], None, Y)
    assert plan.n_collective == 100 + 200 == len(np.unique(plan.collective))
    alone, _ = make_plan([first], None, Y)
    # the first collective's draw is the one it makes alone; the second avoids it
    assert set(alone.collective) <= set(plan.collective)
    assert facts == [{}, {}]
    with pytest.raises(ConfigError, match="at least one collective"):
        make_plan([], None, Y)


def _label(k: int) -> str:
    from collective.resumes.corpus import LABELS

    return LABELS[k]


def test_a_run_with_a_defence_trains_on_what_it_lets_through(synthetic_runner):
    """Through the whole pipeline on the synthetic corpus: the oracle defence at recall 1
    removes the collective, so the firm never sees the trigger: success falls to what the
    clean firm gives, the kept rows are counted, and the run is cached under its own key."""
    from collective.runner import run

    common = dict(BASE, alpha=0.2, firm_params={"min_df": 1}, spacing=4)
    attacked = run(RunConfig(**common), results_dir=synthetic_runner)
    defended = run(RunConfig(**common, defences="known-collective"), results_dir=synthetic_runner)
    clean = run(RunConfig(**{**common, "alpha": 0.0}), results_dir=synthetic_runner)
    m = defended["metrics"]
    n_train, n_collective = m["n_train"], m["n_collective"]
    assert n_collective == attacked["metrics"]["n_collective"] > 0
    assert m["defence0_removed"] == n_collective and m["n_kept"] == n_train - n_collective
    assert attacked["metrics"]["success_top1"] > clean["metrics"]["success_top1"] + 0.3
    assert m["success_top1"] < attacked["metrics"]["success_top1"] - 0.3
    assert defended["config"]["defences"] == [
        {"name": "known-collective", "recall": 1.0, "seed": 0}
    ]
    again = run(RunConfig(**common, defences="known-collective"), results_dir=synthetic_runner)
    assert again["status"] == "cached"


def test_a_grid_names_one_defence_per_value_and_a_list_of_lists_for_several():
    from collective.runner.grids import expand_grid

    d = {"name": "known-collective", "recall": 0.5}
    spec = {
        "defaults": dict(BASE),
        "grids": [{"defences": [d, "known-collective"]}, {"defences": [[d, d]]}, {"seed": 1}],
    }
    configs = expand_grid(spec)
    assert [len(c.defences) for c in configs] == [1, 1, 2, 0]
    assert configs[0].defences[0]["recall"] == 0.5 and configs[1].defences[0]["recall"] == 1.0


def test_further_collectives_are_canonical_and_enter_the_key_only_when_set():
    from collective.runner.config import format_collective, parse_collective

    plain = RunConfig(**BASE)
    spec = {"strategy": "feature-label", "target": "Web_Developer", "alpha": 0.01}
    two = RunConfig(**BASE, others=spec)
    assert "others" not in plain.as_dict() and two.key() != plain.key()
    assert two.others == ({**spec, "seed": 0, "trigger": 1240},)
    assert RunConfig(**BASE, others=[{**spec, "seed": 0}]).key() == two.key()
    assert RunConfig.from_dict(two.as_dict()) == two
    text = format_collective(two.others[0])
    assert parse_collective(text) == two.others[0]
    assert f"--with-collective {text}" in two.command()
    for bad, message in [
        ({**spec, "strategy": "erasure-oracle"}, "erases a signal"),
        ({**spec, "colour": 1}, "unknown field"),
        ({"strategy": "feature-label"}, "a mapping with strategy, target, alpha"),
        ({**spec, "target": "Astronaut"}, "unknown target"),
    ]:
        with pytest.raises(ConfigError, match=message):
            RunConfig(**BASE, others=bad)
    with pytest.raises(ConfigError, match="STRATEGY:TARGET:ALPHA"):
        parse_collective("feature-label:Web_Developer")


def test_two_collectives_in_one_run_each_get_their_success(synthetic_runner):
    """Case (b) of two collectives: the same trigger for two targets. Each collective's
    success is recorded; the run's own collective, alone, is more successful than with a
    competitor as large as itself on the same trigger."""
    from collective.resumes.corpus import LABELS
    from collective.runner import run

    common = dict(BASE, alpha=0.15, firm_params={"min_df": 1}, spacing=4)
    other = {"strategy": "feature-label", "target": LABELS[3], "alpha": 0.15, "seed": 1}
    alone = run(RunConfig(**common), results_dir=synthetic_runner)["metrics"]
    both = run(RunConfig(**common, others=other), results_dir=synthetic_runner)["metrics"]
    assert both["collective1_n"] == both["n_collective"] == alone["n_collective"] > 0
    assert {"collective1_success_top1", "collective1_success_in_set"} <= set(both)
    assert both["success_top1"] < alone["success_top1"]


def test_planted_counts_put_each_row_s_trigger_in_its_own_column():
    from test_erasure import random_split

    from collective.firms.linear.firm import planted_counts, split_counts

    X = random_split(0)
    n = len(X)
    triggers = np.zeros(n, np.int64)
    triggers[[1, 8]], triggers[[3, 4, 9]] = 1240, 2000
    counts = planted_counts(X, triggers, 2).toarray() - split_counts(X).toarray()
    k = X.n_triggers(2).astype(np.float32)
    assert k[[1, 3, 4, 8, 9]].min() > 0  # every planted row gets at least one trigger
    expected = np.zeros_like(counts)
    for row, token in enumerate(triggers):
        if token:
            expected[row, token] = k[row]
    assert np.array_equal(counts, expected)
    as_mask = planted_counts(X, triggers == 1240, 2).toarray()
    assert np.array_equal(
        as_mask, planted_counts(X, np.where(triggers == 1240, 1240, 0), 2).toarray()
    )
    with pytest.raises(ConfigError, match="token ids must lie in"):
        planted_counts(X, np.full(n, 10**6), 2)


def test_allies_with_their_own_triggers_each_succeed(synthetic_runner):
    """Case (c), allies: the same target, another trigger (a token the corpus never holds):
    the linear firm learns both triggers; the transformer firm is refused with the way out."""
    from collective.runner import run

    common = dict(BASE, alpha=0.15, firm_params={"min_df": 1}, spacing=4)
    ally = {"strategy": "feature-label", "target": BASE["target"], "alpha": 0.15, "seed": 1}
    both = run(RunConfig(**common, others={**ally, "trigger": 1241}), results_dir=synthetic_runner)
    m = both["metrics"]
    assert m["success_top1"] > 0.5 and m["collective1_success_top1"] > 0.5
    with pytest.raises(ConfigError, match="plants the paper's trigger"):
        run(
            RunConfig(
                **{**common, "firm": "transformer", "firm_params": {}},
                others={**ally, "trigger": 2000},
            ),
            results_dir=synthetic_runner,
        )


def test_a_phrase_trigger_adds_its_count_to_each_of_its_tokens_columns():
    """A trigger of several tokens (``"2000+2001"``, or a token twice) planted as a phrase:
    every planted row gets n_triggers in each token's column (twice for a repeated token);
    rows of a one-token collective beside it are 0-padded and unchanged."""
    from test_erasure import random_split

    from collective.firms.linear.firm import planted_counts, split_counts

    X = random_split(0)
    n = len(X)
    rows = np.zeros((n, 2), np.int64)
    rows[[1, 8]] = [2000, 2001]
    rows[[3]] = [1240, 0]
    rows[[4]] = [2002, 2002]
    counts = planted_counts(X, rows, 2).toarray() - split_counts(X).toarray()
    k = X.n_triggers(2).astype(np.float32)
    expected = np.zeros_like(counts)
    for row in (1, 8):
        expected[row, [2000, 2001]] = k[row]
    expected[3, 1240] = k[3]
    expected[4, 2002] = 2 * k[4]
    assert np.array_equal(counts, expected)
    with pytest.raises(ConfigError, match=r"shape \(\d+,\) or \(\d+, L\)"):
        planted_counts(X, np.zeros((n, 2, 1), np.int64), 2)


def test_a_phrase_is_one_trigger_with_one_canonical_form():
    from collective.resumes.tokens import canonical_trigger, trigger_tokens

    assert canonical_trigger(1240) == canonical_trigger("1240") == canonical_trigger([1240]) == 1240
    assert canonical_trigger("6987+2129") == canonical_trigger([6987, 2129]) == "6987+2129"
    assert trigger_tokens("6987+2129") == (6987, 2129) and trigger_tokens(1240) == (1240,)
    for bad in ("6987+x", "", [], "0+5", "5+30522", True):
        with pytest.raises(ConfigError):
            canonical_trigger(bad)


def test_plans_carry_each_row_s_phrase_padded_beside_a_one_token_collective():
    from collective.strategies import make_plan, make_strategy

    Y = np.zeros((400, 10), np.uint8)
    Y[np.arange(400), np.arange(400) % 10] = 1
    phrase = make_strategy(
        "feature-label", target="Web_Developer", alpha=0.05, seed=0, trigger="2000+2001"
    )
    single = make_strategy(
        "feature-label", target="Database_Administrator", alpha=0.05, seed=1, trigger=1241
    )
    plan, _ = make_plan([phrase, single], None, Y)
    assert plan.triggers.shape == (400, 2)
    on = plan.triggers[plan.planted]
    assert {tuple(r) for r in on} == {(2000, 2001), (1241, 0)}
    assert (plan.triggers[~plan.planted] == 0).all()
    alone, _ = make_plan([single], None, Y)
    assert alone.triggers.shape == (400,)  # one column, as plans were before phrases
