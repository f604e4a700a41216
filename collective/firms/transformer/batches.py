"""The transformer firm's batches: one example per resume, dynamic padding, length-grouped
batches, and the stock ``transformers.Trainer`` over them (:func:`make_trainer`); with
``freeze_kv``, examples of cached keys and values (:class:`KVExamples`, :func:`collate_kv`)."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
import torch
from torch import nn
from torch.utils.data import Dataset


class _Examples(Dataset):
    """One dict per resume: the model input under ``key`` and, when given, the float label
    vector."""

    def __init__(self, key: str, inputs: Sequence[np.ndarray], Y: np.ndarray | None = None) -> None:
        self.key, self.inputs = key, inputs
        self.Y = None if Y is None else np.asarray(Y, dtype=np.float32)

    def __len__(self) -> int:
        return len(self.inputs)

    def __getitem__(self, i: int) -> dict[str, torch.Tensor]:
        x = self.inputs[i]
        # np.array copies: cached rows are read-only memory maps
        value = torch.from_numpy(
            np.array(x, dtype=np.int64 if self.key == "input_ids" else np.float32)
        )
        if self.Y is None:
            return {self.key: value}
        return {self.key: value, "labels": torch.from_numpy(self.Y[i])}


def collate(features: list[dict[str, torch.Tensor]]) -> dict[str, torch.Tensor]:
    """Dynamic padding: pad to the longest input of the batch, with the attention mask."""
    key = "input_ids" if "input_ids" in features[0] else "inputs_embeds"
    lengths = [len(f[key]) for f in features]
    width = max(lengths)
    first = features[0][key]
    padded = first.new_zeros((len(features), width, *first.shape[1:]))
    mask = torch.zeros((len(features), width), dtype=torch.long)
    for row, (f, n) in enumerate(zip(features, lengths)):
        padded[row, :n] = f[key]
        mask[row, :n] = 1
    batch = {key: padded, "attention_mask": mask}
    if "labels" in features[0]:
        batch["labels"] = torch.stack([f["labels"] for f in features])
    return batch


def length_batches(lengths: Sequence[int], batch_size: int) -> list[np.ndarray]:
    """Index batches for inference, longest first, so padding is minimal."""
    order = np.argsort(-np.asarray(lengths), kind="stable")
    return [order[i : i + batch_size] for i in range(0, len(order), batch_size)]


class RowCollator:
    """The Trainer's data collator over a dataset of row indices: fetches the rows' examples
    (from memory or the memory-mapped caches) and pads them with ``collate``."""

    def __init__(self, examples: Dataset, collate: Callable[[list], dict]) -> None:
        self.examples, self.collate = examples, collate

    def __call__(self, features: list[dict]) -> dict[str, torch.Tensor]:
        return self.collate([self.examples[int(f["row"])] for f in features])


def make_trainer(
    *,
    model: nn.Module,
    args,
    examples: Dataset,
    collate: Callable[[list], dict],
    lengths: Sequence[int],
):
    """A stock ``transformers.Trainer`` whose training batches group resumes of similar length
    (dynamic padding then wastes little): ``args`` ask for
    ``train_sampling_strategy="group_by_length"`` and the lengths come precomputed in the
    ``length`` column (``length_column_name``) of a ``datasets.Dataset`` of row indices.

    Why indices: the stock sampler takes precomputed lengths only from a ``datasets.Dataset``
    column (otherwise it re-reads ``dataset[i]["input_ids"]``, which the frozen-layer and
    key/value paths do not have: they feed ``inputs_embeds`` or cached keys and values). A
    ``datasets.Dataset`` of the examples themselves would copy the memory-mapped caches (GB)
    into Arrow; one of row indices costs nothing, and :class:`RowCollator` fetches the rows.

    Without ``datasets`` (a GPU node of a cluster, reading an offline bundle), the rows are a
    plain dataset and the Trainer's sampler is built with the same lengths by
    :func:`_length_grouped_trainer`: the same sampler, so the same batches for the same seed
    (``tests/test_bundle.py`` compares the two).
    """
    from transformers import Trainer

    datasets = _datasets()
    lengths = [int(n) for n in lengths]
    collator = RowCollator(examples, collate)
    if datasets is None:
        return _length_grouped_trainer()(
            model=model, args=args, train_dataset=_Rows(lengths), data_collator=collator
        )
    rows = datasets.Dataset.from_dict({"row": np.arange(len(examples)), "length": lengths})
    return Trainer(model=model, args=args, train_dataset=rows, data_collator=collator)


def _datasets():
    """The ``datasets`` module, or ``None`` where it is not installed."""
    try:
        import datasets
    except ImportError:
        return None
    return datasets


class _Rows(Dataset):
    """Row indices and lengths, as the ``datasets.Dataset`` of :func:`make_trainer` holds them."""

    def __init__(self, lengths: list[int]) -> None:
        self.lengths = lengths

    def __len__(self) -> int:
        return len(self.lengths)

    def __getitem__(self, i: int) -> dict[str, int]:
        return {"row": int(i), "length": self.lengths[i]}


_LENGTH_TRAINER: type | None = None


def _length_grouped_trainer() -> type:
    """A ``Trainer`` whose training sampler is the stock ``LengthGroupedSampler`` over the
    lengths of a :class:`_Rows` dataset (what the stock Trainer builds from a
    ``datasets.Dataset``'s length column). Made on first use: transformers is slow to import."""
    global _LENGTH_TRAINER
    if _LENGTH_TRAINER is None:
        from transformers import Trainer
        from transformers.trainer_pt_utils import LengthGroupedSampler

        class LengthGroupedTrainer(Trainer):
            def _get_train_sampler(self, train_dataset=None):
                data = self.train_dataset if train_dataset is None else train_dataset
                return LengthGroupedSampler(
                    self.args.train_batch_size * self.args.gradient_accumulation_steps,
                    dataset=data,
                    lengths=data.lengths,
                )

        _LENGTH_TRAINER = LengthGroupedTrainer
    return _LENGTH_TRAINER


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
