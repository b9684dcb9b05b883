"""Model / deployment resolution and the --models-to-run start-up checks, as in HELM."""

from __future__ import annotations

import logging
import textwrap
from pathlib import Path

import pytest

from helm_lite.common.errors import UserError
from helm_lite.registry.loader import Registry, clear_registry_cache, load_registry
from helm_lite.run_entries.resolution import (
    WILDCARDS,
    check_models_to_run_needed,
    expand_model_value,
    infer_models_from_deployments,
    resolve_model_and_deployment,
    split_model_value,
    validate_models_to_run,
)

META = """
models:
  - {name: acme/base, display_name: B, description: d, creator_organization_name: Acme, access: open,
     tags: [TEXT_MODEL_TAG, FULL_FUNCTIONALITY_TEXT_MODEL_TAG, ABLATION_MODEL_TAG]}
  - {name: acme/coder, display_name: C, description: d, creator_organization_name: Acme, access: open,
     tags: [CODE_MODEL_TAG, TEXT_MODEL_TAG, INSTRUCTION_FOLLOWING_MODEL_TAG]}
  - {name: acme/old, display_name: O, description: d, creator_organization_name: Acme, access: open,
     tags: [TEXT_MODEL_TAG, DEPRECATED_MODEL_TAG, ABLATION_MODEL_TAG]}
  - {name: acme/img, display_name: I, description: d, creator_organization_name: Acme, access: open,
     tags: [VISION_LANGUAGE_MODEL_TAG, UNSUPPORTED_MODEL_TAG]}
  - {name: Qwen/Qwen2.5-7B, display_name: Q, description: d, creator_organization_name: Qwen, access: open,
     tags: [TEXT_MODEL_TAG]}
"""

DEPLOYMENTS = """
model_deployments:
  - {name: acmehost/base, model_name: acme/base, client_spec: {class_name: c}}
  - {name: acmehost/base-old, model_name: acme/base, deprecated: true, client_spec: {class_name: c}}
  - {name: acmehost/coder, model_name: acme/coder, client_spec: {class_name: c}}
  - {name: acmehost/old, model_name: acme/old, deprecated: true, client_spec: {class_name: c}}
  - {name: huggingface/Qwen/Qwen2.5-7B, model_name: Qwen/Qwen2.5-7B, client_spec: {class_name: c}}
"""


@pytest.fixture
def registry(tmp_path: Path) -> Registry:
    clear_registry_cache()
    ship = tmp_path / "ship"
    ship.mkdir()
    (ship / "model_metadata.yaml").write_text(textwrap.dedent(META))
    (ship / "model_deployments.yaml").write_text(textwrap.dedent(DEPLOYMENTS))
    return load_registry(tmp_path / "prod_env", ship_dir=ship)


@pytest.fixture
def shipped(tmp_path: Path) -> Registry:
    clear_registry_cache()
    return load_registry(tmp_path / "prod_env")


# --- model= values -----------------------------------------------------------------------------------


def test_wildcards(registry: Registry) -> None:
    assert expand_model_value(registry, "text") == ["acme/base", "acme/coder", "Qwen/Qwen2.5-7B"]
    assert expand_model_value(registry, "code") == ["acme/coder"]
    assert expand_model_value(registry, "text_code") == ["acme/base", "acme/coder", "Qwen/Qwen2.5-7B"]
    assert expand_model_value(registry, "instruction_following") == ["acme/coder"]
    assert expand_model_value(registry, "full_functionality_text") == ["acme/base"]
    assert expand_model_value(registry, "all") == ["acme/base", "acme/coder", "Qwen/Qwen2.5-7B"]
    assert expand_model_value(registry, "vlm") == []  # unsupported removed
    assert expand_model_value(registry, "ablation") == ["acme/base"]  # deprecated removed
    assert expand_model_value(registry, "ablation_code") == []
    assert expand_model_value(registry, "biomedical") == ["openai/text-davinci-003"]
    assert "ablation_all" not in WILDCARDS and "ablation_text" in WILDCARDS


def test_non_wildcards_are_kept(registry: Registry) -> None:
    assert expand_model_value(registry, "acme/base") == ["acme/base"]
    assert expand_model_value(registry, "nope") == ["nope"]


def test_split_model_value() -> None:
    assert split_model_value("simple/model1") == ("simple/model1", None)
    assert split_model_value("huggingface/Qwen/Qwen2.5-7B") == (
        "Qwen/Qwen2.5-7B",
        "huggingface/Qwen/Qwen2.5-7B",
    )
    assert split_model_value("a/b/c/d") == ("c/d", "a/b/c/d")
    assert split_model_value("text") == ("text", None)


# --- resolution ----------------------------------------------------------------------------------------


def test_model_only_uses_default_deployment(shipped: Registry) -> None:
    assert resolve_model_and_deployment(shipped, "simple/model1", "") == ("simple/model1", "simple/model1")


def test_deployment_only_fills_model(registry: Registry) -> None:
    assert resolve_model_and_deployment(registry, "", "acmehost/base-old") == (
        "acme/base",
        "acmehost/base-old",
    )


def test_three_part_name(registry: Registry) -> None:
    model, deployment = split_model_value("huggingface/Qwen/Qwen2.5-7B")
    assert resolve_model_and_deployment(registry, model, deployment or "") == (
        "Qwen/Qwen2.5-7B",
        "huggingface/Qwen/Qwen2.5-7B",
    )


def test_default_skips_deprecated(registry: Registry) -> None:
    assert resolve_model_and_deployment(registry, "acme/base", "") == ("acme/base", "acmehost/base")
    assert resolve_model_and_deployment(registry, "acme/old", "") == ("acme/old", "acmehost/old")


def test_explicit_pair(registry: Registry) -> None:
    assert resolve_model_and_deployment(registry, "acme/base", "acmehost/base-old") == (
        "acme/base",
        "acmehost/base-old",
    )


def test_deployment_name_as_model_is_a_pair_mismatch(registry: Registry) -> None:
    with pytest.raises(UserError) as e:
        resolve_model_and_deployment(registry, "acmehost/base", "")
    assert str(e.value) == (
        "Invalid RunSpec: selected model deployment 'acmehost/base'for model 'acmehost/base' "
        "but the model deployment is for a different model 'acme/base'"
    )


def test_mismatched_pair(registry: Registry) -> None:
    with pytest.raises(UserError) as e:
        resolve_model_and_deployment(registry, "acme/coder", "acmehost/base")
    assert str(e.value) == (
        "Invalid RunSpec: selected model deployment 'acmehost/base'for model 'acme/coder' "
        "but the model deployment is for a different model 'acme/base'"
    )


def test_neither_given(registry: Registry) -> None:
    with pytest.raises(UserError) as e:
        resolve_model_and_deployment(registry, "", "")
    assert str(e.value) == "At least one of model_deployment and model must be specified"


def test_unknown_model_suggests(registry: Registry) -> None:
    with pytest.raises(UserError) as e:
        resolve_model_and_deployment(registry, "acme/bsae", "")
    assert str(e.value) == (
        "Unknown model or no default model deployment found for model acme/bsae (did you mean: acme/base?)"
    )
    with pytest.raises(UserError) as e:
        resolve_model_and_deployment(registry, "zzz/zzz", "")
    assert str(e.value) == "Unknown model or no default model deployment found for model zzz/zzz"


def test_model_deployment_text_is_not_a_wildcard(shipped: Registry) -> None:
    with pytest.raises(UserError) as e:
        resolve_model_and_deployment(shipped, "simple/model1", "text")
    assert str(e.value) == "Model deployment text not found"
    with pytest.raises(UserError, match="^Model deployment text not found$"):
        resolve_model_and_deployment(shipped, "", "text")


def test_missing_metadata_warns(registry: Registry, caplog: pytest.LogCaptureFixture, monkeypatch) -> None:
    monkeypatch.setattr(registry, "get_model", lambda name: None)
    with caplog.at_level(logging.WARNING):
        resolve_model_and_deployment(registry, "acme/base", "acmehost/base")
    assert (
        "Could not find model metadata for model acme/base in any model_metadata.yaml configuration file; "
        "falling back to default model metadata"
    ) in caplog.text


# --- --models-to-run -------------------------------------------------------------------------------------

MULTI = "--models-to-run must be set (because the `model=` run expander expands to multiple models)"
OMITTED = "--models-to-run must be set (because the `model=` run expander is omitted)"


@pytest.mark.parametrize(
    ("descriptions", "expected"),
    [
        (["mmlu:subject=anatomy,model=text"], MULTI),
        (["mmlu:model=simple/model1", "gsm:model=text_code"], MULTI),
        (["a:model=all"], MULTI),
        (["a:model=limited_functionality_text,x=1"], MULTI),
        (["mmlu:subject=anatomy"], OMITTED),
        (["mmlu:model_deployment=simple/model1"], OMITTED),
        ([], OMITTED),
    ],
)
def test_models_to_run_needed(descriptions: list[str], expected: str) -> None:
    with pytest.raises(UserError) as e:
        check_models_to_run_needed(descriptions, None)
    assert str(e.value) == expected


@pytest.mark.parametrize(
    "descriptions",
    [
        ["mmlu:model=simple/model1"],
        ["mmlu:subject=x", "gsm:model=simple/model1"],  # one explicit model= is enough
        ["a:model=ablation"],  # not in the regex: expanded by tag later
        ["a:model=textual/x"],
    ],
)
def test_models_to_run_not_needed(descriptions: list[str]) -> None:
    check_models_to_run_needed(descriptions, None)


def test_models_to_run_given_skips_checks() -> None:
    check_models_to_run_needed(["mmlu:model=text", "gsm:subject=x"], ["simple/model1"])


def test_validate_models_to_run(registry: Registry) -> None:
    validate_models_to_run(registry, ["acme/base", "acmehost/coder", "huggingface/Qwen/Qwen2.5-7B"])
    with pytest.raises(UserError) as e:
        validate_models_to_run(registry, ["acme/base", "acme/coderr"])
    assert str(e.value) == (
        "Unknown model 'acme/coderr' passed to --models-to-run (did you mean: acme/coder, acmehost/coder?)"
    )
    with pytest.raises(UserError) as e:
        validate_models_to_run(registry, ["xyz"])
    assert str(e.value) == "Unknown model 'xyz' passed to --models-to-run"


# --- model_deployment= without model= (helm_lite extension) ---------------------------------------------


def test_a_deployment_alone_names_its_model(registry: Registry) -> None:
    entries = ["mmlu:subject=anatomy,model_deployment=acmehost/coder", "gsm:model=acme/base"]
    inferred = infer_models_from_deployments(entries, registry, None)
    assert inferred == [
        "mmlu:subject=anatomy,model=acme/coder,model_deployment=acmehost/coder",
        "gsm:model=acme/base",  # untouched
    ]
    check_models_to_run_needed(inferred, None)  # now passes HELM's start-up check
    # With --models-to-run, HELM's rules apply as they are.
    assert infer_models_from_deployments(entries, registry, ["acme/coder"]) == entries


def test_an_unknown_deployment_alone_is_named(registry: Registry) -> None:
    with pytest.raises(UserError, match=r"^Model deployment acmehost/codr not found.*acmehost/coder"):
        infer_models_from_deployments(["mmlu:model_deployment=acmehost/codr"], registry, None)
