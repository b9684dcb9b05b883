"""How long does helm-summarize take on a large suite? Generates one and times the real CLI.

    .venv/bin/python benchmarks/summarize_scale.py [--runs 200] [--models 8] [--instances 50] [--keep DIR]

The synthetic suite looks like a HELM Lite suite written by helm-run: per run a `run_spec.json`, a
`scenario.json`, a `stats.json` with HELM's usual stats for the test split (and valid where Lite uses
it) plus their robustness/fairness copies, and a `scenario_state.json` + `per_instance_stats.json`
with `--instances` evaluated instances (so the per-run display files are part of the timing). Run
groups and main metrics are Lite's (MMLU subjects, LegalBench tasks, MATH subjects, …) plus the
offline ones.
Prints the wall-clock seconds of `helm-summarize --suite bench` (one process, start-up included).
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from typing import Any

# (run-name prefix, scenario args, groups, accuracy metrics, method, splits); expanded until --runs.
MMLU = ["abstract_algebra", "college_chemistry", "computer_security", "econometrics", "us_foreign_policy"]
LEGAL = [
    "abercrombie",
    "corporate_lobbying",
    "function_of_decision_section",
    "proa",
    "international_citizenship",
]
MATH = [
    "algebra",
    "counting_and_probability",
    "geometry",
    "intermediate_algebra",
    "number_theory",
    "prealgebra",
]
GENERATION_METRICS = ["exact_match", "quasi_exact_match", "prefix_exact_match", "quasi_prefix_exact_match"]
SCENARIOS: list[tuple[str, dict[str, Any], list[str], list[str], str, list[str]]] = [
    *[
        ("mmlu", {"subject": s}, ["mmlu"], GENERATION_METRICS, "multiple_choice_joint", ["test"])
        for s in MMLU
    ],
    *[
        ("legalbench", {"subset": s}, ["legalbench"], GENERATION_METRICS, "generation", ["test"])
        for s in LEGAL
    ],
    *[
        (
            "math",
            {"subject": s, "level": 1, "use_chain_of_thought": True},
            ["math_chain_of_thought"],
            ["math_equiv_chain_of_thought"],
            "generation",
            ["test"],
        )
        for s in MATH
    ],
    ("gsm", {}, ["gsm"], ["exact_match", "final_number_exact_match"], "generation", ["test"]),
    (
        "narrative_qa",
        {},
        ["narrative_qa"],
        ["exact_match", "quasi_exact_match", "f1_score"],
        "generation",
        ["test"],
    ),
    (
        "natural_qa",
        {"mode": "closedbook"},
        ["natural_qa_closedbook"],
        ["exact_match", "f1_score"],
        "generation",
        ["valid"],
    ),
    (
        "commonsense",
        {"dataset": "openbookqa"},
        ["openbookqa"],
        GENERATION_METRICS,
        "multiple_choice_joint",
        ["test"],
    ),
    ("med_qa", {}, ["med_qa"], GENERATION_METRICS, "multiple_choice_joint", ["test"]),
    ("wmt_14", {"language_pair": "de-en"}, ["wmt_14"], ["bleu_4"], "generation", ["test"]),
    *[
        (
            "synthetic_reasoning",
            {"mode": m},
            ["synthetic_reasoning", f"synthetic_reasoning_{m}"],
            GENERATION_METRICS,
            "generation",
            ["test", "valid"],
        )
        for m in ("pattern_match", "variable_substitution", "induction")
    ],
    (
        "dyck_language_np=3",
        {"num_parenthesis_pairs": 3},
        ["dyck_language"],
        ["exact_match_indicator"],
        "generation",
        ["test"],
    ),
]
GENERAL = [
    "num_references", "num_train_trials", "num_prompt_tokens", "num_completion_tokens", "num_output_tokens",
    "training_co2_cost", "training_energy_cost", "inference_runtime", "batch_size", "finish_reason_length",
    "finish_reason_stop", "finish_reason_endoftext", "finish_reason_unknown", "num_train_instances",
    "prompt_truncated", "max_prob",
]  # fmt: skip
LANGUAGE_MODELLING = ["logprob", "num_perplexity_tokens", "num_bytes", "perplexity", "bits_per_byte"]
WORST = [
    {"name": "robustness", "robustness": True, "fairness": False, "computed_on": "worst"},
    {"name": "fairness", "robustness": False, "fairness": True, "computed_on": "worst"},
]


def stat(name: dict[str, Any], value: float, count: int = 1) -> dict[str, Any]:
    if count == 0:
        return {"name": name, "count": 0, "sum": 0, "sum_squared": 0}
    return {
        "name": name,
        "count": count,
        "sum": value * count,
        "sum_squared": value * value * count,
        "min": value,
        "max": value,
        "mean": value,
        "variance": 0.0,
        "stddev": 0.0,
    }


def run_stats(rng: random.Random, skill: float, metrics: list[str], splits: list[str], n: int) -> list[Any]:
    out: list[Any] = []
    names = GENERAL + metrics + LANGUAGE_MODELLING
    for split in splits:
        for metric in names:
            if metric.startswith("training_"):
                out.append(stat({"name": metric, "split": split}, 0.0, count=0))
            else:
                out.append(stat({"name": metric, "split": split}, round(rng.random() * skill, 6)))
    for split in splits:
        for metric in names:
            if metric.startswith("training_"):
                continue
            for pert in WORST:
                out.append(stat({"name": metric, "split": split, "perturbation": pert}, rng.random() * skill))
    out += [stat({"name": "num_instances", "split": s}, float(n)) for s in splits]
    return out


def scenario_state(rng: random.Random, model: str, method: str, n: int, split: str) -> Any:
    states = []
    for i in range(n):
        question = " ".join(rng.choice(["alpha", "beta", "gamma", "delta", "omega"]) for _ in range(40))
        instance = {
            "input": {"text": question},
            "references": [
                {"output": {"text": "beta"}, "tags": ["correct"]},
                {"output": {"text": "x"}, "tags": []},
            ],
            "split": split,
            "id": f"id{i}",
        }
        states.append(
            {
                "instance": instance,
                "train_trial_index": 0,
                "request": {
                    "model_deployment": model,
                    "model": model,
                    "embedding": False,
                    "prompt": f"Question: {question}\nAnswer:" * 3,
                    "temperature": 0.0,
                    "num_completions": 1,
                    "max_tokens": 5,
                    "stop_sequences": ["\n"],
                },
                "result": {
                    "success": True,
                    "embedding": [],
                    "completions": [{"text": " beta", "logprob": -0.5, "tokens": []}],
                    "cached": True,
                },
                "num_train_instances": 5,
                "prompt_truncated": False,
            }
        )
    return {"adapter_spec": {"method": method, "model": model}, "request_states": states}


def per_instance_stats(rng: random.Random, metrics: list[str], n: int, split: str) -> Any:
    names = ["num_prompt_tokens", "num_output_tokens", "inference_runtime", "num_train_instances", *metrics]
    return [
        {
            "instance_id": f"id{i}",
            "train_trial_index": 0,
            "stats": [stat({"name": m, "split": split}, float(rng.random() > 0.5)) for m in names],
        }
        for i in range(n)
    ]


def write(path: str, obj: Any) -> None:
    with open(path, "w", encoding="utf-8") as f:
        json.dump(obj, f, indent=2)


def generate(root: str, num_runs: int, num_models: int, num_instances: int) -> None:
    rng = random.Random(0)
    models = [f"bench/model-{k}" for k in range(num_models)]
    os.makedirs(os.path.join(root, "prod_env"), exist_ok=True)
    with open(os.path.join(root, "prod_env", "model_metadata.yaml"), "w") as f:
        f.write("models:\n")
        for k, model in enumerate(models):
            f.write(
                f"  - name: {model}\n    display_name: Bench Model {k}\n    description: Synthetic.\n"
                "    creator_organization_name: Bench\n    access: open\n    release_date: 2025-01-01\n"
            )
    suite = os.path.join(root, "benchmark_output", "runs", "bench")
    made = 0
    for round_index in itertools.count():
        # Beyond one pass over the scenarios, runs differ by a seed argument (as repeated draws would).
        tag = f",seed={round_index}" if round_index else ""
        for prefix, args, groups, metrics, method, splits in SCENARIOS:
            for k, model in enumerate(models):
                if made >= num_runs:
                    return
                arg_text = "".join(f"{a}={v}," for a, v in args.items())
                name = f"{prefix}:{arg_text}model={model.replace('/', '_')}{tag}"
                run_dir = os.path.join(suite, name)
                os.makedirs(run_dir, exist_ok=True)
                skill = 0.4 + 0.6 * (k + 1) / len(models)
                split = splits[0]
                run_spec = {
                    "name": name,
                    "scenario_spec": {
                        "class_name": f"helm.benchmark.scenarios.{prefix}.Scenario",
                        "args": args,
                    },
                    "adapter_spec": {"method": method, "model_deployment": model, "model": model},
                    "metric_specs": [],
                    "groups": groups,
                }
                write(
                    os.path.join(run_dir, "stats.json"), run_stats(rng, skill, metrics, splits, num_instances)
                )
                write(
                    os.path.join(run_dir, "scenario_state.json"),
                    scenario_state(rng, model, method, num_instances, split),
                )
                write(
                    os.path.join(run_dir, "per_instance_stats.json"),
                    per_instance_stats(rng, metrics, num_instances, split),
                )
                write(os.path.join(run_dir, "scenario.json"), {"name": prefix, "tags": []})
                write(os.path.join(run_dir, "run_spec.json"), run_spec)
                made += 1


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--runs", type=int, default=200)
    p.add_argument("--models", type=int, default=8)
    p.add_argument("--instances", type=int, default=50)
    p.add_argument("--keep", default=None, help="generate into this directory and keep it")
    args = p.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = args.keep or tmp
        started = time.perf_counter()
        generate(root, args.runs, args.models, args.instances)
        print(f"generated {args.runs} runs ({args.models} models) in {time.perf_counter() - started:.1f} s")
        started = time.perf_counter()
        proc = subprocess.run(
            [sys.executable, "-m", "helm_lite.cli.summarize", "--suite", "bench"],
            cwd=root,
            capture_output=True,
            text=True,
        )
        seconds = time.perf_counter() - started
        if proc.returncode != 0:
            print(proc.stderr, file=sys.stderr)
            return proc.returncode
        print(f"helm-summarize on {args.runs} runs: {seconds:.2f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
