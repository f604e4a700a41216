"""Command-line options generated from declarations, so that flags, help and defaults cannot
drift from the code they configure.

* the firms' parameters come from :mod:`collective.firms.params` (one flag per parameter,
  ``--max-length`` for ``max_length``; help and default from the declaration);
* ``--firm-param KEY=VALUE`` still sets any parameter by name (VALUE as JSON).
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import types
import typing
from typing import Any

from collective.errors import CollectiveError, ConfigError
from collective.firms import FIRMS, declared
from collective.validation import check_bool

#: Run fields that firms also take: the run's own option serves both.
SHARED_WITH_RUN = {"seed"}


def add_data_option(parser: argparse.ArgumentParser, *, bundle: bool = False) -> None:
    """``--data PATH`` (and, with ``bundle``, ``--bundle DIR``: read
    :func:`data_source`)."""
    parser.add_argument(
        "--data",
        metavar="PATH",
        default=None,
        help="the resume corpus: a resumes_corpus.zip or its extracted folder "
        "(default: $COLLECTIVE_RESUMES, else download from florex/resume_corpus)",
    )
    if bundle:
        parser.add_argument(
            "--bundle",
            metavar="DIR",
            default=None,
            help="an offline bundle written by `collective bundle` instead of the corpus: "
            "tokenized splits, labels and model weights, for a machine without network "
            "(transformer planting runs up to the bundle's max_length)",
        )


def data_source(args: argparse.Namespace) -> str | None:
    """What a command reads: ``--bundle`` (checked to be a bundle) or ``--data``."""
    bundle = getattr(args, "bundle", None)
    if bundle is None:
        return args.data
    from collective.resumes.bundle import BUNDLE_FILE, is_bundle

    if args.data is not None:
        raise CollectiveError("give --data or --bundle, not both")
    if not is_bundle(bundle):
        raise CollectiveError(
            f"--bundle {bundle}: not a bundle (no {BUNDLE_FILE} there); write one with "
            "`collective bundle DIR` on a machine with the corpus"
        )
    return bundle


def add_results_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--results",
        metavar="DIR",
        default=None,
        help="results cache folder (default: $COLLECTIVE_RESULTS, else the repository's data/results for the "
        "canonical corpus, else <cache>/results/<corpus sha256[:12]>); a folder holds results of one corpus",
    )


def _flag(name: str) -> str:
    return "--" + name.replace("_", "-")


def _parser_for(annotation: Any):
    """argparse ``type`` for a declared annotation (``int | None`` parses as int)."""
    hint = (
        annotation
        if not isinstance(annotation, str)
        else eval(annotation, vars(typing) | {"types": types})
    )  # noqa: S307
    args = [a for a in typing.get_args(hint) if a is not type(None)] or [hint]
    base = args[0]
    if base is bool:
        return _parse_bool
    return base if base in (int, float, str) else str


def _parse_bool(text: str) -> bool:
    """argparse ``type`` of a bool flag: strict (:func:`collective.validation.check_bool`)."""
    try:
        return check_bool("the value", text)
    except ConfigError as err:
        raise argparse.ArgumentTypeError(str(err)) from None


def _declared_flags(speed_only: bool) -> dict[str, list[tuple[str, dataclasses.Field]]]:
    """Parameter name -> the firms that declare it (a name two firms share is one flag)."""
    flags: dict[str, list[tuple[str, dataclasses.Field]]] = {}
    for firm in FIRMS:
        for f in declared(firm).fields():
            if f.name in SHARED_WITH_RUN or (speed_only and not f.metadata.get("speed")):
                continue
            flags.setdefault(f.name, []).append((firm, f))
    return flags


def add_firm_options(parser: argparse.ArgumentParser, *, speed_only: bool = False) -> None:
    """A flag per declared firm parameter, grouped by firm (``speed_only``: only the parameters
    that do not change what is learned, for sweeps whose grid fixes the rest)."""
    groups = {
        firm: parser.add_argument_group(
            f"{firm} firm",
            f"parameters of --firm {firm} (part of the cache key unless marked [speed])",
        )
        for firm in FIRMS
    }
    for name, owners in _declared_flags(speed_only).items():
        firm, f = owners[0]
        default = f.default if f.default is not dataclasses.MISSING else None
        suffix = " [speed]" if f.metadata.get("speed") else ""
        shared = f" (firms: {', '.join(o for o, _ in owners)})" if len(owners) > 1 else ""
        groups[firm].add_argument(
            _flag(name),
            dest=f"firm_param__{name}",
            type=_parser_for(f.type),
            default=None,
            metavar=name.upper(),
            help=f"{f.metadata['help']} (default: {default}){suffix}{shared}",
        )


def parse_pairs(pairs: list[str] | None, option: str) -> dict[str, Any]:
    """``KEY=VALUE`` pairs as a dict (VALUE parsed as JSON, else kept as a string)."""
    out: dict[str, Any] = {}
    for pair in pairs or []:
        if "=" not in pair:
            raise CollectiveError(f"{option} expects KEY=VALUE, got {pair!r}")
        key, value = pair.split("=", 1)
        try:
            out[key] = json.loads(value)
        except json.JSONDecodeError:
            out[key] = value
    return out


def firm_settings(
    args: argparse.Namespace, firm: str | None
) -> tuple[dict[str, Any], dict[str, Any]]:
    """The firm flags given on the command line, split into (cache-key parameters, speed-only
    options). A flag of another firm than ``firm`` (``None``: a sweep, any firm) is an error."""
    params: dict[str, Any] = {}
    options: dict[str, Any] = {}
    for name, owners in _declared_flags(speed_only=False).items():
        value = getattr(args, f"firm_param__{name}", None)
        if value is None:
            continue
        declared = dict(owners)
        if firm is not None and firm not in declared:
            only = " or ".join(f"--firm {o}" for o in declared)
            raise CollectiveError(f"{_flag(name)} applies to {only} only (got --firm {firm})")
        f = declared[firm] if firm is not None else owners[0][1]
        (options if f.metadata.get("speed") else params)[name] = value
    return params, options
