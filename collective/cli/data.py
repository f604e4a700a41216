"""``collective data``: the resume corpus."""

from __future__ import annotations

import argparse
import json
import sys

from collective.cli.options import add_data_option


def _info(args: argparse.Namespace) -> int:
    from collective.resumes.corpus import corpus_info, format_corpus_info

    info = corpus_info(args.data)
    print(json.dumps(info, indent=2) if args.json else format_corpus_info(info))
    return 0


def _summary(args: argparse.Namespace) -> int:
    from collective.resumes import summary as cs

    summary = cs.summary_from_corpus(args.data, progress=True)
    if args.write:
        print(f"wrote {cs.write_corpus_summary(summary, args.output)}")
    elif args.check:
        committed = cs.load_corpus_summary(args.output)
        if committed != summary:
            differing = sorted(
                k for k in summary.keys() | committed.keys() if summary.get(k) != committed.get(k)
            )
            print(
                f"the committed summary differs from the corpus in: {', '.join(differing)}; "
                "rewrite it with `collective data summary --write`",
                file=sys.stderr,
            )
            return 1
        print("the committed summary equals the one recomputed from the corpus")
    else:
        print(json.dumps(summary, indent=1))
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
    summary = sub.add_parser(
        "summary",
        help="aggregate statistics of the corpus for the book (data/corpus_summary.json)",
        description="Compute from the corpus the aggregate statistics the corpus chapter\n"
        "shows (counts, label frequencies, labels per resume, co-occurrence, length\n"
        "histogram; no text) and print them, write them to the committed file\n"
        "data/corpus_summary.json, or check that file against the corpus.",
        epilog="examples:\n  collective data summary --write\n  collective data summary --check --data resumes_corpus.zip",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_data_option(summary)
    mode = summary.add_mutually_exclusive_group()
    mode.add_argument("--write", action="store_true", help="write the summary file")
    mode.add_argument(
        "--check", action="store_true", help="exit 1 if the summary file differs from the corpus"
    )
    summary.add_argument(
        "--output",
        metavar="PATH",
        default=None,
        help="the summary file (default data/corpus_summary.json)",
    )
    summary.set_defaults(func=_summary)
