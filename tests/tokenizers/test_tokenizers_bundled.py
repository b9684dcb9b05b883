"""The bundled SmolLM2 tokenizer through the registry: offline, round-trips, counts tokens for windows."""

from __future__ import annotations

from helm_lite.common.cache import CacheManager
from helm_lite.registry.loader import load_registry
from helm_lite.services import Services


def test_bundled_tokenizer_and_window_service(smollm2_path: str, tmp_path) -> None:
    services = Services(load_registry(str(tmp_path / "p")), CacheManager(str(tmp_path / "cache")))
    tokenizer = services.tokenizer("huggingfacetb/smollm2-135m-instruct")
    text = "Question: What is 7 + 5?\nAnswer: 12 — déjà vu"
    ids = tokenizer.encode(text)
    assert ids and tokenizer.decode(ids) == text
    assert len(tokenizer.tokenize(text)) == len(ids)

    window = services.window_service("huggingface/smollm2-135m-instruct")
    assert window.max_request_length == 8192 and window.end_of_text_token == "<|im_end|>"
    assert window.get_num_tokens(text) == len(ids)
    assert window.truncate_from_right("word " * 10_000).count("word") < 10_000
