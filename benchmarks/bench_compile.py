"""Does ``torch.compile`` speed up the paper's firm on a CPU? (issue 20: one of the levers
the issue lists.)

Fine-tunes every layer (the firm's own path: the Trainer's defaults, bf16 autocast where the
CPU has it) on the same ``--n`` training resumes for one epoch, twice, each in a fresh
process on ``--threads`` threads: eagerly (today's path), with the Trainer's
``torch_compile=True`` (TorchInductor), and compiled with the dropout masks left to the
firm (``compile-masks``: :func:`~collective.firms.transformer.fast_dropout.scaled_mask` as
an opaque custom op, so Inductor neither draws the masks with its own generator, slow on a
CPU, nor recomputes them for the backward pass). It prints the median wall time of a
training step after the first five (steady state: recompilations for new batch widths and
the first compilation excluded, which a 25,000-resume run would amortise), the first step's
time (the compilation), and the ratio eager / compiled (above 1: compiling pays). With
``--rounds R`` the modes run R times in turn (the machine's speed drifts by several percent
over minutes) and each row is the median over its rounds.

    python benchmarks/bench_compile.py                          # 240 resumes, 1 thread
    python benchmarks/bench_compile.py --threads 2 --n 480 --rounds 2
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
    if mode == "compile-masks":
        opaque_masks()

    def with_compile(*args, **kwargs):
        out = arguments(*args, **kwargs)
        if mode != "eager":  # both, as TrainingArguments.__post_init__ would set them
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


def opaque_masks() -> None:
    """Make the firm's dropout draw its masks through a custom op that Inductor calls as it
    is: :func:`~collective.firms.transformer.fast_dropout.fast_dropout` looks up
    ``scaled_mask`` at call time, and here finds the op, which calls the firm's own. The same
    masks as eager (``nondeterministic_seeded``: never recomputed for the backward pass);
    only the order of the draws may differ, as the compiled graph orders them. Idempotent
    (an op is registered once per process)."""
    import torch

    from collective.firms.transformer import fast_dropout as fd

    if hasattr(torch.ops.collective_bench, "scaled_mask"):
        op = torch.ops.collective_bench.scaled_mask
    else:
        op = _register_mask_op(fd.scaled_mask)

    def scaled_mask(shape, p: float, dtype: torch.dtype) -> torch.Tensor:
        return op(list(shape), p, dtype)

    fd.scaled_mask = scaled_mask


def _register_mask_op(firms_mask):
    """The custom op ``collective_bench::scaled_mask`` around the firm's ``firms_mask``."""
    import torch

    @torch.library.custom_op(
        "collective_bench::scaled_mask",
        mutates_args=(),
        schema="(int[] shape, float p, ScalarType dtype) -> Tensor",  # this file's
        # annotations are strings (from __future__ import annotations): not inferred
        tags=(torch.Tag.nondeterministic_seeded,),
    )
    def mask(shape: list[int], p: float, dtype: torch.dtype) -> torch.Tensor:
        return firms_mask(tuple(shape), p, dtype)

    @mask.register_fake
    def _(shape, p, dtype):
        return torch.empty(shape, dtype=dtype)

    return mask


MODES = ("eager", "compile", "compile-masks")


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
    parser.add_argument("--rounds", type=int, default=1, help="runs of each mode, in turn")
    parser.add_argument("--child", choices=MODES, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child, args.n, args.threads)
        return
    print(f"{args.n} resumes x 1 epoch, 128 tokens, every layer, {args.threads} thread(s)")
    print(f"load average at start: {os.getloadavg()[0]:.2f}")
    runs: dict[str, list[dict]] = {mode: [] for mode in MODES}
    for _ in range(args.rounds):
        for mode in MODES:
            runs[mode].append(run(mode, args.n, args.threads))
    print(f"load average at end: {os.getloadavg()[0]:.2f}\n")
    results = {mode: summary(rs) for mode, rs in runs.items()}
    print(
        f"{'mode':14s} {'median step ms':>15s} {'first step s':>13s} {'steps':>6s} {'loss':>7s}"
        f" {'eager/mode':>11s}"
    )
    for mode, r in results.items():
        ratio = results["eager"]["median_step_s"] / r["median_step_s"]
        print(
            f"{mode:14s} {r['median_step_s'] * 1000:15.1f} {r['first_step_s']:13.1f} "
            f"{r['steps']:6d} {r['loss']:7.4f} {ratio:10.2f}x"
        )
    if results["compile"]["first_step_s"] < 2 * results["eager"]["first_step_s"]:
        print("\nnote: the compiled run's first step was not slower: was it compiled at all?")
    print("\neager/mode: per steady-state step (above 1: compiling pays)")


def summary(runs: list[dict]) -> dict:
    """One mode's rounds: the median of their median step times, the first round's first
    step (later rounds read Inductor's cache), steps and loss of the first round."""
    import statistics

    return dict(runs[0], median_step_s=statistics.median(r["median_step_s"] for r in runs))


if __name__ == "__main__":
    main()
