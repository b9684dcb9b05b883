"""The annotation stage: after a run's requests are answered and before its metrics, every judge
request of the run goes to its judge deployment's request engine, one call per deployment.

So judges share everything model requests have: the host-keyed cache (a fully cached rerun asks no
judge anything), deduplication (two judge labels played by one deployment ask it once), leases,
local batching (a HuggingFace or vLLM judge answers the whole run in batches) and the executor (Ray
replicas too). A judge failure is recorded in the annotation; it never fails the run.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from helm_lite.adaptation.request_state import RequestState
from helm_lite.annotation.base import Annotator, Judge, JudgeReply
from helm_lite.annotation.judges import JudgeSelection
from helm_lite.annotation.registry import ANNOTATORS
from helm_lite.common.errors import UserError
from helm_lite.common.object_spec import build
from helm_lite.common.request import Request, RequestResult

if TYPE_CHECKING:
    from helm_lite.executors.base import Executor
    from helm_lite.run_specs.run_spec import RunSpec
    from helm_lite.services import Services

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class JudgedAnnotator:
    """An annotator of a run and the judges that play its roles in this invocation."""

    annotator: Annotator
    judges: tuple[Judge, ...]


def annotators_of(run_spec: RunSpec, selection: JudgeSelection) -> list[JudgedAnnotator]:
    """The run's annotators (built from its `annotators` specs) with their judges."""
    out = []
    for spec in run_spec.annotators or []:
        cls = ANNOTATORS.get(spec.class_name)
        if not (isinstance(cls, type) and issubclass(cls, Annotator)):
            raise UserError(f"run {run_spec.name}: annotator {spec.class_name!r} is not an Annotator")
        annotator: Annotator = build(cls, dict(spec.args), spec.class_name)
        out.append(JudgedAnnotator(annotator, selection.judges_for(annotator)))
    return out


def check_judges(
    run_spec: RunSpec, selection: JudgeSelection, services: Services, build_clients: bool
) -> None:
    """Stop before any run starts when a judge cannot answer: an unknown deployment, or a client
    that cannot be built (a missing API key); for HELM's default judges the line suggests
    ``--judge-deployment``."""
    for name in selection.per_annotator:
        if name not in ANNOTATORS:
            ANNOTATORS.get(name)  # the unknown-name error, with the closest name
    for judged in annotators_of(run_spec, selection):
        default = selection.is_default(judged.annotator)
        for judge in judged.judges:
            try:
                services.registry.get_deployment(judge.deployment)
                if build_clients:
                    services.client(judge.deployment)
            except UserError as e:
                hint = (
                    "; judge with another deployment: helm-run --judge-deployment NAME (see docs/judges.md)"
                    if default and selection.override is None
                    else ""
                )
                raise UserError(f"judge {judge.label} of {judged.annotator.name}: {e}{hint}") from e


def judges_record(run_spec: RunSpec, selection: JudgeSelection) -> dict[str, dict[str, str]]:
    """``{annotator: {label: deployment}}`` for run_info.json: which deployment judged what."""
    return {
        j.annotator.name: {judge.label: judge.deployment for judge in j.judges}
        for j in annotators_of(run_spec, selection)
    }


def annotate(
    run_spec: RunSpec,
    states: Sequence[RequestState],
    selection: JudgeSelection,
    services: Services,
    executor: Executor,
    num_threads: int,
) -> list[RequestState]:
    """The states with their `annotations`; every judge deployment is asked once, for all states."""
    judged = annotators_of(run_spec, selection)
    if not judged:
        return list(states)
    # (state, annotator) → prompt; and per deployment the requests with where their answers go.
    prompts: dict[tuple[int, int], str | None] = {}
    asks: dict[str, list[tuple[int, int, int, Request]]] = defaultdict(list)
    for a, j in enumerate(judged):
        for s, state in enumerate(states):
            prompt = prompts[s, a] = j.annotator.judge_prompt(state)
            if prompt is None:
                continue
            for k, judge in enumerate(j.judges):
                asks[judge.deployment].append((s, a, k, _judge_request(services, judge, prompt, j.annotator)))
    results: dict[tuple[int, int, int], RequestResult] = {}
    for deployment, batch in asks.items():
        answers = executor.execute(services, deployment, [r for *_, r in batch], num_threads=num_threads)
        failed = [r for r in answers if not r.success]
        if failed:
            logger.warning(
                "%s: %d of %d judge requests to %s failed (first error: %s); their judged stats are missing",
                run_spec.name,
                len(failed),
                len(answers),
                deployment,
                failed[0].error,
            )
        for (s, a, k, _), result in zip(batch, answers, strict=True):
            results[s, a, k] = result
    out = []
    for s, state in enumerate(states):
        annotations: dict[str, Any] = dict(state.annotations or {})
        for a, j in enumerate(judged):
            prompt = prompts[s, a]
            if prompt is None:
                annotations[j.annotator.name] = j.annotator.unjudged(state)
                continue
            replies = [_reply(judge, results[s, a, k]) for k, judge in enumerate(j.judges)]
            annotations[j.annotator.name] = j.annotator.annotate(state, prompt, replies)
        out.append(replace(state, annotations=annotations))
    return out


def _judge_request(services: Services, judge: Judge, prompt: str, annotator: Annotator) -> Request:
    model = services.registry.get_deployment(judge.deployment).model_name or judge.deployment
    return Request(
        model_deployment=judge.deployment,
        model=model,
        prompt=prompt,
        temperature=0.0,
        max_tokens=annotator.max_tokens,
    )


def _reply(judge: Judge, result: RequestResult) -> JudgeReply:
    if not result.success:
        return JudgeReply(judge, None, result.error or "the request failed")
    if len(result.completions) != 1:
        return JudgeReply(judge, None, f"expected one completion, got {len(result.completions)}")
    return JudgeReply(judge, result.completions[0].text)
