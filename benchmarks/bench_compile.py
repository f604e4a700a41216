"""Does ``torch.compile`` speed up the paper's firm on a CPU? (issue 20: one of the levers
the issue lists.)

Fine-tunes every layer (the firm's own path: the Trainer's defaults, bf16 autocast where the
CPU has it) on the same ``--n`` training resumes for one epoch, twice, each in a fresh
process on ``--threads`` threads: eagerly (today's path) and with the Trainer's
``torch_compile=True`` (TorchInductor). It prints the median wall time of a training step
after the first five (steady state: recompilations for new batch widths and the first
compilation excluded, which a 25,000-resume run would amortise), the first step's time
(the compilation), and the ratio eager / compiled (above 1: compiling pays).

    python benchmarks/bench_compile.py            # 240 resumes, 1 thread
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time


def child(mode: str, n: int, threads: int) -> None:
    import numpy as np
    import torch
    from transformers import TrainerCallback

    import collective.firms.transformer.firm as firm_module
    from collective.firms.transformer import TransformerFirm
    from collective.resumes.corpus import load_corpus
    from collective.resumes.tokens import tokenize_texts

    torch.set_num_threads(threads)
    corpus = load_corpus(progress=False)
    X = tokenize_texts(list(corpus.train.select(range(n))["text"]))
    Y = corpus.label_matrix("train")[:n]
    firm = TransformerFirm(max_length=128, epochs=1, threads=threads, device="cpu", progress=False)
    arguments = firm.training_arguments

    def with_compile(*args, **kwargs):
        out = arguments(*args, **kwargs)
        if mode == "compile":  # both, as TrainingArguments.__post_init__ would set them
            out.torch_compile, out.torch_compile_backend = True, "inductor"
        return out

    ends: list[float] = []

    class StepClock(TrainerCallback):
        def on_step_end(self, args, state, control, **kwargs):
            ends.append(time.perf_counter())

    make = firm_module.make_trainer

    def timed(**kwargs):
        trainer = make(**kwargs)
        trainer.add_callback(StepClock())
        return trainer

    firm.training_arguments = with_compile  # type: ignore[method-assign]
    firm_module.make_trainer = timed
    start = time.perf_counter()
    firm.fit(X, Y, planted=np.zeros(n, dtype=bool))
    steps = np.diff(ends)
    print(
        "RESULT "
        + json.dumps(
            {
                "median_step_s": float(np.median(steps[5:])),
                "first_step_s": ends[0] - start,
                "steps": len(ends),
                "loss": firm.fit_info_["training_loss"],
            }
        ),
        flush=True,
    )


def run(mode: str, n: int, threads: int) -> dict:
    env = dict(os.environ, OMP_NUM_THREADS=str(threads))
    env.setdefault("HF_HUB_OFFLINE", "1")
    env.setdefault("TRANSFORMERS_OFFLINE", "1")
    cmd = [sys.executable, __file__, "--child", mode, f"--n={n}", f"--threads={threads}"]
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True)
    for line in proc.stdout.splitlines():
        if line.startswith("RESULT "):
            return json.loads(line[len("RESULT ") :])
    raise SystemExit(f"the {mode} process failed:\n{proc.stderr[-3000:]}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=240, help="training resumes (default 240)")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--child", choices=("eager", "compile"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child, args.n, args.threads)
        return
    print(f"{args.n} resumes x 1 epoch, 128 tokens, every layer, {args.threads} thread(s)")
    print(f"load average at start: {os.getloadavg()[0]:.2f}")
    results = {mode: run(mode, args.n, args.threads) for mode in ("eager", "compile")}
    print(f"load average at end: {os.getloadavg()[0]:.2f}\n")
    print(f"{'mode':8s} {'median step ms':>15s} {'first step s':>13s} {'steps':>6s} {'loss':>7s}")
    for mode, r in results.items():
        print(
            f"{mode:8s} {r['median_step_s'] * 1000:15.1f} {r['first_step_s']:13.1f} "
            f"{r['steps']:6d} {r['loss']:7.4f}"
        )
    if results["compile"]["first_step_s"] < 2 * results["eager"]["first_step_s"]:
        print("\nnote: the compiled run's first step was not slower: was it compiled at all?")
    ratio = results["eager"]["median_step_s"] / results["compile"]["median_step_s"]
    print(f"\neager / compiled, per steady-state step: {ratio:.2f}x (above 1: compiling pays)")


if __name__ == "__main__":
    main()
