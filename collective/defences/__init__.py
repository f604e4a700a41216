"""The firm's defences against collectives: one class per defence, registered by name in
:data:`DEFENCES`; a run applies its defences in order (:func:`apply_defences`) between the
collectives' plan and the firm.

To add a defence: subclass :class:`~collective.defences.base.Defence` in a module of this
package (``transform``, and ``fit`` if it learns from the training data) and register it
below; configs name it in ``defences`` (``--defence NAME:param=value`` on the command line).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import Any

from collective.defences.base import Defence
from collective.errors import ConfigError
from collective.registry import Registry
from collective.strategies.plan import TrainingPlan

DEFENCES = Registry("defence")
DEFENCES.register(
    "known-collective",
    "collective.defences.oracle:KnownCollective",
    help="an oracle detector: drops a fraction `recall` of the collective's resumes (a reference point)",
)


def make_defence(spec: dict[str, Any]) -> Defence:
    """The defence a canonical spec ``{"name": ..., **params}`` describes."""
    params = {k: v for k, v in spec.items() if k != "name"}
    return DEFENCES.create(spec["name"], **params)


def canonical_defence(spec: Any) -> dict[str, Any]:
    """A defence as a config holds it: ``{"name": ..., **every parameter}`` (defaults filled
    in, so that equal defences have equal keys). ``spec``: a name, or a mapping with
    ``name`` and parameters."""
    if isinstance(spec, str):
        spec = {"name": spec}
    if not isinstance(spec, dict) or "name" not in spec:
        raise ConfigError(
            f"a defence is a name or a mapping with a 'name' and its parameters, got {spec!r}"
        )
    defence = make_defence(spec)
    return {"name": spec["name"], **dataclasses.asdict(defence)}


def parse_defence(text: str) -> dict[str, Any]:
    """A defence from the command line: ``NAME`` or ``NAME:param=value,param=value`` (values
    read as YAML scalars: ``0.5``, ``3``, ``true``)."""
    import yaml

    name, _, rest = text.partition(":")
    spec: dict[str, Any] = {"name": name.strip()}
    for item in filter(None, (part.strip() for part in rest.split(","))):
        key, eq, value = item.partition("=")
        if not eq or not key.strip():
            raise ConfigError(
                f"bad defence {text!r}: write NAME or NAME:param=value,param=value "
                f"(e.g. known-collective:recall=0.5)"
            )
        spec[key.strip()] = yaml.safe_load(value)
    return canonical_defence(spec)


def format_defence(spec: dict[str, Any]) -> str:
    """The command-line form of a canonical defence (:func:`parse_defence` reads it back)."""
    params = ",".join(f"{k}={v!r}" for k, v in spec.items() if k != "name")
    return spec["name"] + (f":{params}" if params else "")


def apply_defences(
    specs: Sequence[dict[str, Any]], X: Any, plan: TrainingPlan
) -> tuple[TrainingPlan, dict[str, Any]]:
    """The plan after each defence of ``specs`` in turn (each fitted on the plan it
    receives), and their facts for the record (``defence{i}_{fact}``, plus ``n_kept``)."""
    facts: dict[str, Any] = {}
    for i, spec in enumerate(specs):
        defence = make_defence(spec)
        plan = defence.fit_transform(X, plan)
        facts.update({f"defence{i}_{k}": v for k, v in defence.facts().items()})
    if specs:
        facts["n_kept"] = int(len(plan.rows))
    return plan, facts


__all__ = [
    "DEFENCES",
    "Defence",
    "apply_defences",
    "canonical_defence",
    "format_defence",
    "make_defence",
    "parse_defence",
]
