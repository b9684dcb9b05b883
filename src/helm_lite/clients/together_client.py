"""Together AI through its official ``together`` SDK (same request shapes as OpenAI's API).

Key ``togetherApiKey`` in credentials.conf or ``TOGETHER_API_KEY``. Differences from OpenAI handled
here or in `helm_lite.clients.openai_compatible`: the SDK's base URL has no ``/v1``, chat log
probabilities are asked for with an integer, and echoed prompts come back in a separate ``prompt``
field. Retries, redaction and the cache key are those of `OpenAICompatibleClient`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from helm_lite.clients.openai_client import OpenAICompatibleClient
from helm_lite.common.cache import SqliteCache
from helm_lite.common.credentials import Credentials


class TogetherClient(OpenAICompatibleClient):
    """Together's completions API by default (``api: chat`` for its chat API); ``model`` is
    Together's model id (HELM's ``together_model`` is accepted too)."""

    sdk_module = "together"
    env_var = "TOGETHER_API_KEY"
    default_base_url = "https://api.together.ai"
    requires_key = True
    ARG_ALIASES = {"together_model": "model"}  # HELM's name

    def __init__(
        self,
        base_url: str | None = None,
        model: str | None = None,
        api: str | None = None,
        api_key: str | None = None,
        timeout_s: float = 120.0,
        retry: Mapping[str, Any] | None = None,
        logprobs: bool = True,
        disable_logprobs: bool | None = None,
        cache: SqliteCache | None = None,
        deployment: Any = None,
        model_name: str | None = None,
        tokenizer: Any = None,
        credentials: Credentials | None = None,
    ) -> None:
        super().__init__(
            base_url=base_url,
            model=model,
            api=api,
            api_key=api_key,
            timeout_s=timeout_s,
            retry=retry,
            logprobs=logprobs and not disable_logprobs,
            cache=cache,
            deployment=deployment,
            model_name=model_name,
            tokenizer=tokenizer,
            credentials=credentials,
        )

    def make_sdk_client(self) -> Any:
        import together

        return together.Together(
            api_key=self._api_key, base_url=self.base_url, max_retries=0, timeout=self.timeout_s
        )

    def chat_logprob_params(self, top_k: int) -> dict[str, Any]:
        return {"logprobs": min(max(top_k, 1), 20)}


class TogetherChatClient(TogetherClient):
    """HELM's ``helm.clients.together_client.TogetherChatClient``: Together's chat API."""

    def default_api(self, model: str) -> str:
        return "chat"
