"""A local model's identity: hub commit or file fingerprint, remembered beside the weights, and the
cache key that follows it (a checkpoint retrained in place is not answered from the old answers)."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

from helm_lite.models.identity import REMEMBERED, hub_identity, model_identity


def fake_model(folder: Path) -> Path:
    folder.mkdir(parents=True)
    (folder / "config.json").write_text('{"hidden_size": 8}')
    (folder / "tokenizer.json").write_text('{"vocab": ["a"]}')
    (folder / "model.safetensors").write_bytes(b"\x01" * 4096)
    (folder / "README.md").write_text("notes")
    return folder


def test_unchanged_folder_keeps_its_identity_and_reuses_the_remembered_hashes(tmp_path: Path) -> None:
    folder = fake_model(tmp_path / "m")
    first = model_identity(str(folder))
    assert first.identity.startswith("sha256:") and first.tokenizer is not None
    remembered = folder / REMEMBERED
    record = json.loads(remembered.read_text())
    # Doctor the remembered weight hash: if it is reused (no re-hash), the identity follows it.
    record["files"]["model.safetensors"][1] = "0" * 64
    remembered.write_text(json.dumps(record))
    doctored = remembered.stat().st_mtime_ns
    second = model_identity(str(folder))
    assert second.identity != first.identity  # computed from the remembered (doctored) hash
    assert second.tokenizer == first.tokenizer
    assert remembered.stat().st_mtime_ns == doctored  # nothing was hashed, nothing rewritten


def test_identity_ignores_other_files_and_follows_each_identity_file(tmp_path: Path) -> None:
    folder = fake_model(tmp_path / "m")
    base = model_identity(str(folder))
    (folder / "README.md").write_text("other notes")
    assert model_identity(str(folder)) == base
    (folder / "tokenizer.json").write_text('{"vocab": ["b"]}')
    changed = model_identity(str(folder))
    assert changed.identity != base.identity and changed.tokenizer != base.tokenizer


def test_retraining_in_place_changes_the_identity(tmp_path: Path) -> None:
    folder = fake_model(tmp_path / "m")
    before = model_identity(str(folder))
    stat = (folder / "model.safetensors").stat()
    (folder / "model.safetensors").write_bytes(b"\x02" * 4096)  # same size, new weights
    os.utime(folder / "model.safetensors", ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000))
    after = model_identity(str(folder))
    assert after.identity != before.identity and after.tokenizer == before.tokenizer


def test_a_folder_that_cannot_hold_the_record_remembers_it_in_the_user_cache(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    folder = fake_model(tmp_path / "m")
    (folder / REMEMBERED).mkdir()  # the record's place is taken: writing it there fails
    first = model_identity(str(folder))
    records = list((tmp_path / "xdg" / "helm_lite" / "identity").iterdir())
    assert len(records) == 1 and json.loads(records[0].read_text())["files"]
    assert model_identity(str(folder)) == first


def test_hub_models_are_their_cached_commit(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path / "hub"))
    root = tmp_path / "hub" / "models--acme--tiny"
    sha = "a" * 40
    (root / "refs").mkdir(parents=True)
    (root / "refs" / "main").write_text(sha)
    (root / "snapshots" / sha).mkdir(parents=True)
    (root / "snapshots" / sha / "tokenizer.json").write_text("{}")
    assert hub_identity("acme/tiny").identity == f"hub:acme/tiny@{sha}"
    assert model_identity("acme/tiny", sha).identity == f"hub:acme/tiny@{sha}"
    assert model_identity("acme/tiny").tokenizer is not None
    # Not downloaded (or another branch): named by the revision as given, without a network call.
    assert model_identity("acme/other").identity == "hub:acme/other@unresolved"
    assert model_identity("acme/tiny", "dev").identity == "hub:acme/tiny@dev"


@pytest.fixture(scope="module")
def tiny_model(smollm2_path: str, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 2-layer model with SmolLM2's tokenizer, small enough to save again in a moment."""
    import torch
    from transformers import AutoConfig, AutoModelForCausalLM

    folder = tmp_path_factory.mktemp("tiny")
    for name in ("tokenizer.json", "tokenizer_config.json", "chat_template.jinja"):
        if (Path(smollm2_path) / name).exists():
            shutil.copy(Path(smollm2_path) / name, folder / name)
    config = AutoConfig.from_pretrained(smollm2_path)
    config.update(
        {"hidden_size": 16, "intermediate_size": 32, "num_hidden_layers": 2, "num_attention_heads": 2}
    )
    config.update({"num_key_value_heads": 1, "head_dim": 8, "tie_word_embeddings": True})
    torch.manual_seed(0)
    AutoModelForCausalLM.from_config(config).save_pretrained(folder)
    return folder


@pytest.mark.slow  # loads transformers and saves a model twice (~10 s)
def test_the_request_cache_follows_the_model_not_its_path(tiny_model: Path, tmp_path: Path) -> None:
    import torch
    from transformers import AutoModelForCausalLM

    from helm_lite.clients.huggingface import HuggingFaceClient
    from helm_lite.common.cache import SqliteCache
    from helm_lite.common.request import Request

    folder = tmp_path / "model"
    shutil.copytree(tiny_model, folder)
    cache = SqliteCache(str(tmp_path / "cache.sqlite"))
    request = Request(model_deployment="local/tiny", prompt="Hello", temperature=0.0, max_tokens=3)

    def ask() -> bool:
        client = HuggingFaceClient(str(folder), cache=cache, apply_chat_template=False, device="cpu")
        return client.make_request(request).cached

    assert ask() is False
    assert ask() is True  # unchanged folder: answered from the cache
    model = AutoModelForCausalLM.from_pretrained(folder)
    with torch.no_grad():
        for p in model.parameters():
            p.add_(0.5)
    model.save_pretrained(folder)  # retrained in place: same path, new weights
    assert ask() is False
    assert ask() is True
