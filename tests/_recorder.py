"""A stand-in for the Trainer that the transformer firm builds with ``make_trainer``: it records
what the firm hands it (module, examples, collate, lengths, arguments) and trains nothing, so a
test of the firm's inputs runs in seconds."""

from __future__ import annotations

from types import SimpleNamespace


def recording_trainer(seen: dict) -> type:
    """A ``make_trainer`` replacement writing its keyword arguments into ``seen``."""

    class Recorder:
        def __init__(self, **kwargs):
            seen.update(kwargs)

        def remove_callback(self, _):
            pass

        def train(self):
            return SimpleNamespace(training_loss=0.0, metrics={})

    return Recorder
