"""Client settings (one frozen dataclass per client) and the completion assembly the local engines share."""

from __future__ import annotations

import dataclasses

import pytest

from helm_lite.clients.completion_assembly import scored_tokens, token_completion
from helm_lite.clients.huggingface.client import HuggingFaceClient
from helm_lite.clients.openai_client import OpenAIClient
from helm_lite.clients.together_client import TogetherClient
from helm_lite.common.credentials import Credentials
from helm_lite.common.errors import UserError
from helm_lite.common.object_spec import Lazy, ObjectSpec, create_object
from helm_lite.common.request import Request
from helm_lite.models.bundled import resolve_model_path
from helm_lite.tokenizers.huggingface import load_text_tokenizer

HF = "helm_lite.clients.huggingface.client.HuggingFaceClient"
SMOL = "bundled/smollm2-135m-instruct"


def test_an_unknown_arg_is_refused_before_the_cache_is_opened() -> None:
    opened: list[int] = []
    spec = ObjectSpec(HF, {"pretrained_model_name_or_path": SMOL, "max_batch_tokenz": 8})
    with pytest.raises(UserError, match=r"HuggingFaceClient: unknown argument\(s\) max_batch_tokenz$"):
        create_object(spec, cache=Lazy(lambda: opened.append(1)))
    assert opened == []


def test_args_become_frozen_settings_and_a_direct_typo_names_the_deployment() -> None:
    client = create_object(ObjectSpec(HF, {"pretrained_model_name_or_path": SMOL, "dtype": "float32"}))
    assert (client.settings.dtype, client.settings.max_batch_tokens, client.max_batch_size) == (
        "float32",
        32768,
        64,
    )
    with pytest.raises(dataclasses.FrozenInstanceError):
        client.settings.dtype = "bfloat16"
    with pytest.raises(
        UserError, match=r"^HuggingFaceClient: unknown client_spec.args devise \(known: .*device"
    ):
        HuggingFaceClient(SMOL, devise="cpu")


def test_openai_style_settings_keep_helm_names_and_hide_the_key() -> None:
    creds = Credentials({})
    openai = create_object(
        ObjectSpec(
            "helm.clients.openai_client.OpenAIClient", {"openai_model_name": "gpt-4o", "api_key": "sk-x1"}
        ),
        credentials=creds,
    )
    assert isinstance(openai, OpenAIClient) and openai.settings.model == "gpt-4o" and openai.api == "chat"
    assert "sk-x1" not in repr(openai.settings)
    together = TogetherClient(model="m", api="chat", api_key="k", disable_logprobs=True, credentials=creds)
    raw = together.raw_request(Request(model="together/m", prompt="hi"))
    assert "logprobs" not in raw and raw["messages"] == [{"role": "user", "content": "hi"}]


@pytest.fixture(scope="module")
def tokenizer():  # the bundled SmolLM2 tokenizer (transformers-free)
    return load_text_tokenizer(resolve_model_path(SMOL))


def test_a_completion_stops_at_a_token_boundary_and_sums_its_logprobs(tokenizer) -> None:
    ids = tokenizer("Paris.\nQ: next", add_special_tokens=False)["input_ids"]
    lps = [-0.5 * (k + 1) for k in range(len(ids))]
    done = token_completion(tokenizer, ids, lps, "length", ["\n"])
    assert done["text"] == "Paris." and done["finish_reason"] == {"reason": "stop"}
    assert "".join(t["text"] for t in done["tokens"]) == "Paris."
    assert done["logprob"] == sum(t["logprob"] for t in done["tokens"]) == sum(lps[: len(done["tokens"])])
    whole = token_completion(tokenizer, ids, lps, "endoftext", [])
    assert (whole["text"], whole["finish_reason"]) == ("Paris.\nQ: next", {"reason": "endoftext"})


def test_an_echoed_prompt_comes_first_in_text_tokens_and_logprob(tokenizer) -> None:
    prompt_ids = tokenizer("The capital", add_special_tokens=False)["input_ids"]
    echoed = scored_tokens(tokenizer, prompt_ids, [0.0] + [-1.0] * (len(prompt_ids) - 1))
    ids = tokenizer(" is Paris", add_special_tokens=False)["input_ids"]
    done = token_completion(tokenizer, ids, [-0.25] * len(ids), "length", [], echoed, "The capital")
    assert done["text"] == "The capital is Paris"
    assert "".join(t["text"] for t in done["tokens"]) == done["text"]
    assert done["logprob"] == -1.0 * (len(prompt_ids) - 1) - 0.25 * len(ids)
