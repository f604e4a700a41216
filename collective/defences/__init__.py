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
DEFENCES.register(
    "rare-tokens",
    "collective.defences.vocabulary:RareTokens",
    help="a vocabulary filter: ignores tokens in fewer than `m` training resumes, at fit and test time",
)
DEFENCES.register(
    "keywords",
    "collective.defences.keywords:KeywordIdentification",
    help="backdoor keyword identification (BKI-like): drops the training resumes carrying the "
    "`tokens` tokens whose presence most predicts a label or label set",
)
DEFENCES.register(
    "label-consistency",
    "collective.defences.consistency:LabelConsistency",
    help="label sanitization: drops the `fraction` of training resumes whose labels a "
    "cross-fitted linear firm finds least plausible",
)
DEFENCES.register(
    "clusters",
    "collective.defences.clusters:RepresentationClusters",
    help="representation clustering (CUBE-like): drops the training resumes outside their label "
    "set's predominant HDBSCAN cluster of a fitted linear firm's decision scores",
)
DEFENCES.register(
    "strip",
    "collective.defences.strip:Strip",
    help="test-time detection (STRIP-like): rejects inputs whose prediction is unusually stable "
    "when words are replaced (threshold: `false_rejection` of clean held-out resumes)",
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
    specs: Sequence[dict[str, Any]], X: Any, plan: TrainingPlan, *, spacing: int | None = None
) -> tuple[TrainingPlan, dict[str, Any]]:
    """The plan after each defence of ``specs`` in turn (each fitted on the plan it
    receives; ``spacing``: the trigger's, so that a defence sees the resumes as the firm
    will), and their facts for the record: ``defence{i}_{fact}`` (the defence's own), then,
    counted here afterwards since no defence may read the membership,
    ``defence{i}_removed`` (rows it dropped), ``defence{i}_removed_collective`` (of which
    the collectives'), ``defence{i}_blocked`` (tokens it blocked that occur in the firm's
    training resumes) and ``defence{i}_blocked_trigger`` (whether it blocked a collective's
    trigger), plus ``n_kept``."""
    import numpy as np

    facts: dict[str, Any] = {}
    if spacing is not None:
        plan = dataclasses.replace(plan, spacing=spacing)
    from collective.firms.base import check_trigger_rows

    triggers = np.unique(check_trigger_rows(plan.firm_planted, len(plan.Y))[plan.collective])
    triggers = triggers[triggers > 0]  # 0 pads a shorter trigger beside a phrase
    members = np.zeros(len(plan.Y), bool)
    members[plan.collective] = True
    for i, spec in enumerate(specs):
        defence = make_defence(spec)
        before = plan
        plan = defence.fit_transform(X, plan)
        facts.update({f"defence{i}_{k}": v for k, v in defence.facts().items()})
        dropped = _kept(before) & ~_kept(plan)
        facts[f"defence{i}_removed"] = int(dropped.sum())
        facts[f"defence{i}_removed_collective"] = int((dropped & members).sum())
        new = np.setdiff1d(_blocked(plan), _blocked(before))
        if len(new):
            facts[f"defence{i}_blocked"] = _occurring(new, X, before)
            facts[f"defence{i}_blocked_trigger"] = bool(np.isin(triggers, new).any())
    if specs:
        facts["n_kept"] = int(len(plan.rows))
    return plan, facts


def _kept(plan: TrainingPlan) -> Any:
    import numpy as np

    return np.ones(len(plan.Y), bool) if plan.kept is None else plan.kept


def _blocked(plan: TrainingPlan) -> Any:
    import numpy as np

    return np.zeros(0, np.int64) if plan.blocked is None else plan.blocked


def _occurring(tokens: Any, X: Any, plan: TrainingPlan) -> int:
    """How many of ``tokens`` occur in the plan's kept training resumes (as planted)."""
    import numpy as np

    from collective.defences.base import seen_counts

    if X is None or plan.spacing is None:
        return int(len(tokens))
    counts = seen_counts(X, plan)
    df = np.bincount(counts.indices, minlength=max(counts.shape[1], int(np.max(tokens)) + 1))
    return int((df[tokens] > 0).sum())


def screen_metrics(
    specs: Sequence[dict[str, Any]],
    firm: Any,
    X_test: Any,
    Y_test: Any,
    *,
    trigger: int | Sequence[int],
    target: int,
    spacing: int,
) -> dict[str, Any]:
    """The test-time defences' metrics (``defence{i}_{metric}``) against the fitted firm."""
    out: dict[str, Any] = {}
    for i, spec in enumerate(specs):
        defence = make_defence(spec)
        if defence.screens:
            metrics = defence.screen(
                firm, X_test, Y_test, trigger=trigger, target=target, spacing=spacing
            )
            out.update({f"defence{i}_{k}": v for k, v in metrics.items()})
    return out


__all__ = [
    "DEFENCES",
    "Defence",
    "apply_defences",
    "canonical_defence",
    "format_defence",
    "make_defence",
    "parse_defence",
    "screen_metrics",
]
