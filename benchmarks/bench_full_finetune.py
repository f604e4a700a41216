"""The paper's firm on a CPU: every layer fine-tuned (issue 20, goal: a 25,000-resume,
5-epoch run at 128 tokens in at most 30 minutes; today's path and the new one at least
3 times apart in runs per hour).

Trains the transformer firm (every layer, the Trainer's defaults: AdamW, learning rate 5e-5
with linear decay, batches of 8, gradient clipping 1, dropout, bf16 autocast where the CPU
has it) on the same ``--n`` training resumes of the corpus for ``--epochs`` epochs, in
these configurations, each in a fresh process (the allocator setting and torch's threads
are per process):

* **today**: the package as it was at ``--baseline`` (default ``d633992``, the last commit
  before this change; checked out into a temporary git worktree), two threads;
* **new, 2 threads**: this checkout (the last layer for [CLS] only with keys and values
  folded, the eager attention kernel, glibc keeping freed memory, dropout with 16-bit masks),
  two threads;
* **new, 1 thread**;
* **new, 2 runs at once**: two processes of one thread each, started together (what a sweep
  with two workers does; runs per hour is what counts on a 2-core machine).

For each it prints the seconds per example-epoch in the steady state (wall, and the
process's CPU seconds, from the start of step ``--skip`` to the start of the last step: the
first steps of a run fault in its memory, a cost a 15,625-step run pays once and a short
benchmark run would spread over every example), and the runs per hour at the paper's size
that this rate gives (25,000 resumes x 5 epochs, training only; the evaluation adds about
4 minutes per run), each against today. The machine may be shared: the load average is
printed; the ratios are measured in one run.

    python benchmarks/bench_full_finetune.py              # 480 resumes (60 steps), 1 epoch
    python benchmarks/bench_full_finetune.py --n 800 --skip-baseline
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
PAPER_EXAMPLE_EPOCHS = 25_000 * 5


def child(n: int, epochs: float, max_length: int, threads: int) -> None:
    """Train once and print the fit's report, with the wall and CPU clocks at the start of
    every training step, as one JSON line (run in a fresh process)."""
    import numpy as np
    import transformers

    from collective.firms.transformer import TransformerFirm

    stamps: list[tuple[float, float]] = []
    training_step = transformers.Trainer.training_step

    def timed_step(self, *args, **kwargs):
        stamps.append((time.perf_counter(), time.process_time()))
        return training_step(self, *args, **kwargs)

    from collective.resumes.corpus import load_corpus
    from collective.resumes.tokens import tokenize_texts

    corpus = load_corpus(progress=False)
    X = tokenize_texts(list(corpus.train.select(range(n))["text"]))
    Y = corpus.label_matrix("train")[:n]
    firm = TransformerFirm(
        max_length=max_length, epochs=epochs, threads=threads, device="cpu", progress=False
    )
    # the Trainer of any revision of the package calls this once per step
    transformers.Trainer.training_step = timed_step
    try:
        firm.fit(X, Y, planted=np.zeros(n, dtype=bool))
    finally:
        transformers.Trainer.training_step = training_step
    info = dict(firm.fit_info)
    info["device"] = firm.device_
    info["stamps"] = stamps
    print("RESULT " + json.dumps(info), flush=True)


def launch(code_root: Path, args, threads: int) -> subprocess.Popen:
    env = dict(os.environ, PYTHONPATH=str(code_root), OMP_NUM_THREADS=str(threads))
    env.setdefault("HF_HUB_OFFLINE", "1")
    env.setdefault("TRANSFORMERS_OFFLINE", "1")
    cmd = [
        sys.executable,
        str(Path(__file__).resolve()),
        "--child",
        f"--n={args.n}",
        f"--epochs={args.epochs}",
        f"--max-length={args.max_length}",
        f"--threads={threads}",
    ]
    return subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def result_of(proc: subprocess.Popen) -> dict:
    out, err = proc.communicate()
    for line in out.splitlines():
        if line.startswith("RESULT "):
            return json.loads(line[len("RESULT ") :])
    raise SystemExit(f"a benchmark process failed:\n{err[-3000:]}")


def per_example(info: dict, skip: int, batch_size: int = 8) -> tuple[float, float]:
    """Wall and CPU seconds per example-epoch in the steady state: from the start of step
    ``skip`` to the start of the last step. The first steps fault in the memory of the
    optimizer and the activations (about 165,000 page faults, 6 s of one core, once per run)
    and would weigh on a short run as they do not on a 15,625-step one."""
    stamps = info["stamps"][skip:]
    if len(stamps) < 5:
        raise SystemExit(
            f"{len(info['stamps'])} steps leave {len(stamps)} after --skip {skip}: raise --n"
        )
    (wall0, cpu0), (wall1, cpu1) = stamps[0], stamps[-1]
    examples = (len(stamps) - 1) * batch_size
    return (wall1 - wall0) / examples, (cpu1 - cpu0) / examples


def baseline_worktree(rev: str) -> Path:
    folder = Path(tempfile.mkdtemp(prefix="collective-baseline-"))
    subprocess.run(
        ["git", "-C", str(REPO), "worktree", "add", "--detach", str(folder), rev],
        check=True,
        capture_output=True,
    )
    return folder


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=480, help="training resumes (default 480)")
    parser.add_argument(
        "--skip",
        type=int,
        default=25,
        help="steps left out of the timing, at the start of each run (default 25: the "
        "memory of a run is faulted in by about step 20)",
    )
    parser.add_argument("--epochs", type=float, default=1.0)
    parser.add_argument("--max-length", type=int, default=128)
    parser.add_argument("--baseline", default="d633992", help="git revision of today's path")
    parser.add_argument("--skip-baseline", action="store_true")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--threads", type=int, default=1, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.n, args.epochs, args.max_length, args.threads)
        return
    if not os.environ.get("COLLECTIVE_RESUMES"):
        print("note: COLLECTIVE_RESUMES is unset: the loader will look for the corpus itself")
    print(f"{args.n} resumes x {args.epochs:g} epoch(s), {args.max_length} tokens, every layer")
    print(f"load average at start: {os.getloadavg()[0]:.2f}")

    rows: list[tuple[str, float, float, int]] = []  # name, wall s/ex, cpu s/ex, runs at once
    if not args.skip_baseline:
        folder = baseline_worktree(args.baseline)
        try:
            info = result_of(launch(folder, args, 2))
        finally:
            subprocess.run(
                ["git", "-C", str(REPO), "worktree", "remove", "--force", str(folder)],
                capture_output=True,
            )
        rows.append((f"today ({args.baseline}), 2 threads", *per_example(info, args.skip), 1))
    for threads in (2, 1):
        info = result_of(launch(REPO, args, threads))
        rows.append((f"new, {threads} thread(s)", *per_example(info, args.skip), 1))
    start = time.perf_counter()
    pair = [launch(REPO, args, 1), launch(REPO, args, 1)]
    infos = [result_of(p) for p in pair]
    both = time.perf_counter() - start
    wall = max(per_example(i, args.skip)[0] for i in infos)
    cpu = sum(per_example(i, args.skip)[1] for i in infos) / 2
    rows.append(("new, 2 runs at once (1 thread each)", wall, cpu, 2))
    print(f"(the pair of processes took {both:.0f} s in all, model loading included)")
    print(f"load average at end: {os.getloadavg()[0]:.2f}")

    print(
        f"\n{'configuration':40s} {'wall ms/ex':>10s} {'cpu ms/ex':>10s} "
        f"{'min/25k run':>12s} {'runs/hour':>10s} {'x today':>8s}"
    )
    for row in table(rows):
        print(
            f"{row['name']:40s} {row['wall_ms']:10.1f} {row['cpu_ms']:10.1f} "
            f"{row['minutes']:12.0f} {row['runs_per_hour']:10.2f} {row['ratio']:8.2f}"
        )
    print(
        "\nmin/25k run: the Trainer's time for 25,000 resumes x 5 epochs at this rate (one run); "
        "runs/hour counts the runs that train at once. 'x today' is relative to the first row."
    )


def table(rows: list[tuple[str, float, float, int]]) -> list[dict]:
    """Per configuration (name, wall and CPU seconds per example-epoch, runs training at
    once): milliseconds per example-epoch, minutes of a paper-size run, runs per hour and
    the ratio of runs per hour to the first row's."""
    out = []
    for name, wall_s, cpu_s, together in rows:
        minutes = wall_s * PAPER_EXAMPLE_EPOCHS / 60
        rate = together * 60 / minutes
        out.append(
            {
                "name": name,
                "wall_ms": wall_s * 1000,
                "cpu_ms": cpu_s * 1000,
                "minutes": minutes,
                "runs_per_hour": rate,
                "ratio": rate / (out[0]["runs_per_hour"] if out else rate),
            }
        )
    return out


if __name__ == "__main__":
    main()
