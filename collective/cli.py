"""The ``collective`` command line (also ``python -m collective``).

Subcommands:

* ``collective data info [--data PATH] [--json]``: summary of the resume corpus.

Heavy libraries (torch, transformers, datasets) are imported inside the commands, so
``collective --help`` answers at once.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence

from collective import __version__
from collective.errors import CollectiveError


def _add_data_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--data",
        metavar="PATH",
        default=None,
        help="the resume corpus: a resumes_corpus.zip or its extracted folder "
        "(default: $COLLECTIVE_RESUMES, else download from florex/resume_corpus)",
    )


def _cmd_data_info(args: argparse.Namespace) -> int:
    from collective.data import corpus_info, format_corpus_info

    info = corpus_info(args.data)
    if args.json:
        print(json.dumps(info, indent=2))
    else:
        print(format_corpus_info(info))
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="collective",
        description="Algorithmic collective action in machine learning: "
        "the resume corpus, experiments and sweeps of the book.",
    )
    parser.add_argument("--version", action="version", version=f"collective {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    data = commands.add_parser("data", help="the resume corpus", description="The resume corpus.")
    data_commands = data.add_subparsers(dest="data_command", required=True, metavar="SUBCOMMAND")
    info = data_commands.add_parser(
        "info",
        help="summary of the corpus: sizes, labels, lengths, checksum",
        description="Load (and on first use parse and cache) the resume corpus and print its "
        "summary: resumes before and after preprocessing, label frequencies, words per "
        "resume, the train/test split and the archive's sha256.",
    )
    _add_data_option(info)
    info.add_argument("--json", action="store_true", help="print one JSON object")
    info.set_defaults(func=_cmd_data_info)

    # Experiment commands (run, sweep) register themselves below.
    # >>> experiment commands
    # <<< experiment commands
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except CollectiveError as err:
        print(f"collective: error: {err}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("collective: interrupted; finished results are kept in the cache.", file=sys.stderr)
        return 130


if __name__ == "__main__":
    raise SystemExit(main())
