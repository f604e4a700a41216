"""A transformer run at the paper's scale on CPU (issue 12, goal: <= 180 s per run).

Times one run of the transformer firm on 25,000 training resumes for 5 epochs (max_length
128, the clean labels), on the same resumes, in one process:

* ``freeze_kv`` (grids/transformer_25k.yaml): the lower five layers and the top layer's key
  and value projections frozen and read from the key/value cache, only the [CLS] path and
  the head train, batches of 32, learning rate 2e-3;
* ``train_layers=1`` (today's configuration, grids/transformer_cpu.yaml and
  grids/transformer_unfrozen_kv.yaml): the lower five layers read from the frozen-layer
  cache, the whole top layer (keys and values included, computed for [CLS] only) and the
  head train, batches of 8, learning rate 5e-4; the key and value projections folded into
  the [CLS] query and context (``absorb_kv``) and the trained part in fp32 on a CPU;
* the same configuration as it was computed before (``absorb_kv=False``: keys and values
  projected for every position; the trained part under bf16 autocast), unless
  ``--skip-old``.

The machine is shared: each time is printed as wall seconds and as CPU seconds of this
process (what the run would take alone on one core), with the load average.

"A run" is what the runner does: ``fit`` (model loading, reading the cache, training) plus
the evaluation's two passes over the 4,010 test resumes (clean, and with the trigger
planted). Both caches must be warm (``collective kv-cache --grid
grids/transformer_25k.yaml --also-frozen``); the script counts rows it had to compute and
says so. With ``--plain`` it also times a hand-written PyTorch loop over the same cached
keys and values (same batches, AdamW, linear decay, gradient clipping), to show what the
Trainer costs in the new configuration.

    python benchmarks/bench_transformer_scale.py                    # both, 25,000 x 5 epochs
    python benchmarks/bench_transformer_scale.py --skip-old --plain  # the new path only
"""

from __future__ import annotations

import argparse
import os
import time
from contextlib import nullcontext

import numpy as np
import torch


def plain_kv_loop(firm, X, Y: np.ndarray) -> float:
    """Seconds for a hand-written loop training ``firm``'s freeze_kv model, same batches."""
    from torch.utils.data import DataLoader
    from transformers import get_linear_schedule_with_warmup
    from transformers.trainer_pt_utils import LengthGroupedSampler

    from collective.firms.transformer import autocast, frozen, kv_cache, load_model

    start = time.perf_counter()
    net = load_model(firm.model, seed=firm.seed)
    n_frozen = firm._n_frozen(net)
    frozen.freeze(net, n_frozen)
    kv_cache.freeze_kv(net)
    inputs = firm.model_inputs(X, None, 20)
    data = kv_cache.KVExamples(firm.kv_rows(net, n_frozen, inputs), Y)
    head = kv_cache.ClsKVHead(net).train()
    torch.manual_seed(firm.seed)
    sampler = LengthGroupedSampler(firm.batch_size, lengths=[len(x) for x in inputs])
    loader = DataLoader(
        data, batch_size=firm.batch_size, sampler=sampler, collate_fn=kv_cache.collate_kv
    )
    steps = int(np.ceil(len(loader) * firm.epochs))
    params = [p for p in head.parameters() if p.requires_grad]
    optimizer = torch.optim.AdamW(
        params, lr=firm.learning_rate, weight_decay=0.0, fused=True
    )  # Trainer's default
    schedule = get_linear_schedule_with_warmup(optimizer, 0, steps)
    done = 0
    while done < steps:
        for batch in loader:
            with (
                autocast(firm.torch_device, firm.resolved_precision)
                if firm.head_autocast
                else nullcontext()
            ):
                loss = head(**batch).loss
            loss.backward()
            torch.nn.utils.clip_grad_norm_(params, 1.0)
            optimizer.step()
            schedule.step()
            optimizer.zero_grad(set_to_none=True)
            done += 1
            if done == steps:
                break
    return time.perf_counter() - start


def timed_run(firm, X, Y, X_test) -> dict[str, float]:
    """Wall seconds of fit and of the evaluation's two test passes, and CPU seconds of the run."""
    cpu = time.process_time()
    start = time.perf_counter()
    firm.fit(X, Y, planted=np.zeros(len(X), bool))
    fit = time.perf_counter() - start
    start = time.perf_counter()
    for planted in (False, True):
        firm.predict_proba(X_test, planted=np.full(len(X_test), planted), spacing=20)
    evaluate = time.perf_counter() - start
    return {
        "fit": fit,
        "evaluate": evaluate,
        "run": fit + evaluate,
        "cpu": time.process_time() - cpu,
        "trainer": firm.fit_info["trainer_seconds"],
        "cache": firm.fit_info["frozen_seconds"],
        "load": os.getloadavg()[0],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--n", type=int, default=25000, help="training resumes (default 25,000: all)"
    )
    parser.add_argument("--epochs", type=float, default=5.0)
    parser.add_argument("--max-length", type=int, default=128)
    parser.add_argument(
        "--threads", type=int, default=None, help="torch threads (default: all cores)"
    )
    parser.add_argument(
        "--skip-old",
        action="store_true",
        help="skip the former computation of train_layers=1 (about 8 minutes)",
    )
    parser.add_argument(
        "--plain", action="store_true", help="also time a plain PyTorch loop (new configuration)"
    )
    args = parser.parse_args()

    from collective.firms.transformer import TransformerFirm, load_model
    from collective.runner import load_context, train_subset

    ctx = load_context()
    idx = train_subset(len(ctx.train), args.n)
    X, Y = ctx.train.subset(idx), ctx.Y_train[idx]
    common = dict(
        max_length=args.max_length,
        epochs=args.epochs,
        train_layers=1,
        threads=args.threads,
        progress=False,
    )
    today = dict(batch_size=8, learning_rate=5e-4, **common)
    firms = {
        "freeze_kv": TransformerFirm(freeze_kv=True, batch_size=32, learning_rate=2e-3, **common),
        "train_layers=1": TransformerFirm(**today),
    }
    if not args.skip_old:
        firms["former"] = former_computation(absorb_kv=False, **today)

    # Cache check (not timed): how many rows were missing and had to be computed now.
    net = load_model(firms["freeze_kv"].model, seed=0)
    from collective.firms.transformer import frozen

    frozen.freeze(net, 5)
    for planted_split, split in (("train", X), ("test", ctx.test)):
        for planted in (False,) if planted_split == "train" else (False, True):
            inputs = firms["freeze_kv"].model_inputs(split, np.full(len(split), planted), 20)
            missing = firms["freeze_kv"].kv_rows(net, 5, inputs, count_only=True)
            line = f"cache check, {planted_split} {'planted' if planted else 'clean'}: key/value rows computed now {missing}"
            store = firms["train_layers=1"]._frozen_store(net, 5)
            keys = [frozen.doc_key(x) for x in inputs]
            line += f", lower-layer rows missing (computed in the timed run) {len(set(keys) - _keys(store))}"
            print(line, flush=True)

    times = {}
    for name, firm in firms.items():
        times[name] = timed_run(firm, X, Y, ctx.test)
        t = times[name]
        print(
            f"{name:15s} (batch {firm.batch_size}): run {t['run']:7.1f} s wall = fit {t['fit']:.1f} s "
            f"(Trainer {t['trainer']:.1f} s, model + cache {t['cache']:.1f} s) + evaluation {t['evaluate']:.1f} s; "
            f"{t['cpu']:.1f} CPU s; load average {t['load']:.1f}",
            flush=True,
        )
    if args.plain:
        cpu = time.process_time()
        plain = plain_kv_loop(firms["freeze_kv"], X, Y)
        cpu = time.process_time() - cpu
        print(
            f"{'plain loop':15s}: fit {plain:7.1f} s (freeze_kv, same batches); "
            f"{cpu:.1f} CPU s; Trainer fit / plain fit = {times['freeze_kv']['fit'] / plain:.2f} (wall)"
        )
    for name, firm in firms.items():
        print(f"device ({name}): {firm.device_}")
    print(
        f"{len(X):,} training resumes x {args.epochs:g} epochs, max_length "
        f"{args.max_length}; {len(ctx.test):,} test resumes x 2 (clean, planted)"
    )
    for name in ("freeze_kv", "train_layers=1"):
        t = times[name]
        print(f"{name} run: {t['run']:.1f} s wall, {t['cpu']:.1f} CPU s (goal <= 180 s)")
    if "former" in times:
        old, t = times["former"], times["train_layers=1"]
        print(
            f"train_layers=1, speed-up over its former computation: run "
            f"{old['run'] / t['run']:.1f}x wall, {old['cpu'] / t['cpu']:.1f}x CPU; "
            f"fit {old['fit'] / t['fit']:.1f}x wall"
        )


def former_computation(**params):
    """``train_layers=1`` as it was computed before ``absorb_kv`` and the fp32 [CLS] path
    (pass ``absorb_kv=False``): a firm whose trained part runs under autocast on a CPU too."""
    from collective.firms.transformer import TransformerFirm

    class FormerComputation(TransformerFirm):
        @property
        def head_autocast(self) -> bool:
            return True

    return FormerComputation(**params)


def _keys(store) -> set[bytes]:
    store._scan()
    return set(store._index)


if __name__ == "__main__":
    main()
