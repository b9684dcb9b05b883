"""A user's own client plug-in with a secret-named argument, careless with it on purpose.

`TokenClient` takes its key as ``service_token`` (not ``api_key``) and logs it verbatim before the
base client ever sees it, as a hastily written plug-in might: the secrets tests check that the
value still reaches no log line, output file or cache, because object creation remembers every
secret-named argument before the constructor runs and the CLI's log filter blanks it.
"""

from __future__ import annotations

import logging
from typing import Any

from helm_lite.clients.openai_client import OpenAICompatibleClient

logger = logging.getLogger(__name__)


class TokenClient(OpenAICompatibleClient):
    def __init__(
        self,
        service_token: str,
        base_url: str | None = None,
        model: str | None = None,
        cache: Any = None,
        deployment: Any = None,
        model_name: str | None = None,
    ) -> None:
        logger.info("TokenClient for %s authenticates with %s", model, service_token)
        super().__init__(
            base_url=base_url,
            model=model,
            api_key=service_token,
            cache=cache,
            deployment=deployment,
            model_name=model_name,
        )
