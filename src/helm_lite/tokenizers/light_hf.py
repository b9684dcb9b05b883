"""A Hugging Face tokenizer without transformers, for the work a cached run still has to do.

A run whose answers are all cached still counts tokens (window service, metrics) and renders chat
templates (the formatted prompt is the cache key). Importing transformers (and with it torch) for
that costs seconds; the `tokenizers` library and jinja2 do the same work in milliseconds.

`LightHFTokenizer.load` only accepts folders whose tokenizer is a plain `tokenizer.json` backend
(``tokenizer_class`` ``TokenizersBackend`` or ``PreTrainedTokenizerFast``), where transformers adds
nothing to what `tokenizers` does; anything else returns None and the caller uses transformers. It
offers the subset of the transformers tokenizer API that helm_lite calls, with the same results
(tests compare the two on the bundled model).
"""

from __future__ import annotations

import json
import os
from datetime import datetime
from typing import Any

_PLAIN_CLASSES = frozenset({"TokenizersBackend", "PreTrainedTokenizerFast"})
_SPECIAL_KEYS = ("bos_token", "eos_token", "unk_token", "pad_token", "sep_token", "cls_token", "mask_token")


def _token_content(value: Any) -> str | None:
    if isinstance(value, dict):  # an AddedToken written out as a dict
        content = value.get("content")
        return content if isinstance(content, str) else None
    return value if isinstance(value, str) else None


class LightHFTokenizer:
    def __init__(self, path: str, backend: Any, config: dict[str, Any], chat_template: str | None) -> None:
        self.name_or_path = path
        self._backend = backend
        self.chat_template = chat_template
        self._special = {k: _token_content(config.get(k)) for k in _SPECIAL_KEYS}
        self._clean_up_spaces = bool(config.get("clean_up_tokenization_spaces", False))
        self._template: Any = None
        self._is_bpe = type(backend.model).__name__ == "BPE"

    @classmethod
    def load(cls, path: str) -> LightHFTokenizer | None:
        """The tokenizer in folder `path`, or None when only transformers can load it faithfully."""
        folder = os.path.expanduser(path)
        config_file = os.path.join(folder, "tokenizer_config.json")
        backend_file = os.path.join(folder, "tokenizer.json")
        if not (os.path.isfile(config_file) and os.path.isfile(backend_file)):
            return None
        try:
            with open(config_file, encoding="utf-8") as f:
                config = json.load(f)
            from tokenizers import Tokenizer
        except (OSError, ValueError, ImportError):
            return None
        if not isinstance(config, dict) or config.get("tokenizer_class") not in _PLAIN_CLASSES:
            return None
        template = config.get("chat_template")
        template_file = os.path.join(folder, "chat_template.jinja")
        if os.path.isfile(template_file):
            with open(template_file, encoding="utf-8") as f:
                template = f.read()
        if template is not None and not isinstance(template, str):  # named templates: leave to transformers
            return None
        tokenizer = cls(path, Tokenizer.from_file(backend_file), config, template)
        if template is not None:
            import jinja2

            try:
                tokenizer._template = _compile(template)
            except jinja2.TemplateSyntaxError:  # e.g. transformers' own `{% generation %}` tag
                return None
        return tokenizer

    # --- special tokens -------------------------------------------------------------------------
    def _special_id(self, key: str) -> int | None:
        token = self._special.get(key)
        return None if token is None else self._backend.token_to_id(token)

    @property
    def bos_token(self) -> str | None:
        return self._special["bos_token"]

    @property
    def bos_token_id(self) -> int | None:
        return self._special_id("bos_token")

    @property
    def eos_token(self) -> str | None:
        return self._special["eos_token"]

    @property
    def eos_token_id(self) -> int | None:
        return self._special_id("eos_token")

    @property
    def pad_token(self) -> str | None:
        return self._special["pad_token"]

    @property
    def pad_token_id(self) -> int | None:
        return self._special_id("pad_token")

    # --- encoding and decoding -------------------------------------------------------------------
    def encode(self, text: str, add_special_tokens: bool = True) -> list[int]:
        return list(self._backend.encode(text, add_special_tokens=add_special_tokens).ids)

    def __call__(self, text: str, add_special_tokens: bool = True) -> dict[str, list[int]]:
        return {"input_ids": self.encode(text, add_special_tokens=add_special_tokens)}

    def tokenize(self, text: str) -> list[str]:
        return list(self._backend.encode(text, add_special_tokens=False).tokens)

    def convert_ids_to_tokens(self, ids: list[int]) -> list[str]:
        return [self._backend.id_to_token(i) for i in ids]

    def convert_tokens_to_string(self, tokens: list[str]) -> str:
        decoder = self._backend.decoder
        return str(decoder.decode(tokens)) if decoder is not None else "".join(tokens)

    def decode(
        self,
        ids: list[int],
        skip_special_tokens: bool = False,
        clean_up_tokenization_spaces: bool | None = None,
    ) -> str:
        text = str(self._backend.decode(list(ids), skip_special_tokens=skip_special_tokens))
        clean = (
            self._clean_up_spaces if clean_up_tokenization_spaces is None else clean_up_tokenization_spaces
        )
        # Like transformers 5, never on BPE models: there it would strip real spaces before punctuation.
        return _clean_up_spaces(text) if clean and not self._is_bpe else text

    # --- chat template ---------------------------------------------------------------------------
    def apply_chat_template(
        self, messages: list[dict[str, str]], tokenize: bool = False, add_generation_prompt: bool = False
    ) -> str:
        if tokenize:
            raise NotImplementedError("LightHFTokenizer.apply_chat_template renders text only")
        if self.chat_template is None:
            raise ValueError(f"{self.name_or_path} has no chat template")
        if self._template is None:
            self._template = _compile(self.chat_template)
        specials = {k: v for k, v in self._special.items() if v is not None}
        return str(
            self._template.render(messages=messages, add_generation_prompt=add_generation_prompt, **specials)
        )


def _clean_up_spaces(text: str) -> str:
    """transformers' `clean_up_tokenization` (spaces before punctuation and contractions)."""
    for before, after in (
        (" .", "."),
        (" ?", "?"),
        (" !", "!"),
        (" ,", ","),
        (" ' ", "'"),
        (" n't", "n't"),
        (" 'm", "'m"),
        (" 's", "'s"),
        (" 've", "'ve"),
        (" 're", "'re"),
    ):
        text = text.replace(before, after)
    return text


def _compile(source: str) -> Any:
    """A chat template compiled the way transformers renders them: sandboxed, trimmed blocks,
    loop controls, `raise_exception`, `strftime_now` and a non-ASCII-escaping `tojson`."""
    import jinja2
    from jinja2.ext import loopcontrols
    from jinja2.sandbox import ImmutableSandboxedEnvironment

    def raise_exception(message: str) -> None:
        raise jinja2.exceptions.TemplateError(message)

    def tojson(value: Any, ensure_ascii: bool = False, indent: int | None = None, **kw: Any) -> str:
        return json.dumps(value, ensure_ascii=ensure_ascii, indent=indent, **kw)

    env = ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True, extensions=[loopcontrols])
    env.filters["tojson"] = tojson
    env.globals["raise_exception"] = raise_exception
    env.globals["strftime_now"] = lambda fmt: datetime.now().strftime(fmt)
    return env.from_string(source)
