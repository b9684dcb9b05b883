"""The transformers-free tokenizer gives exactly what transformers gives, on the bundled model."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from helm_lite.tokenizers.light_hf import LightHFTokenizer

TEXTS = [
    "",
    "Hello, world!",
    "  leading and trailing spaces  ",
    "Tabs\tand\nnewlines\n\n  indented",
    "Unicode: naïve café, 日本語のテキスト, emoji 🤖👍🏽, math ∑ x² ≤ ∞",
    "Special tokens in text: <|im_start|>user\nhi<|im_end|> and <|endoftext|>",
    "Numbers 1234567890 and 3.14159, negatives -42; code: def f(x): return x ** 2",
    "Don't you think it's odd ? Yes , it is !",
]
CONVERSATIONS = [
    [{"role": "user", "content": "What is 2 + 2?"}],
    [{"role": "system", "content": "Be terse."}, {"role": "user", "content": "Name a colour."}],
    [
        {"role": "user", "content": "Hi"},
        {"role": "assistant", "content": "Hello! How can I help?"},
        {"role": "user", "content": "Ünïcödé and\nnewlines"},
    ],
]


@pytest.fixture(scope="module")
def pair(smollm2_path):
    from transformers import AutoTokenizer

    light = LightHFTokenizer.load(smollm2_path)
    assert light is not None
    return light, AutoTokenizer.from_pretrained(smollm2_path, local_files_only=True)


@pytest.mark.slow
def test_encoding_and_decoding_match_transformers(pair) -> None:
    light, full = pair
    for text in TEXTS:
        for special in (False, True):
            ids = light.encode(text, add_special_tokens=special)
            assert ids == full.encode(text, add_special_tokens=special), text
            assert light(text, add_special_tokens=special)["input_ids"] == ids
        assert light.tokenize(text) == full.tokenize(text)
        tokens = light.convert_ids_to_tokens(ids)
        assert tokens == full.convert_ids_to_tokens(ids)
        assert [light.convert_tokens_to_string([t]) for t in tokens] == [
            full.convert_tokens_to_string([t]) for t in tokens
        ]
        for skip in (False, True):
            for clean in (False, True):
                got = light.decode(ids, skip_special_tokens=skip, clean_up_tokenization_spaces=clean)
                assert got == full.decode(ids, skip_special_tokens=skip, clean_up_tokenization_spaces=clean)
    for name in ("bos_token", "eos_token", "pad_token"):
        assert getattr(light, name) == getattr(full, name)
        assert getattr(light, f"{name}_id") == getattr(full, f"{name}_id")


@pytest.mark.slow
def test_chat_template_matches_transformers(pair) -> None:
    light, full = pair
    for messages in CONVERSATIONS:
        for gen in (False, True):
            expected = full.apply_chat_template(messages, tokenize=False, add_generation_prompt=gen)
            assert light.apply_chat_template(messages, add_generation_prompt=gen) == expected


def test_only_plain_backends_are_taken(tmp_path, smollm2_path) -> None:
    import shutil

    folder = tmp_path / "tok"
    shutil.copytree(smollm2_path, folder, ignore=shutil.ignore_patterns("*.safetensors"))
    config = json.loads((folder / "tokenizer_config.json").read_text())
    (folder / "tokenizer_config.json").write_text(json.dumps({**config, "tokenizer_class": "LlamaTokenizer"}))
    assert LightHFTokenizer.load(str(folder)) is None  # class-specific behaviour: transformers decides
    (folder / "tokenizer_config.json").write_text(json.dumps(config))
    (folder / "chat_template.jinja").write_text("{% generation %}{{ messages }}{% endgeneration %}")
    assert LightHFTokenizer.load(str(folder)) is None  # a transformers-only template tag
    assert LightHFTokenizer.load(str(tmp_path / "missing")) is None


@pytest.mark.slow
def test_a_cached_run_never_imports_transformers_or_torch(tmp_path, smollm2_path) -> None:
    """Chat formatting and token counting on a fully cached HF run use the light tokenizer."""
    args = [
        "-r",
        "synthetic_reasoning:mode=pattern_match,model=huggingfacetb/smollm2-135m-instruct",
        "-m",
        "3",
        "--suite",
        "s",
        "--no-progress",
    ]
    first = subprocess.run(
        [sys.executable, "-m", "helm_lite.cli.run", *args], cwd=tmp_path, capture_output=True, text=True
    )
    assert first.returncode == 0, first.stderr
    probe = (
        "import sys\nfrom helm_lite.cli.run import main\n"
        "assert main(sys.argv[1:]) == 0\n"
        "print('HEAVY', sorted(m for m in ('torch', 'transformers') if m in sys.modules))\n"
    )
    again = subprocess.run([sys.executable, "-c", probe, *args], cwd=tmp_path, capture_output=True, text=True)
    assert again.returncode == 0, again.stderr
    assert "HEAVY []" in again.stdout, again.stdout
    assert "0 computes" in again.stderr
