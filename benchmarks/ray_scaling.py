"""Wall time of one suite through the local executor and through Ray with 1 and 2 engine replicas.

    python benchmarks/ray_scaling.py [--instances 12] [--batch-size 4] [--data-mirror DIR]

The suite (synthetic_reasoning pattern_match + MMLU anatomy on the bundled SmolLM2, HuggingFace
client) runs as `helm-run` subprocesses, each with a fresh `--local-path` (a cold request cache):

  local       the default executor: this process computes, torch on every core;
  local 1t    the same with one torch thread (OMP_NUM_THREADS=1);
  ray x1      one replica with one CPU (Ray gives it one torch thread): vs `local 1t`, Ray's overhead;
  ray x2      two replicas with one CPU each: vs `ray x1`, what data parallelism gains.

The Ray runs join one local cluster started here first (like `ray start --head`); its start time is
reported on its own, since a cluster outlives many helm-run calls. Batches are `--batch-size` so a
run has several batches to spread. Prints wall times, the time the runs themselves took (from
run_info.json), the overhead Ray adds over the local run, and whether the answers agree.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
MODEL = "huggingfacetb/smollm2-135m-instruct"
ENTRIES = [f"synthetic_reasoning:mode=pattern_match,model={MODEL}", f"mmlu:subject=anatomy,model={MODEL}"]


def deployment_yaml(batch_size: int, scaling: str) -> str:
    """The shipped HuggingFace SmolLM2 entry with `batch_size` and a `scaling_config` (or none)."""
    return textwrap.dedent(
        f"""\
        model_deployments:
          - name: huggingface/smollm2-135m-instruct
            model_name: {MODEL}
            tokenizer_name: {MODEL}
            max_sequence_length: 8192
            chat_template: tokenizer
            client_spec:
              class_name: helm.clients.huggingface_client.HuggingFaceClient
              args:
                pretrained_model_name_or_path: bundled/smollm2-135m-instruct
                max_batch_size: {batch_size}
        """
    ) + (f"    scaling_config: {scaling}\n" if scaling else "")


def run_suite(
    workdir: Path,
    name: str,
    args: argparse.Namespace,
    scaling: str,
    extra: list[str],
    env: dict | None = None,
) -> dict:
    local_path = workdir / f"env_{name}"
    local_path.mkdir(parents=True)
    (local_path / "model_deployments.yaml").write_text(deployment_yaml(args.batch_size, scaling))
    out = workdir / f"out_{name}"
    argv = [sys.executable, "-m", "helm_lite.cli.run", "--no-progress", "-r", *ENTRIES]
    argv += ["-m", str(args.instances), "--suite", "bench", "-o", str(out), "--local-path", str(local_path)]
    if args.data_mirror:
        argv += ["--data-mirror", args.data_mirror]
    started = time.perf_counter()
    proc = subprocess.run(
        argv + extra, cwd=REPO, capture_output=True, text=True, env={**os.environ, **(env or {})}
    )
    wall = time.perf_counter() - started
    if proc.returncode != 0:
        sys.exit(f"{name} failed:\n{proc.stderr[-3000:]}")
    runs = sorted((out / "runs" / "bench").iterdir())
    infos = [json.loads((r / "run_info.json").read_text()) for r in runs]
    first = min(i["started_at"] for i in infos)
    last = max(i["started_at"] + i["wall_time_s"] for i in infos)
    texts = [
        [c["text"] for c in s["result"]["completions"]]
        for r in runs
        for s in json.loads((r / "scenario_state.json").read_text())["request_states"]
    ]
    return {"wall": wall, "runs": last - first, "requests": len(texts), "texts": texts}


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--instances", type=int, default=12, help="eval instances per run")
    parser.add_argument("--batch-size", type=int, default=4, help="max_batch_size of the deployment")
    default_mirror = REPO.parent / "shared" / "data" / "scenarios"
    parser.add_argument(
        "--data-mirror",
        default=os.environ.get("HELM_LITE_DATA_MIRROR")
        or (str(default_mirror) if default_mirror.is_dir() else None),
        help="scenario data mirror (MMLU is not downloaded here)",
    )
    args = parser.parse_args()
    cores = os.cpu_count() or 1
    os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")

    import ray

    with tempfile.TemporaryDirectory(prefix="ray_scaling_") as tmp:
        workdir = Path(tmp)
        results = {"local": run_suite(workdir, "local", args, "", [])}
        results["local 1t"] = run_suite(workdir, "local1t", args, "", [], {"OMP_NUM_THREADS": "1"})

        started = time.perf_counter()
        ray.init(num_cpus=cores, include_dashboard=False, logging_level="WARNING", log_to_driver=False)
        cluster_start = time.perf_counter() - started
        address = ray.get_runtime_context().gcs_address
        flags = ["--executor", "ray", "--ray-address", address]
        try:
            results["ray x1"] = run_suite(workdir, "ray1", args, "{num_workers: 1}", flags)
            results["ray x2"] = run_suite(workdir, "ray2", args, "{num_workers: 2}", flags)
        finally:
            ray.shutdown()

    local = results["local"]
    print(f"{len(ENTRIES)} runs, {local['requests']} requests, batches of {args.batch_size}, {cores} cores")
    print(f"{'executor':<10} {'wall s':>8} {'runs s':>8} {'vs local':>9}  same answers as local")
    for name, r in results.items():
        ratio = r["wall"] / local["wall"]
        print(
            f"{name:<10} {r['wall']:>8.1f} {r['runs']:>8.0f} {ratio:>8.2f}x  {r['texts'] == local['texts']}"
        )
    print(f"Ray cluster start (once, not in the rows above): {cluster_start:.1f} s")
    overhead = results["ray x1"]["wall"] - results["local 1t"]["wall"]
    print(f"Overhead Ray adds to this suite (ray x1 - local 1t): {overhead:+.1f} s")
    print(f"Two replicas vs one: {results['ray x1']['wall'] / results['ray x2']['wall']:.2f}x faster")


if __name__ == "__main__":
    main()
