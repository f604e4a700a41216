"""The corpus's ten occupation labels, in the order of every label matrix, and the multi-hot
encoding of label lists."""

from __future__ import annotations

import numpy as np

#: The ten labels; the paper's classes 0, 1, 2 come first.
LABELS: tuple[str, ...] = (
    "Database_Administrator",
    "Web_Developer",
    "Software_Developer",
    "Front_End_Developer",
    "Java_Developer",
    "Network_Administrator",
    "Project_manager",
    "Python_Developer",
    "Security_Analyst",
    "Systems_Administrator",
)
#: The paper's "class 0, 1, 2" (frequencies 0.11, 0.23, 0.5).
PAPER_CLASSES: tuple[str, ...] = LABELS[:3]


def label_matrix(label_lists: list[list[str]]) -> np.ndarray:
    """Multi-hot encoding of label lists in :data:`LABELS` order."""
    column = {name: j for j, name in enumerate(LABELS)}
    Y = np.zeros((len(label_lists), len(LABELS)), dtype=np.uint8)
    for i, names in enumerate(label_lists):
        for name in names:
            Y[i, column[name]] = 1
    return Y
