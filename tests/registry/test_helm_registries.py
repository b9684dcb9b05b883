"""HELM's own packaged registries (crfm-helm 0.5.16, as shipped) load unchanged and resolve as in HELM.

The files are read from the shared data folder next to the repository (never copied into it). The
expected default deployments are computed here from HELM's rules by a deliberately plain
re-implementation over the raw YAML, then compared with helm_lite's resolution for every model.
"""

from __future__ import annotations

import logging
import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml

from helm_lite.common.errors import UserError
from helm_lite.registry.loader import SHIP_DIR, clear_registry_cache, load_registry
from helm_lite.run_entries.resolution import resolve_model_and_deployment

HELM_CONFIG = Path(__file__).resolve().parents[3] / "shared" / "data" / "helm_formats" / "config"
FILES = ("model_metadata.yaml", "model_deployments.yaml", "tokenizer_configs.yaml")
pytestmark = pytest.mark.skipif(
    not all((HELM_CONFIG / f).is_file() for f in FILES),
    reason=f"HELM's registries not found in {HELM_CONFIG}",
)
# Prefixes of HELM's model deployment generators (helm.benchmark.model_deployments), and the two
# that need a three-part name (they raise ValueError otherwise, which HELM reads as "none").
HELM_GENERATOR_PREFIXES = {
    "anthropic", "cohere", "google", "gemini", "vertexai", "huggingface", "litellm",
    "mistralai", "openai", "openrouter", "together", "writer", "xai",
}  # fmt: skip
THREE_PART_GENERATORS = {"gemini", "vertexai"}


@pytest.fixture
def helm_prod_env(tmp_path: Path) -> Path:
    """HELM's three files, unchanged, as a user's prod_env."""
    local = tmp_path / "prod_env"
    local.mkdir()
    for name in FILES:
        shutil.copyfile(HELM_CONFIG / name, local / name)
    clear_registry_cache()
    return local


def helm_default_deployments(config_dirs: list[Path], models: list[str]) -> dict[str, str | None]:
    """HELM's `get_default_model_deployment_for_model`, written out plainly.

    HELM appends every deployment it reads, in file order, to one list (a name read twice is in it
    twice) and maps names to the last definition. A model's default is the last non-deprecated
    deployment of the list serving it, else the last one serving it; a model no deployment serves
    falls back to the deployment of the same name: registered, or made by a generator for the name's
    first part; else there is none.
    """
    all_deployments: list[dict[str, Any]] = []
    for directory in config_dirs:
        path = directory / "model_deployments.yaml"
        if path.is_file():
            all_deployments += (yaml.safe_load(path.read_text()) or {}).get("model_deployments") or []
    by_name = {d["name"]: d for d in all_deployments}
    expected: dict[str, str | None] = {}
    for model in models:
        serving = [d for d in all_deployments if (d.get("model_name") or d["name"]) == model]
        live = [d for d in serving if not d.get("deprecated", False)]
        if live:
            expected[model] = live[-1]["name"]
        elif serving:
            expected[model] = serving[-1]["name"]
        elif model in by_name:
            expected[model] = model
        else:
            prefix = model.split("/")[0]
            three_parts = len(model.split("/")) >= 3
            made = prefix in HELM_GENERATOR_PREFIXES and (prefix not in THREE_PART_GENERATORS or three_parts)
            expected[model] = model if made else None
    return expected


def helm_models(path: Path) -> list[str]:
    return list(dict.fromkeys(m["name"] for m in yaml.safe_load(path.read_text())["models"]))


def test_helm_files_load_unchanged_with_one_warning(
    helm_prod_env: Path, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING):
        registry = load_registry(helm_prod_env)
    warnings = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
    assert warnings == [
        f"{helm_prod_env / 'model_metadata.yaml'}: line 4608: key 'display_name' is given twice in one "
        "entry; using the last value"
    ]
    raw = {f: yaml.safe_load((HELM_CONFIG / f).read_text()) for f in FILES}
    # Every name of HELM's files is there, each with its last definition (duplicates are identical
    # except tokenizer meta/llama-3.1-8b-instruct, whose second definition wins, as in HELM).
    for model in raw["model_metadata.yaml"]["models"]:
        assert registry.get_model(model["name"]) is not None
    for deployment in raw["model_deployments.yaml"]["model_deployments"]:
        assert registry.get_deployment(deployment["name"]).model_name == deployment["model_name"]
    llama = registry.get_tokenizer_config("meta/llama-3.1-8b-instruct")
    assert llama is not None
    assert llama.tokenizer_spec.args["pretrained_model_name_or_path"] == "meta-llama/Llama-3.1-8B-Instruct"
    # The duplicated key keeps its last value; the ignored keys are gone, the rest is read.
    assert registry.get_model("upstage/solar-pro-241126").display_name == "Solar Pro"  # type: ignore[union-attr]
    sabia = registry.get_deployment("huggingface/sabia-7b")
    assert sabia.max_sequence_length == 2048 and sabia.client_spec.class_name.endswith("HuggingFaceClient")


@pytest.mark.parametrize("with_shipped", [False, True], ids=["helm-files-only", "after-helm-lite-configs"])
def test_every_helm_model_resolves_to_helms_deployment(
    helm_prod_env: Path, tmp_path: Path, with_shipped: bool
) -> None:
    ship = SHIP_DIR if with_shipped else tmp_path / "empty-ship"
    ship.mkdir(exist_ok=True)
    registry = load_registry(helm_prod_env, ship_dir=ship)
    models = helm_models(helm_prod_env / "model_metadata.yaml")
    expected = helm_default_deployments([ship, helm_prod_env], models)
    assert len(expected) == 622
    assert sum(v is None for v in expected.values()) > 0  # the table covers "no deployment" too
    assert sum(v == m for m, v in expected.items() if m not in registry.deployments_for(m)) > 0

    actual: dict[str, str | None] = {}
    for model in models:
        try:
            actual[model] = resolve_model_and_deployment(registry, model, "")[1]
        except UserError as e:
            assert "no default model deployment found" in str(e) or "not found in any tokenizer" in str(e)
            actual[model] = registry.default_deployment_for(model)
    mismatches = {m: (expected[m], actual[m]) for m in models if expected[m] != actual[m]}
    assert mismatches == {}


def test_generated_deployment_for_model_without_yaml(helm_prod_env: Path) -> None:
    """HELM's generators: openai/davinci has metadata but no deployment; HELM makes one of that name."""
    registry = load_registry(helm_prod_env)
    assert registry.deployments_for("openai/davinci") == []
    deployment = registry.get_deployment("openai/davinci")
    assert deployment.model_name == "openai/davinci"
    assert deployment.client_spec.class_name == "helm.clients.openai_responses_client.OpenAIResponseClient"
    assert registry.get_deployment("together/org/name").model_name == "org/name"
    assert not registry.has_deployment("gemini/two-parts")  # HELM's generator refuses it
    with pytest.raises(UserError, match="Model deployment nohost/x not found"):
        registry.get_deployment("nohost/x")


def test_made_up_deployment_for_a_typo_warns_with_the_closest_models(
    helm_prod_env: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """As in HELM, `model=openai/<anything>` resolves to a generated deployment; the missing-metadata
    warning then names the closest known models, so a typo does not go unnoticed."""
    registry = load_registry(helm_prod_env)
    with caplog.at_level(logging.WARNING):
        resolved = resolve_model_and_deployment(registry, "openai/gpt-4o-mni", "")
    assert resolved == ("openai/gpt-4o-mni", "openai/gpt-4o-mni")
    assert "falling back to default model metadata (did you mean: openai/gpt-4o-mini" in caplog.text
