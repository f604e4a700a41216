"""One GPU session of the every-layer firm's grids under a deadline: what a 15-minute device
lease can train, chosen by measuring, with every finished batch's records kept.

The paper's own firm (every layer of MiniLM-L6 fine-tuned with the Trainer's defaults, 128
tokens, 5 epochs) runs here as the batched executor runs it (``collective sweep --executor
batched``: K runs as one stacked model, :mod:`collective.runner.batched`), through the same
results cache, so each record has the key and form of a CPU run's. In order:

1. **The 2,000-resume grid** (``grids/transformer_every_layer.yaml``): every run missing from
   ``--results``, as one batch (1,250 steps each: a minute or so). It also checks the whole
   path (training, evaluation, sealed records) before the long batch.
2. **Timing**: seconds per step of the stacked model at K = 1, ``--k-low`` and ``--k-high``
   on the 25,000 training resumes (``--timing-steps`` steps after a warm-up); written to
   ``$OUT/timing.json``.
3. **The 25,000-resume grid** (``grids/transformer_every_layer_25k.yaml``, in its order: seed
   0 of both strategies first): the longest prefix of its missing runs whose one batch
   (15,625 steps, plus each run's evaluation as measured in step 1) the measured step times
   say ends ``--margin`` before the deadline. A batch that cannot end in time is not started.

After each batch the results file is copied to ``$OUT`` (what is there comes back even when
the command is stopped at its limit); merge its new lines into ``data/results`` with
``collective results``' checks on read.

    python benchmarks/gpu_session.py --bundle .gpu/bundle --results data/results \\
        --out $OUT --deadline 540
    python benchmarks/gpu_session.py --bundle tiny-bundle --results /tmp/r --out /tmp/o \\
        --scale tiny --deadline 600          # the CPU twin (tests/test_gpu_session.py)
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
GRID_2K = ROOT / "grids" / "transformer_every_layer.yaml"
GRID_25K = ROOT / "grids" / "transformer_every_layer_25k.yaml"


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)


def tiny(configs):
    """The CPU twin's scale: each run shrunk (24 training resumes, 16 tokens, one epoch, a trigger every 4 words);
    keys change with it, so the twin never meets a real record."""
    import dataclasses

    return [
        dataclasses.replace(
            c, max_train=24, spacing=4, firm_params={**c.firm_params, "max_length": 16, "epochs": 1}
        )
        for c in configs
    ]


def missing(configs, results: Path, sha: str) -> list:
    from collective.runner.cache import read_records

    have = read_records(results / "transformer.jsonl", sha, report=False)
    return [c for c in configs if c.key() not in have]


def fit_seconds(s_low: float, s_high: float, k_low: int, k_high: int, k: int) -> float:
    """Seconds per step at ``k`` runs: linear between the two measured points, never below
    the measured K=``k_low`` time (a batch of fewer runs is not faster per step than the
    launch-bound small one); beyond ``k_high`` extrapolated along the same line."""
    slope = (s_high - s_low) / (k_high - k_low)
    return max(s_low, s_low + slope * (k - k_low))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--bundle", required=True, help="the offline bundle (collective bundle)")
    parser.add_argument("--results", required=True, type=Path, help="the results folder")
    parser.add_argument("--out", required=True, type=Path, help="where copies and logs go")
    parser.add_argument("--deadline", type=float, required=True, help="seconds from start")
    parser.add_argument("--margin", type=float, default=0.15, help="share of the time kept free")
    parser.add_argument("--k-low", type=int, default=11)
    parser.add_argument("--k-high", type=int, default=25)
    parser.add_argument("--timing-steps", type=int, default=20)
    parser.add_argument("--scale", choices=("full", "tiny"), default="full")
    parser.add_argument("--skip-2k", action="store_true", help="leave the 2,000-resume grid")
    args = parser.parse_args()
    start = time.perf_counter()
    left = lambda: args.deadline - (time.perf_counter() - start)  # noqa: E731
    args.out.mkdir(parents=True, exist_ok=True)

    import torch
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()  # a "Loading weights" bar per network: noise in a log
    from collective.runner import load_context, load_grid
    from collective.runner.batched import run_batch
    from collective.runner.execute import results_folder

    sys.path.insert(0, str(ROOT / "benchmarks"))
    from bench_batched import time_batched

    log(
        f"torch {torch.__version__}, cuda {torch.cuda.is_available()}"
        + (f" ({torch.cuda.get_device_name()})" if torch.cuda.is_available() else "")
    )
    ctx = load_context(args.bundle)
    folder, sha, _ = results_folder(args.results, args.bundle)
    shrink = tiny if args.scale == "tiny" else (lambda cs: cs)
    timing: dict = {"device": torch.cuda.get_device_name() if torch.cuda.is_available() else "cpu"}

    def keep() -> None:
        shutil.copy2(folder / "transformer.jsonl", args.out / "transformer.jsonl")
        (args.out / "timing.json").write_text(json.dumps(timing, indent=1))

    per_run_eval = 10.0  # seconds, until step 1 measures it
    if not args.skip_2k:
        todo = missing(shrink(load_grid(GRID_2K)), folder, sha)
        log(f"2,000-resume grid: {len(todo)} runs missing")
        if len(todo) > 1:
            began = time.perf_counter()
            statuses = run_batch(
                todo, results_dir=args.results, data=args.bundle, firm_options={"progress": False}
            )
            wall = time.perf_counter() - began
            records = [
                r
                for r in _read(folder / "transformer.jsonl")
                if r["provenance"].get("batch_id") and r["key"] in {c.key() for c in todo}
            ]
            loop = sum(r["metrics"]["fit_trainer_seconds"] for r in records)
            per_run_eval = max(per_run_eval if not records else 0.0, (wall - loop) / len(todo))
            timing["grid_2k"] = {
                "runs": len(todo),
                "wall_seconds": wall,
                "loop_seconds": loop,
                "statuses": statuses,
                "per_run_outside_loop_seconds": per_run_eval,
            }
            keep()
            log(f"2,000-resume grid done in {wall:.0f} s: {_count(statuses)}")

    todo = missing(shrink(load_grid(GRID_25K)), folder, sha)
    log(f"25,000-resume grid: {len(todo)} runs missing; {left():.0f} s left")
    if len(todo) < 2:
        keep()
        return 0
    from collective.firms.transformer.batched import n_steps
    from collective.runner.execute import training_resumes

    idx, X = training_resumes(ctx, todo[0].max_train)
    Y, n_train = ctx.Y_train[idx], len(idx)

    per_epoch, steps = n_steps(n_train, 8, float(todo[0].firm_params.get("epochs", 5)))
    t = args.timing_steps
    settings = dict(
        max_length=todo[0].firm_params.get("max_length", 128), progress=False, epochs=3 / per_epoch
    )
    time_batched(X, Y, 2, settings)  # warm-up: kernels, allocator
    settings["epochs"] = t / per_epoch
    measured = {}
    for k in (1, args.k_low, args.k_high):
        _, loop, _ = time_batched(X, Y, k, settings)
        measured[k] = loop / t
        log(f"K={k}: {measured[k] * 1e3:.1f} ms per step, {measured[k] / k * 1e3:.2f} per run-step")
    timing["seconds_per_step"] = {str(k): s for k, s in measured.items()}
    timing["per_run_outside_loop_seconds"] = per_run_eval
    keep()

    def predicted(k: int) -> float:
        s = fit_seconds(measured[args.k_low], measured[args.k_high], args.k_low, args.k_high, k)
        return steps * s + k * per_run_eval + 30.0  # + loading k networks

    budget = left() * (1 - args.margin)
    n = max((k for k in range(2, len(todo) + 1) if predicted(k) <= budget), default=0)
    timing["plan"] = {
        "budget_seconds": budget,
        "runs": n,
        "predicted_seconds": predicted(n) if n else None,
    }
    keep()
    if n < 2:
        log(f"no batch of 2 or more 25,000-resume runs ends in {budget:.0f} s: none started")
        return 0
    log(
        f"training the first {n} missing 25,000-resume runs as one batch: "
        f"predicted {predicted(n):.0f} s of {budget:.0f}"
    )
    began = time.perf_counter()
    statuses = run_batch(todo[:n], results_dir=args.results, data=args.bundle)
    timing["grid_25k"] = {
        "runs": n,
        "wall_seconds": time.perf_counter() - began,
        "statuses": statuses,
    }
    keep()
    log(f"25,000-resume batch done in {time.perf_counter() - began:.0f} s: {_count(statuses)}")
    return 0


def _count(statuses: list[str]) -> str:
    return ", ".join(f"{statuses.count(s)} {s}" for s in sorted(set(statuses)))


def _read(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


if __name__ == "__main__":
    sys.exit(main())
