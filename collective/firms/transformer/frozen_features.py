"""What the transformer firm's frozen part computes, once per input and read from disk after:
the lower layers' hidden states (:class:`collective.firms.transformer.frozen.FrozenStore`) and, with
``freeze_kv``, the top layer's keys and values with the [CLS] state entering it
(:class:`collective.firms.transformer.kv_store.KVStore`).

:class:`FrozenFeatures` is the base of :class:`collective.firms.transformer.TransformerFirm`
that holds this part: the resolved device and precision the frozen layers run in, the number
of frozen layers, the cache folders (their names are the caches' identity on disk) and the
forward passes that fill them.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import torch
from torch import nn

from collective.errors import ConfigError
from collective.firms.params import TransformerParams
from collective.firms.transformer import frozen as frozen_mod
from collective.firms.transformer import kv_head
from collective.firms.transformer.batches import collate, length_batches
from collective.firms.transformer.device import autocast, n_cores, resolve_device, resolve_precision
from collective.firms.transformer.kv_store import KVStore


class FrozenFeatures(TransformerParams):
    """The frozen part of the transformer firm and its cached outputs (module docstring).

    Not a dataclass: :class:`collective.firms.transformer.TransformerFirm` declares the
    parameters (through :class:`TransformerParams`) and the runtime state."""

    _store: frozen_mod.FrozenStore | None = None
    _kv_store: KVStore | None = None
    _torch_device: torch.device | None = None

    @property
    def torch_device(self) -> torch.device:
        """The resolved device (CUDA probed on first use); on a CPU, torch's threads are set
        then too (all cores, unless ``threads`` or ``$OMP_NUM_THREADS`` say otherwise: on a
        shared machine one thread per process is far faster than several fighting)."""
        if self._torch_device is None:
            self.validate()
            self._torch_device = resolve_device(self.device)
            if self._torch_device.type == "cpu":
                torch.set_num_threads(
                    self.threads or int(os.environ.get("OMP_NUM_THREADS", 0)) or n_cores()
                )
        return self._torch_device

    @property
    def resolved_precision(self) -> str:
        """``precision`` with ``auto`` resolved for the device."""
        return resolve_precision(self.precision, self.torch_device)

    def _n_frozen(self, net: nn.Module) -> int:
        if self.train_layers is None:
            return 0
        total = frozen_mod.n_layers(net)
        if self.train_layers > total:
            raise ConfigError(
                f"train_layers={self.train_layers} but model {self.model!r} has {total} layers"
            )
        return total - self.train_layers

    def _cache_folder(self, kind: str, n_frozen: int, fingerprint: str) -> Path:
        """The folder of a cache of frozen outputs (``kind``: ``frozen`` for the lower layers'
        hidden states, ``kv`` for the top layer's keys and values). Keyed by the model, the
        frozen weights' fingerprint, ``max_length``, the precision they ran in (bf16 rows are
        not fp32 rows) and the storage dtype, so a changed model never reuses stale rows."""
        from collective.resumes.corpus import cache_dir

        tag = Path(self.model).name.replace("/", "--")
        parent = (
            Path(self.frozen_cache) if self.frozen_cache is not None else cache_dir() / "frozen"
        )
        return parent / (
            f"{tag}-{kind}{n_frozen}-len{self.max_length}-{self.resolved_precision}"
            f"-{self.frozen_dtype}-{fingerprint[:16]}"
        )

    def _frozen_store(self, net: nn.Module, n_frozen: int) -> frozen_mod.FrozenStore:
        if self._store is None:
            root = self._cache_folder("frozen", n_frozen, frozen_mod.fingerprint(net, n_frozen))
            self._store = frozen_mod.FrozenStore(root, dtype=self.frozen_dtype)
        return self._store

    def frozen_hidden(
        self, net: nn.Module, n_frozen: int, inputs: list[np.ndarray]
    ) -> list[np.ndarray]:
        """Outputs of the frozen layers for ``inputs``, from the disk cache (computed once)."""
        store = self._frozen_store(net, n_frozen)
        keys = [frozen_mod.doc_key(x) for x in inputs]

        def compute(indices: list[int]) -> list[np.ndarray]:
            return self._run_bottom(net, n_frozen, [inputs[i] for i in indices])

        return store.get(keys, compute)

    @torch.inference_mode()
    def _run_bottom(
        self, net: nn.Module, n_frozen: int, inputs: list[np.ndarray]
    ) -> list[np.ndarray]:
        from tqdm.auto import tqdm

        net.to(self.torch_device).eval()
        out: dict[int, np.ndarray] = {}  # input -> its hidden states (batches: longest first)
        batches = length_batches([len(x) for x in inputs], self.eval_batch_size)
        with frozen_mod.bottom_view(net, n_frozen) as bottom:
            for idx in tqdm(batches, desc="frozen layers", disable=not self.progress, leave=False):
                batch = collate([{"input_ids": torch.as_tensor(inputs[i])} for i in idx])
                batch = {k: v.to(self.torch_device) for k, v in batch.items()}
                with autocast(self.torch_device, self.resolved_precision):
                    hidden = bottom(**batch).last_hidden_state
                hidden = hidden.float().cpu().numpy()
                for row, i in enumerate(idx):
                    out[int(i)] = hidden[row, : len(inputs[i])].copy()
        return [out[i] for i in range(len(inputs))]

    def _kv(self, net: nn.Module, n_frozen: int) -> KVStore:
        if self._kv_store is None:
            root = self._cache_folder("kv", n_frozen, kv_head.kv_fingerprint(net, n_frozen))
            self._kv_store = KVStore(root, dtype=self.frozen_dtype)
        return self._kv_store

    def kv_rows(
        self,
        net: nn.Module,
        n_frozen: int,
        inputs: list[np.ndarray],
        *,
        also_frozen: bool = False,
        count_only: bool = False,
    ):
        """``(kv, cls)`` per input from the key/value cache (computed once, see
        :mod:`collective.firms.transformer.kv_cache`). ``also_frozen``: rows computed now are also
        written to the lower-layer cache of ``train_layers=1`` (same forward pass).
        ``count_only``: return how many rows were computed instead of the rows."""
        store = self._kv(net, n_frozen)
        fstore = self._frozen_store(net, n_frozen) if also_frozen else None
        keys = [frozen_mod.doc_key(x) for x in inputs]
        computed = 0

        def compute(indices: list[int]) -> list[tuple[np.ndarray, np.ndarray]]:
            nonlocal computed
            computed += len(indices)
            kv, cls, hidden = self._run_bottom_kv(
                net, n_frozen, [inputs[i] for i in indices], also_frozen
            )
            if fstore is not None:
                fstore._scan()
                new = [j for j, i in enumerate(indices) if keys[i] not in fstore._index]
                fstore.write([keys[indices[j]] for j in new], [hidden[j] for j in new])
            return list(zip(kv, cls))

        rows = store.get(keys, compute, shard_size=1024)
        return computed if count_only else rows

    @torch.inference_mode()
    def _run_bottom_kv(
        self, net: nn.Module, n_frozen: int, inputs: list[np.ndarray], keep_hidden: bool
    ):
        """The frozen part's outputs for ``inputs``: top-layer keys|values ``(L, 2H)``, the
        [CLS] state entering the top layer ``(H,)`` and (``keep_hidden``) all states ``(L, H)``,
        in the store's dtype."""
        from tqdm.auto import tqdm

        dtype = np.dtype(self.frozen_dtype)
        net.to(self.torch_device).eval()
        kvs: list = [None] * len(inputs)
        clss: list = [None] * len(inputs)
        hidden_out: list = [None] * len(inputs)
        batches = length_batches([len(x) for x in inputs], self.eval_batch_size)
        top = kv_head.top_layer(net)  # before bottom_view hides it
        with frozen_mod.bottom_view(net, n_frozen) as bottom:
            for idx in tqdm(
                batches, desc="frozen layers + K/V", disable=not self.progress, leave=False
            ):
                batch = collate([{"input_ids": torch.as_tensor(inputs[i])} for i in idx])
                batch = {k: v.to(self.torch_device) for k, v in batch.items()}
                with autocast(self.torch_device, self.resolved_precision):
                    hidden = bottom(**batch).last_hidden_state
                    kv = kv_head.project_kv(top, hidden)
                hidden = hidden.float().cpu().numpy()
                kv = kv.float().cpu().numpy()
                for row, i in enumerate(idx):
                    n = len(inputs[i])
                    kvs[i] = kv[row, :n].astype(dtype)
                    clss[i] = hidden[row, 0].astype(dtype)
                    if keep_hidden:
                        hidden_out[i] = hidden[row, :n].astype(dtype)
        return kvs, clss, hidden_out
