"""``collective run``: one experiment of Section 5 (cached)."""

from __future__ import annotations

import argparse
import json
import sys

from collective.cli.options import (
    add_data_option,
    add_firm_options,
    add_results_option,
    data_source,
    firm_settings,
    parse_pairs,
)

#: The metrics ``run --json`` prints.
SUMMARY_METRICS = (
    "success_in_set",
    "success_top1",
    "success_in_set_without_target",
    "success_top1_without_target",
    "hamming_accuracy",
    "precision",
    "recall",
    "f1",
    "n_collective",
)


def _run(args: argparse.Namespace) -> int:
    from collective.defences import parse_defence
    from collective.runner import RunConfig, run
    from collective.runner.config import parse_collective
    from collective.runner.execute import results_folder
    from collective.validation import check_device

    params, options = firm_settings(args, args.firm)
    data = data_source(args)
    config = RunConfig(
        firm=args.firm,
        strategy=args.strategy,
        target=args.target,
        alpha=args.alpha,
        seed=args.seed,
        spacing=args.spacing,
        random_labels=args.random_labels,
        max_train=args.max_train,
        signal=args.signal,
        firm_params={**parse_pairs(args.firm_param, "--firm-param"), **params},
        defences=[parse_defence(text) for text in args.defence or ()],
        others=[parse_collective(text) for text in args.with_collective or ()],
        trigger=args.trigger,
    )
    for device in (options.get("device"), config.firm_params.get("device")):
        if device is not None:
            check_device(device)
    folder, _, note = results_folder(args.results, data)
    if note:
        print(f"collective: note: {note}", file=sys.stderr)
    record = run(
        config,
        results_dir=folder,
        allow_train=not args.no_train,
        data=data,
        progress=not args.json,
        firm_options=options or None,
    )
    m, prov = record["metrics"], record["provenance"]
    if args.json:
        summary = {
            "key": record["key"],
            **record["config"],
            **{k: m[k] for k in SUMMARY_METRICS if k in m},
        }
        summary.update(
            wall_seconds=prov["wall_seconds"], device=prov["device"], cached=record["cached"]
        )
        print(json.dumps(summary))
        return 0
    print(
        f"{config.strategy} -> {config.target}, alpha={config.alpha:g} ({m['n_collective']} resumes), "
        f"seed {config.seed}, {config.firm} firm{' (cached)' if record['cached'] else ''}\n"
        f"  success in set {m['success_in_set']:.3f}, top-1 {m['success_top1']:.3f}; "
        f"clean accuracy {m['hamming_accuracy']:.3f}, precision {m['precision']:.3f}, "
        f"recall {m['recall']:.3f}; {prov['wall_seconds']:.1f} s"
    )
    return 0


def register(commands) -> None:
    from collective.defences import DEFENCES
    from collective.firms import FIRMS
    from collective.strategies import STRATEGIES

    p = commands.add_parser(
        "run",
        help="train and evaluate one experiment (cached)",
        description="One experiment of Section 5: the collective plants the trigger with a "
        "strategy, the firm trains, success is measured with the trigger in every test resume. "
        "A result already in the cache is returned without training.",
        epilog="example: collective run --firm linear --strategy feature-label "
        "--target Database_Administrator --alpha 0.005 --seed 0 --json",
    )
    p.add_argument(
        "--firm",
        choices=list(FIRMS),
        default="linear",
        help="; ".join(f"{name}: {entry.help}" for name, entry in FIRMS.items()),
    )
    p.add_argument(
        "--strategy",
        choices=list(STRATEGIES),
        required=True,
        help="; ".join(f"{name}: {entry.help}" for name, entry in STRATEGIES.items()),
    )
    p.add_argument("--target", required=True, help="target label y*, e.g. Database_Administrator")
    p.add_argument(
        "--alpha", type=float, required=True, help="collective size, fraction of the training set"
    )
    p.add_argument(
        "--seed",
        type=int,
        default=0,
        help="seeds the collective's draw (and the firm, if it has a seed)",
    )
    p.add_argument(
        "--spacing", type=int, default=20, help="trigger after every N-th word (default 20)"
    )
    p.add_argument(
        "--random-labels",
        type=float,
        default=0.0,
        help="fraction of training resumes with random labels",
    )
    p.add_argument(
        "--max-train", type=int, default=None, help="train on a seeded subset of this many resumes"
    )
    p.add_argument(
        "--signal",
        default=None,
        help="the signal the erasure strategies erase (e.g. pronouns, network)",
    )
    p.add_argument(
        "--trigger",
        default="1240",
        help="the WordPiece token id the collective plants (default 1240, the paper's; "
        "another one for the linear firm only), or ids planted together as a phrase, "
        "e.g. 6987+2129",
    )
    p.add_argument(
        "--defence",
        action="append",
        metavar="NAME[:KEY=VALUE,...]",
        help="a defence of the firm, applied before it trains (repeatable, in order); "
        + "; ".join(f"{name}: {entry.help}" for name, entry in DEFENCES.items())
        + " (e.g. known-collective:recall=0.5)",
    )
    p.add_argument(
        "--with-collective",
        action="append",
        metavar="STRATEGY:TARGET:ALPHA[:SEED[:TRIGGER]]",
        help="a further collective acting at the same time (repeatable; planting strategies, "
        "memberships disjoint; TRIGGER a WordPiece token id, 1240 by default, another one for "
        "the linear firm only); its success is recorded as collective1_success_*, ...",
    )
    p.add_argument(
        "--firm-param",
        action="append",
        metavar="KEY=VALUE",
        help="any firm parameter by name (repeatable; VALUE as JSON)",
    )
    p.add_argument(
        "--no-train", action="store_true", help="fail instead of training when not cached"
    )
    p.add_argument("--json", action="store_true", help="print one JSON object")
    add_results_option(p)
    add_data_option(p, bundle=True)
    add_firm_options(p)
    p.set_defaults(func=_run)
