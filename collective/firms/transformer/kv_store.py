"""The disk store of the key/value cache (:mod:`collective.firms.transformer.kv_cache`): per
resume the top layer's keys and values and the [CLS] state entering it, content-addressed like the
frozen layers' store it extends (:class:`collective.firms.transformer.frozen.FrozenStore`)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

import numpy as np

from collective.firms.transformer.frozen import KEY_BYTES, FrozenStore
from collective.io import save_npy


class KVStore(FrozenStore):
    """Content-addressed disk cache of the last layer's keys and values and the [CLS] state.

    Same contract as :class:`collective.firms.transformer.frozen.FrozenStore`, but a row is a pair
    ``(kv, cls)``: ``kv`` of shape ``(L, 2H)``, ``cls`` of shape ``(H,)``. A shard is three
    arrays (flat ``kv`` rows, their offsets, the ``cls`` vectors) and the key file, written
    last.
    """

    def _shard(self, shard: str):
        if shard not in self._shards:
            kv = np.load(self.root / f"{shard}.kv.npy", mmap_mode="r")
            offsets = np.load(self.root / f"{shard}.off.npy")
            cls = np.load(self.root / f"{shard}.cls.npy", mmap_mode="r")
            self._shards[shard] = (kv, offsets, cls)  # type: ignore[assignment]  # three arrays here
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
