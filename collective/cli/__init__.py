"""The ``collective`` command line (also ``python -m collective``): one module per command.

Heavy libraries (torch, transformers, datasets) are imported inside the commands, so
``collective --help`` answers at once.
"""

from __future__ import annotations

import argparse
import sys
import warnings
from collections.abc import Sequence

from collective import __version__
from collective.cli import bundle, data, estimates, kv_cache, results, run, sweep
from collective.errors import CollectiveError
from collective.runner.provenance import git_commit

COMMANDS = (data, run, sweep, results, estimates, bundle, kv_cache)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="collective",
        description="Algorithmic collective action in machine learning: "
        "the resume corpus, experiments and sweeps of the book.",
    )
    parser.add_argument("--version", action="version", version=f"collective {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for command in COMMANDS:
        command.register(commands)
    return parser


def _format_warning(message, category, filename, lineno, line=None) -> str:
    """Warnings as the command line shows them: one line, no source excerpt."""
    return f"collective: warning: {message}\n"


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    # Read once now (cached): a long sweep's records name the commit this process imported,
    # even if the checkout moves on while it runs.
    git_commit()
    shown = warnings.formatwarning
    warnings.formatwarning = _format_warning
    try:
        return int(args.func(args) or 0)
    except CollectiveError as err:
        print(f"collective: error: {err}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("collective: interrupted; finished results are kept in the cache.", file=sys.stderr)
        return 130
    finally:
        warnings.formatwarning = shown


__all__ = ["build_parser", "main"]
