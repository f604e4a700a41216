"""Where results and grids live, and which corpus a results folder holds results of.

The committed results are in the repository's ``data/results``; ``$COLLECTIVE_RESULTS`` (or
``--results DIR``) points the runner elsewhere.

Every results folder is **bound to one corpus** (its sha256): ``data/results`` to the
canonical corpus (:data:`~collective.resumes.corpus.CANONICAL_SHA256`), any other folder to
the corpus of its first record (a ``corpus.sha256`` file written beside the JSONL files).
Records are served only if they were computed on the folder's corpus, and a run on another
corpus never writes into it:

* without ``--results``/``$COLLECTIVE_RESULTS``, a run on a non-canonical corpus goes to a
  folder of its own, ``<cache>/results/<sha12>`` (and says so);
* an explicit folder bound to another corpus is an error.

Outside a source checkout (a non-editable install, where the package's parent is
``site-packages``) there is no ``data/results``: results go to ``<cache>/results/<sha12>``
(and the runner says so), never into ``site-packages``.
"""

from __future__ import annotations

import errno
import os
from pathlib import Path

from collective.errors import CollectiveError, ConfigError

#: Environment variable that overrides the results folder.
RESULTS_ENV_VAR = "COLLECTIVE_RESULTS"
#: The repository (the package's parent folder in a source checkout).
REPO_ROOT = Path(__file__).resolve().parents[2]
#: The file that binds a results folder to a corpus.
BINDING_FILE = "corpus.sha256"
#: The file that says every record of a results folder is sealed: unsealed ones are refused.
SEALED_FILE = "records.sealed"
_SEALED_TEXT = (
    "Every record in this folder carries a checksum; a record without one is refused on read "
    "(collective.runner.cache). Written by `collective results --seal-legacy` or when the folder "
    "was created.\n"
)


def folder_is_sealed(folder: str | os.PathLike) -> bool:
    """Does ``folder`` refuse unsealed records (:data:`SEALED_FILE` is there)?"""
    return (Path(folder) / SEALED_FILE).is_file()


def mark_sealed(folder: str | os.PathLike) -> None:
    """From now on, ``folder`` refuses records without a checksum."""
    from collective.io import atomic_write

    if folder_is_sealed(folder):
        return
    with atomic_write(Path(folder) / SEALED_FILE, "w") as fh:
        fh.write(_SEALED_TEXT)


class ResultsWriteError(CollectiveError, OSError):
    """A result could not be written whole (a full disk, a read-only folder)."""


def problem_hint(err: OSError) -> str:
    """What to do about a failed write, in words (empty if nothing specific)."""
    if err.errno in (errno.ENOSPC, errno.EDQUOT):
        return " (the disk is full: free some space)"
    if err.errno in (errno.EROFS, errno.EACCES, errno.EPERM):
        return " (the folder is read-only: make it writable, or choose another with --results DIR)"
    return ""


def check_results_dir(folder: Path) -> Path:
    """``folder`` unless it exists and is not a folder (a :class:`ConfigError`)."""
    if folder.exists() and not folder.is_dir():
        raise ConfigError(
            f"the results folder {folder} is a file, not a folder; point --results (or "
            f"${RESULTS_ENV_VAR}) at a folder"
        )
    return folder


def check_results_file(path: Path) -> None:
    """A results file that exists must be a regular file (a :class:`ConfigError` naming it)."""
    if not path.is_file():
        raise ConfigError(
            f"{path} is not a results file (a folder?); move it away, and the results of this "
            "firm start afresh"
        )


def in_source_checkout(root: Path | None = None) -> bool:
    """Is the package in a source checkout with its committed ``data/results`` beside it?"""
    root = REPO_ROOT if root is None else root
    return (
        "site-packages" not in root.parts
        and "dist-packages" not in root.parts
        and (root / "pyproject.toml").is_file()
        and (root / "data" / "results").is_dir()
    )


def committed_results_dir() -> Path | None:
    """The repository's ``data/results`` (``None`` outside a source checkout)."""
    return REPO_ROOT / "data" / "results" if in_source_checkout() else None


def corpus_results_dir(sha256: str) -> Path:
    """The per-user results folder of a corpus: ``<cache>/results/<sha12>``."""
    from collective.resumes.corpus import cache_dir

    return cache_dir() / "results" / sha256[:12]


def default_results_dir() -> Path:
    """``$COLLECTIVE_RESULTS``, else the repository's ``data/results``, else (outside a source
    checkout) the canonical corpus's per-user folder."""
    env = os.environ.get(RESULTS_ENV_VAR)
    if env:
        return Path(env).expanduser()
    committed = committed_results_dir()
    if committed is not None:
        return committed
    from collective.resumes.corpus import CANONICAL_SHA256

    return corpus_results_dir(CANONICAL_SHA256)


def _same(a: Path, b: Path | None) -> bool:
    if b is None:
        return False
    try:
        return a.resolve() == b.resolve()
    except OSError:
        return False


def folder_corpus(folder: str | os.PathLike) -> str | None:
    """The sha256 of the corpus a results folder is bound to (``None``: not bound yet)."""
    folder = Path(folder)
    from collective.resumes.corpus import CANONICAL_SHA256

    if _same(folder, committed_results_dir()):
        return CANONICAL_SHA256
    binding = folder / BINDING_FILE
    if binding.is_file():
        text = binding.read_text().strip()
        return text or None
    return None


def bind_folder(folder: str | os.PathLike, sha256: str) -> None:
    """Bind ``folder`` to the corpus ``sha256`` (if not bound yet); a folder bound to another
    corpus is a :class:`ConfigError`."""
    folder = check_results_dir(Path(folder))
    bound = folder_corpus(folder)
    if bound is not None:
        if bound != sha256:
            raise _mismatch(folder, bound, sha256)
        return
    binding = folder / BINDING_FILE
    try:
        folder.mkdir(parents=True, exist_ok=True)
        try:
            fd = os.open(binding, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
        except FileExistsError:
            if binding.is_file() and not binding.read_text().strip():
                binding.unlink()  # left empty by a failed write: bind afresh
            bind_folder(folder, sha256)  # or another process bound it first: check theirs
            return
        try:
            with os.fdopen(fd, "w") as fh:
                fh.write(sha256 + "\n")
        except OSError:
            binding.unlink(missing_ok=True)
            raise
        if not any(f.stat().st_size for f in folder.glob("*.jsonl") if f.is_file()):
            mark_sealed(folder)  # a new folder: every record it will hold is sealed
    except ResultsWriteError:
        raise
    except OSError as err:
        raise ResultsWriteError(
            f"cannot write to the results folder {folder}: {err.strerror or err}{problem_hint(err)}"
        ) from None


def _mismatch(folder: Path, bound: str, sha256: str) -> ConfigError:
    return ConfigError(
        f"the results folder {folder} holds results of the corpus with sha256 {bound[:12]}..., but "
        f"this corpus has sha256 {sha256[:12]}...; results of different corpora must not mix. Use "
        f"another folder (--results DIR or ${RESULTS_ENV_VAR}), or leave both unset to use the "
        f"corpus's own folder {corpus_results_dir(sha256)}."
    )


def resolve_results_dir(
    results_dir: str | os.PathLike | None, sha256: str
) -> tuple[Path, str | None]:
    """The results folder for runs on the corpus ``sha256``, and a note for the user when it is
    not the folder they might expect (``None`` otherwise).

    ``results_dir`` (or ``$COLLECTIVE_RESULTS``) is used as given, and must not be bound to
    another corpus (:class:`ConfigError`). Otherwise: ``data/results`` for the canonical corpus
    in a source checkout, else ``<cache>/results/<sha12>``.
    """
    from collective.resumes.corpus import CANONICAL_SHA256

    given = results_dir if results_dir is not None else os.environ.get(RESULTS_ENV_VAR) or None
    if given is not None:
        folder = check_results_dir(Path(given).expanduser())
        bound = folder_corpus(folder)
        if bound is not None and bound != sha256:
            raise _mismatch(folder, bound, sha256)
        return folder, None
    committed = committed_results_dir()
    if sha256 == CANONICAL_SHA256 and committed is not None:
        return committed, None
    folder = corpus_results_dir(sha256)
    if sha256 != CANONICAL_SHA256:
        note = (
            f"this corpus (sha256 {sha256[:12]}...) is not the canonical resume corpus: its results go to "
            f"{folder}, not to the committed data/results (set ${RESULTS_ENV_VAR} to choose another folder)"
        )
    else:
        note = (
            f"the package is not in a source checkout with data/results: results go to {folder} "
            f"(set ${RESULTS_ENV_VAR} to choose another folder)"
        )
    return folder, note


def results_path(firm: str, results_dir: str | os.PathLike | None = None) -> Path:
    """The JSON Lines file of a firm's results."""
    folder = Path(results_dir) if results_dir is not None else default_results_dir()
    return folder / f"{firm}.jsonl"


def grid_path(name: str | os.PathLike) -> Path:
    """A grid file: a path, or the name of one of the book's grids (``fig2_fig3``)."""
    path = Path(name)
    if path.suffix in (".yaml", ".yml") or path.exists():
        return path
    return REPO_ROOT / "grids" / f"{name}.yaml"
