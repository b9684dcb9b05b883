"""A client's settings: its deployment's ``client_spec.args``, read into one frozen dataclass.

Each built-in client declares its arguments once, as a settings dataclass (names, types, defaults),
and reads them as ``self.settings.x``. `settings_from_args` is the one place they are checked: a
name the dataclass lacks, or a required one missing, is a `UserError` naming the deployment.

Such a client takes its settings as ``**args``; `settings_signature` shows them to the registry as
named parameters, so it refuses an unknown name before building what it injects (the cache, a file).
"""

from __future__ import annotations

import dataclasses
import inspect
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, TypeVar

from helm_lite.common.errors import UserError

if TYPE_CHECKING:
    from _typeshed import DataclassInstance

    from helm_lite.registry.schema import ModelDeployment

S = TypeVar("S", bound="DataclassInstance")


def where(deployment: ModelDeployment | None, client: str) -> str:
    """How an error names the client: its deployment, else its class."""
    return f"model deployment {deployment.name}" if deployment is not None else client


def settings_from_args(settings_class: type[S], args: Mapping[str, object], label: str) -> S:
    """`settings_class` (a dataclass) built from `args`; `label` names the client in errors."""
    fields = dataclasses.fields(settings_class)
    names = {f.name for f in fields}
    unknown = sorted(set(args) - names)
    if unknown:
        raise UserError(
            f"{label}: unknown client_spec.args {', '.join(unknown)} (known: {', '.join(sorted(names))})"
        )
    missing = [
        f.name
        for f in fields
        if f.name not in args
        and f.default is dataclasses.MISSING
        and f.default_factory is dataclasses.MISSING
    ]
    if missing:
        raise UserError(f"{label}: client_spec.args needs {', '.join(missing)}")
    given: dict[str, Any] = dict(args)
    return settings_class(**given)


def settings_signature(
    init: Callable[..., None], settings_class: type[DataclassInstance]
) -> inspect.Signature:
    """`init`'s signature (without ``self``) with `settings_class`'s fields in place of its ``**args``."""
    params = [p for p in list(inspect.signature(init).parameters.values())[1:] if p.kind is not p.VAR_KEYWORD]
    named = {p.name for p in params}
    for f in dataclasses.fields(settings_class):
        if f.name not in named:
            default = inspect.Parameter.empty if f.default is dataclasses.MISSING else f.default
            params.append(inspect.Parameter(f.name, inspect.Parameter.KEYWORD_ONLY, default=default))
    return inspect.Signature(params)
