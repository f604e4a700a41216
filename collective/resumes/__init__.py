"""The resume pipeline: the corpus loader, tokenization, evaluation, estimates of ξ, Δ, p.

* :mod:`~collective.resumes.corpus`: load, preprocess and split the Jiechieu & Tsopze corpus;
* :mod:`~collective.resumes.tokens`: WordPiece ids once per corpus; planting the trigger;
* :mod:`~collective.resumes.strategies`: the strategies by name, as functions (the objects are
  in :mod:`collective.strategies`);
* :mod:`~collective.resumes.evaluation`: success and clean metrics of a fitted firm;
* :mod:`~collective.resumes.estimates`: ξ, Δ and p from data (Theorems 3.3 and 3.5).

Submodules are imported on use (the corpus loader pulls in ``datasets``).
"""
