"""API keys for hosted models, found where HELM looks for them, and kept out of every text we write.

Source (HELM's rule): the environment variable ``HELM_CREDENTIALS`` (HOCON text) when it is not
empty, else ``<local-path>/credentials.conf`` (HOCON), else nothing. A client for host ``h`` reads
the key ``hApiKey`` (``openaiApiKey``, ``togetherApiKey``…), then HELM's ``deployments`` map, then the
provider's usual environment variable (``OPENAI_API_KEY``…).

Keys must never reach logs, error texts, cache keys or output files: `Credentials` hides its values
from ``repr`` and hands every one of them (and every key it reads from the environment) to
`helm_lite.common.secrets.remember`, so the process's log filter and every redacted text blank them.
pyhocon is imported only when there is something to parse.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from helm_lite.common import secrets as _secrets
from helm_lite.common.errors import UserError

ENV_VAR = "HELM_CREDENTIALS"
FILE_NAME = "credentials.conf"


@dataclass(frozen=True)
class Credentials:
    """Parsed credentials; `source` names where they came from (for error messages).

    Every value is a secret except the ``<host>BaseUrl`` addresses (a password inside a URL is
    still blanked by its shape); all of them are remembered as soon as the object exists.
    """

    values: Mapping[str, Any] = field(default_factory=dict, repr=False)
    source: str = ""

    def __post_init__(self) -> None:
        _secrets.remember(*self.secrets())

    def get(self, key: str) -> str | None:
        value = self.values.get(key)
        return str(value) if value not in (None, "") else None

    def api_key(self, host: str, deployment: str | None = None, env_var: str | None = None) -> str | None:
        """``<host>ApiKey``, else ``deployments.<deployment>``, else the environment variable."""
        key = self.get(f"{host}ApiKey")
        if key is None and deployment is not None:
            per_deployment = self.values.get("deployments")
            if isinstance(per_deployment, Mapping) and per_deployment.get(deployment):
                key = str(per_deployment[deployment])
        if key is None and env_var:
            key = os.environ.get(env_var) or None
            _secrets.remember(key)
        return key

    def secrets(self) -> list[str]:
        """Every string value (nested ones too) except ``…BaseUrl`` addresses: what must be blanked."""
        found = _secrets.strings({k: v for k, v in self.values.items() if not str(k).lower().endswith("url")})
        return [s for s in found if len(s) >= _secrets.MIN_SECRET_LEN]


def redact(text: str, secrets: Iterable[str | None] = ()) -> str:
    """`helm_lite.common.secrets.redact`: known secrets, `secrets`, and key shapes blanked."""
    return _secrets.redact(text, secrets)


def load_credentials(local_path: str) -> Credentials:
    """HELM's credentials: ``$HELM_CREDENTIALS`` if set and non-empty, else the local file, else none.

    A malformed source is a one-line `UserError` naming it; the message never quotes its text
    (it would quote a key).
    """
    text = os.environ.get(ENV_VAR, "")
    if text.strip():
        return Credentials(_parse(text, f"${ENV_VAR}"), source=f"${ENV_VAR}")
    path = os.path.join(local_path, FILE_NAME)
    if not os.path.exists(path):
        return Credentials(source=path)
    try:
        with open(path, encoding="utf-8") as f:
            text = f.read()
    except IsADirectoryError:
        raise UserError(f"{path}: is a directory, expected a HOCON file of API keys") from None
    except OSError as e:
        raise UserError(f"{path}: cannot read ({e.strerror})") from None
    except UnicodeDecodeError as e:
        raise UserError(f"{path}: not UTF-8 text (at byte {e.start})") from None
    return Credentials(_parse(text, path), source=path)


def _parse(text: str, shown: str) -> dict[str, Any]:
    import pyparsing
    from pyhocon import ConfigFactory
    from pyhocon.exceptions import ConfigException

    try:
        tree = ConfigFactory.parse_string(text)
    except pyparsing.ParseBaseException as e:
        # Only the position: pyparsing's message quotes the text around it, which may be a key.
        raise UserError(f"{shown}: invalid HOCON at line {e.lineno}, column {e.col}") from None
    except ConfigException as e:
        raise UserError(f"{shown}: invalid HOCON ({type(e).__name__})") from None
    plain = tree.as_plain_ordered_dict() if hasattr(tree, "as_plain_ordered_dict") else tree
    if not isinstance(plain, dict):
        raise UserError(f'{shown}: expected key = value pairs, e.g. openaiApiKey: "sk-…"')
    return dict(plain)


def missing_key_message(host: str, env_var: str, credentials: Credentials, what: str) -> str:
    """The one line a user sees when a hosted client has no key."""
    if credentials.source.startswith("$"):
        where = credentials.source
    else:
        where = f"{credentials.source or FILE_NAME} (or ${ENV_VAR})"
    return f"{what}: no API key for {host}: set {host}ApiKey in {where} or the environment variable {env_var}"
