"""helm_lite against crfm-helm, side by side: the same work through both, alternating, whole processes.

    python3 -m venv /tmp/helm-venv && /tmp/helm-venv/bin/pip install crfm-helm==0.5.16
    .venv/bin/python benchmarks/vs_helm.py --helm-venv /tmp/helm-venv [--reps 3] [--parts a,b,c,d]
                                          [--sizes 1000,10000] [--smollm-n 50] [--keep DIR]

Parts (each timed as a whole process: start-up, imports, work, exit):

a. ``helm-run --help``.
b. ``synthetic_reasoning:mode=pattern_match,model=simple/model1`` at each ``--sizes`` N, cold (fresh
   local path, cache and output folder) and cached (same again, answers from the cache), with peak RSS
   (``resource.getrusage(RUSAGE_CHILDREN)`` of a fresh wrapper process per run).
c. ``helm-summarize`` on the 1-run suite of part b, at each size (only the smallest when part b is
   not asked for); HELM gets its packaged ``schema_lite.yaml``.
d. The bundled SmolLM2-135M-Instruct (float32, CPU) on synthetic_reasoning pattern_match, ``--smollm-n``
   instances, cold and cached. HELM gets the same de-quantised folder through a ``prod_env``
   ``model_deployments.yaml`` (``HuggingFaceClient``, ``torch_dtype: torch.float32``) and runs offline
   (``HF_HUB_OFFLINE=1``).

Before any figure counts, the prompts of both tools' ``scenario_state.json`` are compared (same
requests, same order); a mismatch stops the benchmark. Prints medians, min–max and the ratio
helm_lite/HELM of the medians. Without ``--helm-venv`` only helm_lite is measured.
"""

from __future__ import annotations

import argparse
import glob
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field

HERE = os.path.dirname(os.path.abspath(__file__))
LITE_BIN = os.path.join(os.path.dirname(sys.executable))
ENTRY = "synthetic_reasoning:mode=pattern_match,model={model}"
LITE_SMOLLM = "huggingfacetb/smollm2-135m-instruct"
HELM_SMOLLM = "local/smollm2-135m-instruct"

# Runs a command and prints its wall time and peak RSS (of the command and its children) as JSON.
_WRAPPER = r"""
import json, resource, subprocess, sys, time
t = time.perf_counter()
rc = subprocess.call(sys.argv[2:], stdout=subprocess.DEVNULL, stderr=open(sys.argv[1], "w"))
wall = time.perf_counter() - t
rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
print(json.dumps({"rc": rc, "wall": wall, "rss_kb": rss}))
"""


@dataclass
class Row:
    label: str
    lite: list[float] = field(default_factory=list)
    helm: list[float] = field(default_factory=list)
    lite_rss: list[int] = field(default_factory=list)
    helm_rss: list[int] = field(default_factory=list)


def timed(cmd: list[str], cwd: str, env: dict[str, str] | None = None) -> tuple[float, int]:
    """(wall seconds, peak RSS in KB) of one whole-process run; fails loudly on a non-zero exit."""
    log = os.path.join(cwd, "last.log")
    out = subprocess.run(
        [sys.executable, "-c", _WRAPPER, log, *cmd],
        cwd=cwd,
        env={**os.environ, **(env or {})},
        capture_output=True,
        text=True,
        check=True,
    )
    res = json.loads(out.stdout.strip().splitlines()[-1])
    if res["rc"] != 0:
        with open(log) as f:
            tail = f.read()[-3000:]
        raise SystemExit(f"command failed ({res['rc']}): {' '.join(cmd)}\n{tail}")
    return res["wall"], res["rss_kb"]


class Tool:
    def __init__(self, name: str, bin_dir: str, work: str) -> None:
        self.name = name
        self.bin_dir = bin_dir
        self.work = work
        os.makedirs(work, exist_ok=True)
        self.env = {"HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", "HF_DATASETS_OFFLINE": "1"}

    def exe(self, name: str) -> str:
        return os.path.join(self.bin_dir, name)

    def fresh(self, tag: str, prod_env_files: dict[str, str] | None = None) -> str:
        d = os.path.join(self.work, tag)
        shutil.rmtree(d, ignore_errors=True)
        os.makedirs(os.path.join(d, "prod_env"))
        for name, text in (prod_env_files or {}).items():
            with open(os.path.join(d, "prod_env", name), "w") as f:
                f.write(text)
        return d

    def run(self, cwd: str, model: str, n: int, suite: str) -> tuple[float, int]:
        cmd = [self.exe("helm-run"), "--run-entries", ENTRY.format(model=model), "-m", str(n)]
        cmd += ["--suite", suite]
        if self.name == "helm_lite":
            cmd.append("--no-progress")
        return timed(cmd, cwd, self.env)


def scenario_prompts(cwd: str, suite: str) -> list[str]:
    paths = glob.glob(os.path.join(cwd, "benchmark_output", "runs", suite, "*", "scenario_state.json"))
    if len(paths) != 1:
        raise SystemExit(f"expected one run in {cwd}/benchmark_output/runs/{suite}, found {len(paths)}")
    with open(paths[0]) as f:
        state = json.load(f)
    return [s["request"]["prompt"] for s in state["request_states"]]


def check_parity(lite_dir: str, helm_dir: str | None, suite: str, what: str) -> None:
    if helm_dir is None:
        return
    a, b = scenario_prompts(lite_dir, suite), scenario_prompts(helm_dir, suite)
    if a != b:
        first = next((i for i, (x, y) in enumerate(zip(a, b, strict=False)) if x != y), min(len(a), len(b)))
        raise SystemExit(f"{what}: prompts differ ({len(a)} vs {len(b)} requests; first at #{first})")
    print(f"  parity: {what}: {len(a)} identical prompts", flush=True)


def smollm_helm_env(folder: str) -> dict[str, str]:
    deployments = f"""model_deployments:
  - name: {HELM_SMOLLM}
    model_name: {HELM_SMOLLM}
    tokenizer_name: {HELM_SMOLLM}
    max_sequence_length: 8192
    client_spec:
      class_name: "helm.clients.huggingface_client.HuggingFaceClient"
      args:
        pretrained_model_name_or_path: {folder}
        torch_dtype: torch.float32
"""
    tokenizers = f"""tokenizer_configs:
  - name: {HELM_SMOLLM}
    tokenizer_spec:
      class_name: "helm.tokenizers.huggingface_tokenizer.HuggingFaceTokenizer"
      args:
        pretrained_model_name_or_path: {folder}
    end_of_text_token: "<|im_end|>"
    prefix_token: "<|im_start|>"
"""
    return {"model_deployments.yaml": deployments, "tokenizer_configs.yaml": tokenizers}


# The targets, as (time ratio, RSS ratio) ceilings by row label prefix; rows not listed have none.
TARGETS: dict[str, tuple[float, float | None]] = {
    "(a) ": (0.3, None),
    "(b) simple N=10000 ": (0.1, 0.3),
    "(c) ": (0.15, None),
    "(d) SmolLM2 N=50 cold": (0.3, None),
    "(d) SmolLM2 N=50 cached": (0.15, None),
}


def target_cell(row: Row) -> str:
    """'≤ 0.3 ✓' (or ✗) for the time ratio, plus the RSS ceiling where one is set."""
    limits = next((v for k, v in TARGETS.items() if row.label.startswith(k)), None)
    if limits is None or not (row.lite and row.helm):
        return "–"
    time_limit, rss_limit = limits
    ok = statistics.median(row.lite) / statistics.median(row.helm) <= time_limit
    text = f"≤ {time_limit:g}"
    if rss_limit is not None and row.lite_rss and row.helm_rss:
        ok = ok and statistics.median(row.lite_rss) / statistics.median(row.helm_rss) <= rss_limit
        text += f", RSS ≤ {rss_limit:g}"
    return f"{text} {'✓' if ok else '✗'}"


def fmt_row(row: Row, with_rss: bool) -> list[str]:
    def cell(xs: list[float]) -> str:
        if not xs:
            return "–"
        return f"{statistics.median(xs):.2f} ({min(xs):.2f}–{max(xs):.2f})"

    ratio = "–"
    if row.lite and row.helm:
        ratio = f"{statistics.median(row.lite) / statistics.median(row.helm):.3f}"
    cells = [row.label, cell(row.lite), cell(row.helm), ratio]
    if with_rss:
        lr = statistics.median(row.lite_rss) / 1024 if row.lite_rss else None
        hr = statistics.median(row.helm_rss) / 1024 if row.helm_rss else None
        cells += [
            f"{lr:.0f}" if lr is not None else "–",
            f"{hr:.0f}" if hr is not None else "–",
            f"{lr / hr:.3f}" if lr is not None and hr else "–",
        ]
    return [*cells, target_cell(row)]


def print_table(rows: list[Row]) -> None:
    header = ["what", "helm_lite s", "HELM s", "ratio", "lite MB", "HELM MB", "RSS ratio", "target"]
    lines = [header, ["---"] * len(header)] + [fmt_row(r, True) for r in rows]
    print()
    for line in lines:
        print("| " + " | ".join(line) + " |")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--helm-venv", default=None, help="virtual environment holding crfm-helm 0.5.16")
    ap.add_argument("--reps", type=int, default=3, help="repetitions of every measurement")
    ap.add_argument("--parts", default="a,b,c,d", help="comma-separated subset of a,b,c,d")
    ap.add_argument("--sizes", default="1000,10000", help="N for part b")
    ap.add_argument("--smollm-n", type=int, default=50, help="instances for part d")
    ap.add_argument("--keep", default=None, help="work in this folder and keep it")
    args = ap.parse_args()
    parts = set(args.parts.split(","))
    sizes = [int(s) for s in args.sizes.split(",")]
    work = args.keep or tempfile.mkdtemp(prefix="vs_helm-")
    os.makedirs(work, exist_ok=True)
    lite = Tool("helm_lite", LITE_BIN, os.path.join(work, "lite"))
    helm = (
        Tool("HELM", os.path.join(args.helm_venv, "bin"), os.path.join(work, "helm"))
        if args.helm_venv
        else None
    )
    tools = [t for t in (lite, helm) if t is not None]
    rows: list[Row] = []

    def record(row: Row, tool: Tool, wall: float, rss: int) -> None:
        (row.lite if tool is lite else row.helm).append(wall)
        (row.lite_rss if tool is lite else row.helm_rss).append(rss)

    if "a" in parts:
        row = Row("(a) helm-run --help")
        rows.append(row)
        for _ in range(args.reps):
            for t in tools:
                record(row, t, *timed([t.exe("helm-run"), "--help"], t.work))
        print_table(rows)

    summarize_dirs: dict[int, dict[str, str]] = {}  # N -> tool -> folder holding its suite `p`
    if "b" in parts or "c" in parts:
        for n in sizes if "b" in parts else sizes[:1]:
            cold, cached = Row(f"(b) simple N={n} cold"), Row(f"(b) simple N={n} cached")
            rows += [cold, cached]
            for rep in range(args.reps):
                dirs = {}
                for t in tools:
                    d = t.fresh(f"simple-{n}")
                    dirs[t.name] = d
                    record(cold, t, *t.run(d, "simple/model1", n, "p"))
                    record(cached, t, *t.run(d, "simple/model1", n, "p"))
                if rep == 0:
                    check_parity(dirs["helm_lite"], dirs.get("HELM"), "p", f"simple N={n}")
                summarize_dirs[n] = dict(dirs)
            print_table(rows)

    if "c" in parts:
        helm_schema = None
        if helm is not None:
            found = glob.glob(
                os.path.join(
                    args.helm_venv,
                    "lib",
                    "python3*",
                    "site-packages",
                    "helm",
                    "benchmark",
                    "static",
                    "schema_lite.yaml",
                )
            )
            helm_schema = found[0] if found else None
        for n, dirs in summarize_dirs.items():
            row = Row(f"(c) helm-summarize, N={n} suite")
            rows.append(row)
            for _ in range(args.reps):
                for t in tools:
                    cmd = [t.exe("helm-summarize"), "--suite", "p"]
                    if t is helm and helm_schema:
                        cmd += ["--schema-path", helm_schema]
                    record(row, t, *timed(cmd, dirs[t.name], t.env))
            print_table(rows)

    if "d" in parts:
        sys.path.insert(0, os.path.join(os.path.dirname(HERE), "src"))
        from helm_lite.models.bundled import resolve_model_path

        folder = str(resolve_model_path("bundled/smollm2-135m-instruct"))
        cold, cached = (
            Row(f"(d) SmolLM2 N={args.smollm_n} cold"),
            Row(f"(d) SmolLM2 N={args.smollm_n} cached"),
        )
        rows += [cold, cached]
        for rep in range(args.reps):
            dirs = {}
            for t in tools:
                d = t.fresh("smollm", smollm_helm_env(folder) if t is helm else None)
                dirs[t.name] = d
                model = HELM_SMOLLM if t is helm else LITE_SMOLLM
                record(cold, t, *t.run(d, model, args.smollm_n, "s"))
                record(cached, t, *t.run(d, model, args.smollm_n, "s"))
            if rep == 0:
                check_parity(dirs["helm_lite"], dirs.get("HELM"), "s", f"SmolLM2 N={args.smollm_n}")
        print_table(rows)

    if not args.keep:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
