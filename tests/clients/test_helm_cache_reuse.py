"""A HELM ``prod_env/cache/<host>.sqlite`` answers helm_lite's OpenAI, vLLM-server and Together
requests without any API call, and HELM can read the answers helm_lite stores.

The HELM side is written here from HELM's own cache layout, independently of helm_lite's code: the
key is ``json.dumps(raw_request + {"random"}, sort_keys=True)`` of the fields HELM's clients send
(`helm_key`), the value the API's JSON answer plus ``request_time``/``request_datetime``, stored with
sqlitedict as HELM stores it. crfm-helm itself is not needed.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from fake_openai_server import FakeOpenAIServer

from helm_lite.clients.openai_client import OpenAIClient, OpenAICompatibleClient
from helm_lite.clients.together_client import TogetherClient
from helm_lite.common.cache import SqliteCache
from helm_lite.common.request import Request

pytest.importorskip("openai")
pytest.importorskip("together")
sqlitedict = pytest.importorskip("sqlitedict")

MODEL = "acme/fake-7b"
PROMPT = "alpha beta gamma delta"
KEY = "sk-loopback-helm-cache"


# --- HELM's side, from its documented key fields ----------------------------------------------------


def helm_key(kind: str, r: dict[str, Any], model: str) -> dict[str, Any]:
    """The cache key HELM's client of `kind` writes for request `r` (HELM's Request fields)."""
    stop = r.get("stop_sequences") or None
    n, top_k = r.get("num_completions", 1), r.get("top_k_per_token", 1)
    common = {"model": model, "temperature": r["temperature"], "top_p": r.get("top_p", 1), "n": n}
    common["max_tokens"] = r.get("max_tokens", 100)
    penalties = {
        "presence_penalty": r.get("presence_penalty", 0),
        "frequency_penalty": r.get("frequency_penalty", 0),
    }
    if kind == "chat":  # OpenAIClient / VLLMChatClient
        messages = r.get("messages") or [{"role": "user", "content": r["prompt"]}]
        key = {**common, **penalties, "messages": messages, "stop": stop}
    elif kind in ("completions", "vllm"):  # OpenAILegacyCompletionsClient / VLLMClient
        best_of = max(top_k, n)
        if kind == "vllm" and r["temperature"] == 0.0 and best_of > 1:
            best_of = 1
        key = {**common, **penalties, "prompt": r["prompt"], "best_of": best_of, "logprobs": max(top_k, n)}
        key.update(stop=stop, echo=r.get("echo_prompt", False))
    else:  # the legacy TogetherClient
        key = {**common, "request_type": "language-model-inference", "prompt": r["prompt"], "best_of": top_k}
        key.update(stop=stop, echo=r.get("echo_prompt", False))
    if r.get("random") is not None:
        key["random"] = r["random"]
    return key


def helm_answer(kind: str, texts: list[str]) -> dict[str, Any]:
    """A stored HELM value: the API's JSON answer plus HELM's timing fields."""
    if kind == "chat":
        choices = [
            {
                "index": i,
                "message": {"role": "assistant", "content": t},
                "finish_reason": "stop",
                "logprobs": None,
            }
            for i, t in enumerate(texts)
        ]
    else:
        choices = [
            {
                "index": i,
                "text": t,
                "finish_reason": "length",
                "logprobs": {
                    "tokens": [t],
                    "token_logprobs": [-0.25],
                    "top_logprobs": None,
                    "text_offset": [0],
                },
            }
            for i, t in enumerate(texts)
        ]
    return {
        "id": "cmpl-helm",
        "object": "x",
        "choices": choices,
        "request_time": 1.5,
        "request_datetime": 1700000000,
    }


def write_helm_cache(path: Path, entries: list[tuple[dict[str, Any], dict[str, Any]]]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with sqlitedict.SqliteDict(str(path)) as d:  # HELM's SqliteKeyValueStore: default table "unnamed"
        for key, value in entries:
            d[json.dumps(key, sort_keys=True)] = value
        d.commit()


def read_helm_cache(path: Path, key: dict[str, Any]) -> dict[str, Any] | None:
    with sqlitedict.SqliteDict(str(path)) as d:
        value = d.get(json.dumps(key, sort_keys=True))
    return value


@pytest.fixture(scope="module")
def server():
    with FakeOpenAIServer(model=MODEL, api_key=KEY) as s:
        yield s


@pytest.fixture(autouse=True)
def fresh(server: FakeOpenAIServer) -> None:
    server.received.clear()


# --- in process: the request variants ---------------------------------------------------------------


def req(**kw: Any) -> dict[str, Any]:
    return {"model_deployment": MODEL, "model": MODEL, "prompt": PROMPT, "temperature": 0.0, **kw}


VARIANTS = [
    req(max_tokens=3),
    req(max_tokens=3, stop_sequences=["\n", "Q:"]),
    req(max_tokens=3, num_completions=2, random="1"),
    req(max_tokens=3, num_completions=3, top_k_per_token=2, random="2", stop_sequences=["."]),
]


def clients(url: str, cache: SqliteCache) -> dict[str, Any]:
    kw = {"cache": cache, "api_key": KEY, "model": MODEL}
    return {
        "chat": OpenAIClient(base_url=f"{url}/v1", **kw),
        "completions": OpenAIClient(base_url=f"{url}/v1", api="completions", **kw),
        "vllm": OpenAICompatibleClient(base_url=f"{url}/v1", **kw),
        "together": TogetherClient(base_url=f"{url}/together", **kw),
    }


@pytest.mark.parametrize("kind", ["chat", "completions", "vllm", "together"])
def test_helm_cache_answers_every_variant_without_calling_the_api(
    kind: str, server: FakeOpenAIServer, tmp_path: Path
) -> None:
    path = tmp_path / "cache" / "acme.sqlite"
    texts = [[f" helm{i}.{j}" for j in range(v.get("num_completions", 1))] for i, v in enumerate(VARIANTS)]
    write_helm_cache(
        path, [(helm_key(kind, v, MODEL), helm_answer(kind, t)) for v, t in zip(VARIANTS, texts, strict=True)]
    )
    client = clients(server.url, SqliteCache(str(path)))[kind]
    results = client.make_requests([Request(**v) for v in VARIANTS])
    assert server.calls() == []
    assert [[c.text for c in r.completions] for r in results] == texts
    assert all(r.cached and r.request_time == 1.5 and r.request_datetime == 1700000000 for r in results)
    if kind != "chat":  # HELM's completions answers carry log probabilities
        assert [c.logprob for c in results[0].completions] == [-0.25]


@pytest.mark.parametrize("kind", ["chat", "completions", "vllm", "together"])
def test_helm_reads_what_helm_lite_stores(kind: str, server: FakeOpenAIServer, tmp_path: Path) -> None:
    path = tmp_path / "acme.sqlite"
    cache = SqliteCache(str(path))
    results = clients(server.url, cache)[kind].make_requests([Request(**v) for v in VARIANTS])
    assert all(r.success for r in results) and len(server.calls()) == len(VARIANTS)
    cache.close()
    for v, result in zip(VARIANTS, results, strict=True):
        value = read_helm_cache(path, helm_key(kind, v, MODEL))
        assert value is not None, v
        assert set(value) >= {"choices", "request_time", "request_datetime"}  # what HELM reads
        content = [c["message"]["content"] if kind == "chat" else c["text"] for c in value["choices"]]
        assert content == [c.text for c in result.completions]


def test_answers_of_earlier_helm_lite_versions_are_still_read(
    server: FakeOpenAIServer, tmp_path: Path
) -> None:
    path = tmp_path / "acme.sqlite"
    client = clients(server.url, SqliteCache(str(path)))["completions"]
    request = Request(**VARIANTS[0])
    old = {"completions": [{"text": " old", "logprob": -1.0, "tokens": [{"text": " old", "logprob": -1.0}]}]}
    client.cache.put(client.raw_request(request), {**old, "request_time": 0.1})
    result = client.make_request(request)
    assert server.calls() == [] and [(c.text, c.logprob) for c in result.completions] == [(" old", -1.0)]


def test_requests_helm_never_makes_are_keyed_apart(server: FakeOpenAIServer, tmp_path: Path) -> None:
    """Fields that change the answer and that HELM does not send keep such requests off HELM's entries:
    a sampling seed (temperature > 0), log probabilities asked of OpenAI's chat API, stops beyond
    OpenAI's 4, penalties for Together."""
    kw = {"cache": SqliteCache(str(tmp_path / "c.sqlite")), "api_key": KEY, "model": MODEL}
    chat = OpenAIClient(base_url=f"{server.url}/v1", **kw)
    sampled = req(temperature=0.7)
    assert "seed" in chat.raw_request(Request(**sampled))
    assert chat.raw_request(Request(**sampled)) != helm_key("chat", sampled, MODEL)
    plain = req()
    assert chat.raw_request(Request(**plain)) == helm_key("chat", plain, MODEL)
    logprobs = OpenAIClient(base_url=f"{server.url}/v1", logprobs=True, **kw)
    assert logprobs.raw_request(Request(**plain))["logprobs"] is True
    many = req(stop_sequences=["a", "b", "c", "d", "e"])
    assert chat.raw_request(Request(**many))["stop_after"] == ["e"]
    together = TogetherClient(base_url=f"{server.url}/together", **kw)
    penalised = req(presence_penalty=0.5)
    assert together.raw_request(Request(**penalised)) == {
        **helm_key("together", penalised, MODEL),
        "presence_penalty": 0.5,
    }


# --- end to end: helm-run against a HELM prod_env -----------------------------------------------------

DEPLOYMENTS = {  # deployment → (HELM client class, args, kind of key, cache file)
    "openai/fake-gpt": ("helm.clients.openai_client.OpenAIClient", "/v1", "chat", "openai"),
    "vllm/fake-served": ("helm.clients.vllm_client.VLLMClient", "/v1", "vllm", "vllm"),
    "together/fake-llama": (
        "helm.clients.together_client.TogetherClient",
        "/together",
        "together",
        "together",
    ),
}
RUNS = [f"synthetic_reasoning:mode=pattern_match,model={name}" for name in DEPLOYMENTS]


def write_prod_env(root: Path, url: str) -> Path:
    env = root / "prod_env"
    env.mkdir(parents=True)
    (env / "credentials.conf").write_text(f'openaiApiKey: "{KEY}"\ntogetherApiKey: "{KEY}"\n')
    lines = ["model_deployments:"]
    for name, (cls, suffix, _, _) in DEPLOYMENTS.items():
        model_arg = (
            "vllm_model_name"
            if "vllm" in cls
            else "openai_model_name"
            if "openai" in cls
            else "together_model"
        )
        lines += [
            f"  - name: {name}",
            "    client_spec:",
            f'      class_name: "{cls}"',
            f'      args: {{base_url: "{url}{suffix}", {model_arg}: "{MODEL}", api_key: "{KEY}"}}',
        ]
    (env / "model_deployments.yaml").write_text("\n".join(lines) + "\n")
    return env


def requests_of(root: Path, suite: str) -> dict[str, list[dict[str, Any]]]:
    """Each deployment's requests and completion texts, from helm-run's scenario_state.json files."""
    out = {}
    for state_file in (root / "benchmark_output" / "runs" / suite).glob("*/scenario_state.json"):
        states = json.loads(state_file.read_text())["request_states"]
        name = states[0]["request"]["model_deployment"]
        out[name] = [
            {**s["request"], "texts": [c["text"] for c in s["result"]["completions"]]} for s in states
        ]
    return out


@pytest.mark.slow  # several processes or a model (2-7 s)
def test_helm_run_reads_a_helm_prod_env_cache_and_writes_one_helm_reads(
    helm_run, server: FakeOpenAIServer, tmp_path: Path
) -> None:
    # A first run (answers from the API) shows which requests the runs make, and its cache is HELM's.
    first = tmp_path / "first"
    write_prod_env(first, server.url)
    r = helm_run("-r", *RUNS, "-m", "2", "--suite", "s", cwd=first)
    assert r.returncode == 0, r.stderr
    asked = requests_of(first, "s")
    assert set(asked) == set(DEPLOYMENTS) and len(server.calls()) == 6
    for name, (_, _, kind, host) in DEPLOYMENTS.items():
        for request in asked[name]:
            value = read_helm_cache(
                first / "prod_env" / "cache" / f"{host}.sqlite", helm_key(kind, request, MODEL)
            )
            assert value is not None and value["choices"], (name, request)

    # A HELM prod_env holding other answers for the same requests: helm-run answers from it alone.
    server.received.clear()
    second = tmp_path / "second"
    env = write_prod_env(second, server.url)
    for name, (_, _, kind, host) in DEPLOYMENTS.items():
        entries = [
            (helm_key(kind, q, MODEL), helm_answer(kind, [f" cached {i}"])) for i, q in enumerate(asked[name])
        ]
        write_helm_cache(env / "cache" / f"{host}.sqlite", entries)
    r = helm_run("-r", *RUNS, "-m", "2", "--suite", "s", cwd=second)
    assert r.returncode == 0, r.stderr
    assert server.calls() == []
    again = requests_of(second, "s")
    for name in DEPLOYMENTS:
        assert [q["texts"] for q in again[name]] == [[f" cached {i}"] for i in range(len(asked[name]))]
