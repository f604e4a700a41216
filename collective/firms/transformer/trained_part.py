"""What the transformer firm trains, as one object: every layer, the top ``k`` layers, or the
top layer with its key and value projections frozen.

:func:`trained_part` chooses it from the firm's parameters (``train_layers``, ``freeze_kv``);
the firm has one fit and one predict loop, and asks its trained part

* :meth:`TrainedPart.prepare`: what to freeze in the freshly loaded network (and the speed
  settings of a network trained whole), returning how many lower layers are frozen;
* :meth:`TrainedPart.examples`: one example per input, from the tokens or from the caches of
  the frozen part (:mod:`collective.firms.transformer.frozen`,
  :mod:`collective.firms.transformer.kv_cache`), and :attr:`TrainedPart.collate`, the name
  of the function that pads them into a batch;
* :meth:`TrainedPart.trained`: the module that the ``Trainer`` trains and prediction calls on
  those batches (its weights are the network's own);
* :meth:`TrainedPart.autocast`: whether that module computes in mixed precision.

:attr:`TrainedPart.name` is the record's ``fit_trained_part``: the learner's name of the
book's report (:func:`collective.report.learners.learner_name`). A new way of training (LoRA
adapters, say) is one more subclass and one more line in :func:`trained_part`; the firm's
parameters, and so every cache key, are the firm's business, not the part's.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import TYPE_CHECKING, ClassVar

import numpy as np
from torch import nn
from torch.utils.data import Dataset

from collective.firms.transformer import frozen as frozen_mod
from collective.firms.transformer import kv_head
from collective.firms.transformer.batches import KVExamples, _Examples
from collective.firms.transformer.cls_layer import cls_only_last_layer

if TYPE_CHECKING:
    from collective.firms.params import TransformerParams
    from collective.firms.transformer.firm import TransformerFirm as Firm

#: The token ids of the inputs (``[CLS] ids [SEP]`` per resume), and their label rows (``None``:
#: examples to predict).
Inputs = list[np.ndarray]
Labels = np.ndarray | None


class TrainedPart:
    """The part of the network that training moves (module docstring). The base class is the
    path over tokens: the lower ``n_frozen`` layers frozen (none for :class:`EveryLayer`),
    their outputs read from the frozen-layer cache when ``cache_frozen``, the last layer run
    for [CLS] only when ``cls_only``."""

    #: The function that pads a list of :meth:`examples` items into a batch, by its name in
    #: :mod:`collective.firms.transformer.firm` (where the firm looks it up at call time, so
    #: that a test can patch it there).
    collate: ClassVar[str] = "collate"

    @property
    def name(self) -> str:
        """The name in the record (``fit_trained_part``) and in the report."""
        raise NotImplementedError

    def n_frozen(self, firm: Firm, net: nn.Module) -> int:
        """How many lower encoder layers stay as pretrained."""
        return firm._n_frozen(net)

    def prepare(self, firm: Firm, net: nn.Module) -> int:
        """Freeze what is not trained in the freshly loaded ``net`` (the embeddings and the
        lower layers) or, when nothing is frozen, give the whole network the device's speed
        settings; returns the number of frozen layers."""
        n_frozen = self.n_frozen(firm, net)
        if n_frozen:
            frozen_mod.freeze(net, n_frozen)
        else:
            firm._whole_network_speed_settings(net)
        return n_frozen

    def _cached(self, firm: Firm, net: nn.Module) -> int:
        """How many frozen layers are read from the frozen-layer cache (0: run from tokens)."""
        return self.n_frozen(firm, net) if firm.cache_frozen else 0

    def examples(self, firm: Firm, net: nn.Module, inputs: Inputs, Y: Labels = None) -> Dataset:
        """One example per input (with its label row when ``Y`` is given): the tokens, or
        the frozen layers' output from the cache."""
        cached = self._cached(firm, net)
        if cached:
            return _Examples("inputs_embeds", firm.frozen_hidden(net, cached, inputs), Y)
        return _Examples("input_ids", inputs, Y)

    @contextlib.contextmanager
    def trained(self, firm: Firm, net: nn.Module) -> Iterator[nn.Module]:
        """Within the context, the module that takes the batches of :meth:`examples`."""
        cached = self._cached(firm, net)
        view = frozen_mod.top_view(net, cached) if cached else contextlib.nullcontext(net)
        with view as module, cls_only_last_layer(net, firm.cls_only, firm.absorb_kv):
            yield module

    def autocast(self, firm: Firm, net: nn.Module) -> bool:
        """Whether the trained module runs under autocast (``precision``): always, except for
        a trained part that is the [CLS] path alone (the last layer computed for [CLS] over the
        cached lower layers) on a CPU (the firm's ``head_autocast``)."""
        cls_path_only = (
            firm.cls_only
            and firm.cache_frozen
            and self.n_frozen(firm, net) == frozen_mod.n_layers(net) - 1
        )
        return firm.head_autocast if cls_path_only else True

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


class EveryLayer(TrainedPart):
    """Every layer, the embeddings and the head: the paper's training procedure (``train_layers=None``)."""

    @property
    def name(self) -> str:
        return "every layer"


class TopLayers(TrainedPart):
    """The top ``k`` encoder layers and the head (``train_layers=k``)."""

    def __init__(self, k: int) -> None:
        self.k = int(k)

    @property
    def name(self) -> str:  # the report's names: "whole top layer", "top k layers"
        return "whole top layer" if self.k == 1 else f"top {self.k} layers"

    def __repr__(self) -> str:
        return f"TopLayers({self.k})"


class TopLayerFrozenKV(TopLayers):
    """The top layer's [CLS] path and the head (``train_layers=1, freeze_kv=True``): that
    layer's key and value projections are frozen too, their outputs read from the key/value
    cache, and :class:`collective.firms.transformer.kv_head.ClsKVHead` computes the rest."""

    collate: ClassVar[str] = "collate_kv"

    def __init__(self) -> None:
        super().__init__(1)

    @property
    def name(self) -> str:
        return "top layer, K/V frozen"

    def prepare(self, firm: Firm, net: nn.Module) -> int:
        n_frozen = super().prepare(firm, net)
        kv_head.check_supported(net)
        kv_head.freeze_kv(net)
        return n_frozen

    def examples(self, firm: Firm, net: nn.Module, inputs: Inputs, Y: Labels = None) -> Dataset:
        return KVExamples(firm.kv_rows(net, self.n_frozen(firm, net), inputs), Y)

    @contextlib.contextmanager
    def trained(self, firm: Firm, net: nn.Module) -> Iterator[nn.Module]:
        yield kv_head.ClsKVHead(net)

    def autocast(self, firm: Firm, net: nn.Module) -> bool:
        return firm.head_autocast

    def __repr__(self) -> str:
        return "TopLayerFrozenKV()"


def trained_part(params: TransformerParams) -> TrainedPart:
    """What a firm with these parameters trains."""
    if params.freeze_kv:
        return TopLayerFrozenKV()
    if params.train_layers is None:
        return EveryLayer()
    return TopLayers(params.train_layers)
