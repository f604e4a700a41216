"""Dropout with cheap masks, for training the whole network on a CPU.

On a CPU, torch's dropout draws its keep mask with ``bernoulli_``: one Mersenne-Twister
draw and a float comparison per entry. The every-layer firm (128 tokens)
draws about 12 million of them per step of 8 resumes, most for the attention probabilities
(8 × 12 heads × 128 × 128 per layer). Here a mask entry is 16 random bits (four per 64-bit
draw) compared with a threshold: about four times cheaper (6.3 against 1.5 ms per
attention mask on one core; ``benchmarks/profile_full_finetune.py`` times both). A
training step of the every-layer firm on two threads takes 23% less time with it (24.2 against
18.6 ms per example, ``benchmarks/results/bench_full_finetune.txt``). The mask the
network multiplies by is made from the 16-bit fields in place (:func:`scaled_mask`), not
through a boolean tensor: the same mask, and 6% off a step on one thread, measured back
to back (197 against 210 ms); the benchmark then read 15.5 ms per example on two threads.

The learner is the same: each entry is kept independently with probability
``1 - t / 65536`` where ``t = round(p * 65536)`` (for ``p = 0.1``: 0.8999939 against 0.9) and
kept entries are scaled by the inverse of that probability, so the output's expectation is the
input, as with torch's dropout. The masks come from torch's default generator, so a seeded
run is reproducible. Only the random draws differ from torch's dropout: a run with this
dropout and one with torch's are two draws of the same randomized learner.

:func:`use_fast_dropout` swaps it into a BERT-family network: its ``nn.Dropout`` modules
and, through a registered Hugging Face attention function (:data:`ATTENTION`), the
dropout of the attention probabilities. The last layer computed for [CLS] only
(:mod:`collective.firms.transformer.cls_layer`) keeps torch's dropout on its one row of
attention probabilities per head (8 × 12 × 128 entries a step).
"""

from __future__ import annotations

import math

import torch
from torch import nn

#: The Hugging Face attention implementation with this dropout (eager attention otherwise).
ATTENTION = "eager_fast_dropout"

_BITS = 16


def drop_threshold(p: float) -> int:
    """The 16-bit threshold ``t``: an entry is dropped when its 16 random bits, read as an
    unsigned number, are below ``t`` (probability ``t / 65536``, the nearest to ``p``)."""
    if not 0.0 <= p < 1.0:
        raise ValueError(f"dropout probability must be in [0, 1), got {p}")
    return round(p * (1 << _BITS))


def keep_mask(shape: torch.Size | tuple[int, ...], p: float) -> torch.Tensor:
    """A boolean mask of ``shape``, each entry ``True`` (kept) independently with probability
    ``1 - drop_threshold(p) / 65536``, from torch's default generator."""
    bits = _draw_fields(math.prod(shape))
    # int16 reads the 16 bits as u - 32768 for an unsigned u: u >= t  <=>  bits >= t - 32768
    return (bits >= drop_threshold(p) - (1 << (_BITS - 1))).view(shape)


def _draw_fields(numel: int) -> torch.Tensor:
    """``numel`` uniform 16-bit fields (int16), four per 64-bit draw of torch's generator."""
    words = -(-numel // 4)
    # randint over [-2**63, 2**63 - 1) reduces one 64-bit draw modulo 2**64 - 1: all 64 bits
    # uniform (to 2**-64). A narrower range would leave the top 16 bits uneven.
    bits = torch.randint(-(2**63), 2**63 - 1, (words,), dtype=torch.int64).view(torch.int16)
    return bits[:numel]


def fast_dropout(x: torch.Tensor, p: float, training: bool = True) -> torch.Tensor:
    """Inverted dropout of ``x`` with drop probability ``p`` (see the module's docstring).
    The mask is made once in ``x``'s dtype with the scale in it (0 or ``1 / keep``), so the
    forward and the backward pass are one multiplication each (autograd keeps the mask, not
    ``x``)."""
    if not training or p == 0.0:
        return x
    return x * scaled_mask(x.shape, p, x.dtype)


def scaled_mask(shape: torch.Size | tuple[int, ...], p: float, dtype: torch.dtype) -> torch.Tensor:
    """:func:`keep_mask` (the same draws) as numbers of ``dtype``: ``1 / keep`` where kept,
    0 where dropped (``1 / keep`` rounded to ``dtype``, as ``mask.to(dtype) * (1 / keep)``).

    For a 16-bit ``dtype`` the 16-bit fields become the mask in place, without a boolean
    tensor: clamping to ``[b - 1, b]`` (``b`` the threshold in int16) and subtracting
    ``b - 1`` leaves 0 or 1, and multiplying by the bit pattern of ``1 / keep`` gives that
    number's bits or zero's. Three integer passes instead of a comparison, a conversion and
    a multiplication: 0.03 against 0.5 ms over the draws' 0.27 ms for one hidden-state mask
    of 8 × 128 × 384 on one core."""
    t = drop_threshold(p)
    scale = (1 << _BITS) / ((1 << _BITS) - t)
    if t == 0 or dtype.itemsize != 2:
        return keep_mask(shape, p).to(dtype).mul_(scale)
    numel = math.prod(shape)
    b = t - (1 << (_BITS - 1))  # kept  <=>  bits >= b  (see keep_mask)
    scale_bits = int(torch.tensor(scale).to(dtype).view(torch.int16))
    fields = _draw_fields(numel)
    return fields.clamp_(b - 1, b).sub_(b - 1).mul_(scale_bits).view(dtype).view(shape)


class FastDropout(nn.Dropout):
    """``nn.Dropout`` with :func:`fast_dropout`'s masks (same ``p``, same ``train``/``eval``)."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return fast_dropout(x, self.p, self.training)


def eager_attention_with_fast_dropout(
    module: nn.Module,
    query: torch.Tensor,
    key: torch.Tensor,
    value: torch.Tensor,
    attention_mask: torch.Tensor | None,
    scaling: float | None = None,
    dropout: float = 0.0,
    **kwargs,
):
    """Hugging Face's BERT ``eager_attention_forward`` with :func:`fast_dropout` on the attention
    probabilities: the same function (dropout aside, the same operations in the same order)."""
    if scaling is None:
        scaling = query.size(-1) ** -0.5
    scores = torch.matmul(query, key.transpose(2, 3)) * scaling
    if attention_mask is not None:
        scores = scores + attention_mask
    weights = nn.functional.softmax(scores, dim=-1)
    weights = fast_dropout(weights, dropout, module.training)
    output = torch.matmul(weights, value).transpose(1, 2).contiguous()
    return output, weights


def register_attention() -> None:
    """Register :data:`ATTENTION` with Hugging Face's attention functions, with eager
    attention's padding mask (an attention function registered without a mask function
    gets no mask at all: padding would be attended to). Idempotent."""
    from transformers import AttentionInterface
    from transformers.masking_utils import AttentionMaskInterface, eager_mask

    AttentionInterface.register(ATTENTION, eager_attention_with_fast_dropout)
    AttentionMaskInterface.register(ATTENTION, eager_mask)


def use_fast_dropout(net: nn.Module) -> int:
    """Give ``net`` this dropout everywhere: every ``nn.Dropout`` becomes a
    :class:`FastDropout` of the same ``p`` and the attention implementation becomes
    :data:`ATTENTION` (eager attention). Returns how many dropout modules were swapped."""
    register_attention()
    net.set_attn_implementation(ATTENTION)
    swapped = 0
    for parent in list(net.modules()):
        for name, child in list(parent.named_children()):
            if type(child) is nn.Dropout:
                fast = FastDropout(child.p, child.inplace)
                fast.train(child.training)
                setattr(parent, name, fast)
                swapped += 1
    return swapped


def dropout_masks(net: nn.Module) -> str:
    """Which masks ``net``'s dropout draws: ``"16-bit"`` (:class:`FastDropout`) or ``"torch"``."""
    return "16-bit" if any(isinstance(m, FastDropout) for m in net.modules()) else "torch"
