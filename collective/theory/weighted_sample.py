"""A distribution over ``Z = X x Y`` as a weighted sample, the form every distribution of Section 4.1 takes.

The base population P0 is an empirical sample, the collective's distribution P' a weighted
point set, and the mixture ``P = alpha P* + (1 - alpha) P0`` the firm sees is again a weighted
sample (:meth:`Sample.mix`), so the firm's risk is an exact weighted sum.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

__all__ = ["Sample"]


@dataclass(frozen=True)
class Sample:
    """A weighted sample ``(X, y, w)`` standing for a distribution over ``Z = X x Y``.

    Weights are normalized to sum to 1, so expectations are weighted sums.
    """

    X: np.ndarray
    y: np.ndarray
    w: np.ndarray = field(default=None)  # type: ignore[arg-type]  # None: equal weights, set in __post_init__

    def __post_init__(self) -> None:
        X = np.atleast_2d(np.asarray(self.X, dtype=float))
        y = np.atleast_1d(np.asarray(self.y, dtype=float))
        if X.ndim != 2 or y.ndim != 1 or X.shape[0] != y.shape[0] or X.shape[0] == 0:
            raise ValueError(
                f"A sample needs X of shape (n, d) and y of shape (n,), n >= 1; got {X.shape} and {y.shape}."
            )
        w = np.full(len(y), 1.0 / len(y)) if self.w is None else np.asarray(self.w, dtype=float)
        if w.shape != y.shape or np.any(w < 0) or not np.isfinite(w).all() or w.sum() <= 0:
            raise ValueError(
                "Sample weights must be non-negative, finite, one per example, not all 0."
            )
        if not (np.isfinite(X).all() and np.isfinite(y).all()):
            raise ValueError("Sample features and labels must be finite.")
        object.__setattr__(self, "X", X)
        object.__setattr__(self, "y", y)
        object.__setattr__(self, "w", w / w.sum())

    @property
    def dim(self) -> int:
        return self.X.shape[1]

    def mix(self, other: Sample, weight: float) -> Sample:
        """The mixture ``weight * other + (1 - weight) * self``."""
        if not 0.0 <= weight <= 1.0:
            raise ValueError(f"A mixture weight must lie in [0, 1], got {weight}.")
        if other.dim != self.dim:
            raise ValueError(f"Cannot mix samples of dimension {self.dim} and {other.dim}.")
        return Sample(
            np.vstack([self.X, other.X]),
            np.concatenate([self.y, other.y]),
            np.concatenate([(1 - weight) * self.w, weight * other.w]),
        )
