"""The HuggingFace client on the real bundled SmolLM2: decoding, stops, echo, batching, chat formats."""

from __future__ import annotations

import math
from dataclasses import replace

import pytest

from helm_lite.common.cache import SqliteCache
from helm_lite.common.request import Request

torch = pytest.importorskip("torch")
pytestmark = pytest.mark.slow  # SmolLM2 on CPU, most tests well over 5 s
from helm_lite.clients.huggingface import HuggingFaceClient, pick_device, pick_dtype  # noqa: E402
from helm_lite.registry.loader import load_registry  # noqa: E402

DEPLOYMENT = "huggingface/smollm2-135m-instruct"
MODEL = "huggingfacetb/smollm2-135m-instruct"


@pytest.fixture(scope="module")
def deployment(tmp_path_factory):
    return load_registry(str(tmp_path_factory.mktemp("no_local"))).get_deployment(DEPLOYMENT)


@pytest.fixture(scope="module")
def client(smollm2_path, deployment) -> HuggingFaceClient:
    return HuggingFaceClient("bundled/smollm2-135m-instruct", deployment=deployment, max_batch_size=8)


def _req(prompt: str, **kw) -> Request:
    kw.setdefault("temperature", 0.0)
    return Request(model_deployment=DEPLOYMENT, model=MODEL, prompt=prompt, **kw)


def test_device_and_dtype_defaults() -> None:
    assert pick_device("auto") == ("cuda" if torch.cuda.is_available() else "cpu")
    assert pick_dtype("auto", "cpu") == torch.float32  # bfloat16 is ~4x slower on CPU
    assert pick_dtype("bfloat16", "cpu") == torch.bfloat16
    assert pick_dtype("torch.float16", "cpu") == torch.float16
    with pytest.raises(ValueError):
        pick_dtype("float99", "cpu")


def test_greedy_answers_and_finish_reasons(client) -> None:
    done = client.make_request(_req("What is the capital of France?", max_tokens=30)).completions[0]
    assert "Paris" in done.text and done.finish_reason == {"reason": "endoftext"}
    assert math.isclose(done.logprob, sum(t.logprob for t in done.tokens), abs_tol=1e-4)
    assert all(t.logprob <= 0 for t in done.tokens)

    cut = client.make_request(_req("Write a long story about a dragon.", max_tokens=5)).completions[0]
    assert cut.finish_reason == {"reason": "length"} and len(cut.tokens) == 5

    stopped = client.make_request(
        _req("List three colors, one per line.", max_tokens=40, stop_sequences=["\n"])
    )
    c = stopped.completions[0]
    assert c.finish_reason == {"reason": "stop"} and "\n" not in c.text and c.text
    assert "".join(t.text for t in c.tokens) == c.text


def test_batched_and_one_at_a_time_greedy_agree(client) -> None:
    prompts = [
        "2 + 2 =",
        "Name a fruit.",
        "What colour is the sky on a clear day? Answer in one word.",
        "Translate 'cat' to French.",
        "Please solve the following problem.\nRules: X + Y | Result: apple + pear\nTarget:",
        "Complete: once upon a",
    ]
    requests = [_req(p, max_tokens=12) for p in prompts]
    batched = client.make_requests(requests)
    assert max(r.batch_size or 0 for r in batched) > 1
    single = HuggingFaceClient(
        "bundled/smollm2-135m-instruct", deployment=client.deployment, max_batch_size=1
    )
    one_by_one = [single.make_request(r) for r in requests]
    assert [r.completions[0].text for r in batched] == [r.completions[0].text for r in one_by_one]
    for a, b in zip(batched, one_by_one, strict=True):
        assert math.isclose(a.completions[0].logprob, b.completions[0].logprob, abs_tol=1e-3)


def test_shared_few_shot_prefix_is_computed_once_with_the_same_answers(client, monkeypatch) -> None:
    from helm_lite.clients.huggingface import kv_cache as hf_kv_cache

    shots = "".join(f"Q: What is {i} + {i}?\nA: {2 * i}\n\n" for i in range(1, 9))
    requests = [_req(f"{shots}Q: What is {i} + {i}?\nA:", max_tokens=6) for i in (11, 23, 7, 40)]
    calls = []
    real = hf_kv_cache._run
    monkeypatch.setattr(
        hf_kv_cache, "_run", lambda m, prefix, *a: calls.append(len(prefix)) or real(m, prefix, *a)
    )
    shared = HuggingFaceClient(
        "bundled/smollm2-135m-instruct", deployment=client.deployment, max_batch_size=4
    )
    batched = shared.make_requests(requests)
    assert len(calls) == 1 and calls[0] > 100  # chat header + all eight examples, computed once
    single = HuggingFaceClient(
        "bundled/smollm2-135m-instruct", deployment=client.deployment, max_batch_size=1
    )
    one_by_one = [single.make_request(r) for r in requests]
    assert len(calls) == 1  # a batch of one has nothing to share
    for a, b in zip(batched, one_by_one, strict=True):
        assert a.completions[0].text == b.completions[0].text
        # float32; the shared prefix only changes the order of additions inside the matmuls
        assert math.isclose(a.completions[0].logprob, b.completions[0].logprob, abs_tol=1e-3)


def test_shared_prefix_length_leaves_every_prompt_a_token() -> None:
    from helm_lite.clients.huggingface.batching import shared_prefix_length

    assert shared_prefix_length([[1, 2, 3, 4], [1, 2, 3, 5]]) == 3
    assert shared_prefix_length([[1, 2, 3], [1, 2, 3, 4]]) == 2  # the shorter keeps its last token
    assert shared_prefix_length([[1, 2], [3, 2]]) == 0
    assert shared_prefix_length([[1, 2, 3]]) == 0  # one prompt: nothing to share


def test_seeded_sampling_is_reproducible(client) -> None:
    request = _req("Tell me a story.", temperature=1.0, num_completions=3, max_tokens=12)
    first = client.make_request(request).completions
    again = HuggingFaceClient("bundled/smollm2-135m-instruct", deployment=client.deployment).make_request(
        request
    )
    assert [c.text for c in first] == [c.text for c in again.completions]
    assert len(first) == 3 and len({c.text for c in first}) > 1
    other = client.make_request(replace(request, random="1")).completions
    assert [c.text for c in other] != [c.text for c in first]


def test_echo_returns_prompt_token_logprobs(client) -> None:
    prompt = "The capital of France is Paris"
    c = client.make_request(_req(prompt, max_tokens=0, echo_prompt=True)).completions[0]
    assert c.text == prompt and "".join(t.text for t in c.tokens) == prompt
    assert c.tokens[0].logprob == 0.0 and all(t.logprob < 0 for t in c.tokens[1:])
    assert math.isclose(c.logprob, sum(t.logprob for t in c.tokens), abs_tol=1e-4)
    # A likely continuation scores higher than an unlikely one.
    unlikely = client.make_request(_req("The capital of France is Banana", max_tokens=0, echo_prompt=True))
    assert c.tokens[-1].logprob > unlikely.completions[0].tokens[-1].logprob

    both = client.make_request(_req("Count: 1, 2, 3,", max_tokens=4, echo_prompt=True)).completions[0]
    assert both.text.startswith("Count: 1, 2, 3,") and len(both.text) > len("Count: 1, 2, 3,")


def test_chat_template_enters_the_cache_key_but_not_for_scoring(client) -> None:
    raw = client.raw_request(_req("Hi"))
    assert raw["prompt"].startswith("<|im_start|>system") and raw["prompt"].endswith(
        "<|im_start|>assistant\n"
    )
    assert client.raw_request(_req("Hi", echo_prompt=True, max_tokens=0))["prompt"] == "Hi"
    assert raw["model"] == "bundled/smollm2-135m-instruct" and raw["temperature"] == 0.0


def test_deployment_prompt_format_and_stops(client, deployment) -> None:
    custom = replace(
        deployment,
        chat_template=None,
        prompt_format={"user": "USER: {instruction}\n", "trailing_assistant": "ASSISTANT:"},
        stop_sequences=["USER:"],
    )
    c = HuggingFaceClient("bundled/smollm2-135m-instruct", deployment=custom)
    raw = c.raw_request(_req("Hello", stop_sequences=["\n"]))
    assert raw["prompt"] == "USER: Hello\nASSISTANT:"
    assert raw["stop_sequences"] == ["\n", "USER:"]
    plain = HuggingFaceClient(
        "bundled/smollm2-135m-instruct",
        deployment=replace(deployment, chat_template=None),
        apply_chat_template=False,
    )
    assert plain.raw_request(_req("Hello"))["prompt"] == "Hello"


def test_results_are_cached(client, tmp_path) -> None:
    cached = HuggingFaceClient(
        "bundled/smollm2-135m-instruct",
        deployment=client.deployment,
        cache=SqliteCache(str(tmp_path / "hf.sqlite")),
    )
    first = cached.make_request(_req("Say hello.", max_tokens=5))
    second = cached.make_request(_req("Say hello.", max_tokens=5))
    assert not first.cached and second.cached and first.completions == second.completions


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")
def test_cuda_matches_cpu_greedy(client) -> None:
    gpu = HuggingFaceClient(
        "bundled/smollm2-135m-instruct", deployment=client.deployment, device="cuda", dtype="float32"
    )
    request = _req("What is the capital of France?", max_tokens=10)
    assert gpu.make_request(request).completions[0].text == client.make_request(request).completions[0].text


def test_cpu_grouped_query_attention_matches_transformers_sdpa(smollm2_path) -> None:
    """The CPU attention that skips copying key/value heads computes what transformers' SDPA does."""
    from transformers import AutoModelForCausalLM, AutoTokenizer, GenerationConfig

    from helm_lite.clients.huggingface.attention import cpu_attention_implementation

    name = cpu_attention_implementation()
    assert name is not None  # torch >= 2.5
    tok = AutoTokenizer.from_pretrained(smollm2_path)
    prompts = ["Count from 1 to 20:", "The capital of France is", "def fibonacci(n):"]
    batch = tok(prompts, padding=True, padding_side="left", return_tensors="pt")  # padded: a mask is used
    config = GenerationConfig(
        max_new_tokens=12,
        do_sample=False,
        output_logits=True,
        return_dict_in_generate=True,
        pad_token_id=tok.pad_token_id,
    )
    outs = []
    for impl in ("sdpa", name):
        model = AutoModelForCausalLM.from_pretrained(
            smollm2_path, dtype=torch.float32, attn_implementation=impl
        )
        assert model.config._attn_implementation == impl
        with torch.inference_mode():
            outs.append(model.eval().generate(**batch, generation_config=config))
    assert torch.equal(outs[0].sequences, outs[1].sequences)
    for a, b in zip(outs[0].logits, outs[1].logits, strict=True):
        assert torch.allclose(a, b, atol=1e-5)


def test_greedy_batch_matches_transformers_generate_and_drops_finished_rows(client) -> None:
    """The greedy loop (with the transformers-free tokenizer the client uses) gives what transformers'
    own `generate` gives each prompt alone (same tokens, stop strings and end-of-text), while finished
    rows leave the batch instead of being computed on."""
    from transformers import GenerationConfig

    from helm_lite.clients.huggingface.decoding import Decoding
    from helm_lite.clients.huggingface.generation import generate_batch

    prompts = [
        client.renderer.format(p)
        for p in (
            "List three colors, one per line.",
            "Write a long story about a dragon.",
            "What is the capital of France? Answer in one word.",
            "Count from 1 to 20, separated by commas.",
        )
    ]
    from helm_lite.tokenizers.light_hf import LightHFTokenizer

    model, tok = client.model, client.tokenizer
    assert isinstance(client.text_tokenizer, LightHFTokenizer)  # what the client decodes with
    sizes: list[int] = []
    real_forward = model.forward

    def counting_forward(*args, **kwargs):
        sizes.append(kwargs["input_ids"].shape[0])
        return real_forward(*args, **kwargs)

    model.forward = counting_forward
    try:
        with torch.inference_mode():
            ours = generate_batch(
                model,
                client.text_tokenizer,
                client.device,
                prompts,
                Decoding(max_new_tokens=24, stop_sequences=("\n",)),
            )
    finally:
        del model.forward
    assert max(sizes) == 4 and sizes[-1] < 4  # rows that stopped were dropped along the way
    assert {c[0]["finish_reason"]["reason"] for c in ours} >= {"stop", "length"}

    for prompt, (got,) in zip(prompts, ours, strict=True):
        ids = tok(prompt, add_special_tokens=False, return_tensors="pt")["input_ids"]
        config = GenerationConfig(
            max_new_tokens=24,
            do_sample=False,
            pad_token_id=tok.eos_token_id,
            eos_token_id=tok.eos_token_id,
            stop_strings=["\n"],
        )
        with torch.inference_mode():
            out = model.generate(input_ids=ids, generation_config=config, tokenizer=tok)
        text = tok.decode(out[0, ids.shape[1] :], skip_special_tokens=True).split("\n")[0]
        assert got["text"] == text


def test_reserved_cache_layer_keeps_what_a_dynamic_layer_keeps() -> None:
    """Writes in place, grows past its capacity, drops rows: always the same tensors as
    transformers' concatenating layer."""
    from transformers.cache_utils import DynamicLayer

    from helm_lite.clients.huggingface.kv_cache import _ReservedLayer

    gen = torch.Generator().manual_seed(0)
    ours, ref = _ReservedLayer(capacity=6), DynamicLayer()
    prefix_k, prefix_v = torch.randn(1, 2, 3, 4, generator=gen), torch.randn(1, 2, 3, 4, generator=gen)
    ours.fill(prefix_k, prefix_v, batch=3)
    ref.update(prefix_k.repeat(3, 1, 1, 1), prefix_v.repeat(3, 1, 1, 1))
    for width in (2, 1, 1, 1):  # 3 + 5 positions: past the capacity of 6
        k, v = torch.randn(3, 2, width, 4, generator=gen), torch.randn(3, 2, width, 4, generator=gen)
        got, want = ours.update(k, v), ref.update(k, v)
        assert torch.equal(got[0], want[0]) and torch.equal(got[1], want[1])
    assert ours.get_seq_length() == ref.get_seq_length() == 8
    keep = torch.tensor([0, 2])
    ours.batch_select_indices(keep)
    ref.batch_select_indices(keep)
    k, v = torch.randn(2, 2, 1, 4, generator=gen), torch.randn(2, 2, 1, 4, generator=gen)
    got, want = ours.update(k, v), ref.update(k, v)
    assert torch.equal(got[0], want[0]) and torch.equal(got[1], want[1])


def test_batch_groups_bound_padded_positions() -> None:
    from helm_lite.clients.huggingface.batching import batch_groups

    # rows × (longest + 10 new tokens) <= 100
    assert batch_groups([10, 12, 15, 30, 40], 10, 100) == [range(0, 3), range(3, 5)]
    assert batch_groups([10, 12, 15, 30, 41], 10, 100) == [range(0, 3), range(3, 4), range(4, 5)]
    assert batch_groups([500], 10, 100) == [range(0, 1)]  # a lone long prompt still runs
    assert batch_groups([], 10, 100) == []


def test_max_batch_tokens_splits_a_batch_without_changing_answers(client) -> None:
    requests = [_req(f"Name a famous person whose name starts with {c}.", max_tokens=8) for c in "ABCD"]
    whole = client.make_requests(requests)
    small = HuggingFaceClient(
        "bundled/smollm2-135m-instruct",
        deployment=client.deployment,
        max_batch_size=8,
        max_batch_tokens=80,  # about two of these prompts at a time
    )
    from helm_lite.clients.huggingface.batching import batch_groups

    lengths = [len(client.tokenizer(client.renderer.format(r.prompt))["input_ids"]) for r in requests]
    assert len(batch_groups(lengths, 8, 80)) > 1  # the budget really splits this batch
    split = small.make_requests(requests)
    assert [r.completions[0].text for r in split] == [r.completions[0].text for r in whole]


def test_loading_a_model_skips_transformers_eager_sklearn_import(smollm2_path) -> None:
    """scikit-learn is installed (calibration stats) but a model load does not import it, and
    transformers still reports it available afterwards."""
    import importlib.util
    import subprocess
    import sys

    assert importlib.util.find_spec("sklearn") is not None
    code = (
        "import sys\n"
        "from helm_lite.clients.huggingface import HuggingFaceClient\n"
        "HuggingFaceClient('bundled/smollm2-135m-instruct').model\n"
        "from transformers.utils import is_sklearn_available\n"
        "print('sklearn' in sys.modules, is_sklearn_available())\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split() == ["False", "True"]
