"""Grid files: YAML that expands into a list of :class:`~collective.runner.config.RunConfig`.

A grid has ``defaults`` (fields shared by every config) and ``grids``, a list of blocks. Each
block maps fields to a value or a list of values and stands for their Cartesian product
(expanded by scikit-learn's :class:`~sklearn.model_selection.ParameterGrid`), merged over the
defaults. Duplicate configs (the same key from two blocks) are kept once, in order::

    name: example
    defaults: {firm: linear, spacing: 20}
    grids:
      - strategy: feature-label
        target: [Database_Administrator, Web_Developer]
        alpha: [0.001, 0.002]
        seed: [0, 1]
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from collective.errors import ConfigError
from collective.runner.config import RunConfig

GRID_KEYS = ("name", "description", "defaults", "grids")
#: A grid with more configs than this is refused before any config is built (a typo such as
#: a seed range of 10**6 would otherwise plan silently for minutes); ``max_configs`` raises it.
MAX_CONFIGS = 100_000


def _block_configs(merged: dict[str, Any]) -> list[dict[str, Any]]:
    """The Cartesian product of one block (a single value counts as a list of one)."""
    from sklearn.model_selection import ParameterGrid

    lists = {name: (v if isinstance(v, list) else [v]) for name, v in merged.items()}
    empty = [name for name, v in lists.items() if len(v) == 0]
    if empty:
        raise ConfigError(f"grid field(s) {empty} have an empty list of values")
    return list(ParameterGrid(lists))


def _block_size(merged: dict[str, Any]) -> int:
    size = 1
    for value in merged.values():
        size *= len(value) if isinstance(value, list) else 1
    return size


def grid_size(spec: dict[str, Any]) -> int:
    """How many configs a grid spec stands for (before duplicates are removed), counted
    from the blocks' product sizes without building any config."""
    defaults = spec.get("defaults") or {} if isinstance(spec, dict) else {}
    blocks = spec.get("grids") if isinstance(spec, dict) else None
    if not isinstance(defaults, dict) or not isinstance(blocks, list):
        return 0
    return sum(_block_size({**defaults, **b}) for b in blocks if isinstance(b, dict))


def expand_grid(spec: dict[str, Any], *, max_configs: int | None = MAX_CONFIGS) -> list[RunConfig]:
    """Configs of a grid spec (see the module docstring). Every config is validated before
    any is returned, so a bad value anywhere fails before a sweep starts. A grid of more than
    ``max_configs`` configs (``None``: no limit) is refused at once, naming its size."""
    if not isinstance(spec, dict):
        raise ConfigError("a grid must be a mapping with 'defaults' and 'grids'")
    unknown = set(spec) - set(GRID_KEYS)
    if unknown:
        raise ConfigError(f"unknown grid key(s) {sorted(unknown)}; allowed: {', '.join(GRID_KEYS)}")
    defaults = spec.get("defaults") or {}
    if not isinstance(defaults, dict):
        raise ConfigError("'defaults' must be a mapping of config fields")
    blocks = spec.get("grids")
    if not isinstance(blocks, list) or not blocks:
        raise ConfigError("'grids' must be a non-empty list of blocks (mappings of config fields)")
    for i, block in enumerate(blocks, start=1):
        if not isinstance(block, dict) or not block:
            raise ConfigError(
                f"grid block {i} must be a non-empty mapping of config fields, got {block!r}"
            )
    sizes = [_block_size({**defaults, **block}) for block in blocks]
    if max_configs is not None and sum(sizes) > max_configs:
        per_block = ", ".join(f"block {i}: {n:,}" for i, n in enumerate(sizes, start=1))
        raise ConfigError(
            f"the grid has {sum(sizes):,} configs ({per_block}), more than the limit of {max_configs:,}. "
            "Split it into several grid files (a sweep per file), or raise the limit with "
            "--max-configs N if you mean it"
        )
    configs: list[RunConfig] = []
    seen: set[str] = set()
    for i, block in enumerate(blocks, start=1):
        for fields in _block_configs({**defaults, **block}):
            try:
                config = RunConfig.from_dict(fields)
            except ConfigError as err:
                raise ConfigError(f"grid block {i}: {err}") from err
            if config.key() not in seen:
                seen.add(config.key())
                configs.append(config)
    return configs


def load_grid(path: str | os.PathLike, *, max_configs: int | None = MAX_CONFIGS) -> list[RunConfig]:
    """Configs of a YAML grid file (see :func:`expand_grid`)."""
    import yaml

    path = Path(path)
    if not path.exists():
        raise ConfigError(f"grid file {path} not found")
    if not path.is_file():
        raise ConfigError(f"grid file {path} is a folder, not a file; name a .yaml file in it")
    try:
        spec = yaml.safe_load(path.read_text())
    except yaml.YAMLError as err:
        raise ConfigError(f"grid file {path} is not valid YAML: {err}") from err
    except (OSError, UnicodeDecodeError) as err:
        raise ConfigError(f"grid file {path} cannot be read as text ({err})") from None
    try:
        return expand_grid(spec, max_configs=max_configs)
    except ConfigError as err:
        raise ConfigError(f"{path}: {err}") from err
