"""``collective sweep``: every config of a grid file that is not yet cached."""

from __future__ import annotations

import argparse
import json

from collective.cli.options import add_data_option, add_firm_options, add_results_option, firm_settings, parse_pairs


def _sweep(args: argparse.Namespace) -> int:
    from collective.runner import load_grid, sweep

    _, options = firm_settings(args, None)
    configs = load_grid(args.grid)
    counts = sweep(
        configs, executor=args.executor, jobs=args.jobs, results_dir=args.results, data=args.data,
        progress=not args.json, slurm_folder=args.slurm_folder,
        slurm_parameters=parse_pairs(args.slurm_param, "--slurm-param") or None, firm_options=options or None,
    )
    if args.json:
        print(json.dumps(counts))
    else:
        print(f"{args.grid}: {counts['total']} runs, {counts['cached']} already cached, {counts['computed']} computed")
    return 0


def register(commands) -> None:
    p = commands.add_parser(
        "sweep",
        help="run a grid of experiments (resumable)",
        description="Run every config of a YAML grid that is not yet in the cache, with a "
        "progress bar. Interrupted sweeps resume where they stopped.",
        epilog="examples:\n  collective sweep grids/fig2_fig3.yaml --jobs 2\n"
        "  collective sweep grids/transformer_paper.yaml --executor slurm --jobs 16 "
        "--slurm-param slurm_partition=gpu --slurm-param gpus_per_node=1",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("grid", help="grid file, e.g. grids/fig2_fig3.yaml")
    p.add_argument("--executor", choices=["local", "slurm"], default="local")
    p.add_argument("--jobs", type=int, default=1, help="parallel processes (local) or array tasks (slurm)")
    p.add_argument("--slurm-folder", default=None, help="submitit log folder")
    p.add_argument(
        "--slurm-param", action="append", metavar="KEY=VALUE",
        help="submitit parameter for the slurm executor (repeatable; VALUE as JSON), e.g. "
        "timeout_min=120, slurm_partition=gpu, gpus_per_node=1 (default: timeout_min=60, cpus_per_task=2)",
    )
    p.add_argument("--json", action="store_true", help="print the counts as JSON")
    add_results_option(p)
    add_data_option(p)
    add_firm_options(p, speed_only=True)  # a grid file fixes the parameters that change results
    p.set_defaults(func=_sweep)
