"""The linear firm and its solver.

* :mod:`collective.firms.linear.firm`: :class:`LinearFirm` (TF-IDF over WordPiece ids +
  one-vs-rest logistic regression) and the token counts it reads;
* :mod:`collective.firms.linear.newton`: the Newton-CG solver that fits it to the optimum,
  with the steps of one iteration in :mod:`collective.firms.linear.newton_steps` and the
  sparse products in :mod:`collective.firms.linear.sparse_ops`.

The firm and its helpers are re-exported here, so ``collective.firms.linear.LinearFirm`` is the
name the registry (:data:`collective.firms.FIRMS`) uses. The solver's modules used to sit
directly under :mod:`collective.firms` (``collective.firms.newton``, ...); those names are kept as
aliases of the modules here.
"""

from __future__ import annotations

from collective.firms.linear.firm import (
    N_LABELS,
    LinearFirm,
    planted_counts,
    split_counts,
    split_fingerprint,
    tfidf,
)
from collective.firms.linear.p0 import P0_ESTIMATOR_PARAMS, p0_estimator

__all__ = [
    "N_LABELS",
    "P0_ESTIMATOR_PARAMS",
    "LinearFirm",
    "p0_estimator",
    "planted_counts",
    "split_counts",
    "split_fingerprint",
    "tfidf",
]
