"""Where a record came from: code version, data checksum, machine, wall time."""

from __future__ import annotations

import os
import platform
import socket
import subprocess
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

from collective.runner.paths import REPO_ROOT

#: Names the commit of a repository copied without ``.git`` (see :func:`git_commit`).
SENT_COMMIT_VAR = "COLLECTIVE_GIT_COMMIT"


@lru_cache(maxsize=1)
def git_commit() -> str | None:
    """The repository's commit, with ``+dirty`` if the package has uncommitted changes; in a
    copy of the repository without its ``.git`` (a working tree sent to a cluster's or a
    GPU's node), ``$COLLECTIVE_GIT_COMMIT`` when set (the sender names the commit it sent)."""
    sent = os.environ.get(SENT_COMMIT_VAR) or None
    try:
        out = subprocess.run(
            ["git", "-C", str(REPO_ROOT), "rev-parse", "HEAD"],
            capture_output=True,
            text=True,
            timeout=10,
        )
        dirty = subprocess.run(
            [
                "git",
                "-C",
                str(REPO_ROOT),
                "status",
                "--porcelain",
                "--untracked-files=no",
                "collective",
            ],
            capture_output=True,
            text=True,
            timeout=10,
        )
    except (OSError, subprocess.SubprocessError):
        return sent
    if out.returncode != 0:
        return sent
    return out.stdout.strip() + ("+dirty" if dirty.stdout.strip() else "")


@lru_cache(maxsize=1)
def cpu_model(cpuinfo: str = "/proc/cpuinfo") -> str:
    """The CPU's model name (Linux: ``/proc/cpuinfo``'s first ``model name``; elsewhere
    ``platform.processor()``), with ``+amx`` where its flags list AMX's bf16 tiles (bf16 matrix
    products run several times faster there). The device string names only ``x86_64``, and
    runs on two machines of the same platform can differ by a factor in speed."""
    try:
        with open(cpuinfo, encoding="utf-8", errors="replace") as fh:
            text = fh.read()
    except OSError:
        text = ""
    fields: dict[str, str] = {}
    for line in text.splitlines():
        name, _, value = line.partition(":")
        fields.setdefault(name.strip(), value.strip())
    model = fields.get("model name") or platform.processor() or platform.machine() or "unknown"
    return model + (" +amx" if "amx_bf16" in fields.get("flags", "").split() else "")


def _version(name: str) -> str | None:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(name)
    except PackageNotFoundError:
        return None


def provenance(
    data_sha256: str, tokens_key: str, device: str, wall_seconds: float
) -> dict[str, Any]:
    """The provenance block of a record."""
    from collective import __version__
    from collective.runner.config import RUNNER_VERSION

    return {
        "package_version": __version__,
        "runner_version": RUNNER_VERSION,
        "git_commit": git_commit(),
        "data_sha256": data_sha256,
        "tokens_key": tokens_key,
        "host": socket.gethostname(),
        "platform": platform.platform(),
        "python": platform.python_version(),
        "device": device,
        "cpu_count": os.cpu_count(),
        "cpu_model": cpu_model(),
        "torch": _version("torch"),
        "sklearn": _version("scikit-learn"),
        "numpy": _version("numpy"),
        "wall_seconds": round(float(wall_seconds), 3),
        "timestamp": datetime.now(UTC).isoformat(timespec="seconds"),
    }
