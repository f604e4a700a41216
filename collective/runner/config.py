"""One experiment of Section 5 as a value: :class:`RunConfig`, its cache key and its command.

A config names a firm, a strategy, a target class $y^*$, the collective's size $\\alpha$, a
seed, the trigger spacing, a fraction of randomized labels, the training-set size and the
firm's parameters. It is validated and canonicalised on construction (the firm's defaults are
filled in), so two configs that describe the same experiment have the same :meth:`key`.
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import numpy as np

from collective.errors import ConfigError
from collective.resumes.tokens import TRIGGER_TOKEN_ID, canonical_trigger
from collective.validation import check_count

#: Bump when what a run computes changes for the same config (evaluation, strategies): old
#: records stop matching. Records also carry the code version they were computed with.
RUNNER_VERSION = 1


@lru_cache(maxsize=64)
def _canonical_firm_params(firm: str, items: str) -> str:
    """Fill in a firm's defaults (by asking the firm) so that equal configs hash equally."""
    from collective.firms import canonical_params

    return json.dumps(canonical_params(firm, json.loads(items)), sort_keys=True, default=str)


def _canonical_defences(value: Any) -> tuple:
    """A config's defences as a tuple of canonical specs (see
    :func:`collective.defences.canonical_defence`): one defence (a name or a mapping) or a
    list of them, applied in order."""
    from collective.defences import canonical_defence

    if value is None:
        return ()
    if isinstance(value, (str, dict)):
        value = [value]
    if not isinstance(value, (list, tuple)):
        raise ConfigError(f"defences must be a defence or a list of them, got {value!r}")
    return tuple(_FrozenSpec(canonical_defence(spec)) for spec in value)


def _canonical_others(value: Any) -> tuple:
    """A config's further collectives as a tuple of canonical specs (strategy, target, alpha
    and seed checked; seed 0 when not given)."""
    from collective.strategies import check_target, strategy_class
    from collective.validation import check_alpha_run

    if value is None:
        return ()
    if isinstance(value, dict):
        value = [value]
    if not isinstance(value, (list, tuple)):
        raise ConfigError(f"others must be a collective or a list of them, got {value!r}")
    out = []
    for spec in value:
        if not isinstance(spec, dict) or not {"strategy", "target", "alpha"} <= set(spec):
            raise ConfigError(
                f"a further collective is a mapping with strategy, target, alpha (and seed), "
                f"got {spec!r}"
            )
        unknown = sorted(set(spec) - {"strategy", "target", "alpha", "seed", "trigger"})
        if unknown:
            raise ConfigError(f"unknown field(s) {unknown} of a further collective {spec!r}")
        if strategy_class(spec["strategy"]).needs_signal:
            raise ConfigError(
                f"further collectives plant the trigger; {spec['strategy']!r} erases a signal"
            )
        check_target(spec["target"])
        canonical = {
            "strategy": spec["strategy"],
            "target": spec["target"],
            "alpha": check_alpha_run(spec["alpha"]),
            "seed": check_count("seed", spec.get("seed", 0), 0),
            "trigger": canonical_trigger(spec.get("trigger", TRIGGER_TOKEN_ID)),
        }
        out.append(_FrozenSpec(canonical))
    return tuple(out)


def format_collective(spec: dict) -> str:
    """A further collective on the command line: ``STRATEGY:TARGET:ALPHA:SEED:TRIGGER``."""
    return f"{spec['strategy']}:{spec['target']}:{spec['alpha']!r}:{spec['seed']}:{spec['trigger']}"


def parse_collective(text: str) -> dict:
    """``STRATEGY:TARGET:ALPHA[:SEED[:TRIGGER]]`` (:func:`format_collective`) as a spec."""
    parts = text.split(":")
    if len(parts) not in (3, 4, 5):
        raise ConfigError(
            f"bad collective {text!r}: write STRATEGY:TARGET:ALPHA[:SEED[:TRIGGER]], e.g. "
            "feature-label:Web_Developer:0.01:1"
        )
    try:
        alpha = float(parts[2])
        seed = int(parts[3]) if len(parts) > 3 else 0
    except ValueError:
        raise ConfigError(f"bad collective {text!r}: ALPHA is a number, SEED an integer") from None
    trigger = canonical_trigger(parts[4]) if len(parts) > 4 else TRIGGER_TOKEN_ID
    return {
        "strategy": parts[0],
        "target": parts[1],
        "alpha": alpha,
        "seed": seed,
        "trigger": trigger,
    }


class _FrozenSpec(dict):
    """A defence spec in a frozen config: a dict that cannot be changed after construction."""

    def _refuse(self, *args: Any, **kwargs: Any) -> None:
        raise TypeError("a config's defences cannot be changed; build a new config")

    __setitem__ = __delitem__ = update = pop = popitem = clear = setdefault = _refuse  # type: ignore[assignment]


@dataclass(frozen=True)
class RunConfig:
    """One experiment. Validated and canonicalised on construction.

    ``max_train``: train on a seeded subset of this many training resumes (the same subset
    for every seed; the collective is drawn inside it); ``None`` = the whole training set.
    ``firm_params``: the firm's constructor arguments; defaults are filled in. If the firm has
    a ``seed`` parameter that is not given, the run's ``seed`` is used.
    ``signal``: the signal the erasure strategies erase (a name of
    :data:`collective.resumes.signals.SIGNALS`); required by them, ``None`` for the others.
    The erasure strategies use no target: theirs is canonicalised to the first label, so that
    equal experiments share a key. ``signal`` enters the key only when set, so the keys of
    the records computed before the field existed are unchanged.
    ``defences``: the firm's defences, applied in order between the collective's plan and the
    firm (names or ``{"name": ..., **params}`` of :data:`collective.defences.DEFENCES`,
    canonicalised with every parameter); in the key only when there are any, likewise.
    ``others``: further collectives acting at the same time, each ``{"strategy", "target",
    "alpha", "seed", "trigger"}`` (planting strategies; ``trigger`` a WordPiece token id,
    the paper's 1240 by default; memberships disjoint, drawn after the run's own
    collective, which keeps the draw it makes alone); their success is recorded as
    ``collective{i}_success_*``. In the key only when there are any.
    ``trigger``: the WordPiece token id the run's own collective plants (planting strategies;
    the paper's 1240 by default, another one for the linear firm only: a rare real word or a
    common one, to vary the signal's uniqueness $\\xi$), or several ids planted together as a
    phrase, written ``"6987+2129"`` (:func:`collective.resumes.tokens.canonical_trigger`). In the
    key only when it is not 1240, so the keys of earlier records are unchanged.
    """

    firm: str
    strategy: str
    target: str
    alpha: float
    seed: int
    spacing: int = 20
    random_labels: float = 0.0
    max_train: int | None = None
    firm_params: dict = field(default_factory=dict)
    signal: str | None = None
    defences: Any = ()  # canonicalised to a tuple of specs
    others: Any = ()  # canonicalised to a tuple of collective specs
    trigger: int | str = TRIGGER_TOKEN_ID

    def __post_init__(self) -> None:
        from collective.firms import FIRMS
        from collective.resumes.tokens import check_spacing
        from collective.strategies import check_random_labels, check_target, strategy_class
        from collective.validation import check_alpha_run

        for f in dataclasses.fields(self):  # one value each (a grid's [[0.01]] is not one)
            value = getattr(self, f.name)
            if f.name not in ("firm_params", "defences", "others") and isinstance(
                value, (list, tuple, dict, set, np.ndarray)
            ):
                hint = (
                    "; a trigger of several tokens is one value, e.g. '6987+2129'"
                    if f.name == "trigger"
                    else " (a list inside a list in a grid?)"
                )
                raise ConfigError(f"{f.name} must be a single value, got {value!r}{hint}")
        FIRMS.check(self.firm)
        strategy = strategy_class(self.strategy)
        check_target(self.target)
        object.__setattr__(self, "signal", strategy.checked_signal(self.signal))
        if strategy.needs_signal:  # no target: one canonical value, so equal runs share a key
            from collective.resumes.corpus import LABELS

            object.__setattr__(self, "target", LABELS[0])
        object.__setattr__(self, "defences", _canonical_defences(self.defences))
        object.__setattr__(self, "others", _canonical_others(self.others))
        object.__setattr__(self, "trigger", canonical_trigger(self.trigger))
        if self.trigger != TRIGGER_TOKEN_ID and not strategy.plants_trigger:
            raise ConfigError(
                f"trigger={self.trigger} is the token a planting strategy plants; the "
                f"{self.strategy} strategy plants none"
            )
        object.__setattr__(self, "alpha", check_alpha_run(self.alpha))
        object.__setattr__(self, "seed", check_count("seed", self.seed, 0))
        object.__setattr__(self, "spacing", check_spacing(self.spacing))
        object.__setattr__(self, "random_labels", check_random_labels(self.random_labels))
        if self.max_train is not None:
            object.__setattr__(self, "max_train", check_count("max_train", self.max_train, 2))
        if not isinstance(self.firm_params, dict):
            raise ConfigError(
                f"firm_params must be a mapping, got {type(self.firm_params).__name__}"
            )
        params = dict(self.firm_params)
        canonical = json.loads(
            _canonical_firm_params(self.firm, json.dumps(params, sort_keys=True, default=str))
        )
        if "seed" in canonical and "seed" not in params:
            canonical["seed"] = self.seed
        object.__setattr__(self, "firm_params", canonical)

    def as_dict(self) -> dict[str, Any]:
        """The fields as a dict (what records store and the key hashes); ``signal`` only when
        set, so that adding the field left the keys of earlier records unchanged."""
        d = dataclasses.asdict(self)
        if d.get("signal") is None:
            d.pop("signal", None)
        for name in ("defences", "others"):
            if d.get(name):
                d[name] = [dict(spec) for spec in getattr(self, name)]
            else:
                d.pop(name, None)
        if d.get("trigger") == TRIGGER_TOKEN_ID:
            d.pop("trigger")
        return d

    def key(self) -> str:
        """Stable hash of the config (and of :data:`RUNNER_VERSION`): the one formula,
        :func:`collective.runner.cache.record_key`, that also checks every record read."""
        from collective.runner.cache import record_key

        return record_key(self.as_dict(), RUNNER_VERSION)

    def __hash__(self) -> int:
        return hash(self.key())

    def command(self) -> str:
        """The ``collective run`` command that computes this config."""
        parts = [
            "collective run",
            f"--firm {self.firm}",
            f"--strategy {self.strategy}",
            f"--target {self.target}",
            f"--alpha {self.alpha!r}",  # repr: the shortest string that parses back to the same float
            f"--seed {self.seed}",
            f"--spacing {self.spacing}",
        ]
        if self.random_labels:
            parts.append(f"--random-labels {self.random_labels!r}")
        if self.signal is not None:
            parts.append(f"--signal {self.signal}")
        if self.trigger != TRIGGER_TOKEN_ID:
            parts.append(f"--trigger {self.trigger}")
        if self.max_train is not None:
            parts.append(f"--max-train {self.max_train}")
        if self.defences:
            from collective.defences import format_defence

            parts.extend(f"--defence {format_defence(spec)}" for spec in self.defences)
        parts.extend(f"--with-collective {format_collective(spec)}" for spec in self.others)
        defaults = json.loads(_canonical_firm_params(self.firm, "{}"))
        for name, value in sorted(self.firm_params.items()):
            if name == "seed":  # the firm's seed defaults to the run's, not to the declared default
                if value != self.seed:
                    parts.append(f"--firm-param seed={value}")
                continue
            if defaults.get(name) != value:
                parts.append(f"--firm-param {name}={json.dumps(value)}")
        return " ".join(parts)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> RunConfig:
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = set(d) - known
        if unknown:
            raise ConfigError(f"unknown config field(s) {sorted(unknown)}; known: {sorted(known)}")
        return cls(**d)
