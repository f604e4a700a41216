"""The last encoder layer computed for the [CLS] position only.

A BERT-style sequence classifier reads the final hidden state of the first token alone (the
pooler's ``hidden[:, 0]``, DistilBERT's pre-classifier likewise). In the last layer the other
positions are still needed as keys and values, but their queries, attention outputs and
feed-forward blocks are not: computing them for [CLS] only gives the same logits and the
same gradients at about a sixth of the layer's multiply-adds (of its 12 d^2 per position,
only the key and value projections, 2 d^2, still run at every position). With a single query, the
key and value projections of the other positions can be folded into the query and the
context (:class:`ClsOnlyLayer`), which removes most of what is left. This is what makes
``--train-layers 1`` affordable on a CPU at the paper's 25,000 resumes;
``tests/test_transformer.py`` checks the equality against the stock layer.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import torch
from torch import nn
from torch.nn import functional as F

from collective.firms.transformer.frozen import encoder_layers


def supports_cls_only(layer: nn.Module) -> bool:
    """BERT-family layers (BERT, RoBERTa, MiniLM, ELECTRA) have the parts this needs."""
    attention = getattr(layer, "attention", None)
    return (
        attention is not None
        and hasattr(attention, "self")
        and hasattr(attention, "output")
        and hasattr(layer, "intermediate")
        and hasattr(layer, "output")
        and not getattr(layer, "is_decoder", False)
    )


class ClsOnlyLayer(nn.Module):
    """Wraps a BERT-family layer (sharing its weights); returns hidden states of shape
    ``(batch, 1, hidden)``: the layer's output at position 0.

    With ``absorb`` (the default) the key and value projections are never applied to the
    sequence. For the single [CLS] query ``q`` of a head, the score of position ``j`` is
    ``q · (W_k h_j + b_k) = (W_k^T q) · h_j + q · b_k``, and the second term is the same for
    every ``j``, so the softmax drops it; the head's context is
    ``sum_j a_j (W_v h_j + b_v) = W_v (sum_j a_j h_j) + b_v sum_j a_j`` (``sum_j a_j`` is 1
    without attention dropout). Per example the scores and the weighted sum cost
    ``2 × heads × width × hidden`` multiply-adds instead of the projections'
    ``2 × width × hidden²``: ``hidden / heads`` = 32 times fewer for MiniLM's 12 heads and
    384 dimensions. Same function and gradients (``absorb=False`` keeps the projections, for
    the benchmark and the tests).
    """

    def __init__(self, layer: nn.Module, absorb: bool = True) -> None:
        super().__init__()
        self.layer = layer
        self.absorb = absorb
        self.training = layer.training  # a new module starts in training mode: inherit instead

    def forward(
        self,
        hidden_states: torch.Tensor,
        attention_mask: torch.Tensor | None = None,
        *args,
        **kwargs,
    ):
        sa = self.layer.attention.self
        batch = hidden_states.shape[0]
        heads, size = sa.num_attention_heads, sa.attention_head_size
        cls = hidden_states[:, :1]
        q = sa.query(cls).view(batch, 1, heads, size).transpose(1, 2)  # (B, heads, 1, size)
        mask = _cls_row(attention_mask, q.dtype)
        dropout = sa.dropout.p if self.training else 0.0
        scale = getattr(sa, "scaling", size**-0.5)
        if self.absorb:
            context = _absorbed_attention(sa, q, hidden_states, mask, dropout, scale)
        else:
            context = _projected_attention(sa, q, hidden_states, mask, dropout, scale)
        context = context.transpose(1, 2).reshape(batch, 1, heads * size)
        attended = self.layer.attention.output(context, cls)
        return self.layer.output(self.layer.intermediate(attended), attended)


def _cls_row(mask: torch.Tensor | None, dtype: torch.dtype) -> torch.Tensor | None:
    """The [CLS] query's row of the model's attention mask, shape ``(B, 1, 1, W)``: boolean
    (True = attend) or additive, as the model passed it."""
    if mask is None:
        return None
    if mask.dim() == 2:  # (B, W) padding mask
        mask = mask[:, None, None, :].bool()
    elif mask.shape[-2] > 1:
        mask = mask[:, :, :1, :]
    return mask.to(dtype) if mask.is_floating_point() else mask


def _projected_attention(sa, q, hidden, mask, dropout: float, scale: float) -> torch.Tensor:
    """The stock computation: keys and values of every position, then attention."""
    batch, width, _ = hidden.shape
    heads, size = sa.num_attention_heads, sa.attention_head_size
    k = sa.key(hidden).view(batch, width, heads, size).transpose(1, 2)
    v = sa.value(hidden).view(batch, width, heads, size).transpose(1, 2)
    return F.scaled_dot_product_attention(q, k, v, attn_mask=mask, dropout_p=dropout, scale=scale)


def _absorbed_attention(sa, q, hidden, mask, dropout: float, scale: float) -> torch.Tensor:
    """The same attention with ``W_k`` moved onto the query and ``W_v`` after the weighted
    sum (see :class:`ClsOnlyLayer`); returns ``(B, heads, 1, size)``."""
    heads, size = sa.num_attention_heads, sa.attention_head_size
    w_k = sa.key.weight.view(heads, size, -1)  # (heads, size, hidden): rows of W_k per head
    w_v = sa.value.weight.view(heads, size, -1)
    hidden = hidden.to(q.dtype)
    q_in = torch.einsum("bnd,ndh->bnh", q[:, :, 0], w_k.to(q.dtype))  # W_k^T q per head
    scores = torch.einsum("bnh,bwh->bnw", q_in, hidden) * scale  # (B, heads, W)
    if mask is not None:
        row = mask[:, :, 0, :]  # (B, 1, W)
        scores = (
            scores.masked_fill(~row, float("-inf")) if row.dtype == torch.bool else scores + row
        )
    # softmax in fp32 under autocast, as the fused attention kernels accumulate
    probs = torch.softmax(scores.float(), dim=-1).to(q.dtype)
    probs = F.dropout(probs, p=dropout, training=dropout > 0)
    summed = torch.einsum("bnw,bwh->bnh", probs, hidden)  # sum_j a_j h_j per head
    context = torch.einsum("bnh,ndh->bnd", summed, w_v.to(q.dtype))
    if sa.value.bias is not None:
        context = context + probs.sum(-1, keepdim=True) * sa.value.bias.view(heads, size)
    return context.unsqueeze(2)


@contextmanager
def cls_only_last_layer(
    model: nn.Module, enabled: bool = True, absorb: bool = True
) -> Iterator[bool]:
    """Within the context, ``model``'s last encoder layer runs for [CLS] only (when
    ``enabled`` and the architecture supports it; yields whether it does). ``absorb``: see
    :class:`ClsOnlyLayer`."""
    holder, name = encoder_layers(model)
    layers = getattr(holder, name)
    if not enabled or not len(layers) or not supports_cls_only(layers[-1]):
        yield False
        return
    setattr(holder, name, nn.ModuleList([*list(layers)[:-1], ClsOnlyLayer(layers[-1], absorb)]))
    try:
        yield True
    finally:
        setattr(holder, name, layers)
