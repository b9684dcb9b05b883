"""Bad input of every kind, as a table: exit status 2, exactly one `helm-run: error:` line that names
the culprit (file, entry or flag), no traceback, no ERROR log line, and nothing written anywhere.

Every row runs in-process through `helm_lite.cli.run.main` (the same code path as the console
script, minus interpreter start-up); the rows marked `sub=True` also run as a real
`python -m helm_lite.cli.run` subprocess.
"""

from __future__ import annotations

import inspect
import logging
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

import pytest

OK = "synthetic_reasoning:mode=pattern_match,model=simple/model1"
DIR = "<directory>"  # a `files` value: make a directory at that path
FIFO = "<fifo>"  # a `files` value: make a named pipe at that path
REPO = Path(__file__).resolve().parents[2]
CAPITALS = (REPO / "examples" / "user_data" / "capitals.jsonl").read_text()
ARITHMETIC = (REPO / "examples" / "user_data" / "arithmetic.csv").read_text()
LONG = "p" * 240
DEPLOYMENTS = "prod_env/model_deployments.yaml"
METADATA = "prod_env/model_metadata.yaml"
TOKENIZERS = "prod_env/tokenizer_configs.yaml"
ERROR_LOG_LINE = re.compile(r"^\d\d:\d\d:\d\d ERROR ", re.MULTILINE)


@dataclass(frozen=True)
class Case:
    id: str
    argv: tuple[str, ...]
    fragments: tuple[str, ...]
    files: dict[str, str | bytes] = field(default_factory=dict)
    env: dict[str, str] = field(default_factory=dict)
    sub: bool = False


def row(
    id: str,
    argv: list[str],
    *fragments: str,
    files: dict[str, str | bytes] | None = None,
    env: dict[str, str] | None = None,
    sub: bool = False,
) -> Case:
    return Case(id, tuple(argv), fragments, files or {}, env or {}, sub)


def entry(description: str, *extra: str) -> list[str]:
    return ["-r", description, "-m", "5", *extra]


def deployment(name: str = "acme/m", model: str = "acme/m", extra: str = "", **fields: str) -> str:
    """One deployment in `model_deployments.yaml`, with `fields` replacing the defaults."""
    values = {
        "tokenizer_name": "simple/tokenizer1",
        "max_sequence_length": "100",
        "client_spec": "\n      class_name: helm.clients.simple_client.SimpleClient",
        **fields,
    }
    body = "".join(f"    {k}: {v}\n" for k, v in values.items())
    return f"model_deployments:\n  - name: {name}\n    model_name: {model}\n{body}{extra}"


def conf(text: str) -> dict[str, str | bytes]:
    return {"bad.conf": text}


ACME = "synthetic_reasoning:mode=pattern_match,model=acme/m"

CASES = [
    # --- flags -----------------------------------------------------------------------------------
    row("m_missing", ["-r", OK], "--max-eval-instances"),
    row("m_abc", entry(OK)[:-1] + ["abc"], "--max-eval-instances", "'abc'", sub=True),
    row("m_zero", ["-r", OK, "-m", "0"], "--max-eval-instances", "'0'"),
    row("m_negative", ["-r", OK, "-m", "-5"], "--max-eval-instances", "'-5'"),
    row("t_abc", entry(OK, "-t", "abc"), "--num-train-trials", "'abc'"),
    row("t_zero", entry(OK, "-t", "0"), "--num-train-trials", "'0'"),
    row("n_negative", entry(OK, "--num-threads", "-1"), "--num-threads", "'-1'"),
    row("priority_zero", entry(OK, "--priority", "0"), "--priority", "'0'"),
    row("priority_text", entry(OK, "--priority", "x"), "--priority", "'x'"),
    row("suite_escape", entry(OK, "--suite", "../escape"), "--suite", "../escape"),
    row("suite_empty", entry(OK, "--suite", ""), "--suite"),
    row("suite_dotdot", entry(OK, "--suite", ".."), "--suite", "'..'"),
    row("suite_backslash", entry(OK, "--suite", "a\\b"), "--suite"),
    row("suite_256_bytes", entry(OK, "--suite", "s" * 256), "--suite", "255 bytes", sub=True),
    row("suite_256_utf8_bytes", entry(OK, "--suite", "é" * 128), "--suite", "255 bytes"),
    row("suite_newline", entry(OK, "--suite", "a\nb"), "--suite", "control characters"),
    row("suite_control_char", entry(OK, "--suite", "a\x1bb"), "--suite", "control characters"),
    row("executor_unknown", entry(OK, "--executor", "cloud"), "--executor", "'cloud'"),
    row("ray_address_without_ray", entry(OK, "--ray-address", "auto"), "--ray-address", "--executor ray"),
    row("no_entries", ["-m", "5"], "--conf-paths", "--run-entries"),
    row("unknown_flag", entry(OK, "--bogus"), "--bogus"),
    row(
        "models_to_run_twice",
        entry("synthetic_reasoning:mode=induction", "--models-to-run", "simple/model1", "simple/model1"),
        "--models-to-run",
        "'simple/model1' is given twice",
    ),
    row(
        "models_to_run_unknown",
        entry("synthetic_reasoning:mode=induction,model=text", "--models-to-run", "simple/modle1"),
        "Unknown model 'simple/modle1' passed to --models-to-run",
        "simple/model1",
    ),
    row(
        "models_to_run_empty",
        entry("synthetic_reasoning:mode=induction", "--models-to-run", ""),
        "Unknown model '' passed to --models-to-run",
    ),
    row(
        "data_mirror_file",
        entry(OK, "--data-mirror", "f.txt"),
        "--data-mirror",
        "not a directory",
        files={"f.txt": "x"},
    ),
    row(
        "data_mirror_missing",
        entry(OK, "--data-mirror", "nope"),
        "--data-mirror",
        "no such directory",
        "'nope'",
    ),
    row(
        "data_mirror_env_file",
        entry(OK),
        "$HELM_LITE_DATA_MIRROR",
        "'f.txt'",
        "not a directory",
        files={"f.txt": "x"},
        env={"HELM_LITE_DATA_MIRROR": "f.txt"},
    ),
    # HELM's flags that cannot apply in helm_lite (cli/helm_flags.py), and bad values of HELM's ones.
    row("helm_server_url", entry(OK, "--server-url", "http://x"), "--server-url", "not supported", sub=True),
    row("helm_mongo_uri", entry(OK, "--mongo-uri", "mongodb://h/db"), "--mongo-uri", "SQLite only"),
    row("helm_runner_class", entry(OK, "--runner-class-name", "a.B"), "--runner-class-name", "--plugins"),
    row("helm_cache_instances_only", entry(OK, "--cache-instances-only"), "--cache-instances-only"),
    row("helm_hf_model_no_org", entry(OK, "--enable-huggingface-models", "gpt2"), "'gpt2'", "namespace/"),
    row("helm_hf_model_two_revisions", entry(OK, "--enable-huggingface-models", "a/b@1@2"), "'a/b@1@2'"),
    row(
        "helm_local_hf_model_missing",
        entry(OK, "--enable-local-huggingface-models", "nosuch"),
        "--enable-local-huggingface-models 'nosuch': not a directory",
    ),
    row(
        "helm_local_hf_model_no_config",
        entry(OK, "--enable-local-huggingface-models", "emptymodel"),
        "--enable-local-huggingface-models 'emptymodel'",
        "no tokenizer_config.json or config.json",
        files={"emptymodel": DIR},
    ),
    row(
        "helm_log_config_not_a_mapping",
        entry(OK, "--log-config", "log.yaml"),
        "--log-config 'log.yaml'",
        "expected a mapping",
        files={"log.yaml": "- a list\n"},
    ),
    # --- output and local paths ------------------------------------------------------------------
    row(
        "output_is_file",
        entry(OK, "-o", "f.txt"),
        "--output-path 'f.txt'",
        "not a directory",
        files={"f.txt": "x"},
    ),
    row(
        "output_under_file",
        entry(OK, "-o", "f.txt/sub"),
        "--output-path 'f.txt/sub'",
        "'f.txt' is not a directory",
        files={"f.txt": "x"},
        sub=True,
    ),
    row("output_in_proc", entry(OK, "-o", "/proc/helm-lite-out"), "--output-path", "/proc", sub=True),
    row("output_empty", entry(OK, "-o", ""), "--output-path", "must not be empty"),
    row("output_long_name", entry(OK, "-o", "o" * 256), "--output-path", "longer than 255 bytes"),
    row(
        "suite_folder_is_file",
        entry(OK, "--suite", "s1"),
        "--suite 's1'",
        "'benchmark_output/runs/s1' is not a directory",
        files={"benchmark_output/runs/s1": "x"},
    ),
    row(
        "scenarios_folder_is_file",
        entry(OK),
        "--output-path 'benchmark_output'",
        "'benchmark_output/scenarios' is not a directory",
        files={"benchmark_output/scenarios": "x"},
    ),
    row(
        "local_path_file",
        entry(OK, "--local-path", "f.txt"),
        "--local-path 'f.txt'",
        "not a directory",
        files={"f.txt": "x"},
        sub=True,
    ),
    row(
        "local_path_under_file",
        entry(OK, "--local-path", "f.txt/env"),
        "--local-path 'f.txt/env'",
        "'f.txt' is not a directory",
        files={"f.txt": "x"},
    ),
    row("local_path_in_proc", entry(OK, "--local-path", "/proc/helm-lite-env"), "--local-path", "/proc"),
    row(
        "local_cache_is_file",
        entry(OK),
        "--local-path 'prod_env'",
        "'prod_env/cache' is not a directory",
        files={"prod_env/cache": "x"},
    ),
    row(
        "local_path_file_without_cache",
        entry(OK, "--local-path", "f.txt", "--disable-cache"),
        "--local-path 'f.txt'",
        "not a directory",
        files={"f.txt": "x"},
    ),
    row("local_path_empty", entry(OK, "--local-path", ""), "--local-path", "must not be empty"),
    # --- run entries -----------------------------------------------------------------------------
    row(
        "entry_no_equals",
        entry("synthetic_reasoning:mode,model=simple/model1"),
        "Expected <key>=<value>, got 'mode'",
    ),
    row("entry_empty", entry(""), "run entry ''", "missing run spec name"),
    row("entry_trailing_colon", entry("synthetic_reasoning:"), "run entry 'synthetic_reasoning:'", "got ''"),
    row(
        "entry_key_twice",
        entry("synthetic_reasoning:mode=pattern_match,mode=induction,model=simple/model1"),
        "run entry 'synthetic_reasoning:mode=pattern_match,mode=induction,model=simple/model1'",
        "key 'mode' is given twice",
        sub=True,
    ),
    row("entry_model_twice", entry(OK + ",model=simple/model2"), "key 'model' is given twice"),
    row(
        "unknown_run_spec",
        entry("synthetic_reasonin:mode=induction,model=simple/model1"),
        "Unknown run spec name: synthetic_reasonin",
        "synthetic_reasoning",
    ),
    row("unknown_argument", entry(OK + ",bogus=1"), "unknown argument 'bogus' for synthetic_reasoning"),
    row(
        "missing_argument",
        entry("user_data:model=simple/model1"),
        "run entry 'user_data:model=simple/model1'",
        "'path'",
    ),
    row(
        "dyck_not_an_integer",
        entry("dyck_language:num_parenthesis_pairs=abc,model=simple/model1"),
        "run entry 'dyck_language:num_parenthesis_pairs=abc,model=simple/model1'",
        "num_parenthesis_pairs=abc: expected an integer",
        sub=True,
    ),
    row(
        "dyck_fraction",
        entry("dyck_language:num_parenthesis_pairs=2.5,model=simple/model1"),
        "num_parenthesis_pairs=2.5: expected an integer",
    ),
    row(
        "dyck_out_of_range",
        entry("dyck_language:num_parenthesis_pairs=7,model=simple/model1"),
        "dyck_language_np=7",
        "between 1 and 4",
    ),
    row(
        "user_data_max_tokens_text",
        entry("user_data:path=a.csv,max_tokens=abc,model=simple/model1"),
        "run entry 'user_data:path=a.csv,max_tokens=abc,model=simple/model1'",
        "max_tokens=abc: expected an integer",
        files={"a.csv": ARITHMETIC},
    ),
    row(
        "user_data_max_tokens_negative",
        entry("user_data:path=a.csv,max_tokens=-1,model=simple/model1"),
        "run entry 'user_data:path=a.csv,max_tokens=-1,model=simple/model1'",
        "max_tokens=-1: must be at least 0",
        files={"a.csv": ARITHMETIC},
        sub=True,
    ),
    row(
        "max_train_instances_negative",
        entry(OK + ",max_train_instances=-1"),
        "max_train_instances=-1: must be at least 0",
    ),
    row(
        "max_train_instances_inf",
        entry(OK + ",max_train_instances=inf"),
        "max_train_instances=inf: expected an integer",
    ),
    row(
        "max_train_instances_fraction",
        entry(OK + ",max_train_instances=2.5"),
        "max_train_instances=2.5: expected an integer",
    ),
    row(
        "max_train_instances_word",
        entry(OK + ",max_train_instances=many"),
        "max_train_instances=many",
        "zero, one",
    ),
    row(
        "num_outputs_zero",
        entry(OK + ",num_outputs=0"),
        f"run entry '{OK},num_outputs=0'",
        "num_outputs=0: must be at least 1",
    ),
    row("num_train_trials_zero", entry(OK + ",num_train_trials=0"), "num_train_trials=0: must be at least 1"),
    row(
        "max_eval_instances_zero",
        entry(OK + ",max_eval_instances=0"),
        "max_eval_instances=0: must be at least 1",
    ),
    row("temperature_nan", entry(OK + ",temperature=nan"), "temperature=nan", "finite"),
    row("temperature_negative", entry(OK + ",temperature=-1"), "temperature=-1.0", ">= 0"),
    row("temperature_text", entry(OK + ",temperature=hot"), "temperature=hot: expected a number"),
    row("stop_unknown", entry(OK + ",stop=xyz"), f"run entry '{OK},stop=xyz'", "stop=xyz"),
    row("eval_split_train", entry(OK + ",eval_split=train"), "eval_split=train", "'test' or 'valid'"),
    row("instructions_unknown", entry(OK + ",instructions=foo"), "instructions=foo"),
    row("global_prefix_unknown", entry(OK + ",global_prefix=foo"), "global_prefix=foo"),
    row(
        "follow_format_unknown",
        entry(OK + ",follow_format_instructions=foo"),
        f"run entry '{OK},follow_format_instructions=foo'",
    ),
    row(
        "scenario_mode_unknown",
        entry("synthetic_reasoning:mode=telepathy,model=simple/model1"),
        "synthetic_reasoning:mode=telepathy",
        "Unsupported mode: telepathy",
        sub=True,
    ),
    row(
        "scenario_mode_unicode",
        entry("synthetic_reasoning:mode=pättern,model=simple/model1"),
        "Unsupported mode: pättern",
    ),
    row(
        "run_name_control_char",
        entry("synthetic_reasoning:mode=a\x01b,model=simple/model1"),
        "control character",
    ),
    row(
        "model_empty",
        entry("synthetic_reasoning:mode=induction,model="),
        "run entry 'synthetic_reasoning:mode=induction,model='",
        "model= needs a value",
    ),
    row(
        "model_deployment_empty",
        entry(OK + ",model_deployment="),
        f"run entry '{OK},model_deployment='",
        "model_deployment= needs a value",
    ),
    row(
        "model_unknown",
        entry("synthetic_reasoning:mode=induction,model=simple/model2"),
        "simple/model2",
        "simple/model1",
    ),
    row("deployment_unknown", entry(OK + ",model_deployment=text"), "Model deployment text not found"),
    row(
        "wildcard_without_models_to_run",
        entry("synthetic_reasoning:mode=induction,model=text"),
        "--models-to-run must be set",
    ),
    row(
        "mmlu_subject_unknown",
        entry("mmlu:subject=nosuch,model=simple/model1"),
        "mmlu:subject=nosuch",
        "Unknown MMLU subject 'nosuch'",
    ),
    row(
        "mmlu_method_unknown",
        entry("mmlu:subject=anatomy,method=xyz,model=simple/model1"),
        "run entry 'mmlu:subject=anatomy,method=xyz",
        "method=xyz",
    ),
    row(
        "natural_qa_mode_unknown",
        entry("natural_qa:mode=nosuch,model=simple/model1"),
        "natural_qa:mode=nosuch",
        "'nosuch'",
    ),
    row(
        "legalbench_subset_unknown",
        entry("legalbench:subset=nosuch,model=simple/model1"),
        "run entry 'legalbench:subset=nosuch",
        "'nosuch'",
    ),
    row(
        "commonsense_dataset_unknown",
        entry("commonsense:dataset=nosuch,method=multiple_choice_joint,model=simple/model1"),
        "'nosuch'",
    ),
    row(
        "math_level_unknown",
        entry("math:subject=algebra,level=abc,model=simple/model1"),
        "Unknown MATH level 'abc'",
    ),
    row(
        "wmt_14_pair_unknown",
        entry("wmt_14:language_pair=xx-en,model=simple/model1"),
        "run entry 'wmt_14:language_pair=xx-en",
        "language_pair=xx-en",
    ),
    # --- user data files ------------------------------------------------------------------------
    row(
        "user_data_path_240_chars",
        entry(f"user_data:path={LONG}.jsonl,model=simple/model1"),
        f"run entry 'user_data:path={LONG}.jsonl,model=simple/model1'",
        "at most 255",
        files={f"{LONG}.jsonl": CAPITALS},
        sub=True,
    ),
    row(
        "user_data_missing",
        entry("user_data:path=nope.jsonl,model=simple/model1"),
        "nope.jsonl: file not found",
    ),
    row(
        "user_data_empty",
        entry("user_data:path=e.jsonl,model=simple/model1"),
        "e.jsonl",
        "empty",
        files={"e.jsonl": ""},
    ),
    row(
        "user_data_binary",
        entry("user_data:path=b.jsonl,model=simple/model1"),
        "b.jsonl line 1: not UTF-8",
        files={"b.jsonl": bytes(range(128, 256))},
    ),
    row(
        "user_data_directory",
        entry("user_data:path=d.jsonl,model=simple/model1"),
        "d.jsonl: is a directory",
        files={"d.jsonl": DIR},
    ),
    row(
        "user_data_fifo",
        entry("user_data:path=p.jsonl,model=simple/model1"),
        "p.jsonl: not a regular file",
        files={"p.jsonl": FIFO},
    ),
    row(
        "user_data_extension",
        entry("user_data:path=q.txt,model=simple/model1"),
        "q.txt: unsupported file extension",
        files={"q.txt": "x"},
    ),
    row(
        "user_data_empty_path",
        entry("user_data:path=,model=simple/model1"),
        "run entry 'user_data:path=,",
        "path= needs a file name",
    ),
    row(
        "user_data_bad_json",
        entry("user_data:path=j.jsonl,model=simple/model1"),
        "j.jsonl line 1: not valid JSON",
        files={"j.jsonl": "{oops\n"},
    ),
    row(
        "user_text_empty",
        entry("user_text:path=t.txt,model=simple/model1"),
        "t.txt",
        "no text",
        files={"t.txt": "\n\n"},
    ),
    # --- conf files -----------------------------------------------------------------------------
    row("conf_missing", ["-c", "nope.conf", "-m", "5"], "nope.conf: file not found"),
    row("conf_directory", ["-c", "bad.conf", "-m", "5"], "bad.conf: is a directory", files=conf(DIR)),
    row(
        "conf_binary",
        ["-c", "bad.conf", "-m", "5"],
        "bad.conf: not UTF-8",
        files={"bad.conf": bytes(range(128, 256))},
    ),
    row("conf_empty", ["-c", "bad.conf", "-m", "5"], "bad.conf: missing 'entries'", files=conf("")),
    row(
        "conf_not_hocon",
        ["-c", "bad.conf", "-m", "5"],
        "bad.conf: invalid HOCON",
        files=conf("entries: [{description: \n"),
    ),
    row("conf_top_level_list", ["-c", "bad.conf", "-m", "5"], "bad.conf", "'entries'", files=conf("[1, 2]")),
    row(
        "conf_entries_number",
        ["-c", "bad.conf", "-m", "5"],
        "bad.conf: 'entries' must be a list",
        files=conf("entries: 5"),
    ),
    row(
        "conf_description_number",
        ["-c", "bad.conf", "-m", "5"],
        "bad.conf: entry 1: 'description'",
        files=conf("entries: [{description: 5}]"),
    ),
    row(
        "conf_no_description",
        ["-c", "bad.conf", "-m", "5"],
        "bad.conf: entry 1: missing 'description'",
        files=conf("entries: [{priority: 1}]"),
    ),
    row(
        "conf_unknown_key",
        ["-c", "bad.conf", "-m", "5"],
        "bad.conf: entry 1: unknown key 'priorty'",
        files=conf(f'entries: [{{description: "{OK}", priorty: 1}}]'),
    ),
    row(
        "conf_priority_zero",
        ["-c", "bad.conf", "-m", "5"],
        "bad.conf: entry 1: 'priority' must be at least 1",
        files=conf(f'entries: [{{description: "{OK}", priority: 0}}]'),
    ),
    row(
        "conf_priority_text",
        ["-c", "bad.conf", "-m", "5"],
        "bad.conf: entry 1: 'priority' must be an integer",
        files=conf(f'entries: [{{description: "{OK}", priority: high}}]'),
    ),
    row(
        "conf_include_missing",
        ["-c", "bad.conf", "-m", "5"],
        "bad.conf: cannot include",
        "nosuch.conf",
        files=conf('include required("nosuch.conf")\n'),
        sub=True,
    ),
    row(
        "conf_include_directory",
        ["-c", "bad.conf", "-m", "5"],
        "bad.conf: cannot include",
        "sub",
        files={"bad.conf": 'include required(file("sub"))\n', "sub": DIR},
    ),
    row(
        "conf_unresolved_substitution",
        ["-c", "bad.conf", "-m", "5"],
        "bad.conf: invalid HOCON",
        "nosuch",
        files=conf("a = ${nosuch}\n"),
    ),
    row(
        "conf_bad_entry_inside",
        ["-c", "bad.conf", "-m", "5"],
        "run entry 'synthetic_reasoning:mode=induction,model=simple/model1,num_outputs=-2'",
        files=conf(
            'entries: [{description: "synthetic_reasoning:mode=induction,model=simple/model1,num_outputs=-2"}]'
        ),
    ),
    # --- registries and credentials ----------------------------------------------------------------
    row(
        "deployments_directory",
        entry(OK),
        "prod_env/model_deployments.yaml: is a directory",
        files={DEPLOYMENTS: DIR},
        sub=True,
    ),
    row(
        "metadata_directory", entry(OK), "prod_env/model_metadata.yaml: is a directory", files={METADATA: DIR}
    ),
    row(
        "tokenizers_directory",
        entry(OK),
        "prod_env/tokenizer_configs.yaml: is a directory",
        files={TOKENIZERS: DIR},
    ),
    row(
        "credentials_directory",
        entry(OK),
        "prod_env/credentials.conf: is a directory",
        files={"prod_env/credentials.conf": DIR},
    ),
    row(
        "credentials_not_hocon",
        entry(OK),
        "prod_env/credentials.conf: invalid HOCON",
        files={"prod_env/credentials.conf": "openaiApiKey: [\n"},
    ),
    row(
        "deployments_list",
        entry(OK),
        "prod_env/model_deployments.yaml",
        "got a list",
        files={DEPLOYMENTS: "- 1\n- 2\n"},
    ),
    row(
        "deployments_scalar",
        entry(OK),
        "prod_env/model_deployments.yaml",
        "got str",
        files={DEPLOYMENTS: "hello\n"},
    ),
    row(
        "deployments_binary",
        entry(OK),
        "prod_env/model_deployments.yaml: not UTF-8",
        files={DEPLOYMENTS: b"\xff\xfe\x00"},
    ),
    row(
        "deployments_malformed",
        entry(OK),
        "prod_env/model_deployments.yaml: invalid YAML",
        files={DEPLOYMENTS: "model_deployments:\n  - name: [x\n"},
    ),
    row(
        "deployments_top_key_unknown",
        entry(OK),
        "prod_env/model_deployments.yaml",
        "'deployments'",
        files={DEPLOYMENTS: "deployments: []\n"},
    ),
    row(
        "deployments_not_a_list",
        entry(OK),
        "prod_env/model_deployments.yaml",
        "must be a list",
        files={DEPLOYMENTS: "model_deployments: 5\n"},
    ),
    row(
        "deployments_unknown_field",
        entry(OK),
        "prod_env/model_deployments.yaml: entry 'acme/m': unknown field 'max_seq_len'",
        files={DEPLOYMENTS: deployment(max_seq_len="10")},
    ),
    row(
        "deployments_length_text",
        entry(OK),
        "prod_env/model_deployments.yaml: entry 'acme/m': field 'max_sequence_length'",
        "'abc'",
        files={DEPLOYMENTS: deployment(max_sequence_length="abc")},
    ),
    row(
        "deployments_length_negative",
        entry(OK),
        "entry 'acme/m': field 'max_sequence_length': must be a positive integer",
        files={DEPLOYMENTS: deployment(max_sequence_length="-5")},
    ),
    row(
        "deployments_bool_for_int",
        entry(OK),
        "entry 'acme/m': field 'max_sequence_length'",
        files={DEPLOYMENTS: deployment(max_sequence_length="true")},
    ),
    row(
        "deployments_name_without_org",
        entry(OK),
        "prod_env/model_deployments.yaml: entry 'plain': field 'name'",
        files={DEPLOYMENTS: deployment(name="plain")},
    ),
    row(
        "deployments_typo_of_helm_field",
        entry(OK),
        "prod_env/model_deployments.yaml: entry 'acme/m': unknown field 'deprecatd'",
        "(did you mean: deprecated?)",
        files={DEPLOYMENTS: deployment(deprecatd="true")},
    ),
    row(
        "deployments_missing_client_spec",
        entry(OK),
        "entry 'acme/m': missing required field 'client_spec'",
        files={DEPLOYMENTS: "model_deployments:\n  - name: acme/m\n    model_name: acme/m\n"},
    ),
    row(
        "client_module_unknown",
        entry(ACME),
        "nosuch.Client",
        "cannot import module 'nosuch'",
        files={DEPLOYMENTS: deployment(client_spec="\n      class_name: nosuch.Client")},
    ),
    row(
        "client_not_a_class",
        entry(ACME),
        "class_name 'os.path'",
        "not a class",
        files={DEPLOYMENTS: deployment(client_spec="\n      class_name: os.path")},
    ),
    row(
        "client_not_a_client",
        entry(ACME),
        "model deployment acme/m: fractions.Fraction is not a client",
        files={DEPLOYMENTS: deployment(client_spec="\n      class_name: fractions.Fraction")},
    ),
    row(
        "client_unknown_argument",
        entry(ACME),
        "helm.clients.simple_client.SimpleClient: unknown argument(s) bogus",
        files={
            DEPLOYMENTS: deployment(
                client_spec="\n      class_name: helm.clients.simple_client.SimpleClient\n      args: {bogus: 1}"
            )
        },
    ),
    row(
        "tokenizer_unknown",
        entry(ACME),
        f"run entry '{ACME}'",
        "model deployment acme/m: tokenizer nosuch/tok not found",
        files={DEPLOYMENTS: deployment(tokenizer_name="nosuch/tok")},
        sub=True,
    ),
    row(
        "deployment_for_other_model",
        entry(OK + ",model_deployment=acme/other"),
        "selected model deployment 'acme/other'for model 'simple/model1'",
        files={DEPLOYMENTS: deployment(name="acme/other", model="acme/other")},
    ),
    row(
        "metadata_bad_date",
        entry(OK),
        "prod_env/model_metadata.yaml: entry 'acme/m': field 'release_date'",
        files={
            METADATA: "models:\n  - name: acme/m\n    display_name: M\n    description: M\n"
            "    creator_organization_name: Acme\n    access: open\n    release_date: someday\n"
        },
    ),
    row(
        "metadata_missing_field",
        entry(OK),
        "prod_env/model_metadata.yaml: entry 'acme/m': missing required field",
        files={METADATA: "models:\n  - name: acme/m\n"},
    ),
    row(
        "tokenizers_unknown_field",
        entry(OK),
        "prod_env/tokenizer_configs.yaml: entry 'acme/tok': unknown field 'eos'",
        files={
            TOKENIZERS: "tokenizer_configs:\n  - name: acme/tok\n    tokenizer_spec:\n"
            "      class_name: helm.tokenizers.simple_tokenizer.SimpleTokenizer\n    eos: x\n"
        },
    ),
]


def test_table_is_large_and_ids_are_unique() -> None:
    ids = [c.id for c in CASES]
    assert len(ids) == len(set(ids))
    assert len(CASES) >= 70
    assert sum(c.sub for c in CASES) >= 12


def _make_files(root: Path, files: dict[str, str | bytes]) -> None:
    for name, content in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if content == DIR:
            path.mkdir()
        elif content == FIFO:
            os.mkfifo(path)
        elif isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content)


def _tree(root: Path) -> set[str]:
    """Every file and folder under `root`, without following links or opening pipes."""
    found = set()
    for folder, dirs, files in os.walk(root):
        for name in dirs + files:
            found.add(os.path.relpath(os.path.join(folder, name), root))
    return found


def _assert_clean_failure(case: Case, status: object, stderr: str, before: set[str], root: Path) -> None:
    errors = [line for line in stderr.splitlines() if line.startswith("helm-run: error:")]
    assert status == 2, stderr
    assert len(errors) == 1, stderr
    assert "Traceback" not in stderr
    assert not ERROR_LOG_LINE.search(stderr), stderr
    for fragment in case.fragments:
        assert fragment in errors[0], f"{fragment!r} not in {errors[0]!r}"
    assert _tree(root) - before == set(), "bad input must not write anything"


@pytest.fixture
def scratch(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    for name in ("HELM_CREDENTIALS", "HELM_LITE_DATA_MIRROR"):
        monkeypatch.delenv(name, raising=False)
    return tmp_path


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_bad_input_in_process(
    case: Case,
    scratch: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    from helm_lite.cli.run import main

    _make_files(scratch, case.files)
    for name, value in case.env.items():
        monkeypatch.setenv(name, value)
    before = _tree(scratch)
    try:
        status: object = main(["--no-progress", *case.argv])
    except SystemExit as e:
        status = e.code
    out, err = capsys.readouterr()
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR] == []
    _assert_clean_failure(case, status, out + err, before, scratch)


SUBPROCESS_CASES = [c for c in CASES if c.sub]


@pytest.mark.parametrize("case", SUBPROCESS_CASES, ids=[c.id for c in SUBPROCESS_CASES])
def test_bad_input_subprocess(case: Case, scratch: Path, monkeypatch: pytest.MonkeyPatch, helm_run) -> None:
    _make_files(scratch, case.files)
    for name, value in case.env.items():
        monkeypatch.setenv(name, value)
    before = _tree(scratch)
    result = helm_run(*case.argv)
    _assert_clean_failure(case, result.returncode, result.stdout + result.stderr, before, scratch)


def test_every_typed_run_spec_argument_rejects_text() -> None:
    """Each int/float/bool parameter of every run-spec function turns `abc` into a one-line error."""
    import typing

    from helm_lite.common.errors import UserError
    from helm_lite.run_specs.arguments import bind_arguments
    from helm_lite.run_specs.registry import all_run_spec_names, get_run_spec_function

    def kinds(hint: object) -> set[object]:
        return set(typing.get_args(hint)) - {type(None)} or {hint}

    checked = []
    for name in all_run_spec_names():
        fn = get_run_spec_function(name)
        hints = {k: v for k, v in typing.get_type_hints(fn).items() if k != "return"}
        required = {
            k: 1 if kinds(hints[k]) & {int, float} else "x"
            for k, p in inspect.signature(fn).parameters.items()
            if p.default is inspect.Parameter.empty
        }
        for param, hint in hints.items():
            if len(kinds(hint)) == 1 and kinds(hint) & {int, float, bool}:
                with pytest.raises(UserError, match=f"^{param}=abc: expected "):
                    bind_arguments(fn, name, {**required, param: "abc"})
                checked.append(f"{name}.{param}")
    assert {
        "dyck_language.num_parenthesis_pairs",
        "user_data.max_tokens",
        "wmt_14.max_train_instances",
    } <= set(checked)


@pytest.mark.parametrize(
    ("argv", "files", "fragments"),
    [
        (
            ["--suite", "x", "--local-path", "f.txt"],
            {"f.txt": "x"},
            ("--local-path 'f.txt'", "not a directory"),
        ),
        (
            ["--suites", "x", "y", "--release", "r"],
            {"benchmark_output/releases": "x"},
            ("--release 'r'", "'benchmark_output/releases' is not a directory"),
        ),
        (["--suite", "x", "--suite", "a\tb"], {}, ("--suite", "control characters")),
    ],
    ids=["local_path_file", "release_under_file", "suite_control_char"],
)
def test_summarize_bad_paths(
    argv: list[str], files: dict[str, str | bytes], fragments: tuple[str, ...], scratch: Path, capsys
) -> None:
    from helm_lite.cli.summarize import main

    _make_files(scratch, {**files, "benchmark_output/runs/x": DIR, "benchmark_output/runs/y": DIR})
    before = _tree(scratch)
    with pytest.raises(SystemExit) as e:
        main(argv)
    errors = [
        line for line in capsys.readouterr().err.splitlines() if line.startswith("helm-summarize: error:")
    ]
    assert e.value.code == 2 and len(errors) == 1
    assert all(f in errors[0] for f in fragments), errors[0]
    assert _tree(scratch) == before
