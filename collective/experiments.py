"""The experiment runner and its results cache.

An experiment (Section 5 of {cite}`hardt2023algorithmic`) is a :class:`RunConfig`: a firm, a
strategy, a target class $y^*$, the collective's size $\\alpha$, a seed, the trigger spacing
and a fraction of randomized labels. :func:`run` trains the firm on the manipulated training
set, evaluates it (:func:`collective.evaluation.evaluate`) and appends one JSON record
(config, metrics, provenance) to ``<results_dir>/<firm>.jsonl``.

The cache is the source of truth of the book:

* a config already in the cache is never recomputed (:meth:`RunConfig.key` is a stable hash);
* records are appended under an exclusive file lock in a single ``write``; a line cut short by
  a crash (``kill -9``) is left in place, fenced off by a newline, and skipped with a warning
  that names the file and line, so an interrupted sweep resumes and nothing is lost;
* :func:`load_results` with ``allow_train=False`` (what the chapters do) raises
  :class:`collective.errors.CacheMissError` naming the missing configs and the command that
  computes them, so a book build never trains silently.
"""

from __future__ import annotations

import dataclasses
import hashlib
import itertools
import json
import os
import platform
import socket
import subprocess
import time
import warnings
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from collective.errors import CacheMissError, CollectiveError, ConfigError

#: Bump when what a run computes changes (evaluation, strategies): old records stop matching.
RUNNER_VERSION = 1

#: Where the committed results live (``$COLLECTIVE_RESULTS`` overrides).
RESULTS_ENV_VAR = "COLLECTIVE_RESULTS"
REPO_ROOT = Path(__file__).resolve().parents[1]


def default_results_dir() -> Path:
    """``$COLLECTIVE_RESULTS``, else the repository's ``data/results``."""
    env = os.environ.get(RESULTS_ENV_VAR)
    return Path(env).expanduser() if env else REPO_ROOT / "data" / "results"


# --------------------------------------------------------------------------- configs


@lru_cache(maxsize=64)
def _canonical_firm_params(firm: str, items: str) -> str:
    """Fill in a firm's defaults (by asking the firm) so that equal configs hash equally."""
    from collective.firms import make_firm

    params = json.loads(items)
    return json.dumps(make_firm(firm, **params).params(), sort_keys=True, default=str)


@dataclass(frozen=True)
class RunConfig:
    """One experiment. Validated and canonicalised on construction.

    ``max_train``: train on a seeded subset of this many training resumes (the same subset
    for every seed; the collective is drawn inside it); ``None`` = the whole training set.
    ``firm_params``: the firm's constructor arguments; defaults are filled in. If the firm has
    a ``seed`` parameter that is not given, the run's ``seed`` is used.
    """

    firm: str
    strategy: str
    target: str
    alpha: float
    seed: int
    spacing: int = 20
    random_labels: float = 0.0
    max_train: int | None = None
    firm_params: dict = field(default_factory=dict)

    def __post_init__(self) -> None:
        from collective.firms import FIRMS
        from collective.strategies import check_alpha, check_random_labels, check_strategy, check_target
        from collective.tokens import check_spacing

        if self.firm not in FIRMS:
            raise ConfigError(f"unknown firm {self.firm!r}; choose one of: {', '.join(FIRMS)}")
        check_strategy(self.strategy)
        check_target(self.target)
        object.__setattr__(self, "alpha", check_alpha(self.alpha))
        if isinstance(self.seed, bool) or not isinstance(self.seed, (int, np.integer)) or self.seed < 0:
            raise ConfigError(f"seed must be a non-negative integer, got {self.seed!r}")
        object.__setattr__(self, "seed", int(self.seed))
        object.__setattr__(self, "spacing", check_spacing(self.spacing))
        object.__setattr__(self, "random_labels", check_random_labels(self.random_labels))
        if self.max_train is not None:
            if isinstance(self.max_train, bool) or not isinstance(self.max_train, (int, np.integer)) or self.max_train < 2:
                raise ConfigError(f"max_train must be an integer >= 2 or None, got {self.max_train!r}")
            object.__setattr__(self, "max_train", int(self.max_train))
        if not isinstance(self.firm_params, dict):
            raise ConfigError(f"firm_params must be a mapping, got {type(self.firm_params).__name__}")
        params = dict(self.firm_params)
        canonical = json.loads(_canonical_firm_params(self.firm, json.dumps(params, sort_keys=True, default=str)))
        if "seed" in canonical and "seed" not in params:
            canonical["seed"] = self.seed
        object.__setattr__(self, "firm_params", canonical)

    def as_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    def key(self) -> str:
        """Stable hash of the config (and of :data:`RUNNER_VERSION`)."""
        payload = json.dumps({"v": RUNNER_VERSION, **self.as_dict()}, sort_keys=True, default=str)
        return hashlib.sha256(payload.encode()).hexdigest()[:20]

    def __hash__(self) -> int:
        return hash(self.key())

    def command(self) -> str:
        """The ``collective run`` command that computes this config."""
        parts = [
            "collective run",
            f"--firm {self.firm}",
            f"--strategy {self.strategy}",
            f"--target {self.target}",
            f"--alpha {self.alpha:g}",
            f"--seed {self.seed}",
            f"--spacing {self.spacing}",
        ]
        if self.random_labels:
            parts.append(f"--random-labels {self.random_labels:g}")
        if self.max_train is not None:
            parts.append(f"--max-train {self.max_train}")
        defaults = json.loads(_canonical_firm_params(self.firm, "{}"))
        for name, value in sorted(self.firm_params.items()):
            if name == "seed" and value == self.seed:
                continue
            if defaults.get(name) != value:
                parts.append(f"--firm-param {name}={json.dumps(value)}")
        return " ".join(parts)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> RunConfig:
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = set(d) - known
        if unknown:
            raise ConfigError(f"unknown config field(s) {sorted(unknown)}; known: {sorted(known)}")
        return cls(**d)


# --------------------------------------------------------------------------- the cache


def results_path(firm: str, results_dir: str | Path | None = None) -> Path:
    """The JSONL file of a firm's results."""
    folder = Path(results_dir) if results_dir is not None else default_results_dir()
    return folder / f"{firm}.jsonl"


def _lock(path: Path):
    from filelock import FileLock

    return FileLock(str(path) + ".lock", timeout=600)


_REQUIRED = ("key", "config", "metrics", "provenance")


def read_records(path: str | Path) -> dict[str, dict]:
    """Records of one JSONL file by key. Corrupt lines are skipped with a warning naming the
    file and line (the file is never rewritten, so nothing is lost)."""
    path = Path(path)
    records: dict[str, dict] = {}
    if not path.exists():
        return records
    with open(path, "rb") as fh:
        for lineno, raw in enumerate(fh, start=1):
            line = raw.strip()
            if not line:
                continue
            try:
                record = json.loads(line)
                if not isinstance(record, dict) or any(k not in record for k in _REQUIRED):
                    raise ValueError(f"a record needs the keys {', '.join(_REQUIRED)}")
                if not isinstance(record["metrics"], dict) or not isinstance(record["config"], dict):
                    raise ValueError("config and metrics must be objects")
            except (ValueError, UnicodeDecodeError) as err:
                warnings.warn(
                    f"{path}:{lineno}: corrupt results line skipped ({str(err)[:120]})",
                    RuntimeWarning,
                    stacklevel=2,
                )
                continue
            records.setdefault(record["key"], record)
    return records


def append_record(path: str | Path, record: dict) -> bool:
    """Append ``record`` as one line, atomically with respect to other writers.

    Returns False (and writes nothing) if a record with the same key is already there.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    line = (json.dumps(record, sort_keys=True, default=_json_default) + "\n").encode()
    with _lock(path):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            if record["key"] in read_records(path):
                return False
        fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        try:
            size = os.fstat(fd).st_size
            if size:
                with open(path, "rb") as fh:
                    fh.seek(size - 1)
                    if fh.read(1) != b"\n":  # a writer died mid-line: fence its fragment off
                        line = b"\n" + line
            os.write(fd, line)
            os.fsync(fd)
        finally:
            os.close(fd)
    return True


def _json_default(obj: Any) -> Any:
    if isinstance(obj, np.integer):
        return int(obj)
    if isinstance(obj, np.floating):
        return float(obj)
    if isinstance(obj, np.ndarray):
        return obj.tolist()
    return str(obj)


def cached_record(config: RunConfig, results_dir: str | Path | None = None) -> dict | None:
    return read_records(results_path(config.firm, results_dir)).get(config.key())


# --------------------------------------------------------------------------- data context


@dataclass
class Context:
    """The tokenized corpus and labels, loaded once per process."""

    train: Any
    test: Any
    Y_train: np.ndarray
    Y_test: np.ndarray
    data_sha256: str
    tokens_key: str


_CONTEXTS: dict[str, Context] = {}


def load_context(data: str | Path | None = None, *, progress: bool = False) -> Context:
    """Load (once per process) the corpus, its tokenization and label matrices."""
    cache_key = str(data)
    if cache_key not in _CONTEXTS:
        from collective.data import load_corpus
        from collective.tokens import tokenize_corpus

        corpus = load_corpus(data, progress=progress)
        tokens = tokenize_corpus(corpus, progress=progress)
        _CONTEXTS[cache_key] = Context(
            train=tokens.train,
            test=tokens.test,
            Y_train=corpus.label_matrix("train"),
            Y_test=corpus.label_matrix("test"),
            data_sha256=corpus.sha256,
            tokens_key=tokens.key,
        )
    return _CONTEXTS[cache_key]


def train_subset(n_train: int, max_train: int | None) -> np.ndarray:
    """Indices of the training subset of size ``max_train`` (fixed seed, sorted)."""
    if max_train is None or max_train >= n_train:
        return np.arange(n_train)
    rng = np.random.default_rng([int(max_train), 0x5EB5E7])
    return np.sort(rng.choice(n_train, size=max_train, replace=False))


# --------------------------------------------------------------------------- provenance


@lru_cache(maxsize=1)
def _git_commit() -> str | None:
    try:
        out = subprocess.run(
            ["git", "-C", str(REPO_ROOT), "rev-parse", "HEAD"],
            capture_output=True, text=True, timeout=10,
        )
        dirty = subprocess.run(
            ["git", "-C", str(REPO_ROOT), "status", "--porcelain", "--untracked-files=no", "collective"],
            capture_output=True, text=True, timeout=10,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    if out.returncode != 0:
        return None
    return out.stdout.strip() + ("+dirty" if dirty.stdout.strip() else "")


def provenance(ctx: Context, device: str, wall_seconds: float) -> dict[str, Any]:
    """Where a record came from: code, data, machine, time."""
    from importlib.metadata import PackageNotFoundError, version

    from collective import __version__

    def v(name: str) -> str | None:
        try:
            return version(name)
        except PackageNotFoundError:
            return None

    return {
        "package_version": __version__,
        "git_commit": _git_commit(),
        "data_sha256": ctx.data_sha256,
        "tokens_key": ctx.tokens_key,
        "host": socket.gethostname(),
        "platform": platform.platform(),
        "python": platform.python_version(),
        "device": device,
        "cpu_count": os.cpu_count(),
        "torch": v("torch"),
        "sklearn": v("scikit-learn"),
        "numpy": v("numpy"),
        "wall_seconds": round(float(wall_seconds), 3),
        "timestamp": datetime.now(timezone.utc).isoformat(timespec="seconds"),
    }


# --------------------------------------------------------------------------- running


def compute(config: RunConfig, ctx: Context, *, firm_options: dict | None = None) -> dict:
    """Train and evaluate one config (no cache involved); returns the record."""
    from collective.evaluation import evaluate
    from collective.firms import make_firm
    from collective.strategies import apply_strategy

    start = time.perf_counter()
    idx = train_subset(len(ctx.train), config.max_train)
    X_train = ctx.train if len(idx) == len(ctx.train) else ctx.train.subset(idx)
    plan = apply_strategy(
        ctx.Y_train[idx],
        strategy=config.strategy,
        target=config.target,
        alpha=config.alpha,
        seed=config.seed,
        random_labels=config.random_labels,
    )
    firm = make_firm(config.firm, **config.firm_params, **(firm_options or {}))
    if hasattr(firm, "reference_labels"):  # optional hook: clean labels, for warm starts
        firm.reference_labels = ctx.Y_train[idx]
    firm.fit(X_train, plan.Y, planted=plan.planted, spacing=config.spacing)
    metrics = evaluate(firm, ctx.test, ctx.Y_test, target=config.target, spacing=config.spacing)
    metrics["n_collective"] = plan.n_collective
    metrics["n_train"] = int(len(idx))
    metrics["n_randomized"] = int(len(plan.randomized))
    extra = getattr(firm, "fit_info", None)
    if isinstance(extra, dict):
        metrics.update({f"fit_{k}": v for k, v in extra.items()})
    wall = time.perf_counter() - start
    return {
        "key": config.key(),
        "config": config.as_dict(),
        "metrics": metrics,
        "provenance": provenance(ctx, getattr(firm, "device", "unknown"), wall),
    }


def run(
    config: RunConfig,
    *,
    results_dir: str | Path | None = None,
    allow_train: bool = True,
    data: str | Path | None = None,
    firm_options: dict | None = None,
    progress: bool = False,
) -> dict:
    """The record of ``config``: from the cache if there, else computed and appended.

    The returned record has ``cached`` (bool) set. ``firm_options`` are constructor arguments
    that do not change what is learned (e.g. ``device``); they are not part of the key.
    """
    path = results_path(config.firm, results_dir)
    record = read_records(path).get(config.key())
    if record is not None:
        return {**record, "cached": True}
    if not allow_train:
        raise CacheMissError(
            f"no cached result for {config} in {path}; compute it with:\n  {config.command()}"
        )
    ctx = load_context(data, progress=progress)
    record = compute(config, ctx, firm_options=firm_options)
    if not append_record(path, record):  # another sweep finished it first: keep theirs
        return {**read_records(path)[config.key()], "cached": True}
    return {**record, "cached": False}


def load_results(
    configs: Iterable[RunConfig],
    *,
    allow_train: bool = False,
    results_dir: str | Path | None = None,
    **run_kwargs: Any,
) -> Any:
    """A :class:`pandas.DataFrame` with one row per config (config fields, then metrics).

    With ``allow_train=False`` (the book), a config missing from the cache raises
    :class:`CacheMissError` that names the missing configs and how to compute them.
    """
    import pandas as pd

    configs = list(configs)
    by_firm: dict[str, dict[str, dict]] = {}
    rows, missing = [], []
    for config in configs:
        if config.firm not in by_firm:
            by_firm[config.firm] = read_records(results_path(config.firm, results_dir))
        record = by_firm[config.firm].get(config.key())
        if record is None and allow_train:
            record = run(config, results_dir=results_dir, **run_kwargs)
            by_firm[config.firm][config.key()] = record
        if record is None:
            missing.append(config)
            continue
        row = {k: v for k, v in config.as_dict().items() if k != "firm_params"}
        row.update({f"param_{k}": v for k, v in config.firm_params.items()})
        row.update(record["metrics"])
        row["device"] = record["provenance"].get("device")
        row["wall_seconds"] = record["provenance"].get("wall_seconds")
        rows.append(row)
    if missing:
        shown = "\n  ".join(c.command() for c in missing[:5])
        more = f"\n  ... and {len(missing) - 5} more" if len(missing) > 5 else ""
        raise CacheMissError(
            f"{len(missing)} of {len(configs)} results are not in the cache "
            f"({results_dir or default_results_dir()}). Compute them with\n  {shown}{more}\n"
            "or run the sweep grid they belong to: collective sweep grids/<grid>.yaml"
        )
    return pd.DataFrame(rows)


# --------------------------------------------------------------------------- grids and sweeps


def expand_grid(spec: dict[str, Any]) -> list[RunConfig]:
    """Configs of a grid spec: ``defaults`` (fixed fields) and ``grids`` (a list of blocks,
    each mapping fields to a value or a list of values; a block is a Cartesian product).

    Example::

        defaults: {firm: linear, spacing: 20}
        grids:
          - strategy: feature-label
            target: [Database_Administrator, Web_Developer]
            alpha: [0.001, 0.002]
            seed: [0, 1]
    """
    if not isinstance(spec, dict):
        raise ConfigError("a grid must be a mapping with 'defaults' and 'grids'")
    unknown = set(spec) - {"name", "description", "defaults", "grids"}
    if unknown:
        raise ConfigError(f"unknown grid key(s) {sorted(unknown)}; allowed: name, description, defaults, grids")
    defaults = dict(spec.get("defaults") or {})
    blocks = spec.get("grids") or [{}]
    if not isinstance(blocks, list):
        raise ConfigError("'grids' must be a list of blocks")
    configs: list[RunConfig] = []
    seen: set[str] = set()
    for block in blocks:
        if not isinstance(block, dict):
            raise ConfigError(f"each grid block must be a mapping, got {block!r}")
        merged = {**defaults, **block}
        names = list(merged)
        values = [v if isinstance(v, list) else [v] for v in merged.values()]
        for combo in itertools.product(*values):
            config = RunConfig.from_dict(dict(zip(names, combo)))
            if config.key() not in seen:
                seen.add(config.key())
                configs.append(config)
    return configs


def load_grid(path: str | Path) -> list[RunConfig]:
    """Configs of a YAML grid file (see :func:`expand_grid`)."""
    import yaml

    path = Path(path)
    if not path.exists():
        raise ConfigError(f"grid file {path} not found")
    try:
        spec = yaml.safe_load(path.read_text())
    except yaml.YAMLError as err:
        raise ConfigError(f"grid file {path} is not valid YAML: {err}") from err
    try:
        return expand_grid(spec)
    except ConfigError as err:
        raise ConfigError(f"{path}: {err}") from err


def _run_chunk(
    configs: Sequence[dict], results_dir: str | None, data: str | None, firm_options: dict | None
) -> list[str]:
    """Worker: run configs (as dicts) in one process; returns their keys."""
    keys = []
    for d in configs:
        config = RunConfig.from_dict(d)
        run(config, results_dir=results_dir, data=data, firm_options=firm_options)
        keys.append(config.key())
    return keys


def _chunks(items: list, n: int) -> list[list]:
    n = max(1, min(n, len(items)))
    return [items[i::n] for i in range(n)]


def sweep(
    configs: Sequence[RunConfig],
    *,
    executor: str = "local",
    jobs: int = 1,
    results_dir: str | Path | None = None,
    data: str | Path | None = None,
    firm_options: dict | None = None,
    progress: bool = True,
    slurm_folder: str | Path | None = None,
    slurm_parameters: dict | None = None,
) -> dict[str, int]:
    """Run every config not yet in the cache.

    ``executor``: ``"local"`` (this machine, ``jobs`` processes) or ``"slurm"`` (submitit,
    one array task per chunk; ``"submitit-local"`` runs the same path on this machine, as the
    tests do). Returns counts: ``total``, ``cached``, ``computed``.
    """
    from tqdm.auto import tqdm

    if executor not in ("local", "slurm", "submitit-local"):
        raise ConfigError(f"unknown executor {executor!r}; choose local or slurm")
    if not isinstance(jobs, int) or jobs < 1:
        raise ConfigError(f"jobs must be a positive integer, got {jobs!r}")
    configs = list(configs)
    by_firm: dict[str, dict] = {}
    todo = []
    for c in configs:
        if c.firm not in by_firm:
            by_firm[c.firm] = read_records(results_path(c.firm, results_dir))
        if c.key() not in by_firm[c.firm]:
            todo.append(c)
    counts = {"total": len(configs), "cached": len(configs) - len(todo), "computed": 0}
    if not todo:
        return counts
    rd = str(results_dir) if results_dir is not None else None
    dd = str(data) if data is not None else None
    bar = tqdm(total=len(todo), desc="sweep", unit="run", disable=not progress)
    try:
        if executor == "local" and jobs == 1:
            for c in todo:
                run(c, results_dir=results_dir, data=data, firm_options=firm_options)
                counts["computed"] += 1
                bar.update()
        elif executor == "local":
            from concurrent.futures import ProcessPoolExecutor, as_completed
            import multiprocessing as mp

            # One run here first, so that one-off work (tokenizing, the linear firm's clean
            # fit) lands in the disk caches before the workers start, instead of in each.
            run(todo[0], results_dir=results_dir, data=data, firm_options=firm_options)
            counts["computed"] += 1
            bar.update()
            todo = todo[1:]

            # Small chunks so the bar moves; each worker keeps its data context between chunks.
            pieces = [todo[i : i + 4] for i in range(0, len(todo), 4)]
            with ProcessPoolExecutor(max_workers=jobs, mp_context=mp.get_context("spawn")) as pool:
                futures = [
                    pool.submit(_run_chunk, [c.as_dict() for c in piece], rd, dd, firm_options)
                    for piece in pieces
                ]
                for fut in as_completed(futures):
                    done = len(fut.result())
                    counts["computed"] += done
                    bar.update(done)
        else:
            import submitit

            folder = Path(slurm_folder or (Path(results_dir or default_results_dir()).parent / "submitit"))
            if executor == "slurm":
                try:
                    ex = submitit.AutoExecutor(folder=folder, cluster="slurm")
                except RuntimeError as err:
                    raise CollectiveError(
                        f"the slurm executor needs a SLURM cluster ({err}); on one machine use "
                        "--executor local --jobs N"
                    ) from err
                ex.update_parameters(**(slurm_parameters or {"timeout_min": 60, "cpus_per_task": 2}))
            else:
                ex = submitit.LocalExecutor(folder=folder)
                ex.update_parameters(timeout_min=60)
            chunks = _chunks(todo, jobs)
            submitted = [
                ex.submit(_run_chunk, [c.as_dict() for c in chunk], rd, dd, firm_options) for chunk in chunks
            ]
            for job in submitted:
                try:
                    done = len(job.result())
                except Exception as err:  # noqa: BLE001 - report the job's failure to the user
                    raise CollectiveError(f"sweep job {job.job_id} failed: {err}") from err
                counts["computed"] += done
                bar.update(done)
    finally:
        bar.close()
    return counts
