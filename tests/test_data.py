"""The resume corpus loader (collective.resumes.corpus) on synthetic archives and, when given, the real one."""

from __future__ import annotations

import json
import os
import re
import warnings
import zipfile
from pathlib import Path

import numpy as np
import pytest

from collective.cli import main
from collective.errors import DataError
from collective.resumes import corpus as data
from collective.resumes import source

WORDS = " ".join(f"title{i}" for i in range(20))  # the 20 words the preprocessing drops


def _resume(body: str) -> bytes:
    return f"{WORDS} {body}".encode("cp1252")


@pytest.fixture(autouse=True)
def isolated_cache(tmp_path, monkeypatch):
    """Every test gets its own cache folder and no corpus from the environment."""
    monkeypatch.setenv(data.CACHE_ENV_VAR, str(tmp_path / "cache"))
    monkeypatch.delenv(data.ENV_VAR, raising=False)


def make_zip(path: Path, members: dict[str, bytes]) -> Path:
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, payload in members.items():
            archive.writestr(name, payload)
    return path


def synthetic_members(n: int = 12) -> dict[str, bytes]:
    """Pairs in nested folders, cp1252 text with markup, and one resume without labels."""
    members: dict[str, bytes] = {}
    for i in range(1, n + 1):
        folder = "resumes_corpus/" if i % 2 else "resumes_corpus/nested/deeper/"
        body = f'caf\u00e9 \u2013 <span class="hl">Oracle</span>\xa0DBA r\u00e9sum\u00e9 number {i}'
        members[f"{folder}{i:05d}.txt"] = _resume(body)
        labels = ["Database_Administrator", "Web_Developer"] if i % 3 else ["Software_Developer"]
        members[f"{folder}{i:05d}.lab"] = "\n".join(labels).encode()  # no final newline
    members["resumes_corpus/00001.lab"] = b""  # an empty .lab: dropped by preprocessing
    members["resumes_corpus/README.md"] = b"not a resume"
    return members


def test_preprocess_drops_first_20_words_and_markup():
    text = _resume('alpha <span class="hl">beta</span>\xa0gamma').decode("cp1252")
    assert data.preprocess(text) == "alpha beta gamma"
    assert data.preprocess("only a few words") == ""


def test_load_synthetic_zip(tmp_path):
    archive = make_zip(tmp_path / "corpus.zip", synthetic_members())
    corpus = data.load_corpus(archive, progress=False)
    assert corpus.resumes_raw == 12
    assert corpus.empty_labels == 1
    assert len(corpus.train) + len(corpus.test) == 11
    assert corpus.label_counts_raw["Software_Developer"] == 4  # i = 3, 6, 9, 12
    # The 20 title words are gone, markup stripped, cp1252 decoded (é and the en dash).
    text = corpus.train[0]["text"]
    assert text.startswith("caf\u00e9 \u2013 Oracle DBA r\u00e9sum\u00e9 number")
    assert "<span" not in text and "title" not in text
    ids = set(corpus.train["id"]) | set(corpus.test["id"])
    assert "00001" not in ids and {"00002", "00012"} <= ids  # nested folders found
    Y = corpus.label_matrix("train")
    assert Y.shape == (len(corpus.train), 10) and Y.dtype == np.uint8
    for row, labels in zip(Y, corpus.train["labels"]):
        assert {data.LABELS[j] for j in np.flatnonzero(row)} == set(labels)
    assert corpus.sha256 == data.sha256_of(archive)


def test_second_load_uses_cache_and_split_is_seeded(tmp_path):
    archive = make_zip(tmp_path / "corpus.zip", synthetic_members(30))
    first = data.load_corpus(archive, progress=False)
    cached = list((data.cache_dir() / "corpus").iterdir())
    assert len(cached) == 1 and (cached[0] / "meta.json").exists()
    second = data.load_corpus(archive, progress=False)
    assert first.train["id"] == second.train["id"] and first.test["id"] == second.test["id"]
    assert not set(first.train["id"]) & set(first.test["id"])


def test_extracted_folder_and_zip_give_same_corpus(tmp_path):
    members = synthetic_members()
    archive = make_zip(tmp_path / "corpus.zip", members)
    folder = tmp_path / "extracted"
    with zipfile.ZipFile(archive) as z:
        z.extractall(folder)
    from_zip = data.load_corpus(archive, progress=False)
    from_folder = data.load_corpus(folder, progress=False)
    assert from_zip.train["text"] == from_folder.train["text"]
    assert from_zip.test["labels"] == from_folder.test["labels"]


def test_environment_variable_is_used(tmp_path, monkeypatch):
    archive = make_zip(tmp_path / "corpus.zip", synthetic_members())
    monkeypatch.setenv(data.ENV_VAR, str(archive))
    assert data.load_corpus(progress=False).source == str(archive)


def test_split_indices_full_size():
    train, test = data.split_indices(29_010)
    assert len(train) == 25_000 and len(test) == 4_010
    assert np.array_equal(train, data.split_indices(29_010)[0])


# ----------------------------------------------------------------------------- bad input


def test_missing_path_names_it():
    with pytest.raises(DataError, match=r"not found at '/no/such/corpus.zip'.*--data"):
        data.load_corpus("/no/such/corpus.zip", progress=False)


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads any file")
def test_unreadable_path(tmp_path):
    archive = make_zip(tmp_path / "corpus.zip", synthetic_members())
    archive.chmod(0)
    with pytest.raises(DataError, match="not readable"):
        data.load_corpus(archive, progress=False)


def test_zip_without_pairs(tmp_path):
    archive = make_zip(tmp_path / "other.zip", {"a/1.txt": b"x", "b/2.lab": b"Web_Developer"})
    with pytest.raises(DataError, match=r"holds no resume.*1 \.txt and 1 \.lab"):
        data.load_corpus(archive, progress=False)


def test_truncated_archive(tmp_path):
    whole = make_zip(tmp_path / "whole.zip", synthetic_members()).read_bytes()
    truncated = tmp_path / "truncated.zip"
    truncated.write_bytes(whole[: len(whole) // 2])
    with pytest.raises(DataError, match=r"not a readable zip archive.*truncated"):
        data.load_corpus(truncated, progress=False)


def test_damaged_member(tmp_path):
    members = {"c/00001.txt": _resume("x " * 500), "c/00001.lab": b"Web_Developer"}
    raw = bytearray(make_zip(tmp_path / "ok.zip", members).read_bytes())
    start = raw.find(b"c/00001.txt") + len("c/00001.txt")  # first local header's data
    raw[start + 5 : start + 25] = b"\x00" * 20
    (tmp_path / "damaged.zip").write_bytes(bytes(raw))
    with pytest.raises(DataError, match="damaged|not a readable zip"):
        data.load_corpus(tmp_path / "damaged.zip", progress=False)


@pytest.mark.parametrize("name", ["../evil.txt", "/etc/evil.txt", "a/../../evil.lab"])
def test_entry_escaping_the_folder_is_refused(tmp_path, name):
    members = synthetic_members()
    members[name] = b"pwned"
    archive = make_zip(tmp_path / "malicious.zip", members)
    with pytest.raises(DataError, match="would escape"):
        data.load_corpus(archive, progress=False)


def test_unknown_labels_are_an_error(tmp_path):
    members = {"c/00001.txt": _resume("words"), "c/00001.lab": b"Astronaut"}
    with pytest.raises(DataError, match="Astronaut"):
        data.load_corpus(make_zip(tmp_path / "x.zip", members), progress=False)


def test_download_failure_names_url(tmp_path, monkeypatch):
    url = "http://127.0.0.1:9/resumes_corpus.zip"  # discard port: connection refused
    monkeypatch.setattr(source, "UPSTREAM_URL", url)  # where resolve_source looks it up
    with pytest.raises(DataError, match=r"Could not download .*127\.0\.0\.1:9.*COLLECTIVE_RESUMES"):
        data.load_corpus(progress=False)
    assert not list(data.cache_dir().glob("*.part")), "a partial download was left behind"


def test_download_writes_atomically(tmp_path):
    source = make_zip(tmp_path / "upstream.zip", synthetic_members())
    dest = tmp_path / "cache" / "resumes_corpus.zip"
    data.download(source.as_uri(), dest, progress=False)
    assert dest.read_bytes() == source.read_bytes()


# ----------------------------------------------------------------------------- CLI


def test_cli_info_json(tmp_path, capsys):
    archive = make_zip(tmp_path / "corpus.zip", synthetic_members())
    assert main(["data", "info", "--data", str(archive), "--json"]) == 0
    info = json.loads(capsys.readouterr().out)
    assert {"resumes_raw", "resumes", "labels", "train", "test", "sha256"} <= info.keys()
    assert info["resumes_raw"] == 12 and info["resumes"] == 11
    assert info["train"] + info["test"] == 11
    assert set(info["labels"]) == set(data.LABELS)


def test_cli_error_is_one_paragraph(capsys):
    assert main(["data", "info", "--data", "/no/such.zip"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("collective: error: The resume corpus was not found")
    assert "Traceback" not in err


# ----------------------------------------------------------------------------- real corpus

REAL = os.environ.get("COLLECTIVE_RESUMES")


@pytest.mark.corpus
@pytest.mark.skipif(
    not REAL, reason="needs the real corpus: set COLLECTIVE_RESUMES=/path/to/resumes_corpus.zip"
)
def test_real_corpus(monkeypatch):
    monkeypatch.delenv(data.CACHE_ENV_VAR)  # share the user cache: parsing takes ~15 s
    info = data.corpus_info(REAL, progress=False)
    assert info["resumes_raw"] == 29_783
    assert set(info["labels"]) == set(data.LABELS)
    assert info["labels"]["Software_Developer"] == 15_013
    assert info["labels"]["Database_Administrator"] == 3_299
    assert info["empty_labels"] == 748
    assert (
        info["resumes"] == 29_010 and info["sha256"] == data.CANONICAL_SHA256 and info["canonical"]
    )
    assert info["checks"] == {
        "txt_without_lab": 0,
        "lab_without_txt": 0,
        "utf8_mojibake": 0,
        "not_cp1252": 0,
        "other_case": 0,
        "duplicate_labels": 0,
    }
    assert info["train"] == 25_000 and info["test"] == info["resumes"] - 25_000
    freq = info["label_fractions"]
    assert [round(freq[c], 2) for c in data.PAPER_CLASSES] == [0.11, 0.22, 0.50]


def test_label_cooccurrence_is_conditional_frequency():
    Y = np.array([[1, 1, 0], [1, 0, 0], [0, 1, 1], [0, 0, 0]])
    C = data.label_cooccurrence(Y)
    assert np.allclose(np.diag(C), 1)
    assert C[0, 1] == pytest.approx(0.5)  # of 2 rows with label 0, one has label 1
    assert C[1, 2] == pytest.approx(0.5) and C[2, 1] == pytest.approx(1.0)
    assert C[2, 0] == 0


# ----------------------------------------------------------------------------- what the loader refuses (issue 10.5)


def test_symlink_outside_the_folder_is_refused(tmp_path):
    folder = tmp_path / "corpus"
    with zipfile.ZipFile(make_zip(tmp_path / "c.zip", synthetic_members())) as z:
        z.extractall(folder)
    secret = tmp_path / "secret.txt"
    secret.write_bytes(_resume("private words"))
    (folder / "resumes_corpus" / "00099.txt").symlink_to(secret)
    (folder / "resumes_corpus" / "00099.lab").write_bytes(b"Web_Developer")
    with pytest.raises(
        DataError, match=r"symbolic link\(s\) point outside it \(resumes_corpus/00099.txt -> "
    ):
        data.load_corpus(folder, progress=False)


def test_symlink_inside_the_folder_is_skipped_with_a_warning(tmp_path):
    folder = tmp_path / "corpus"
    with zipfile.ZipFile(make_zip(tmp_path / "c.zip", synthetic_members())) as z:
        z.extractall(folder)
    (folder / "again").symlink_to(folder / "resumes_corpus")
    with pytest.warns(
        UserWarning, match=r"1 symbolic link\(s\) inside the corpus folder skipped .*again"
    ):
        corpus = data.load_corpus(folder, progress=False)
    assert corpus.resumes_raw == 12


def test_symlink_entry_in_a_zip_is_refused(tmp_path):
    archive = make_zip(tmp_path / "c.zip", synthetic_members())
    with zipfile.ZipFile(archive, "a") as z:
        info = zipfile.ZipInfo("resumes_corpus/00050.txt")
        info.external_attr = 0o120777 << 16
        z.writestr(info, "/etc/passwd")
    with pytest.raises(DataError, match=r"symbolic link\(s\) \(resumes_corpus/00050.txt\)"):
        data.load_corpus(archive, progress=False)


@pytest.mark.parametrize(
    "payload, message",
    [
        (
            "\ufeffUTF-16 text with a byte order mark".encode("utf-16"),
            "UTF-16 byte order mark or NUL",
        ),
        (b"words\x00 with NUL bytes" * 3, "UTF-16 byte order mark or NUL"),
    ],
)
def test_text_that_is_not_cp1252_is_refused(tmp_path, payload, message):
    members = synthetic_members()
    members["resumes_corpus/00005.txt"] = payload
    with pytest.raises(
        DataError, match=rf"1 text\(s\) are not Windows-1252 .*{message}.*resumes_corpus/00005.txt"
    ):
        data.load_corpus(make_zip(tmp_path / "c.zip", members), progress=False)


def test_utf8_text_and_unpaired_files_are_counted_and_named(tmp_path, capsys):
    members = synthetic_members()
    members["resumes_corpus/00005.txt"] = (
        f"{WORDS} caf\u00e9 r\u00e9sum\u00e9".encode()
    )  # mojibake as cp1252
    members["resumes_corpus/00007.txt"] = _resume("x") + b" \x81"  # 0x81 is not cp1252
    members["resumes_corpus/00200.txt"] = _resume("no labels file")
    members["resumes_corpus/00201.lab"] = b"Web_Developer"
    members["resumes_corpus/00202.lab"] = b"Web_Developer"
    archive = make_zip(tmp_path / "c.zip", members)
    with pytest.warns(UserWarning) as seen:
        assert main(["data", "info", "--data", str(archive), "--json"]) == 0
    messages = "\n".join(str(w.message) for w in seen)
    assert "1 text(s) that look like UTF-8" in messages and "00005.txt" in messages
    assert "1 .txt file(s) without their .lab" in messages and "00200" in messages
    assert "2 .lab file(s) without their .txt" in messages
    assert "00007.txt" in messages
    info = json.loads(capsys.readouterr().out)
    assert info["checks"] == {
        "txt_without_lab": 1,
        "lab_without_txt": 2,
        "utf8_mojibake": 1,
        "not_cp1252": 1,
        "other_case": 0,
        "duplicate_labels": 0,
    }
    assert info["canonical"] is False
    assert main(["data", "info", "--data", str(archive)]) == 0  # from the cache: counts kept
    out = capsys.readouterr().out
    assert ".lab without .txt (ignored)" in out and "canonical    no" in out


def test_same_resume_id_twice_is_an_error(tmp_path):
    members = synthetic_members()
    members["copy/resumes_corpus/00003.txt"] = members["resumes_corpus/00003.txt"]
    members["copy/resumes_corpus/00003.lab"] = members["resumes_corpus/00003.lab"]
    with pytest.raises(
        DataError,
        match=r"1 resume id\(s\) more than once: 00003 \(copy/resumes_corpus/00003 and resumes_corpus/00003\)",
    ):
        data.load_corpus(make_zip(tmp_path / "c.zip", members), progress=False)


@pytest.mark.parametrize("damage", ["meta", "arrow", "missing"])
def test_damaged_corpus_cache_is_rebuilt_with_a_warning(tmp_path, damage):
    archive = make_zip(tmp_path / "c.zip", synthetic_members(30))
    first = data.load_corpus(archive, progress=False)
    texts, test_ids = (
        list(first.train["text"]),
        list(first.test["id"]),
    )  # the tables are memory-mapped
    del first
    cached = next((data.cache_dir() / "corpus").iterdir())
    if damage == "meta":
        (cached / "meta.json").write_text("{not json")
    elif damage == "arrow":
        for arrow in (cached / "train").glob("*.arrow"):
            arrow.write_bytes(b"garbage")
    else:
        import shutil

        shutil.rmtree(cached / "test")
    with pytest.warns(UserWarning, match="parsed corpus cache .* is damaged"):
        again = data.load_corpus(archive, progress=False)
    assert list(again.train["text"]) == texts
    assert list(data.load_corpus(archive, progress=False).test["id"]) == test_ids


def test_cache_folder_that_is_a_file_or_not_writable(tmp_path, monkeypatch, capsys):
    archive = make_zip(tmp_path / "c.zip", synthetic_members())
    blocker = tmp_path / "a-file"
    blocker.write_text("x")
    monkeypatch.setenv(data.CACHE_ENV_VAR, str(blocker))
    assert main(["data", "info", "--data", str(archive)]) == 2
    err = capsys.readouterr().err
    assert "is a file, not a folder" in err and "COLLECTIVE_CACHE" in err and "Traceback" not in err
    monkeypatch.setenv(data.CACHE_ENV_VAR, str(blocker / "sub"))
    assert main(["data", "info", "--data", str(archive)]) == 2
    assert "cannot be created" in capsys.readouterr().err
    if os.geteuid() != 0:
        locked = tmp_path / "locked"
        locked.mkdir(mode=0o500)
        monkeypatch.setenv(data.CACHE_ENV_VAR, str(locked))
        assert main(["data", "info", "--data", str(archive)]) == 2
        assert "not writable" in capsys.readouterr().err


# ----------------------------------------------------------------------------- issue 22


def test_an_edited_parsed_corpus_is_rebuilt_not_read(tmp_path):
    """An arrow file edited in place (still valid) changed the texts every run reads."""
    archive = make_zip(tmp_path / "c.zip", synthetic_members(30))
    texts = list(data.load_corpus(archive, progress=False).train["text"])
    cached = next((data.cache_dir() / "corpus").iterdir())
    (arrow,) = (cached / "train").glob("*.arrow")
    content = arrow.read_bytes()
    assert content.count(b"Oracle") > 0
    arrow.write_bytes(content.replace(b"Oracle", b"Oxacle"))  # same length: still readable
    with pytest.warns(
        UserWarning, match=r"parsed corpus cache .* train/.*does not match its checksum"
    ):
        again = data.load_corpus(archive, progress=False)
    assert list(again.train["text"]) == texts


def test_a_parsed_corpus_without_checksums_is_rebuilt(tmp_path):
    archive = make_zip(tmp_path / "c.zip", synthetic_members(30))
    data.load_corpus(archive, progress=False)
    cached = next((data.cache_dir() / "corpus").iterdir())
    (cached / "checksums.json").unlink()  # as written before checksums existed
    with pytest.warns(UserWarning, match="it has no checksums"):
        data.load_corpus(archive, progress=False)
    assert (cached / "checksums.json").is_file()


def test_the_same_zip_entry_twice_is_refused(tmp_path):
    """The second copy silently replaced the first."""
    members = synthetic_members()
    path = make_zip(tmp_path / "c.zip", members)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # zipfile: "Duplicate name"
        with zipfile.ZipFile(path, "a") as archive:
            archive.writestr("resumes_corpus/00003.txt", _resume("another text"))
    with pytest.raises(DataError, match=r"holds 1 entry twice \(resumes_corpus/00003.txt\)"):
        data.load_corpus(path, progress=False)


def test_a_label_listed_twice_counts_once(tmp_path, capsys):
    members = synthetic_members()
    members["resumes_corpus/00003.lab"] = b"Software_Developer\nSoftware_Developer\n"
    members["resumes_corpus/00005.lab"] = b"Software_Developer"
    with pytest.warns(UserWarning, match=r"1 .lab file\(s\) that list a label twice .*00003.lab"):
        info = data.corpus_info(make_zip(tmp_path / "c.zip", members), progress=False)
    assert info["labels"]["Software_Developer"] == sum(
        b"Software_Developer" in v for k, v in members.items() if k.endswith(".lab")
    )
    assert info["checks"]["duplicate_labels"] == 1


def test_upper_case_suffixes_are_counted_not_silently_ignored(tmp_path, capsys):
    members = synthetic_members()
    members["resumes_corpus/00100.TXT"] = _resume("upper case")
    members["resumes_corpus/00100.LAB"] = b"Web_Developer"
    archive = make_zip(tmp_path / "c.zip", members)
    with pytest.warns(UserWarning, match=r"2 file\(s\) named .TXT or .LAB.*00100.TXT"):
        assert main(["data", "info", "--data", str(archive)]) == 0
    out = capsys.readouterr().out
    assert re.search(r"files named .TXT or .LAB, not .txt/.lab \(ignored\) +2", out)


def test_an_unreadable_resume_in_a_folder_is_a_clear_error(tmp_path, monkeypatch, capsys):
    folder = tmp_path / "corpus"
    for name, payload in synthetic_members().items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_bytes(payload)
    real = Path.read_bytes

    def unreadable(self):  # chmod 000 does not stop root, who runs these tests in CI
        if self.name == "00003.txt":
            raise PermissionError(13, "Permission denied", str(self))
        return real(self)

    monkeypatch.setattr(Path, "read_bytes", unreadable)
    assert main(["data", "info", "--data", str(folder)]) == 2
    err = capsys.readouterr().err
    assert "Cannot read" in err and "00003.txt" in err and "Permission denied" in err
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1
