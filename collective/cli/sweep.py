"""``collective sweep``: every config of a grid file that is not yet cached."""

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


def _sweep(args: argparse.Namespace) -> int:
    from collective.runner import load_grid, sweep
    from collective.runner.sweep import plan
    from collective.validation import check_device

    _, options = firm_settings(args, None)
    data = data_source(args)
    if options.get("device") is not None:
        check_device(options["device"])
    configs = load_grid(args.grid, max_configs=args.max_configs or None)
    planned = plan(configs, args.results, data)
    if planned["note"] and not args.json:
        print(f"collective: note: {planned['note']}", file=sys.stderr)
    if args.dry_run:
        summary = {k: planned[k] for k in ("total", "cached", "to_run", "firms", "folder")}
        if args.json:
            print(json.dumps(summary))
        else:
            by_firm = "; ".join(
                f"{f}: {c['to_run']} of {c['total']}" for f, c in sorted(planned["firms"].items())
            )
            print(
                f"{args.grid}: {planned['total']} configs, {planned['cached']} cached, "
                f"{planned['to_run']} would run ({by_firm}); results folder {planned['folder']}"
            )
        return 0
    counts = sweep(
        configs,
        executor=args.executor,
        jobs=args.jobs,
        results_dir=planned["folder"],
        data=data,
        progress=not args.json,
        slurm_folder=args.slurm_folder,
        slurm_parameters=parse_pairs(args.slurm_param, "--slurm-param") or None,
        firm_options=options or None,
        runs_per_batch=args.runs_per_batch,
    )
    if args.json:
        print(json.dumps(counts))
    else:
        elsewhere = (
            f", {counts['elsewhere']} computed meanwhile by another sweep"
            if counts["elsewhere"]
            else ""
        )
        print(
            f"{args.grid}: {counts['total']} runs, {counts['cached']} already cached, "
            f"{counts['computed']} computed{elsewhere}; results in {planned['folder']}"
        )
    return 0


def register(commands) -> None:
    from collective.runner.grids import MAX_CONFIGS

    p = commands.add_parser(
        "sweep",
        help="run a grid of experiments (resumable)",
        description="Run every config of a YAML grid that is not yet in the cache, with a "
        "progress bar. Interrupted sweeps resume where they stopped; two sweeps that share "
        "configs compute each config once. --dry-run shows what would run.",
        epilog="examples:\n  collective sweep grids/fig2_fig3.yaml --dry-run\n"
        "  collective sweep grids/fig2_fig3.yaml --jobs 2\n"
        "  collective sweep grids/transformer_paper.yaml --executor slurm --jobs 16 "
        "--slurm-param slurm_partition=gpu --slurm-param gpus_per_node=1\n"
        "  collective sweep grids/transformer_every_layer_25k_gpu.yaml --executor batched "
        "--runs-per-batch 30 --bundle bundle/",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("grid", help="grid file, e.g. grids/fig2_fig3.yaml")
    p.add_argument(
        "--executor",
        choices=["local", "slurm", "batched"],
        default="local",
        help="local: this machine, --jobs processes; slurm: array tasks; batched: this process "
        "trains the transformer runs that can share a stacked model K at a time (only the full "
        "fine-tune, train_layers=None: the paper's firm; other runs train one at a time)",
    )
    p.add_argument(
        "--runs-per-batch",
        type=int,
        default=None,
        metavar="K",
        help="with --executor batched: runs trained at once as one model (default 16; "
        "one GPU takes about 30 MiniLM runs at 128 tokens)",
    )
    p.add_argument(
        "--jobs", type=int, default=1, help="parallel processes (local) or array tasks (slurm)"
    )
    p.add_argument(
        "--dry-run",
        action="store_true",
        help="print how many configs the grid has, are cached and would run (by firm); run nothing",
    )
    p.add_argument(
        "--max-configs",
        type=int,
        default=MAX_CONFIGS,
        help=f"refuse grids with more configs than this (default {MAX_CONFIGS:,}; 0: no limit)",
    )
    p.add_argument("--slurm-folder", default=None, help="submitit log folder")
    p.add_argument(
        "--slurm-param",
        action="append",
        metavar="KEY=VALUE",
        help="submitit parameter for the slurm executor (repeatable; VALUE as JSON), e.g. "
        "timeout_min=120, slurm_partition=gpu, gpus_per_node=1 (default: timeout_min=60, cpus_per_task=2)",
    )
    p.add_argument("--json", action="store_true", help="print the counts as JSON")
    add_results_option(p)
    add_data_option(p, bundle=True)
    add_firm_options(p, speed_only=True)  # a grid file fixes the parameters that change results
    p.set_defaults(func=_sweep)
