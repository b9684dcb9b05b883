"""Registry entries for a HuggingFace model named on the command line, with no YAML.

`helm-run --enable-huggingface-models ORG/NAME[@REVISION]` and `--enable-local-huggingface-models
PATH` (HELM's flags), and deployment names `huggingface/ORG/NAME` (HELM's deployment generator), all
become a deployment on helm_lite's HuggingFace client plus a tokenizer config. The window length and
the special tokens come from the model's own `tokenizer_config.json` and `config.json`, read as JSON:
neither transformers nor torch is imported here. Whether prompts get a chat template is decided by the
client when it loads the tokenizer, as HELM's client decides it.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from typing import Any

from helm_lite.common.errors import UserError
from helm_lite.common.object_spec import ObjectSpec
from helm_lite.registry.schema import ModelDeployment, TokenizerConfig

HF_CLIENT = "helm.clients.huggingface_client.HuggingFaceClient"
HF_TOKENIZER = "helm.tokenizers.huggingface_tokenizer.HuggingFaceTokenizer"
# Tokenizers without a configured length report about 1e30; HELM treats anything above 1e6 as unset.
_UNSET_LENGTH = 1_000_000
# config.json keys that hold a model's context length, most specific first.
_CONTEXT_KEYS = ("max_position_embeddings", "n_positions", "max_sequence_length", "seq_length", "n_ctx")


@dataclass(frozen=True)
class HuggingFaceFiles:
    """What helm_lite needs from a model's configuration files."""

    max_sequence_length: int
    end_of_text_token: str
    prefix_token: str


def read_model_files(path_or_id: str, revision: str | None = None, *, what: str) -> HuggingFaceFiles:
    """Window length and special tokens of a local model folder or a HuggingFace Hub model.

    The tokenizer's `model_max_length` is used when it is set (as HELM uses it); a tokenizer that
    leaves it unset falls back to the model's own context length in `config.json` (HELM refuses such
    a model). `what` names the flag or entry in errors.
    """
    tokenizer = _read_json(path_or_id, "tokenizer_config.json", revision, what)
    config = _read_json(path_or_id, "config.json", revision, what)
    if tokenizer is None and config is None:
        raise UserError(f"{what}: no tokenizer_config.json or config.json found for {path_or_id!r}")
    length = (tokenizer or {}).get("model_max_length")
    if not isinstance(length, int) or isinstance(length, bool) or not 0 < length <= _UNSET_LENGTH:
        length = next(
            (config[k] for k in _CONTEXT_KEYS if isinstance((config or {}).get(k), int) and config[k] > 0),  # type: ignore[index]
            None,
        )
    if length is None:
        raise UserError(
            f"{what}: cannot tell the context length of {path_or_id!r} (no model_max_length in "
            "tokenizer_config.json, no max_position_embeddings in config.json); configure it in "
            "model_deployments.yaml instead"
        )
    return HuggingFaceFiles(
        max_sequence_length=length,
        end_of_text_token=_token_text((tokenizer or {}).get("eos_token")),
        prefix_token=_token_text((tokenizer or {}).get("bos_token")),
    )


def huggingface_entries(
    deployment_name: str,
    model_name: str,
    path_or_id: str,
    revision: str | None = None,
    *,
    tokenizer_name: str | None = None,
    what: str,
) -> tuple[ModelDeployment, TokenizerConfig]:
    """A deployment on helm_lite's HuggingFace client and its tokenizer config (named like the
    deployment unless `tokenizer_name` is given)."""
    files = read_model_files(path_or_id, revision, what=what)
    args: dict[str, Any] = {"pretrained_model_name_or_path": path_or_id}
    if revision:
        args["revision"] = revision
    tokenizer = tokenizer_name or deployment_name
    deployment = ModelDeployment(
        name=deployment_name,
        model_name=model_name,
        tokenizer_name=tokenizer,
        max_sequence_length=files.max_sequence_length,
        client_spec=ObjectSpec(HF_CLIENT, dict(args)),
    )
    config = TokenizerConfig(
        name=tokenizer,
        tokenizer_spec=ObjectSpec(HF_TOKENIZER, dict(args)),
        end_of_text_token=files.end_of_text_token,
        prefix_token=files.prefix_token,
    )
    return deployment, config


def _token_text(token: Any) -> str:
    """A special token as tokenizer_config.json writes it: a string or {"content": …}; absent is ""."""
    if isinstance(token, dict):
        token = token.get("content")
    return token if isinstance(token, str) else ""


def _read_json(path_or_id: str, filename: str, revision: str | None, what: str) -> dict[str, Any] | None:
    if os.path.isdir(path_or_id):
        path: str | None = os.path.join(path_or_id, filename)
        if not os.path.isfile(path):  # type: ignore[arg-type]
            return None
    else:
        path = _hub_file(path_or_id, filename, revision, what)
        if path is None:
            return None
    assert path is not None
    try:
        with open(path, encoding="utf-8") as f:
            data = json.load(f)
    except (OSError, ValueError) as e:
        raise UserError(f"{what}: cannot read {path}: {e}") from None
    return data if isinstance(data, dict) else None


def _hub_file(repo_id: str, filename: str, revision: str | None, what: str) -> str | None:
    """A file of a Hub model from the local HuggingFace cache, downloaded first if needed."""
    try:
        from huggingface_hub import hf_hub_download
        from huggingface_hub.errors import EntryNotFoundError
    except ImportError:
        raise UserError(
            f"{what}: {repo_id!r} is not a local folder, and reading it from the HuggingFace Hub needs "
            "huggingface_hub (pip install 'helm-lite[hf]')"
        ) from None
    try:
        return str(hf_hub_download(repo_id, filename, revision=revision))
    except EntryNotFoundError:
        return None
    except Exception as e:  # noqa: BLE001 - offline, unknown repo, gated model: one line for the user
        raise UserError(
            f"{what}: cannot read {filename} of {repo_id!r} from the HuggingFace Hub ({type(e).__name__})"
        ) from None
