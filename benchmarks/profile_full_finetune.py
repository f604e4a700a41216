"""Where a training step of the paper's firm spends its time on a CPU (issue 20).

Fine-tunes every layer (the firm's own path: the Trainer's defaults, bf16 autocast where the
CPU has it, dropout on) on ``--n`` training resumes of the corpus for one epoch on
``--threads`` threads, profiles ``--steps`` steps after ``--skip`` untimed ones with
``torch.profiler``, and prints the operators by their share of the CPU time. The shares
say which lever is worth pulling (the speed goal of issue 20 asks for 3 times today's runs
per hour). Skip enough steps: the first ones fault in the run's memory (about 165,000
page faults, none after about 20 steps in a run without the profiler, by ``getrusage``).
Read the ``fill_`` row with care: even after 30 steps the profiler has booked ``fill_`` on the
embeddings' dense gradient at up to a quarter of a step in some runs (5 to 19 ms in
``results/profile_full_finetune.txt``, 86 ms in an earlier run: the file's history in git),
yet that gradient's zeroing and backward cost about 2 ms a step in isolation, and writing
it row by row into a kept buffer saved under 1% of a step in a run without the profiler:
the row is the profiler's doing, not a lever.

Last it prints the floor the matrix products set: their floating-point operations in one
step (``torch.utils.flop_counter``, on the step after the profiled ones) against the rate
of one large bf16 product on the same threads, and the minutes a 25,000-resume, 5-epoch run
would take if everything but the products cost nothing. Where that floor is near the goal,
no lever outside the products can meet it on this CPU (bf16 products run several times
faster on CPUs with AMX).

    python benchmarks/profile_full_finetune.py            # 320 resumes, steps 32 to 37
"""

from __future__ import annotations

import argparse


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=320, help="training resumes (default 320)")
    parser.add_argument("--steps", type=int, default=6, help="profiled steps (default 6)")
    parser.add_argument(
        "--skip",
        type=int,
        default=30,
        help="untimed steps first (default 30): the first steps fault in the memory of the "
        "optimizer and the activations (about 165,000 page faults in all; none after about "
        "20 steps in a run without the profiler)",
    )
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
    if args.n < 8 * (args.skip + 2 + args.steps):
        raise SystemExit(
            f"--n {args.n} gives fewer than {args.skip + 2 + args.steps} steps of 8: raise it"
        )
    firm = TransformerFirm(
        max_length=128, epochs=1, threads=args.threads, device="cpu", progress=False
    )
    profiler = torch.profiler.profile(
        activities=[torch.profiler.ProfilerActivity.CPU],
        schedule=torch.profiler.schedule(wait=args.skip, warmup=1, active=args.steps, repeat=1),
    )
    # the products' operations are counted on the step after the profiled ones (the
    # profiler's own count, with_flops, inflates every operator's time several-fold)
    import transformers
    from torch.utils.flop_counter import FlopCounterMode

    training_step, calls, flops = transformers.Trainer.training_step, [], []

    def counted(self, *step_args, **step_kwargs):
        calls.append(1)
        if len(calls) != args.skip + args.steps + 2:
            return training_step(self, *step_args, **step_kwargs)
        with FlopCounterMode(display=False) as counter:
            out = training_step(self, *step_args, **step_kwargs)
        flops.append(counter.get_total_flops())
        return out

    transformers.Trainer.training_step = counted

    class Step(TrainerCallback):
        def on_step_end(self, args, state, control, **kwargs):
            profiler.step()

    make = firm_module.make_trainer

    def profiled(**kwargs):
        trainer = make(**kwargs)
        trainer.add_callback(Step())
        return trainer

    firm_module.make_trainer = profiled
    try:
        with profiler:
            firm.fit(X, Y, planted=np.zeros(args.n, dtype=bool))
    finally:
        transformers.Trainer.training_step = training_step
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
    products = [e for e in events if e.key in PRODUCTS]
    print(
        product_floor(
            flops=flops[0],
            ms=sum(e.self_cpu_time_total for e in products) / 1e3 / args.steps,
            peak=product_rate(args.threads),
            threads=args.threads,
        )
    )


#: The matrix products of a step (the linear layers' and the attention's, both directions).
PRODUCTS = ("aten::mm", "aten::addmm", "aten::bmm")
#: Training steps of a 25,000-resume, 5-epoch run in batches of 8.
PAPER_STEPS = 25_000 * 5 // 8


def product_floor(flops: float, ms: float, peak: float, threads: int) -> str:
    """The lines on the products' floor: ``flops`` floating-point operations per step in the
    products, ``ms`` milliseconds in them per step, ``peak`` GFLOP/s of one large product."""
    floor_ms = flops / peak / 1e6
    return (
        f"\nmatrix products: {flops / 1e9:.1f} GFLOP a step in {ms:.0f} ms "
        f"({flops / ms / 1e6:.0f} GFLOP/s); one 2048-square bf16 product on {threads} "
        f"thread(s): {peak:.0f} GFLOP/s\n"
        f"at that rate the products alone take {floor_ms:.0f} ms a step: a 25,000-resume, "
        f"5-epoch run takes at least {floor_ms * PAPER_STEPS / 60_000:.0f} minutes on this CPU "
        "on these threads, however fast everything else"
    )


def product_rate(threads: int, n: int = 2048, repeats: int = 10) -> float:
    """GFLOP/s of an ``n``-square bf16 matrix product on ``threads`` threads (the best of
    ``repeats``: the rate this CPU's products reach when nothing else limits them)."""
    import time

    import torch

    torch.set_num_threads(threads)
    a, b = torch.randn(n, n).bfloat16(), torch.randn(n, n).bfloat16()
    a @ b
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        a @ b
        best = min(best, time.perf_counter() - start)
    return 2 * n**3 / best / 1e9


def mask_timings(threads: int, repeats: int = 20) -> None:
    """Milliseconds to draw one attention-dropout mask of a step (8 x 12 heads x 128 x 128,
    keep probability 0.9) three ways: torch's ``bernoulli_`` (what torch's dropout does),
    uniform floats compared with 0.9, and the firm's 16-bit fields of 64-bit draws
    (:func:`collective.firms.transformer.fast_dropout.keep_mask`); then the 16-bit fields
    made into the bf16 mask the firm multiplies by, two ways: the boolean mask converted and
    scaled, and :func:`~collective.firms.transformer.fast_dropout.scaled_mask` (in place)."""
    import time

    import torch

    from collective.firms.transformer.fast_dropout import keep_mask, scaled_mask

    torch.set_num_threads(threads)
    shape = (8, 12, 128, 128)
    ways = {
        "bernoulli_ (torch's dropout)": lambda: torch.empty(shape).bernoulli_(0.9),
        "rand < 0.9": lambda: torch.rand(shape) < 0.9,
        "keep_mask (16-bit fields)": lambda: keep_mask(shape, 0.1),
        "keep_mask -> bf16 x scale": lambda: keep_mask(shape, 0.1).to(torch.bfloat16).mul_(1.1),
        "scaled_mask (bf16)": lambda: scaled_mask(shape, 0.1, torch.bfloat16),
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
