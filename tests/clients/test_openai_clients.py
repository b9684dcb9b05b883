"""Hosted-API clients against a real loopback server, through a fault-injecting proxy.

Both official SDKs are exercised (``openai`` for OpenAI-compatible servers and OpenAI, ``together``
for Together): parsing of completions, chat, log probabilities and echo; bounded retries on 429, 5xx,
timeouts and dropped connections; failed requests recorded while finished ones are cached; and the
API key never reaching logs, error texts, the cache or helm-run's output files.
"""

from __future__ import annotations

import json
import logging
import sqlite3
import time
from pathlib import Path
from typing import Any

import pytest
from fake_openai_server import FakeOpenAIServer
from fault_proxy import FaultProxy, drop, slow, status

from helm_lite.clients.openai_client import OpenAIClient, OpenAICompatibleClient
from helm_lite.clients.together_client import TogetherClient
from helm_lite.common.cache import SqliteCache
from helm_lite.common.credentials import Credentials
from helm_lite.common.errors import UserError
from helm_lite.common.object_spec import ObjectSpec, create_object
from helm_lite.common.request import Request
from helm_lite.registry.schema import ModelDeployment

pytest.importorskip("openai")  # the SDKs of the openai and together extras
pytest.importorskip("together")

KEY = "sk-loopback-Vq3x9Lm2Pw7Rt5Yz"
WRONG_KEY = "sk-wrong-Hh4Jj6Kk8Ll0Mm2Nn"
MODEL = "acme/fake-7b"
PROMPT = "alpha beta gamma delta"
FLAVOURS = {"openai": (OpenAICompatibleClient, "/v1"), "together": (TogetherClient, "/together")}
FAST_RETRY = {"max_attempts": 7, "max_total_wait_s": 5, "base_delay_s": 0.01, "max_delay_s": 0.05}


@pytest.fixture(scope="module")
def server():
    with FakeOpenAIServer(model=MODEL, api_key=KEY, also=("gpt-4o-mini", "gpt-3.5-turbo-instruct")) as s:
        yield s


@pytest.fixture(scope="module")
def proxy(server: FakeOpenAIServer):
    with FaultProxy(server.url) as p:
        yield p


@pytest.fixture(autouse=True)
def fresh(server: FakeOpenAIServer, proxy: FaultProxy, monkeypatch: pytest.MonkeyPatch) -> None:
    server.received.clear()
    proxy.clear()
    for var in ("HELM_CREDENTIALS", "OPENAI_API_KEY", "TOGETHER_API_KEY"):
        monkeypatch.delenv(var, raising=False)


def client(flavour: str, url: str, **kw: Any) -> OpenAICompatibleClient:
    cls, suffix = FLAVOURS[flavour]
    kw.setdefault("api_key", KEY)
    return cls(base_url=url + suffix, model=MODEL, **kw)


def req(prompt: str = PROMPT, **kw: Any) -> Request:
    kw.setdefault("temperature", 0.0)
    return Request(model_deployment=MODEL, model=MODEL, prompt=prompt, **kw)


def deployment(**kw: Any) -> ModelDeployment:
    return ModelDeployment(name=MODEL, client_spec=ObjectSpec("x"), **kw)


def texts_and_logprobs(result: Any) -> list[tuple[str, float, list[str], Any]]:
    return [
        (c.text, round(c.logprob, 6), [t.text for t in c.tokens], c.finish_reason) for c in result.completions
    ]


# --- parsing ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("flavour", FLAVOURS)
def test_completions_text_tokens_logprobs_and_stops(flavour: str, server: FakeOpenAIServer) -> None:
    c = client(flavour, server.url, deployment=deployment(stop_sequences=["zeta"]))
    r = c.make_request(req(max_tokens=3, num_completions=2, stop_sequences=["\n"]))
    assert r.success, r.error
    assert texts_and_logprobs(r) == [
        (" delta gamma beta", -0.6, [" delta", " gamma", " beta"], {"reason": "length"}),
        (" gamma beta alpha", -0.6, [" gamma", " beta", " alpha"], {"reason": "length"}),
    ]
    body = server.calls("completions")[-1].body
    assert body["stop"] == ["\n", "zeta"]  # the request's stops, then the deployment's
    # HELM's log probabilities: max(top_k_per_token, n); Together's key names none and one is asked for.
    logprobs = 2 if flavour == "openai" else 1
    assert (body["logprobs"], body["n"], body["max_tokens"], body["temperature"]) == (logprobs, 2, 3, 0.0)
    assert "seed" not in body and body["echo"] is False
    # A stop inside a word: the text is cut there and the token holding the stop is dropped.
    r = c.make_request(req(max_tokens=3, stop_sequences=["mm"]))
    assert texts_and_logprobs(r) == [(" delta ga", -0.1, [" delta"], {"reason": "stop"})]


@pytest.mark.parametrize("flavour", FLAVOURS)
def test_echo_returns_prompt_tokens_then_completion(flavour: str, server: FakeOpenAIServer) -> None:
    c = client(flavour, server.url)
    scored = c.make_request(req(max_tokens=0, echo_prompt=True))
    assert texts_and_logprobs(scored)[0][:3] == (
        PROMPT,
        -0.06,  # the first prompt token has no logprob (counted 0), then -0.01, -0.02, -0.03
        ["alpha", " beta", " gamma", " delta"],
    )
    body = server.calls("completions")[-1].body
    assert (body["echo"], body["max_tokens"], body["logprobs"]) == (True, 0, 1)
    both = c.make_request(req(max_tokens=2, echo_prompt=True))
    assert texts_and_logprobs(both)[0][:3] == (
        PROMPT + " delta gamma",
        -0.36,
        ["alpha", " beta", " gamma", " delta", " delta", " gamma"],
    )


@pytest.mark.parametrize("flavour", FLAVOURS)
def test_chat_api_messages_and_logprobs(flavour: str, server: FakeOpenAIServer) -> None:
    c = client(flavour, server.url, api="chat", logprobs=True)
    r = c.make_request(req(max_tokens=3, top_k_per_token=3))
    assert texts_and_logprobs(r) == [
        (" delta gamma beta", -0.6, [" delta", " gamma", " beta"], {"reason": "length"})
    ]
    body = server.calls("chat")[-1].body
    assert body["messages"] == [{"role": "user", "content": PROMPT}]
    if flavour == "openai":
        assert (body["logprobs"], body["top_logprobs"]) == (True, 3)
    else:  # Together takes an integer
        assert body["logprobs"] == 3
    # By default each chat API is asked what HELM asks it: OpenAI's for no log probabilities.
    default = client(flavour, server.url, api="chat").raw_request(req(max_tokens=3, top_k_per_token=3))
    assert ("logprobs" in default) == (flavour == "together")


@pytest.mark.parametrize("flavour", FLAVOURS)
def test_chat_api_refuses_echo_without_calling_the_server(flavour: str, server: FakeOpenAIServer) -> None:
    r = client(flavour, server.url, api="chat").make_request(req(max_tokens=0, echo_prompt=True))
    assert not r.success
    assert r.error is not None and "need api: completions" in r.error and "\n" not in r.error
    assert server.calls() == []


def test_sampling_sends_a_seed_that_depends_on_the_trial(server: FakeOpenAIServer) -> None:
    c = client("openai", server.url)
    c.make_requests([req(temperature=0.7), req(temperature=0.7, random="1")])
    c.make_request(req(temperature=0.7))  # no cache: asked again
    seeds = [r.body["seed"] for r in server.calls()]
    assert seeds[0] == seeds[2] != seeds[1]


def test_prompt_format_and_tokenizer_chat_template_apply_to_completions(
    server: FakeOpenAIServer, smollm2_path: str
) -> None:
    from helm_lite.tokenizers.huggingface import HuggingFaceTokenizer

    c = client(
        "openai", server.url, deployment=deployment(prompt_format={"user": "[INST] {instruction} [/INST]"})
    )
    c.make_requests([req(max_tokens=1), req(max_tokens=0, echo_prompt=True)])
    assert server.prompts() == [f"[INST] {PROMPT} [/INST]", PROMPT]  # scoring requests stay raw

    server.received.clear()
    tokenizer = HuggingFaceTokenizer(pretrained_model_name_or_path=smollm2_path)
    c = client("openai", server.url, deployment=deployment(chat_template="tokenizer"), tokenizer=tokenizer)
    c.make_request(req(max_tokens=1))
    sent = server.prompts()[0]
    assert sent.startswith("<|im_start|>") and f"<|im_start|>user\n{PROMPT}<|im_end|>" in sent
    assert sent.endswith("<|im_start|>assistant\n")

    with pytest.raises(UserError, match="api: completions"):
        client("openai", server.url, api="chat", deployment=deployment(chat_template="tokenizer"))
    with pytest.raises(UserError, match="chat_template: tokenizer needs a Hugging Face tokenizer_name"):
        client("openai", server.url, deployment=deployment(chat_template="tokenizer"))


def test_openai_client_picks_api_model_id_and_limits(server: FakeOpenAIServer) -> None:
    chat = OpenAIClient(base_url=server.url + "/v1", api_key=KEY, model_name="openai/gpt-4o-mini")
    assert (chat.api, chat.model) == ("chat", "gpt-4o-mini")
    stops = ["x1", "x2", "x3", "x4", "thr"]
    r = chat.make_request(req("one two three four five six", max_tokens=4, stop_sequences=stops))
    assert server.calls("chat")[-1].body["stop"] == ["x1", "x2", "x3", "x4"]  # OpenAI takes 4
    assert texts_and_logprobs(r) == [
        (" six five four ", 0.0, [], {"reason": "stop"})  # the 5th applied here; no logprobs, as HELM
    ]
    legacy = OpenAIClient(
        base_url=server.url + "/v1", api_key=KEY, model_name="openai/gpt-3.5-turbo-instruct"
    )
    assert (legacy.api, legacy.model) == ("completions", "gpt-3.5-turbo-instruct")
    assert legacy.make_request(req(max_tokens=1, top_k_per_token=10)).success
    assert server.calls("completions")[-1].body["logprobs"] == 5  # the API's maximum


def test_helm_vllm_client_names_map_to_the_openai_compatible_client(server: FakeOpenAIServer) -> None:
    args = {"base_url": server.url + "/v1", "vllm_model_name": MODEL, "api_key": KEY}
    completions = create_object(ObjectSpec("helm.clients.vllm_client.VLLMClient", args))
    chat = create_object(ObjectSpec("helm.clients.vllm_client.VLLMChatClient", args))
    assert isinstance(completions, OpenAICompatibleClient) and (completions.api, chat.api) == (
        "completions",
        "chat",
    )
    assert completions.model == chat.model == MODEL  # HELM's vllm_model_name is the served model
    assert (
        completions.make_request(req(max_tokens=1)).success and chat.make_request(req(max_tokens=1)).success
    )
    assert [r.path for r in server.calls()] == ["/v1/completions", "/v1/chat/completions"]


def test_helm_argument_names_are_accepted_once(server: FakeOpenAIServer) -> None:
    base = {"base_url": server.url + "/v1", "api_key": KEY}
    together = create_object(
        ObjectSpec("helm.clients.together_client.TogetherClient", {**base, "together_model": "m/x"})
    )
    openai_client = create_object(
        ObjectSpec("helm.clients.openai_client.OpenAIClient", {**base, "openai_model_name": "gpt-4o"})
    )
    assert (together.model, openai_client.model) == ("m/x", "gpt-4o")
    with pytest.raises(UserError, match=r"set model or vllm_model_name, not both"):
        create_object(
            ObjectSpec("helm.clients.vllm_client.VLLMClient", {**base, "model": "a", "vllm_model_name": "b"})
        )


def test_cache_key_is_the_request_body_without_secrets(server: FakeOpenAIServer, tmp_path: Path) -> None:
    c = client("openai", server.url, cache=SqliteCache(str(tmp_path / "acme.sqlite")))
    raw = c.raw_request(req(max_tokens=2, random="3"))
    assert raw == {
        "model": MODEL,
        "prompt": PROMPT,
        "temperature": 0.0,
        "top_p": 1,
        "max_tokens": 2,
        "n": 1,
        "stop": None,
        "presence_penalty": 0,
        "frequency_penalty": 0,
        "best_of": 1,
        "echo": False,
        "logprobs": 1,
        "random": "3",
    }
    assert "random" not in server.calls() and c.make_request(req(max_tokens=2, random="3")).success
    assert "random" not in server.calls()[-1].body  # key-only: never sent
    assert KEY.encode() not in (tmp_path / "acme.sqlite").read_bytes()
    assert server.url.split("//")[1].encode() not in (tmp_path / "acme.sqlite").read_bytes()


# --- retries ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("flavour", FLAVOURS)
def test_retries_through_every_fault_then_succeed(
    flavour: str, server: FakeOpenAIServer, proxy: FaultProxy, caplog: pytest.LogCaptureFixture
) -> None:
    c = client(flavour, proxy.url, timeout_s=0.3, retry=FAST_RETRY)
    sleeps: list[float] = []
    c.sleep = sleeps.append
    proxy.script(status(429), status(429, retry_after=0.02), status(500), status(503), slow(1.0), drop())
    with caplog.at_level(logging.WARNING):
        r = c.make_request(req(max_tokens=2))
    assert r.success, r.error
    assert r.completions[0].text == " delta gamma"
    assert proxy.actions() == ["429", "429 (Retry-After 0.02)", "500", "503", "slow 1.0s", "drop", "pass"]
    assert len(server.calls()) == 1  # faults never reached the model
    assert sleeps[1] == 0.02  # the server's Retry-After, not the backoff
    retry_lines = [r.getMessage() for r in caplog.records if "retrying in" in r.getMessage()]
    assert [line.split(" failed ")[1].split(";")[0] for line in retry_lines] == [
        "(HTTP 429)",
        "(HTTP 429)",
        "(HTTP 500)",
        "(HTTP 503)",
        "(timeout)",
        "(connection error)",
    ]
    assert retry_lines[0].startswith(f"{MODEL}: attempt 1/7 failed")


@pytest.mark.parametrize("flavour", FLAVOURS)
def test_gives_up_at_the_cap_and_keeps_and_caches_the_others(
    flavour: str, server: FakeOpenAIServer, proxy: FaultProxy, tmp_path: Path
) -> None:
    path = str(tmp_path / "acme.sqlite")
    prompts = ["one two three", "POISON pill here", "four five six", "seven eight nine"]
    proxy.always(status(503), match="POISON")
    c = client(flavour, proxy.url, cache=SqliteCache(path), retry={**FAST_RETRY, "max_attempts": 3})
    c.sleep = lambda s: None
    results = c.make_requests([req(p, max_tokens=1) for p in prompts], num_threads=4)
    assert [r.success for r in results] == [True, False, True, True]
    error = results[1].error or ""
    assert error.startswith(f"RetriesExhaustedError: {MODEL}: gave up after 3 attempt(s)")
    assert "HTTP 503" in error and "\n" not in error
    assert proxy.actions("POISON") == ["503", "503", "503"]
    assert len(server.calls()) == 3

    # A second run (new client, same cache file, endpoint healthy again) asks only for the failed one.
    proxy.clear()
    server.received.clear()
    again = client(flavour, proxy.url, cache=SqliteCache(path)).make_requests(
        [req(p, max_tokens=1) for p in prompts]
    )
    assert all(r.success for r in again)
    assert [r.cached for r in again] == [True, False, True, True]
    assert server.prompts() == ["POISON pill here"]
    assert [r.completions[0].text for r in again] == [" three", " here", " six", " nine"]


@pytest.mark.parametrize("flavour", FLAVOURS)
def test_gives_up_when_the_total_wait_is_spent(
    flavour: str, server: FakeOpenAIServer, proxy: FaultProxy
) -> None:
    proxy.always(status(429, retry_after=0.2))
    c = client(flavour, proxy.url, retry={"max_attempts": 50, "max_total_wait_s": 0.5, "max_delay_s": 1})
    start = time.monotonic()
    r = c.make_request(req(max_tokens=1))
    elapsed = time.monotonic() - start
    assert not r.success and "max_total_wait_s=0.5" in (r.error or "")
    assert proxy.actions() == ["429 (Retry-After 0.2)"] * 3  # waits 0.2 + 0.2; a third would pass 0.5
    assert 0.4 <= elapsed < 3 and server.calls() == []


# --- secrets ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("flavour", FLAVOURS)
def test_keys_never_reach_logs_errors_or_the_cache(
    flavour: str,
    server: FakeOpenAIServer,
    proxy: FaultProxy,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    path = tmp_path / "acme.sqlite"
    creds = Credentials({"acmeApiKey": KEY}, source="prod_env/credentials.conf")
    good = client(
        flavour, proxy.url, api_key=None, credentials=creds, cache=SqliteCache(str(path)), retry=FAST_RETRY
    )
    good.sleep = lambda s: None
    bad = client(flavour, server.url, api_key=WRONG_KEY, cache=SqliteCache(str(path)))
    proxy.script(status(429), drop(), status(500))
    with caplog.at_level(logging.DEBUG):
        ok = good.make_requests([req(max_tokens=1), req(max_tokens=0, echo_prompt=True)])
        refused = bad.make_request(req("other words", max_tokens=1))
    assert all(r.success for r in ok)
    assert server.calls()[0].headers["authorization"] == f"Bearer {KEY}"  # the key from credentials
    # The server quotes the wrong key back (as OpenAI does); the client blanks it.
    assert not refused.success and "Incorrect API key provided: [REDACTED]" in (refused.error or "")
    everything = caplog.text + (refused.error or "") + repr(good) + repr(bad)
    assert "retrying in" in caplog.text
    for secret in (KEY, WRONG_KEY):
        assert secret not in everything
        assert secret.encode() not in path.read_bytes()
    with sqlite3.connect(path) as db:
        keys = [k for (k,) in db.execute("SELECT key FROM unnamed")]
    assert len(keys) == 2 and all(KEY not in k and "127.0.0.1" not in k for k in keys)


@pytest.mark.parametrize(
    ("cls", "deployment_name", "env_var"),
    [
        (OpenAIClient, "openai/gpt-4o-mini", "OPENAI_API_KEY"),
        (TogetherClient, "together/llama", "TOGETHER_API_KEY"),
    ],
)
def test_missing_key_is_a_one_line_error(cls: type, deployment_name: str, env_var: str, monkeypatch) -> None:
    host = deployment_name.split("/")[0]
    creds = Credentials(source="prod_env/credentials.conf")
    d = ModelDeployment(name=deployment_name, client_spec=ObjectSpec("x"))
    with pytest.raises(UserError) as info:
        cls(model="m", deployment=d, credentials=creds)
    assert str(info.value) == (
        f"model deployment {deployment_name}: no API key for {host}: set {host}ApiKey in "
        f"prod_env/credentials.conf (or $HELM_CREDENTIALS) or the environment variable {env_var}"
    )
    monkeypatch.setenv(env_var, KEY)  # the environment variable is enough
    assert cls(model="m", deployment=d, credentials=creds)._api_key == KEY


def test_base_url_from_credentials_and_clear_construction_errors(server: FakeOpenAIServer) -> None:
    creds = Credentials({"acmeBaseUrl": server.url + "/v1", "acmeApiKey": KEY})
    c = OpenAICompatibleClient(model=MODEL, deployment=deployment(), credentials=creds)
    assert c.make_request(req(max_tokens=1)).success  # HELM's <host>BaseUrl and <host>ApiKey
    with pytest.raises(UserError, match=f"^model deployment {MODEL}: client_spec args need base_url"):
        OpenAICompatibleClient(model=MODEL, deployment=deployment())
    with pytest.raises(UserError, match="api must be one of completions, chat, got 'responses'"):
        client("openai", server.url, api="responses")
    with pytest.raises(UserError, match="unknown retry setting"):
        client("openai", server.url, retry={"attempts": 3})

    class NeedsMissingSDK(OpenAICompatibleClient):
        sdk_module = "helm_lite_no_such_sdk"

    with pytest.raises(
        UserError,
        match=r"needs the helm_lite_no_such_sdk package; pip install 'helm-lite\[helm_lite_no_such_sdk\]'",
    ):
        NeedsMissingSDK(base_url=server.url, model=MODEL)


# --- helm-run end to end ---------------------------------------------------------------------------

RUNS = [
    "synthetic_reasoning:mode=pattern_match,model=openai/fake-gpt",
    "synthetic_reasoning:mode=induction,model=together/fake-llama",
]


def write_local(local: Path, proxy_url: str, credentials: str | None) -> None:
    local.mkdir(parents=True, exist_ok=True)
    if credentials is not None:
        (local / "credentials.conf").write_text(credentials)
    (local / "model_deployments.yaml").write_text(
        f"""model_deployments:
  - name: openai/fake-gpt
    client_spec:
      class_name: "helm.clients.openai_client.OpenAIClient"
      args: {{base_url: "{proxy_url}/v1", model: "{MODEL}", retry: {{base_delay_s: 0.01, max_delay_s: 0.05}}}}
  - name: together/fake-llama
    client_spec:
      class_name: "helm.clients.together_client.TogetherClient"
      args: {{base_url: "{proxy_url}/together", model: "{MODEL}", api: chat, retry: {{base_delay_s: 0.01}}}}
"""
    )


def files_containing(root: Path, needle: bytes) -> list[str]:
    return [str(p) for p in root.rglob("*") if p.is_file() and needle in p.read_bytes()]


def test_helm_run_end_to_end_with_credentials_conf(
    helm_run, tmp_path: Path, server: FakeOpenAIServer, proxy
) -> None:
    write_local(tmp_path / "prod_env", proxy.url, f'openaiApiKey: "{KEY}"\ntogetherApiKey = "{KEY}"\n')
    proxy.script(status(429), drop())
    r = helm_run("-r", *RUNS, "-m", "3", "--suite", "hosted", "-n", "2")
    assert r.returncode == 0, r.stderr
    assert "retrying in" in r.stderr
    runs = tmp_path / "benchmark_output" / "runs" / "hosted"
    assert len(list(runs.glob("*/scenario_state.json"))) == 2
    state = json.loads(
        next(runs.glob("synthetic_reasoning:mode=pattern_match*/scenario_state.json")).read_text()
    )
    completions = [s["result"]["completions"][0] for s in state["request_states"]]
    assert all(c["text"] for c in completions)  # OpenAI's chat API: no log probabilities, as in HELM
    assert len(server.calls()) == 6 and {c.headers["authorization"] for c in server.calls()} == {
        f"Bearer {KEY}"
    }
    for where in (r.stdout, r.stderr):
        assert KEY not in where
    assert files_containing(tmp_path, KEY.encode()) == [str(tmp_path / "prod_env" / "credentials.conf")]
    assert (tmp_path / "prod_env" / "cache" / "openai.sqlite").is_file()

    server.received.clear()
    again = helm_run("-r", *RUNS, "-m", "3", "--suite", "hosted2")
    assert again.returncode == 0, again.stderr
    assert server.calls() == []  # every answer came from the cache


def test_helm_run_without_a_key_fails_clearly(helm_run, tmp_path: Path, proxy) -> None:
    write_local(tmp_path / "prod_env", proxy.url, credentials=None)
    r = helm_run("-r", RUNS[0], "-m", "1")
    assert r.returncode != 0
    lines = [line for line in r.stderr.splitlines() if "no API key" in line]
    assert len(lines) == 1
    assert "set openaiApiKey in prod_env/credentials.conf" in lines[0] and "OPENAI_API_KEY" in lines[0]
    assert proxy.actions() == []


def test_helm_run_with_malformed_credentials_names_the_file(helm_run, tmp_path: Path, proxy) -> None:
    write_local(tmp_path / "prod_env", proxy.url, f'openaiApiKey: "{KEY}"\nbroken = {{ \n')
    r = helm_run("-r", RUNS[0], "-m", "1")
    assert r.returncode == 2
    assert (
        r.stderr.strip()
        .splitlines()[-1]
        .startswith("helm-run: error: prod_env/credentials.conf: invalid HOCON")
    )
    assert KEY not in r.stderr and proxy.actions() == []
