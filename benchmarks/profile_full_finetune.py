"""Where a training step of the paper's firm spends its time on a CPU (issue 20).

Fine-tunes every layer (the firm's own path: the Trainer's defaults, bf16 autocast where the
CPU has it, dropout on) on ``--n`` training resumes of the corpus for one epoch on
``--threads`` threads, profiles ``--steps`` steps after a few untimed ones with
``torch.profiler``, and prints the operators by their share of the CPU time. The shares
say which lever is worth pulling (the speed goal of issue 20 asks for 3 times today's runs
per hour); they do not depend much on the load of a shared machine.

    python benchmarks/profile_full_finetune.py            # 96 resumes, 6 profiled steps
"""

from __future__ import annotations

import argparse


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=96, help="training resumes (default 96)")
    parser.add_argument("--steps", type=int, default=6, help="profiled steps (default 6)")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--rows", type=int, default=15, help="operators shown (default 15)")
    args = parser.parse_args()

    import numpy as np
    import torch
    from transformers import TrainerCallback

    import collective.firms.transformer.firm as firm_module
    from collective.firms.transformer import TransformerFirm
    from collective.resumes.corpus import load_corpus
    from collective.resumes.tokens import tokenize_texts

    torch.set_num_threads(args.threads)
    corpus = load_corpus(progress=False)
    X = tokenize_texts(list(corpus.train.select(range(args.n))["text"]))
    Y = corpus.label_matrix("train")[: args.n]
    if args.n < 8 * (args.steps + 3):
        raise SystemExit(f"--n {args.n} gives fewer than {args.steps + 3} steps of 8: raise it")
    firm = TransformerFirm(
        max_length=128, epochs=1, threads=args.threads, device="cpu", progress=False
    )
    profiler = torch.profiler.profile(
        activities=[torch.profiler.ProfilerActivity.CPU],
        schedule=torch.profiler.schedule(wait=2, warmup=1, active=args.steps, repeat=1),
    )

    class Step(TrainerCallback):
        def on_step_end(self, args, state, control, **kwargs):
            profiler.step()

    make = firm_module.make_trainer

    def profiled(**kwargs):
        trainer = make(**kwargs)
        trainer.add_callback(Step())
        return trainer

    firm_module.make_trainer = profiled
    with profiler:
        firm.fit(X, Y, planted=np.zeros(args.n, dtype=bool))
    events = [e for e in profiler.key_averages() if not e.key.startswith("ProfilerStep")]
    total = sum(e.self_cpu_time_total for e in events)
    print(
        f"{args.steps} steps of 8 resumes, 128 tokens, every layer, {args.threads} thread(s): "
        f"{total / 1e3 / args.steps:.0f} ms of CPU per step in operators"
    )
    print(f"{'operator':32s} {'share':>7s} {'ms/step':>8s} {'calls/step':>11s}")
    for e in sorted(events, key=lambda e: -e.self_cpu_time_total)[: args.rows]:
        print(
            f"{e.key[:32]:32s} {e.self_cpu_time_total / total:7.1%} "
            f"{e.self_cpu_time_total / 1e3 / args.steps:8.1f} {e.count / args.steps:11.1f}"
        )
    mask_timings(args.threads)


def mask_timings(threads: int, repeats: int = 20) -> None:
    """Milliseconds to draw one attention-dropout mask of a step (8 x 12 heads x 128 x 128,
    keep probability 0.9) three ways: torch's ``bernoulli_`` (what dropout does), uniform
    floats compared with 0.9, and 16-bit integers cut from 64-bit draws compared with a
    threshold (drop probability 6554 / 65536 = 0.1000061)."""
    import time

    import torch

    torch.set_num_threads(threads)
    shape = (8, 12, 128, 128)
    numel = 8 * 12 * 128 * 128
    ways = {
        "bernoulli_ (dropout's)": lambda: torch.empty(shape).bernoulli_(0.9),
        "rand < 0.9": lambda: torch.rand(shape) < 0.9,
        "16-bit cuts of int64 draws": lambda: (
            torch.randint(-(2**62), 2**62, (numel // 4,), dtype=torch.int64).view(torch.int16)
            >= -32768 + 6554
        ),
    }
    print("\none attention-dropout mask (1.6M entries):")
    for name, draw in ways.items():
        draw()
        start = time.perf_counter()
        for _ in range(repeats):
            draw()
        print(f"  {name:28s} {(time.perf_counter() - start) / repeats * 1e3:6.1f} ms")


if __name__ == "__main__":
    main()
