"""The `scaling_config:` block of a deployment (Ray replicas): parsed strictly, checked for sense."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from helm_lite.common.errors import UserError
from helm_lite.registry.loader import clear_registry_cache, load_registry
from helm_lite.registry.schema import ScalingConfig

ENTRY = """\
model_deployments:
  - name: simple/replicated
    model_name: simple/model1
    tokenizer_name: simple/tokenizer1
    client_spec: {class_name: helm.clients.simple_client.SimpleClient}
"""


@pytest.fixture(autouse=True)
def _fresh_cache():
    clear_registry_cache()
    yield
    clear_registry_cache()


def load_with(tmp_path: Path, scaling: str):
    local = tmp_path / "prod_env"
    local.mkdir(exist_ok=True)
    (local / "model_deployments.yaml").write_text(ENTRY + textwrap.indent(textwrap.dedent(scaling), "    "))
    return load_registry(local).get_deployment("simple/replicated")


def test_every_field_is_read(tmp_path: Path) -> None:
    deployment = load_with(
        tmp_path,
        """\
        scaling_config:
          num_workers: 2
          num_gpus_per_worker: 4
          num_cpus_per_worker: 0.5
          resources_per_worker: {accelerator_type_a100: 0.01}
          placement_strategy: STRICT_SPREAD
        """,
    )
    assert deployment.scaling_config == ScalingConfig(
        num_workers=2,
        num_gpus_per_worker=4,
        num_cpus_per_worker=0.5,
        resources_per_worker={"accelerator_type_a100": 0.01},
        placement_strategy="STRICT_SPREAD",
    )
    assert deployment.scaling_config.problem() is None


def test_absent_block_and_empty_block(tmp_path: Path) -> None:
    assert load_with(tmp_path, "").scaling_config is None
    defaults = load_with(tmp_path, "scaling_config: {}\n").scaling_config
    assert defaults == ScalingConfig(1, 0, 1, {}, "PACK")


@pytest.mark.parametrize(
    ("block", "problem"),
    [
        ("{num_gpu_per_worker: 1}", "unknown field 'scaling_config.num_gpu_per_worker'"),
        ("{num_workers: two}", "field 'scaling_config.num_workers': expected int, got str 'two'"),
        ("{num_workers: true}", "field 'scaling_config.num_workers': expected int, got bool True"),
        ("{resources_per_worker: [a]}", "field 'scaling_config.resources_per_worker': expected mapping"),
    ],
)
def test_a_bad_field_is_a_one_line_error_naming_file_entry_and_field(
    tmp_path: Path, block: str, problem: str
) -> None:
    with pytest.raises(UserError) as error:
        load_with(tmp_path, f"scaling_config: {block}\n")
    message = str(error.value)
    assert "\n" not in message
    assert message.startswith(
        f"{tmp_path / 'prod_env' / 'model_deployments.yaml'}: entry 'simple/replicated': "
    )
    assert problem in message


@pytest.mark.parametrize(
    ("config", "problem"),
    [
        (ScalingConfig(num_workers=0), "field 'scaling_config.num_workers': must be at least 1, got 0"),
        (
            ScalingConfig(num_gpus_per_worker=-1),
            "field 'scaling_config.num_gpus_per_worker': must not be negative",
        ),
        (
            ScalingConfig(resources_per_worker={"tpu": -2}),
            "field 'scaling_config.resources_per_worker.tpu': must not be negative, got -2",
        ),
        (
            ScalingConfig(placement_strategy="pack"),
            "field 'scaling_config.placement_strategy': expected one of PACK, SPREAD, STRICT_PACK, "
            "STRICT_SPREAD, got 'pack'",
        ),
    ],
)
def test_values_that_make_no_sense_are_named(config: ScalingConfig, problem: str) -> None:
    assert (config.problem() or "").startswith(problem)


def test_values_that_make_no_sense_are_errors_naming_the_file(tmp_path: Path) -> None:
    with pytest.raises(UserError) as error:
        load_with(tmp_path, "scaling_config: {num_workers: 0}\n")
    assert str(error.value) == (
        f"{tmp_path / 'prod_env' / 'model_deployments.yaml'}: entry 'simple/replicated': "
        "field 'scaling_config.num_workers': must be at least 1, got 0"
    )
