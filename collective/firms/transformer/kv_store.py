"""The disk store of the key/value cache (:mod:`collective.firms.transformer.kv_cache`): per
resume the top layer's keys and values and the [CLS] state entering it, content-addressed like the
frozen layers' store (:class:`collective.firms.transformer.frozen.FrozenStore`): both are a
:class:`collective.firms.transformer.frozen.ShardStore`."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

import numpy as np

from collective.firms.transformer.frozen import ShardStore


class KVStore(ShardStore[tuple[np.ndarray, np.ndarray]]):
    """Content-addressed disk cache of the last layer's keys and values and the [CLS] state.

    Same contract as :class:`collective.firms.transformer.frozen.FrozenStore`, but a row is a pair
    ``(kv, cls)``: ``kv`` of shape ``(L, 2H)``, ``cls`` of shape ``(H,)``. A shard is three
    arrays (flat ``kv`` rows, their offsets, the ``cls`` vectors) and the key file, written
    last.
    """

    FILES = {".kv.npy": "tokens", ".off.npy": "offsets", ".cls.npy": "rows"}

    def _load(self, shard: str) -> tuple[np.ndarray, ...]:
        kv = np.load(self.root / f"{shard}.kv.npy", mmap_mode="r")
        offsets = np.load(self.root / f"{shard}.off.npy")
        cls = np.load(self.root / f"{shard}.cls.npy", mmap_mode="r")
        return kv, offsets, cls

    def read(self, key: bytes) -> tuple[np.ndarray, np.ndarray]:
        """The stored ``(kv, cls)`` of one key (read-only memory maps)."""
        shard, row = self._index[key]
        kv, offsets, cls = self._shard(shard)
        return kv[offsets[row] : offsets[row + 1]], cls[row]

    def write(self, keys: Sequence[bytes], rows: Sequence[tuple[np.ndarray, np.ndarray]]) -> None:
        if not keys:
            return
        shard = f"shard-{uuid.uuid4().hex}"
        offsets = np.zeros(len(rows) + 1, dtype=np.int64)
        offsets[1:] = np.cumsum([len(kv) for kv, _ in rows])
        flat = np.concatenate([np.asarray(kv, dtype=self.dtype) for kv, _ in rows])
        cls = np.stack([np.asarray(c, dtype=self.dtype) for _, c in rows])
        self._write_shard(shard, keys, {".kv.npy": flat, ".off.npy": offsets, ".cls.npy": cls})
