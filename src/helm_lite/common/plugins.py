"""One shape for every plug-in: a `Registry` per kind, mapping a name to a lazily imported object.

Entries name their object as ``"module:attr"`` and are imported on first use, so listing a kind (or
starting a CLI) imports nothing heavy. Users add entries with `Registry.register` (or its decorator
form) from their own modules, which ``helm-run --plugins`` imports before reading run entries.
"""

from __future__ import annotations

import difflib
import importlib
import importlib.util
import os
import sys
from collections.abc import Callable, Iterable, Mapping
from typing import Generic, TypeVar, cast

from helm_lite.common.errors import UserError

T = TypeVar("T")

# (unknown name, known names) -> the error message, for kinds whose message users already know.
UnknownMessage = Callable[[str, list[str]], str]


class UnknownNameError(UserError, KeyError):
    """A name no registry entry has; a `UserError` (one line, exit 2) and a `KeyError` (a lookup)."""

    __str__ = UserError.__str__  # KeyError would quote the message


def _did_you_mean(kind: str) -> UnknownMessage:
    def message(name: str, known: list[str]) -> str:
        close = difflib.get_close_matches(name, known, n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        return f"unknown {kind} {name!r}{hint}"

    return message


def _import_target(target: str) -> object:
    module_name, _, attr = target.partition(":")
    value: object = importlib.import_module(module_name)
    for part in attr.split("."):
        value = getattr(value, part)
    return value


class Registry(Generic[T]):
    """Names of one kind of plug-in (clients, adapters, scorers …) and the objects they stand for."""

    def __init__(
        self, kind: str, entries: Mapping[str, str | T] | None = None, unknown: UnknownMessage | None = None
    ) -> None:
        self.kind = kind
        self._targets: dict[str, str | T] = {}
        self._loaded: dict[str, T] = {}
        self._unknown = unknown or _did_you_mean(kind)
        for name, target in (entries or {}).items():
            self.register(name, target)

    def register(self, name: str, target: str | T) -> None:
        """Add `name`: a ``"module:attr"`` string (imported on first use) or the object itself.

        A name already taken by another object is an error: a plug-in cannot silently replace one.
        """
        if isinstance(target, str) and (":" not in target or target.startswith(":") or target.endswith(":")):
            raise UserError(f"{self.kind} {name!r}: target {target!r} is not 'module:attr'")
        old = self._targets.get(name)
        if old is not None and not _same(old, target):
            raise UserError(f"{self.kind} {name!r} is already registered ({_describe(old)})")
        self._targets[name] = target
        self._loaded.pop(name, None)

    def decorator(self, name: str) -> Callable[[T], T]:
        """``@REGISTRY.decorator("name")`` registers the decorated function or class."""

        def register(obj: T) -> T:
            self.register(name, obj)
            return obj

        return register

    def get(self, name: str) -> T:
        """The object registered as `name` (imported now if needed); unknown names raise
        `UnknownNameError`."""
        if name in self._loaded:
            return self._loaded[name]
        if name not in self._targets:
            raise UnknownNameError(self._unknown(name, self.names()))
        target = self._targets[name]
        if isinstance(target, str):
            try:
                value = cast(T, _import_target(target))
            except (ImportError, AttributeError) as e:
                raise UserError(f"{self.kind} {name!r}: cannot import {target} ({e})") from e
        else:
            value = target
        self._loaded[name] = value
        return value

    __getitem__ = get

    def target(self, name: str) -> str | None:
        """Where `name` lives as ``"module.attr"``, without importing it (None: not registered)."""
        target = self._targets.get(name)
        if target is None:
            return None
        return _describe(target).replace(":", ".")

    def __contains__(self, name: object) -> bool:
        return name in self._targets

    def names(self) -> list[str]:
        return sorted(self._targets)


def _describe(target: object) -> str:
    if isinstance(target, str):
        return target
    return f"{getattr(target, '__module__', '?')}:{getattr(target, '__qualname__', repr(target))}"


def _same(a: object, b: object) -> bool:
    """The same object, or an object and the ``module:attr`` that names it (a built-in module whose
    decorators register what its table already names)."""
    if isinstance(a, str) and isinstance(b, str):
        return a == b
    return a is b or (isinstance(a, str) != isinstance(b, str) and _describe(a) == _describe(b))


def load_plugins(names: Iterable[str]) -> None:
    """Import each plug-in (a module name, or a path ending in ``.py``) so it registers its entries.

    Module names are looked up on `sys.path` and then in the current directory. A plug-in that fails
    to import, for any reason, is a `UserError` naming it.
    """
    for name in names:
        try:
            if name.endswith(".py"):
                _import_path(name)
            else:
                if os.getcwd() not in sys.path:
                    sys.path.append(os.getcwd())
                importlib.import_module(name)
        except Exception as e:  # noqa: BLE001 - a plug-in's own bug is reported as bad input
            raise UserError(f"--plugins {name!r}: cannot import ({type(e).__name__}: {e})") from e


def _import_path(path: str) -> None:
    """Import a ``.py`` file as the module named by its stem (so ``stem.Class`` paths work)."""
    if not os.path.isfile(path):
        raise FileNotFoundError(f"no such file {path!r}")
    module_name = os.path.splitext(os.path.basename(path))[0]
    existing = sys.modules.get(module_name)
    if existing is not None:
        if os.path.realpath(getattr(existing, "__file__", "") or "") == os.path.realpath(path):
            return
        raise ImportError(f"module name {module_name!r} is already taken by {existing!r}")
    spec = importlib.util.spec_from_file_location(module_name, path)
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot load {path!r}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module
    try:
        spec.loader.exec_module(module)
    except BaseException:
        del sys.modules[module_name]
        raise
