"""The `serve:` block of a deployment and the OpenAI-compatible deployment derived from it."""

from __future__ import annotations

import os
import textwrap
from pathlib import Path

import pytest

from helm_lite.common.errors import UserError
from helm_lite.common.object_spec import ObjectSpec
from helm_lite.registry.loader import OPENAI_COMPATIBLE_CLIENT, clear_registry_cache, load_registry
from helm_lite.registry.schema import ServeConfig

SMOL = "huggingfacetb/smollm2-135m-instruct"
VLLM_SPEC = "client_spec: {class_name: helm_lite.clients.vllm_client.VLLMClient, args: {model: m}}"


@pytest.fixture(autouse=True)
def _fresh_cache():
    clear_registry_cache()
    yield
    clear_registry_cache()


def local_deployments(tmp_path: Path, text: str) -> Path:
    local = tmp_path / "prod_env"
    local.mkdir(exist_ok=True)
    (local / "model_deployments.yaml").write_text(textwrap.dedent(text))
    return local


def test_shipped_vllm_entry_has_a_served_twin_and_the_default_stays_huggingface(tmp_path: Path) -> None:
    registry = load_registry(tmp_path / "no_prod_env")
    source = registry.get_deployment("vllm/smollm2-135m-instruct")
    assert source.serve == ServeConfig(port=8000)
    twin = registry.get_deployment("vllm-server/smollm2-135m-instruct")
    assert twin.client_spec == ObjectSpec(
        OPENAI_COMPATIBLE_CLIENT,
        {"base_url": "http://127.0.0.1:8000/v1", "model": SMOL, "api": "completions"},
    )
    # Same model, tokenizer, window and chat formatting: the same prompts whichever route runs them.
    for field_name in (
        "model_name",
        "tokenizer_name",
        "max_sequence_length",
        "chat_template",
        "stop_sequences",
    ):
        assert getattr(twin, field_name) == getattr(source, field_name), field_name
    assert twin.serve is None
    assert registry.default_deployment_for(SMOL) == "huggingface/smollm2-135m-instruct"
    assert registry.deployments_for(SMOL) == [
        "vllm-server/smollm2-135m-instruct",
        "vllm/smollm2-135m-instruct",
        "huggingface/smollm2-135m-instruct",
    ]


def test_serve_settings_shape_the_twin(tmp_path: Path) -> None:
    local = local_deployments(
        tmp_path,
        f"""
        model_deployments:
          - name: acme/big
            model_name: acme/big-model
            tokenizer_name: acme/tok
            max_sequence_length: 4096
            max_request_length: 4097
            stop_sequences: ["###"]
            thinking: {{start: "<think>", end: "</think>"}}
            prompt_format: {{system: "S: {{instruction}}"}}
            {VLLM_SPEC}
            serve:
              host: 0.0.0.0
              port: 9123
              served_model_name: big
              cuda_visible_devices: "0,1"
              extra_args: ["--max-num-seqs", "64"]
              client_deployment: acme-http/big
        """,
    )
    registry = load_registry(local)
    source = registry.get_deployment("acme/big")
    assert source.serve == ServeConfig(
        host="0.0.0.0",
        port=9123,
        served_model_name="big",
        cuda_visible_devices="0,1",
        extra_args=["--max-num-seqs", "64"],
        client_deployment="acme-http/big",
    )
    assert not registry.has_deployment("acme-server/big")
    twin = registry.get_deployment("acme-http/big")
    # A server on every interface is reached through the loopback one.
    assert twin.client_spec.args == {
        "base_url": "http://127.0.0.1:9123/v1",
        "model": "big",
        "api": "completions",
    }
    assert (twin.max_request_length, twin.stop_sequences, twin.thinking, twin.prompt_format) == (
        4097,
        ["###"],
        {"start": "<think>", "end": "</think>"},
        {"system": "S: {instruction}"},
    )


def test_redefined_source_stays_its_models_default_and_its_twin_follows_it(tmp_path: Path) -> None:
    local = local_deployments(
        tmp_path,
        f"""
        model_deployments:
          - name: vllm/smollm2-135m-instruct
            model_name: {SMOL}
            tokenizer_name: {SMOL}
            {VLLM_SPEC}
            serve: {{port: 8765}}
        """,
    )
    registry = load_registry(local)
    assert registry.get_deployment("vllm-server/smollm2-135m-instruct").client_spec.args["base_url"] == (
        "http://127.0.0.1:8765/v1"
    )
    # HELM's rule (a later definition becomes the default) applies to what the user wrote, not the twin.
    assert registry.default_deployment_for(SMOL) == "vllm/smollm2-135m-instruct"


def test_a_user_defined_deployment_of_the_twins_name_wins(tmp_path: Path) -> None:
    local = local_deployments(
        tmp_path,
        f"""
        model_deployments:
          - name: vllm-server/smollm2-135m-instruct
            model_name: {SMOL}
            client_spec:
              class_name: {OPENAI_COMPATIBLE_CLIENT}
              args: {{base_url: "http://gpu-box:8000/v1", model: smol, api: chat}}
        """,
    )
    registry = load_registry(local)
    twin = registry.get_deployment("vllm-server/smollm2-135m-instruct")
    assert twin.client_spec.args == {"base_url": "http://gpu-box:8000/v1", "model": "smol", "api": "chat"}
    assert registry.all_deployments().count("vllm-server/smollm2-135m-instruct") == 1


def test_two_sources_deriving_one_name_is_an_error(tmp_path: Path) -> None:
    local = local_deployments(
        tmp_path,
        f"""
        model_deployments:
          - {{name: acme/a, {VLLM_SPEC}, serve: {{client_deployment: acme/served}}}}
          - {{name: acme/b, {VLLM_SPEC}, serve: {{port: 8001, client_deployment: acme/served}}}}
        """,
    )
    with pytest.raises(UserError) as e:
        load_registry(local)
    assert str(e.value) == (
        "model deployments acme/a and acme/b both derive the served deployment acme/served "
        "(give one of them another serve.client_deployment)"
    )


@pytest.mark.parametrize(
    ("serve", "expected"),
    [
        ("{port: eighty}", "field 'serve.port': expected int, got str 'eighty'"),
        ("{port: true}", "field 'serve.port': expected int, got bool True"),
        ("{port: 0}", "field 'serve.port': expected a port number (1-65535), got 0"),
        ("{port: 70000}", "field 'serve.port': expected a port number (1-65535), got 70000"),
        ("{prot: 8000}", "unknown field 'serve.prot' (did you mean: port?)"),
        ("{api_key: sk-secret}", "unknown field 'serve.api_key'"),
        (
            "{extra_args: --enable-prefix-caching}",
            "field 'serve.extra_args': expected list[str], got str '--enable-prefix-caching'",
        ),
        ("{cuda_visible_devices: 0}", "field 'serve.cuda_visible_devices': expected str or null, got int 0"),
        ("{host: ''}", "field 'serve.host': must not be empty (leave it out for the default)"),
        (
            "{client_deployment: served}",
            "field 'serve.client_deployment': expected '<organization>/<name>', got 'served'",
        ),
        (
            "{client_deployment: acme/foo}",
            "field 'serve.client_deployment': must differ from the deployment's own name",
        ),
        ("8000", "field 'serve': expected mapping or null, got int 8000"),
    ],
)
def test_bad_serve_block_is_a_one_line_error_naming_file_entry_field(
    tmp_path: Path, serve: str, expected: str
) -> None:
    local = local_deployments(
        tmp_path, f"model_deployments:\n  - {{name: acme/foo, {VLLM_SPEC}, serve: {serve}}}\n"
    )
    with pytest.raises(UserError) as e:
        load_registry(local)
    message = str(e.value)
    assert "\n" not in message
    prefix = os.path.join(str(local), "model_deployments.yaml") + ": entry 'acme/foo': "
    assert message == prefix + expected
