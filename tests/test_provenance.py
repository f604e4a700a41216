"""Where a record says it came from when the repository's ``.git`` is not there."""

from __future__ import annotations

import pytest

from collective.runner import provenance


@pytest.fixture
def no_git(tmp_path, monkeypatch):
    monkeypatch.setattr(provenance, "REPO_ROOT", tmp_path)  # a copy without .git
    provenance.git_commit.cache_clear()
    yield
    provenance.git_commit.cache_clear()


def test_a_copy_without_git_names_the_commit_it_was_sent_as(no_git, monkeypatch):
    monkeypatch.setenv(provenance.SENT_COMMIT_VAR, "f6e1426")
    assert provenance.git_commit() == "f6e1426"


def test_a_copy_without_git_and_without_the_variable_names_none(no_git, monkeypatch):
    monkeypatch.delenv(provenance.SENT_COMMIT_VAR, raising=False)
    assert provenance.git_commit() is None


def test_a_checkout_names_its_own_commit_not_the_variable(monkeypatch):
    provenance.git_commit.cache_clear()
    monkeypatch.setenv(provenance.SENT_COMMIT_VAR, "not-this")
    try:
        commit = provenance.git_commit()
    finally:
        provenance.git_commit.cache_clear()
    if commit is None:
        pytest.skip("no git here")
    assert commit != "not-this" and len(commit.split("+")[0]) == 40
