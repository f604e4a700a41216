"""The package's user cache folder (``$COLLECTIVE_CACHE``, else ``~/.cache/collective``): the
downloaded and parsed corpus, the tokenized corpora, the frozen-layer caches and the linear
firm's clean fits live under it."""

from __future__ import annotations

import os
from pathlib import Path

from collective.errors import DataError

CACHE_ENV_VAR = "COLLECTIVE_CACHE"


def cache_dir() -> Path:
    """The user cache folder: ``$COLLECTIVE_CACHE``, else ``~/.cache/collective``.

    A :class:`DataError` says what to do if it is a file or cannot be written."""
    given = os.environ.get(CACHE_ENV_VAR)
    root = given or Path.home() / ".cache" / "collective"
    path = Path(root).expanduser()
    origin = f"${CACHE_ENV_VAR}" if given else "the default cache folder"
    fix = f"Point {CACHE_ENV_VAR} at a folder this user can write (e.g. export {CACHE_ENV_VAR}=$HOME/.cache/collective)."
    if path.exists() and not path.is_dir():
        raise DataError(f"The cache folder {str(path)!r} ({origin}) is a file, not a folder. {fix}")
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise DataError(
            f"The cache folder {str(path)!r} ({origin}) cannot be created ({err.strerror}). {fix}"
        ) from None
    if not os.access(path, os.W_OK | os.X_OK):
        raise DataError(
            f"The cache folder {str(path)!r} ({origin}) is not writable by this user. {fix}"
        )
    return path
