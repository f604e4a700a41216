"""``collective data``: the resume corpus."""

from __future__ import annotations

import argparse
import json

from collective.cli.options import add_data_option


def _info(args: argparse.Namespace) -> int:
    from collective.resumes.corpus import corpus_info, format_corpus_info

    info = corpus_info(args.data)
    print(json.dumps(info, indent=2) if args.json else format_corpus_info(info))
    return 0


def register(commands) -> None:
    data = commands.add_parser("data", help="the resume corpus", description="The resume corpus.")
    sub = data.add_subparsers(dest="data_command", required=True, metavar="SUBCOMMAND")
    info = sub.add_parser(
        "info",
        help="summary of the corpus: sizes, labels, lengths, checksum",
        description="Load (and on first use parse and cache) the resume corpus and print its "
        "summary: resumes before and after preprocessing, label frequencies, words per "
        "resume, the train/test split and the archive's sha256.",
    )
    add_data_option(info)
    info.add_argument("--json", action="store_true", help="print one JSON object")
    info.set_defaults(func=_info)
