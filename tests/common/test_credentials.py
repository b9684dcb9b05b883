"""Credentials are found where HELM looks, and keys never leak into texts we show or store."""

from __future__ import annotations

from pathlib import Path

import pytest

from helm_lite.common.credentials import Credentials, load_credentials, missing_key_message, redact
from helm_lite.common.errors import UserError

KEY = "sk-test-Zq8v0NaD9tW4kLr2"


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for var in ("HELM_CREDENTIALS", "OPENAI_API_KEY", "TOGETHER_API_KEY"):
        monkeypatch.delenv(var, raising=False)


def write_conf(tmp_path: Path, text: str) -> Path:
    (tmp_path / "credentials.conf").write_text(text, encoding="utf-8")
    return tmp_path


def test_file_keys_and_lookup_order(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    local = write_conf(
        tmp_path,
        f"""
        openaiApiKey: "{KEY}"
        deployments {{
          "together/qwen2.5-7b-instruct-turbo": "tg-per-deployment-key"
        }}
        """,
    )
    creds = load_credentials(str(local))
    assert creds.source == str(local / "credentials.conf")
    assert creds.api_key("openai", "openai/gpt-4o", "OPENAI_API_KEY") == KEY
    # No togetherApiKey: HELM's per-deployment map (names with dots and slashes) comes next …
    assert creds.api_key("together", "together/qwen2.5-7b-instruct-turbo", "TOGETHER_API_KEY") == (
        "tg-per-deployment-key"
    )
    # … then the environment variable.
    monkeypatch.setenv("TOGETHER_API_KEY", "tg-from-env")
    assert creds.api_key("together", "together/other", "TOGETHER_API_KEY") == "tg-from-env"
    monkeypatch.setenv("OPENAI_API_KEY", "sk-from-env-is-second")
    assert creds.api_key("openai", None, "OPENAI_API_KEY") == KEY  # the file wins over the env var
    assert creds.api_key("anthropic", None, "ANTHROPIC_API_KEY") is None


def test_helm_credentials_env_wins_and_empty_env_falls_back(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    local = write_conf(tmp_path, 'openaiApiKey: "sk-from-the-file-000"')
    monkeypatch.setenv("HELM_CREDENTIALS", 'openaiApiKey: "sk-from-the-env-111"')
    creds = load_credentials(str(local))
    assert creds.get("openaiApiKey") == "sk-from-the-env-111" and creds.source == "$HELM_CREDENTIALS"
    monkeypatch.setenv("HELM_CREDENTIALS", "  ")
    assert load_credentials(str(local)).get("openaiApiKey") == "sk-from-the-file-000"


def test_no_file_means_no_credentials(tmp_path: Path) -> None:
    creds = load_credentials(str(tmp_path / "missing"))
    assert creds.values == {} and creds.api_key("openai", None, "OPENAI_API_KEY") is None


def test_malformed_file_is_one_line_naming_the_file_without_the_key(tmp_path: Path) -> None:
    local = write_conf(tmp_path, f'openaiApiKey: "{KEY}"\ntogetherApiKey = {{ "tg-secret-value-1234"\n')
    with pytest.raises(UserError) as info:
        load_credentials(str(local))
    message = str(info.value)
    assert message.startswith(f"{local / 'credentials.conf'}: invalid HOCON at line ")
    assert "\n" not in message and KEY not in message and "tg-secret" not in message


def test_malformed_env_is_named(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HELM_CREDENTIALS", 'openaiApiKey: "unterminated')
    with pytest.raises(UserError, match=r"^\$HELM_CREDENTIALS: invalid HOCON"):
        load_credentials(str(tmp_path))


def test_repr_hides_values() -> None:
    creds = Credentials({"openaiApiKey": KEY}, source="prod_env/credentials.conf")
    assert KEY not in repr(creds) and KEY not in str(creds)


def test_redact_known_keys_and_key_shapes() -> None:
    creds = Credentials({"acmeApiKey": "acme-7f3e9b2c", "nested": {"x": "hunter2-long-secret"}})
    text = (
        "401: Incorrect API key provided: acme-7f3e9b2c; header Authorization: Bearer abc.def-123; "
        "also sk-proj-AAAAAAAAAAAA and hunter2-long-secret and {'api_key': 'zzz-secret'}"
    )
    out = redact(text, creds.secrets())
    for secret in (
        "acme-7f3e9b2c",
        "abc.def-123",
        "sk-proj-AAAAAAAAAAAA",
        "hunter2-long-secret",
        "zzz-secret",
    ):
        assert secret not in out
    assert out.startswith(
        "401: Incorrect API key provided: [REDACTED]; header Authorization: Bearer [REDACTED];"
    )
    assert redact("an ordinary message about keys", ["x", ""]) == "an ordinary message about keys"


def test_missing_key_message_names_file_and_env_var() -> None:
    creds = Credentials(source="prod_env/credentials.conf")
    assert missing_key_message("openai", "OPENAI_API_KEY", creds, "model deployment openai/gpt-4o") == (
        "model deployment openai/gpt-4o: no API key for openai: set openaiApiKey in prod_env/credentials.conf "
        "(or $HELM_CREDENTIALS) or the environment variable OPENAI_API_KEY"
    )
