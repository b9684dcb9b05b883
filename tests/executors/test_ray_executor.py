"""`helm-run --executor ray` on a real local Ray cluster: same outputs as the local executor, data-
parallel replicas, a replica killed mid-run, cache reuse across restarts, and one-line errors.

One cluster (2 CPUs) is started per module in this process; each helm-run subprocess joins it as a
new driver with `--ray-address`, which takes well under a second.
"""

from __future__ import annotations

import json
import math
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import textwrap
import time
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

if os.environ.get("CI"):
    import ray  # CI installs the dev extra: a missing Ray must fail, not skip
else:
    ray = pytest.importorskip("ray")

from counting_client import read_log  # noqa: E402 - after the importorskip above

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
SMOL = "huggingfacetb/smollm2-135m-instruct"
TIMING = {"request_time", "request_datetime", "batch_request_time"}
COUNTING_ENTRY = "synthetic_reasoning:mode=pattern_match,model=simple/model1,model_deployment=counting/model1"


@pytest.fixture(scope="module")
def ray_address() -> Any:
    saved = os.environ.get("RAY_USAGE_STATS_ENABLED")
    os.environ["RAY_USAGE_STATS_ENABLED"] = "0"
    ray.init(num_cpus=2, include_dashboard=False, logging_level="WARNING", log_to_driver=False)
    try:
        yield ray.get_runtime_context().gcs_address
    finally:
        ray.shutdown()
        if saved is None:
            os.environ.pop("RAY_USAGE_STATS_ENABLED", None)
        else:
            os.environ["RAY_USAGE_STATS_ENABLED"] = saved


def helm_run_argv(*args: str) -> list[str]:
    return [sys.executable, "-m", "helm_lite.cli.run", "--no-progress", *args]


def run_cli(*args: str, cwd: Path = REPO, **env_vars: str) -> subprocess.CompletedProcess[str]:
    """helm-run in a subprocess; from tests/executors its Ray workers can import counting_client."""
    env = {**os.environ, "PYTHONUNBUFFERED": "1", "RAY_USAGE_STATS_ENABLED": "0", **env_vars}
    return subprocess.run(helm_run_argv(*args), cwd=cwd, capture_output=True, text=True, timeout=300, env=env)


def write_deployments(local_path: Path, text: str) -> Path:
    local_path.mkdir(parents=True, exist_ok=True)
    (local_path / "model_deployments.yaml").write_text(textwrap.dedent(text))
    return local_path


def counting_deployment(log: Path, delay_s: float, num_workers: int) -> str:
    return f"""\
        model_deployments:
          - name: counting/model1
            model_name: simple/model1
            tokenizer_name: simple/tokenizer1
            max_sequence_length: 2048
            client_spec:
              class_name: counting_client.CountingClient
              args: {{log_path: "{log}", delay_s: {delay_s}, max_batch_size: 4}}
            scaling_config:
              num_workers: {num_workers}
        """


def smollm2_deployment(scaling: str) -> str:
    """The shipped HuggingFace SmolLM2 entry (same name), in batches of 2, with `scaling`."""
    return f"""\
        model_deployments:
          - name: huggingface/smollm2-135m-instruct
            model_name: {SMOL}
            tokenizer_name: {SMOL}
            max_sequence_length: 8192
            chat_template: tokenizer
            client_spec:
              class_name: helm.clients.huggingface_client.HuggingFaceClient
              args: {{pretrained_model_name_or_path: bundled/smollm2-135m-instruct, max_batch_size: 2}}
        {scaling}
        """


# --- comparing outputs ---------------------------------------------------------------------------
def _without(value: Any, keys: set[str]) -> Any:
    if isinstance(value, dict):
        return {k: _without(v, keys) for k, v in value.items() if k not in keys}
    if isinstance(value, list):
        return [_without(v, keys) for v in value]
    return value


def _no_runtime(stats: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """`inference_runtime` and `inference_denoised_runtime` are measured times: two runs never share them."""
    return [s for s in stats if not s["name"]["name"].endswith("_runtime")]


def comparable(run_dir: Path) -> dict[str, Any]:
    """A run's outputs, minus what is measured rather than computed (times)."""
    load = lambda name: json.loads((run_dir / name).read_text())  # noqa: E731
    return {
        "run_spec": load("run_spec.json"),
        "scenario": load("scenario.json"),
        "scenario_state": _without(load("scenario_state.json"), TIMING),
        "stats": _no_runtime(load("stats.json")),
        "per_instance_stats": [
            {**one, "stats": _no_runtime(one["stats"])} for one in load("per_instance_stats.json")
        ],
    }


def same(a: Any, b: Any, rel: float) -> bool:
    """Equal, except that floats need only agree to `rel` (relative) when `rel` > 0."""
    if isinstance(a, float) and isinstance(b, float) and rel:
        return math.isclose(a, b, rel_tol=rel, abs_tol=rel)
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(same(a[k], b[k], rel) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(same(x, y, rel) for x, y in zip(a, b, strict=True))
    return bool(a == b)


def assert_same_runs(expected_suite: Path, actual_suite: Path, float_rel: float = 0.0) -> list[str]:
    names = sorted(p.name for p in expected_suite.iterdir())
    assert names, expected_suite
    assert sorted(p.name for p in actual_suite.iterdir()) == names
    for name in names:
        expected, actual = comparable(expected_suite / name), comparable(actual_suite / name)
        for part in expected:
            assert same(actual[part], expected[part], float_rel), f"{name}: {part} differs"
    return names


def cache_status(stderr: str) -> str:
    """The `<cache>: N queries, M computes` part of helm-run's summary line."""
    return next(line for line in stderr.splitlines() if "queries," in line).split(": ", 1)[1]


def error_lines(stderr: str) -> list[str]:
    """helm-run's error lines (log lines aside); a traceback would fail the caller's check."""
    assert "Traceback" not in stderr, stderr
    return [line for line in stderr.splitlines() if line.startswith("helm-run: error:")]


def completions(suite: Path) -> list[list[dict[str, Any]]]:
    return [
        s["result"]["completions"]
        for run in sorted(suite.iterdir())
        for s in json.loads((run / "scenario_state.json").read_text())["request_states"]
    ]


# --- tests ---------------------------------------------------------------------------------------
@pytest.mark.slow
def test_quickstart_on_ray_writes_what_the_local_executor_writes(tmp_path: Path, ray_address: str) -> None:
    common = ["--conf-paths", "run_specs/quickstart.conf", "--models-to-run", "simple/model1", "-m", "10"]
    local = run_cli(
        *common, "--suite", "r", "-o", str(tmp_path / "local"), "--local-path", str(tmp_path / "l")
    )
    assert local.returncode == 0, local.stderr
    on_ray = run_cli(
        *common,
        *("--suite", "r", "-o", str(tmp_path / "ray"), "--local-path", str(tmp_path / "r")),
        *("--executor", "ray", "--ray-address", ray_address),
    )
    assert on_ray.returncode == 0, on_ray.stderr

    names = assert_same_runs(tmp_path / "local/runs/r", tmp_path / "ray/runs/r")
    assert len(names) == 9
    # Runs in flight together still ask for a shared request once (the calibrated and the original
    # multiple-choice runs share theirs): the cache saw the same lookups and the same computes.
    assert cache_status(on_ray.stderr) == cache_status(local.stderr)


@pytest.mark.slow
def test_smollm2_on_one_and_two_replicas_matches_the_local_run(
    tmp_path: Path, ray_address: str, smollm2_path: str
) -> None:
    entry = ["-r", f"user_data:path=examples/user_data/arithmetic.csv,model={SMOL}", "-m", "6"]
    ray_flags = ["--executor", "ray", "--ray-address", ray_address]
    # A replica with one CPU computes with one torch thread (Ray sets OMP_NUM_THREADS); so does the
    # local run, since the number of threads changes the order of float sums, hence the last bits.
    setups = {
        "local": ("", [], {"OMP_NUM_THREADS": "1"}),
        "ray1": ("scaling_config: {num_workers: 1}", ray_flags, {}),
        "ray2": ("scaling_config: {num_workers: 2}", ray_flags, {}),
    }
    for name, (scaling, flags, env_vars) in setups.items():
        env = write_deployments(tmp_path / f"env_{name}", smollm2_deployment("    " + scaling))
        args = [*entry, "--suite", "s", "-o", str(tmp_path / name), "--local-path", str(env), *flags]
        result = run_cli(*args, **env_vars)
        assert result.returncode == 0, result.stderr

    # Three batches of two greedy requests: the same answers however many replicas computed them.
    # Texts, tokens and scores must be equal; log probabilities may differ in the last float32 bits
    # (measured up to ~1e-6 relative), because a replica's process may run torch with other kernels or
    # thread settings than the local one, which changes the order of float additions.
    assert_same_runs(tmp_path / "local/runs/s", tmp_path / "ray1/runs/s", float_rel=1e-5)
    assert_same_runs(tmp_path / "local/runs/s", tmp_path / "ray2/runs/s", float_rel=1e-5)
    answers = completions(tmp_path / "ray2/runs/s")
    assert len(answers) == 6 and any(c[0]["text"].strip() for c in answers)
    states = json.loads(
        next((tmp_path / "ray2/runs/s").iterdir()).joinpath("scenario_state.json").read_text()
    )
    assert [s["result"]["batch_size"] for s in states["request_states"]] == [2] * 6


@pytest.mark.slow
def test_a_replica_killed_mid_run_changes_nothing_and_answers_are_never_recomputed(
    tmp_path: Path, ray_address: str
) -> None:
    # The local reference run (its own cache and log).
    local_env = write_deployments(tmp_path / "env_local", counting_deployment(tmp_path / "local.log", 0, 1))
    common = ["-r", COUNTING_ENTRY, "--suite", "k", "-m", "40"]
    local = run_cli(*common, "-o", str(tmp_path / "local"), "--local-path", str(local_env), cwd=HERE)
    assert local.returncode == 0, local.stderr
    keys = {e["key"] for e in read_log(str(tmp_path / "local.log"))}
    assert len(keys) == 40

    # On Ray: two replicas, 10 batches of 4 at 0.5 s each; kill one once the driver has an answer.
    log = tmp_path / "ray.log"
    ray_env = write_deployments(tmp_path / "env_ray", counting_deployment(log, 0.5, 2))
    ray_args = [*common, "-o", str(tmp_path / "ray"), "--local-path", str(ray_env)]
    ray_args += ["--executor", "ray", "--ray-address", ray_address]
    env = {**os.environ, "PYTHONUNBUFFERED": "1", "RAY_USAGE_STATS_ENABLED": "0"}
    proc = subprocess.Popen(helm_run_argv(*ray_args), cwd=HERE, env=env, stderr=subprocess.PIPE, text=True)
    cache = ray_env / "cache" / "counting.sqlite"
    try:
        deadline = time.monotonic() + 120
        while not stored_keys(cache):  # wait until the driver has received (and stored) a batch
            assert proc.poll() is None and time.monotonic() < deadline, "no batch was answered"
            time.sleep(0.01)
        victim = read_log(str(log))[-1]["pid"]  # a replica with batches still to do (10 in all)
        os.kill(victim, signal.SIGKILL)
        # Everything the driver had received by now is in its cache (it is the only writer).
        received = stored_keys(cache)
        _, stderr = proc.communicate(timeout=240)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, stderr

    assert_same_runs(tmp_path / "local/runs/k", tmp_path / "ray/runs/k")
    entries = read_log(str(log))
    assert {e["key"] for e in entries} == keys
    computed = Counter(e["key"] for e in entries)
    assert received and all(computed[key] == 1 for key in received), "a received answer was computed again"
    assert len({e["pid"] for e in entries}) == 3  # two replicas, and the killed one restarted
    assert len(entries) <= 40 + 2 * 4  # at most the killed replica's two batches in flight, again

    # Across restarts too: a second run on the same cache sends nothing to the cluster.
    again = run_cli(*ray_args[:-4], "-o", str(tmp_path / "again"), *ray_args[-4:], cwd=HERE)
    assert again.returncode == 0, again.stderr
    assert len(read_log(str(log))) == len(entries)
    assert cache_status(again.stderr) == "40 queries, 0 computes"


def stored_keys(cache: Path) -> set[str]:
    """The cache keys stored so far in a cache file that another process is writing."""
    if not cache.exists():
        return set()
    try:
        with sqlite3.connect(f"file:{cache}?mode=ro", uri=True) as db:
            return {row[0] for row in db.execute('SELECT key FROM "unnamed"')}
    except sqlite3.OperationalError:  # the table is not created yet
        return set()


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.mark.parametrize(
    ("address", "message"),
    [
        ("127.0.0.1:{port}", "--ray-address 127.0.0.1:{port}: no Ray cluster answers there"),
        ("ray://127.0.0.1:{port}", "--ray-address ray://127.0.0.1:{port}: no Ray cluster answers there"),
        ("somewhere", "--ray-address somewhere: expected auto, HOST:PORT or ray://HOST:PORT"),
    ],
)
def test_an_unreachable_ray_address_is_a_one_line_error(
    helm_run, tmp_path: Path, address: str, message: str
) -> None:
    port = _closed_port()
    started = time.monotonic()
    result = helm_run(
        "-r", "synthetic_reasoning:mode=pattern_match,model=simple/model1", "-m", "2",
        "--executor", "ray", "--ray-address", address.format(port=port),
    )  # fmt: skip
    assert result.returncode == 2
    errors = error_lines(result.stderr)
    assert len(errors) == 1 and errors[0].startswith(f"helm-run: error: {message.format(port=port)}"), errors
    assert time.monotonic() - started < 30
    assert not (tmp_path / "benchmark_output" / "runs").exists()


def test_a_bad_scaling_config_stops_before_any_run(helm_run, tmp_path: Path) -> None:
    local = write_deployments(tmp_path / "prod_env", counting_deployment(tmp_path / "log", 0, 0))
    result = run_cli(
        *("-r", COUNTING_ENTRY, "-m", "2", "-o", str(tmp_path / "out"), "--local-path", str(local)),
        *("--executor", "ray"),
        cwd=HERE,
    )
    assert result.returncode == 2
    assert error_lines(result.stderr) == [
        f"helm-run: error: {local / 'model_deployments.yaml'}: entry 'counting/model1': "
        "field 'scaling_config.num_workers': must be at least 1, got 0"
    ]
    assert not (tmp_path / "log").exists() and not (tmp_path / "out" / "runs").exists()


def test_ray_address_without_the_ray_executor_is_an_error(helm_run) -> None:
    result = helm_run("-r", COUNTING_ENTRY, "-m", "2", "--ray-address", "auto")
    assert result.returncode == 2
    assert error_lines(result.stderr) == ["helm-run: error: --ray-address needs --executor ray"]


def test_missing_ray_names_the_flag_and_the_extra(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from helm_lite.cli.run import main

    monkeypatch.chdir(tmp_path)
    monkeypatch.setitem(sys.modules, "ray", None)  # `import ray` now raises ImportError
    with pytest.raises(SystemExit) as exit_info:
        main(
            [
                "-r",
                "synthetic_reasoning:mode=pattern_match,model=simple/model1",
                "-m",
                "2",
                "--executor",
                "ray",
            ]
        )
    assert exit_info.value.code == 2
    assert capsys.readouterr().err.strip().splitlines()[-1] == (
        "helm-run: error: --executor ray needs Ray, which is not installed: pip install 'helm-lite[ray]'"
    )


@pytest.mark.slow
def test_a_deployment_the_local_cluster_cannot_hold_is_an_error(tmp_path: Path, ray_address: str) -> None:
    from helm_lite.common.cache import CacheManager
    from helm_lite.common.errors import UserError
    from helm_lite.executors.ray_executor import RayExecutor
    from helm_lite.registry.loader import load_registry
    from helm_lite.services import Services

    local = write_deployments(tmp_path / "prod_env", counting_deployment(tmp_path / "log", 0, 3))
    services = Services(load_registry(local), CacheManager(str(tmp_path / "cache")))
    executor = RayExecutor()  # no address: the cluster of this process, which cannot grow
    with pytest.raises(
        UserError, match=r"counting/model1: its scaling_config needs CPU=3; the cluster has CPU=2"
    ):
        executor.start(services, ["counting/model1"])
    executor.close()
    assert ray.is_initialized()  # the executor leaves a cluster it did not start alone


@pytest.mark.slow
def test_a_batch_the_replica_cannot_answer_fails_the_run_like_locally(
    tmp_path: Path, ray_address: str
) -> None:
    # The replica's client raises (its log directory does not exist): every request fails.
    local = write_deployments(tmp_path / "prod_env", counting_deployment(tmp_path / "no" / "log", 0, 1))
    result = run_cli(
        *("-r", COUNTING_ENTRY, "-m", "8", "-o", str(tmp_path / "out"), "--local-path", str(local)),
        *("--executor", "ray", "--ray-address", ray_address),
        cwd=HERE,
    )
    assert result.returncode == 1
    assert "8 of 8 requests to counting/model1 failed (first error: FileNotFoundError" in result.stderr
    assert "answers received so far are cached, rerun to retry" in result.stderr
    assert "helm-run: error: Failed runs: [" in result.stderr
