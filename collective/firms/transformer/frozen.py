"""Frozen lower layers of a transformer, and a disk cache of their outputs.

When only the top ``k`` encoder layers of a pretrained model are fine-tuned, the lower
layers are a fixed function of the input tokens. Their output for a resume (clean, or with
the trigger planted at some spacing) is therefore computed once and kept on disk, and every
later run of a sweep trains and predicts from the cache at a fraction of the cost.

The cache is content-addressed: a row's key is a hash of the exact token ids that entered
the model (special tokens and truncation included). A row can thus never be served for a
different text, corpus, spacing or ``max_length``; clean and triggered versions of a resume
are simply two keys. The folder a row lives in is keyed by a fingerprint of the frozen
weights (embeddings and lower layers), the number of frozen layers, ``max_length``, the
precision they ran in and the storage dtype, so changing the model never reuses stale rows.

Rows are written in shards (a flat array of token vectors plus offsets); a shard becomes
visible only when its key file is renamed into place, so an interrupted run leaves nothing
half-written and two processes filling the same folder corrupt nothing (at worst they compute
the same rows twice). Before the key file, a manifest ``<shard>.sha256`` records the sha256
of each of the shard's files (:mod:`collective.integrity`); the first time a process opens a
shard it checks the manifest and the arrays' shapes, and a shard that fails (edited values, a
truncated file) is removed with a warning and its rows computed again. A shard written before
manifests existed is adopted on first open if its arrays are whole.
"""

from __future__ import annotations

import hashlib
import io as _bytes_io
import os
import uuid
import warnings
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Generic, TypeVar

import numpy as np
import torch
from torch import nn

from collective import io
from collective.errors import ConfigError
from collective.integrity import DamagedCache, check_manifest, write_manifest

KEY_BYTES = 16
#: Shards verified by this process, with the (inode, size, mtime) of their files: hashing a
#: shard of hundreds of MB once per process is cheap, once per run of a sweep is not.
_VERIFIED: set[tuple[str, str, tuple]] = set()


# --------------------------------------------------------------------------- model surgery


def encoder_layers(model: nn.Module) -> tuple[nn.Module, str]:
    """The module holding the encoder's ``ModuleList`` of layers, and that attribute's name.

    Knows the BERT family (BERT, RoBERTa, MiniLM, ELECTRA: ``base.encoder.layer``) and
    DistilBERT (``base.transformer.layer``).
    """
    base = model.base_model
    for holder_name in ("encoder", "transformer"):
        holder = getattr(base, holder_name, None)
        if holder is not None and isinstance(getattr(holder, "layer", None), nn.ModuleList):
            return holder, "layer"
    raise ConfigError(
        f"--train-layers needs a BERT-like encoder (base_model.encoder.layer or "
        f"base_model.transformer.layer); {type(model).__name__} has neither. "
        "Leave --train-layers unset to fine-tune the whole model."
    )


def n_layers(model: nn.Module) -> int:
    """Number of encoder layers of ``model``."""
    holder, name = encoder_layers(model)
    return len(getattr(holder, name))


def frozen_modules(model: nn.Module, n_frozen: int) -> list[nn.Module]:
    """The embeddings and the lowest ``n_frozen`` encoder layers."""
    holder, name = encoder_layers(model)
    return [model.base_model.embeddings, *list(getattr(holder, name))[:n_frozen]]


def freeze(model: nn.Module, n_frozen: int) -> None:
    """Freeze the embeddings and the lowest ``n_frozen`` layers: no gradients, and kept in
    eval mode (no dropout) even when the model is put in training mode, so that they are the
    same fixed function whether run on the fly or read from the cache."""
    for module in frozen_modules(model, n_frozen):
        for param in module.parameters():
            param.requires_grad_(False)
        module.eval()
        # Trainer calls model.train() each epoch; an instance attribute shadows nn.Module.train.
        module.train = _stay_in_eval.__get__(module)


def _stay_in_eval(self: nn.Module, mode: bool = True) -> nn.Module:
    return nn.Module.train(self, False)


class PassThroughEmbeddings(nn.Module):
    """Stands in for the embeddings module: returns the hidden states it is given as
    ``inputs_embeds`` (BERT passes them by keyword, DistilBERT by position)."""

    def forward(self, *args, **kwargs) -> torch.Tensor:
        for value in (*args, *kwargs.values()):
            if isinstance(value, torch.Tensor) and value.is_floating_point():
                return value
        raise ValueError("PassThroughEmbeddings needs the cached hidden states as inputs_embeds")


@contextmanager
def bottom_view(model: nn.Module, n_frozen: int) -> Iterator[nn.Module]:
    """The base model restricted to its embeddings and lowest ``n_frozen`` layers: its
    ``last_hidden_state`` is what the cache stores."""
    holder, name = encoder_layers(model)
    layers = getattr(holder, name)
    setattr(holder, name, nn.ModuleList(list(layers)[:n_frozen]))
    try:
        yield model.base_model
    finally:
        setattr(holder, name, layers)


@contextmanager
def top_view(model: nn.Module, n_frozen: int) -> Iterator[nn.Module]:
    """``model`` with the embeddings replaced by a pass-through and only the layers above
    ``n_frozen`` kept: called with ``inputs_embeds`` = the cached hidden states, it computes
    exactly what the full model computes from the tokens. Parameters are shared with
    ``model``, so training the view trains the model."""
    holder, name = encoder_layers(model)
    layers = getattr(holder, name)
    base = model.base_model
    embeddings = base.embeddings
    setattr(holder, name, nn.ModuleList(list(layers)[n_frozen:]))
    base.embeddings = PassThroughEmbeddings()
    try:
        yield model
    finally:
        setattr(holder, name, layers)
        base.embeddings = embeddings


def fingerprint(model: nn.Module, n_frozen: int) -> str:
    """Hash of the frozen weights (embeddings and lowest ``n_frozen`` layers)."""
    digest = hashlib.blake2b(digest_size=16)
    digest.update(type(model).__name__.encode())
    for i, module in enumerate(frozen_modules(model, n_frozen)):
        for pname, tensor in sorted(module.state_dict().items()):
            digest.update(f"{i}.{pname}:{tuple(tensor.shape)}:{tensor.dtype}".encode())
            digest.update(
                tensor.detach().to("cpu").contiguous().view(torch.uint8).numpy().tobytes()
            )
    return digest.hexdigest()


def doc_key(ids: np.ndarray) -> bytes:
    """Content key of one model input (the exact token ids, special tokens included)."""
    return hashlib.blake2b(
        np.asarray(ids, dtype=np.int32).tobytes(), digest_size=KEY_BYTES
    ).digest()


# --------------------------------------------------------------------------- the disk store


#: What a store holds per key (an array, or a tuple of arrays).
Row = TypeVar("Row")


class ShardStore(Generic[Row]):
    """Content-addressed disk cache of rows of type ``Row``, one folder per frozen model: the
    shards, their verification and the lookup. A subclass says what a shard's files are
    (:attr:`FILES`, :meth:`_load`) and how a row is read and written.

    ``get(keys, compute)`` returns one row per key, calling ``compute(missing_indices)``
    (which returns rows in that order) only for keys not yet on disk, and writing them as a
    new shard.
    """

    #: A shard's data files: suffix -> what its first axis counts (``tokens``: offsets[-1]
    #: rows, ``rows``: one per key, ``offsets``: one more than the keys).
    FILES: dict[str, str]

    def __init__(self, root: Path, dtype: str = "float16") -> None:
        if dtype not in ("float16", "float32"):
            raise ConfigError(f"frozen-cache dtype must be 'float16' or 'float32', got {dtype!r}")
        self.root = Path(root)
        self.dtype = np.dtype(dtype)
        self.root.mkdir(parents=True, exist_ok=True)
        self._index: dict[bytes, tuple[str, int]] = {}
        self._shards: dict[str, tuple[np.ndarray, ...]] = {}
        self._scanned: set[str] = set()

    def _scan(self) -> None:
        for key_file in sorted(self.root.glob("*.keys.npy")):
            shard = key_file.name[: -len(".keys.npy")]
            if shard in self._scanned:
                continue
            try:
                keys = np.load(key_file)
            except (OSError, ValueError, EOFError) as err:  # a damaged key file
                self._drop(shard, DamagedCache(f"{key_file.name}: {err}"))
                continue
            for row, key in enumerate(keys):
                self._index.setdefault(key.tobytes(), (shard, row))
            self._scanned.add(shard)

    def _load(self, shard: str) -> tuple[np.ndarray, ...]:
        """A shard's arrays (data as read-only memory maps), in the order of :attr:`FILES`."""
        raise NotImplementedError

    def _shard(self, shard: str) -> tuple[np.ndarray, ...]:
        if shard not in self._shards:
            self._verify(shard)
            self._shards[shard] = self._load(shard)
        return self._shards[shard]

    def _names(self, shard: str) -> list[str]:
        return [f"{shard}{suffix}" for suffix in (*self.FILES, ".keys.npy")]

    def _verify(self, shard: str) -> None:
        """Check a shard against its manifest and its arrays' shapes (a shard from before
        manifests is adopted if whole), once per process while its files stay as they were;
        :class:`DamagedCache` says what is wrong."""
        try:
            stamp = tuple(
                (st.st_ino, st.st_size, st.st_mtime_ns)
                for st in (os.stat(self.root / name) for name in self._names(shard))
            )
        except OSError as err:
            raise DamagedCache(f"{shard}: {err.strerror or err}") from None
        if (str(self.root), shard, stamp) in _VERIFIED:
            return
        self._check(shard)
        _VERIFIED.add((str(self.root), shard, stamp))

    def _check(self, shard: str) -> None:
        manifest = self.root / f"{shard}.sha256"
        adopt = not manifest.exists()
        problem = None if adopt else check_manifest(manifest, self.root)
        if problem is None:
            try:
                keys = np.load(self.root / f"{shard}.keys.npy", mmap_mode="r")
                arrays = {s: np.load(self.root / f"{shard}{s}", mmap_mode="r") for s in self.FILES}
                offsets = np.asarray(arrays[".off.npy"])
                rows = {"tokens": int(offsets[-1]), "rows": len(keys), "offsets": len(keys) + 1}
                for suffix, counts in self.FILES.items():
                    if arrays[suffix].shape[0] != rows[counts]:
                        problem = f"{shard}{suffix} has {arrays[suffix].shape[0]} rows, not {rows[counts]}"
                if problem is None and (offsets[0] != 0 or np.any(np.diff(offsets) < 0)):
                    problem = f"{shard}.off.npy is not a list of offsets"
            except (OSError, ValueError, EOFError, IndexError) as err:  # e.g. mmap length
                problem = f"{type(err).__name__}: {str(err)[:120]}"
        if problem is not None:
            raise DamagedCache(problem)
        if adopt:
            write_manifest(manifest, self.root, self._names(shard))

    def _drop(self, shard: str, why: Exception) -> None:
        """Forget a damaged shard and remove its files (its key file first: others stop
        seeing it), so that its rows are computed again."""
        warnings.warn(
            f"the frozen-layer cache {self.root} has a damaged shard ({why}); recomputing its rows",
            stacklevel=3,
        )
        self._index = {k: v for k, v in self._index.items() if v[0] != shard}
        self._shards.pop(shard, None)
        for name in [f"{shard}.keys.npy", *self._names(shard), f"{shard}.sha256"]:
            try:
                (self.root / name).unlink(missing_ok=True)
            except OSError:
                pass

    def __contains__(self, key: bytes) -> bool:
        self._scan()
        return key in self._index

    def __len__(self) -> int:
        self._scan()
        return len(self._index)

    def read(self, key: bytes) -> Row:
        """The stored row of one key (read-only memory maps)."""
        raise NotImplementedError

    def write(self, keys: Sequence[bytes], rows: Sequence[Row]) -> None:
        """Write one shard atomically (:meth:`_write_shard`)."""
        raise NotImplementedError

    def _write_shard(
        self, shard: str, keys: Sequence[bytes], arrays: dict[str, np.ndarray]
    ) -> None:
        """The data files, their manifest, then the key file (which makes the shard visible)."""
        for suffix, array in arrays.items():
            io.save_npy(self.root / f"{shard}{suffix}", array)
        key_array = np.frombuffer(b"".join(keys), dtype=np.uint8).reshape(len(keys), KEY_BYTES)
        buffer = _bytes_io.BytesIO()
        np.save(buffer, key_array)
        key_file = self.root / f"{shard}.keys.npy"
        write_manifest(
            self.root / f"{shard}.sha256",
            self.root,
            [f"{shard}{suffix}" for suffix in arrays],
            extra={key_file.name: hashlib.sha256(buffer.getvalue()).hexdigest()},
        )
        with io.atomic_write(key_file) as fh:
            fh.write(buffer.getvalue())

    def get(
        self,
        keys: Sequence[bytes],
        compute: Callable[[list[int]], list[Row]],
        *,
        shard_size: int = 2048,
    ) -> list[Row]:
        """Rows for ``keys``, computing (and storing) the missing ones in shards."""
        self._scan()
        for shard in {self._index[key][0] for key in keys if key in self._index}:
            try:
                self._shard(shard)  # first open: verified
            except DamagedCache as err:
                self._drop(shard, err)
        missing: list[int] = []
        seen: set[bytes] = set()
        for i, key in enumerate(keys):
            if key not in self._index and key not in seen:
                missing.append(i)
                seen.add(key)
        for start in range(0, len(missing), shard_size):
            chunk = missing[start : start + shard_size]
            arrays = compute(chunk)
            self.write([keys[i] for i in chunk], arrays)
            self._scan()
        return [self.read(key) for key in keys]


class FrozenStore(ShardStore[np.ndarray]):
    """Content-addressed disk cache of frozen-layer outputs: one ``(length, hidden)`` array per
    key (see :class:`ShardStore`)."""

    FILES = {".h.npy": "tokens", ".off.npy": "offsets"}

    def _load(self, shard: str) -> tuple[np.ndarray, ...]:
        hidden = np.load(self.root / f"{shard}.h.npy", mmap_mode="r")
        offsets = np.load(self.root / f"{shard}.off.npy")
        return hidden, offsets

    def read(self, key: bytes) -> np.ndarray:
        """The stored ``(length, hidden)`` array of one key (a read-only memory map)."""
        shard, row = self._index[key]
        hidden, offsets = self._shard(shard)
        return hidden[offsets[row] : offsets[row + 1]]

    def write(self, keys: Sequence[bytes], rows: Sequence[np.ndarray]) -> None:
        """Write one shard atomically: data first, the key file (which makes it visible) last."""
        if not keys:
            return
        shard = f"shard-{uuid.uuid4().hex}"
        offsets = np.zeros(len(rows) + 1, dtype=np.int64)
        offsets[1:] = np.cumsum([len(a) for a in rows])
        flat = np.concatenate([np.asarray(a, dtype=self.dtype) for a in rows])
        self._write_shard(shard, keys, {".h.npy": flat, ".off.npy": offsets})
