"""Which names are secrets, what `scrub` and `redact` blank, and the log filter on real handlers."""

from __future__ import annotations

import io
import logging
import subprocess
import sys
from pathlib import Path

import pytest

from helm_lite.common import secrets
from helm_lite.common.credentials import Credentials, load_credentials
from helm_lite.common.errors import UserError
from helm_lite.common.object_spec import ObjectSpec, create_object
from helm_lite.registry.loader import read_registry_file
from helm_lite.registry.schema import ModelDeployment

OPEN = "helm_lite.clients.openai_client.OpenAICompatibleClient"


@pytest.mark.parametrize(
    "name",
    [
        "api_key",
        "apiKey",
        "openaiApiKey",
        "access-token",
        "client_secret",
        "PASSWORD",
        "hf_token",
        "passphrase",
    ],
)
def test_secret_names(name: str) -> None:
    assert secrets.is_secret_name(name)


@pytest.mark.parametrize(
    "name",
    ["max_tokens", "num_tokens", "tokenizer_name", "tokenizer", "keyword", "monkey", "base_url", "top_k"],
)
def test_names_that_are_not_secrets(name: str) -> None:
    assert not secrets.is_secret_name(name)


def test_scrub_redacts_secret_named_values_at_any_depth_and_copies() -> None:
    deployment = {
        "name": "acme/m",
        "max_tokens": 5,
        "client_spec": {
            "class_name": OPEN,
            "args": {"api_key": "abc", "headers": [{"authToken": 12345678}], "apiKey": None, "password": ""},
        },
    }
    assert secrets.scrub(deployment) == {
        "name": "acme/m",
        "max_tokens": 5,
        "client_spec": {
            "class_name": OPEN,
            # by name, whatever the value's length or type; unset values stay visible as unset
            "args": {
                "api_key": "[REDACTED]",
                "headers": [{"authToken": "[REDACTED]"}],
                "apiKey": None,
                "password": "",
            },
        },
    }
    assert deployment["client_spec"]["args"]["api_key"] == "abc"  # type: ignore[index]  # a copy


def test_scrub_blanks_remembered_values_inside_other_strings() -> None:
    secrets.remember("zq7-in-a-command-line")
    assert secrets.scrub({"command": ["helm-run", "--key=zq7-in-a-command-line"]}) == {
        "command": ["helm-run", "--key=[REDACTED]"]
    }


def test_redact_known_values_longest_first_and_shapes() -> None:
    secrets.remember("zq7-shortkey", "zq7-shortkey-and-more", "tiny")
    text = (
        "a zq7-shortkey-and-more b zq7-shortkey c tiny d Authorization: Bearer abc.def e sk-proj-ABCDEFGH12 "
        "f api_key=qq-unknown g http://user:hunter2-pw@host:8000/v1 h http://127.0.0.1:8000/v1"
    )
    assert secrets.redact(text) == (
        "a [REDACTED] b [REDACTED] c tiny d Authorization: Bearer [REDACTED] e [REDACTED] "
        "f api_key=[REDACTED] g http://user:[REDACTED]@host:8000/v1 h http://127.0.0.1:8000/v1"
    )  # "tiny" is too short to be remembered: blanking it would blank ordinary words


def test_ordinary_text_is_left_alone() -> None:
    text = "max_tokens=5 tokenizer_name=simple/tokenizer1 top_k=3 key points: none"
    assert secrets.redact(text) == text


def test_remember_args_takes_only_secret_named_values() -> None:
    secrets.remember_args(
        {"model": "zq7-not-a-secret-model", "nested": {"service_token": "zq7-nested-token"}}
    )
    assert secrets.redact("zq7-not-a-secret-model zq7-nested-token") == "zq7-not-a-secret-model [REDACTED]"


def test_credentials_values_and_env_keys_are_remembered(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("HELM_CREDENTIALS", raising=False)
    (tmp_path / "credentials.conf").write_text(
        'acmeApiKey: "zq7-from-the-file"\nacmeBaseUrl: "http://127.0.0.1:9999/v1"\n'
        'deployments { "acme/m": "zq7-per-deployment" }\n'
    )
    load_credentials(str(tmp_path))
    text = "zq7-from-the-file zq7-per-deployment http://127.0.0.1:9999/v1"
    assert secrets.redact(text) == "[REDACTED] [REDACTED] http://127.0.0.1:9999/v1"  # a base URL is no secret
    monkeypatch.setenv("ZQ7_TEST_API_KEY", "zq7-from-the-environment")
    assert Credentials().api_key("nohost", env_var="ZQ7_TEST_API_KEY") == "zq7-from-the-environment"
    assert secrets.redact("zq7-from-the-environment") == "[REDACTED]"


def test_object_spec_repr_and_construction_errors_hide_secret_args() -> None:
    pytest.importorskip("openai")  # constructs the OpenAI-compatible client
    spec = ObjectSpec(
        OPEN, {"base_url": "http://127.0.0.1:1/v1", "api_key": "zq7-spec-key", "api": "zq7-spec-key"}
    )
    assert "zq7-spec-key" not in repr(spec) and "'api_key': '[REDACTED]'" in repr(spec)
    assert "zq7-spec-key" not in repr(ModelDeployment(name="acme/m", client_spec=spec))
    with pytest.raises(UserError) as info:  # the key pasted into the wrong argument is quoted back...
        create_object(spec)
    assert str(info.value).endswith("api must be one of completions, chat, got '[REDACTED]'")  # ...redacted


def test_registry_errors_do_not_quote_secret_args(tmp_path: Path) -> None:
    path = tmp_path / "model_deployments.yaml"
    path.write_text(
        "model_deployments:\n  - name: acme/m\n    client_spec:\n"
        f"      class_name: {OPEN}\n      args: [{{api_key: zq7-registry-key}}]\n"
    )
    with pytest.raises(UserError) as info:
        read_registry_file(path, "model_deployments", ModelDeployment)
    assert str(info.value).startswith(f"{path}: entry 'acme/m': ")
    assert "zq7-registry-key" not in str(info.value) and "[REDACTED]" in str(info.value)


def test_log_filter_redacts_messages_arguments_and_tracebacks() -> None:
    secrets.remember("zq7-logged-key")
    stream = io.StringIO()
    logger = logging.getLogger("helm_lite.tests.secrets_filter")
    logger.propagate = False
    handler = logging.StreamHandler(stream)
    logger.addHandler(handler)
    try:
        secrets.install(logger)
        secrets.install(logger)  # idempotent
        assert sum(isinstance(f, secrets.RedactingFilter) for f in handler.filters) == 1
        logger.warning("deployment %s uses %s", {"api_key": "x"}, "zq7-logged-key")
        logger.warning("no arguments, key zq7-logged-key inline")
        try:
            raise RuntimeError("the SDK quoted zq7-logged-key")
        except RuntimeError:
            logger.exception("failed")
    finally:
        logger.removeHandler(handler)
    out = stream.getvalue()
    assert "zq7-logged-key" not in out
    assert "deployment {'api_key': '[REDACTED]'} uses [REDACTED]" in out  # a value and a shape
    assert "no arguments, key [REDACTED] inline" in out
    assert "RuntimeError: the SDK quoted [REDACTED]" in out


def test_cli_logging_and_uncaught_tracebacks_are_redacted(tmp_path: Path) -> None:
    code = (
        "import logging\n"
        "from helm_lite.cli.common import setup_logging\n"
        "from helm_lite.common.credentials import Credentials\n"
        "setup_logging(verbose=True)\n"
        "Credentials({'acmeApiKey': 'zq7-subprocess-key'})\n"
        "logging.getLogger('openai').debug('headers %s', {'X-Key': 'zq7-subprocess-key'})\n"
        "raise RuntimeError('crashed holding zq7-subprocess-key')\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, cwd=tmp_path
    )
    assert proc.returncode == 1
    assert "zq7-subprocess-key" not in proc.stderr + proc.stdout
    assert "headers {'X-Key': '[REDACTED]'}" in proc.stderr
    assert proc.stderr.rstrip().endswith("RuntimeError: crashed holding [REDACTED]")
