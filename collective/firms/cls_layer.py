"""The last encoder layer computed for the [CLS] position only.

A BERT-style sequence classifier reads the final hidden state of the first token alone (the
pooler's ``hidden[:, 0]``, DistilBERT's pre-classifier likewise). In the last layer the other
positions are still needed as keys and values, but their queries, attention outputs and
feed-forward blocks are not: computing them for [CLS] only gives the same logits and the
same gradients at about a sixth of the layer's cost at 128 tokens. This is what makes
``--train-layers 1`` affordable on a CPU; ``tests/test_transformer.py`` checks the equality
against the stock layer.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import torch
from torch import nn
from torch.nn import functional as F

from collective.firms.frozen import encoder_layers


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
    ``(batch, 1, hidden)``: the layer's output at position 0."""

    def __init__(self, layer: nn.Module) -> None:
        super().__init__()
        self.layer = layer
        self.training = layer.training  # a new module starts in training mode: inherit instead

    def forward(
        self,
        hidden_states: torch.Tensor,
        attention_mask: torch.Tensor | None = None,
        *args,
        **kwargs,
    ):
        sa = self.layer.attention.self
        batch, width, _ = hidden_states.shape
        heads, size = sa.num_attention_heads, sa.attention_head_size
        cls = hidden_states[:, :1]
        q = sa.query(cls).view(batch, 1, heads, size).transpose(1, 2)
        k = sa.key(hidden_states).view(batch, width, heads, size).transpose(1, 2)
        v = sa.value(hidden_states).view(batch, width, heads, size).transpose(1, 2)
        mask = attention_mask
        if mask is not None and mask.dim() == 4 and mask.shape[-2] > 1:
            mask = mask[:, :, :1, :]  # the [CLS] query's row
        if mask is not None and mask.is_floating_point():
            mask = mask.to(q.dtype)
        context = F.scaled_dot_product_attention(
            q,
            k,
            v,
            attn_mask=mask,
            dropout_p=sa.dropout.p if self.training else 0.0,
            scale=getattr(sa, "scaling", size**-0.5),
        )
        context = context.transpose(1, 2).reshape(batch, 1, heads * size)
        attended = self.layer.attention.output(context, cls)
        return self.layer.output(self.layer.intermediate(attended), attended)


@contextmanager
def cls_only_last_layer(model: nn.Module, enabled: bool = True) -> Iterator[bool]:
    """Within the context, ``model``'s last encoder layer runs for [CLS] only (when
    ``enabled`` and the architecture supports it; yields whether it does)."""
    holder, name = encoder_layers(model)
    layers = getattr(holder, name)
    if not enabled or not len(layers) or not supports_cls_only(layers[-1]):
        yield False
        return
    setattr(holder, name, nn.ModuleList([*list(layers)[:-1], ClsOnlyLayer(layers[-1])]))
    try:
        yield True
    finally:
        setattr(holder, name, layers)
