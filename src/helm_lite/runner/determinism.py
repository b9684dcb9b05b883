"""Is a run's decoding deterministic? `helm-run --check-determinism`.

A sample of a run's requests is decoded again one at a time (batch size 1) and, where the deployment
has a twin engine (the HuggingFace client's other engine; an in-process vLLM or HuggingFace deployment
of the same model), on the twin too; each answer is compared with the one the run recorded (computed
in batches). The re-decodes call the client directly: the request cache is neither read nor written.
"""

from __future__ import annotations

import json
import math
import os
import random
from collections.abc import Callable
from dataclasses import dataclass, fields, replace
from typing import Any

from helm_lite.common.object_spec import ObjectSpec
from helm_lite.common.request import Request
from helm_lite.services import Services

HF_CLIENT = "HuggingFaceClient"
VLLM_CLIENT = "VLLMClient"


@dataclass(frozen=True)
class Comparison:
    """One re-decoded answer against the recorded one."""

    same_text: bool
    max_logprob_diff: float  # over completions and tokens; inf when the token counts differ

    def describe(self) -> str:
        text = "identical text" if self.same_text else "TEXT DIFFERS"
        return f"{text}, max |Δlogprob| {self.max_logprob_diff:.2g}"


@dataclass(frozen=True)
class Route:
    """A way to decode a request: a label and a provider (the run's own client, or a twin)."""

    label: str
    provider: Any
    error: str | None = None


def _request(data: dict[str, Any]) -> Request:
    names = {f.name for f in fields(Request)}
    return Request(**{k: v for k, v in data.items() if k in names})


def compare(recorded: list[dict[str, Any]], answered: list[Any]) -> Comparison:
    """Recorded completions (JSON) against re-decoded `GeneratedOutput`s."""
    same = len(recorded) == len(answered) and all(
        r["text"] == a.text for r, a in zip(recorded, answered, strict=False)
    )
    worst = 0.0
    for r, a in zip(recorded, answered, strict=False):
        tokens = r.get("tokens", [])
        if len(tokens) != len(a.tokens):
            worst = math.inf
            continue
        worst = max(worst, abs(r.get("logprob", 0.0) - a.logprob))
        for t, u in zip(tokens, a.tokens, strict=True):
            worst = max(worst, abs(t.get("logprob", 0.0) - u.logprob))
    return Comparison(same, worst)


def sample_indices(count: int, size: int) -> list[int]:
    """`size` request positions out of `count`, the same every time (seeded), in run order."""
    if count <= size:
        return list(range(count))
    return sorted(random.Random(0).sample(range(count), size))


def routes(services: Services, deployment_name: str, twins_wanted: str = "all") -> list[Route]:
    """The deployment's own client, then its twins (`twins_wanted`: ``all``, ``engine``, ``none``):
    the HuggingFace client's other engine, and (``all``) the in-process HuggingFace / vLLM deployments
    of the same model. A twin that cannot be built has the reason instead of a provider."""
    registry = services.registry
    deployment = registry.get_deployment(deployment_name)
    own = services.client(deployment_name)
    out = [Route("batch size 1", own)]
    spec = deployment.client_spec
    kind = spec.class_name.rsplit(".", 1)[-1]
    twins: list[tuple[str, Any, ObjectSpec]] = []
    if kind == HF_CLIENT and twins_wanted != "none":
        other = "reference" if getattr(own, "engine_name", "fast") == "fast" else "fast"
        twins.append((f"engine {other}", deployment, replace(spec, args={**spec.args, "engine": other})))
    for name in registry.deployments_for(deployment.model_name or deployment_name):
        twin = registry.get_deployment(name)
        twin_kind = twin.client_spec.class_name.rsplit(".", 1)[-1]
        if (
            twins_wanted == "all"
            and name != deployment_name
            and twin_kind in (HF_CLIENT, VLLM_CLIENT)
            and twin_kind != kind
        ):
            twins.append((f"deployment {name}", twin, twin.client_spec))
    for label, twin_deployment, twin_spec in twins:
        try:
            out.append(Route(label, services.build_client(twin_deployment, twin_spec, cached=False)))
        except Exception as e:  # e.g. an engine that is not installed here
            out.append(Route(label, None, _why(e)))
    return out


def _why(e: Exception) -> str:
    first = str(e).splitlines()[0][:120] if str(e) else ""
    return f"unavailable ({type(e).__name__}: {first})"


@dataclass(frozen=True)
class RequestCheck:
    index: int
    instance_id: str
    results: dict[str, Comparison | str]  # route label → comparison, or why the route failed


def check_run(
    run_dir: str, services: Services, sample: int, say: Callable[[str], None], twins: str = "all"
) -> list[RequestCheck]:
    """Re-decode `sample` of the run's requests on every route, saying one line per request."""
    with open(os.path.join(run_dir, "scenario_state.json"), encoding="utf-8") as f:
        states = json.load(f)["request_states"]
    deployment_name = states[0]["request"]["model_deployment"] if states else ""
    answered = [i for i, s in enumerate(states) if (s.get("result") or {}).get("success")]
    picked = [answered[i] for i in sample_indices(len(answered), sample)]
    checks: list[RequestCheck] = []
    if not picked:
        return checks
    available = routes(services, deployment_name, twins)
    for index in picked:
        state = states[index]
        request = _request(state["request"])
        recorded = state["result"]["completions"]
        results: dict[str, Comparison | str] = {}
        for route in available:
            if route.error is not None:
                results[route.label] = route.error
                continue
            try:
                raw = route.provider.raw_request(request)
                answer = route.provider.compute_batch([raw])[0]
                results[route.label] = compare(recorded, route.provider.parse_completions(request, answer))
            except Exception as e:  # a twin that cannot run here (no vLLM, no GPU) is reported, not fatal
                results[route.label] = _why(e)
        instance_id = str(state.get("instance", {}).get("id", f"#{index}"))
        check = RequestCheck(index, instance_id, results)
        checks.append(check)
        parts = [
            f"{label}: {r.describe() if isinstance(r, Comparison) else r}" for label, r in results.items()
        ]
        say(f"request {index} ({instance_id}): " + "; ".join(parts))
    return checks


def summary(run_name: str, checks: list[RequestCheck]) -> tuple[str, bool]:
    """The summary line and whether every answer's text was reproduced on every route that ran."""
    labels: list[str] = []
    for c in checks:
        labels.extend(label for label in c.results if label not in labels)
    parts = []
    all_same = True
    for label in labels:
        compared = [r for r in (c.results.get(label) for c in checks) if isinstance(r, Comparison)]
        if not compared:
            parts.append(f"{label}: unavailable")
            continue
        same = sum(r.same_text for r in compared)
        all_same = all_same and same == len(compared)
        worst = max(r.max_logprob_diff for r in compared)
        parts.append(f"{label}: {same}/{len(compared)} identical texts, max |Δlogprob| {worst:.2g}")
    verdict = "deterministic" if all_same else "NOT deterministic"
    return f"{run_name}: {verdict} on {len(checks)} re-decoded requests ({'; '.join(parts)})", all_same
