"""The top layer's keys and values frozen and cached: only the [CLS] path is trained.

With ``train_layers=1`` the firm fine-tunes the last encoder layer and the head of a
BERT-family classifier, reading the lower layers' output from a disk cache
(:mod:`collective.firms.frozen`), and computing the last layer for [CLS] alone
(:mod:`collective.firms.cls_layer`). Most of what a training step still costs is then the
last layer's key and value projections of every token: the classifier reads position 0
only, so the query, the attention output, the feed-forward block, the pooler and the
classifier run for one vector per resume, but the keys and values run for all of them.

``freeze_kv=True`` freezes those two projections as well. They become a fixed function of
the tokens, like the lower layers, and their outputs are cached once per resume (clean and
planted): per resume the keys and values of the last layer for every token (``(L, 2H)``,
keys in the first ``H`` columns), and the [CLS] hidden state entering that layer (``(H,)``,
the residual of the attention block). A run then trains the [CLS] path only
(:class:`ClsKVHead`): the query of [CLS], attention over the cached keys and values,
attention output (dense + LayerNorm), feed-forward (+ LayerNorm), the pooler and the
classifier. That is the same function of the weights as the stock model
(``tests/test_transformer.py`` checks the logits against the full model); what changes is
which weights are trained, which is why ``freeze_kv`` is part of the firm's parameters (and
so of every run's cache key), and why the book compares it with ``train_layers=1`` at 2,000
resumes before relying on it.

The cache (:class:`KVStore`) follows :class:`collective.firms.frozen.FrozenStore`: rows are
content-addressed by the exact token ids that entered the model (special tokens,
truncation to ``max_length`` and the trigger planted at a given spacing included, so a
clean and a planted resume are two keys and no row can be served for another text,
spacing or length), the folder is keyed by a fingerprint of every frozen weight
(embeddings, lower layers, the last layer's key and value projections), the number of
frozen layers, ``max_length``, the precision the frozen part ran in and the storage dtype;
shards become visible only when their key file is renamed into place, so an interrupted
build resumes where it stopped and leaves nothing half-written. Rows are read as read-only
memory maps, so several processes share one copy in the page cache.

Fill it once, before a sweep (the test set clean and planted, then the training rows the
grid's runs use, smaller training sets first; without ``--grid``, every training resume
clean and planted at ``--spacing``)::

    python -m collective.firms.kv_cache --grid grids/transformer_25k.yaml

(``--also-frozen`` also fills the lower-layer cache of ``train_layers=1`` from the same
forward pass, for comparisons with that configuration).
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Sequence

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from collective.errors import ConfigError
from collective.firms import frozen as frozen_mod
from collective.firms.cls_layer import supports_cls_only
from collective.firms.frozen import KEY_BYTES, FrozenStore
from collective.io import save_npy

# --------------------------------------------------------------------------- model surgery


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
    outside any :func:`collective.firms.frozen.bottom_view`) for ``hidden``, the states
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


# --------------------------------------------------------------------------- data


class KVExamples(torch.utils.data.Dataset):
    """One dict per resume: the cached ``kv`` ``(L, 2H)`` and ``cls`` ``(H,)`` rows (read-only
    memory maps, in the store's dtype) and, when given, the float label vector. They are
    copied once, into the batch, by :func:`collate_kv`: a 25,000-resume epoch moves about
    5 GB of cached keys and values, so no per-example copy or float32 conversion is made."""

    def __init__(
        self, rows: Sequence[tuple[np.ndarray, np.ndarray]], Y: np.ndarray | None = None
    ) -> None:
        self.rows = rows
        self.Y = None if Y is None else np.asarray(Y, dtype=np.float32)

    def __len__(self) -> int:
        return len(self.rows)

    def __getitem__(self, i: int) -> dict[str, np.ndarray]:
        kv, cls = self.rows[i]
        item = {"kv": kv, "cls": cls}
        if self.Y is not None:
            item["labels"] = self.Y[i]
        return item


def collate_kv(features: list[dict[str, np.ndarray]]) -> dict[str, torch.Tensor]:
    """Pad ``kv`` to the longest resume of the batch (one copy, in the stored dtype; the head
    casts to the compute dtype); the attention mask marks real tokens."""
    lengths = [len(f["kv"]) for f in features]
    width = max(lengths)
    first = features[0]["kv"]
    kv = np.zeros((len(features), width, first.shape[-1]), dtype=first.dtype)
    mask = np.zeros((len(features), width), dtype=np.int64)
    for row, (f, n) in enumerate(zip(features, lengths)):
        kv[row, :n] = f["kv"]
        mask[row, :n] = 1
    batch = {
        "kv": torch.from_numpy(kv),
        "cls": torch.from_numpy(np.stack([f["cls"] for f in features])),
        "attention_mask": torch.from_numpy(mask),
    }
    if "labels" in features[0]:
        batch["labels"] = torch.from_numpy(np.stack([f["labels"] for f in features]))
    return batch


# --------------------------------------------------------------------------- the disk store


class KVStore(FrozenStore):
    """Content-addressed disk cache of the last layer's keys and values and the [CLS] state.

    Same contract as :class:`collective.firms.frozen.FrozenStore`, but a row is a pair
    ``(kv, cls)``: ``kv`` of shape ``(L, 2H)``, ``cls`` of shape ``(H,)``. A shard is three
    arrays (flat ``kv`` rows, their offsets, the ``cls`` vectors) and the key file, written
    last.
    """

    def _shard(self, shard: str):
        if shard not in self._shards:
            kv = np.load(self.root / f"{shard}.kv.npy", mmap_mode="r")
            offsets = np.load(self.root / f"{shard}.off.npy")
            cls = np.load(self.root / f"{shard}.cls.npy", mmap_mode="r")
            self._shards[shard] = (kv, offsets, cls)
        return self._shards[shard]

    def read(self, key: bytes) -> tuple[np.ndarray, np.ndarray]:  # type: ignore[override]
        """The stored ``(kv, cls)`` of one key (read-only memory maps)."""
        shard, row = self._index[key]
        kv, offsets, cls = self._shard(shard)
        return kv[offsets[row] : offsets[row + 1]], cls[row]

    def write(self, keys: Sequence[bytes], rows: Sequence[tuple[np.ndarray, np.ndarray]]) -> None:  # type: ignore[override]
        if not keys:
            return
        shard = f"shard-{uuid.uuid4().hex}"
        offsets = np.zeros(len(rows) + 1, dtype=np.int64)
        offsets[1:] = np.cumsum([len(kv) for kv, _ in rows])
        flat = np.concatenate([np.asarray(kv, dtype=self.dtype) for kv, _ in rows])
        cls = np.stack([np.asarray(c, dtype=self.dtype) for _, c in rows])
        for suffix, array in ((".kv.npy", flat), (".off.npy", offsets), (".cls.npy", cls)):
            save_npy(self.root / f"{shard}{suffix}", array)
        key_array = np.frombuffer(b"".join(keys), dtype=np.uint8).reshape(len(keys), KEY_BYTES)
        save_npy(self.root / f"{shard}.keys.npy", key_array)


# --------------------------------------------------------------------------- the one-off build


def needed_rows(configs: Sequence, n_train: int, Y_train: np.ndarray) -> list[tuple[int, bool]]:
    """The training rows ``(index, planted)`` that ``configs`` (runner configs) feed the firm,
    smaller training sets first: every resume of each training subset clean, and the
    collective's resumes planted."""
    from collective.resumes.strategies import apply_strategy
    from collective.runner import train_subset

    order: dict[tuple[int, bool], None] = {}
    for config in sorted(configs, key=lambda c: c.max_train or n_train):
        idx = train_subset(n_train, config.max_train)
        plan = apply_strategy(
            Y_train[idx],
            strategy=config.strategy,
            target=config.target,
            alpha=config.alpha,
            seed=config.seed,
            random_labels=config.random_labels,
        )
        for i in idx[~plan.planted]:
            order.setdefault((int(i), False), None)
        for i in idx[plan.planted]:
            order.setdefault((int(i), True), None)
    return list(order)


def build(
    *,
    spacing: int = 20,
    max_length: int = 128,
    model: str | None = None,
    grids: Sequence[str] = (),
    also_frozen: bool = False,
    threads: int | None = None,
    chunk: int = 1024,
    part: tuple[int, int] = (0, 1),
    data: str | None = None,
    progress: bool = True,
) -> dict[str, int]:
    """Fill the key/value cache: every test resume clean and planted every ``spacing`` words,
    then the training resumes, clean and planted. Without ``grids``, every training resume
    both ways; with ``grids`` (grid files), only the training rows their ``freeze_kv`` runs
    use (the settings ``spacing``, ``max_length`` and ``model`` are then taken from them).
    Resumable: rows already stored are skipped. ``part=(i, n)``: only chunks ``i, i + n, ...``
    (``n`` single-threaded processes share the work; the store is safe for concurrent
    writers). Returns counts of rows asked / computed."""
    import time

    from collective.firms.transformer import DEFAULT_MODEL, TransformerFirm, load_model
    from collective.runner import load_context, load_grid

    ctx = load_context(data)
    if grids:
        configs = [
            c
            for g in grids
            for c in load_grid(g)
            if c.firm == "transformer" and c.firm_params.get("freeze_kv")
        ]
        settings = {
            (c.spacing, c.firm_params["max_length"], c.firm_params["model"]) for c in configs
        }
        if len(settings) != 1:
            raise ConfigError(
                f"the grids' freeze_kv runs must share spacing, max_length and model; got {settings}"
            )
        spacing, max_length, model = settings.pop()
        train_rows = needed_rows(configs, len(ctx.train), ctx.Y_train)
    else:
        train_rows = [(i, p) for p in (False, True) for i in range(len(ctx.train))]
    jobs = [("test", i, p) for p in (False, True) for i in range(len(ctx.test))]
    jobs += [("train", i, p) for i, p in train_rows]
    firm = TransformerFirm(
        model or DEFAULT_MODEL,
        max_length=max_length,
        train_layers=1,
        freeze_kv=True,
        threads=threads,
        progress=False,
    )
    net = load_model(firm.model, seed=0)
    n_frozen = firm._n_frozen(net)
    frozen_mod.freeze(net, n_frozen)
    counts = {"rows": 0, "computed": 0}
    start = time.perf_counter()
    i_part, n_parts = part
    if not 0 <= i_part < n_parts:
        raise ConfigError(f"part must be i/n with 0 <= i < n, got {i_part}/{n_parts}")
    for number, lo in enumerate(range(0, len(jobs), chunk)):
        if number % n_parts != i_part:
            continue
        piece = jobs[lo : lo + chunk]
        inputs = []
        for split, i, planted in piece:
            X = ctx.train if split == "train" else ctx.test
            inputs.extend(firm.model_inputs(X.subset([i]), np.array([planted]), spacing))
        computed = firm.kv_rows(net, n_frozen, inputs, also_frozen=also_frozen, count_only=True)
        counts["rows"] += len(inputs)
        counts["computed"] += computed
        if progress:
            elapsed = time.perf_counter() - start
            print(
                f"{lo + len(piece)}/{len(jobs)} rows ({piece[-1][0]}): {computed} computed now, "
                f"{counts['computed']} in {elapsed:.0f} s",
                flush=True,
            )
    return counts


def main(argv: Sequence[str] | None = None) -> int:
    import argparse

    parser = argparse.ArgumentParser(
        description="Fill the key/value cache of the freeze_kv transformer firm."
    )
    parser.add_argument(
        "--grid",
        action="append",
        default=[],
        help="only the rows this grid's freeze_kv runs use (repeatable); settings from the grid",
    )
    parser.add_argument("--spacing", type=int, default=20)
    parser.add_argument("--max-length", type=int, default=128)
    parser.add_argument("--model", default=None)
    parser.add_argument(
        "--also-frozen",
        action="store_true",
        help="also fill the lower-layer cache of train_layers=1 (same forward pass)",
    )
    parser.add_argument("--threads", type=int, default=None)
    parser.add_argument("--chunk", type=int, default=1024)
    parser.add_argument(
        "--part", default="0/1", help="i/n: this process's share of the chunks (default 0/1)"
    )
    args = parser.parse_args(argv)
    try:
        i_part, n_parts = (int(x) for x in args.part.split("/"))
    except ValueError:
        parser.error(f"--part must look like 0/2, got {args.part!r}")
    counts = build(
        spacing=args.spacing,
        max_length=args.max_length,
        model=args.model,
        grids=args.grid,
        also_frozen=args.also_frozen,
        threads=args.threads,
        chunk=args.chunk,
        part=(i_part, n_parts),
    )
    print(counts)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
