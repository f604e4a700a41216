"""The model of $P_0$ the erasure strategies are given (Section 3.2 of
{cite}`hardt2023algorithmic`): the converged linear firm, a one-vs-rest logistic regression,
calibrated up to its regularisation (the erasure chapter checks it)."""

from __future__ import annotations

import numpy as np

from collective.firms.linear.firm import LinearFirm

#: Its parameters (those of the book's linear firm).
P0_ESTIMATOR_PARAMS: dict = {"C": 4.0, "min_df": 5, "tol": 1e-5, "max_iter": None}


def p0_estimator(oracle: bool, reference_labels: np.ndarray, **params) -> LinearFirm:
    """An unfitted model of $P_0$ (a :data:`collective.strategies.erasure.EstimatorFactory`).
    ``oracle``: it will be fitted on the whole clean training set, whose labels are
    ``reference_labels``; the cached clean fit is then the answer (no iterations).
    Otherwise on the collective's resumes only, from scratch (no warm start from the
    whole set's fit, which the collective does not have). ``params`` change
    :data:`P0_ESTIMATOR_PARAMS` (a less regularised model, say)."""
    model = LinearFirm(**{**P0_ESTIMATOR_PARAMS, **params})
    if oracle:
        model.reference_labels = reference_labels
    else:
        model.warm_start = False
    return model
