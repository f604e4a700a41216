"""How the resume chapters name the success metrics and the two planting strategies.

One place for the words, so that a figure's axis, a table's header and the headline table
say the same thing.
"""

from __future__ import annotations

__all__ = ["METRIC_NAMES", "STRATEGY_NAMES"]

METRIC_NAMES = {
    "success_in_set": "success (target in predicted set)",
    "success_top1": "success (target is top-1)",
    "success_in_set_without_target": "success in set, resumes without the target",
    "success_top1_without_target": "success top-1, resumes without the target",
}
STRATEGY_NAMES = {
    "feature-label": "Strategy 1 (feature–label)",
    "feature-only": "Strategy 2 (feature-only)",
}
