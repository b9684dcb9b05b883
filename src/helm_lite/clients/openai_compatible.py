"""Request bodies for, and answers from, OpenAI-style APIs (OpenAI, vLLM, llama.cpp, Ray Serve, Together).

Pure data shaping, no SDK: the client builds a raw request with `completions_body`,
`together_completions_body` or `chat_body` — the fields and values HELM's own clients key their cache
on for the same request, plus ``random`` — and sends its `sent_fields`. The cache stores the API's
answer as HELM does (the SDK's answer dumped to a dict, plus the request time), so HELM and helm_lite
answer each other's requests; `parse_response` turns it into helm_lite's completion dicts. Both
log-probability layouts in use are understood:
OpenAI's (``logprobs.tokens``/``token_logprobs`` for completions, ``logprobs.content`` for chat) and
Together's (``tokens``/``token_logprobs`` for chat too, and echoed prompts in a top-level ``prompt``).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from typing import Any, TypedDict

from helm_lite.clients.answers import CompletionDict, TokenDict
from helm_lite.clients.rendering import RenderedPrompt
from helm_lite.clients.stops import cut_at_stop, tokens_within
from helm_lite.common.request import Request

#: Keys of a raw request that are not sent to the API (they only make the cache key distinct, or
#: are HELM's key fields that these APIs do not take).
KEY_ONLY_FIELDS = ("random", "stop_after", "request_type")
#: HELM's legacy Together key names the request kind.
TOGETHER_REQUEST_TYPE = "language-model-inference"


class _BodyFields(TypedDict):
    model: str
    temperature: float
    top_p: float
    max_tokens: int
    n: int
    stop: list[str] | None


class OpenAIRawRequest(_BodyFields, total=False):
    """The request body of either API (``prompt`` for completions, ``messages`` for chat), which is
    also the raw request (cache key); `KEY_ONLY_FIELDS` are never sent."""

    presence_penalty: float  # absent from HELM's Together key unless set
    frequency_penalty: float
    prompt: str  # completions API
    messages: list[dict[str, str]]  # chat API
    echo: bool  # refused by the client with the chat API: kept so the key says what was asked
    best_of: int  # completions: candidates per returned completion (HELM: max(top_k_per_token, n))
    logprobs: bool | int  # completions: top log probabilities per token; chat: see ChatLogprobParams
    request_type: str  # HELM's legacy Together key
    top_logprobs: int  # OpenAI chat
    stop_after: list[str]  # stops past the API's limit: applied to the text here
    random: str  # the HELM trial
    seed: int  # sampled requests only


class ChatLogprobParams(TypedDict, total=False):
    """How a chat API is asked for log probabilities: OpenAI's ``logprobs: true`` and
    ``top_logprobs``, or Together's ``logprobs: <how many>``."""

    logprobs: bool | int
    top_logprobs: int


def sampling_seed(body: Mapping[str, object]) -> int:
    """A seed derived from everything that defines the request (incl. ``random``), so a sampled
    answer is reproducible and each HELM trial (different ``random``) gets its own draw."""
    digest = hashlib.sha256(json.dumps(body, sort_keys=True).encode()).digest()
    return int.from_bytes(digest[:4], "little") & 0x7FFFFFFF


def _common(request: Request, model: str, stops: list[str], max_stops: int | None) -> OpenAIRawRequest:
    sent, kept = (stops[:max_stops], stops[max_stops:]) if max_stops is not None else (stops, [])
    body: OpenAIRawRequest = {
        "model": model,
        "temperature": request.temperature,
        "top_p": request.top_p,
        "max_tokens": request.max_tokens,
        "n": request.num_completions,
        "stop": sent or None,  # HELM's key: None for no stops
        "presence_penalty": request.presence_penalty,
        "frequency_penalty": request.frequency_penalty,
    }
    if kept:  # the API takes only `max_stops`; the rest are applied to the text afterwards
        body["stop_after"] = kept
    return body


def _finish(body: OpenAIRawRequest, request: Request) -> OpenAIRawRequest:
    if request.random is not None:
        body["random"] = request.random
    if request.temperature > 0:
        body["seed"] = sampling_seed(body)
    return body


def completions_body(
    request: Request,
    model: str,
    rendered: RenderedPrompt,
    top_logprobs: int | None,
    max_stops: int | None = None,
    greedy_best_of_one: bool = False,
) -> OpenAIRawRequest:
    """``/v1/completions``, keyed as HELM's OpenAI completions client: ``best_of`` and ``echo``
    always, `top_logprobs` (the client passes HELM's ``max(top_k_per_token, n)``, capped at the API's
    limit) or None for no log probabilities (echo still needs them). `greedy_best_of_one`: HELM's
    vLLM client asks greedy requests for one candidate (vLLM refuses more)."""
    body = _common(request, model, rendered.stop_sequences, max_stops)
    body["prompt"] = rendered.text
    best_of = max(request.top_k_per_token, request.num_completions)
    body["best_of"] = 1 if greedy_best_of_one and request.temperature == 0 else best_of
    body["echo"] = request.echo_prompt
    if request.echo_prompt:
        top_logprobs = max(1, top_logprobs or 1)
    if top_logprobs is not None:
        body["logprobs"] = top_logprobs
    return _finish(body, request)


def together_completions_body(
    request: Request, model: str, rendered: RenderedPrompt, logprobs: bool
) -> OpenAIRawRequest:
    """Together's completions, keyed as HELM's ``TogetherClient``: no penalties (added when set, as they
    change the answer), ``best_of`` = top_k_per_token (key only), and answers with log probabilities
    (``logprobs: 0`` in the key when they are turned off)."""
    body: OpenAIRawRequest = {
        "request_type": TOGETHER_REQUEST_TYPE,
        "model": model,
        "prompt": rendered.text,
        "temperature": request.temperature,
        "top_p": request.top_p,
        "max_tokens": request.max_tokens,
        "n": request.num_completions,
        "best_of": request.top_k_per_token,
        "stop": rendered.stop_sequences or None,
        "echo": request.echo_prompt,
    }
    if request.presence_penalty:
        body["presence_penalty"] = request.presence_penalty
    if request.frequency_penalty:
        body["frequency_penalty"] = request.frequency_penalty
    if not logprobs and not request.echo_prompt:
        body["logprobs"] = 0
    return _finish(body, request)


def chat_body(
    request: Request,
    model: str,
    rendered: RenderedPrompt,
    logprob_params: ChatLogprobParams,
    max_stops: int | None = None,
) -> OpenAIRawRequest:
    """``/v1/chat/completions``: the prompt (or the request's messages) as the conversation."""
    body = _common(request, model, rendered.stop_sequences, max_stops)
    body["messages"] = rendered.conversation
    if "logprobs" in logprob_params:
        body["logprobs"] = logprob_params["logprobs"]
    if "top_logprobs" in logprob_params:
        body["top_logprobs"] = logprob_params["top_logprobs"]
    if request.echo_prompt:
        body["echo"] = True  # refused by the client: kept so the key says what was asked
    return _finish(body, request)


def sent_fields(raw_request: OpenAIRawRequest) -> dict[str, object]:
    """The body the SDK sends: key-only fields and unset (None) values dropped, and ``best_of`` when
    it is no more than ``n`` (the API's default then, which some servers refuse to be sent)."""
    body = {k: v for k, v in raw_request.items() if k not in KEY_ONLY_FIELDS and v is not None}
    if raw_request.get("best_of", 0) <= raw_request["n"]:
        body.pop("best_of", None)
    return body


# --- answers ------------------------------------------------------------------------------------


def _pairs_from_logprobs(logprobs: Any) -> list[tuple[str, float]] | None:
    """(token text, logprob) pairs from either layout; None when the answer carries none."""
    if not isinstance(logprobs, dict):
        return None
    content = logprobs.get("content")
    if isinstance(content, list):  # OpenAI chat
        return [(str(t.get("token", "")), float(t.get("logprob") or 0.0)) for t in content]
    tokens = logprobs.get("tokens")
    values = logprobs.get("token_logprobs")
    if isinstance(tokens, list) and isinstance(values, list):  # completions (and Together chat)
        return [(str(t), float(v) if v is not None else 0.0) for t, v in zip(tokens, values, strict=False)]
    return None


def _fit_tokens(pairs: list[tuple[str, float]], text: str) -> list[tuple[str, float]]:
    """Drop trailing tokens past the end of `text` (servers may list the token holding a stop)."""
    joined = "".join(t for t, _ in pairs)
    if joined == text or not joined.startswith(text):
        return pairs
    return pairs[: tokens_within([t for t, _ in pairs], len(text))]


def _prompt_pairs(response: Mapping[str, Any], index: int) -> tuple[str, list[tuple[str, float]]] | None:
    """Together's echo: the prompt and its logprobs in ``response["prompt"]``."""
    prompts = response.get("prompt")
    if not isinstance(prompts, list) or not prompts:
        return None
    item = prompts[min(index, len(prompts) - 1)]
    if not isinstance(item, dict):
        return None
    pairs = _pairs_from_logprobs(item.get("logprobs"))
    return (str(item.get("text") or ""), pairs or [])


def parse_response(
    response: Mapping[str, Any], echo: bool = False, late_stops: Sequence[str] = ()
) -> list[CompletionDict]:
    """helm_lite completion dicts (text, logprob sum, tokens, finish_reason) from an API answer
    (chat or completions, told apart by the choices' ``message``).

    With `echo` the text and tokens start with the prompt's (the first prompt token has logprob 0,
    as in the Hugging Face client). `late_stops`, the stops the API could not take, are applied here.
    """
    late_stops = list(late_stops)
    completions: list[CompletionDict] = []
    for choice in response.get("choices") or []:
        if "message" in choice:
            message = choice.get("message") or {}
            text = str(message.get("content") or choice.get("text") or "")
        else:
            text = str(choice.get("text") or "")
        pairs = _pairs_from_logprobs(choice.get("logprobs"))
        reason = choice.get("finish_reason")
        prefix = ""
        echoed = _prompt_pairs(response, int(choice.get("index") or 0)) if echo else None
        if echoed is not None:  # Together: the choice holds only the new text
            prefix, prompt_pairs = echoed
            pairs = prompt_pairs + (pairs or [])
        if late_stops and not echo:
            text, stopped = cut_at_stop(text, late_stops)
            reason = "stop" if stopped else reason
        text = prefix + text
        pairs = _fit_tokens(pairs, text) if pairs is not None else []
        tokens: list[TokenDict] = [{"text": t, "logprob": lp} for t, lp in pairs]
        completions.append(
            {
                "text": text,
                "logprob": float(sum(lp for _, lp in pairs)),
                "tokens": tokens,
                "finish_reason": {"reason": reason} if reason is not None else None,
            }
        )
    return completions
