"""Request bodies for, and answers from, OpenAI-style APIs (OpenAI, vLLM, llama.cpp, Ray Serve, Together).

Pure data shaping, no SDK: the client builds a body with `completions_body` / `chat_body` (that body,
plus ``random``, is the cache key) and turns the SDK's answer, dumped to a dict, into helm_lite's
completion dicts with `parse_response`. Both log-probability layouts in use are understood:
OpenAI's (``logprobs.tokens``/``token_logprobs`` for completions, ``logprobs.content`` for chat) and
Together's (``tokens``/``token_logprobs`` for chat too, and echoed prompts in a top-level ``prompt``).
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from helm_lite.clients.rendering import RenderedPrompt
from helm_lite.clients.stops import cut_at_stop, tokens_within
from helm_lite.common.request import Request

#: Keys of a raw request that are not sent to the API (they only make the cache key distinct).
KEY_ONLY_FIELDS = ("random", "stop_after")


def sampling_seed(body: dict[str, Any]) -> int:
    """A seed derived from everything that defines the request (incl. ``random``), so a sampled
    answer is reproducible and each HELM trial (different ``random``) gets its own draw."""
    digest = hashlib.sha256(json.dumps(body, sort_keys=True).encode()).digest()
    return int.from_bytes(digest[:4], "little") & 0x7FFFFFFF


def _common(request: Request, model: str, stops: list[str], max_stops: int | None) -> dict[str, Any]:
    sent, kept = (stops[:max_stops], stops[max_stops:]) if max_stops is not None else (stops, [])
    body: dict[str, Any] = {
        "model": model,
        "temperature": request.temperature,
        "top_p": request.top_p,
        "max_tokens": request.max_tokens,
        "n": request.num_completions,
        "stop": sent or None,
        "presence_penalty": request.presence_penalty,
        "frequency_penalty": request.frequency_penalty,
    }
    if kept:  # the API takes only `max_stops`; the rest are applied to the text afterwards
        body["stop_after"] = kept
    return body


def _finish(body: dict[str, Any], request: Request) -> dict[str, Any]:
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
) -> dict[str, Any]:
    """``/v1/completions``. `top_logprobs` None asks for no log probabilities (echo still needs them)."""
    body = _common(request, model, rendered.stop_sequences, max_stops)
    body["prompt"] = rendered.text
    if request.echo_prompt:
        body["echo"] = True
        top_logprobs = max(1, top_logprobs or 1)
    if top_logprobs is not None:
        body["logprobs"] = top_logprobs
    return _finish(body, request)


def chat_body(
    request: Request,
    model: str,
    rendered: RenderedPrompt,
    logprob_params: dict[str, Any],
    max_stops: int | None = None,
) -> dict[str, Any]:
    """``/v1/chat/completions``: the prompt (or the request's messages) as the conversation."""
    body = _common(request, model, rendered.stop_sequences, max_stops)
    body["messages"] = rendered.conversation
    body.update(logprob_params)
    if request.echo_prompt:
        body["echo"] = True  # refused by the client: kept so the key says what was asked
    return _finish(body, request)


def sent_fields(raw_request: dict[str, Any]) -> dict[str, Any]:
    """The body the SDK sends: key-only fields and unset (None) values dropped."""
    return {k: v for k, v in raw_request.items() if k not in KEY_ONLY_FIELDS and v is not None}


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


def _prompt_pairs(response: dict[str, Any], index: int) -> tuple[str, list[tuple[str, float]]] | None:
    """Together's echo: the prompt and its logprobs in ``response["prompt"]``."""
    prompts = response.get("prompt")
    if not isinstance(prompts, list) or not prompts:
        return None
    item = prompts[min(index, len(prompts) - 1)]
    if not isinstance(item, dict):
        return None
    pairs = _pairs_from_logprobs(item.get("logprobs"))
    return (str(item.get("text") or ""), pairs or [])


def parse_response(raw_request: dict[str, Any], response: dict[str, Any]) -> list[dict[str, Any]]:
    """helm_lite completion dicts (text, logprob sum, tokens, finish_reason) from an API answer.

    With echo the text and tokens start with the prompt's (the first prompt token has logprob 0,
    as in the Hugging Face client). Stops the API could not take are applied here.
    """
    chat = "messages" in raw_request
    echo = bool(raw_request.get("echo"))
    late_stops = list(raw_request.get("stop_after") or [])
    completions = []
    for choice in response.get("choices") or []:
        if chat:
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
        tokens = [{"text": t, "logprob": lp} for t, lp in pairs]
        completions.append(
            {
                "text": text,
                "logprob": float(sum(lp for _, lp in pairs)),
                "tokens": tokens,
                "finish_reason": {"reason": reason} if reason is not None else None,
            }
        )
    return completions
