"""Runs per hour of the paper's transformer firm: K runs trained as one stacked model
(``collective sweep --executor batched``) against the same runs one at a time (the firm's
``fit``, the Hugging Face Trainer), on whatever device is here.

Both train every layer of the same model on the same resumes with the same settings for the
same number of steps (``--steps``: the epochs are set to give that many); the K runs differ
in seed and collective, as a grid's runs do. Times are whole fits (loading the networks,
set-up, training); the training loops' own seconds give the time per step, from which the
paper's full runs (5 epochs of ``--n-train`` resumes) are extrapolated. After an untimed
warm-up of both, each side is timed once. On a CPU the ratio may be near 1 (the matrix
products are already large for the cores); on a GPU at batch 8 a single run mostly waits
on kernel launches.

    python benchmarks/bench_batched.py                       # CPU default: K=4, 32 resumes, 3 steps
    python benchmarks/bench_batched.py --k 30 --n-train 25000 --max-length 128 --steps 300 \\
        --device cuda --bundle bundle/                       # the GPU measurement

Without ``--bundle``/``--data`` the resumes are random token ids of ``--max-length`` tokens
(the speed depends on the shapes, not the words).
"""

from __future__ import annotations

import argparse
import math
import time

import numpy as np


def random_resumes(n: int, n_tokens: int, seed: int = 0):
    """``n`` resumes of ``n_tokens`` random WordPiece ids, one token per word."""
    from collective.resumes.tokens import TokenizedSplit

    rng = np.random.default_rng(seed)
    ids = rng.integers(2000, 29000, size=n * n_tokens).astype(np.uint16)
    offsets = np.arange(n + 1, dtype=np.int64) * n_tokens
    return TokenizedSplit(ids, offsets, np.ones(n * n_tokens, np.uint16), offsets.copy())


def resumes(args: argparse.Namespace):
    """(X, Y): the first ``--n-train`` training resumes of the bundle or corpus, else random."""
    if args.bundle is None and args.data is None:
        X = random_resumes(args.n_train, args.max_length)
        Y = (np.random.default_rng(1).random((args.n_train, 10)) < 0.2).astype(np.uint8)
        return X, Y
    from collective.runner import load_context

    ctx = load_context(args.bundle or args.data)
    idx = np.arange(min(args.n_train, len(ctx.train)))
    return ctx.train.subset(idx), ctx.Y_train[idx]


def runs(X, Y, k: int, settings: dict):
    """``k`` runs as a grid's: seeds 0..k-1, each with its own collective (Strategy 1 on the
    first label at alpha 5%)."""
    from collective.firms.transformer import TransformerFirm
    from collective.firms.transformer.batched import BatchRun

    out = []
    for seed in range(k):
        rng = np.random.default_rng(seed)
        planted = rng.random(len(X)) < 0.05
        labels = Y.copy()
        labels[planted] = 0
        labels[planted, 0] = 1
        out.append(BatchRun(TransformerFirm(seed=seed, **settings), labels, planted, 20))
    return out


def time_single(X, Y, settings: dict) -> tuple[float, float, float]:
    """(seconds of one run's fit, seconds of its training loop, CPU seconds of the fit)."""
    [run] = runs(X, Y, 1, settings)
    start, cpu = time.perf_counter(), time.process_time()
    run.firm.fit(X, run.Y, planted=run.planted, spacing=run.spacing)
    _sync(run.firm)
    wall = time.perf_counter() - start
    return wall, run.firm.fit_info["trainer_seconds"], time.process_time() - cpu


def time_batched(X, Y, k: int, settings: dict) -> tuple[float, float, float]:
    """(seconds of the batch's fits, seconds of its training loop, CPU seconds of the fits)."""
    from collective.firms.transformer.batched import fit_batched

    batch = runs(X, Y, k, settings)
    start, cpu = time.perf_counter(), time.process_time()
    fit_batched(batch, X)
    _sync(batch[0].firm)
    wall = time.perf_counter() - start
    return wall, batch[0].firm.fit_info["trainer_seconds"] * k, time.process_time() - cpu


def _sync(firm) -> None:
    import torch

    if firm.torch_device.type == "cuda":
        torch.cuda.synchronize()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--k", type=int, default=4, help="runs per batch (default 4)")
    parser.add_argument("--n-train", type=int, default=32, help="training resumes (default 32)")
    parser.add_argument("--max-length", type=int, default=32, help="tokens per input (default 32)")
    parser.add_argument("--steps", type=int, default=3, help="training steps per run (default 3)")
    parser.add_argument("--device", default="auto", help="auto, cpu or cuda")
    parser.add_argument("--precision", default="auto", help="auto, fp32 or bf16")
    parser.add_argument("--threads", type=int, default=None, help="CPU threads")
    parser.add_argument("--bundle", default=None, help="read the resumes from this bundle")
    parser.add_argument("--data", default=None, help="read the resumes from this corpus")
    args = parser.parse_args()

    from collective.firms.transformer.batched import n_steps

    per_epoch, _ = n_steps(args.n_train, 8, 1.0)
    settings = dict(
        max_length=args.max_length,
        epochs=args.steps / per_epoch,
        device=args.device,
        precision=args.precision,
        threads=args.threads,
        progress=False,
    )
    X, Y = resumes(args)
    warm = {**settings, "epochs": 1 / per_epoch}
    time_single(X, Y, warm)
    time_batched(X, Y, 2, warm)
    single, single_loop, single_cpu = time_single(X, Y, settings)
    batched, batched_loop, batched_cpu = time_batched(X, Y, args.k, settings)
    [firm] = [r.firm for r in runs(X, Y, 1, settings)]
    full_steps = math.ceil(5 * per_epoch)
    per_step_single, per_step_batched = single_loop / args.steps, batched_loop / args.steps
    setup_single, setup_batched = single - single_loop, batched - batched_loop
    full_single = setup_single + per_step_single * full_steps
    full_batched = setup_batched + per_step_batched * full_steps
    print(
        f"device {firm.torch_device} ({firm.resolved_precision}), MiniLM-L6, every layer, "
        f"{args.n_train} resumes of {args.max_length} tokens, batch 8, {args.steps} steps per run"
    )
    print(
        f"  one at a time: {single:.1f} s per run ({per_step_single * 1e3:.0f} ms per step), "
        f"{3600 / single:.1f} runs/hour"
    )
    print(
        f"  batched K={args.k}: {batched:.1f} s for {args.k} runs "
        f"({per_step_batched * 1e3:.0f} ms per step of all {args.k}), "
        f"{3600 * args.k / batched:.1f} runs/hour"
    )
    print(
        f"  ratio (runs/hour, batched over one at a time): {single * args.k / batched:.2f}x "
        f"measured; per training step {per_step_single * args.k / per_step_batched:.2f}x"
    )
    if firm.torch_device.type == "cpu":  # a shared machine: what the process itself used
        print(
            f"  CPU seconds per run: {single_cpu:.1f} against {batched_cpu / args.k:.1f}, "
            f"{single_cpu * args.k / batched_cpu:.2f}x"
        )
    print(
        f"  extrapolated to 5 epochs ({full_steps:,} steps): {3600 / full_single:.2f} against "
        f"{3600 * args.k / full_batched:.2f} runs/hour, "
        f"{full_single * args.k / full_batched:.2f}x"
    )


if __name__ == "__main__":
    main()
