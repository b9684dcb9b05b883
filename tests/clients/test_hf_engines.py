"""The HuggingFace client's two engines on the bundled SmolLM2: the fast one answers as plain
transformers does, and an untested transformers version falls back to plain transformers."""

from __future__ import annotations

import json
import math
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from helm_lite.common.errors import UserError
from helm_lite.common.request import Request

torch = pytest.importorskip("torch")
from helm_lite.clients.huggingface import HuggingFaceClient, compat  # noqa: E402
from helm_lite.registry.loader import load_registry  # noqa: E402

DEPLOYMENT = "huggingface/smollm2-135m-instruct"
MODEL = "huggingfacetb/smollm2-135m-instruct"
BUNDLED = "bundled/smollm2-135m-instruct"
REPO = Path(__file__).resolve().parents[2]
SHOTS = "".join(f"Q: What is {i} + {i}?\nA: {2 * i}\n\n" for i in range(1, 5))
# (prompt, max_tokens, stop_sequences, echo_prompt): answers that stop, end, run to max_tokens, and
# prompt scoring alone or followed by a continuation; the two few-shot prompts share a prefix.
CASES = [
    ("List three colors, one per line.", 24, ["\n"], False),
    ("What is the capital of France? Answer in one word.", 24, [], False),
    ("Write a long story about a dragon.", 12, [], False),
    (f"{SHOTS}Q: What is 11 + 11?\nA:", 6, ["\n"], False),
    (f"{SHOTS}Q: What is 7 + 7?\nA:", 6, ["\n"], False),
    ("The capital of France is Paris", 0, [], True),
    ("The capital of France is Banana", 0, [], True),
    ("Count: 1, 2, 3,", 4, [], True),
]


def _requests() -> list[Request]:
    return [
        Request(
            model_deployment=DEPLOYMENT,
            model=MODEL,
            prompt=prompt,
            temperature=0.0,
            max_tokens=max_tokens,
            stop_sequences=stops,
            echo_prompt=echo,
        )
        for prompt, max_tokens, stops, echo in CASES
    ]


def _answers(results) -> list[dict]:
    """What a user reads from each answer: text, finish reason, tokens with log probabilities."""
    out = []
    for result in results:
        assert result.success, result.error
        (c,) = result.completions
        tokens = [[t.text, t.logprob] for t in c.tokens]
        out.append({"text": c.text, "finish_reason": c.finish_reason, "tokens": tokens})
    return out


def _assert_same_answers(got: list[dict], want: list[dict]) -> None:
    """Same texts, finish reasons and tokens; log probabilities equal to 1e-5 (float32 rounding:
    the reference runs each prompt alone and unmasked, the fast engine in padded batches)."""
    assert {a["finish_reason"]["reason"] for a in want} == {"stop", "endoftext", "length"}
    for g, w in zip(got, want, strict=True):
        assert (g["text"], g["finish_reason"]) == (w["text"], w["finish_reason"])
        assert [t for t, _ in g["tokens"]] == [t for t, _ in w["tokens"]]
        for (_, a), (_, b) in zip(g["tokens"], w["tokens"], strict=True):
            assert math.isclose(a, b, rel_tol=1e-5, abs_tol=1e-5), (g["text"], a, b)


@pytest.fixture(scope="module")
def deployment(tmp_path_factory):
    return load_registry(str(tmp_path_factory.mktemp("no_local"))).get_deployment(DEPLOYMENT)


@pytest.fixture(scope="module")
def fast_answers(smollm2_path, deployment) -> list[dict]:
    client = HuggingFaceClient(BUNDLED, deployment=deployment, max_batch_size=8)
    assert client.engine_name == "fast"
    results = client.make_requests(_requests())
    assert max(r.batch_size or 0 for r in results) > 1  # the fast engine really batched
    return _answers(results)


@pytest.mark.slow  # several processes or a model (2-7 s)
def test_reference_engine_gives_the_fast_engines_answers(fast_answers, deployment) -> None:
    reference = HuggingFaceClient(BUNDLED, deployment=deployment, max_batch_size=8, engine="reference")
    _assert_same_answers(_answers(reference.make_requests(_requests())), fast_answers)


def test_engine_enters_the_cache_key_only_when_reference(deployment) -> None:
    request = _requests()[0]
    fast = HuggingFaceClient(BUNDLED, deployment=deployment).raw_request(request)
    reference = HuggingFaceClient(BUNDLED, deployment=deployment, engine="reference").raw_request(request)
    assert "engine" not in fast  # keys of the default engine are the ones caches already hold
    assert reference == {**fast, "engine": "reference"}


def test_an_unknown_engine_is_one_line_naming_the_argument(deployment) -> None:
    with pytest.raises(
        UserError, match=r"huggingface/smollm2-135m-instruct: client_spec.args.engine: .*'turbo'"
    ):
        HuggingFaceClient(BUNDLED, deployment=deployment, engine="turbo")


def test_tested_range_is_the_one_pyproject_pins() -> None:
    pin = re.search(r'"transformers(>=[^"]+)"', (REPO / "pyproject.toml").read_text())
    assert pin is not None and pin[1] == compat.tested_range()
    assert compat.untested_version(compat.installed_version()) is None  # CI runs the tested one
    assert compat.missing_internals() == []
    assert compat.untested_version("5.0.0") is None
    for outside in ("4.57.1", "5.20.0", "5.20.0.dev0", "6.0", "garbage"):
        assert compat.untested_version(outside) is not None


@pytest.mark.slow
def test_an_untested_transformers_falls_back_to_reference_with_one_warning(fast_answers, tmp_path) -> None:
    """A helm_lite process that sees transformers 5.99.0 warns once, keys its answers as the
    reference engine's, and answers as the fast engine does."""
    code = (
        "import json, sys\n"
        f"sys.path.insert(0, {str(Path(__file__).parent)!r})\n"
        "from helm_lite.clients.huggingface import HuggingFaceClient\n"
        "from helm_lite.registry.loader import load_registry\n"
        "from test_hf_engines import BUNDLED, DEPLOYMENT, _answers, _requests\n"
        f"deployment = load_registry({str(tmp_path)!r}).get_deployment(DEPLOYMENT)\n"
        "clients = [HuggingFaceClient(BUNDLED, deployment=deployment, max_batch_size=8) for _ in '12']\n"
        "results = clients[0].make_requests(_requests())\n"
        "keys = [c.raw_request(_requests()[0]).get('engine') for c in clients]\n"
        "print(json.dumps({'keys': keys, 'answers': _answers(results)}))\n"
    )
    env = {**os.environ, compat.VERSION_ENV: "5.99.0"}
    proc = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=600, env=env, cwd=tmp_path
    )
    assert proc.returncode == 0, proc.stderr
    warnings = [line for line in proc.stderr.splitlines() if "5.99.0" in line]
    assert len(warnings) == 1, proc.stderr
    assert "outside the tested range >=5.0,<5.20" in warnings[0] and "engine=reference" in warnings[0]
    out = json.loads(proc.stdout)
    assert out["keys"] == ["reference", "reference"]
    _assert_same_answers(out["answers"], fast_answers)
