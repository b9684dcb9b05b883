"""Model display names and order for tables, from the registry (shipped configs + `--local-path`)."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any

from helm_lite.registry.loader import Registry

logger = logging.getLogger(__name__)


class ModelCatalog:
    """What summarize needs to know about models: display names, registry order, schema entries.

    A run may name a model this machine's registry does not know (results copied from elsewhere): it
    is shown by its name and sorted after the known ones, never an error.
    """

    def __init__(self, registry: Registry | None) -> None:
        self._registry = registry
        self._order = {name: i for i, name in enumerate(registry.all_models())} if registry else {}

    def display_name(self, model: str) -> str:
        meta = self._registry.get_model(model) if self._registry else None
        return meta.display_name if meta is not None else model

    def sort_key(self, model: str) -> tuple[int, str]:
        return (self._order.get(model, len(self._order)), model)

    def schema_entries(self, used: Iterable[str]) -> list[dict[str, Any]]:
        """HELM's `models` list in schema.json: every registered model some run used, registry order."""
        used_set = set(used)
        out: list[dict[str, Any]] = []
        names = [m for m in (self._registry.all_models() if self._registry else []) if m in used_set]
        names += sorted(used_set - set(names))
        for name in names:
            meta = self._registry.get_model(name) if self._registry else None
            if meta is None:
                out.append({"name": name, "display_name": name, "short_display_name": name, "todo": False})
                continue
            entry: dict[str, Any] = {
                "name": meta.name,
                "display_name": meta.display_name,
                "short_display_name": meta.display_name,
                "description": meta.description,
                "creator_organization": meta.creator_organization_name,
                "access": meta.access,
                "todo": False,
            }
            if meta.release_date is not None:
                entry["release_date"] = meta.release_date.isoformat()
            if meta.num_parameters is not None:
                entry["num_parameters"] = meta.num_parameters
            out.append(entry)
        return out
