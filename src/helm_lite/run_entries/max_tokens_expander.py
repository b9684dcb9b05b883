"""`increase_max_tokens=N`: HELM's expander that raises a run's token budget (reasoning models'
entries add 10,000 so thinking does not crowd out the answer). The run name is unchanged, as in HELM."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from helm_lite.common.errors import UserError
from helm_lite.registry.loader import Registry
from helm_lite.run_specs.run_spec import RunSpec


def expand_increase_max_tokens(spec: RunSpec, value: Any, registry: Registry) -> list[RunSpec]:
    try:
        extra = int(str(value))
    except ValueError:
        raise UserError(f"increase_max_tokens={value}: expected a whole number of tokens") from None
    a = spec.adapter_spec
    return [replace(spec, adapter_spec=replace(a, max_tokens=a.max_tokens + extra))]
