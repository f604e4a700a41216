"""``collective results``: what the results cache holds, as a table, a list of what a grid
is missing, or a tidy CSV/Parquet file (one row per run)."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from collective.cli.options import add_results_option
from collective.errors import ConfigError

#: The columns a run is grouped by in the summary table (seeds are averaged).
GROUP = ["firm", "strategy", "target", "alpha", "spacing", "random_labels", "max_train"]
SHOWN_METRICS = ["success_in_set", "success_top1", "hamming_accuracy"]
EXPORT_SUFFIXES = (".csv", ".parquet")


def _filter(frame, args):
    if frame.empty:
        return frame
    keep = frame.index == frame.index
    for column, values in (
        ("firm", args.firm),
        ("strategy", args.strategy),
        ("target", args.target),
    ):
        if values:
            keep &= frame[column].isin(values)
    if args.alpha_min is not None:
        keep &= frame["alpha"] >= args.alpha_min
    if args.alpha_max is not None:
        keep &= frame["alpha"] <= args.alpha_max
    return frame[keep].reset_index(drop=True)


def _summary(frame):
    import pandas as pd

    varying = [
        c
        for c in frame.columns
        if c.startswith("param_") and c != "param_seed" and frame[c].astype(str).nunique() > 1
    ]
    frame = frame.assign(
        max_train=frame["max_train"].fillna(-1), **{c: frame[c].astype(str) for c in varying}
    )
    grouped = frame.groupby(GROUP + varying, dropna=False)
    table = grouped.agg(
        runs=("seed", "size"), **{m: (m, "mean") for m in SHOWN_METRICS if m in frame}
    )
    table = table.reset_index()
    table["max_train"] = table["max_train"].map(lambda v: "all" if v == -1 else int(v))
    with pd.option_context(
        "display.max_rows", None, "display.width", 200, "display.float_format", "{:.4f}".format
    ):
        return table.to_string(index=False)


def _results(args: argparse.Namespace) -> int:
    from collective.runner.grids import load_grid
    from collective.runner.paths import check_results_dir, default_results_dir, grid_path
    from collective.runner.results import cached_results, grid_results, read_folder

    folder = check_results_dir(Path(args.results) if args.results else default_results_dir())
    if args.seal_legacy:
        return _seal(folder)
    if args.export and Path(args.export).suffix.lower() not in EXPORT_SUFFIXES:
        raise ConfigError(f"--export writes .csv or .parquet files, got {args.export!r}")
    if args.missing and not args.grid:
        raise ConfigError("--missing needs --grid FILE: the grid whose missing runs to list")
    if args.missing:
        configs = load_grid(grid_path(args.grid))
        held = {firm: read_folder(firm, folder) for firm in {c.firm for c in configs}}
        missing = [c for c in configs if c.key() not in held[c.firm]]
        if args.json:
            print(json.dumps({"total": len(configs), "missing": [c.as_dict() for c in missing]}))
        else:
            print(f"{args.grid}: {len(missing)} of {len(configs)} configs missing from {folder}")
            for c in missing:
                print(f"  {c.command()}")
            if missing:
                print(f"compute them with: collective sweep {args.grid}")
        return 0
    if args.grid:
        frame = grid_results(args.grid, results_dir=folder, skip_missing=True, provenance=True)
    else:
        frame = cached_results(folder, firms=args.firm)
    frame = _filter(frame, args)
    if args.export:
        _export(frame, Path(args.export))
        return 0
    if args.json:
        print(frame.to_json(orient="records"))
        return 0
    if frame.empty:
        print(f"no results in {folder} match")
        return 0
    print(f"{len(frame)} runs in {folder} (metrics averaged over seeds)")
    print(_summary(frame))
    return 0


def _export(frame, out: Path) -> None:
    """Write the table to ``out`` atomically: a full disk leaves the old file, never half a
    new one."""
    from collective.errors import CollectiveError
    from collective.io import atomic_write
    from collective.runner.paths import problem_hint

    try:
        with atomic_write(out, "wb") as fh:
            if out.suffix.lower() == ".csv":
                frame.to_csv(fh, index=False)
            else:
                frame.to_parquet(fh, index=False)
    except OSError as err:
        raise CollectiveError(
            f"could not write {out}: {err.strerror or err}{problem_hint(err).replace(' with --results DIR', '')}; "
            "nothing was written"
        ) from None
    print(f"wrote {len(frame)} runs to {out}")


def _seal(folder: Path) -> int:
    """``--seal-legacy``: the one-off migration of :mod:`collective.runner.seal`."""
    from collective.runner.seal import seal_legacy

    for report in seal_legacy(folder):
        print(
            f"{report.path}: {report.sealed} records sealed now, {report.already} sealed before, "
            f"{len(report.refused)} refused (left as they are, not served)"
        )
        for lineno, what in report.refused[:10]:
            print(f"  line {lineno}: {what}")
        if len(report.refused) > 10:
            print(f"  ... and {len(report.refused) - 10} more")
    print(f"{folder} is sealed: from now on a record without a checksum is refused there")
    return 0


def register(commands) -> None:
    p = commands.add_parser(
        "results",
        help="list, check and export the results cache",
        description="What the results cache holds: a table of the cached runs (metrics averaged "
        "over seeds), optionally filtered; with --grid, the runs of a grid file; with --missing, "
        "the runs a grid still lacks; with --export, a tidy CSV or Parquet file with one row per "
        "run (config columns, firm parameters as param_*, metrics, and provenance: key, "
        "git_commit, data_sha256, timestamp, ...). Only records that pass the checks on read are "
        "shown (see collective.runner.cache).",
        epilog="examples:\n"
        "  collective results\n"
        "  collective results --firm linear --strategy feature-label --target Database_Administrator\n"
        "  collective results --alpha-min 0.001 --alpha-max 0.01\n"
        "  collective results --grid grids/fig2_fig3.yaml --missing\n"
        "  collective results --grid fig2_fig3 --export fig2.csv\n"
        "  collective results --export all_runs.parquet\n"
        "  collective results --seal-legacy   # once: checksum the records written before checksums",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    _add_filters(p)
    _add_outputs(p)
    add_results_option(p)
    p.set_defaults(func=_results)


def _add_filters(p: argparse.ArgumentParser) -> None:
    """The options that choose which runs are shown (see :func:`_filter`)."""
    from collective.firms import FIRMS
    from collective.resumes.corpus import LABELS
    from collective.strategies import STRATEGIES

    p.add_argument(
        "--firm", action="append", choices=sorted(FIRMS), help="only this firm (repeatable)"
    )
    p.add_argument(
        "--strategy",
        action="append",
        choices=list(STRATEGIES),
        help="only this strategy (repeatable)",
    )
    p.add_argument(
        "--target",
        action="append",
        choices=list(LABELS),
        metavar="LABEL",
        help="only this target y* (repeatable)",
    )
    p.add_argument("--alpha-min", type=float, default=None, help="only runs with alpha >= this")
    p.add_argument("--alpha-max", type=float, default=None, help="only runs with alpha <= this")
    p.add_argument(
        "--grid",
        metavar="FILE",
        default=None,
        help="only the runs of this grid file (or a book grid's name)",
    )


def _add_outputs(p: argparse.ArgumentParser) -> None:
    """The options that say what is printed or written."""
    p.add_argument(
        "--missing",
        action="store_true",
        help="list the runs of --grid that are not cached, with their commands",
    )
    p.add_argument(
        "--export",
        metavar="OUT",
        default=None,
        help="write one row per run to OUT (.csv or .parquet)",
    )
    p.add_argument("--json", action="store_true", help="print the runs as a JSON array")
    p.add_argument(
        "--seal-legacy",
        action="store_true",
        help="once per results folder: check every record written before records carried a "
        "checksum (key, metrics, rates, corpus), give each good one its checksum, and refuse "
        "records without one from then on",
    )
