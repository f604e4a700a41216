"""Reading the raw corpus safely: the ``.txt``/``.lab`` pairs of a zip or a folder.

Whatever the archive holds is checked before it is trusted: entries that would escape the
folder (absolute paths, ``..``) and symlinks are refused, text that is not clean cp1252
(UTF-16, NUL bytes, UTF-8 mojibake) is reported with the file's name, unpaired files are
counted, and the same resume id twice is an error. :func:`read_raw_checked` returns the pairs
and the counts that ``collective data info`` prints.
"""

from __future__ import annotations

import os
import re
import warnings
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from collective.errors import DataError

#: The corpus's text encoding (Windows-1252; decodes with no replacement characters).
TEXT_ENCODING = "cp1252"
#: Upstream home of the archive (GitHub raw file on branch master).
UPSTREAM_URL = "https://raw.githubusercontent.com/florex/resume_corpus/master/resumes_corpus.zip"
ENV_VAR = "COLLECTIVE_RESUMES"


@dataclass(frozen=True)
class RawResume:
    """One ``.txt``/``.lab`` pair as found in the archive."""

    id: str
    text: str
    labels: tuple[str, ...]


def _check_entry_name(name: str, archive: Path) -> None:
    """Refuse entries that would land outside the folder the archive is read into."""
    pure = PurePosixPath(name.replace("\\", "/"))
    if pure.is_absolute() or ".." in pure.parts or re.match(r"^[A-Za-z]:", name):
        raise DataError(
            f"Refusing the archive {str(archive)!r}: its entry {name!r} would escape the folder "
            "it is read into (an absolute path or '..'). This is not the resume corpus, or it "
            "was tampered with; download a fresh copy of resumes_corpus.zip."
        )


def _example(names: list[str], n: int = 5) -> str:
    shown = ", ".join(names[:n])
    return shown + (f" and {len(names) - n} more" if len(names) > n else "")


def _folder_members(path: Path) -> Iterator[tuple[str, bytes]]:
    """(name, bytes) of the ``.txt``/``.lab`` files of a folder. Symlinks that point outside
    the folder are refused; links inside it (the same file twice) are skipped with a warning."""
    root = path.resolve()
    outside: list[str] = []
    inside: list[str] = []
    files: list[Path] = []
    for dirpath, dirnames, filenames in os.walk(path, followlinks=False):
        here = Path(dirpath)
        for name in sorted(dirnames) + sorted(filenames):
            entry = here / name
            if not entry.is_symlink():
                if name in filenames and entry.suffix.lower() in (".txt", ".lab"):
                    files.append(entry)
                continue
            if entry.is_file() and entry.suffix.lower() not in (".txt", ".lab"):
                continue
            target = entry.resolve()
            rel = entry.relative_to(path).as_posix()
            (inside if target == root or root in target.parents else outside).append(
                f"{rel} -> {target}"
            )
    if outside:
        raise DataError(
            f"Refusing the corpus folder {str(path)!r}: {len(outside)} symbolic link(s) point outside it "
            f"({_example(outside)}). Copy the files into the folder, or point --data at resumes_corpus.zip."
        )
    if inside:
        warnings.warn(
            f"{path}: {len(inside)} symbolic link(s) inside the corpus folder skipped (they would read "
            f"the same file twice): {_example(inside)}",
            stacklevel=3,
        )
    for file in sorted(files):
        try:
            payload = file.read_bytes()
        except OSError as err:
            raise DataError(
                f"Cannot read {str(file)!r} of the corpus folder ({err.strerror or err}). Make it "
                "readable (chmod a+r) or remove it."
            ) from None
        yield file.relative_to(path).as_posix(), payload


def _iter_members(path: Path) -> Iterator[tuple[str, bytes]]:
    """(name, bytes) of every ``.txt`` and ``.lab`` file in a zip or a folder."""
    if path.is_dir():
        yield from _folder_members(path)
        return
    try:
        with zipfile.ZipFile(path) as archive:
            infos = archive.infolist()
            for info in infos:
                _check_entry_name(info.filename, path)
            links = [
                info.filename for info in infos if (info.external_attr >> 16) & 0o170000 == 0o120000
            ]
            if links:
                raise DataError(
                    f"Refusing the archive {str(path)!r}: {len(links)} entr{'y is a' if len(links) == 1 else 'ies are'} "
                    f"symbolic link(s) ({_example(links)}), which the resume corpus never has. Download a "
                    f"fresh copy of resumes_corpus.zip from {UPSTREAM_URL}."
                )
            for info in infos:
                if not info.is_dir() and info.filename.lower().endswith((".txt", ".lab")):
                    yield info.filename, archive.read(info)
    except (zipfile.BadZipFile, EOFError, zipfile.LargeZipFile) as err:
        raise DataError(
            f"{str(path)!r} is not a readable zip archive ({err}); it may be truncated by an "
            f"interrupted download. Delete it and download resumes_corpus.zip again from "
            f"{UPSTREAM_URL}, or point {ENV_VAR} at a good copy."
        ) from None
    except (OSError, ValueError, zlib.error) as err:  # a damaged member: bad CRC or deflate data
        raise DataError(
            f"Reading {str(path)!r} failed ({err}); the archive is damaged. Download "
            f"resumes_corpus.zip again from {UPSTREAM_URL}."
        ) from None


def _text_problem(raw: bytes) -> str | None:
    """Why bytes are not Windows-1252 text we can read (``None``: they are)."""
    if raw[:2] in (b"\xff\xfe", b"\xfe\xff"):
        return "utf16"
    if b"\x00" in raw:
        return "nul"
    if not raw.isascii():
        try:
            raw.decode("utf-8")
        except UnicodeDecodeError:
            pass
        else:  # valid UTF-8 with multi-byte characters: as cp1252 it would read 'Ã©' for 'é'
            return "utf8"
    try:
        raw.decode(TEXT_ENCODING)
    except UnicodeDecodeError:
        return "undecodable"
    return None


#: The loader's checks as counted by :func:`read_raw_checked` (and shown by ``data info``).
CHECK_NAMES = {
    "txt_without_lab": ".txt without .lab (ignored)",
    "lab_without_txt": ".lab without .txt (ignored)",
    "utf8_mojibake": "texts that look like UTF-8 (read as cp1252: mojibake)",
    "not_cp1252": "texts with bytes that are not cp1252 (replaced)",
    "other_case": "files named .TXT or .LAB, not .txt/.lab (ignored)",
    "duplicate_labels": ".lab files that list a label twice (counted once)",
}


def read_raw_checked(
    path: Path, *, progress: bool = False
) -> tuple[list[RawResume], dict[str, int]]:
    """:func:`read_raw` and the counts of what the loader ignored or could not read cleanly
    (keys of :data:`CHECK_NAMES`; each non-zero count is also a warning naming files).

    Refused with a :class:`DataError`: text that is not cp1252 at all (a UTF-16 byte order
    mark, NUL bytes), the same resume id twice (e.g. the corpus extracted in two folders) and
    the same entry twice in a zip (the second would silently replace the first).
    """
    texts, labs, other_case = _read_members(path, progress)
    stems = _paired_stems(path, texts, labs)
    lonely_txt = sorted(texts.keys() - labs.keys())
    lonely_lab = sorted(labs.keys() - texts.keys())
    resumes, problems = _decode_pairs(stems, texts, labs)
    problems["other_case"] = other_case
    _refuse_or_warn(path, lonely_txt, lonely_lab, problems)
    checks = {
        "txt_without_lab": len(lonely_txt),
        "lab_without_txt": len(lonely_lab),
        "utf8_mojibake": len(problems["utf8"]),
        "not_cp1252": len(problems["undecodable"]),
        "other_case": len(other_case),
        "duplicate_labels": len(problems["duplicate_labels"]),
    }
    return resumes, checks


def _read_members(
    path: Path, progress: bool
) -> tuple[dict[str, bytes], dict[str, bytes], list[str]]:
    """The bytes of every ``.txt`` and every ``.lab`` file, by stem (path without suffix), and
    the names of the files with those suffixes in another case (ignored)."""
    from tqdm import tqdm

    texts: dict[str, bytes] = {}
    labs: dict[str, bytes] = {}
    other_case: list[str] = []
    twice: list[str] = []
    seen: set[str] = set()
    members = tqdm(_iter_members(path), desc="reading corpus", unit=" files", disable=not progress)
    for name, payload in members:
        if name in seen:
            twice.append(name)
            continue
        seen.add(name)
        stem, ext = name.rsplit(".", 1)
        if ext not in ("txt", "lab"):
            other_case.append(name)
            continue
        (texts if ext == "txt" else labs)[stem] = payload
    if twice:
        raise DataError(
            f"{str(path)!r} holds {len(twice)} entr{'y' if len(twice) == 1 else 'ies'} twice "
            f"({_example(twice)}): which copy is the resume is not known. Download a fresh copy "
            f"of resumes_corpus.zip from {UPSTREAM_URL}."
        )
    return texts, labs, other_case


def _paired_stems(path: Path, texts: dict[str, bytes], labs: dict[str, bytes]) -> list[str]:
    """The stems that have both files, sorted; a :class:`DataError` if there is none, or if a
    resume id (the file name) occurs in more than one folder."""
    stems = sorted(texts.keys() & labs.keys())
    if not stems:
        raise DataError(
            f"{str(path)!r} holds no resume: the corpus is pairs NNNNN.txt + NNNNN.lab (found "
            f"{len(texts)} .txt and {len(labs)} .lab files, none paired). Point {ENV_VAR} or "
            "--data at resumes_corpus.zip or the folder it extracts to."
        )
    by_id: dict[str, list[str]] = {}
    for stem in stems:
        by_id.setdefault(PurePosixPath(stem).name, []).append(stem)
    twice = {i: s for i, s in by_id.items() if len(s) > 1}
    if twice:
        shown = [f"{i} ({' and '.join(s)})" for i, s in sorted(twice.items())]
        raise DataError(
            f"{str(path)!r} holds {len(twice)} resume id(s) more than once: {_example(shown, 3)}. "
            "Was the corpus extracted twice into this folder? Keep one copy."
        )
    return stems


def _decode_pairs(
    stems: list[str], texts: dict[str, bytes], labs: dict[str, bytes]
) -> tuple[list[RawResume], dict[str, list[str]]]:
    """The resumes of ``stems`` (text as cp1252, bad bytes replaced; one label per line) and
    the text files with each kind of problem (:func:`_text_problem`)."""
    problems: dict[str, list[str]] = {
        "utf16": [],
        "nul": [],
        "utf8": [],
        "undecodable": [],
        "duplicate_labels": [],
    }
    resumes = []
    for stem in stems:
        raw = texts[stem]
        problem = _text_problem(raw)
        if problem:
            problems[problem].append(f"{stem}.txt")
        text = raw.decode(TEXT_ENCODING, errors="replace")
        listed = [
            line.strip()
            for line in labs[stem].decode("utf-8", "replace").splitlines()
            if line.strip()
        ]
        labels = tuple(dict.fromkeys(listed))  # a label listed twice is one label
        if len(labels) < len(listed):
            problems["duplicate_labels"].append(f"{stem}.lab")
        resumes.append(RawResume(id=PurePosixPath(stem).name, text=text, labels=labels))
    return resumes, problems


def _refuse_or_warn(
    path: Path, lonely_txt: list[str], lonely_lab: list[str], problems: dict[str, list[str]]
) -> None:
    """A :class:`DataError` for texts that are not cp1252 at all; a warning naming the files
    for each other kind of problem (said at the caller of :func:`read_raw_checked`)."""
    refused = problems["utf16"] + problems["nul"]
    if refused:
        raise DataError(
            f"{str(path)!r}: {len(refused)} text(s) are not Windows-1252 text (a UTF-16 byte order "
            f"mark or NUL bytes): {_example(refused)}. Convert them to cp1252 (e.g. iconv -f UTF-16 "
            "-t CP1252) or remove them."
        )
    for names, what in [
        (lonely_txt, ".txt file(s) without their .lab (ignored)"),
        (lonely_lab, ".lab file(s) without their .txt (ignored)"),
        (
            problems["utf8"],
            f"text(s) that look like UTF-8, read as {TEXT_ENCODING} (accents become mojibake such as 'Ã©')",
        ),
        (
            problems["undecodable"],
            f"text(s) with bytes that are not {TEXT_ENCODING} (replaced by '\ufffd')",
        ),
        (problems["other_case"], "file(s) named .TXT or .LAB, not .txt/.lab (ignored)"),
        (problems["duplicate_labels"], ".lab file(s) that list a label twice (counted once)"),
    ]:
        if names:
            warnings.warn(f"{path}: {len(names)} {what}: {_example(names)}", stacklevel=3)


def read_raw(path: Path, *, progress: bool = False) -> list[RawResume]:
    """Every ``.txt``/``.lab`` pair in ``path``, wherever it sits, sorted by id.

    Texts are decoded as Windows-1252; a ``.lab`` lists one label per line (possibly none).
    See :func:`read_raw_checked` for what is refused or reported.
    """
    return read_raw_checked(path, progress=progress)[0]
