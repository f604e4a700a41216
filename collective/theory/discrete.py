"""Exact success of a collective against (ε-)optimal classifiers on finite problems.

A finite problem is a base distribution ``P0`` given as a joint probability array of shape
``(|X|, |Y|)`` (rows: feature values, columns: labels), a signal map ``g`` given as an integer
array (``g[x]`` is the row of ``g(x)``) and, for planting, a target label ``y_star``. From these
the engine builds the collective's distribution ``P*`` for a strategy (equations (1), (3) and
the erasure strategy of Section 3.2 of the paper), the mixture ``P = α P* + (1-α) P0`` the firm
learns from, the Bayes-optimal classifier on ``P`` and the exact success ``S(α)``.

Ties are broken against the collective: a label that only ties for the top does not count as
a success, and a point without mass under ``P`` may be labelled anything. So the numbers are
the *worst* a Bayes-optimal firm can do to the collective, and a bound checked against them
is checked honestly. With ``eps > 0`` the firm is the worst ε-optimal classifier
(Definition 3.1), built by :mod:`collective.theory.adversary`.

Every public function has a ``*_batch`` twin that takes a leading batch axis, used by the
random-instance checks in :mod:`collective.theory.checks`.

This module is the engine's one namespace; the engine itself is in
:mod:`~collective.theory.finite_problem` (validation, shared primitives),
:mod:`~collective.theory.problem_parameters` (ξ, Δ, p, τ, ρ),
:mod:`~collective.theory.exact_planting` (Section 3.1),
:mod:`~collective.theory.exact_erasure` (Section 3.2) and
:mod:`~collective.theory.exact_two_collectives` (two collectives planting at once).
"""

from __future__ import annotations

from collective.theory.exact_erasure import (
    erasure_labels,
    erasure_mixture,
    erasure_success,
    erasure_success_batch,
)
from collective.theory.exact_planting import (
    planting_mixture,
    planting_success,
    planting_success_batch,
)
from collective.theory.exact_two_collectives import (
    coalition_success_batch,
    density_ratios_batch,
    density_ratios_of,
    overlap_batch,
    overlap_of,
    two_collective_mixture,
    two_collective_success,
    two_collective_success_batch,
    union_delta_batch,
    union_xi_batch,
)
from collective.theory.finite_problem import (
    READINGS,
    STRATEGIES,
    check_problem,
    is_idempotent,
    signal_set,
)
from collective.theory.problem_parameters import (
    delta_batch,
    delta_of,
    p_batch,
    p_of,
    rho_batch,
    rho_of,
    tau_batch,
    tau_of,
    xi_batch,
    xi_of,
)

__all__ = [
    "STRATEGIES",
    "READINGS",
    "check_problem",
    "signal_set",
    "xi_of",
    "delta_of",
    "p_of",
    "tau_of",
    "rho_of",
    "is_idempotent",
    "planting_mixture",
    "erasure_labels",
    "erasure_mixture",
    "planting_success",
    "erasure_success",
    "planting_success_batch",
    "erasure_success_batch",
    "xi_batch",
    "delta_batch",
    "p_batch",
    "tau_batch",
    "rho_batch",
    "two_collective_mixture",
    "two_collective_success",
    "two_collective_success_batch",
    "coalition_success_batch",
    "overlap_of",
    "density_ratios_of",
    "overlap_batch",
    "density_ratios_batch",
    "union_xi_batch",
    "union_delta_batch",
]
