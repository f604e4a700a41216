"""Checkpoints of one schedule: the paper's firm evaluated after epochs 1 and 3 of its
5-epoch run as well as at the end, at no extra training (issue 20).

These are *not* the paper's 1- and 3-epoch runs (Figure 5 of {cite}`hardt2023algorithmic`):
the learning rate decays linearly over the whole 5-epoch schedule, so after epoch 1 it is
still at 80% of its peak where a 1-epoch run's has reached 0. The records label them
``epoch{e}_*`` with ``checkpoint_epochs``, beside the final metrics.

A checkpoint is a copy of the network's weights on the CPU (:func:`snapshot`), taken by a
``TrainerCallback`` at the end of the epochs asked for (:class:`EpochSnapshots`; the batched
trainer takes the same copies from its stacked model), and put back into the fitted network
only while it is evaluated (:func:`weights_of`). Only the paper's firm keeps checkpoints
(every layer trained: its whole state is the network's).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import torch
from torch import nn
from transformers import TrainerCallback

from collective.firms.params import parse_epochs  # noqa: F401 (the firm reads it here)

#: A network's weights, on the CPU.
State = dict[str, torch.Tensor]


def snapshot(net: nn.Module) -> State:
    """A copy of ``net``'s parameters on the CPU, by name (buffers do not train)."""
    return {name: value.detach().to("cpu", copy=True) for name, value in net.named_parameters()}


class EpochSnapshots(TrainerCallback):
    """Keeps a :func:`snapshot` of ``net`` at the end of each epoch of ``epochs``. Made before
    training: the parameters are named as in ``net`` then, although the trained module may
    wrap a layer of it meanwhile (the [CLS]-only top layer); the tensors are the same."""

    def __init__(self, net: nn.Module, epochs: tuple[int, ...]) -> None:
        self.named = list(net.named_parameters())
        self.epochs = set(epochs)
        self.states: dict[int, State] = {}

    def on_epoch_end(self, args, state, control, **kwargs):
        epoch = round(state.epoch)
        if epoch in self.epochs and abs(state.epoch - epoch) < 1e-6:
            self.states[epoch] = {
                name: value.detach().to("cpu", copy=True) for name, value in self.named
            }


def load_parameters(net: nn.Module, state: State) -> None:
    """Copy ``state`` (a :func:`snapshot` of a network of the same architecture) into ``net``."""
    named = dict(net.named_parameters())
    if set(named) != set(state):
        raise ValueError(
            f"a checkpoint of {len(state)} parameters does not fit a network of {len(named)}: "
            f"{sorted(set(named) ^ set(state))[:3]} ..."
        )
    with torch.no_grad():
        for name, value in named.items():
            value.copy_(state[name])


@contextlib.contextmanager
def weights_of(net: nn.Module, state: State) -> Iterator[nn.Module]:
    """``net`` with the weights ``state`` for the duration of the block, then its own again."""
    own = snapshot(net)
    load_parameters(net, state)
    try:
        yield net
    finally:
        load_parameters(net, own)
