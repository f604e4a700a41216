"""Model surgery for ``freeze_kv`` (:mod:`collective.firms.transformer.kv_cache`): the top
layer's key and value projections frozen and fingerprinted, their outputs computed for the cache
(:func:`project_kv`), and the [CLS] path of the classifier above the cached keys and values
(:class:`ClsKVHead`), which is what training moves."""

from __future__ import annotations

import hashlib

import torch
from torch import nn
from torch.nn import functional as F

from collective.errors import ConfigError
from collective.firms.transformer import frozen as frozen_mod
from collective.firms.transformer.cls_layer import supports_cls_only


def check_supported(model: nn.Module) -> None:
    """``freeze_kv`` needs a BERT-family sequence classifier: self-attention with
    ``query``/``key``/``value``, a pooler, ``dropout`` and ``classifier`` (a
    :class:`ConfigError` otherwise)."""
    holder, name = frozen_mod.encoder_layers(model)
    layers = getattr(holder, name)
    ok = (
        len(layers) > 0
        and supports_cls_only(layers[-1])
        and all(hasattr(layers[-1].attention.self, p) for p in ("query", "key", "value"))
        and getattr(model.base_model, "pooler", None) is not None
        and hasattr(model, "classifier")
        and hasattr(model, "dropout")
    )
    if not ok:
        raise ConfigError(
            f"freeze_kv needs a BERT-family classifier (query/key/value self-attention, a pooler); "
            f"{type(model).__name__} is not one. Use train_layers without freeze_kv."
        )


def top_layer(model: nn.Module) -> nn.Module:
    holder, name = frozen_mod.encoder_layers(model)
    return getattr(holder, name)[-1]


def freeze_kv(model: nn.Module) -> None:
    """Freeze the last layer's key and value projections (no gradients; they hold no dropout)."""
    sa = top_layer(model).attention.self
    for module in (sa.key, sa.value):
        for param in module.parameters():
            param.requires_grad_(False)


def kv_fingerprint(model: nn.Module, n_frozen: int) -> str:
    """Hash of every frozen weight: embeddings, the lowest ``n_frozen`` layers and the last
    layer's key and value projections."""
    digest = hashlib.blake2b(digest_size=16)
    digest.update(frozen_mod.fingerprint(model, n_frozen).encode())
    sa = top_layer(model).attention.self
    for pname, tensor in sorted(
        {
            **{f"key.{k}": v for k, v in sa.key.state_dict().items()},
            **{f"value.{k}": v for k, v in sa.value.state_dict().items()},
        }.items()
    ):
        digest.update(f"{pname}:{tuple(tensor.shape)}:{tensor.dtype}".encode())
        digest.update(tensor.detach().to("cpu").contiguous().view(torch.uint8).numpy().tobytes())
    return digest.hexdigest()


@torch.no_grad()
def project_kv(layer: nn.Module, hidden: torch.Tensor) -> torch.Tensor:
    """The keys and values of ``layer`` (the model's last, from :func:`top_layer`, taken
    outside any :func:`collective.firms.transformer.frozen.bottom_view`) for ``hidden``, the states
    entering it, concatenated on the last axis: ``(..., L, 2H)``."""
    sa = layer.attention.self
    return torch.cat([sa.key(hidden), sa.value(hidden)], dim=-1)


class ClsKVHead(nn.Module):
    """The [CLS] path of a BERT-family sequence classifier above cached keys and values.

    ``forward(kv, cls, attention_mask, labels=None)`` with ``kv`` of shape ``(B, W, 2H)``
    (keys then values of the last layer, padded), ``cls`` of shape ``(B, H)`` (the [CLS]
    hidden state entering the last layer) and ``attention_mask`` ``(B, W)`` computes what
    the stock model computes for the same tokens: the [CLS] query, scaled dot-product
    attention (attention dropout in training), attention output, feed-forward, pooler,
    dropout, classifier, and with ``labels`` the multi-label BCE loss of
    ``problem_type="multi_label_classification"``. Its modules are the model's own
    (shared weights): training the head trains the model.
    """

    def __init__(self, model: nn.Module) -> None:
        super().__init__()
        check_supported(model)
        self.layer = top_layer(model)
        self.pooler = model.base_model.pooler
        self.dropout = model.dropout
        self.classifier = model.classifier
        self.training = model.training

    def forward(
        self,
        kv: torch.Tensor,
        cls: torch.Tensor,
        attention_mask: torch.Tensor | None = None,
        labels: torch.Tensor | None = None,
    ):
        from transformers.modeling_outputs import SequenceClassifierOutput

        sa = self.layer.attention.self
        batch, width, _ = kv.shape
        heads, size = sa.num_attention_heads, sa.attention_head_size
        hidden = heads * size
        # cached rows come in the store's dtype (float16): the [CLS] state enters the
        # weights' dtype (autocast decides the matmuls' precision, as in the stock model)
        cls = cls.to(sa.query.weight.dtype).unsqueeze(1)  # (B, 1, H)
        q = sa.query(cls).view(batch, 1, heads, size).transpose(1, 2)
        k = kv[..., :hidden].view(batch, width, heads, size).transpose(1, 2)
        v = kv[..., hidden:].view(batch, width, heads, size).transpose(1, 2)
        q, k, v = _same_dtype(q, k, v)
        mask = None
        if attention_mask is not None:
            mask = attention_mask.bool()[:, None, None, :]  # (B, 1, 1, W), True = attend
        context = F.scaled_dot_product_attention(
            q,
            k,
            v,
            attn_mask=mask,
            dropout_p=sa.dropout.p if self.training else 0.0,
            scale=getattr(sa, "scaling", size**-0.5),
        )
        context = context.transpose(1, 2).reshape(batch, 1, hidden)
        attended = self.layer.attention.output(context, cls)
        out = self.layer.output(self.layer.intermediate(attended), attended)  # (B, 1, H)
        pooled = self.pooler(out)
        logits = self.classifier(self.dropout(pooled))
        loss = None
        if labels is not None:
            loss = F.binary_cross_entropy_with_logits(logits.float(), labels.float())
        return SequenceClassifierOutput(loss=loss, logits=logits)


def _same_dtype(*tensors: torch.Tensor) -> tuple[torch.Tensor, ...]:
    """Attention runs in the query's dtype (fp32, or bf16/fp16 under autocast), as in the
    stock layer; the cached keys and values are cast to it."""
    dtype = tensors[0].dtype
    return tuple(t.to(dtype) for t in tensors)
