"""The shared prompt-rendering stage and seed rule: every client family keeps its cache keys.

`raw_requests_before_rendering.json` holds the raw requests (cache keys) and sampling seeds that the
HuggingFace, vLLM and OpenAI-compatible clients produced for these requests before they shared one
renderer; a change here would silently orphan every cached answer, so they must stay identical
(apart from the model's identity, which local models' keys gained on purpose: `tests/models/test_identity.py`).
The OpenAI-style and Together entries were then changed on purpose to the keys HELM writes for the same
requests (`tests/clients/test_helm_cache_reuse.py`).
"""

from __future__ import annotations

import json
import threading
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from helm_lite.chat.formatter import ChatFormatter
from helm_lite.clients.huggingface import HuggingFaceClient
from helm_lite.clients.openai_client import OpenAIClient, OpenAICompatibleClient
from helm_lite.clients.rendering import Once, PromptRenderer
from helm_lite.clients.seeds import request_seed
from helm_lite.clients.together_client import TogetherClient
from helm_lite.clients.vllm_client import VLLMClient
from helm_lite.common.credentials import Credentials
from helm_lite.common.object_spec import ObjectSpec
from helm_lite.common.request import Request
from helm_lite.registry.schema import ModelDeployment

pytest.importorskip("openai")  # the SDKs of the openai and together extras
pytest.importorskip("together")

BEFORE = json.loads((Path(__file__).parent / "data" / "raw_requests_before_rendering.json").read_text())
SMOL = "bundled/smollm2-135m-instruct"
FORMAT = {"user": "USER: {instruction}\n", "trailing_assistant": "ASSISTANT:"}
URL = "http://127.0.0.1:9/v1"  # never contacted: only raw requests are built


def requests() -> list[Request]:
    base = Request(model_deployment="acme/m", model="acme/m", prompt="Hello", temperature=0.0)
    return [
        base,
        replace(base, stop_sequences=["\n", "USER:"], max_tokens=5),
        replace(
            base, temperature=0.7, num_completions=2, random="1", stop_sequences=["a", "b", "c", "d", "e"]
        ),
        replace(base, echo_prompt=True, max_tokens=0, top_k_per_token=3),
    ]


def deployment(**kw: Any) -> ModelDeployment:
    return ModelDeployment(name="acme/m", client_spec=ObjectSpec("x"), **kw)


def clients() -> dict[str, Any]:
    fmt = deployment(prompt_format=FORMAT, stop_sequences=["USER:", "</s>"])
    tmpl = deployment(chat_template="tokenizer", stop_sequences=["<|im_end|>"])
    stops = deployment(stop_sequences=["Q:"])
    creds = Credentials()
    return {
        "hf_prompt_format": HuggingFaceClient(SMOL, deployment=fmt),
        "hf_tokenizer_template": HuggingFaceClient(SMOL, deployment=tmpl),
        "hf_default_template": HuggingFaceClient(SMOL, deployment=deployment()),
        "hf_no_deployment": HuggingFaceClient(SMOL),
        "hf_plain": HuggingFaceClient(
            SMOL, deployment=deployment(stop_sequences=["x"]), apply_chat_template=False
        ),
        "vllm_prompt_format": VLLMClient(SMOL, deployment=fmt),
        "vllm_tokenizer_template": VLLMClient(SMOL, deployment=tmpl, dtype="float32"),
        "vllm_plain": VLLMClient(SMOL),
        "openai_compatible_prompt_format": OpenAICompatibleClient(
            base_url=URL, model="m", deployment=fmt, credentials=creds
        ),
        "openai_compatible_chat": OpenAICompatibleClient(
            base_url=URL, model="m", api="chat", deployment=stops, credentials=creds
        ),
        "openai_chat": OpenAIClient(model="gpt-4o-mini", api_key="k", deployment=stops, credentials=creds),
        "openai_completions": OpenAIClient(
            model="gpt-3.5-turbo-instruct", api_key="k", deployment=fmt, credentials=creds
        ),
        "together": TogetherClient(model="m", api_key="k", deployment=fmt, credentials=creds),
    }


@pytest.fixture(scope="module")
def built(smollm2_path: str) -> dict[str, Any]:
    """Every client's raw requests, and the local engines' seeds of the sampled ones."""
    out: dict[str, Any] = {}
    for name, client in clients().items():
        raws = [client.raw_request(r) for r in requests()]
        sampled = [r for r in raws if r["temperature"] > 0]
        # The seeds ignore the model's identity; the HF seed also ignores the engine (both draw alike).
        if name.startswith("hf"):
            out[f"{name}_seeds"] = [request_seed(r, ignore=("engine", "identity")) for r in sampled]
        if name.startswith("vllm"):
            out[f"{name}_seeds"] = [request_seed(r, ignore=("identity",)) for r in sampled]
        if name.startswith(("hf", "vllm")):  # local models' keys gained the model's identity since
            assert all(r.pop("identity").startswith("sha256:") for r in raws)
        out[name] = raws
    return out


@pytest.mark.parametrize("name", sorted(BEFORE))
def test_raw_requests_and_seeds_are_unchanged(built: dict[str, Any], name: str) -> None:
    assert built[name] == BEFORE[name]


def test_request_stops_come_first_and_deployment_stops_are_not_repeated() -> None:
    renderer = PromptRenderer.for_deployment(deployment(stop_sequences=["</s>", "\n"]))
    rendered = renderer.render(Request(prompt="Hi", stop_sequences=["\n", "Q:"]))
    assert (rendered.text, rendered.stop_sequences) == ("Hi", ["\n", "Q:", "</s>"])


class Upper(ChatFormatter):
    def format_messages(self, messages: list[dict[str, str]]) -> str:
        return "".join(m["content"].upper() for m in messages) + "\nA:"


def test_scoring_requests_are_never_formatted_nor_build_the_formatter() -> None:
    built: list[int] = []

    def build() -> ChatFormatter:
        built.append(1)
        return Upper()

    renderer = PromptRenderer.for_deployment(deployment(), build)
    assert renderer.render(Request(prompt="hi", echo_prompt=True)).text == "hi"
    assert built == []
    assert renderer.render(Request(prompt="hi")).text == "HI\nA:"
    assert renderer.render(Request(prompt="yo")).text == "YO\nA:"
    assert built == [1]


def test_chat_conversation_is_the_requests_messages_else_the_prompt() -> None:
    renderer = PromptRenderer()
    messages = [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Hi"}]
    assert renderer.render(Request(prompt="Hi", messages=messages)).conversation == messages
    assert renderer.render(Request(prompt="Hi")).conversation == [{"role": "user", "content": "Hi"}]


def test_a_conversation_is_rendered_whole_by_the_chat_format_for_local_engines() -> None:
    """A chat adapter's request (empty prompt, several turns) reaches a local model as every turn in
    the deployment's format, not as the empty prompt."""
    renderer = PromptRenderer.for_deployment(deployment(), Upper)
    messages = [{"role": "user", "content": "a"}, {"role": "assistant", "content": "b"}]
    rendered = renderer.render(Request(prompt="", messages=messages))
    assert rendered.text == "AB\nA:"
    assert rendered.conversation == messages


def test_racing_threads_build_the_value_once() -> None:
    calls: list[int] = []
    gate = threading.Barrier(8)

    def build() -> int:
        calls.append(1)
        return 42

    once = Once(build)
    results: list[int] = []

    def worker() -> None:
        gate.wait()
        results.append(once.get())

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results == [42] * 8 and calls == [1]


def test_seed_depends_on_every_field_but_the_ignored_ones() -> None:
    raw = {"prompt": "Hi", "temperature": 0.7, "random": "1"}
    assert request_seed(raw) == request_seed(dict(reversed(raw.items())))
    assert request_seed(raw) != request_seed({**raw, "random": "2"})
    assert request_seed({**raw, "engine": "reference"}, ignore=("engine",)) == request_seed(raw)
    assert 0 <= request_seed(raw) < 2**32
