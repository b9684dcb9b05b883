"""A base_url that cannot be an API address is a one-line argument error before any run starts."""

from __future__ import annotations

from pathlib import Path

import pytest

from helm_lite.clients.openai_client import OpenAIClient, OpenAICompatibleClient
from helm_lite.clients.together_client import TogetherClient
from helm_lite.common.credentials import Credentials
from helm_lite.common.errors import UserError
from helm_lite.common.object_spec import ObjectSpec
from helm_lite.registry.schema import ModelDeployment

pytest.importorskip("openai")  # the SDKs of the openai and together extras
pytest.importorskip("together")

DEPLOYMENT = ModelDeployment(name="acme/m", client_spec=ObjectSpec("x"))


@pytest.mark.parametrize(
    "url",
    [
        "not a url",
        "localhost:8000/v1",  # no scheme: urlsplit reads "localhost" as one
        "ftp://example.org/v1",
        "http://",
        "http:///v1",
        "http://host:99999/v1",
        "http://host:port/v1",
    ],
)
@pytest.mark.parametrize("cls", [OpenAICompatibleClient, OpenAIClient, TogetherClient])
def test_bad_base_url_is_refused_at_construction(cls: type, url: str) -> None:
    with pytest.raises(UserError) as info:
        cls(base_url=url, model="m", api_key="sk-base-url-test", deployment=DEPLOYMENT)
    assert str(info.value) == (
        "model deployment acme/m: client_spec.args.base_url: expected an http:// or https:// URL with a "
        f"host, e.g. http://localhost:8000/v1, got {url!r}"
    )


@pytest.mark.parametrize(
    "url", ["http://127.0.0.1:8000/v1", "https://api.openai.com/v1", "http://[::1]:8080/v1", "HTTP://Host/v1"]
)
def test_good_base_urls_are_accepted(url: str) -> None:
    assert OpenAICompatibleClient(base_url=url, model="m", deployment=DEPLOYMENT).base_url == url


def test_base_url_from_credentials_is_checked_and_named() -> None:
    creds = Credentials({"acmeBaseUrl": "127.0.0.1:8000"}, source="prod_env/credentials.conf")
    with pytest.raises(
        UserError, match=r"^model deployment acme/m: acmeBaseUrl in prod_env/credentials\.conf: "
    ):
        OpenAICompatibleClient(model="m", deployment=DEPLOYMENT, credentials=creds)


def test_a_password_in_a_bad_base_url_is_not_quoted() -> None:
    with pytest.raises(UserError) as info:
        OpenAICompatibleClient(base_url="ftp://user:hunter2-pass@host/v1", model="m", deployment=DEPLOYMENT)
    assert "hunter2-pass" not in str(info.value) and "ftp://user:[REDACTED]@host/v1" in str(info.value)


def test_helm_run_stops_with_one_line_before_any_run(helm_run, tmp_path: Path) -> None:
    local = tmp_path / "prod_env"
    local.mkdir()
    (local / "model_deployments.yaml").write_text(
        """model_deployments:
  - name: myserver/qwen
    model_name: qwen/qwen
    client_spec:
      class_name: helm_lite.clients.openai_client.OpenAICompatibleClient
      args: {base_url: not a url, model: Qwen/Qwen}
"""
    )
    r = helm_run(
        "-r",
        "synthetic_reasoning:mode=pattern_match,model=simple/model1",
        "synthetic_reasoning:mode=pattern_match,model_deployment=myserver/qwen",
        "-m",
        "2",
    )
    assert r.returncode == 2
    errors = [line for line in r.stderr.splitlines() if "error" in line.lower()]
    assert len(errors) == 1
    assert errors[0].startswith("helm-run: error: ")
    assert errors[0].endswith(
        "model deployment myserver/qwen: client_spec.args.base_url: expected an http:// or https:// URL "
        "with a host, e.g. http://localhost:8000/v1, got 'not a url'"
    )
    assert "retrying" not in r.stderr and "connection error" not in r.stderr
    assert not (tmp_path / "benchmark_output" / "runs").exists()  # not even the simple/model1 run
