"""The top layer's keys and values frozen and cached: only the [CLS] path is trained.

With ``train_layers=1`` the firm fine-tunes the last encoder layer and the head of a
BERT-family classifier, reading the lower layers' output from a disk cache
(:mod:`collective.firms.transformer.frozen`), and computing the last layer for [CLS] alone
(:mod:`collective.firms.transformer.cls_layer`). Most of what a training step still costs is
then the last layer's key and value projections of every token: the classifier reads position 0
only, so the query, the attention output, the feed-forward block, the pooler and the
classifier run for one vector per resume, but the keys and values run for all of them.

``freeze_kv=True`` freezes those two projections as well. They become a fixed function of
the tokens, like the lower layers, and their outputs are cached once per resume (clean and
planted): per resume the keys and values of the last layer for every token (``(L, 2H)``,
keys in the first ``H`` columns), and the [CLS] hidden state entering that layer (``(H,)``,
the residual of the attention block). A run then trains the [CLS] path only
(:class:`ClsKVHead`): the query of [CLS], attention over the cached keys and values,
attention output (dense + LayerNorm), feed-forward (+ LayerNorm), the pooler and the
classifier. That is the same function of the weights as the stock model
(``tests/test_transformer.py`` checks the logits against the full model); what changes is
which weights are trained, which is why ``freeze_kv`` is part of the firm's parameters (and
so of every run's cache key), and why the book compares it with ``train_layers=1`` at 2,000
resumes before relying on it.

The cache (:class:`KVStore`) follows :class:`collective.firms.transformer.frozen.FrozenStore`:
rows are content-addressed by the exact token ids that entered the model (special tokens,
truncation to ``max_length`` and the trigger planted at a given spacing included, so a
clean and a planted resume are two keys and no row can be served for another text,
spacing or length), the folder is keyed by a fingerprint of every frozen weight
(embeddings, lower layers, the last layer's key and value projections), the number of
frozen layers, ``max_length``, the precision the frozen part ran in and the storage dtype;
shards become visible only when their key file is renamed into place, so an interrupted
build resumes where it stopped and leaves nothing half-written. Rows are read as read-only
memory maps, so several processes share one copy in the page cache.

Fill it once, before a sweep (the test set clean and planted, then the training rows the
grid's runs use, smaller training sets first; without ``--grid``, every training resume
clean and planted at ``--spacing``)::

    collective kv-cache --grid grids/transformer_25k.yaml

(``--also-frozen`` also fills the lower-layer cache of ``train_layers=1`` from the same
forward pass, for comparisons with that configuration). The command line, and the reading of
the grid's runs, is :mod:`collective.cli.kv_cache`; ``python -m
collective.firms.transformer.kv_cache`` still runs it.

This module is the build (:func:`fill`); the head and the model surgery are in
:mod:`collective.firms.transformer.kv_head`, the store in
:mod:`collective.firms.transformer.kv_store`, the batches in
:mod:`collective.firms.transformer.batches` (all re-exported here).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from collective.errors import ConfigError
from collective.firms.transformer.batches import KVExamples, collate_kv  # noqa: F401 (re-exported)
from collective.firms.transformer.kv_head import (  # noqa: F401 (re-exported: the firm and tests use them here)
    ClsKVHead,
    check_supported,
    freeze_kv,
    kv_fingerprint,
    project_kv,
    top_layer,
)
from collective.firms.transformer.kv_store import KVStore  # noqa: F401 (re-exported)


def fill(
    train,
    test,
    *,
    train_rows: Sequence[tuple[int, bool]] | None = None,
    spacing: int = 20,
    max_length: int = 128,
    model: str | None = None,
    also_frozen: bool = False,
    threads: int | None = None,
    chunk: int = 1024,
    part: tuple[int, int] = (0, 1),
    progress: bool = True,
) -> dict[str, int]:
    """Fill the key/value cache for the tokenized splits ``train`` and ``test``: every test
    resume clean and planted every ``spacing`` words, then the training rows ``train_rows``
    (``(index, planted)``, in that order; ``None``: every training resume both ways), as a
    ``freeze_kv`` firm with ``model`` and ``max_length`` reads them. Resumable: rows already
    stored are skipped. ``part=(i, n)``: only chunks ``i, i + n, ...`` (``n`` single-threaded
    processes share the work; the store is safe for concurrent writers). Returns counts of
    rows asked / computed."""
    if train_rows is None:
        train_rows = [(i, p) for p in (False, True) for i in range(len(train))]
    jobs = [("test", i, p) for p in (False, True) for i in range(len(test))]
    jobs += [("train", i, p) for i, p in train_rows]
    filler = _Filler(model, max_length, threads, also_frozen)
    splits = {"train": train, "test": test}
    return filler.fill(splits, jobs, spacing=spacing, chunk=chunk, part=part, progress=progress)


class _Filler:
    """The frozen part of a ``freeze_kv`` firm (model loaded, lower layers and the top layer's
    key and value projections frozen), computing rows into the cache chunk by chunk."""

    def __init__(
        self, model: str | None, max_length: int, threads: int | None, also_frozen: bool
    ) -> None:
        from collective.firms.transformer.firm import DEFAULT_MODEL, TransformerFirm

        self.firm = TransformerFirm(
            model or DEFAULT_MODEL,
            max_length=max_length,
            train_layers=1,
            freeze_kv=True,
            threads=threads,
            progress=False,
        )
        # the network as the firm's fit prepares it (frozen layers and projections frozen)
        self.net, self.n_frozen = self.firm._pretrained_net()
        self.also_frozen = also_frozen

    def fill(
        self,
        splits: dict,
        jobs: list[tuple[str, int, bool]],
        *,
        spacing: int,
        chunk: int,
        part: tuple[int, int],
        progress: bool,
    ) -> dict[str, int]:
        """Compute the rows of ``jobs`` (``(split, index, planted)``, ``split`` a key of
        ``splits``) missing from the cache, in chunks of ``chunk``, this process's share
        ``part`` of them; returns the counts."""
        import time

        counts = {"rows": 0, "computed": 0}
        start = time.perf_counter()
        i_part, n_parts = part
        if not 0 <= i_part < n_parts:
            raise ConfigError(f"part must be i/n with 0 <= i < n, got {i_part}/{n_parts}")
        for number, lo in enumerate(range(0, len(jobs), chunk)):
            if number % n_parts != i_part:
                continue
            piece = jobs[lo : lo + chunk]
            computed = self.fill_chunk(splits, piece, spacing)
            counts["rows"] += len(piece)
            counts["computed"] += computed
            if progress:
                elapsed = time.perf_counter() - start
                print(
                    f"{lo + len(piece)}/{len(jobs)} rows ({piece[-1][0]}): {computed} computed now, "
                    f"{counts['computed']} in {elapsed:.0f} s",
                    flush=True,
                )
        return counts

    def fill_chunk(self, splits: dict, piece: list[tuple[str, int, bool]], spacing: int) -> int:
        """Store the rows of ``piece`` not yet in the cache; returns how many were computed."""
        inputs = []
        for split, i, planted in piece:
            X = splits[split]
            inputs.extend(self.firm.model_inputs(X.subset([i]), np.array([planted]), spacing))
        return self.firm.kv_rows(
            self.net, self.n_frozen, inputs, also_frozen=self.also_frozen, count_only=True
        )


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m collective.firms.transformer.kv_cache``: the command ``collective kv-cache``
    (:mod:`collective.cli.kv_cache`) under its former name."""
    import sys

    from collective.cli import main as cli_main

    return cli_main(["kv-cache", *(sys.argv[1:] if argv is None else argv)])


if __name__ == "__main__":
    raise SystemExit(main())
