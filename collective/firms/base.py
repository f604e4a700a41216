"""What every firm provides: the interface the runner and the evaluation rely on.

A firm is the learner of Section 2 of {cite}`hardt2023algorithmic`: it receives the training
resumes, some of which carry the collective's trigger, fits a multi-label classifier, and is
then asked for label probabilities. Firms insert the trigger themselves (``planted[i]`` says
document ``i`` carries it every ``spacing`` words), so a run never re-tokenizes text.
"""

from __future__ import annotations

from typing import Any, Protocol, runtime_checkable

import numpy as np

from collective.errors import ConfigError


@runtime_checkable
class Firm(Protocol):
    """Scikit-learn style multi-label classifier over :class:`collective.resumes.tokens.TokenizedSplit`."""

    #: Where it computes, for provenance (e.g. ``"cpu"``, ``"cuda:0 (NVIDIA H100, bf16)"``).
    device: str

    def fit(self, X: Any, Y: np.ndarray, *, planted: np.ndarray, spacing: int) -> Firm:
        """Fit on the split ``X`` with (n, 10) labels ``Y``; ``planted[i]`` docs carry the trigger."""

    def predict_proba(self, X: Any, *, planted: np.ndarray, spacing: int) -> np.ndarray:
        """(n, 10) probabilities in :data:`collective.resumes.corpus.LABELS` order."""

    def params(self) -> dict[str, Any]:
        """All parameters that change what the firm learns (with defaults filled in): part of
        an experiment's cache key."""


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


def check_labels(Y: np.ndarray, n: int, n_labels: int) -> np.ndarray:
    """``Y`` as an (n, n_labels) 0/1 matrix."""
    Y = np.asarray(Y)
    if Y.shape != (n, n_labels):
        raise ConfigError(f"Y must have shape ({n}, {n_labels}), got {Y.shape}")
    if Y.size and not np.isin(Y, (0, 1)).all():
        raise ConfigError("Y must hold 0/1 label indicators")
    return Y
