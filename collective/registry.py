"""One registry per kind of thing a reader may add: firm families, strategies, defences.

Each entry declares its name, its class (``"module:Class"``, imported on first use, so that
building a config or printing ``--help`` imports no torch), a one-line help and, where it
has any, its parameter declaration (a :class:`collective.firms.params.FirmParams`-style
dataclass: defaults, help, which parameters enter the cache key). The runner finds every
stage of a run here by name and then only calls its methods: no code outside a registry's
entries compares names. Adding a firm, a strategy or a defence is a new module and one
:meth:`Registry.register` line (the README's *How to add* section).
"""

from __future__ import annotations

import importlib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from collective.errors import ConfigError


@dataclass(frozen=True)
class Entry:
    """One registered thing: ``name``, ``target`` (``"module:Class"``), ``help`` and the
    declaration of its parameters (``None``: it has none beyond its class's own)."""

    name: str
    target: str
    help: str
    params: type | None = None

    def load(self) -> type:
        """The class behind the entry (imported now)."""
        module, _, attr = self.target.partition(":")
        return getattr(importlib.import_module(module), attr)


class Registry(Mapping[str, Entry]):
    """Entries of one kind (``kind``: "firm", "strategy", "defence"), by name, in the order
    registered."""

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self._entries: dict[str, Entry] = {}

    def register(self, name: str, target: str, *, help: str, params: type | None = None) -> Entry:
        """Add an entry; a name registered twice is an error (one definition per name)."""
        if name in self._entries:
            raise ValueError(f"the {self.kind} {name!r} is registered twice")
        if ":" not in target:
            raise ValueError(f"target must be 'module:Class', got {target!r}")
        entry = Entry(name, target, help, params)
        self._entries[name] = entry
        return entry

    def check(self, name: Any) -> str:
        """``name`` if registered, else :class:`ConfigError` listing the known names."""
        if not isinstance(name, str) or name not in self._entries:
            raise ConfigError(f"unknown {self.kind} {name!r}; choose one of: {', '.join(self)}")
        return name

    def __getitem__(self, name: str) -> Entry:
        return self._entries[self.check(name)]

    def __iter__(self) -> Iterator[str]:
        return iter(self._entries)

    def __len__(self) -> int:
        return len(self._entries)

    def load(self, name: str) -> type:
        """The class registered as ``name``."""
        return self[name].load()

    def create(self, name: str, **params: Any) -> Any:
        """A new object of the class registered as ``name``, made with ``params``
        (:class:`ConfigError` for parameters its constructor does not take)."""
        cls = self.load(name)
        try:
            return cls(**params)
        except TypeError as err:
            raise ConfigError(f"bad parameters for the {name} {self.kind}: {err}") from err

    def describe(self) -> dict[str, str]:
        """Name -> help, for ``--help`` texts and error messages."""
        return {name: entry.help for name, entry in self._entries.items()}
