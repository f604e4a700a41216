"""The committed corpus summary (collective.resumes.summary): computed on a synthetic archive,
read without the corpus, and, when the real corpus is given, equal to the committed file."""

from __future__ import annotations

import json
import os

import numpy as np
import pytest
from test_data import make_zip, synthetic_members

from collective.cli import main
from collective.errors import DataError
from collective.resumes import corpus as data
from collective.resumes import summary as cs

REAL = os.environ.get("COLLECTIVE_RESUMES")


@pytest.fixture
def isolated(tmp_path, monkeypatch):
    """An empty cache folder and no corpus from the environment."""
    monkeypatch.setenv(data.CACHE_ENV_VAR, str(tmp_path / "cache"))
    monkeypatch.delenv(data.ENV_VAR, raising=False)
    return tmp_path


def test_summary_of_synthetic_archive(isolated):
    archive = make_zip(isolated / "corpus.zip", synthetic_members(30))
    corpus = data.load_corpus(archive, progress=False)
    summary = cs.compute_corpus_summary(corpus)
    counts = summary["counts"]
    assert counts["resumes_raw"] == 30 and counts["empty_labels"] == 1
    assert counts["resumes"] == counts["train"] + counts["test"] == 29
    # i % 3 != 0 -> two labels (DBA, Web); i % 3 == 0 -> Software_Developer only; 00001 dropped.
    assert summary["labels_per_resume"] == {"1": 10, "2": 19}
    assert summary["label_counts"]["Software_Developer"] == 10
    C = np.array(summary["cooccurrence_counts"])
    assert C.shape == (10, 10) and (C == C.T).all()
    assert C[0, 1] == 19 and C[0, 2] == 0
    hist = summary["words"]["histogram"]
    assert sum(hist["counts"]) == 29 and len(hist["edges"]) == len(hist["counts"]) + 1
    # Aggregates only: no resume text or id reaches the summary.
    text = json.dumps(summary)
    assert "Oracle" not in text and "00002" not in text and "caf" not in text
    np.testing.assert_allclose(
        cs.cooccurrence(summary),
        data.label_cooccurrence(
            np.vstack([corpus.label_matrix("train"), corpus.label_matrix("test")])
        ),
    )


def test_corpus_summary_reads_committed_file_without_corpus(isolated):
    summary, origin = cs.corpus_summary()
    assert "committed" in origin
    assert summary == cs.load_corpus_summary()
    assert summary["counts"]["resumes"] == sum(summary["labels_per_resume"].values())
    table = cs.label_table(summary)
    assert list(table["count"]) == sorted(summary["label_counts_raw"].values(), reverse=True)


def test_corpus_summary_recomputes_when_corpus_given(isolated, monkeypatch):
    archive = make_zip(isolated / "corpus.zip", synthetic_members(12))
    monkeypatch.setenv(data.ENV_VAR, str(archive))
    summary, origin = cs.corpus_summary()
    assert "recomputed" in origin and summary["counts"]["resumes_raw"] == 12


def test_missing_or_stale_summary_file_is_a_clear_error(isolated):
    with pytest.raises(DataError, match="collective data summary --write"):
        cs.load_corpus_summary(isolated / "nope.json")
    stale = isolated / "stale.json"
    stale.write_text(json.dumps({"version": 0}))
    with pytest.raises(DataError, match="version 0"):
        cs.load_corpus_summary(stale)


def test_cli_write_and_check(isolated, capsys):
    archive = make_zip(isolated / "corpus.zip", synthetic_members(12))
    out = isolated / "summary.json"
    assert main(["data", "summary", "--data", str(archive), "--write", "--output", str(out)]) == 0
    assert main(["data", "summary", "--data", str(archive), "--check", "--output", str(out)]) == 0
    changed = json.loads(out.read_text())
    changed["counts"]["resumes_raw"] += 1
    out.write_text(json.dumps(changed))
    assert main(["data", "summary", "--data", str(archive), "--check", "--output", str(out)]) == 1
    assert "differs from the corpus in: counts" in capsys.readouterr().err


@pytest.mark.corpus
@pytest.mark.skipif(
    not REAL,
    reason="the committed corpus summary is checked against the corpus only when "
    "COLLECTIVE_RESUMES points at resumes_corpus.zip",
)
def test_committed_summary_equals_recomputed():
    recomputed = cs.summary_from_corpus(REAL)
    committed = cs.load_corpus_summary()
    assert committed["sha256"] == recomputed["sha256"], (
        "the committed summary is of another archive"
    )
    assert committed == recomputed, "rewrite it with `collective data summary --write`"
