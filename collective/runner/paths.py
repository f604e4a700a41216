"""Where results and grids live.

The committed results are in the repository's ``data/results``; ``$COLLECTIVE_RESULTS`` (or
``--results DIR``) points the runner elsewhere.
"""

from __future__ import annotations

import os
from pathlib import Path

#: Environment variable that overrides the results folder.
RESULTS_ENV_VAR = "COLLECTIVE_RESULTS"
#: The repository (the package's parent folder in a source checkout).
REPO_ROOT = Path(__file__).resolve().parents[2]


def default_results_dir() -> Path:
    """``$COLLECTIVE_RESULTS``, else the repository's ``data/results``."""
    env = os.environ.get(RESULTS_ENV_VAR)
    return Path(env).expanduser() if env else REPO_ROOT / "data" / "results"


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
