"""Algorithmic collective action in machine learning: a reproduction of Hardt, Mazumdar,
Mendler-Dünner and Zrnic (ICML 2023). The map of the package:

* :mod:`collective.theory`: bounds, critical masses, sympy derivations, the exact engine,
  risk minimization, gradient control, economics (no corpus, no torch);
* :mod:`collective.resumes`: the resume corpus, tokens, strategies, evaluation, estimates;
* :mod:`collective.firms`: the learners (linear, transformer) with ``fit``/``predict_proba``;
* :mod:`collective.runner`: run configs, the results cache, provenance, sweeps;
* :mod:`collective.report`: the book's figures and tables; :mod:`collective.cli`: the command;
* :mod:`collective.errors`, :mod:`collective.validation`, :mod:`collective.io`: shared by all.
"""

import warnings
from importlib.metadata import PackageNotFoundError, version

# datasets and transformers import tqdm.auto, which warns in a notebook without ipywidgets.
# Our library code uses plain tqdm; the warning is noise that the strict book build would
# turn into an error.
warnings.filterwarnings("ignore", message="IProgress not found", module="tqdm")

try:
    __version__ = version("collective")
except PackageNotFoundError:  # running from a source tree that was not installed
    __version__ = "0.0.0+unknown"

__all__ = ["__version__"]
