"""Which deployment plays each judge of a run: `--judge-deployment`, ``judges.yaml``, or HELM's.

Precedence: ``helm-run --judge-deployment NAME`` (every judge of every run), then the
``judges.yaml`` file in ``--local-path`` (per annotator), then the annotator's defaults (HELM's
judges). ``judges.yaml``::

    judges:
      harm_bench: openai/gpt-4o-mini          # every judge of the annotator
      xstest: {gpt: openai/gpt-4o-mini}       # per judge label; the others keep HELM's

A judge label keeps naming its annotation keys and stats whichever deployment plays it, so a
replaced judge still reports as ``safety_gpt_score``; the annotation and ``run_info.json`` say which
deployment answered.
"""

from __future__ import annotations

import difflib
import os
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from helm_lite.annotation.base import Annotator, Judge
from helm_lite.common.errors import UserError
from helm_lite.common.yaml_io import safe_load

if TYPE_CHECKING:
    from helm_lite.registry.loader import Registry

JUDGES_FILE = "judges.yaml"


@dataclass(frozen=True)
class JudgeSelection:
    """The judge choices of one helm-run invocation."""

    override: str | None = None  # --judge-deployment
    per_annotator: Mapping[str, Mapping[str, str]] = field(default_factory=dict)  # label "*": all
    source: str = JUDGES_FILE  # the file per_annotator came from, for error lines

    def judges_for(self, annotator: Annotator) -> tuple[Judge, ...]:
        """The annotator's judges with the deployments chosen for this invocation."""
        defaults = annotator.default_judges
        if self.override is not None:
            return tuple(replace(j, deployment=self.override) for j in defaults)
        chosen = self.per_annotator.get(annotator.name, {})
        labels = {j.label for j in defaults}
        unknown = sorted(set(chosen) - labels - {"*"})
        if unknown:
            raise UserError(
                f"{self.source}: judges.{annotator.name}: unknown judge {unknown[0]!r} "
                f"(the judges of {annotator.name} are {', '.join(sorted(labels))})"
            )
        return tuple(
            replace(j, deployment=chosen.get(j.label, chosen.get("*", j.deployment))) for j in defaults
        )

    def resolved(self, registry: Registry) -> JudgeSelection:
        """Judges may be named by deployment or by model (like ``--models-to-run``): a model name
        becomes its default deployment, as HELM resolves ``model=`` in a run entry."""

        def deployment(name: str) -> str:
            if registry.has_deployment(name):
                return name
            default = registry.default_deployment_for(name)
            return default if default is not None else name  # unknown: check_judges says so

        return replace(
            self,
            override=None if self.override is None else deployment(self.override),
            per_annotator={
                annotator: {label: deployment(d) for label, d in chosen.items()}
                for annotator, chosen in self.per_annotator.items()
            },
        )

    def is_default(self, annotator: Annotator) -> bool:
        """Whether every judge of the annotator is HELM's (so a missing key can suggest a flag)."""
        return self.judges_for(annotator) == annotator.default_judges


def load_judge_selection(local_path: str, override: str | None) -> JudgeSelection:
    """The invocation's judges: `override`, and ``<local_path>/judges.yaml`` when it exists."""
    path = os.path.join(local_path, JUDGES_FILE)
    if not os.path.isfile(path):
        return JudgeSelection(override=override)
    import yaml

    try:
        with open(path, encoding="utf-8") as f:
            data: Any = safe_load(f)
    except (OSError, yaml.YAMLError) as e:
        raise UserError(f"{path}: cannot read ({type(e).__name__}: {str(e).splitlines()[0]})") from e
    return JudgeSelection(override=override, per_annotator=_parse(path, data), source=path)


def _parse(path: str, data: Any) -> dict[str, dict[str, str]]:
    if data is None:
        return {}
    if not isinstance(data, dict) or set(data) != {"judges"}:
        keys = sorted(data) if isinstance(data, dict) else []
        hint = difflib.get_close_matches(keys[0], ["judges"], n=1) if keys else []
        more = " (did you mean 'judges'?)" if hint else ""
        raise UserError(
            f"{path}: expected one top-level key 'judges', got {keys or type(data).__name__}{more}"
        )
    judges = data["judges"] or {}
    if not isinstance(judges, dict):
        raise UserError(f"{path}: judges must map annotator names to deployments")
    parsed: dict[str, dict[str, str]] = {}
    for name, value in judges.items():
        if isinstance(value, str):
            parsed[str(name)] = {"*": value}
        elif isinstance(value, dict) and all(
            isinstance(k, str) and isinstance(v, str) for k, v in value.items()
        ):
            parsed[str(name)] = dict(value)
        else:
            raise UserError(
                f"{path}: judges.{name}: expected a deployment name or a mapping of judge labels to "
                f"deployment names, got {value!r}"
            )
    return parsed
