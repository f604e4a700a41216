"""Representation clustering (CUBE-like, Cui et al. 2022, shipped by OpenBackdoor): train on
the data as given, cluster the trained model's representation of each training resume, and
within each label set drop the resumes that fall outside its predominant cluster.

CUBE fine-tunes an encoder on the poisoned training set, reduces its hidden states (UMAP)
and clusters them with HDBSCAN (``min_samples=100``); within each label it keeps the largest
cluster and drops every other cluster (HDBSCAN's noise counts as one) that holds less than
``drop_below`` = half of that label's resumes. Here the trained model is the linear firm's
(its TF-IDF and one-vs-rest logistic regression, fitted once on the kept training resumes as
the firm sees them: trigger planted, the plan's labels), and its representation of a resume
is its vector of decision scores, one per label, standardized per label. That is all a
linear model learns about a resume; no dimension reduction is needed in ten dimensions.
Resumes are grouped by their whole label set (the corpus is multi-label).

What the theory says it can see: Strategy 1's members carry ``{y*}`` while their words say
another label, so the firm scores them high on ``y*`` (through the trigger) *and* on the
label their text has; within the label set ``{y*}`` they sit apart from the resumes that
really are ``y*``, once there are enough of them to learn the trigger. Strategy 2 keeps the
true labels, so its members are resumes of ``y*`` with a slightly higher ``y*`` score: they
sit in their label set's main cluster unless the trigger moves them far.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np

from collective.defences.base import Defence, seen_counts
from collective.defences.consistency import linear_scores
from collective.strategies.plan import TrainingPlan
from collective.validation import check_count, check_fraction, check_positive


def minor_clusters(
    clusters: np.ndarray, label_sets: np.ndarray, *, drop_below: float
) -> np.ndarray:
    """CUBE's filter: a mask of the rows to drop. Within each label set (rows of equal
    ``label_sets``) the largest cluster is kept (HDBSCAN's noise, ``-1``, counts as a
    cluster), and every other cluster holding fewer than ``drop_below`` of the set's rows is
    dropped."""
    clusters, label_sets = np.asarray(clusters), np.asarray(label_sets)
    drop = np.zeros(len(clusters), bool)
    for group in np.unique(label_sets):
        rows = np.flatnonzero(label_sets == group)
        ids, sizes = np.unique(clusters[rows], return_counts=True)
        if len(ids) < 2:
            continue
        largest = ids[np.argmax(sizes)]
        small = ids[(ids != largest) & (sizes < drop_below * len(rows))]
        drop[rows[np.isin(clusters[rows], small)]] = True
    return drop


def label_set_ids(Y: np.ndarray) -> np.ndarray:
    """One integer per distinct row of the label matrix ``Y`` (equal rows, equal ids)."""
    _, ids = np.unique((np.asarray(Y) > 0).astype(np.uint8), axis=0, return_inverse=True)
    return ids.ravel()


@dataclass
class RepresentationClusters(Defence):
    """Drop the resumes outside their label set's predominant cluster of the fitted linear
    firm's decision scores (HDBSCAN with ``min_samples``; CUBE's ``drop_below``)."""

    min_samples: int = 100
    min_cluster_size: int = 5
    drop_below: float = 0.5
    tol: float = 1e-4

    name: ClassVar[str] = "clusters"

    def __post_init__(self) -> None:
        self.min_samples = check_count("min_samples", self.min_samples, 1)
        self.min_cluster_size = check_count("min_cluster_size", self.min_cluster_size, 2)
        self.drop_below = check_fraction("drop_below", self.drop_below)
        self.tol = check_positive("tol", self.tol)
        self._drop = np.zeros(0, bool)
        self._clusters = 0
        self._noise = 0

    def fit(self, X: Any, plan: TrainingPlan) -> RepresentationClusters:
        from sklearn.cluster import HDBSCAN

        from collective.firms.params import LinearParams

        defaults = LinearParams()
        counts = seen_counts(X, plan)
        Y = plan.Y[plan.rows]
        Z = linear_scores(counts, Y, counts, tol=self.tol, C=defaults.C, min_df=defaults.min_df)
        Z = (Z - Z.mean(axis=0)) / np.where(Z.std(axis=0) > 0, Z.std(axis=0), 1.0)
        clusters = HDBSCAN(
            min_samples=min(self.min_samples, len(Z)),
            min_cluster_size=self.min_cluster_size,
            copy=True,
        ).fit_predict(Z)
        self._clusters = int(len(set(clusters.tolist()) - {-1}))
        self._noise = int((clusters == -1).sum())
        self._drop = minor_clusters(clusters, label_set_ids(Y), drop_below=self.drop_below)
        return self

    def transform(self, X: Any, plan: TrainingPlan) -> TrainingPlan:
        rows = plan.rows
        if len(self._drop) != len(rows):
            raise RuntimeError("fit the clustering on this plan before transforming it")
        mask = np.ones(len(plan.Y), bool)
        mask[rows[self._drop]] = False
        return plan.keep(mask)

    def facts(self) -> dict[str, Any]:
        return {"clusters": self._clusters, "noise": self._noise}
