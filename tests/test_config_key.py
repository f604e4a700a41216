"""The run's cache key (collective.runner.config.RunConfig.key).

Every field of a config and every firm parameter that changes what is learned must change the
key, or two different experiments would share one cached result; speed-only parameters must not
change it, or equal experiments would be recomputed. A pinned key and the committed records
make an accidental change of the key fail here instead of silently orphaning the results in
``data/results``.
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest

from collective.firms import FIRMS, canonical_params
from collective.runner.config import RunConfig

BASE = dict(
    firm="linear", strategy="feature-label", target="Database_Administrator", alpha=0.05, seed=0
)

#: A different, valid value for each field of RunConfig (firm_params: see the next tests).
OTHER_FIELD_VALUES = {
    "firm": "transformer",
    "strategy": "feature-only",
    "target": "Java_Developer",
    "alpha": 0.06,
    "seed": 1,
    "spacing": 19,
    "random_labels": 0.1,
    "max_train": 1000,
    "firm_params": {"C": 2.0},
    "signal": "pronouns",  # only with an erasure strategy: test_signal_changes_the_key_only_when_set
    "defences": {"name": "known-collective", "recall": 0.5},
    "others": {"strategy": "feature-only", "target": "Web_Developer", "alpha": 0.01},
    "trigger": 2000,
}

#: Fields that cannot change alone (they need another field changed with them): tested apart.
TESTED_APART = {"signal"}

#: Different valid values for string- or None-valued firm parameters (numbers and booleans get
#: one from their default).
OTHER_PARAM_VALUES = {
    "model": "distilbert-base-uncased",
    "precision": "fp32",
    "device": "cpu",
    "frozen_dtype": "float32",
    "frozen_cache": "/tmp/elsewhere",
    "train_layers": 2,
    "threads": 3,
    "max_iter": 10,
    "checkpoint_epochs": "1,3",
}

#: Parameters valid only together with others.
REQUIRES = {"freeze_kv": {"train_layers": 1}}


def _other(name: str, default):
    if name in OTHER_PARAM_VALUES:
        return OTHER_PARAM_VALUES[name]
    if isinstance(default, bool):
        return not default
    if isinstance(default, int):
        return default + 1
    if isinstance(default, float):
        return default * 2
    raise AssertionError(
        f"firm parameter {name!r} (default {default!r}) needs a different valid value in "
        "OTHER_PARAM_VALUES of tests/test_config_key.py"
    )


def test_every_config_field_changes_the_key():
    base = RunConfig(**BASE)
    fields = {f.name for f in dataclasses.fields(RunConfig)}
    assert fields == set(OTHER_FIELD_VALUES), (
        "a new RunConfig field needs a value in OTHER_FIELD_VALUES"
    )
    for name, value in OTHER_FIELD_VALUES.items():
        if name in TESTED_APART:
            continue
        changed = RunConfig(**{**BASE, name: value})
        assert getattr(changed, name) != getattr(base, name)
        assert changed.key() != base.key(), f"changing {name} leaves the key unchanged"


FIRM_PARAMS = [
    (firm, f) for firm, cls in ((name, e.params) for name, e in FIRMS.items()) for f in cls.fields()
]


@pytest.mark.parametrize(
    ("firm", "field"), FIRM_PARAMS, ids=[f"{firm}.{f.name}" for firm, f in FIRM_PARAMS]
)
def test_key_parameters_change_the_key_and_speed_parameters_do_not(firm, field):
    needs = REQUIRES.get(field.name, {})
    base = RunConfig(**{**BASE, "firm": firm, "firm_params": dict(needs)})
    value = _other(field.name, field.default)
    changed = RunConfig(**{**BASE, "firm": firm, "firm_params": {**needs, field.name: value}})
    if field.metadata.get("speed"):
        assert field.name not in changed.firm_params
        assert changed.key() == base.key(), f"speed parameter {firm}.{field.name} changes the key"
    else:
        assert changed.firm_params[field.name] == value
        assert changed.key() != base.key(), (
            f"{firm}.{field.name} changes what is learned but not the key"
        )


def test_every_firm_has_key_parameters_and_the_declarations_are_complete():
    for firm, cls in ((name, e.params) for name, e in FIRMS.items()):
        assert cls.firm == firm
        assert cls.key_names(), f"the {firm} firm has no key parameters"
        canonical = canonical_params(firm, {})
        # a parameter added after results were cached is in the key only when set
        late = {f.name for f in cls.fields() if f.metadata.get("key_when_set")}
        assert set(canonical) == set(cls.key_names()) - late


def test_run_seed_is_the_default_firm_seed():
    # The transformer firm seeds its head with the run's seed unless told otherwise.
    a = RunConfig(**{**BASE, "firm": "transformer", "seed": 3})
    assert a.firm_params["seed"] == 3
    b = RunConfig(**{**BASE, "firm": "transformer", "seed": 3, "firm_params": {"seed": 0}})
    assert b.firm_params["seed"] == 0 and a.key() != b.key()


def test_equal_experiments_have_equal_keys():
    a = RunConfig(**BASE)
    b = RunConfig(
        **{**BASE, "spacing": 20, "random_labels": 0.0, "firm_params": {"C": 4.0, "cache": False}}
    )
    assert a.key() == b.key() and hash(a) == hash(b)
    assert RunConfig.from_dict(a.as_dict()).key() == a.key()


# The keys of these configs are pinned: the committed results in data/results are looked up by
# them. If a change of the key is intended, bump RUNNER_VERSION and recompute the results.
PINNED = [
    (
        BASE,
        "1613521bf4e2114a2a71",
    ),  # the converged linear firm (max_iter None, tol 1e-6: the defaults)
    (
        {**BASE, "firm_params": {"max_iter": 10, "tol": 1e-5}},
        "b4f04d4cbecf7df136c4",
    ),  # the first version's firm
    (
        dict(
            firm="transformer",
            strategy="feature-only",
            target="Java_Developer",
            alpha=0.01,
            seed=1,
            max_train=1000,
            firm_params={"train_layers": 1},
        ),
        "3a5bc5c46af53287fa38",
    ),
    (
        dict(
            firm="linear",
            strategy="erasure-pooled",
            target="Java_Developer",  # erasure uses no target: canonicalised to the first label
            alpha=0.02,
            seed=0,
            signal="network",
            firm_params={"tol": 1e-5},
        ),
        "f5c6e7001f6df82b1623",
    ),  # a committed erasure record (data/results/linear.jsonl)
]


@pytest.mark.parametrize(("config", "key"), PINNED)
def test_pinned_keys(config, key):
    assert RunConfig(**config).key() == key


def test_committed_results_are_found_under_their_keys():
    results = Path(__file__).resolve().parents[1] / "data" / "results"
    files = sorted(results.glob("*.jsonl"))
    if not files:
        pytest.skip(f"no committed results in {results}")
    n = 0
    for path in files:
        with open(path) as fh:
            for line_no, line in enumerate(fh, start=1):
                if not line.strip():
                    continue
                record = json.loads(line)
                key = RunConfig.from_dict(record["config"]).key()
                assert key == record["key"], f"{path.name}:{line_no}: its config now has key {key}"
                n += 1
    assert n > 0


def test_signal_changes_the_key_only_when_set():
    from collective.errors import ConfigError

    erasure = {**BASE, "strategy": "erasure-oracle"}
    a = RunConfig(**erasure, signal="pronouns")
    b = RunConfig(**erasure, signal="network")
    assert a.key() != b.key()
    assert (
        a.key() != RunConfig(**{**erasure, "strategy": "erasure-pooled"}, signal="pronouns").key()
    )
    # unset, it is not in the stored config, so the keys of earlier records stay (PINNED)
    assert "signal" not in RunConfig(**BASE).as_dict() and a.as_dict()["signal"] == "pronouns"
    assert RunConfig.from_dict(a.as_dict()).key() == a.key()
    # the erasure strategies use no target: equal experiments share a key
    assert RunConfig(**{**erasure, "target": "Java_Developer"}, signal="pronouns").key() == a.key()
    with pytest.raises(ConfigError, match="needs a signal"):
        RunConfig(**erasure)
    with pytest.raises(ConfigError, match="only used by the erasure strategies"):
        RunConfig(**BASE, signal="pronouns")
    with pytest.raises(ConfigError, match="unknown signal"):
        RunConfig(**erasure, signal="bogus")


def test_hash_follows_the_key():
    a, b = RunConfig(**BASE), RunConfig(**{**BASE, "seed": 1})
    assert hash(a) == hash(RunConfig(**BASE)) and hash(a) != hash(b)
    assert len({a, b, RunConfig(**BASE)}) == 2


def test_from_dict_names_unknown_fields():
    from collective.errors import ConfigError

    with pytest.raises(
        ConfigError,
        match=r"unknown config field\(s\) \['bogus'\]; known: \['alpha', 'defences', 'firm', ",
    ):
        RunConfig.from_dict({**BASE, "bogus": 1})


def test_numpy_and_int_spellings_of_the_same_experiment_have_the_same_key():
    import numpy as np

    base = RunConfig(**{**BASE, "alpha": 1.0, "max_train": 100})
    same = RunConfig(
        **{
            **BASE,
            "alpha": 1,
            "seed": np.int64(0),
            "spacing": np.int64(20),
            "random_labels": 0,
            "max_train": np.int64(100),
        }
    )
    assert same.key() == base.key()
    assert type(same.alpha) is float and type(same.seed) is int and type(same.spacing) is int
    assert type(same.random_labels) is float and type(same.max_train) is int
    # a path for a speed-only parameter is fine (and leaves the key alone)
    transformer = RunConfig(**{**BASE, "firm": "transformer"})
    with_path = RunConfig(
        **{**BASE, "firm": "transformer", "firm_params": {"frozen_cache": Path("/tmp/x")}}
    )
    assert with_path.key() == transformer.key()


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"seed": 1.5}, r"seed must be an integer >= 0, got 1\.5"),
        ({"seed": True}, r"seed must be an integer >= 0, got True"),
        ({"seed": "3"}, r"seed must be an integer >= 0, got '3'"),
        ({"seed": -1}, r"seed must be an integer >= 0, got -1"),
        ({"max_train": 1}, r"max_train must be an integer >= 2, got 1"),
        ({"max_train": 10.0}, r"max_train must be an integer >= 2, got 10\.0"),
        ({"firm": "oracle"}, r"unknown firm 'oracle'; choose one of: linear, transformer"),
        ({"firm_params": [("C", 1.0)]}, r"firm_params must be a mapping, got list"),
        ({"firm_params": {"gamma": 1}}, r"unknown parameter\(s\) \['gamma'\] for the linear firm"),
    ],
)
def test_bad_configs_name_the_field(change, message):
    from collective.errors import ConfigError

    with pytest.raises(ConfigError, match=message):
        RunConfig(**{**BASE, **change})


def test_smallest_training_subset_is_two():
    assert RunConfig(**{**BASE, "max_train": 2}).max_train == 2


def test_command_by_hand():
    assert RunConfig(**BASE).command() == (
        "collective run --firm linear --strategy feature-label --target Database_Administrator "
        "--alpha 0.05 --seed 0 --spacing 20"
    )
    config = RunConfig(
        **{
            **BASE,
            "random_labels": 0.1,
            "max_train": 1000,
            "spacing": 7,
            "firm_params": {"C": 2.0, "min_df": 5, "warm_start": False},
        }
    )
    assert config.command() == (
        "collective run --firm linear --strategy feature-label --target Database_Administrator "
        "--alpha 0.05 --seed 0 --spacing 7 --random-labels 0.1 --max-train 1000 "
        "--firm-param C=2.0 --firm-param warm_start=false"
    )
    erasure = {
        **BASE,
        "strategy": "erasure-pooled",
        "target": "Java_Developer",
        "signal": "network",
    }
    assert RunConfig(**erasure).command() == (
        "collective run --firm linear --strategy erasure-pooled --target Database_Administrator "
        "--alpha 0.05 --seed 0 --spacing 20 --signal network"
    )
    # the transformer's seed defaults to the run's: only a different one is spelled out
    base = {**BASE, "firm": "transformer", "seed": 3}
    assert "--firm-param" not in RunConfig(**base).command()
    assert (
        RunConfig(**{**base, "firm_params": {"seed": 0, "model": "m"}})
        .command()
        .endswith('--seed 3 --spacing 20 --firm-param model="m" --firm-param seed=0')
    )


class _Captured(Exception):
    pass


@pytest.mark.parametrize(
    "config",
    [
        BASE,
        {
            **BASE,
            "random_labels": 0.1,
            "max_train": 1000,
            "spacing": 7,
            "firm_params": {"C": 2.0, "warm_start": False},
        },
        {**BASE, "firm": "transformer", "seed": 3},
        {**BASE, "firm": "transformer", "seed": 3, "firm_params": {"seed": 0}},
        {
            **BASE,
            "firm": "transformer",
            "seed": 0,
            "firm_params": {"seed": 5, "train_layers": 1, "epochs": 2.5},
        },
        {**BASE, "strategy": "feature-only", "alpha": 0.0123456, "seed": 2},
        {**BASE, "alpha": 1 / 3, "random_labels": 2 / 3},  # more digits than %g prints
        {**BASE, "strategy": "erasure-oracle", "signal": "pronouns", "seed": 4},
    ],
)
def test_command_computes_the_same_experiment(config, monkeypatch):
    # The printed command, parsed by the real command line, gives a config with the same key.
    import shlex

    import collective.runner
    from collective.cli import main

    def capture(config, **_):
        raise _Captured(config)

    monkeypatch.setattr(collective.runner, "run", capture)
    original = RunConfig(**config)
    argv = shlex.split(original.command())
    assert argv[:2] == ["collective", "run"]
    with pytest.raises(_Captured) as caught:
        main(argv[1:])
    parsed = caught.value.args[0]
    assert parsed.key() == original.key(), (
        original.command(),
        parsed.as_dict(),
        original.as_dict(),
    )


# ----------------------------------------------------------------------------- booleans (issue 22)

BOOL_PARAMS = [
    (firm, f.name)
    for firm, cls in ((name, e.params) for name, e in FIRMS.items())
    for f in cls.fields()
    if f.type in (bool, "bool")
]


@pytest.mark.parametrize(("firm", "name"), BOOL_PARAMS, ids=[f"{f}.{n}" for f, n in BOOL_PARAMS])
@pytest.mark.parametrize("spelling", ["False", "false", "FALSE", " false ", "0", 0, False])
def test_a_bool_given_as_false_text_is_false_and_lands_on_its_key(firm, name, spelling):
    needs = REQUIRES.get(name, {})
    cls = FIRMS[firm].params
    as_text = RunConfig(**{**BASE, "firm": firm, "firm_params": {**needs, name: spelling}})
    as_bool = RunConfig(**{**BASE, "firm": firm, "firm_params": {**needs, name: False}})
    assert as_text.key() == as_bool.key()
    values = cls(**{**needs, name: spelling})
    values.validate()
    assert getattr(values, name) is False


@pytest.mark.parametrize(("firm", "name"), BOOL_PARAMS, ids=[f"{f}.{n}" for f, n in BOOL_PARAMS])
@pytest.mark.parametrize("spelling", ["maybe", "no", "yes", "2", 2, "", "Falsey", None, 0.5])
def test_a_bool_that_is_neither_true_nor_false_is_refused(firm, name, spelling):
    from collective.errors import ConfigError

    needs = REQUIRES.get(name, {})
    with pytest.raises(ConfigError, match=f"{name} must be true or false"):
        RunConfig(**{**BASE, "firm": firm, "firm_params": {**needs, name: spelling}})


def test_warm_start_false_given_as_text_runs_cold():
    """``--firm-param warm_start=False`` once ran with warm start, on the default's key."""
    cold = RunConfig(**{**BASE, "firm_params": {"warm_start": "False"}})
    assert cold.firm_params["warm_start"] is False
    assert cold.key() != RunConfig(**BASE).key()
    from collective.firms import make_firm

    assert make_firm("linear", **{"warm_start": "False"}).params()["warm_start"] is False
