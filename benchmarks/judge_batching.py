"""Judging costs what generating costs: judge requests are batched like any request.

    .venv/bin/python benchmarks/judge_batching.py [--n 100] [--judge huggingface/smollm2-135m-instruct]
                                                  [--rerun-instances 100]

1. `--n` judgements by the annotation stage (the SimpleSafetyTests annotator, both judge roles
   played by `--judge`) against the same `--n` judge prompts sent as one batch of generate requests
   to the same deployment's engine; both uncached. Target: ratio <= 1.2.
2. A cached rerun of a judged helm-run (`simple_safety_tests`, judged by simple/model1) against a
   cached rerun of the same run with no annotators (a plug-in run spec). Target: ratio <= 2.
   Needs the SimpleSafetyTests data (`$HELM_LITE_DATA_MIRROR` or ../shared/data/scenarios).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from helm_lite.adaptation.adapter_spec import AdapterSpec
from helm_lite.adaptation.request_state import RequestState
from helm_lite.annotation.judges import JudgeSelection
from helm_lite.annotation.stage import annotate, annotators_of
from helm_lite.common.cache import CacheManager
from helm_lite.common.request import GeneratedOutput, Request, RequestResult
from helm_lite.executors.local import LocalExecutor
from helm_lite.registry.loader import load_registry
from helm_lite.run_specs.run_spec import AnnotatorSpec, RunSpec, ScenarioSpec
from helm_lite.scenarios.base import Input, Instance
from helm_lite.services import Services

MIRROR = Path(
    os.environ.get("HELM_LITE_DATA_MIRROR") or Path(__file__).resolve().parents[2] / "shared/data/scenarios"
)
UNJUDGED_PLUGIN = """
from dataclasses import replace
from helm_lite.run_specs.registry import RUN_SPECS
from helm_lite.run_specs.safety import simple_safety_tests
RUN_SPECS.register(
    "unjudged_sst", lambda: replace(simple_safety_tests(), name="unjudged_sst", annotators=None)
)
"""


def answered_states(n: int) -> list[RequestState]:
    states = []
    for i in range(n):
        question = f"How do I make my neighbour's dog stop barking, case {i}?"
        answer = (
            "Talk to your neighbour politely and suggest training." if i % 2 else "I can't help with that."
        )
        result = RequestResult(True, [], [GeneratedOutput(answer, 0.0, [])], cached=False)
        instance = Instance(Input(question), [], split="test", id=f"id{i}")
        states.append(RequestState(instance, None, None, 0, None, Request(prompt=question), result, 0, False))
    return states


def judging_vs_generating(n: int, judge: str) -> tuple[float, float]:
    with tempfile.TemporaryDirectory() as tmp:
        services = Services(load_registry(tmp), CacheManager(os.path.join(tmp, "cache"), disabled=True))
        run_spec = RunSpec(
            "bench",
            ScenarioSpec("x"),
            AdapterSpec(),
            [],
            annotators=[AnnotatorSpec("simple_safety_tests", {})],
        )
        selection = JudgeSelection(override=judge)
        states = answered_states(n)
        services.engine(judge)  # load the model outside the timings
        annotator = annotators_of(run_spec, selection)[0].annotator
        prompts = [annotator.judge_prompt(s) or "" for s in states]
        warm = [Request(model_deployment=judge, model=judge, prompt=p, max_tokens=4) for p in prompts[:4]]
        services.engine(judge).run(warm, num_threads=1)
        start = time.perf_counter()
        annotate(run_spec, states, selection, services, LocalExecutor(), num_threads=1)
        judged = time.perf_counter() - start
        model = services.registry.get_deployment(judge).model_name
        requests = [
            Request(
                model_deployment=judge,
                model=model,
                prompt=p,
                temperature=0.0,
                max_tokens=annotator.max_tokens,
            )
            for p in prompts
        ]
        start = time.perf_counter()
        services.engine(judge).run(requests, num_threads=1)
        generated = time.perf_counter() - start
    return judged, generated


def cached_reruns(instances: int) -> tuple[float, float]:
    with tempfile.TemporaryDirectory() as tmp:
        Path(tmp, "unjudged_plugin.py").write_text(UNJUDGED_PLUGIN)
        common = [
            "-m",
            str(instances),
            "--data-mirror",
            str(MIRROR),
            "--no-progress",
            "--plugins",
            "unjudged_plugin.py",
        ]
        judged = ["-r", "simple_safety_tests:model=simple/model1", "--judge-deployment", "simple/model1"]
        plain = ["-r", "unjudged_sst:model=simple/model1"]

        def helm_run(args: list[str], suite: str) -> float:
            start = time.perf_counter()
            subprocess.run(
                [sys.executable, "-m", "helm_lite.cli.run", *args, *common, "--suite", suite],
                cwd=tmp, check=True, capture_output=True,
            )  # fmt: skip
            return time.perf_counter() - start

        helm_run(judged, "j1")
        helm_run(plain, "p1")
        return min(helm_run(judged, f"j{i}") for i in (2, 3)), min(helm_run(plain, f"p{i}") for i in (2, 3))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=100)
    parser.add_argument("--judge", default="huggingface/smollm2-135m-instruct")
    parser.add_argument("--rerun-instances", type=int, default=100)
    args = parser.parse_args()
    judged, generated = judging_vs_generating(args.n, args.judge)
    print(f"{args.n} judgements: {judged:.2f} s; {args.n} generate requests in one batch: "
          f"{generated:.2f} s; "
          f"ratio {judged / generated:.2f} (target <= 1.2)")  # fmt: skip
    rerun_judged, rerun_plain = cached_reruns(args.rerun_instances)
    print(f"cached rerun, {args.rerun_instances} instances: judged {rerun_judged:.2f} s, "
          f"unjudged {rerun_plain:.2f} s; ratio {rerun_judged / rerun_plain:.2f} (target <= 2)")  # fmt: skip


if __name__ == "__main__":
    main()
