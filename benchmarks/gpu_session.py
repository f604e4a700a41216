"""One GPU session of the every-layer firm's grids under a deadline: what a short device
lease can train, chosen by measuring, with every finished batch's records kept.

The paper's own firm (every layer of MiniLM-L6 fine-tuned with the Trainer's defaults, 128
tokens, 5 epochs) runs here as the batched executor runs it (``collective sweep --executor
batched``: K runs as one stacked model, :mod:`collective.runner.batched`), through the same
results cache, so each record has the key and form of a CPU run's. Three stages:

* **The 2,000-resume grid** (``grids/transformer_every_layer.yaml``): the runs missing from
  ``--results`` as one batch (1,250 steps each: a minute or so). Run first (the default), it
  also checks the whole path (training, evaluation, sealed records) before the long batch,
  and measures the seconds per run outside the training loop (loading, evaluation), always
  started; run last (``--first-25k``), only the longest prefix of its missing runs that the
  step-time model says ends in the time left.
* **Timing**: seconds per step of the stacked model at K = 1, ``--k-low`` and ``--k-high``
  on the 25,000-resume grid's training resumes. Each K is warmed up on its own first
  (``--warmup-steps``: a new K is a new shape, for which cuBLAS picks its kernels and the
  allocator its blocks on the first steps), then timed over ``--timing-steps`` steps. The
  step-time model (:func:`step_seconds`) is non-decreasing in K (a batch of more runs does
  more work per step): the measured times are pooled where they fall with K (isotonic
  regression), interpolated linearly between the measured K, flat below the smallest and
  proportional to K beyond the largest. Written to ``$OUT/timing.json``.
* **The 25,000-resume grid** (``grids/transformer_every_layer_25k.yaml``, in its order: seed
  0 of both strategies first): the longest prefix of its missing runs whose one batch
  (15,625 steps, plus each run's time outside the loop, plus ``--load-seconds``) the model
  says ends ``--margin`` before the deadline (:func:`plan_runs`). A batch that cannot end in
  time is not started: records are written when the whole batch ends.

After each batch the results file is copied to ``$OUT`` (what is there comes back even when
the command is stopped at its limit); merge its new lines into ``data/results`` with
``collective results``' checks on read.

    python benchmarks/gpu_session.py --bundle .gpu/bundle --results data/results \\
        --out $OUT --deadline 540 --first-25k
    python benchmarks/gpu_session.py --bundle tiny-bundle --results /tmp/r --out /tmp/o \\
        --scale tiny --deadline 600          # the CPU twin (tests/test_gpu_session.py)

**What happened on an NVIDIA H200** (``benchmarks/results/gpu_session_h200*``), with the
first version of this script: the 2,000-resume grid always first; K=1 timed after a
warm-up at K=2, K = 11 and 25 without one of their own; the step time linear between K = 11
and 25 and never below K = 11's; a margin of 15%. The first call trained the 17 missing
2,000-resume runs as one batch in 69 s (37.7 s in the training loop, 1.86 s per run outside
it), then measured K=1 at 33.7 ms per step, K=11 at 25.5 ms and K=25 at 34.8 ms, and with
481 s left after the 2,000-resume stage (a budget of 411 s) started no 25,000-resume batch.
A second call, timing 10 steps, read 50.5 ms at K=11 and 42.2 ms at K=25 (its log is not
kept) and refused again. A third call trained 13 runs at 25,000 resumes as one batch (its
log, a progress bar and the runs' statuses, is not this script's): 447.6 s in
all, of which 417.5 s in the training loop (15,625 steps of all 13 runs at 26.7 ms each; the
progress bar read 35.8 to 43.1 steps per second) and 30.1 s outside it. So a short timing
right after a change of K was off by up to a factor of two (50.5 ms against 26.7), and not
monotone in K (K=1 above K=11, K=11 above K=25); and the one 25,000-resume batch that ran
took longer than the first call's whole budget of 411 s, what a 15% margin had left once the
2,000-resume stage had run. Hence the warm-up at every K, 100 timed steps, the monotone
model, ``--first-25k``, and a margin of 5% (the prediction already counts every run's loading
and evaluation).
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import time
from collections.abc import Mapping
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
GRID_2K = ROOT / "grids" / "transformer_every_layer.yaml"
GRID_25K = ROOT / "grids" / "transformer_every_layer_25k.yaml"
#: Seconds per run outside the training loop (loading its network, evaluating it) until a
#: batch of this session measures it: 30.1 s for the 13 runs of the H200 batch at 25,000
#: resumes (447.6 s in all, 417.5 s in the loop), 1.86 s per run at 2,000 resumes.
OUTSIDE_LOOP_SECONDS = 2.5


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)


def tiny(configs):
    """The CPU twin's scale: each run shrunk (24 training resumes, 16 tokens, two epochs, a
    trigger every 4 words); keys change with it, so the twin never meets a real record."""
    import dataclasses

    return [
        dataclasses.replace(
            c, max_train=24, spacing=4, firm_params={**c.firm_params, "max_length": 16, "epochs": 2}
        )
        for c in configs
    ]


def missing(configs, results: Path, sha: str) -> list:
    from collective.runner.cache import read_records

    have = read_records(results / "transformer.jsonl", sha, report=False)
    return [c for c in configs if c.key() not in have]


def monotone_fit(measured: Mapping[int, float]) -> list[tuple[int, float]]:
    """The measured seconds per step, ``{K: seconds}``, made non-decreasing in K: the
    least-squares non-decreasing sequence (isotonic regression by pooling adjacent
    violators, each measurement weighing one), as ``[(K, seconds), ...]`` in order of K."""
    if not measured:
        raise ValueError("no step times measured")
    blocks: list[list] = []  # [sum of seconds, count, the K pooled]
    for k, seconds in sorted(measured.items()):
        blocks.append([float(seconds), 1, [k]])
        while len(blocks) > 1 and blocks[-2][0] / blocks[-2][1] > blocks[-1][0] / blocks[-1][1]:
            total, count, ks = blocks.pop()
            blocks[-1][0] += total
            blocks[-1][1] += count
            blocks[-1][2] += ks
    return [(k, total / count) for total, count, ks in blocks for k in ks]


def step_seconds(measured: Mapping[int, float], k: int) -> float:
    """Seconds per step of a batch of ``k`` runs, from the step times measured at a few K
    (:func:`monotone_fit`): linear between measured K, the smallest K's time below it (fewer
    runs are no slower per step), and beyond the largest K proportional to K (as if every
    added run cost what an average run costs there; an upper bound while the time per step
    grows more slowly than K, as it does while kernel launches dominate). Non-decreasing in
    ``k``."""
    points = monotone_fit(measured)
    if k <= points[0][0]:
        return points[0][1]
    last_k, last_s = points[-1]
    if k > last_k:
        return last_s * k / last_k
    for (k0, s0), (k1, s1) in zip(points, points[1:]):
        if k0 <= k <= k1:
            return s0 + (s1 - s0) * (k - k0) / (k1 - k0)
    raise AssertionError("unreachable")


def predicted_seconds(
    measured: Mapping[int, float],
    k: int,
    steps: int,
    outside_per_run: float,
    load_seconds: float,
) -> float:
    """The wall time of one batch of ``k`` runs of ``steps`` steps each: the training loop
    (:func:`step_seconds`), each run's time outside it, and a fixed ``load_seconds``."""
    return steps * step_seconds(measured, k) + k * outside_per_run + load_seconds


def plan_runs(
    measured: Mapping[int, float],
    n_missing: int,
    steps: int,
    budget: float,
    outside_per_run: float,
    load_seconds: float,
    minimum: int = 2,
) -> int:
    """The most runs, at most ``n_missing`` and at least ``minimum``, whose one batch is
    predicted (:func:`predicted_seconds`) to end within ``budget`` seconds; 0 when not even
    ``minimum`` do (the prediction grows with K, so the runs that fit are a prefix)."""
    fits = [
        k
        for k in range(minimum, n_missing + 1)
        if predicted_seconds(measured, k, steps, outside_per_run, load_seconds) <= budget
    ]
    return max(fits, default=0)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--bundle", required=True, help="the offline bundle (collective bundle)")
    parser.add_argument("--results", required=True, type=Path, help="the results folder")
    parser.add_argument("--out", required=True, type=Path, help="where copies and logs go")
    parser.add_argument("--deadline", type=float, required=True, help="seconds from start")
    parser.add_argument("--margin", type=float, default=0.05, help="share of the time kept free")
    parser.add_argument("--k-low", type=int, default=11)
    parser.add_argument("--k-high", type=int, default=25)
    parser.add_argument("--warmup-steps", type=int, default=20, help="untimed, at each K")
    parser.add_argument("--timing-steps", type=int, default=100, help="timed, at each K")
    parser.add_argument(
        "--outside-loop-seconds",
        type=float,
        default=OUTSIDE_LOOP_SECONDS,
        help="seconds per run outside the training loop, until a batch here measures it",
    )
    parser.add_argument("--load-seconds", type=float, default=10.0, help="fixed, per batch")
    parser.add_argument(
        "--checkpoint-epochs",
        default="1,3",
        help="also evaluate each run after these epochs of its schedule (default 1,3; '' none)",
    )
    parser.add_argument("--scale", choices=("full", "tiny"), default="full")
    parser.add_argument("--skip-2k", action="store_true", help="leave the 2,000-resume grid")
    parser.add_argument(
        "--first-25k",
        action="store_true",
        help="time and train the 25,000-resume batch first, then the 2,000-resume grid in the "
        "time left",
    )
    args = parser.parse_args()
    start = time.perf_counter()
    left = lambda: args.deadline - (time.perf_counter() - start)  # noqa: E731
    args.out.mkdir(parents=True, exist_ok=True)

    import torch
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()  # a "Loading weights" bar per network: noise in a log
    from collective.firms.transformer.batched import n_steps
    from collective.runner import load_context, load_grid
    from collective.runner.batched import run_batch
    from collective.runner.execute import results_folder, training_resumes

    sys.path.insert(0, str(ROOT / "benchmarks"))
    from bench_batched import time_batched

    log(
        f"torch {torch.__version__}, cuda {torch.cuda.is_available()}"
        + (f" ({torch.cuda.get_device_name()})" if torch.cuda.is_available() else "")
    )
    ctx = load_context(args.bundle)
    folder, sha, _ = results_folder(args.results, args.bundle)
    shrink = tiny if args.scale == "tiny" else (lambda cs: cs)
    if args.scale == "tiny" and args.checkpoint_epochs:
        args.checkpoint_epochs = "1"  # the twin's schedule has two epochs
    timing: dict = {
        "device": torch.cuda.get_device_name() if torch.cuda.is_available() else "cpu",
        "order": "25k first" if args.first_25k else "2k first",
        "warmup_steps": args.warmup_steps,
        "timing_steps": args.timing_steps,
    }
    outside = {"seconds": args.outside_loop_seconds}  # per run; measured by each batch
    measured: dict[int, float] = {}

    def keep() -> None:
        if (folder / "transformer.jsonl").exists():
            shutil.copy2(folder / "transformer.jsonl", args.out / "transformer.jsonl")
        (args.out / "timing.json").write_text(json.dumps(timing, indent=1))

    def steps_of(configs) -> int:
        per_epoch, steps = n_steps(
            len(training_resumes(ctx, configs[0].max_train)[0]),
            8,
            float(configs[0].firm_params.get("epochs", 5)),
        )
        return steps

    def batch(todo, name: str) -> None:
        began = time.perf_counter()
        statuses = run_batch(
            todo,
            results_dir=args.results,
            data=args.bundle,
            firm_options={"progress": False, "checkpoint_epochs": args.checkpoint_epochs or None},
        )
        wall = time.perf_counter() - began
        keys = {c.key() for c in todo}
        records = [
            r
            for r in _read(folder / "transformer.jsonl")
            if r["provenance"].get("batch_id") and r["key"] in keys
        ]
        loop = sum(r["metrics"]["fit_trainer_seconds"] for r in records)
        if records:
            outside["seconds"] = max(0.0, (wall - loop) / len(todo))
        timing[name] = {
            "runs": len(todo),
            "wall_seconds": wall,
            "loop_seconds": loop,
            "statuses": statuses,
            "per_run_outside_loop_seconds": outside["seconds"],
        }
        timing["per_run_outside_loop_seconds"] = outside["seconds"]
        keep()
        log(f"{name}: {len(todo)} runs done in {wall:.0f} s: {_count(statuses)}")

    def grid_2k(planned: bool) -> None:
        todo = missing(shrink(load_grid(GRID_2K)), folder, sha)
        log(f"2,000-resume grid: {len(todo)} runs missing; {left():.0f} s left")
        if len(todo) < 2:
            return
        if planned:  # after the 25,000-resume batch: only what ends in time
            budget = left() * (1 - args.margin)
            n = plan_runs(
                measured, len(todo), steps_of(todo), budget, outside["seconds"], args.load_seconds
            )
            timing["plan_2k"] = {"budget_seconds": budget, "runs": n}
            keep()
            if n < 2:
                log(f"no batch of 2 or more 2,000-resume runs ends in {budget:.0f} s: none started")
                return
            todo = todo[:n]
        batch(todo, "grid_2k")

    def measure() -> list:
        todo = missing(shrink(load_grid(GRID_25K)), folder, sha)
        log(f"25,000-resume grid: {len(todo)} runs missing; {left():.0f} s left")
        if len(todo) < 2:
            return todo
        idx, X = training_resumes(ctx, todo[0].max_train)
        Y = ctx.Y_train[idx]
        per_epoch, _ = n_steps(len(idx), 8, 1.0)
        base = dict(max_length=todo[0].firm_params.get("max_length", 128), progress=False)
        for k in (1, args.k_low, args.k_high):
            # a new K is a new shape: cuBLAS chooses its kernels, the allocator its blocks
            time_batched(X, Y, k, {**base, "epochs": args.warmup_steps / per_epoch})
            _, loop, _ = time_batched(X, Y, k, {**base, "epochs": args.timing_steps / per_epoch})
            measured[k] = loop / args.timing_steps
            log(
                f"K={k}: {measured[k] * 1e3:.1f} ms per step, "
                f"{measured[k] / k * 1e3:.2f} per run-step"
            )
        timing["seconds_per_step"] = {str(k): s for k, s in measured.items()}
        timing["monotone_seconds_per_step"] = {str(k): s for k, s in monotone_fit(measured)}
        keep()
        return todo

    def grid_25k(todo) -> None:
        if len(todo) < 2:
            return
        steps = steps_of(todo)
        budget = left() * (1 - args.margin)
        n = plan_runs(measured, len(todo), steps, budget, outside["seconds"], args.load_seconds)
        timing["plan"] = {
            "budget_seconds": budget,
            "runs": n,
            "predicted_seconds": predicted_seconds(
                measured, n, steps, outside["seconds"], args.load_seconds
            )
            if n
            else None,
        }
        keep()
        if n < 2:
            log(f"no batch of 2 or more 25,000-resume runs ends in {budget:.0f} s: none started")
            return
        log(
            f"training the first {n} missing 25,000-resume runs as one batch: predicted "
            f"{timing['plan']['predicted_seconds']:.0f} s of {budget:.0f}"
        )
        batch(todo[:n], "grid_25k")

    if args.first_25k:
        grid_25k(measure())
        if not args.skip_2k:
            if not measured:  # nothing to train at 25,000 resumes: no model yet
                grid_2k(planned=False)
            else:
                grid_2k(planned=True)
    else:
        if not args.skip_2k:
            grid_2k(planned=False)
        grid_25k(measure())
    keep()
    return 0


def _count(statuses: list[str]) -> str:
    return ", ".join(f"{statuses.count(s)} {s}" for s in sorted(set(statuses)))


def _read(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


if __name__ == "__main__":
    sys.exit(main())
