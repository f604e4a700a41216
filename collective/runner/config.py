"""One experiment of Section 5 as a value: :class:`RunConfig`, its cache key and its command.

A config names a firm, a strategy, a target class $y^*$, the collective's size $\\alpha$, a
seed, the trigger spacing, a fraction of randomized labels, the training-set size and the
firm's parameters. It is validated and canonicalised on construction (the firm's defaults are
filled in), so two configs that describe the same experiment have the same :meth:`key`.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import numpy as np

from collective.errors import ConfigError

#: Bump when what a run computes changes for the same config (evaluation, strategies): old
#: records stop matching. Records also carry the code version they were computed with.
RUNNER_VERSION = 1


@lru_cache(maxsize=64)
def _canonical_firm_params(firm: str, items: str) -> str:
    """Fill in a firm's defaults (by asking the firm) so that equal configs hash equally."""
    from collective.firms import canonical_params

    return json.dumps(canonical_params(firm, json.loads(items)), sort_keys=True, default=str)


def _check_count(name: str, value: Any, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < minimum:
        raise ConfigError(f"{name} must be an integer >= {minimum}, got {value!r}")
    return int(value)


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

    def __post_init__(self) -> None:
        from collective.firms import FIRMS
        from collective.resumes.strategies import check_random_labels, check_strategy, check_target
        from collective.resumes.tokens import check_spacing
        from collective.validation import check_alpha_run

        for f in dataclasses.fields(self):  # one value each (a grid's [[0.01]] is not one)
            value = getattr(self, f.name)
            if f.name != "firm_params" and isinstance(value, (list, tuple, dict, set, np.ndarray)):
                raise ConfigError(
                    f"{f.name} must be a single value, got {value!r} (a list inside a list in a grid?)"
                )
        if self.firm not in FIRMS:
            raise ConfigError(f"unknown firm {self.firm!r}; choose one of: {', '.join(FIRMS)}")
        check_strategy(self.strategy)
        check_target(self.target)
        from collective.resumes.strategies import check_erasure_signal, is_erasure

        object.__setattr__(self, "signal", check_erasure_signal(self.strategy, self.signal))
        if is_erasure(self.strategy):
            from collective.resumes.corpus import LABELS

            object.__setattr__(self, "target", LABELS[0])
        object.__setattr__(self, "alpha", check_alpha_run(self.alpha))
        object.__setattr__(self, "seed", _check_count("seed", self.seed, 0))
        object.__setattr__(self, "spacing", check_spacing(self.spacing))
        object.__setattr__(self, "random_labels", check_random_labels(self.random_labels))
        if self.max_train is not None:
            object.__setattr__(self, "max_train", _check_count("max_train", self.max_train, 2))
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
        return d

    def key(self) -> str:
        """Stable hash of the config (and of :data:`RUNNER_VERSION`)."""
        payload = json.dumps({"v": RUNNER_VERSION, **self.as_dict()}, sort_keys=True, default=str)
        return hashlib.sha256(payload.encode()).hexdigest()[:20]

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
        if self.max_train is not None:
            parts.append(f"--max-train {self.max_train}")
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
