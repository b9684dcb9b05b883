"""Hosted and self-hosted models behind OpenAI-style HTTP APIs, through the official SDKs.

`OpenAICompatibleClient` talks to any server that speaks OpenAI's API — ``vllm serve``, Ray Serve
LLM, llama.cpp's server — with the ``openai`` SDK; `OpenAIClient` is the same for api.openai.com
(key required, chat or completions picked per model). The SDK's own retries are off: retries are
ours (`helm_lite.common.retry`), bounded in attempts and total wait, and logged. Keys come from
`helm_lite.common.credentials` or the ``api_key`` argument, are remembered by
`helm_lite.common.secrets` and blanked from every error text and log line; the cache key is the
request body (model, prompt or messages, decoding settings, ``random``), never the key or the
server URL. A ``base_url`` that is not an http(s) URL with a host is refused when the client is
built, before any run starts.

Cache keys and stored answers are HELM's (see `helm_lite.clients.openai_compatible`), so a HELM
``prod_env/cache/<host>.sqlite`` answers the same requests without calling the API, and HELM reads the
answers helm_lite stores; answers stored by earlier helm_lite versions (``{"completions": …}``) are
read too.
"""

from __future__ import annotations

import importlib.util
import json
import logging
import threading
import time
import urllib.parse
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, ClassVar, cast

from helm_lite.chat.formatter import ChatFormatter, merge_stop_sequences
from helm_lite.clients.answers import Answer
from helm_lite.clients.base import Client
from helm_lite.clients.openai_compatible import (
    ChatLogprobParams,
    OpenAIRawRequest,
    chat_body,
    completions_body,
    parse_response,
    sent_fields,
)
from helm_lite.clients.openai_settings import OpenAICompatibleSettings, OpenAISettings
from helm_lite.clients.provider import standard_completions
from helm_lite.clients.rendering import PromptRenderer
from helm_lite.clients.settings import settings_from_args
from helm_lite.common import secrets
from helm_lite.common.cache import SqliteCache
from helm_lite.common.credentials import Credentials, missing_key_message
from helm_lite.common.errors import UserError
from helm_lite.common.request import GeneratedOutput, Request
from helm_lite.common.retry import (
    MalformedAnswerError,
    RetriesExhaustedError,
    RetryPolicy,
    call_with_retries,
)

if TYPE_CHECKING:
    from helm_lite.registry.schema import ModelDeployment

logger = logging.getLogger(__name__)

APIS = ("completions", "chat")
#: Sent as the key to servers that want none (the SDKs refuse to start without one).
DUMMY_KEY = "EMPTY"


class HostedAPIError(Exception):
    """A request the API refused (not retried), with any key blanked from the message."""


class OpenAICompatibleClient(Client[OpenAIRawRequest]):
    """An OpenAI-compatible server: ``base_url`` (ending in ``/v1``), the served ``model`` name, and
    ``api: completions`` (default; prompts chat-formatted here when the deployment says so) or ``chat``."""

    #: The SDK module this client drives, and the helm-lite extra that installs it.
    sdk_module: str = "openai"
    #: Environment variable holding the key (after ``<host>ApiKey`` in the credentials); None: none.
    env_var: str | None = None
    #: Where the API lives when the deployment gives no base_url (None: base_url is required).
    default_base_url: str | None = None
    #: Without a key, refuse to start (hosted services) instead of sending a dummy one.
    requires_key: bool = False
    #: Most top log probabilities a completions request may ask for per token.
    max_completion_logprobs: int = 20
    #: Most stop sequences the API takes (the rest are applied to the text afterwards).
    max_stop_sequences: int | None = None
    #: Whether the chat API is asked for log probabilities when the deployment does not say: as
    #: HELM's client for the same API does, so the cache key is HELM's.
    chat_logprobs_by_default: bool = False
    #: HELM's vLLM client asks greedy completions for one candidate (``best_of``), as vLLM requires.
    greedy_best_of_one: bool = True

    #: The dataclass this client's `client_spec.args` are read into.
    settings_class: ClassVar[type[OpenAICompatibleSettings]] = OpenAICompatibleSettings

    def __init__(
        self,
        cache: SqliteCache | None = None,
        deployment: ModelDeployment | None = None,
        model_name: str | None = None,
        tokenizer: Any = None,
        credentials: Credentials | None = None,
        **args: object,
    ) -> None:
        """`args`: the fields of `settings_class`; the named parameters are injected by the registry."""
        super().__init__(cache)
        self.deployment = deployment
        named = deployment.name if deployment is not None else model_name or type(self).__name__
        settings = self.settings = settings_from_args(self.settings_class, args, f"model deployment {named}")
        self.name = (
            deployment.name if deployment is not None else model_name or settings.model or type(self).__name__
        )
        where = f"model deployment {self.name}"
        if importlib.util.find_spec(self.sdk_module) is None:  # found without importing it
            raise UserError(
                f"{where}: {type(self).__name__} needs the {self.sdk_module} package; "
                f"pip install 'helm-lite[{self.sdk_module}]'"
            )
        self.host = deployment.host_organization if deployment is not None else self.name.split("/")[0]
        self.credentials = credentials if credentials is not None else Credentials()
        self.model = settings.model or self.default_model(model_name or self.name)
        self.api = settings.api or self.default_api(self.model)
        if self.api not in APIS:
            raise UserError(f"{where}: api must be one of {', '.join(APIS)}, got {self.api!r}")
        base_url = settings.base_url
        self.base_url = base_url or self.credentials.get(f"{self.host}BaseUrl") or self.default_base_url
        if not self.base_url:
            raise UserError(f"{where}: client_spec args need base_url (e.g. http://localhost:8000/v1)")
        if base_url:
            check_base_url(base_url, f"{where}: client_spec.args.base_url")
        elif self.base_url != self.default_base_url:
            check_base_url(self.base_url, f"{where}: {self.host}BaseUrl in {self.credentials.source}")
        timeout_s = settings.timeout_s
        if isinstance(timeout_s, bool) or not isinstance(timeout_s, (int, float)) or timeout_s <= 0:
            raise UserError(f"{where}: timeout_s must be a positive number of seconds, got {timeout_s!r}")
        self.timeout_s = float(timeout_s)
        self.retry_policy = RetryPolicy.from_args(settings.retry, where)
        want = settings.want_logprobs
        default = self.api == "completions" or self.chat_logprobs_by_default
        self.want_logprobs = want if want is not None else default
        self.tokenizer = tokenizer
        key = settings.api_key or self.credentials.api_key(self.host, self.name, self.env_var)
        if key is None and self.requires_key:
            raise UserError(missing_key_message(self.host, self.env_var or "", self.credentials, where))
        secrets.remember(key)
        self._api_key = key or DUMMY_KEY
        self._check_chat_formatting(where)
        #: Replaced by tests so retries do not really sleep.
        self.sleep: Callable[[float], None] = time.sleep
        self._lock = threading.Lock()
        self._sdk: Any = None
        # With api: chat the server applies the model's template, so nothing is formatted here.
        self.renderer = (
            PromptRenderer.for_deployment(deployment, self._make_formatter)
            if self.api == "completions"
            else PromptRenderer.for_deployment(deployment)
        )

    def __repr__(self) -> str:  # never show the key
        return f"{type(self).__name__}({self.name!r}, base_url={self.base_url!r}, api={self.api!r})"

    # --- what subclasses adapt ------------------------------------------------------------------
    def default_model(self, model_name: str) -> str:
        """The API's model id when the deployment gives none: the model's full name (as vLLM serves it)."""
        return model_name

    def default_api(self, model: str) -> str:
        return "completions"

    def make_sdk_client(self) -> Any:
        import openai

        return openai.OpenAI(
            base_url=self.base_url, api_key=self._api_key, max_retries=0, timeout=self.timeout_s
        )

    def chat_logprob_params(self, top_k: int) -> ChatLogprobParams:
        return {"logprobs": True, "top_logprobs": min(max(top_k, 0), 20)}

    # --- helpers ----------------------------------------------------------------------------------
    def redact(self, text: str) -> str:
        return secrets.redact(text)

    @property
    def sdk(self) -> Any:
        with self._lock:
            if self._sdk is None:
                self._sdk = self.make_sdk_client()
            return self._sdk

    def _check_chat_formatting(self, where: str) -> None:
        """Local chat formatting only makes sense for completions, and a template needs an HF tokenizer."""
        chat_template = self.deployment.chat_template if self.deployment is not None else None
        prompt_format = self.deployment.prompt_format if self.deployment is not None else None
        if self.api == "chat" and (chat_template is not None or prompt_format is not None):
            raise UserError(
                f"{where}: chat_template/prompt_format format prompts for api: completions; "
                "with api: chat the server applies the model's template"
            )
        # Checked on the class: reading the property would load the tokenizer now.
        if chat_template is not None and not hasattr(type(self.tokenizer), "hf_tokenizer"):
            raise UserError(
                f"{where}: chat_template: tokenizer needs a Hugging Face tokenizer_name "
                "(the template ships with the tokenizer)"
            )

    def _make_formatter(self) -> ChatFormatter | None:
        if self.deployment is None:
            return None
        from helm_lite.chat.formatter import make_chat_formatter

        return make_chat_formatter(self.deployment, lambda: self.tokenizer.hf_tokenizer)

    # --- Client contract -----------------------------------------------------------------------------
    def raw_request(self, request: Request) -> OpenAIRawRequest:
        rendered = self.renderer.render(request)
        top_k = max(1, request.top_k_per_token)
        if self.api == "chat":
            params = self.chat_logprob_params(top_k) if self.want_logprobs else ChatLogprobParams()
            return chat_body(request, self.model, rendered, params, self.max_stop_sequences)
        top_k = max(top_k, request.num_completions)  # HELM's logprobs: max(top_k_per_token, n)
        top = min(top_k, self.max_completion_logprobs) if self.want_logprobs else None
        return completions_body(
            request, self.model, rendered, top, self.max_stop_sequences, self.greedy_best_of_one
        )

    def sent_body(self, raw_request: OpenAIRawRequest) -> dict[str, object]:
        """What the SDK is sent for a raw request."""
        return sent_fields(raw_request)

    def parse_completions(self, request: Request, answer: Answer) -> list[GeneratedOutput]:
        """An API answer as stored (HELM's shape), or an earlier helm_lite's ``{"completions": …}``."""
        if "completions" in answer:
            return standard_completions(answer)
        late: list[str] = []
        if self.max_stop_sequences is not None:
            stops = merge_stop_sequences(list(request.stop_sequences), list(self.renderer.extra_stops))
            late = stops[self.max_stop_sequences :]
        completions = parse_response(cast("dict[str, Any]", answer), request.echo_prompt, late)
        return standard_completions({"completions": completions})

    def compute(self, raw_request: OpenAIRawRequest) -> Answer:
        chat = "messages" in raw_request
        if chat and raw_request.get("echo"):
            raise HostedAPIError(
                f"{self.name}: echo_prompt requests (prompt log probabilities, used by the "
                "language_modeling and multiple_choice_separate adapters) need api: completions; "
                "the chat API cannot echo the prompt"
            )
        body = self.sent_body(raw_request)
        sdk = self.sdk
        create = sdk.chat.completions.create if chat else sdk.completions.create

        def once() -> dict[str, Any]:
            try:
                answer = create(**body)
            except json.JSONDecodeError as e:  # a 200 whose body is cut short or not JSON
                raise MalformedAnswerError(
                    f"the answer is not valid JSON ({e.msg} at character {e.pos})"
                ) from None
            return completion_dict(answer)

        try:
            response = call_with_retries(
                once, self.retry_policy, describe=self.name, redact=self.redact, sleep=self.sleep
            )
        except RetriesExhaustedError:
            raise
        except Exception as e:  # refused (4xx), bad answer…: say so without any key
            text = " ".join((str(e).strip() or type(e).__name__).split())
            raise HostedAPIError(f"{self.name}: {type(e).__name__}: {self.redact(text)}") from None
        if not response["choices"]:
            raise HostedAPIError(f"{self.name}: the API answered with no choices")
        return cast("Answer", response)  # stored as HELM stores it; read by `parse_completions`


def check_base_url(url: str, where: str) -> None:
    """An http(s) URL with a host, or a `UserError` naming `where` (a typo would otherwise cost a
    whole retry budget of connection errors per request)."""
    try:
        parts = urllib.parse.urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError for a port that is not a number in range
    except ValueError:
        parts = None
    if parts is None or parts.scheme not in ("http", "https") or not parts.hostname:
        raise UserError(
            f"{where}: expected an http:// or https:// URL with a host, e.g. http://localhost:8000/v1, "
            f"got {secrets.redact(url)!r}"
        )


def completion_dict(answer: Any) -> dict[str, Any]:
    """The SDK's parsed answer as a dict; `MalformedAnswerError` when it is not a completion (the
    SDK hands back the text of a non-JSON body, and builds a model from JSON without validating it)."""
    if not hasattr(answer, "model_dump"):  # JSON that is not an object, or a body that is not JSON
        raise MalformedAnswerError(f"the answer is not a JSON object ({type(answer).__name__})")
    data = answer.model_dump(mode="json", warnings=False)
    if not isinstance(data, dict) or not isinstance(data.get("choices"), list):
        raise MalformedAnswerError("the answer has no choices list")
    return data


class OpenAIClient(OpenAICompatibleClient):
    """api.openai.com: key ``openaiApiKey`` or ``OPENAI_API_KEY``; chat API except for the
    completion-only models (gpt-3.5-turbo-instruct, davinci-002, babbage-002)."""

    env_var = "OPENAI_API_KEY"
    default_base_url = "https://api.openai.com/v1"
    requires_key = True
    max_completion_logprobs = 5
    max_stop_sequences = 4
    greedy_best_of_one = False

    COMPLETIONS_MODELS = ("gpt-3.5-turbo-instruct", "davinci-002", "babbage-002")
    ARG_ALIASES = {"openai_model_name": "model"}  # HELM's name

    settings_class = OpenAISettings
    settings: OpenAISettings

    def __init__(
        self,
        cache: SqliteCache | None = None,
        deployment: ModelDeployment | None = None,
        model_name: str | None = None,
        tokenizer: Any = None,
        credentials: Credentials | None = None,
        **args: object,
    ) -> None:
        super().__init__(cache, deployment, model_name, tokenizer, credentials, **args)
        self.org_id = self.settings.org_id or self.credentials.get(f"{self.host}OrgId")

    def default_model(self, model_name: str) -> str:
        return model_name.split("/", 1)[-1]  # openai/gpt-4o-mini → gpt-4o-mini

    def default_api(self, model: str) -> str:
        return "completions" if model.startswith(self.COMPLETIONS_MODELS) else "chat"

    def make_sdk_client(self) -> Any:
        import openai

        return openai.OpenAI(
            base_url=self.base_url,
            api_key=self._api_key,
            organization=self.org_id,
            max_retries=0,
            timeout=self.timeout_s,
        )


class VLLMServerClient(OpenAICompatibleClient):
    """HELM's ``helm.clients.vllm_client.VLLMClient``: a ``vllm serve`` endpoint, completions API;
    HELM's ``vllm_model_name`` is accepted for ``model``."""

    ARG_ALIASES = {"vllm_model_name": "model"}


class VLLMServerChatClient(VLLMServerClient):
    """HELM's ``helm.clients.vllm_client.VLLMChatClient``: the same server through its chat API."""

    def default_api(self, model: str) -> str:
        return "chat"
