"""Fields that HELM's own shipped registries carry but HELM's loader drops.

HELM reads its registries leniently (cattrs and dacite ignore keys its dataclasses lack), and its
packaged files rely on that: some models say `release:` where the field is `release_date:`, some
deployments carry `client_spec.deployment` or a top-level `args`. helm_lite's loader is strict (an
unknown key is usually a typo), so these few keys are listed here by name: accepted and ignored,
exactly as HELM ignores them. Any other unknown key is still an error.
"""

from __future__ import annotations

import logging
from typing import Any

logger = logging.getLogger(__name__)

# entry kind -> dotted field path -> why it is ignored (logged at debug level with each dropped field;
# docs/migrating-from-helm.md lists the same fields).
IGNORED_FIELDS: dict[str, dict[str, str]] = {
    "ModelMetadata": {
        "release": "not a HELM field (HELM reads release_date); HELM's files use it on a few models",
    },
    "ModelDeployment": {
        "args": "not a HELM field at the top level (client arguments go in client_spec.args)",
        "client_spec.deployment": "not a field of HELM's ObjectSpec (class_name, args); HELM drops it",
    },
}


def drop_ignored_fields(raw: dict[Any, Any], kind: str) -> dict[Any, Any]:
    """`raw` without the keys HELM ignores for entries of `kind` (a copy when anything is dropped)."""
    ignored = IGNORED_FIELDS.get(kind)
    if not ignored:
        return raw
    result = raw
    for path, why in ignored.items():
        head, _, tail = path.partition(".")
        if not tail:
            if head in result:
                result = {k: v for k, v in result.items() if k != head}
                logger.debug("ignoring field %r of %s %s as HELM does: %s", head, kind, raw.get("name"), why)
        else:
            nested = result.get(head)
            if isinstance(nested, dict) and tail in nested:
                result = dict(result)
                result[head] = {k: v for k, v in nested.items() if k != tail}
                logger.debug("ignoring field %r of %s %s as HELM does: %s", path, kind, raw.get("name"), why)
    return result
