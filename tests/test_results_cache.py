"""The results cache cannot be fed wrong numbers (issue 10, points 1-3 and 9).

Faults covered: a record made on another corpus, a record edited by hand (target changed),
missing metrics, rates outside [0, 1], a full disk (an injected failing ``os.write``), a
line torn by a crash, a file rewritten in place, and the committed records themselves.
"""

from __future__ import annotations

import errno
import json
import os
import warnings

import pandas as pd
import pytest
from _synthetic import fake_record

from collective.cli import main
from collective.errors import CacheMissError, ConfigError
from collective.resumes.corpus import CANONICAL_SHA256
from collective.runner import RunConfig, append_record, load_results, read_records, run
from collective.runner import cache as cache_module
from collective.runner.cache import ResultsWriteError, check_record
from collective.runner.paths import (
    BINDING_FILE,
    REPO_ROOT,
    SEALED_FILE,
    corpus_results_dir,
    folder_corpus,
    folder_is_sealed,
)

TARGET = "Database_Administrator"
RUN = [
    "run",
    "--firm",
    "linear",
    "--strategy",
    "feature-label",
    "--target",
    TARGET,
    "--alpha",
    "0.05",
    "--seed",
    "0",
]


def _config(**kw):
    return RunConfig(
        **{
            "firm": "linear",
            "strategy": "feature-label",
            "target": TARGET,
            "alpha": 0.05,
            "seed": 0,
            **kw,
        }
    )


# ----------------------------------------------------------------------------- keys


def test_key_of_a_fixed_config_is_pinned():
    """The committed records are found by this exact key: it must never change by accident."""
    # the first version's firm (10 L-BFGS steps, tol 1e-5), whose records are committed
    config = RunConfig(
        firm="linear",
        strategy="feature-label",
        target=TARGET,
        alpha=0.01,
        seed=0,
        firm_params={"max_iter": 10, "tol": 1e-5},
    )
    assert config.key() == "79bd43710a6321aa8418"
    assert cache_module.record_key(config.as_dict(), 1) == config.key()


def _sealed_copy_of_the_committed_results(tmp_path):
    """``data/results`` copied to ``tmp_path/results`` and sealed there (``--seal-legacy``),
    with what sealing reported; ``tmp_path/before`` keeps the files as copied."""
    import shutil

    from collective.runner.seal import seal_legacy

    committed = REPO_ROOT / "data" / "results"
    copy, before = tmp_path / "results", tmp_path / "before"
    copy.mkdir()
    before.mkdir()
    for name in [BINDING_FILE, SEALED_FILE, "linear.jsonl", "transformer.jsonl"]:
        if (committed / name).exists():
            shutil.copy2(committed / name, before / name)  # one snapshot: a sweep may append
            shutil.copy2(before / name, copy / name)
    return copy, seal_legacy(copy)


def test_committed_records_all_pass_the_checks(tmp_path):
    """Every committed record passes the checks on read, the checksum required: on a sealed
    copy of ``data/results`` (so this holds before ``collective results --seal-legacy`` has
    been run on the committed folder), and on the committed folder itself once it is sealed."""
    copy, reports = _sealed_copy_of_the_committed_results(tmp_path)
    assert folder_corpus(REPO_ROOT / "data" / "results") == CANONICAL_SHA256
    assert [r.refused for r in reports] == [[] for _ in reports]
    folders = [copy] + (
        [REPO_ROOT / "data" / "results"] if folder_is_sealed(REPO_ROOT / "data" / "results") else []
    )
    for folder in folders:
        assert folder_is_sealed(folder)
        for firm in ("linear", "transformer"):
            path = folder / f"{firm}.jsonl"
            if not path.exists():
                continue
            with warnings.catch_warnings():
                warnings.simplefilter("error")
                records = read_records(path, CANONICAL_SHA256)
            assert len(records) == len(path.read_text().splitlines())
            assert all("checksum" in r for r in records.values())


def test_sealing_the_committed_results_changes_no_number(tmp_path):
    """``--seal-legacy`` only adds checksums: every record of the sealed copy equals the
    committed one, checksum aside."""
    copy, _ = _sealed_copy_of_the_committed_results(tmp_path)
    for firm in ("linear", "transformer"):
        before = (tmp_path / "before" / f"{firm}.jsonl").read_text().splitlines()
        after = (copy / f"{firm}.jsonl").read_text().splitlines()
        assert len(before) == len(after)
        for old, new in zip(before, after):
            old, new = json.loads(old), json.loads(new)
            new_checksum = new.pop("checksum")
            assert old.pop("checksum", new_checksum) == new_checksum
            assert old == new


# ----------------------------------------------------------------------------- checks on read


def test_hand_edited_target_does_not_answer(tmp_path):
    path = tmp_path / "linear.jsonl"
    record = fake_record(0, target=TARGET, sealed=False)
    record["config"]["target"] = "Web_Developer"  # edited by hand; key left as it was
    path.write_text(json.dumps(record) + "\n")
    with pytest.warns(
        RuntimeWarning,
        match=r"linear.jsonl:1: results record not served: its key .* not the hash of its config",
    ):
        assert read_records(path) == {}


@pytest.mark.parametrize(
    "change, message",
    [
        (lambda r: r["metrics"].pop("success_in_set"), "metrics missing: success_in_set"),
        (lambda r: r["metrics"].update(success_top1=1.7), "rate success_top1 = 1.7 is not in"),
        (lambda r: r["metrics"].update(precision=-0.1), "rate precision"),
        (lambda r: r["metrics"].update(recall="high"), "rate recall"),
        (lambda r: r["metrics"].update(f1=float("inf")), "rate f1"),
        (lambda r: r.pop("provenance"), "a record needs the keys"),
    ],
)
def test_bad_records_are_reported_and_count_as_missing(tmp_path, change, message):
    path = tmp_path / "linear.jsonl"
    good, bad = fake_record(0), fake_record(1, sealed=False)  # a legacy record: checks alone
    change(bad)
    path.write_text(json.dumps(good) + "\n" + json.dumps(bad) + "\n")
    with pytest.warns(
        RuntimeWarning, match=rf"linear.jsonl:2: results record not served: {message}"
    ):
        assert set(read_records(path)) == {good["key"]}


def test_record_made_on_another_corpus_is_not_served_for_the_real_one(
    synthetic_runner, monkeypatch, tmp_path
):
    monkeypatch.delenv("COLLECTIVE_RESULTS")
    committed = REPO_ROOT / "data" / "results" / "linear.jsonl"
    before = committed.stat().st_mtime_ns if committed.exists() else None
    with pytest.warns(UserWarning, match="not the canonical resume corpus: its results go to"):
        record = run(_config())  # on the synthetic corpus: never into data/results
    synthetic_sha = record["provenance"]["data_sha256"]
    own = corpus_results_dir(synthetic_sha)
    assert (own / "linear.jsonl").exists() and (
        own / BINDING_FILE
    ).read_text().strip() == synthetic_sha
    assert (committed.stat().st_mtime_ns if committed.exists() else None) == before
    # Copied into a folder of the real corpus, the record is refused.
    real = tmp_path / "real"
    real.mkdir()
    (real / BINDING_FILE).write_text(CANONICAL_SHA256 + "\n")
    (real / "linear.jsonl").write_bytes((own / "linear.jsonl").read_bytes())
    with pytest.warns(RuntimeWarning, match="computed on another corpus"):
        with pytest.raises(CacheMissError, match="1 of 1 results are not in the cache"):
            load_results([_config()], results_dir=real)
    # ... and a run on the synthetic corpus may not write there.
    with pytest.raises(ConfigError, match="holds results of the corpus with sha256 0e7048fa085c"):
        run(_config(seed=1), results_dir=real)


def test_cli_says_where_results_of_another_corpus_go(
    synthetic_runner, monkeypatch, tmp_path, capsys
):
    monkeypatch.delenv("COLLECTIVE_RESULTS")
    assert main([*RUN, "--json"]) == 0
    err = capsys.readouterr().err
    assert "not the canonical resume corpus" in err and "results" in err
    bound = tmp_path / "bound"
    bound.mkdir()
    (bound / BINDING_FILE).write_text(CANONICAL_SHA256)
    assert main([*RUN, "--results", str(bound)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("collective: error: the results folder") and "Traceback" not in err


def test_record_with_missing_metrics_is_recomputed_not_served(synthetic_runner, capsys):
    assert main([*RUN, "--json"]) == 0
    path = synthetic_runner / "linear.jsonl"
    record = json.loads(path.read_text())
    del record["metrics"]["success_top1"]
    del record["checksum"]
    record = cache_module.seal(record)  # sealed without the metric (a bug of an older runner)
    path.write_text(json.dumps(record) + "\n")
    cache_module.forget_parsed()
    capsys.readouterr()
    with pytest.warns(RuntimeWarning, match="metrics missing: success_top1"):
        assert main([*RUN, "--no-train"]) == 2
    err = capsys.readouterr().err
    assert "no cached result" in err and "Traceback" not in err
    with pytest.warns(RuntimeWarning, match="metrics missing"):
        assert main([*RUN, "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["cached"] is False


# ----------------------------------------------------------------------------- writes


def _failing_write(after: int, result: str):
    """An ``os.write`` that writes ``after`` bytes, then fails: raises ENOSPC
    (``"enospc"``), or reports 0 bytes written from then on (``"short"``)."""
    real = os.write
    calls = []

    def write(fd, data):
        calls.append(fd)
        if len(calls) > 1:  # short writes: the disk took nothing more
            return 0
        n = real(fd, bytes(data[:after]))
        if result == "enospc":
            raise OSError(errno.ENOSPC, "No space left on device")
        return n

    return write


@pytest.mark.parametrize("result", ["enospc", "short"])
def test_full_disk_is_an_error_and_leaves_the_file_whole(tmp_path, monkeypatch, result):
    path = tmp_path / "linear.jsonl"
    append_record(path, fake_record(0))
    monkeypatch.setattr(cache_module.os, "write", _failing_write(10, result))
    with pytest.raises(ResultsWriteError, match=r"(?s)could not write the result .*disk is full"):
        append_record(path, fake_record(1))
    monkeypatch.undo()
    assert len(pd.read_json(path, lines=True)) == 1  # rolled back: valid JSON Lines
    assert not (tmp_path / "linear.jsonl.torn").exists()


def test_full_disk_run_and_sweep_exit_nonzero(synthetic_runner, monkeypatch, tmp_path, capsys):
    grid = tmp_path / "g.yaml"
    grid.write_text(
        "defaults: {firm: linear, strategy: feature-label, target: Web_Developer}\ngrids:\n  - alpha: [0.05]\n    seed: [0]\n"
    )
    monkeypatch.setattr(cache_module.os, "write", _failing_write(0, "enospc"))
    assert main([*RUN, "--json"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("collective: error: could not write the result") and "disk is full" in err
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err
    assert main(["sweep", str(grid), "--json"]) == 2
    assert "disk is full" in capsys.readouterr().err


def test_torn_line_of_a_crash_is_moved_aside_on_next_write(tmp_path):
    path = tmp_path / "linear.jsonl"
    append_record(path, fake_record(0))
    line = json.dumps(fake_record(1)).encode()
    with open(path, "ab") as fh:
        fh.write(line[: len(line) // 2])  # kill -9 mid-write
    with pytest.warns(RuntimeWarning, match=r"moved to .*linear.jsonl.torn"):
        append_record(path, fake_record(2))
    assert len(pd.read_json(path, lines=True)) == 2
    assert (tmp_path / "linear.jsonl.torn").read_bytes() == line[: len(line) // 2] + b"\n"


def test_reads_are_incremental_and_notice_a_rewrite(tmp_path):
    path = tmp_path / "linear.jsonl"
    append_record(path, fake_record(0))
    assert len(read_records(path)) == 1
    append_record(path, fake_record(1))
    assert len(read_records(path)) == 2  # the appended line is read
    records = [fake_record(i) for i in (5, 6, 7)]
    with open(path, "r+b") as fh:  # rewritten in place (same inode, longer)
        fh.write(b"".join(json.dumps(r).encode() + b"\n" for r in records))
    assert set(read_records(path)) == {r["key"] for r in records}


def test_check_record_accepts_a_good_record():
    assert check_record(fake_record(0)) is None
    assert check_record(fake_record(0), CANONICAL_SHA256) is None
    assert "another corpus" in check_record(fake_record(0, sha="f" * 64), CANONICAL_SHA256)


def test_metric_edited_by_hand_is_refused_by_the_checksum(synthetic_runner):
    record = run(_config())
    assert record["checksum"] == cache_module.record_checksum(record)
    path = synthetic_runner / "linear.jsonl"
    stored = json.loads(path.read_text())
    stored["metrics"]["success_in_set"] = 0.99  # a nicer number, by hand
    path.write_text(json.dumps(stored) + "\n")
    cache_module.forget_parsed()
    with pytest.warns(RuntimeWarning, match="checksum does not match its content"):
        assert read_records(path) == {}


def test_estimates_of_another_corpus_do_not_go_into_data_results(synthetic_runner, monkeypatch):
    from collective.runner.estimates import ESTIMATES_FILE, save_theory_estimates

    monkeypatch.delenv("COLLECTIVE_RESULTS")
    committed = REPO_ROOT / "data" / "results" / ESTIMATES_FILE
    before = committed.read_bytes() if committed.exists() else None
    with pytest.warns(UserWarning, match="not the canonical resume corpus"):
        path = save_theory_estimates({"xi": 0.1, "provenance": {"data_sha256": "b" * 64}})
    assert path == corpus_results_dir("b" * 64) / ESTIMATES_FILE
    assert (committed.read_bytes() if committed.exists() else None) == before


def test_an_undefined_rate_is_allowed():
    assert check_record(fake_record(0, success_in_set_without_target=float("nan"))) is None
    assert check_record(fake_record(0, success_in_set_without_target=None)) is None


# ----------------------------------------------------------------------------- sealing (issue 22)


def test_a_record_without_checksum_is_refused_in_a_sealed_folder(synthetic_runner):
    """Deleting the checksum of a sealed record once bypassed the check on its metrics."""
    run(_config())
    path = synthetic_runner / "linear.jsonl"
    assert folder_is_sealed(synthetic_runner)  # every folder the runner creates is sealed
    stored = json.loads(path.read_text())
    stored["metrics"]["success_in_set"] = 0.99
    del stored["checksum"]
    path.write_text(json.dumps(stored) + "\n")
    cache_module.forget_parsed()
    with pytest.warns(RuntimeWarning, match="it has no checksum, and this folder holds sealed"):
        assert read_records(path) == {}


@pytest.fixture
def legacy_folder(tmp_path):
    """A folder of records written before checksums: one unsealed good record, one sealed, one
    edited by hand (key no longer its config's hash), one of another corpus, a line of garbage."""
    folder = tmp_path / "legacy"
    folder.mkdir()
    (folder / BINDING_FILE).write_text(CANONICAL_SHA256 + "\n")
    edited = fake_record(2, sealed=False)
    edited["config"]["seed"] = 7
    lines = [
        json.dumps(fake_record(0, sealed=False)),
        json.dumps(fake_record(1), sort_keys=True),
        json.dumps(edited),
        json.dumps(fake_record(3, sha="f" * 64, sealed=False)),
        "{not json",
    ]
    (folder / "linear.jsonl").write_text("\n".join(lines) + "\n")
    return folder


def test_seal_legacy_checks_and_seals_a_legacy_folder(legacy_folder, capsys):
    path = legacy_folder / "linear.jsonl"
    good = fake_record(0)["key"]
    with pytest.warns(RuntimeWarning, match="1 records have no checksum .* --seal-legacy"):
        assert good in read_records(path, CANONICAL_SHA256)  # served, with a warning, until sealed
    sealed_line = path.read_text().splitlines()[1]

    assert main(["results", "--seal-legacy", "--results", str(legacy_folder)]) == 0
    out = capsys.readouterr().out
    assert "1 records sealed now, 1 sealed before, 3 refused" in out
    assert "line 3: its key" in out and "line 4: computed on another corpus" in out
    assert "line 5: not JSON" in out
    assert folder_is_sealed(legacy_folder)
    lines = path.read_text().splitlines()
    assert len(lines) == 5 and lines[1] == sealed_line  # a sealed record keeps its bytes
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        records = read_records(path, CANONICAL_SHA256)
    assert set(records) == {good, fake_record(1)["key"]}
    assert records[good]["checksum"] == cache_module.record_checksum(records[good])

    assert main(["results", "--seal-legacy", "--results", str(legacy_folder)]) == 0
    assert "0 records sealed now, 2 sealed before, 3 refused" in capsys.readouterr().out


@pytest.mark.parametrize(
    "edit, message",
    [
        (lambda r: r["metrics"].update(success_in_set=0.99), "checksum does not match"),
        (lambda r: r.pop("checksum"), "it has no checksum"),
    ],
)
def test_after_sealing_an_edited_legacy_record_is_refused(legacy_folder, edit, message):
    """An edited metric of a record written before checksums was served."""
    assert main(["results", "--seal-legacy", "--results", str(legacy_folder)]) == 0
    path = legacy_folder / "linear.jsonl"
    lines = path.read_text().splitlines()
    record = json.loads(lines[0])
    edit(record)
    path.write_text("\n".join([json.dumps(record), *lines[1:]]) + "\n")
    cache_module.forget_parsed()
    with pytest.warns(RuntimeWarning, match=message):
        assert fake_record(0)["key"] not in read_records(path, CANONICAL_SHA256)


def test_seal_legacy_of_an_unbound_folder_is_a_clear_error(tmp_path, capsys):
    (tmp_path / "linear.jsonl").write_text(json.dumps(fake_record(0)) + "\n")
    assert main(["results", "--seal-legacy", "--results", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert "is not bound to a corpus" in err and "Traceback" not in err
    assert not folder_is_sealed(tmp_path)
