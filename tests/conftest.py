"""Shared fixtures: a small synthetic corpus (built once per session), a runner pointed at it
with private cache and results folders, and the corpus's tokenizer."""

from __future__ import annotations

import pytest
from _synthetic import make_corpus_zip, use_synthetic_corpus


@pytest.fixture(scope="session")
def synthetic_zip(tmp_path_factory):
    """A 160-resume synthetic corpus in the real corpus's zip layout."""
    return make_corpus_zip(tmp_path_factory.mktemp("synthetic") / "resumes_corpus.zip", n=160)


@pytest.fixture
def synthetic_runner(tmp_path, monkeypatch, synthetic_zip):
    """The runner on :func:`synthetic_zip`, results in ``tmp_path / "results"``."""
    use_synthetic_corpus(monkeypatch, tmp_path, synthetic_zip)
    return tmp_path / "results"


@pytest.fixture(scope="module")
def tokenizer():
    """The corpus's WordPiece tokenizer (bert-base-uncased vocabulary, packaged), one per test
    module: calls with ``truncation=...`` change its state (see test_tokens.py)."""
    from collective.resumes.tokens import default_tokenizer

    return default_tokenizer()
