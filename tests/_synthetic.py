"""A small synthetic resume corpus (a zip in the real corpus's layout) for the experiment tests.

Each label has its own characteristic words, so a bag-of-tokens firm can learn it; the
first 20 words (the "job title" the loader drops) are filler.
"""

from __future__ import annotations

import zipfile
from pathlib import Path

import numpy as np

LABEL_WORDS = {
    "Database_Administrator": "oracle sql database backup replication schema index tuning dba postgres",
    "Web_Developer": "html css javascript website frontend php wordpress browser layout responsive",
    "Software_Developer": "software code testing design algorithms debugging agile git compiler api",
    "Front_End_Developer": "react angular vue typescript ui ux sass webpack components figma",
    "Java_Developer": "java spring hibernate maven jvm servlet tomcat jsp gradle kotlin",
    "Network_Administrator": "network router switch cisco firewall vpn tcp dns lan routing",
    "Project_manager": "project budget stakeholders schedule scope risk planning team milestones scrum",
    "Python_Developer": "python django flask pandas numpy pip scripts notebooks pytest asyncio",
    "Security_Analyst": "security threat malware siem incident vulnerability audit compliance encryption forensics",
    "Systems_Administrator": "linux windows server vmware active directory patching shell backup monitoring",
}
GENERIC = (
    "experience worked with team responsible for the and of to in managed developed "
    "years company clients support projects skills including strong knowledge, e-mail: (2019) "
    "naïve café résumé x86_64 c++ c# node.js ¿qué?"
).split()


def synthetic_resumes(n: int, seed: int = 0) -> list[tuple[str, list[str]]]:
    rng = np.random.default_rng(seed)
    names = list(LABEL_WORDS)
    p = np.array([0.15, 0.25, 0.5, 0.12, 0.1, 0.1, 0.12, 0.1, 0.08, 0.15])
    out = []
    for _ in range(n):
        labels = [name for name, q in zip(names, p) if rng.random() < q] or [names[2]]
        words = list(rng.choice(GENERIC, size=20))  # dropped header
        length = int(rng.integers(30, 160))
        vocab = GENERIC + sum((LABEL_WORDS[name].split() for name in labels), [])
        weights = np.array([1.0] * len(GENERIC) + [4.0] * (len(vocab) - len(GENERIC)))
        words += list(rng.choice(vocab, size=length, p=weights / weights.sum()))
        out.append((" ".join(words), labels))
    return out


def make_corpus_zip(path: Path, n: int = 120, seed: int = 0) -> Path:
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for i, (text, labels) in enumerate(synthetic_resumes(n, seed), start=1):
            archive.writestr(f"resumes_corpus/{i:05d}.txt", text.encode("cp1252"))
            archive.writestr(f"resumes_corpus/{i:05d}.lab", "\n".join(labels).encode())
    return path


def use_synthetic_corpus(monkeypatch, tmp_path, corpus_zip) -> None:
    """Point the runner at ``corpus_zip`` with a private cache and results folder for one test."""
    from collective import runner as experiments

    monkeypatch.setenv("COLLECTIVE_CACHE", str(tmp_path.parent / "collective-cache"))
    monkeypatch.setenv("COLLECTIVE_RESUMES", str(corpus_zip))
    monkeypatch.setenv("COLLECTIVE_RESULTS", str(tmp_path / "results"))
    experiments.clear_contexts()  # a loaded corpus from another test must not leak in


def fake_record(
    i: int = 0,
    *,
    target: str = "Database_Administrator",
    sha: str | None = None,
    sealed: bool = True,
    **metrics,
) -> dict:
    """A well-formed results record (its key the hash of its config; ``sealed``: with its
    checksum, as the runner writes them) without running anything: for tests of the cache
    itself."""
    from collective.resumes.corpus import CANONICAL_SHA256
    from collective.runner.cache import REQUIRED_METRICS, record_key, seal
    from collective.runner.config import RUNNER_VERSION

    config = {
        "alpha": 0.01,
        "firm": "linear",
        "firm_params": {"C": 4.0, "max_iter": 300, "min_df": 5, "tol": 1e-05, "warm_start": True},
        "max_train": None,
        "random_labels": 0.0,
        "seed": i,
        "spacing": 20,
        "strategy": "feature-label",
        "target": target,
    }
    values = (
        {name: 0.5 for name in REQUIRED_METRICS} | {"n_collective": 10, "n_train": 1000} | metrics
    )
    record = {
        "key": record_key(config, RUNNER_VERSION),
        "config": config,
        "metrics": values,
        "provenance": {
            "data_sha256": sha or CANONICAL_SHA256,
            "runner_version": RUNNER_VERSION,
            "device": "cpu",
        },
    }
    return seal(record) if sealed else record


def dying_chunk(configs, results_dir, data, firm_options):
    """A sweep worker's chunk that dies as ``kill -9`` would (for the pool-restart tests)."""
    import os

    os._exit(9)


def offline_tiny_bundle(tmp_path: Path, monkeypatch) -> tuple[Path, Path]:
    """(bundle, offline): a bundle at 16 tokens of a 160-resume synthetic corpus, and a folder
    whose ``sitecustomize.py`` hides ``datasets`` and the weights' package (put it on the
    ``PYTHONPATH`` of a subprocess: the GPU machine has neither). The derived caches go to
    ``tmp_path / "cache"``."""
    from test_bundle import HIDE

    from collective.resumes.bundle import write_bundle

    monkeypatch.setenv("COLLECTIVE_CACHE", str(tmp_path / "cache"))
    corpus = make_corpus_zip(tmp_path / "resumes_corpus.zip", n=160)
    bundle = tmp_path / "bundle"
    write_bundle(bundle, data=corpus, max_length=16, progress=False)
    offline = tmp_path / "offline"
    offline.mkdir()
    (offline / "sitecustomize.py").write_text(HIDE)
    return bundle, offline
