"""Speed of the linear-firm sweep (issue 5, point 8), measured in one run.

Two numbers, both printed with how they were measured:

1. **The Figure 2 + 3 grid from an empty cache** (``grids/fig2_fig3.yaml``: 2 strategies x 3
   classes x 11 values of alpha x 5 seeds = 330 runs), tokenization and the clean fit
   included: a fresh ``$COLLECTIVE_CACHE`` (the parsed corpus is copied in, so only
   tokenizing and everything after it is timed) and a fresh results folder, then
   ``collective.runner.sweep``. Goal: under 15 minutes on 2 cores.
   ``--runs N`` times only N configs of the grid (spread over it) and extrapolates the rest
   from their mean time per run; the output says so.
2. **Per run, the runner against the naive way**: re-tokenizing the planted training text and
   the clean and planted test text and re-counting tokens in every run, then the same fit
   and evaluation (the runner's median per-run time is added to the naive preprocessing, so
   the ratio is conservative). Goal: the runner at least 5x faster per run.

The machine may be shared: the script prints the load average before and after, and the
CPU time of this process next to wall time, so contention is visible in the output.

    python benchmarks/bench_linear_sweep.py                # full grid (about 15-30 min)
    python benchmarks/bench_linear_sweep.py --runs 40      # quick, extrapolated
"""

from __future__ import annotations

import argparse
import os
import shutil
import tempfile
import time
from pathlib import Path

import numpy as np


def load_note() -> str:
    one, five, _ = os.getloadavg()
    return f"load average {one:.2f} (1 min) / {five:.2f} (5 min) on {os.cpu_count()} cores"


def naive_preprocessing(config, corpus, tokenizer) -> float:
    """Seconds a run spends the naive way *before* fitting: plant the trigger in the text,
    tokenize the training set and the clean and planted test sets, and count tokens.
    (The fit and evaluation after it are the same as the runner's, so the benchmark adds the
    runner's own per-run time to this: a conservative baseline.)"""
    from collective.resumes.strategies import apply_strategy
    from collective.resumes.tokens import plant_trigger_text, tokenize_texts

    start = time.perf_counter()
    Y = corpus.label_matrix("train")
    plan = apply_strategy(
        Y, strategy=config.strategy, target=config.target, alpha=config.alpha, seed=config.seed
    )
    texts = corpus.train["text"]
    planted_texts = [
        plant_trigger_text(t, config.spacing) if p else t for t, p in zip(texts, plan.planted)
    ]
    test = corpus.test["text"]
    for split_texts in (planted_texts, test, [plant_trigger_text(t, config.spacing) for t in test]):
        tokenize_texts(split_texts, tokenizer).counts()
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--grid", default=str(Path(__file__).resolve().parents[1] / "grids" / "fig2_fig3.yaml")
    )
    parser.add_argument(
        "--runs", type=int, default=None, help="time only this many configs and extrapolate"
    )
    parser.add_argument("--jobs", type=int, default=1)
    parser.add_argument(
        "--naive", type=int, default=2, help="configs timed the naive way (0: skip)"
    )
    args = parser.parse_args()

    from collective import runner as ex
    from collective.resumes.corpus import cache_dir, load_corpus

    print(f"before: {load_note()}")
    configs = ex.load_grid(args.grid)
    corpus = load_corpus(progress=False)  # parsed corpus from the user cache (not timed)
    src_corpus = Path(cache_dir()) / "corpus"

    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        shutil.copytree(src_corpus, tmp / "cache" / "corpus")
        os.environ["COLLECTIVE_CACHE"] = str(tmp / "cache")
        ex.clear_contexts()
        subset = configs
        if args.runs is not None and args.runs < len(configs):
            # Keep one config per (strategy, target) first, so the clean fit and the
            # tokenization are in the timed part exactly once, then spread over the grid.
            idx = np.unique(np.linspace(0, len(configs) - 1, args.runs).round().astype(int))
            subset = [configs[i] for i in idx]
        cpu0, wall0 = time.process_time(), time.perf_counter()
        t0 = time.perf_counter()
        ex.load_context(None, progress=False)  # tokenization from scratch
        t_tokenize = time.perf_counter() - t0
        t0 = time.perf_counter()
        ex.sweep(subset, jobs=args.jobs, results_dir=tmp / "results", progress=True)
        t_sweep = time.perf_counter() - t0
        cpu = time.process_time() - cpu0
        wall = time.perf_counter() - wall0
        records = ex.read_records(tmp / "results" / "linear.jsonl")
        per_run = np.array([r["provenance"]["wall_seconds"] for r in records.values()])

    total = t_tokenize + t_sweep
    print(f"\n1. grid {Path(args.grid).name}: {len(configs)} runs")
    print(f"   tokenization (train + test, from scratch): {t_tokenize:7.1f} s")
    print(
        f"   sweep of {len(subset)} runs (incl. the one-off clean fit): {t_sweep:7.1f} s "
        f"(median run {np.median(per_run):.2f} s, mean {per_run.mean():.2f} s)"
    )
    if len(subset) < len(configs):
        rest = (len(configs) - len(subset)) * np.median(per_run) / args.jobs
        total += rest
        print(
            f"   EXTRAPOLATED: + {len(configs) - len(subset)} runs x median {np.median(per_run):.2f} s "
            f"/ {args.jobs} job(s) = {rest:.0f} s"
        )
    print(
        f"   whole grid from an empty cache: {total / 60:.1f} min (goal < 15 min); "
        f"this process used {cpu:.0f} s CPU in {wall:.0f} s wall"
    )

    if args.naive:
        from collective.resumes.tokens import default_tokenizer

        tokenizer = default_tokenizer()
        sample = [c for c in subset if c.alpha > 0][: args.naive]
        runner = float(np.median(per_run))
        naive = [naive_preprocessing(c, corpus, tokenizer) + runner for c in sample]
        print(
            f"\n2. per run, {len(sample)} config(s): naive (re-tokenize + re-count, then the same fit) "
            f"{np.mean(naive):.1f} s vs runner median {runner:.2f} s -> {np.mean(naive) / runner:.1f}x faster "
            f"(goal >= 5x)"
        )
    print(f"\nafter: {load_note()}")


if __name__ == "__main__":
    main()
