"""Convex risk minimization and the gradient-neutralizing strategy (Section 4.1 of the paper).

The firm is an exact risk minimizer (Definition 4.1) over a generalized linear model (GLM):
logistic or linear regression, with an optional ℓ2 term ``l2/2 ||θ||²`` in every example's
loss, which makes the risk ``l2``-strongly convex. Distributions are weighted samples
(:class:`Sample`): the base population P0 is an empirical sample, and the mixture
``P = alpha P* + (1 - alpha) P0`` the firm sees is again a weighted sample, so the firm's
problem is solved exactly (Newton / trust-region with scipy, gradient norm ~1e-13), not by a
few SGD steps.

The collective's strategy is gradient neutralizing (Section 4.1): it finds a distribution P'
whose gradient at the target θ* points against the base gradient ``g0 = g_{P0}(θ*)``, and
each member plays a draw from P' with the mixing probability ``p`` of the strategy's
definition. For GLMs the per-example gradient is ``x (mu_θ(x) - y)`` (+ ``l2 θ``), so P'
can be a single point:

- *feature-label*: ``x' = -g0`` and a label ``y' < mu_θ*(x')`` (0 for logistic regression,
  ``mu_θ*(x') - margin`` for linear regression);
- *feature-only*: each member keeps her label and moves to ``x' = -g0`` if ``y < mu_θ*(x')``,
  else to ``x = 0`` (zero gradient).

With ``l2 > 0`` every example's gradient carries ``l2 θ*``, which the point must also cancel;
:func:`gradient_neutralizing_strategy` then solves a scalar equation for the point's scale and
raises :class:`NoNeutralizingDistributionError` when no such point exists.

This module is the chapter's one namespace; the pieces are :mod:`~collective.theory.weighted_sample`
(:class:`Sample`), :mod:`~collective.theory.glm` (:class:`GLM`, the exact firm),
:mod:`~collective.theory.gradient_neutralizing` (the strategy) and
:mod:`~collective.theory.utility_gain` (Proposition 4.4).
"""

from __future__ import annotations

# FAMILIES and VARIANTS stay importable from here (explicit re-exports, not in __all__).
from collective.theory.glm import FAMILIES as FAMILIES
from collective.theory.glm import GLM, make_glm_sample
from collective.theory.gradient_neutralizing import VARIANTS as VARIANTS
from collective.theory.gradient_neutralizing import (
    GradientNeutralizingStrategy,
    NoNeutralizingDistributionError,
    gradient_neutralizing_strategy,
)
from collective.theory.utility_gain import neutralizing_gradient_lower_bound, utility_target
from collective.theory.weighted_sample import Sample

__all__ = [
    "GLM",
    "Sample",
    "GradientNeutralizingStrategy",
    "NoNeutralizingDistributionError",
    "gradient_neutralizing_strategy",
    "make_glm_sample",
    "utility_target",
    "neutralizing_gradient_lower_bound",
]
