"""The theory: closed-form bounds and critical masses, their sympy derivations, the exact engine.

* :mod:`~collective.theory.classification`: Section 3 (Theorems 3.3, 3.5, 3.7, Corollaries
  3.4, 3.6, 3.8) and their corrected ε-terms; :mod:`~collective.theory.symbolic` and
  :mod:`~collective.theory.mixture` derive them with sympy;
* :mod:`~collective.theory.discrete` (one namespace for :mod:`~collective.theory.finite_problem`,
  :mod:`~collective.theory.problem_parameters`, :mod:`~collective.theory.exact_planting`,
  :mod:`~collective.theory.exact_erasure`), :mod:`~collective.theory.adversary`: exact success
  on finite distributions against the worst ε-optimal classifier;
* :mod:`~collective.theory.checks`: the random-instance checks of the bounds against it;
* :mod:`~collective.theory.two_collectives`: two collectives planting at once (bounds in the
  style of Theorem 3.3 with the corrected ε-term, derived in sympy),
  :mod:`~collective.theory.exact_two_collectives` (their exact success, in
  :mod:`~collective.theory.discrete`) and :mod:`~collective.theory.two_collective_checks`;
* :mod:`~collective.theory.optimization`, :mod:`~collective.theory.risk` (one namespace for
  :mod:`~collective.theory.weighted_sample`, :mod:`~collective.theory.glm`,
  :mod:`~collective.theory.gradient_neutralizing`, :mod:`~collective.theory.utility_gain`),
  :mod:`~collective.theory.gradient`: Section 4 (risk minimization, gradient control);
* :mod:`~collective.theory.curves`, :mod:`~collective.theory.economics`: Definition 2.1 on a
  success curve, and Section 6.

Nothing here imports the corpus, torch or transformers. The bounds of Sections 3 and 4 are
re-exported here (``collective.theory.feature_label_bound``), as are the two-collective
bounds; sympy is imported only by the
functions that derive with it, so the exact engine does not pay for it.
"""

from __future__ import annotations

from collective.theory.classification import *  # noqa: F403
from collective.theory.classification import __all__ as _classification_all
from collective.theory.curves import SuccessCurve, critical_mass
from collective.theory.optimization import *  # noqa: F403
from collective.theory.optimization import __all__ as _optimization_all
from collective.theory.two_collectives import *  # noqa: F403
from collective.theory.two_collectives import __all__ as _two_collectives_all

__all__ = [
    *_classification_all,
    "SuccessCurve",
    "critical_mass",
    *_optimization_all,
    *_two_collectives_all,
]
