"""Algorithmic collective action in machine learning.

A reproduction of Hardt, Mazumdar, Mendler-Dünner and Zrnic, "Algorithmic Collective Action
in Machine Learning" (ICML 2023): the theory (:mod:`collective.theory`,
:mod:`collective.discrete`, :mod:`collective.risk`), the resume corpus
(:mod:`collective.data`), the collective's strategies, the firms that learn, and a cached
experiment runner.
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
