"""What the firm receives from the collectives and defences: :class:`TrainingPlan`."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class TrainingPlan:
    """The training resumes as the firm will see them: which carry the trigger, their labels,
    who the collective is, whose labels were randomized, and which rows the firm trains on.

    ``kept`` is ``None`` until a defence drops rows (:mod:`collective.defences`); then a bool
    mask of the rows the firm still trains on. The other fields always index all rows."""

    planted: np.ndarray  # bool (n,)
    Y: np.ndarray  # uint8 (n, 10): the labels the firm sees
    collective: np.ndarray  # int64 indices of the collective's resumes
    randomized: np.ndarray  # int64 indices of resumes whose labels were randomized
    kept: np.ndarray | None = None  # bool (n,): the rows the firm trains on (None: all)
    #: int64 (n,): each row's trigger token id (0: none), when a collective plants another
    #: trigger than the paper's, or (n, L) when a trigger is a phrase of up to L tokens
    #: (0-padded); ``None``: every planted row carries token 1240.
    triggers: np.ndarray | None = None
    #: int64 token ids the firm must ignore at fit and at predict time (a defence's
    #: vocabulary filter, e.g. ``rare-tokens``); ``None``: none.
    blocked: np.ndarray | None = None
    #: The trigger's spacing in the firm's resumes, set by
    #: :func:`collective.defences.apply_defences` so that a defence sees the resumes as the
    #: firm will (:func:`collective.defences.base.seen_counts`); ``None`` before.
    spacing: int | None = None

    @property
    def n_collective(self) -> int:
        return len(self.collective)

    @property
    def firm_planted(self) -> np.ndarray:
        """What the firm's ``planted`` argument gets: the mask, or each row's trigger id."""
        return self.planted if self.triggers is None else self.triggers

    @property
    def rows(self) -> np.ndarray:
        """Indices of the rows the firm trains on."""
        n = len(self.Y)
        return np.arange(n) if self.kept is None else np.flatnonzero(self.kept)

    def keep(self, mask: np.ndarray) -> TrainingPlan:
        """This plan with only the rows of ``mask`` (bool (n,)) still trained on (and only
        those of them that were kept before)."""
        mask = np.asarray(mask, dtype=bool)
        if mask.shape != self.planted.shape:
            raise ValueError(f"a keep mask must have shape {self.planted.shape}, got {mask.shape}")
        kept = mask if self.kept is None else self.kept & mask
        return dataclasses.replace(self, kept=kept)

    def block(self, tokens: np.ndarray) -> TrainingPlan:
        """This plan with the token ids ``tokens`` also blocked (ignored by the firm at fit
        and at predict time)."""
        tokens = np.asarray(tokens, dtype=np.int64).ravel()
        before = np.zeros(0, np.int64) if self.blocked is None else self.blocked
        return dataclasses.replace(self, blocked=np.union1d(before, tokens).astype(np.int64))
