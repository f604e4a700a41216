"""What every firm provides: the interface the runner and the evaluation rely on.

A firm is the learner of Section 2 of {cite}`hardt2023algorithmic`: it receives the training
resumes, some of which carry the collective's trigger, fits a multi-label classifier, and is
then asked for label probabilities. Firms insert the trigger themselves (``planted[i]`` says
document ``i`` carries it every ``spacing`` words), so a run never re-tokenizes text.
"""

from __future__ import annotations

from typing import Any, ClassVar, Protocol, runtime_checkable

import numpy as np

from collective.errors import ConfigError, NotFittedError


@runtime_checkable
class Firm(Protocol):
    """Scikit-learn style multi-label classifier over :class:`collective.resumes.tokens.TokenizedSplit`.

    The runner sets :attr:`reference_labels` before :meth:`fit`, and reads :attr:`fit_info`
    and :attr:`device_` after it (into the record's metrics and provenance).
    """

    #: The training set's labels before the collective acted (set by the runner before
    #: ``fit``); a firm may warm-start from a model fitted on them. ``None``: not given.
    reference_labels: np.ndarray | None

    def fit(self, X: Any, Y: np.ndarray, *, planted: np.ndarray, spacing: int) -> Firm:
        """Fit on the split ``X`` with (n, 10) labels ``Y``; ``planted[i]`` docs carry the trigger."""

    def predict_proba(self, X: Any, *, planted: np.ndarray, spacing: int) -> np.ndarray:
        """(n, 10) probabilities in :data:`collective.resumes.corpus.LABELS` order. Before
        ``fit``: :class:`~collective.errors.NotFittedError`."""

    def params(self) -> dict[str, Any]:
        """All parameters that change what the firm learns (with defaults filled in): part of
        an experiment's cache key."""

    @property
    def fit_info(self) -> dict[str, Any]:
        """What the last ``fit`` reports about itself (iterations, convergence, timings)."""

    #: Where the last ``fit`` computed, for provenance (e.g. ``"cpu"``, ``"cuda:0 (H100, bf16)"``).
    device_: str


class BaseFirm:
    """What the firms share, in scikit-learn's style: the constructor (generated from the
    firm's parameter declaration, :mod:`collective.firms.params`) only stores its arguments;
    :meth:`params` is the declaration's cache-key part; fitted state ends in ``_`` and is
    checked by :meth:`check_is_fitted`. A firm is ``@dataclass(eq=False) class F(FParams,
    BaseFirm)`` over its declaration ``FParams`` and implements ``fit`` and ``predict_proba``."""

    reference_labels: np.ndarray | None = None
    #: Whether ``planted`` may name each row's own trigger token (integer ids,
    #: :func:`check_trigger_rows`) rather than the paper's trigger alone (a boolean mask).
    plants_any_trigger: ClassVar[bool] = False
    #: Whether runs of the firm can train K at a time (the batched executor).
    trains_in_batches: ClassVar[bool] = False
    #: Whether the firm honours :attr:`blocked_tokens` (a defence's vocabulary filter).
    blocks_tokens: ClassVar[bool] = False
    #: Token ids the firm ignores at fit and at predict time (set by the runner from the
    #: plan's ``blocked``, before ``fit``; only where :attr:`blocks_tokens`).
    blocked_tokens: np.ndarray | None = None
    fit_info_: dict[str, Any]
    device_: str

    def params(self) -> dict[str, Any]:
        """The parameters that change what is learned, checked (the runner's cache key)."""
        self.validate()  # type: ignore[attr-defined]  # from the firm's FirmParams declaration
        return self.key_params()  # type: ignore[attr-defined]

    def check_is_fitted(self) -> None:
        """:class:`NotFittedError` unless :meth:`fit` has run."""
        if not hasattr(self, "fit_info_"):
            raise NotFittedError(f"this {type(self).__name__} is not fitted yet: call fit() first")

    @property
    def fit_info(self) -> dict[str, Any]:
        self.check_is_fitted()
        return self.fit_info_


def check_planted(planted: np.ndarray | None, n: int) -> np.ndarray:
    """``planted`` as a bool array of length ``n`` (``None`` means no document is planted)."""
    if planted is None:
        return np.zeros(n, dtype=bool)
    planted = np.asarray(planted)
    if planted.dtype != bool:
        raise ConfigError(f"planted must be a boolean mask, got dtype {planted.dtype}")
    if planted.shape != (n,):
        raise ConfigError(f"planted must have shape ({n},), got {planted.shape}")
    return planted


def check_trigger_rows(planted: np.ndarray | None, n: int) -> np.ndarray:
    """Each row's trigger token ids, an int64 ``(n, L)`` array (0: none): a boolean mask
    plants the paper's trigger (token 1240) in its rows (``L = 1``); an integer array names
    each row's trigger token (``(n,)``: several collectives, each with its own trigger) or
    tokens (``(n, L)``: a trigger of up to ``L`` tokens, planted together as a phrase,
    padded with 0)."""
    from collective.resumes.tokens import TRIGGER_TOKEN_ID, VOCAB_SIZE

    if planted is None or np.asarray(planted).dtype == bool:
        mask = check_planted(planted, n)
        return np.where(mask, TRIGGER_TOKEN_ID, 0).astype(np.int64).reshape(n, 1)
    ids = np.asarray(planted)
    if not np.issubdtype(ids.dtype, np.integer):
        raise ConfigError(
            f"planted must be a boolean mask or integer token ids, got dtype {ids.dtype}"
        )
    if ids.ndim == 1:
        ids = ids.reshape(-1, 1)
    if ids.ndim != 2 or ids.shape[0] != n or ids.shape[1] < 1:
        raise ConfigError(f"planted must have shape ({n},) or ({n}, L), got {np.shape(planted)}")
    if ids.size and (ids.min() < 0 or ids.max() >= VOCAB_SIZE):
        raise ConfigError(f"trigger token ids must lie in [1, {VOCAB_SIZE}) (0: none)")
    return ids.astype(np.int64)


def check_labels(Y: np.ndarray, n: int, n_labels: int) -> np.ndarray:
    """``Y`` as an (n, n_labels) 0/1 matrix."""
    Y = np.asarray(Y)
    if Y.shape != (n, n_labels):
        raise ConfigError(f"Y must have shape ({n}, {n_labels}), got {Y.shape}")
    if Y.size and not np.isin(Y, (0, 1)).all():
        raise ConfigError("Y must hold 0/1 label indicators")
    return Y
