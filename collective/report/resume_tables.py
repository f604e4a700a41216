"""Tables of the resume experiments (Section 5 and Appendix C of {cite}`hardt2023algorithmic`):
clean metrics, success at chosen collective sizes, critical masses against the theory's, the
old 10-step firm against the converged one, and the headline table that puts the paper's
claims beside this book's measurements. Each takes the frame of
:func:`collective.runner.load_results` (one row per run); a value not yet computed prints as
such, never as ``nan``.

This module is the tables' one namespace (re-exported by :mod:`collective.report.resumes`);
they live in :mod:`~collective.report.resume_labels` (names of metrics and strategies),
:mod:`~collective.report.success_tables`, :mod:`~collective.report.firm_quality`,
:mod:`~collective.report.critical_mass_tables` and :mod:`~collective.report.headline`.
"""

from __future__ import annotations

from collective.report.critical_mass_tables import (
    critical_mass_comparison,
    crossing_table,
    implied_eps,
    positivity_constant,
)
from collective.report.firm_quality import (
    clean_metrics_table,
    convergence_summary,
    convergence_table,
)
from collective.report.headline import PAPER_S2_ALPHA, headline_table
from collective.report.resume_labels import METRIC_NAMES, STRATEGY_NAMES
from collective.report.success_tables import (
    alpha_as_class_share,
    mean_at,
    random_label_changes,
    spacing_gaps,
    success_table,
)

__all__ = [
    "METRIC_NAMES",
    "PAPER_S2_ALPHA",
    "STRATEGY_NAMES",
    "alpha_as_class_share",
    "clean_metrics_table",
    "convergence_summary",
    "convergence_table",
    "critical_mass_comparison",
    "crossing_table",
    "headline_table",
    "implied_eps",
    "mean_at",
    "positivity_constant",
    "random_label_changes",
    "spacing_gaps",
    "success_table",
]
