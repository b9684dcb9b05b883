"""Registry loading: shipped configs, local overrides, strict errors, default deployments, caching."""

from __future__ import annotations

import datetime
import logging
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from helm_lite.common.errors import UserError
from helm_lite.common.object_spec import ObjectSpec
from helm_lite.registry.loader import SHIP_DIR, clear_registry_cache, load_registry
from helm_lite.registry.schema import ModelDeployment, placeholder_metadata

ACME_METADATA = """
models:
  - name: acme/base
    display_name: Acme Base
    description: A base model.
    creator_organization_name: Acme
    access: open
    release_date: 2024-05-01
    num_parameters: 7000000000
    tags: [TEXT_MODEL_TAG, ABLATION_MODEL_TAG]
  - name: acme/old
    display_name: Acme Old
    description: Retired.
    creator_organization_name: Acme
    access: closed
    tags: [TEXT_MODEL_TAG, DEPRECATED_MODEL_TAG]
"""

ACME_DEPLOYMENTS = """
model_deployments:
  - name: acmehost/base-v1
    model_name: acme/base
    tokenizer_name: acme/tok
    max_sequence_length: 4096
    client_spec: {class_name: helm.clients.simple_client.SimpleClient}
  - name: acmehost/base-v0
    model_name: acme/base
    deprecated: true
    client_spec: {class_name: helm.clients.simple_client.SimpleClient}
  - name: acmehost/old
    model_name: acme/old
    deprecated: true
    client_spec: {class_name: helm.clients.simple_client.SimpleClient}
"""

ACME_TOKENIZERS = """
tokenizer_configs:
  - name: acme/tok
    tokenizer_spec: {class_name: helm.tokenizers.simple_tokenizer.SimpleTokenizer, args: {x: 1}}
    end_of_text_token: "</s>"
"""


def write(directory: Path, name: str, text: str) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / name
    path.write_text(textwrap.dedent(text))
    return path


@pytest.fixture(autouse=True)
def _fresh_cache():
    clear_registry_cache()
    yield
    clear_registry_cache()


@pytest.fixture
def acme(tmp_path: Path) -> Path:
    ship = tmp_path / "ship"
    write(ship, "model_metadata.yaml", ACME_METADATA)
    write(ship, "model_deployments.yaml", ACME_DEPLOYMENTS)
    write(ship, "tokenizer_configs.yaml", ACME_TOKENIZERS)
    return ship


def load_acme(tmp_path: Path, ship: Path):
    return load_registry(tmp_path / "prod_env", ship_dir=ship)


# --- shipped configs -----------------------------------------------------------------------------


def test_shipped_configs_load(tmp_path: Path) -> None:
    registry = load_registry(tmp_path / "missing_prod_env")
    meta = registry.get_model("simple/model1")
    assert meta is not None
    assert (meta.creator_organization_name, meta.display_name, meta.access) == (
        "Simple",
        "Simple Model 1",
        "open",
    )
    assert meta.release_date == datetime.date(2022, 1, 1)
    assert meta.tags == ["TEXT_MODEL_TAG", "FULL_FUNCTIONALITY_TEXT_MODEL_TAG"]
    assert meta.deployment_names == ["simple/model1"]
    assert (meta.creator_organization, meta.engine) == ("simple", "model1")

    dep = registry.get_deployment("simple/model1")
    assert dep.model_name == "simple/model1"
    assert dep.tokenizer_name == "simple/tokenizer1"
    assert dep.max_sequence_length == 2048
    assert dep.client_spec == ObjectSpec("helm.clients.simple_client.SimpleClient")
    assert (dep.host_organization, dep.engine, dep.deprecated) == ("simple", "model1", False)
    assert dep.prompt_format is None and dep.chat_template is None and dep.stop_sequences == []

    tok = registry.get_tokenizer_config("simple/tokenizer1")
    assert tok is not None
    assert tok.tokenizer_spec.class_name == "helm.tokenizers.simple_tokenizer.SimpleTokenizer"
    assert (tok.end_of_text_token, tok.prefix_token, tok.organization) == ("</s>", "<s>", "simple")
    assert registry.default_deployment_for("simple/model1") == "simple/model1"


def test_repo_configs_dir_points_at_package_data() -> None:
    repo_configs = Path(__file__).resolve().parents[2] / "configs"
    assert (repo_configs / "model_deployments.yaml").resolve() == (
        SHIP_DIR / "model_deployments.yaml"
    ).resolve()


def test_model_name_defaults_to_deployment_name() -> None:
    dep = ModelDeployment(name="acme/x", client_spec=ObjectSpec("c"))
    assert dep.model_name == "acme/x"
    assert ModelDeployment(name="h/o/n", client_spec=ObjectSpec("c")).engine == "o"


# --- local overrides ------------------------------------------------------------------------------


def test_local_path_adds_and_replaces(tmp_path: Path, acme: Path) -> None:
    local = tmp_path / "prod_env"
    write(
        local,
        "model_metadata.yaml",
        """
        models:
          - name: acme/base
            display_name: Acme Base (local)
            description: Redefined.
            creator_organization_name: Acme
            access: limited
            tags: [CODE_MODEL_TAG]
          - name: local/new
            display_name: New
            description: Added.
            creator_organization_name: Local
            access: open
        """,
    )
    write(
        local,
        "model_deployments.yaml",
        """
        model_deployments:
          - name: local/new
            client_spec: {class_name: helm.clients.simple_client.SimpleClient}
          - name: acmehost/base-v1
            model_name: acme/base
            max_sequence_length: 100
            client_spec: {class_name: helm.clients.simple_client.SimpleClient}
        """,
    )
    registry = load_acme(tmp_path, acme)
    base = registry.get_model("acme/base")
    assert base is not None and base.display_name == "Acme Base (local)"
    # Replaced, not duplicated: tags are the local ones only (HELM would union them).
    assert registry.models_with_tag("TEXT_MODEL_TAG") == ["acme/old"]
    assert registry.models_with_tag("CODE_MODEL_TAG") == ["acme/base"]
    assert registry.all_models() == ["acme/base", "acme/old", "local/new"]
    assert registry.get_deployment("acmehost/base-v1").max_sequence_length == 100
    assert registry.all_deployments().count("acmehost/base-v1") == 1
    assert registry.get_deployment("local/new").model_name == "local/new"
    # The redefined metadata still lists every deployment serving the model.
    assert base.deployment_names == ["acmehost/base-v0", "acmehost/base-v1"]


def test_later_deployment_becomes_default(tmp_path: Path, acme: Path) -> None:
    write(
        tmp_path / "prod_env",
        "model_deployments.yaml",
        """
        model_deployments:
          - name: otherhost/base
            model_name: acme/base
            client_spec: {class_name: helm.clients.simple_client.SimpleClient}
        """,
    )
    assert load_acme(tmp_path, acme).default_deployment_for("acme/base") == "otherhost/base"


def test_redefined_deployment_moves_to_end(tmp_path: Path, acme: Path) -> None:
    write(
        tmp_path / "prod_env",
        "model_deployments.yaml",
        """
        model_deployments:
          - name: newhost/base
            model_name: acme/base
            client_spec: {class_name: helm.clients.simple_client.SimpleClient}
          - name: acmehost/base-v1
            model_name: acme/base
            client_spec: {class_name: helm.clients.simple_client.SimpleClient}
        """,
    )
    registry = load_acme(tmp_path, acme)
    assert registry.default_deployment_for("acme/base") == "acmehost/base-v1"
    assert registry.deployments_for("acme/base") == ["acmehost/base-v0", "newhost/base", "acmehost/base-v1"]


# --- default deployments ---------------------------------------------------------------------------


def test_default_deployment_rules(tmp_path: Path, acme: Path) -> None:
    registry = load_acme(tmp_path, acme)
    # Last non-deprecated wins, even though the deprecated one is registered later.
    assert registry.default_deployment_for("acme/base") == "acmehost/base-v1"
    # Only deprecated deployments: the last of them.
    assert registry.default_deployment_for("acme/old") == "acmehost/old"
    # A deployment name used as a model name falls back to that deployment (as in HELM).
    assert registry.default_deployment_for("acmehost/base-v1") == "acmehost/base-v1"
    assert registry.default_deployment_for("acme/nope") is None


def test_default_deployment_last_non_deprecated(tmp_path: Path) -> None:
    ship = tmp_path / "ship"
    write(
        ship,
        "model_deployments.yaml",
        """
        model_deployments:
          - {name: h/a, model_name: m/x, client_spec: {class_name: c}}
          - {name: h/b, model_name: m/x, client_spec: {class_name: c}}
          - {name: h/c, model_name: m/x, deprecated: true, client_spec: {class_name: c}}
          - {name: h/d, model_name: m/y, deprecated: true, client_spec: {class_name: c}}
          - {name: h/e, model_name: m/y, deprecated: true, client_spec: {class_name: c}}
        """,
    )
    registry = load_acme(tmp_path, ship)
    assert registry.default_deployment_for("m/x") == "h/b"
    assert registry.default_deployment_for("m/y") == "h/e"


def test_missing_metadata_gets_placeholder(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    ship = tmp_path / "ship"
    write(
        ship,
        "model_deployments.yaml",
        "model_deployments:\n  - {name: host/x, model_name: org/x, client_spec: {class_name: c}}\n",
    )
    with caplog.at_level(logging.WARNING):
        registry = load_acme(tmp_path, ship)
    assert "Could not find model metadata for model org/x of model deployment host/x" in caplog.text
    meta = registry.get_model("org/x")
    assert meta is not None
    expected = placeholder_metadata("org/x")
    assert (meta.creator_organization_name, meta.display_name, meta.access, meta.tags) == (
        "Unknown",
        "org/x",
        "open",
        expected.tags,
    )
    assert meta.deployment_names == ["host/x"]


def test_get_deployment_not_found_suggests(tmp_path: Path, acme: Path) -> None:
    registry = load_acme(tmp_path, acme)
    with pytest.raises(UserError, match=r"^Model deployment acmehost/base-v2 not found \(did you mean: "):
        registry.get_deployment("acmehost/base-v2")
    with pytest.raises(UserError) as e:
        registry.get_deployment("zzz")
    assert str(e.value) == "Model deployment zzz not found"
    assert registry.get_model("zzz") is None
    assert registry.get_tokenizer_config("zzz") is None


# --- strict errors --------------------------------------------------------------------------------

DEP = "client_spec: {class_name: c}"


@pytest.mark.parametrize(
    ("filename", "text", "expected"),
    [
        (
            "model_deployments.yaml",
            f"model_deployments:\n  - {{name: acme/foo, max_seq_len: 3, {DEP}}}\n",
            "model_deployments.yaml: entry 'acme/foo': unknown field 'max_seq_len'",
        ),
        (
            "model_deployments.yaml",
            "model_deployments:\n  - {name: acme/foo, client_spec: {class_name: c, argz: {}}}\n",
            "model_deployments.yaml: entry 'acme/foo': unknown field 'client_spec.argz' (did you mean: args?)",
        ),
        (
            "model_deployments.yaml",
            f"model_deployments:\n  - {{name: acme/foo, max_sequence_length: lots, {DEP}}}\n",
            "model_deployments.yaml: entry 'acme/foo': field 'max_sequence_length': expected int or null, "
            "got str 'lots'",
        ),
        (
            "model_deployments.yaml",
            f"model_deployments:\n  - {{name: acme/foo, max_sequence_length: true, {DEP}}}\n",
            "model_deployments.yaml: entry 'acme/foo': field 'max_sequence_length': expected int or null, "
            "got bool True",
        ),
        (
            "model_deployments.yaml",
            f"model_deployments:\n  - {{name: acme/foo, deprecated: 'yes', {DEP}}}\n",
            "model_deployments.yaml: entry 'acme/foo': field 'deprecated': expected bool, got str 'yes'",
        ),
        (
            "model_deployments.yaml",
            "model_deployments:\n  - {name: acme/foo}\n",
            "model_deployments.yaml: entry 'acme/foo': missing required field 'client_spec'",
        ),
        (
            "model_deployments.yaml",
            f"model_deployments:\n  - {{name: acme/a, {DEP}}}\n  - {{{DEP}}}\n",
            "model_deployments.yaml: entry 2: missing required field 'name'",
        ),
        (
            "model_deployments.yaml",
            f"model_deployments:\n  - {{name: acme/foo, max_request_length: 0, {DEP}}}\n",
            "model_deployments.yaml: entry 'acme/foo': field 'max_request_length': "
            "must be a positive integer, got 0",
        ),
        (
            "model_deployments.yaml",
            f"model_deployments:\n  - {{name: foo, {DEP}}}\n",
            "model_deployments.yaml: entry 'foo': field 'name': expected '<organization>/<name>', got 'foo'",
        ),
        (
            "model_deployments.yaml",
            "model_deployments:\n  - just a string\n",
            "model_deployments.yaml: entry 1: expected a mapping, got str",
        ),
        (
            "model_deployments.yaml",
            "model_deployment:\n  - {name: acme/foo}\n",
            "model_deployments.yaml: unknown top-level key 'model_deployment' (expected 'model_deployments')",
        ),
        (
            "model_deployments.yaml",
            "model_deployments: {name: acme/foo}\n",
            "model_deployments.yaml: 'model_deployments' must be a list, got a mapping",
        ),
        (
            "model_metadata.yaml",
            "models:\n  - {name: acme/m, display_name: M, description: d, creator_organization_name: A,"
            " access: open, releese_date: 2020-01-01}\n",
            "model_metadata.yaml: entry 'acme/m': unknown field 'releese_date' (did you mean: release_date?)",
        ),
        (
            "model_metadata.yaml",
            "models:\n  - {name: acme/m, display_name: M, description: d, creator_organization_name: A,"
            " access: open, release_date: soon}\n",
            "model_metadata.yaml: entry 'acme/m': field 'release_date': expected date (YYYY-MM-DD) or null, "
            "got str 'soon'",
        ),
        (
            "model_metadata.yaml",
            "models:\n  - {name: acme/m, display_name: M, description: d, creator_organization_name: A,"
            " access: open, tags: TEXT_MODEL_TAG}\n",
            "model_metadata.yaml: entry 'acme/m': field 'tags': expected list[str], got str 'TEXT_MODEL_TAG'",
        ),
        (
            "model_metadata.yaml",
            "models:\n  - {name: acme/m, display_name: M, creator_organization_name: A, access: open}\n",
            "model_metadata.yaml: entry 'acme/m': missing required field 'description'",
        ),
        (
            "tokenizer_configs.yaml",
            "tokenizer_configs:\n  - {name: acme/t, tokenizer_spec: {class_name: c}, eos_token: x}\n",
            "tokenizer_configs.yaml: entry 'acme/t': unknown field 'eos_token'",
        ),
        (
            "tokenizer_configs.yaml",
            "tokenizer_configs:\n  - {name: acme/t, tokenizer_spec: {class_name: c, args: [1]}}\n",
            "tokenizer_configs.yaml: entry 'acme/t': field 'tokenizer_spec.args': expected mapping, "
            "got a list [1]",
        ),
    ],
)
def test_strict_errors_are_one_line_and_name_file_entry_field(
    tmp_path: Path, filename: str, text: str, expected: str
) -> None:
    local = tmp_path / "prod_env"
    write(local, filename, text)
    with pytest.raises(UserError) as e:
        load_registry(local)
    message = str(e.value)
    assert "\n" not in message
    assert message == os.path.join(str(local), expected)


def test_error_uses_local_path_as_given(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    write(
        tmp_path / "prod_env",
        "model_deployments.yaml",
        f"model_deployments:\n  - {{name: acme/foo, x: 1, {DEP}}}\n",
    )
    with pytest.raises(
        UserError, match=r"^prod_env/model_deployments.yaml: entry 'acme/foo': unknown field 'x'$"
    ):
        load_registry()


def test_malformed_yaml_names_file_and_line(tmp_path: Path) -> None:
    local = tmp_path / "prod_env"
    write(local, "model_deployments.yaml", "model_deployments:\n  - name: acme/foo\n    client_spec: [oops\n")
    with pytest.raises(UserError) as e:
        load_registry(local)
    message = str(e.value)
    assert "\n" not in message
    assert message.startswith(f"{local}/model_deployments.yaml: invalid YAML at line ")


def test_malformed_yaml_line_number(tmp_path: Path) -> None:
    local = tmp_path / "prod_env"
    write(local, "model_metadata.yaml", "models:\n  - name: a/b\n   bad: indent: here\n")
    with pytest.raises(UserError, match=r"model_metadata.yaml: invalid YAML at line 3, column \d+: "):
        load_registry(local)


def test_duplicate_yaml_key_keeps_the_last_value_with_one_warning(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """As PyYAML (HELM's parser) reads it: the last value wins; helm_lite says so once, with the line."""
    local = tmp_path / "prod_env"
    write(
        local,
        "model_deployments.yaml",
        "model_deployments:\n  - name: a/b\n    max_sequence_length: 1\n    max_sequence_length: 2\n"
        "    client_spec: {class_name: helm.clients.simple_client.SimpleClient}\n",
    )
    with caplog.at_level(logging.WARNING):
        registry = load_registry(local)
    assert registry.get_deployment("a/b").max_sequence_length == 2
    assert [r.getMessage() for r in caplog.records if "twice" in r.getMessage()] == [
        f"{local / 'model_deployments.yaml'}: line 4: key 'max_sequence_length' is given twice in one "
        "entry; using the last value"
    ]


def test_name_defined_twice_in_one_file_keeps_the_last_definition(tmp_path: Path) -> None:
    """HELM registers entries in file order into name maps, so the later definition wins; a
    deployment's position is its last definition (it decides the model's default)."""
    local = tmp_path / "prod_env"
    write(
        local,
        "model_deployments.yaml",
        "model_deployments:\n"
        f"  - {{name: h/one, model_name: acme/m, max_sequence_length: 1, {DEP}}}\n"
        f"  - {{name: h/two, model_name: acme/m, {DEP}}}\n"
        f"  - {{name: h/one, model_name: acme/m, max_sequence_length: 3, {DEP}}}\n",
    )
    write(
        local,
        "tokenizer_configs.yaml",
        "tokenizer_configs:\n"
        "  - {name: t/x, tokenizer_spec: {class_name: a}, end_of_text_token: A}\n"
        "  - {name: t/x, tokenizer_spec: {class_name: a}, end_of_text_token: B}\n",
    )
    registry = load_registry(local)
    assert registry.get_deployment("h/one").max_sequence_length == 3
    assert registry.deployments_for("acme/m") == ["h/two", "h/one"]
    assert registry.default_deployment_for("acme/m") == "h/one"
    config = registry.get_tokenizer_config("t/x")
    assert config is not None and config.end_of_text_token == "B"


def test_fields_helm_ignores_are_ignored_and_typos_are_not(tmp_path: Path) -> None:
    """HELM's own files carry `release` (models), a top-level `args` and `client_spec.deployment`
    (deployments), which HELM's loader drops; any other unknown key is still an error."""
    local = tmp_path / "prod_env"
    write(
        local,
        "model_metadata.yaml",
        "models:\n  - {name: acme/m, display_name: M, description: d, creator_organization_name: A,"
        " access: open, release: 2024-18-4}\n",
    )
    write(
        local,
        "model_deployments.yaml",
        "model_deployments:\n  - {name: h/m, model_name: acme/m, args: {x: 1},"
        " client_spec: {class_name: helm.clients.simple_client.SimpleClient, deployment: a/b}}\n",
    )
    registry = load_registry(local)
    assert registry.get_model("acme/m").release_date is None  # type: ignore[union-attr]
    assert registry.get_deployment("h/m").client_spec.args == {}
    write(
        local,
        "model_deployments.yaml",
        f"model_deployments:\n  - {{name: h/m, model_name: acme/m, deprecatd: true, {DEP}}}\n",
    )
    with pytest.raises(UserError, match=r"unknown field 'deprecatd' \(did you mean: deprecated\?\)$"):
        load_registry(local)


def test_empty_files_and_quoted_dates(tmp_path: Path) -> None:
    local = tmp_path / "prod_env"
    write(local, "tokenizer_configs.yaml", "")
    write(local, "model_deployments.yaml", "model_deployments:\n")
    write(
        local,
        "model_metadata.yaml",
        "models:\n  - {name: a/b, display_name: B, description: d, creator_organization_name: A,"
        " access: open, release_date: '2023-02-03'}\n",
    )
    meta = load_registry(local).get_model("a/b")
    assert meta is not None and meta.release_date == datetime.date(2023, 2, 3)


# --- caching and laziness ---------------------------------------------------------------------------


def test_registry_is_cached_until_files_change(tmp_path: Path, acme: Path) -> None:
    first = load_acme(tmp_path, acme)
    assert load_acme(tmp_path, acme) is first
    path = write(
        tmp_path / "prod_env", "model_deployments.yaml", f"model_deployments:\n  - {{name: n/d, {DEP}}}\n"
    )
    second = load_acme(tmp_path, acme)
    assert second is not first and second.has_deployment("n/d")
    path.write_text(f"model_deployments:\n  - {{name: n/e, {DEP}}}\n")
    os.utime(path, ns=(1, 1))
    third = load_acme(tmp_path, acme)
    assert third.has_deployment("n/e") and not third.has_deployment("n/d")


@pytest.mark.parametrize("first", ["deployment", "tokenizer"])
def test_generated_huggingface_entries_read_the_model_files_once(
    tmp_path: Path, acme: Path, monkeypatch: pytest.MonkeyPatch, first: str
) -> None:
    """`huggingface/ORG/NAME` makes a deployment and a tokenizer config from one reading of the files."""
    import helm_lite.registry.huggingface as hf

    folder = tmp_path / "org" / "tiny"
    write(
        folder, "tokenizer_config.json", '{"model_max_length": 512, "eos_token": "</s>", "bos_token": "<s>"}'
    )
    monkeypatch.chdir(tmp_path)  # huggingface/org/tiny names the local folder org/tiny
    reads: list[str] = []
    real = hf.read_model_files

    def counting(path_or_id: str, revision: str | None = None, *, what: str) -> hf.HuggingFaceFiles:
        reads.append(path_or_id)
        return real(path_or_id, revision, what=what)

    monkeypatch.setattr(hf, "read_model_files", counting)
    registry = load_acme(tmp_path, acme)
    name = "huggingface/org/tiny"
    if first == "tokenizer":
        config = registry.get_tokenizer_config(name)
        deployment = registry.get_deployment(name)
    else:
        deployment = registry.get_deployment(name)
        config = registry.get_tokenizer_config(name)
    assert reads == ["org/tiny"]
    assert (deployment.model_name, deployment.tokenizer_name, deployment.max_sequence_length) == (
        "org/tiny",
        name,
        512,
    )
    assert config is not None and (config.end_of_text_token, config.prefix_token) == ("</s>", "<s>")
    assert registry.has_deployment(name) and reads == ["org/tiny"]


def test_extended_registers_like_files(tmp_path: Path, acme: Path, caplog: pytest.LogCaptureFixture) -> None:
    """`Registry.extended`: a redefined deployment becomes its model's default; a new model gets
    placeholder metadata silently; tokenizer configs are added."""
    from helm_lite.registry.schema import TokenizerConfig

    registry = load_acme(tmp_path, acme)
    spec = ObjectSpec("helm.clients.simple_client.SimpleClient", {})
    with caplog.at_level(logging.WARNING):
        extended = registry.extended(
            deployments=[
                ModelDeployment(name="acmehost/base-v1", model_name="acme/base", client_spec=spec),
                ModelDeployment(name="newhost/x", model_name="neworg/x", client_spec=spec),
            ],
            tokenizer_configs=[TokenizerConfig(name="neworg/tok", tokenizer_spec=spec)],
        )
    assert caplog.text == ""
    assert extended.all_deployments()[-2:] == ["acmehost/base-v1", "newhost/x"]
    assert extended.default_deployment_for("acme/base") == "acmehost/base-v1"
    meta = extended.get_model("neworg/x")
    assert meta is not None and meta.deployment_names == ["newhost/x"]
    assert meta.tags == placeholder_metadata("neworg/x").tags
    assert extended.get_tokenizer_config("neworg/tok") is not None
    assert registry.get_model("neworg/x") is None  # the original is unchanged


def test_imports_stay_light() -> None:
    code = (
        "import sys, helm_lite.registry, helm_lite.registry.loader, helm_lite.run_entries.conf, "
        "helm_lite.run_entries.description, helm_lite.run_entries.resolution; "
        "heavy = ('yaml', 'dacite', 'pyhocon', 'pyparsing', 'torch', 'numpy'); "
        "print(sorted(m for m in heavy if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
