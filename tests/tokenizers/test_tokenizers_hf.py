"""HuggingFaceTokenizer on a tiny byte-level BPE tokenizer built here (no download, no network)."""

from __future__ import annotations

import socket
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("transformers")

from helm_lite.chat import TokenizerTemplateFormatter, make_chat_formatter  # noqa: E402
from helm_lite.common.errors import UserError  # noqa: E402
from helm_lite.common.object_spec import ObjectSpec, create_object  # noqa: E402
from helm_lite.registry.schema import ModelDeployment  # noqa: E402
from helm_lite.tokenizers import huggingface as hf_module  # noqa: E402
from helm_lite.tokenizers.huggingface import (  # noqa: E402
    HuggingFaceTokenizer,
    load_hf_tokenizer,
    load_text_tokenizer,
)

CHAT_TEMPLATE = (
    "{% for m in messages %}<|{{ m['role'] }}|>{{ m['content'] }}</s>{% endfor %}"
    "{% if add_generation_prompt %}<|assistant|>{% endif %}"
)


def build_tiny_tokenizer(directory: Path, chat_template: str | None = CHAT_TEMPLATE) -> Path:
    """A GPT-2-style (byte-level BPE) tokenizer that adds <s> as a special token, saved in HF format."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, processors, trainers
    from transformers import PreTrainedTokenizerFast

    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=300,
        special_tokens=["<s>", "</s>"],
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    tok.train_from_iterator(
        ["hello world", "the capital of France is Paris", "hello there world"] * 10, trainer
    )
    tok.post_processor = processors.TemplateProcessing(
        single="<s> $A", special_tokens=[("<s>", tok.token_to_id("<s>"))]
    )
    hf = PreTrainedTokenizerFast(tokenizer_object=tok, bos_token="<s>", eos_token="</s>")
    if chat_template is not None:
        hf.chat_template = chat_template
    hf.save_pretrained(str(directory))
    return directory


@pytest.fixture(scope="module")
def tiny_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_tiny_tokenizer(tmp_path_factory.mktemp("tiny_tokenizer"))


@pytest.fixture
def no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    """Any attempt to open a connection fails the test."""

    def refuse(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError(f"network access attempted: {args!r}")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)


def test_encode_decode_without_special_tokens(tiny_dir: Path, no_network: None) -> None:
    tokenizer = HuggingFaceTokenizer(str(tiny_dir), tokenizer_name="local/tiny")
    ids = tokenizer.encode("hello world")
    assert ids and tokenizer.hf_tokenizer.bos_token_id not in ids
    assert tokenizer.hf_tokenizer.encode("hello world")[0] == tokenizer.hf_tokenizer.bos_token_id
    assert tokenizer.decode(ids) == "hello world"
    # No clean-up of tokenization spaces: " ," stays as is.
    assert tokenizer.decode(tokenizer.encode("hello , world")) == "hello , world"


def test_tokenize_follows_helm_name_rules(tiny_dir: Path) -> None:
    # Ordinary names: raw token strings (byte-level "Ġ" kept), as HELM does.
    assert HuggingFaceTokenizer(str(tiny_dir), tokenizer_name="local/tiny").tokenize("hello world") == [
        "hello",
        "Ġworld",
    ]
    # Names starting with "huggingface" or ending in "gpt2": "Ġ" becomes a space.
    assert HuggingFaceTokenizer(str(tiny_dir), tokenizer_name="huggingface/tiny").tokenize("hello world") == [
        "hello",
        " world",
    ]
    # Names containing "gpt": each token through convert_tokens_to_string.
    assert HuggingFaceTokenizer(str(tiny_dir), tokenizer_name="org/tiny-gpt-x").tokenize("hello world") == [
        "hello",
        " world",
    ]


def test_loaded_once_and_shared(tiny_dir: Path) -> None:
    a = HuggingFaceTokenizer(str(tiny_dir), tokenizer_name="a/one")
    b = HuggingFaceTokenizer(str(tiny_dir), tokenizer_name="b/two")
    assert a.hf_tokenizer is b.hf_tokenizer
    assert load_text_tokenizer(str(tiny_dir)) is a.hf_tokenizer
    assert load_hf_tokenizer(str(tiny_dir)) is load_hf_tokenizer(str(tiny_dir))
    assert a.lock is b.lock


def test_offline_loading_uses_local_files_only(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, no_network: None
) -> None:
    directory = build_tiny_tokenizer(tmp_path / "offline_tok")
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    seen: list[dict[str, Any]] = []
    from transformers import AutoTokenizer

    original = AutoTokenizer.from_pretrained

    def spy(path: str, **kwargs: Any) -> Any:
        seen.append(kwargs)
        return original(path, **kwargs)

    monkeypatch.setattr(AutoTokenizer, "from_pretrained", spy)
    assert load_hf_tokenizer(str(directory)).encode("hello")
    assert seen and all(k.get("local_files_only") for k in seen)


def test_unknown_hub_id_offline_is_a_user_error(monkeypatch: pytest.MonkeyPatch, no_network: None) -> None:
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    with pytest.raises(UserError, match=r"'nobody-here/no-such-tokenizer-xyz'.*offline"):
        HuggingFaceTokenizer("nobody-here/no-such-tokenizer-xyz").encode("x")


def test_missing_local_path_is_a_user_error(tmp_path: Path) -> None:
    missing = str(tmp_path / "nope")
    with pytest.raises(UserError, match=f"'{missing}': no such directory"):
        HuggingFaceTokenizer(missing).encode("x")


def test_folder_without_tokenizer_is_a_user_error(tmp_path: Path) -> None:
    with pytest.raises(UserError) as info:
        HuggingFaceTokenizer(str(tmp_path)).encode("x")
    message = str(info.value)
    assert str(tmp_path) in message and "\n" not in message


def test_path_defaults_to_tokenizer_name(tiny_dir: Path) -> None:
    assert HuggingFaceTokenizer(tokenizer_name=str(tiny_dir)).encode("hello")


def test_helm_class_name_resolves(tiny_dir: Path) -> None:
    spec = ObjectSpec(
        "helm.tokenizers.huggingface_tokenizer.HuggingFaceTokenizer",
        {"pretrained_model_name_or_path": str(tiny_dir)},
    )
    tokenizer = create_object(spec, tokenizer_name="huggingface/tiny")
    assert isinstance(tokenizer, HuggingFaceTokenizer)
    assert tokenizer.tokenize("hello world") == ["hello", " world"]


def test_bundled_names_are_resolved(tiny_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(
        hf_module, "resolve_path", lambda name: str(tiny_dir) if name == "bundled/x" else name
    )
    assert HuggingFaceTokenizer("bundled/x").hf_tokenizer is load_text_tokenizer(str(tiny_dir))


def test_tokenizer_template_formatter(tiny_dir: Path) -> None:
    tokenizer = HuggingFaceTokenizer(str(tiny_dir))
    formatter = TokenizerTemplateFormatter(tokenizer.hf_tokenizer)
    assert formatter.format_prompt("What is 2+2?") == "<|user|>What is 2+2?</s><|assistant|>"
    deployment = ModelDeployment(name="local/tiny", client_spec=ObjectSpec("x.Y"), chat_template="tokenizer")
    via_factory = make_chat_formatter(deployment, lambda: tokenizer.hf_tokenizer)
    assert via_factory is not None and via_factory.format_prompt("hi") == "<|user|>hi</s><|assistant|>"


def test_template_formatter_needs_a_chat_template(tmp_path: Path) -> None:
    directory = build_tiny_tokenizer(tmp_path / "no_template", chat_template=None)
    with pytest.raises(UserError, match="no chat template"):
        TokenizerTemplateFormatter(HuggingFaceTokenizer(str(directory)).hf_tokenizer)
