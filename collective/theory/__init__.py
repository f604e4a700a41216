"""Closed-form bounds of the paper and their critical masses.

:mod:`collective.theory.classification` holds Section 3 (Theorems 3.3, 3.5, 3.7 and
Corollaries 3.4, 3.6, 3.8); :mod:`collective.theory.optimization` holds Section 4
(Corollary 4.3, Proposition 4.4, Theorem 4.5). Both are re-exported here, so
``collective.theory.feature_label_bound`` and friends are the public names.
"""

from collective.theory.classification import *  # noqa: F403
from collective.theory.classification import __all__ as _classification_all
from collective.theory.optimization import *  # noqa: F403
from collective.theory.optimization import __all__ as _optimization_all

__all__ = [*_classification_all, *_optimization_all]
