"""K runs of the paper's transformer firm trained at once, as one stacked model.

The paper's grid (Section 5 and Appendix C of {cite}`hardt2023algorithmic`) trains thousands
of fine-tunes with the Trainer's defaults at batch 8. Runs that share everything that sets
the step count and the architecture (model, ``max_length``, epochs, batch size, learning
rate, precision, the training resumes, every layer trained) differ only in their
collective, labels, order and seeds, so :func:`fit_batched` trains K of them as one
:class:`~collective.firms.transformer.stacked.StackedBert`, each with its own batch of 8 per
step. Each run gets the learner of the single firm
(:meth:`~collective.firms.transformer.firm.TransformerFirm.fit`, the Hugging Face Trainer):

* its own pretrained network with the head seeded by its ``seed`` (the same
  :func:`~collective.firms.transformer.pretrained.load_model`);
* the Trainer's length-grouped batches in the Trainer's order for its seed
  (:func:`trainer_order`: with dropout off, exactly the single run's batches);
* AdamW with the Trainer's defaults (learning rate decayed linearly to 0 without warm-up,
  betas 0.9 and 0.999, eps 1e-8, no weight decay): elementwise, so one AdamW over the
  stacked weights is K AdamWs;
* its gradient's norm clipped at 1.0 on its own (:func:`clip_per_model`);
* dropout as configured, masks drawn independently per run (from one generator per batch
  seeded with ``dropout_seed``: a run's masks depend on its batch, as a single run's depend
  on its device).

With dropout off, K batched runs equal K single runs to float tolerance
(``tests/test_batched.py``). Afterwards each run's weights go back into its own Hugging Face
network, so prediction and metrics are the single firm's code. Scope: the full fine-tune
(``train_layers=None``, the paper's firm), BERT-architecture models, fp32 or bf16.
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any

import numpy as np
import torch
from torch import nn

from collective.errors import ConfigError
from collective.firms.transformer.checkpoints import State, parse_epochs, snapshot
from collective.firms.transformer.device import autocast
from collective.firms.transformer.firm import TransformerFirm
from collective.firms.transformer.stacked import StackedBert, check_supported

#: The firm parameters that runs of one batch share: with the training resumes, they fix
#: the step count and the architecture.
SHARED_PARAMS = ("model", "max_length", "epochs", "batch_size", "learning_rate", "precision")
#: The Trainer's AdamW and clipping defaults (``TrainingArguments``).
BETAS, EPS, WEIGHT_DECAY, MAX_GRAD_NORM = (0.9, 0.999), 1e-8, 0.0, 1.0

SCOPE = (
    "the batched trainer fine-tunes every layer (train_layers=None, the paper's firm); "
    "runs with train_layers or freeze_kv train one at a time (--executor local)"
)


def batchable(params: dict[str, Any]) -> bool:
    """Whether a transformer run with firm parameters ``params`` can train in a batch."""
    return params.get("train_layers") is None and not params.get("freeze_kv", False)


def batch_signature(params: dict[str, Any], n_train: int) -> tuple | None:
    """What runs of one batch must share (``None``: the run cannot be batched)."""
    if not batchable(params):
        return None
    return (*(params.get(name) for name in SHARED_PARAMS), int(n_train))


@dataclass
class BatchRun:
    """One run of a batch: its firm (parameters, seed) and its training data on the shared
    resumes: labels ``Y``, the planted resumes and the trigger's spacing."""

    firm: TransformerFirm
    Y: np.ndarray
    planted: np.ndarray | None = None
    spacing: int = 20


def trainer_order(lengths: Sequence[int], batch_size: int, seed: int, epochs: int) -> np.ndarray:
    """The order in which the Trainer (``train_sampling_strategy="group_by_length"``,
    seeded with ``seed``) feeds the resumes over ``epochs`` epochs, concatenated.

    The Trainer seeds torch's generator with ``seed``; each epoch its DataLoader draws one
    integer from it (the workers' base seed) and its ``LengthGroupedSampler`` one permutation
    (``get_length_grouped_indices``). Replayed here on a generator of the run's own. With
    dropout on, the single run's generator also feeds the dropout masks, so from its second
    epoch on its order differs from this one (a permutation drawn the same way)."""
    from transformers.trainer_pt_utils import get_length_grouped_indices

    generator = torch.Generator().manual_seed(int(seed))
    lengths = [int(n) for n in lengths]
    out = []
    for _ in range(epochs):
        torch.empty((), dtype=torch.int64).random_(generator=generator)
        out.extend(get_length_grouped_indices(lengths, batch_size, generator=generator))
    return np.asarray(out, dtype=np.int64)


def n_steps(n_train: int, batch_size: int, epochs: float) -> tuple[int, int]:
    """(steps per epoch, steps): the Trainer's ``ceil(n / batch)`` batches per epoch (the last
    one short) and ``ceil(epochs × that)`` steps in all."""
    per_epoch = math.ceil(n_train / batch_size)
    return per_epoch, math.ceil(epochs * per_epoch)


@torch.no_grad()
def clip_per_model(params: Sequence[torch.Tensor], max_norm: float) -> torch.Tensor:
    """Clip each stacked model's gradient (the slices ``[k]`` of every parameter) to norm
    ``max_norm``, as ``torch.nn.utils.clip_grad_norm_`` clips one model's (the Trainer's
    ``max_grad_norm``); returns the norms before clipping, ``(K,)``."""
    grads = [p.grad for p in params if p.grad is not None]
    norms = torch.stack([torch.linalg.vector_norm(g.flatten(1), dim=1) for g in grads])
    total = torch.linalg.vector_norm(norms, dim=0)
    scale = (max_norm / (total + 1e-6)).clamp(max=1.0)
    for g in grads:
        g.mul_(scale.view(-1, *([1] * (g.dim() - 1))).to(g.dtype))
    return total


class _Inputs:
    """The runs' inputs as one table on the device: the clean ``[CLS] ids [SEP]`` rows of the
    shared resumes and, per spacing, the planted rows; ``rows[k, i]`` is the table row that
    is resume ``i`` for run ``k`` (planted or not), so a step gathers every run's batch at
    once without a copy per run."""

    def __init__(self, firm: TransformerFirm, X, runs: Sequence[BatchRun]) -> None:
        n = len(X)
        blocks = [firm.model_inputs(X, None, 20)]
        spacings: dict[int, int] = {}
        rows = np.tile(np.arange(n), (len(runs), 1))
        for k, run in enumerate(runs):
            planted = np.zeros(n, bool) if run.planted is None else np.asarray(run.planted, bool)
            if not planted.any():
                continue
            if run.spacing not in spacings:
                spacings[run.spacing] = len(blocks)
                blocks.append(firm.model_inputs(X, np.ones(n, bool), run.spacing))
            rows[k, planted] += n * spacings[run.spacing]
        flat = [x for block in blocks for x in block]
        self.lengths = np.array([len(x) for x in flat], dtype=np.int64)
        table = np.zeros((len(flat), int(self.lengths.max())), dtype=np.int64)
        for r, x in enumerate(flat):
            table[r, : len(x)] = x
        self.table, self.rows = table, rows

    def run_lengths(self) -> np.ndarray:
        """``(K, n)``: each run's input lengths (its sampler's lengths)."""
        return self.lengths[self.rows]


def fit_batched(runs: Sequence[BatchRun], X, *, dropout_seed: int = 0) -> list[TransformerFirm]:
    """Train the runs' firms on the shared resumes ``X`` as one stacked model (see the module
    docstring); each firm is then fitted as after its own ``fit``: ``model_``, ``device_``,
    ``fit_info_`` (whose timings are the run's share of the batch: the batch's over K)."""
    if not runs:
        return []
    firms = [run.firm for run in runs]
    first = firms[0]
    for firm in firms:
        firm.validate()
        if not batchable(firm.key_params()):
            raise ConfigError(SCOPE)
    signature = batch_signature(first.key_params(), len(X))
    for firm in firms[1:]:
        if batch_signature(firm.key_params(), len(X)) != signature:
            raise ConfigError(
                "runs of one batch must share "
                + ", ".join(SHARED_PARAMS)
                + f" and the training resumes; got {first.key_params()} and {firm.key_params()}"
            )
    if first.resolved_precision == "fp16":
        raise ConfigError(
            "the batched trainer runs in fp32 or bf16 (fp16 needs the Trainer's loss scaling): "
            "pass --precision bf16 or fp32, or train one at a time"
        )
    start, cpu_start = time.perf_counter(), time.process_time()
    Ys = [firm._checked_labels(X, run.Y) for firm, run in zip(firms, runs, strict=True)]
    nets = [firm._pretrained_net()[0] for firm in firms]
    check_supported(nets[0])
    inputs = _Inputs(first, X, runs)
    checkpoints = parse_epochs(first.checkpoint_epochs, first.epochs)
    losses, seconds, states = _train(
        first, nets, inputs, Ys, [f.seed for f in firms], dropout_seed, checkpoints
    )
    fitted = []
    for k, (firm, net) in enumerate(zip(firms, nets, strict=True)):
        result = SimpleNamespace(training_loss=losses[k], metrics={"train_runtime": seconds})
        firm._cpu_start = time.process_time()
        firm.checkpoints_ = states[k]
        firm._fitted(net, result, start, 0.0, 0, len(X))
        share = len(firms)
        firm.fit_info_.update(
            train_seconds=(time.perf_counter() - start) / share,
            cpu_seconds=(time.process_time() - cpu_start) / share,
            trainer_seconds=seconds / share,
        )
        fitted.append(firm)
    return fitted


def _train(
    firm: TransformerFirm,
    nets: list[nn.Module],
    inputs: _Inputs,
    Ys: list[np.ndarray],
    seeds: list[int],
    dropout_seed: int,
    checkpoints: tuple[int, ...] = (),
) -> tuple[list[float], float, list[dict[int, State]]]:
    """The training loop; writes each run's weights back into its network. Returns each
    run's training loss (the mean over steps of its batches' mean loss, as the Trainer
    reports it), the loop's seconds, and each run's weights at the end of the epochs
    ``checkpoints`` (:mod:`collective.firms.transformer.checkpoints`)."""
    from tqdm.auto import tqdm

    device, precision = firm.torch_device, firm.resolved_precision
    K, n = len(nets), len(Ys[0])
    per_epoch, steps = n_steps(n, firm.batch_size, firm.epochs)
    epochs = math.ceil(steps / per_epoch)
    lengths = inputs.run_lengths()
    order = np.stack(
        [trainer_order(lengths[k], firm.batch_size, seeds[k], epochs) for k in range(K)]
    )
    bounds = []  # each step's slice of the concatenated epochs
    for t in range(steps):
        epoch, j = divmod(t, per_epoch)
        bounds.append(
            (epoch * n + j * firm.batch_size, epoch * n + min((j + 1) * firm.batch_size, n))
        )
    fed = np.take_along_axis(lengths, order, axis=1).max(axis=0)
    widths = [int(fed[a:b].max()) for a, b in bounds]

    stacked = StackedBert(nets).to(device).train()
    table = torch.from_numpy(inputs.table).to(device)
    row_lengths = torch.from_numpy(inputs.lengths).to(device)
    rows = torch.from_numpy(inputs.rows).to(device)
    order_t = torch.from_numpy(order).to(device)
    labels = torch.from_numpy(np.stack(Ys).astype(np.float32)).to(device)
    models = torch.arange(K, device=device).view(K, 1)
    params = list(stacked.parameters())
    optimizer = torch.optim.AdamW(
        params,
        lr=firm.learning_rate,
        betas=BETAS,
        eps=EPS,
        weight_decay=WEIGHT_DECAY,
        fused=True,  # the Trainer's default optimizer, adamw_torch_fused
    )
    schedule = torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda t: max(0.0, (steps - t) / max(1, steps))
    )
    torch.manual_seed(dropout_seed)
    total = torch.zeros(K, device=device)
    states: list[dict[int, State]] = [{} for _ in range(K)]
    began = time.perf_counter()
    for t in tqdm(range(steps), desc="batched", disable=not firm.progress, leave=False):
        a, b = bounds[t]
        idx = order_t[:, a:b]  # (K, batch): each run's resumes this step
        r = rows.gather(1, idx)
        width = widths[t]
        ids = table[r, :width]
        mask = torch.arange(width, device=device) < row_lengths[r].unsqueeze(-1)
        with autocast(device, precision):
            logits = stacked(ids, mask)
        loss = torch.nn.functional.binary_cross_entropy_with_logits(
            logits.float(), labels[models, idx], reduction="none"
        ).mean(dim=(1, 2))
        loss.sum().backward()  # the runs share no weight: each gets its own loss's gradient
        clip_per_model(params, MAX_GRAD_NORM)
        optimizer.step()
        schedule.step()
        optimizer.zero_grad(set_to_none=True)
        total += loss.detach()
        if (t + 1) % per_epoch == 0 and (t + 1) // per_epoch in checkpoints:
            for k, net in enumerate(nets):  # a copy of each run's weights, as the single fit's
                stacked.unstack_into(k, net)
                states[k][(t + 1) // per_epoch] = snapshot(net)
    seconds = time.perf_counter() - began
    for k, net in enumerate(nets):
        stacked.unstack_into(k, net)
    return (total / steps).tolist(), seconds, states
