"""Checksums of the derived caches, so that damaged or edited cache files are rebuilt, never
trusted.

Every derived cache (the parsed corpus, the tokenized corpus, the linear firm's clean fit, the
frozen-layer and key/value shards) is a function of the corpus and the code: a file of it that
was edited, truncated or half-overwritten would change the metrics silently while the record
still carries the corpus's checksum. So each records a checksum of its content when it is
written, in a sidecar beside the data (the cache's own file names, and so its keys, stay as
they were), and is verified when it is first opened in a process:

* a single ``.npz`` file (tokens, clean fit): ``<file>.sha256`` holds a hash of its arrays
  (names, dtypes, shapes and bytes; not of the zip's bytes, which carry time stamps, so two
  processes writing the same arrays agree). :func:`read_npz_checked` verifies it
  (:class:`DamagedCache` if it has no checksum, is unreadable or does not match);
  :func:`load_npz_checked` removes a damaged file with a warning, for the caller to rebuild.
* a group of files (a parsed-corpus folder, a shard): a manifest ``{name: sha256 of the
  file's bytes}`` written before the group becomes visible (:func:`write_manifest`,
  :func:`check_manifest`).
"""

from __future__ import annotations

import hashlib
import json
import os
import warnings
import zipfile
import zlib
from pathlib import Path

import numpy as np

from collective.io import atomic_write, save_npz, sha256_file

#: The sidecar of a single cache file.
SIDECAR_SUFFIX = ".sha256"


def sidecar(path: str | os.PathLike) -> Path:
    """The checksum file beside ``path``."""
    path = Path(path)
    return path.with_name(path.name + SIDECAR_SUFFIX)


def arrays_digest(arrays: dict[str, np.ndarray]) -> str:
    """sha256 of named arrays: names, dtypes, shapes and contents."""
    digest = hashlib.sha256()
    for name in sorted(arrays):
        array = np.asarray(arrays[name])
        digest.update(f"{name}|{array.dtype.str}|{array.shape}|".encode())
        digest.update(array.tobytes())
    return digest.hexdigest()


def save_npz_checked(path: str | os.PathLike, **arrays: np.ndarray) -> None:
    """``numpy.savez`` (atomic) and the checksum of the arrays in the sidecar."""
    save_npz(path, **arrays)
    with atomic_write(sidecar(path), "w") as fh:
        fh.write(arrays_digest(arrays) + "\n")


class DamagedCache(ValueError):
    """A cache file is missing its checksum, unreadable, or does not match its checksum."""


def read_npz_checked(path: str | os.PathLike) -> dict[str, np.ndarray]:
    """The arrays of a file written by :func:`save_npz_checked`, verified against its
    checksum (:class:`DamagedCache` saying why not; ``FileNotFoundError`` if there is none)."""
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(path)
    try:
        expected = sidecar(path).read_text().strip()
    except FileNotFoundError:
        raise DamagedCache(
            "it has no checksum: written by an older version, or cut short"
        ) from None
    except OSError as err:
        raise DamagedCache(f"its checksum is unreadable: {err.strerror or err}") from None
    try:
        with np.load(path) as z:
            arrays = {name: z[name] for name in z.files}
    except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile, zlib.error) as err:
        raise DamagedCache(f"{type(err).__name__}: {str(err)[:120]}") from None
    if arrays_digest(arrays) != expected:
        raise DamagedCache("its content does not match its checksum: edited or cut short")
    return arrays


def discard(path: str | os.PathLike) -> None:
    """Remove a damaged cache file and its checksum (a read-only one is left to be replaced)."""
    for file in (Path(path), sidecar(path)):
        try:
            file.unlink(missing_ok=True)
        except OSError:
            pass


def load_npz_checked(path: str | os.PathLike, what: str) -> dict[str, np.ndarray] | None:
    """:func:`read_npz_checked`, or ``None`` if there is no file or it was damaged (then it is
    removed, with a warning naming ``what`` and why, for the caller to rebuild)."""
    try:
        return read_npz_checked(path)
    except FileNotFoundError:
        return None
    except DamagedCache as err:
        warnings.warn(f"the {what} {path} is damaged ({err}); rebuilding it", stacklevel=3)
        discard(path)
        return None


def write_manifest(
    manifest: str | os.PathLike,
    folder: str | os.PathLike,
    names: list[str],
    *,
    extra: dict[str, str] | None = None,
) -> None:
    """Write ``{name: sha256}`` of the files ``names`` (relative to ``folder``) to ``manifest``,
    with ``extra`` digests of files not written yet (the one that makes a group visible)."""
    folder = Path(folder)
    digests = {name: sha256_file(folder / name) for name in sorted(names)} | (extra or {})
    with atomic_write(manifest, "w") as fh:
        json.dump(digests, fh, indent=1, sort_keys=True)


def check_manifest(manifest: str | os.PathLike, folder: str | os.PathLike) -> str | None:
    """What is wrong with the files a manifest lists (``None``: each matches its checksum)."""
    folder = Path(folder)
    try:
        digests = json.loads(Path(manifest).read_text())
    except FileNotFoundError:
        return "it has no checksums (written by an older version)"
    except (OSError, ValueError) as err:
        return f"its checksums are unreadable ({type(err).__name__})"
    if not isinstance(digests, dict) or not digests:
        return "its checksums are unreadable (not a mapping of files)"
    for name, expected in sorted(digests.items()):
        try:
            actual = sha256_file(folder / name)
        except OSError as err:
            return f"{name} is unreadable ({err.strerror or err})"
        if actual != expected:
            return f"{name} does not match its checksum (edited or cut short)"
    return None
