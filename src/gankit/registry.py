"""Named choices (losses, backbones, conditionings, norms, activations, datasets, DiffAugment
policies) and where they live.

Every name a user may write in a config (``objective.loss: hinge``) is owned by one
:class:`Registry`, created next to the code it names and filled by the modules that implement
each choice (``LOSSES.add("hinge", ...)`` in the module defining the hinge loss). Nothing else
keeps a list of those names: the config asks :func:`names_of` for them when it validates, the
builders ask the registry for the implementation, and every unknown name gets one sentence
listing the valid ones. Adding a choice is therefore one new module that registers itself.

``gankit.config`` sits below the packages that own the registries (it may not import them), so
the catalogue below names, for each kind, the package whose import fills its registry; it is
imported on the first lookup of that kind. That table is the one place where the low layer
learns about the feature packages, and it holds package names only, never choices.
"""

from __future__ import annotations

import difflib
import importlib
import pkgutil
import sys
from collections.abc import Callable, Iterator
from typing import Generic, TypeVar

from gankit.errors import ConfigError

T = TypeVar("T")

# kind -> the package whose import registers every built-in choice of that kind.
PROVIDERS: dict[str, str] = {
    "loss": "gankit.objectives",
    "backbone": "gankit.models",
    "conditioning": "gankit.models",
    "norm": "gankit.nn",
    "activation": "gankit.nn",
    "dataset": "gankit.data",
    "diffaugment": "gankit.objectives",
}

_CATALOGUE: dict[str, Registry] = {}


class Registry(Generic[T]):
    """Name -> implementation for one kind of choice, in registration order.

    ``key`` is the config key the names are written under (``objective.loss``); errors quote
    it so the user knows which setting to fix. The registry announces itself to the catalogue
    under ``kind`` so :func:`names_of` can find it without importing its owner by name.

    ``fold_case`` makes lookups ignore case and surrounding spaces (dataset names, which users
    type as ``CIFAR10`` or ``Fashion_MNIST``); :meth:`alias` adds other spellings of a name.
    Aliases are accepted everywhere a name is, but only the names are listed.
    """

    def __init__(
        self, kind: str, *, key: str | None = None, announce: bool = True, fold_case: bool = False
    ) -> None:
        if announce and kind in _CATALOGUE:
            raise ValueError(f"a registry of kind {kind!r} already exists")
        self.kind = kind
        self.key = key
        self.fold_case = fold_case
        self._entries: dict[str, T] = {}
        self._aliases: dict[str, str] = {}
        if announce:  # announce=False: a private registry (tests, plugins' own sub-choices)
            _CATALOGUE[kind] = self

    def add(self, name: str, entry: T) -> T:
        """Register ``entry`` under ``name``; a second entry with the same name is a bug."""
        if not name or name != name.strip():
            raise ValueError(f"{self.kind} name {name!r} must be a non-empty word")
        if self.fold_case and name != name.lower():
            raise ValueError(f"{self.kind} name {name!r} must be lower case")
        if name in self._entries or name in self._aliases:
            raise ValueError(f"{self.kind} {name!r} is registered twice")
        self._entries[name] = entry
        return entry

    def alias(self, alias: str, name: str) -> None:
        """Accept ``alias`` as another spelling of the registered ``name``."""
        key = self._fold(alias)
        if name not in self._entries:
            raise ValueError(f"{self.kind} alias {alias!r} points at unregistered {name!r}")
        if not key or key in self._entries or key in self._aliases:
            raise ValueError(f"{self.kind} alias {alias!r} is taken or empty")
        self._aliases[key] = name

    def _fold(self, name: object) -> str:
        text = str(name)
        return text.strip().lower() if self.fold_case else text

    def resolve(self, name: object) -> str | None:
        """The registered name that ``name`` spells (itself, an alias, or another case when
        ``fold_case``), or None."""
        key = self._fold(name)
        if key in self._entries:
            return key
        return self._aliases.get(key)

    def closest(self, name: object) -> str | None:
        """The registered name closest to a misspelt ``name`` (aliases count), or None."""
        pool = [*self._entries, *self._aliases]
        close = difflib.get_close_matches(self._fold(name), pool, n=1, cutoff=0.6)
        return self.resolve(close[0]) if close else None

    def register(self, name: str) -> Callable[[T], T]:
        """Decorator form of :meth:`add`: ``@ACTIVATIONS.register("relu")``."""

        def decorate(entry: T) -> T:
            return self.add(name, entry)

        return decorate

    def names(self) -> tuple[str, ...]:
        """Registered names, in registration order (the order errors and docs list them)."""
        return tuple(self._entries)

    def check(self, name: str, *, key: str | None = None) -> str:
        """Return the registered name ``name`` spells, else raise one ``ConfigError`` sentence
        that names the setting, the valid choices and the closest one."""
        found = self.resolve(name)
        if found is not None:
            return found
        where = key or self.key
        label = f"'{where}'" if where else f"The {self.kind}"
        close = self.closest(name)
        hint = f" (did you mean '{close}'?)" if close else ""
        raise ConfigError(f"{label} must be one of {', '.join(self._entries)}; got '{name}'{hint}.")

    def get(self, name: str, *, key: str | None = None) -> T:
        """The implementation registered under ``name`` (see :meth:`check` for the error)."""
        return self._entries[self.check(name, key=key)]

    def __contains__(self, name: object) -> bool:
        return self.resolve(name) is not None

    def __iter__(self) -> Iterator[str]:
        return iter(self._entries)

    def __len__(self) -> int:
        return len(self._entries)

    def __repr__(self) -> str:
        return f"Registry({self.kind!r}: {', '.join(self._entries)})"


def registry_of(kind: str) -> Registry:
    """The registry of ``kind``, importing the package that fills it on first use."""
    if kind not in _CATALOGUE:
        if kind not in PROVIDERS:
            raise KeyError(f"no registry kind {kind!r}; known kinds: {', '.join(PROVIDERS)}")
        importlib.import_module(PROVIDERS[kind])
    return _CATALOGUE[kind]


def names_of(kind: str) -> tuple[str, ...]:
    """Valid names of ``kind`` (``"loss"``, ``"backbone"``, ...), in registration order."""
    return registry_of(kind).names()


def import_submodules(package: str) -> None:
    """Import every public module of ``package`` (sorted by name) so that each registers the
    choices it defines: a new loss, dataset, DiffAugment policy or metric is then one new module,
    listed nowhere else. Modules already imported are not run again, so a package's built-ins,
    imported first in its ``__init__``, keep their registration order."""
    found = pkgutil.iter_modules(sys.modules[package].__path__)
    for name in sorted(module.name for module in found):
        if not name.startswith("_"):
            importlib.import_module(f"{package}.{name}")
