"""The experiment runner: run configs, the results cache, provenance, sweeps and their executors.

* :mod:`~collective.runner.config`: :class:`RunConfig`, one experiment, and its cache key;
* :mod:`~collective.runner.cache`: the JSON Lines results cache (locked, whole-or-nothing
  appends; records checked on read);
* :mod:`~collective.runner.paths`: results folders, each bound to one corpus;
* :mod:`~collective.runner.claims`: a config being computed is claimed (no double work);
* :mod:`~collective.runner.provenance`: code, data and machine behind a record;
* :mod:`~collective.runner.execute`: :func:`run` one config (cached) and :func:`compute` it;
* :mod:`~collective.runner.record`: a computed run's firm and record (shared by every strategy);
* :mod:`~collective.runner.results`: the cache as tables (:func:`load_results`, :func:`grid_results`);
* :mod:`~collective.runner.grids`: YAML grids; :mod:`~collective.runner.sweep`: sweeps.
"""

from collective.runner.cache import append_record, read_records
from collective.runner.config import RUNNER_VERSION, RunConfig
from collective.runner.execute import (
    Context,
    clear_contexts,
    compute,
    load_context,
    results_folder,
    run,
    train_subset,
)
from collective.runner.grids import expand_grid, load_grid
from collective.runner.paths import (
    REPO_ROOT,
    RESULTS_ENV_VAR,
    default_results_dir,
    grid_path,
    results_path,
)
from collective.runner.results import cached_results, grid_results, load_results
from collective.runner.sweep import missing_configs, plan, sweep

__all__ = [
    "REPO_ROOT",
    "RESULTS_ENV_VAR",
    "RUNNER_VERSION",
    "Context",
    "RunConfig",
    "append_record",
    "cached_results",
    "clear_contexts",
    "compute",
    "default_results_dir",
    "expand_grid",
    "grid_path",
    "grid_results",
    "load_context",
    "load_grid",
    "load_results",
    "missing_configs",
    "plan",
    "read_records",
    "results_folder",
    "results_path",
    "run",
    "sweep",
    "train_subset",
]
