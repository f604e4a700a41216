"""K BERT sequence classifiers as one module: their weights stacked along a leading model
axis, their forward pass one stream of batched matrix products.

The runs of one grid of the paper's transformer experiments (Section 5 of
{cite}`hardt2023algorithmic`) differ only in their data (the collective, labels, order) and
seeds, so K of them can train as one model whose every weight has a leading axis of size K:
``(K, out, in)`` for a linear layer, a ``bmm`` over the model axis instead of K small
matrix products. At the paper's batch of 8 a GPU otherwise spends most of a step launching
small kernels.

:class:`StackedBert` reads the weights of K Hugging Face ``BertForSequenceClassification``
models (the default MiniLM-L6 is one) and computes what each computes: embeddings (word,
position, token type 0), the encoder layers (attention with the padding mask, feed-forward,
post-layer norms), the pooler over [CLS] and the classifier, with the dropout of the
model's configuration drawn independently for every model and element. The last layer runs
for [CLS] alone (its other positions only serve as keys and values, as in the single firm's
:mod:`~collective.firms.transformer.cls_layer`). ``tests/test_batched.py`` checks its logits
and gradients against the Hugging Face models.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn
from torch.nn import functional as F

from collective.errors import ConfigError


def check_supported(net: nn.Module) -> None:
    """:class:`ConfigError` unless ``net`` is a BERT sequence classifier with absolute
    positions (what :class:`StackedBert` computes)."""
    config = getattr(net, "config", None)
    kind = getattr(config, "model_type", None)
    if (
        kind != "bert"
        or not hasattr(net, "bert")
        or getattr(config, "position_embedding_type", "absolute") != "absolute"
        or getattr(config, "is_decoder", False)
    ):
        raise ConfigError(
            f"the batched trainer computes BERT-architecture classifiers (the default MiniLM), "
            f"not {kind!r}: train this model one run at a time (--executor local)"
        )


def _layer_norm(x: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor, eps: float):
    """Layer norm of ``x`` ``(K, ..., H)`` with each model's own weight and bias ``(K, H)``."""
    shape = (x.shape[0],) + (1,) * (x.dim() - 2) + (x.shape[-1],)
    return F.layer_norm(x, x.shape[-1:], eps=eps) * weight.view(shape) + bias.view(shape)


def _linear(x: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor) -> torch.Tensor:
    """``x`` ``(K, N, in)`` through each model's own linear layer ``(K, out, in)``, ``(K, out)``."""
    return torch.baddbmm(bias.unsqueeze(1), x, weight.transpose(1, 2))


class StackedBert(nn.Module):
    """K BERT classifiers with stacked weights: ``self.weights[name]`` is the Hugging Face
    parameter ``name`` of every model, shape ``(K, *shape)``.

    ``forward(ids, mask)``: ``ids`` and ``mask`` ``(K, B, L)`` (model ``k`` reads row ``k``;
    ``mask`` 1 for tokens, 0 for padding) -> logits ``(K, B, labels)``.
    """

    def __init__(self, nets: Sequence[nn.Module]) -> None:
        super().__init__()
        if not nets:
            raise ConfigError("a stacked model needs at least one model")
        for net in nets:
            check_supported(net)
        config = nets[0].config
        self.config = config
        self.names = [name for name, _ in nets[0].named_parameters()]
        if any([n for n, _ in net.named_parameters()] != self.names for net in nets[1:]):
            raise ConfigError("the stacked models must have the same architecture")
        params = [dict(net.named_parameters()) for net in nets]
        self.weights = nn.ParameterDict(
            {
                _key(name): nn.Parameter(torch.stack([p[name].detach().float() for p in params]))
                for name in self.names
            }
        )
        self.n_models = len(nets)
        self.n_layers = int(config.num_hidden_layers)
        self.heads = int(config.num_attention_heads)
        self.eps = float(config.layer_norm_eps)
        self.act = _activation(config.hidden_act)
        self.p_hidden = float(config.hidden_dropout_prob)
        self.p_attention = float(config.attention_probs_dropout_prob)
        classifier = getattr(config, "classifier_dropout", None)
        self.p_classifier = self.p_hidden if classifier is None else float(classifier)

    def w(self, name: str) -> torch.Tensor:
        return self.weights[_key(name)]

    @torch.no_grad()
    def unstack_into(self, k: int, net: nn.Module) -> nn.Module:
        """Copy model ``k``'s weights into ``net`` (a Hugging Face model of the same
        architecture); returns ``net``."""
        for name, param in net.named_parameters():
            param.copy_(self.w(name)[k].to(param.device, param.dtype))
        return net

    def _dropout(self, x: torch.Tensor, p: float) -> torch.Tensor:
        # one mask element per model and element: independent across the stacked models
        return F.dropout(x, p=p, training=self.training) if p > 0 else x

    def forward(self, ids: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        K, B, L = ids.shape
        if K != self.n_models:
            raise ValueError(f"ids hold {K} models' batches for {self.n_models} stacked models")
        words = self.w("bert.embeddings.word_embeddings.weight")  # (K, V, H)
        V, H = words.shape[1:]
        offsets = torch.arange(K, device=ids.device).view(K, 1, 1) * V
        x = F.embedding(ids + offsets, words.reshape(K * V, H))  # (K, B, L, H)
        x = x + self.w("bert.embeddings.position_embeddings.weight")[:, None, :L]
        x = x + self.w("bert.embeddings.token_type_embeddings.weight")[:, None, None, 0]
        x = _layer_norm(
            x,
            self.w("bert.embeddings.LayerNorm.weight"),
            self.w("bert.embeddings.LayerNorm.bias"),
            self.eps,
        )
        x = self._dropout(x, self.p_hidden).reshape(K, B * L, H)
        keep = mask.reshape(K * B, 1, 1, L).bool()  # True: attend
        for i in range(self.n_layers):
            x = self._layer(i, x, keep, (K, B, L, H), last=i == self.n_layers - 1)
        cls = x.reshape(K, B, H)  # the last layer returns [CLS] only
        pooled = torch.tanh(
            _linear(cls, self.w("bert.pooler.dense.weight"), self.w("bert.pooler.dense.bias"))
        )
        pooled = self._dropout(pooled, self.p_classifier)
        return _linear(pooled, self.w("classifier.weight"), self.w("classifier.bias"))

    def _layer(self, i: int, x: torch.Tensor, keep: torch.Tensor, shape, *, last: bool):
        """Encoder layer ``i`` on ``x`` ``(K, B*L, H)``; the last one for [CLS] only
        (returns ``(K, B, H)`` then)."""
        K, B, L, H = shape
        heads, size = self.heads, H // self.heads
        pre = f"bert.encoder.layer.{i}."
        lin = lambda t, name: _linear(
            t, self.w(pre + name + ".weight"), self.w(pre + name + ".bias")
        )  # noqa: E731
        Lq = 1 if last else L
        xq = x.view(K, B, L, H)[:, :, :1].reshape(K, B, H) if last else x
        q = lin(xq, "attention.self.query").view(K * B, Lq, heads, size).transpose(1, 2)
        k = lin(x, "attention.self.key").view(K * B, L, heads, size).transpose(1, 2)
        v = lin(x, "attention.self.value").view(K * B, L, heads, size).transpose(1, 2)
        context = _attention(q, k, v, keep, self.p_attention if self.training else 0.0)
        context = context.transpose(1, 2).reshape(K, B * Lq, H)
        h = self._dropout(lin(context, "attention.output.dense"), self.p_hidden)
        h = _layer_norm(
            h + xq,
            self.w(pre + "attention.output.LayerNorm.weight"),
            self.w(pre + "attention.output.LayerNorm.bias"),
            self.eps,
        )
        out = self._dropout(
            lin(self.act(lin(h, "intermediate.dense")), "output.dense"), self.p_hidden
        )
        return _layer_norm(
            out + h,
            self.w(pre + "output.LayerNorm.weight"),
            self.w(pre + "output.LayerNorm.bias"),
            self.eps,
        )


def _attention(q, k, v, keep: torch.Tensor, dropout: float) -> torch.Tensor:
    """Scaled dot-product attention of ``(K*B, heads, Lq, size)`` queries over the unmasked
    keys. PyTorch's fused kernel on CUDA; on a CPU the plain computation (the fused one
    falls back to a slower unfused path there when dropout is on, as the single firm's
    :func:`~collective.firms.transformer.device.attention_implementation` notes)."""
    if q.device.type == "cuda":
        return F.scaled_dot_product_attention(q, k, v, attn_mask=keep, dropout_p=dropout)
    scores = (q @ k.transpose(-1, -2)) * q.shape[-1] ** -0.5
    scores = scores.masked_fill(~keep, torch.finfo(scores.dtype).min)
    probs = torch.softmax(scores, dim=-1, dtype=torch.float32).to(v.dtype)
    if dropout > 0:
        probs = F.dropout(probs, p=dropout)
    return probs @ v


def _activation(name: str):
    from transformers.activations import ACT2FN

    if name not in ACT2FN:
        raise ConfigError(f"the batched trainer does not know the activation {name!r}")
    return ACT2FN[name]


def _key(name: str) -> str:
    """A parameter name as a ``ParameterDict`` key (no dots allowed there)."""
    return name.replace(".", "/")
