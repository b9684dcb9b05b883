"""API keys given every way helm_lite accepts them reach the server and nothing else.

Real helm-run subprocesses against loopback OpenAI-compatible servers: a key as the client argument
``api_key``, as a user plug-in's secret-named argument (which the plug-in even logs), in
credentials.conf, in ``$HELM_CREDENTIALS`` and in ``OPENAI_API_KEY``; plus a key the server refuses
with a 401 that quotes it. Each key must be sent to the server, and appear in no byte of any file
helm-run writes (run_info.json, run_spec.json, scenario_state.json, the SQLite caches, keys and
values), and in no line of its output, with ``-v`` too. helm-server, given a run_info.json that an
older version wrote with a plain key, serves it redacted. The keys have no key-like shape
(``sk-…``), so only the registry of known secrets can blank them.
"""

from __future__ import annotations

import json
import os
import pickle
import sqlite3
import threading
import urllib.request
from pathlib import Path

import pytest
from fake_openai_server import FakeOpenAIServer

from helm_lite.server.app import create_server

pytest.importorskip("openai")  # the SDK of the openai extra

MODEL = "acme/fake-7b"
KEY_ARG = "zq7-ARGKEY-4f8e2d1c9b"
KEY_CUSTOM = "zq7-PLUGIN-8a1b2c3d4e"
KEY_CONF = "zq7-CONFFILE-77e1f0a2"
KEY_ENV = "zq7-OPENAIENV-5c6d7e8f"
KEY_HELM_ENV = "zq7-HELMCREDS-9b0a1c2d"
KEY_REFUSED = "zq7-REFUSED-3e4f5a6b"
ALL_KEYS = (KEY_ARG, KEY_CUSTOM, KEY_CONF, KEY_ENV, KEY_HELM_ENV, KEY_REFUSED)
CLIENTS_DIR = Path(__file__).resolve().parent
OPEN = "helm_lite.clients.openai_client.OpenAICompatibleClient"


def deployments(open_url: str, strict_url: str) -> str:
    def entry(name: str, args: str, class_name: str = OPEN) -> str:
        return (
            f"  - name: {name}\n    model_name: {MODEL}\n    client_spec:\n"
            f"      class_name: {class_name}\n      args: {{model: {MODEL}, {args}}}\n"
        )

    return "model_deployments:\n" + "".join(
        [
            entry("argkey/fake", f"base_url: '{open_url}/v1', api_key: {KEY_ARG}"),
            entry(
                "plugin/fake",
                f"base_url: '{open_url}/v1', service_token: {KEY_CUSTOM}",
                "secrets_token_client.TokenClient",
            ),
            entry("conf/fake", f"base_url: '{open_url}/v1'"),
            entry(
                "openai/fake-gpt",
                f"base_url: '{open_url}/v1', api: completions",
                "helm.clients.openai_client.OpenAIClient",
            ),
            entry("envcred/fake", f"base_url: '{open_url}/v1'"),
            entry(
                "refused/fake",
                f"base_url: '{strict_url}/v1', api_key: {KEY_REFUSED}, retry: {{max_attempts: 1}}",
            ),
        ]
    )


def entries(*deployment_names: str) -> list[str]:
    return [f"synthetic_reasoning:mode=pattern_match,model_deployment={d}" for d in deployment_names]


def files_holding(root: Path, secret: str, skip: set[Path]) -> list[str]:
    needle = secret.encode()
    return [str(p) for p in root.rglob("*") if p.is_file() and p not in skip and needle in p.read_bytes()]


def cache_rows(cache_dir: Path) -> list[str]:
    """Every cache key and the repr of every unpickled value, from every SQLite file."""
    rows = []
    for path in sorted(cache_dir.glob("*.sqlite")):
        with sqlite3.connect(path) as db:
            for key, value in db.execute("SELECT key, value FROM unnamed"):
                rows.append(f"{path.name} {key} {pickle.loads(value)!r}")
    return rows


@pytest.fixture
def servers():
    with (
        FakeOpenAIServer(model=MODEL) as open_server,
        FakeOpenAIServer(model=MODEL, api_key="zq7-ONLY-THE-SERVER") as strict,
    ):
        yield open_server, strict


@pytest.mark.slow  # several processes or a model (2-7 s)
def test_keys_given_every_way_reach_the_server_and_nothing_else(
    helm_run, tmp_path: Path, servers, monkeypatch: pytest.MonkeyPatch
) -> None:
    open_server, strict = servers
    local = tmp_path / "prod_env"
    local.mkdir()
    (local / "model_deployments.yaml").write_text(deployments(open_server.url, strict.url))
    (local / "credentials.conf").write_text(f'confApiKey: "{KEY_CONF}"\n')
    monkeypatch.setenv(
        "PYTHONPATH", os.pathsep.join(filter(None, [str(CLIENTS_DIR), os.environ.get("PYTHONPATH")]))
    )
    monkeypatch.delenv("HELM_CREDENTIALS", raising=False)
    monkeypatch.setenv("OPENAI_API_KEY", KEY_ENV)

    first = helm_run(
        "-v",
        "-r",
        *entries("argkey/fake", "plugin/fake", "conf/fake", "openai/fake-gpt", "refused/fake"),
        "-m",
        "2",
        "--suite",
        "keys",
    )
    assert first.returncode == 1, first.stderr  # only the refused run fails
    assert (
        first.stderr.strip()
        .splitlines()[-1]
        .startswith("helm-run: error: Failed runs: ['synthetic_reasoning")
    )
    assert "refused_fake" in first.stderr.strip().splitlines()[-1]

    monkeypatch.delenv("OPENAI_API_KEY")
    monkeypatch.setenv("HELM_CREDENTIALS", f'envcredApiKey: "{KEY_HELM_ENV}"')
    second = helm_run("-r", *entries("envcred/fake"), "-m", "2", "--suite", "keys")
    assert second.returncode == 0, second.stderr

    # Every key was really used: each source reached the server it was meant for.
    sent = {r.headers["authorization"] for r in open_server.calls()}
    assert sent == {f"Bearer {k}" for k in (KEY_ARG, KEY_CUSTOM, KEY_CONF, KEY_ENV, KEY_HELM_ENV)}
    assert {r.headers["authorization"] for r in strict.calls()} == {f"Bearer {KEY_REFUSED}"}

    # What was logged instead: the plug-in's own log line, and the server's 401 that quotes the key.
    assert " DEBUG " in first.stderr  # -v really was on
    assert f"TokenClient for {MODEL} authenticates with [REDACTED]" in first.stderr
    assert "Incorrect API key provided: [REDACTED]" in first.stderr

    runs = tmp_path / "benchmark_output" / "runs" / "keys"
    assert len(list(runs.glob("*/run_spec.json"))) == 5  # all but the refused run
    info = json.loads(next(runs.glob("*model_deployment=plugin_fake*/run_info.json")).read_text())
    args = info["model_deployment"]["client_spec"]["args"]
    assert args == {"model": MODEL, "base_url": f"{open_server.url}/v1", "service_token": "[REDACTED]"}
    info = json.loads(next(runs.glob("*model_deployment=argkey_fake*/run_info.json")).read_text())
    assert info["model_deployment"]["client_spec"]["args"]["api_key"] == "[REDACTED]"

    sources = {local / "model_deployments.yaml", local / "credentials.conf"}
    rows = cache_rows(local / "cache")
    assert len(rows) == 10 and any(r.startswith("argkey.sqlite") for r in rows)
    for key in ALL_KEYS:
        for out in (first.stdout, first.stderr, second.stdout, second.stderr):
            assert key not in out
        assert files_holding(tmp_path, key, skip=sources) == []
        assert not [r for r in rows if key in r]


def get(url: str) -> bytes:
    with urllib.request.urlopen(url, timeout=10) as response:  # noqa: S310 - a loopback URL we built
        data: bytes = response.read()
        return data


def test_helm_server_redacts_a_plain_key_in_an_old_run_info(helm_run, tmp_path: Path) -> None:
    r = helm_run(
        "-r", "synthetic_reasoning:mode=pattern_match,model=simple/model1", "-m", "1", "--suite", "old"
    )
    assert r.returncode == 0, r.stderr
    run_dir = next((tmp_path / "benchmark_output" / "runs" / "old").glob("synthetic_reasoning*"))
    old_key, old_token = "zq7-OLDRUNINFO-1a2b3c4d", "zq7-OLDTOKEN-5e6f7a8b"
    args = {
        "base_url": "http://127.0.0.1:8000/v1",
        "api_key": old_key,
        "serviceToken": old_token,
        "max_tokens": 7,
        "num_tokens": 3,
        "tokenizer_name": "simple/tokenizer1",
    }
    (run_dir / "run_info.json").write_text(
        json.dumps(
            {
                "command": ["helm-run"],
                "model_deployment": {"name": "acme/m", "client_spec": {"class_name": OPEN, "args": args}},
            }
        )
    )
    server = create_server(str(tmp_path / "benchmark_output"), ["old"], host="127.0.0.1", port=0)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        run = urllib.request.quote(run_dir.name, safe="")
        detail = get(f"{server.url}/api/suites/old/runs/{run}")
        raw_file = get(f"{server.url}/files/old/{run}/run_info.json")
        listing = get(f"{server.url}/api/suites/old/runs") + get(f"{server.url}/api/suites/old")
    finally:
        server.shutdown()
        server.server_close()
    for body in (detail, raw_file, listing):
        assert old_key.encode() not in body and old_token.encode() not in body
    expected = {**args, "api_key": "[REDACTED]", "serviceToken": "[REDACTED]"}  # the rest is not secret
    assert json.loads(detail)["run_info"]["model_deployment"]["client_spec"]["args"] == expected
    assert json.loads(raw_file)["model_deployment"]["client_spec"]["args"] == expected
