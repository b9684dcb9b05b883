"""Together AI through its official ``together`` SDK (same request shapes as OpenAI's API).

Key ``togetherApiKey`` in credentials.conf or ``TOGETHER_API_KEY``. Differences from OpenAI handled
here or in `helm_lite.clients.openai_compatible`: the SDK's base URL has no ``/v1``, chat log
probabilities are asked for with an integer, and echoed prompts come back in a separate ``prompt``
field. Retries and redaction are those of `OpenAICompatibleClient`. The completions API is keyed as
HELM's ``TogetherClient`` keys it, so HELM's ``together.sqlite`` answers the same requests; the chat
API cannot be (HELM's ``TogetherChatClient`` adds the model's default stops, fetched from Together's
model list at run time, to its key).
"""

from __future__ import annotations

from typing import Any

from helm_lite.clients.openai_client import OpenAICompatibleClient
from helm_lite.clients.openai_compatible import (
    ChatLogprobParams,
    OpenAIRawRequest,
    sent_fields,
    together_completions_body,
)
from helm_lite.clients.openai_settings import TogetherSettings
from helm_lite.common.request import Request


class TogetherClient(OpenAICompatibleClient):
    """Together's completions API by default (``api: chat`` for its chat API); ``model`` is
    Together's model id (HELM's ``together_model`` is accepted too)."""

    sdk_module = "together"
    env_var = "TOGETHER_API_KEY"
    default_base_url = "https://api.together.ai"
    requires_key = True
    ARG_ALIASES = {"together_model": "model"}  # HELM's name
    chat_logprobs_by_default = True  # as HELM's TogetherChatClient

    settings_class = TogetherSettings

    def make_sdk_client(self) -> Any:
        import together

        return together.Together(
            api_key=self._api_key, base_url=self.base_url, max_retries=0, timeout=self.timeout_s
        )

    def chat_logprob_params(self, top_k: int) -> ChatLogprobParams:
        return {"logprobs": min(max(top_k, 1), 20)}

    def raw_request(self, request: Request) -> OpenAIRawRequest:
        if self.api == "chat":
            return super().raw_request(request)
        rendered = self.renderer.render(request)
        return together_completions_body(request, self.model, rendered, self.want_logprobs)

    def sent_body(self, raw_request: OpenAIRawRequest) -> dict[str, object]:
        """HELM's Together key names no log probabilities (its answers carry them): one is asked for."""
        body = sent_fields(raw_request)
        if "messages" not in raw_request:
            body.pop("best_of", None)  # Together's completions API takes none
            if body.get("logprobs") == 0:
                body.pop("logprobs")
            else:
                body["logprobs"] = 1
        return body


class TogetherChatClient(TogetherClient):
    """HELM's ``helm.clients.together_client.TogetherChatClient``: Together's chat API."""

    def default_api(self, model: str) -> str:
        return "chat"
