"""Where the corpus comes from: ``--data``, else ``$COLLECTIVE_RESUMES``, else a download of
the upstream archive into the user cache folder; and the sha256 that identifies it."""

from __future__ import annotations

import os
from pathlib import Path

from collective import io
from collective.errors import DataError
from collective.resumes.archive import ENV_VAR, UPSTREAM_URL
from collective.resumes.cache_folder import cache_dir

#: sha256 of the canonical ``resumes_corpus.zip`` (29,783 resumes), the corpus of the
#: committed results in ``data/results``.
CANONICAL_SHA256 = "0e7048fa085c830aaae7f342222fcb9752dcac661d1f90cb0db3899105fe1923"


def resolve_source(data: str | os.PathLike | None = None, *, progress: bool = True) -> Path:
    """The local zip or folder to read: ``data``, else ``$COLLECTIVE_RESUMES``, else a download."""
    given = data if data is not None else os.environ.get(ENV_VAR) or None
    if given is None:
        return download(UPSTREAM_URL, cache_dir() / "resumes_corpus.zip", progress=progress)
    path = Path(given).expanduser()
    origin = "--data" if data is not None else f"${ENV_VAR}"
    if not path.exists():
        raise DataError(
            f"The resume corpus was not found at {str(path)!r} (given by {origin}). Point "
            f"{origin} at resumes_corpus.zip or at the folder it extracts to, or unset "
            f"{ENV_VAR} to download it from {UPSTREAM_URL}."
        )
    if not os.access(path, os.R_OK):
        raise DataError(
            f"The resume corpus at {str(path)!r} (given by {origin}) is not readable by this "
            "user. Fix its permissions (e.g. chmod u+r) or copy it somewhere readable."
        )
    return path


def download(url: str, dest: Path, *, progress: bool = True, timeout: float = 60.0) -> Path:
    """Download the corpus from ``url`` to ``dest`` (atomically, with a progress bar)."""

    def explain(err: BaseException) -> DataError:
        return DataError(
            f"Could not download the resume corpus from {url} ({err}). Check your internet "
            f"connection, or download resumes_corpus.zip by hand from the GitHub repository "
            f"florex/resume_corpus and set {ENV_VAR}=/path/to/resumes_corpus.zip (or pass "
            "--data PATH)."
        )

    return io.download(url, dest, progress=progress, timeout=timeout, on_error=explain)


_SHA_MEMO: dict[tuple, str] = {}


def sha256_of(path: Path) -> str:
    """sha256 of a zip's bytes, or of a folder's sorted (relative path, content) pairs
    (remembered per process for an unchanged zip or folder)."""
    path = Path(path)
    st = path.stat()
    # A folder is hashed once per process (its own mtime does not see edits in subfolders).
    memo = (str(path.resolve()), st.st_size, st.st_mtime_ns, st.st_ino)
    if memo not in _SHA_MEMO:
        try:
            _SHA_MEMO[memo] = io.sha256_tree(path)
        except OSError as err:
            raise DataError(
                f"Cannot read {str(err.filename or path)!r} of the corpus ({err.strerror or err}). "
                "Make it readable (chmod a+r) or remove it."
            ) from None
    return _SHA_MEMO[memo]


def corpus_sha256(data: str | os.PathLike | None = None) -> str | None:
    """The sha256 of the corpus a run would read (``data``, else ``$COLLECTIVE_RESUMES``, else
    a download already in the cache), without downloading or parsing; ``None`` if no corpus
    is here yet (a download would fetch the canonical one). An offline bundle stands for the
    corpus it was written from."""
    from collective.resumes.bundle import find_bundle, read_manifest

    bundle = find_bundle(data)
    if bundle is not None:
        return str(read_manifest(bundle)["data_sha256"])
    if data is not None or os.environ.get(ENV_VAR):
        return sha256_of(resolve_source(data, progress=False))
    downloaded = cache_dir() / "resumes_corpus.zip"
    return sha256_of(downloaded) if downloaded.exists() else None
