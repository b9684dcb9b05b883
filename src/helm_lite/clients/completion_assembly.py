"""Standard completions from generated token ids, shared by the local engines (HuggingFace, vLLM).

Both engines hand over the same things — the generated ids and their log probabilities (the
end-of-text token already dropped), why generation ended, the prompt's scored tokens when it is
echoed — and get the same completion back: text decoded without special tokens, cut at the first
stop sequence at a token boundary (`stops`), finish reason, and log probability summed over every
token, echoed ones included. So a greedy run gives the same completions by either route.

Each token's text is decoded on its own, so the texts of a completion's tokens concatenate to its
text and a stop sequence can be cut at a token boundary.
"""

from __future__ import annotations

from typing import Any

from helm_lite.clients.answers import CompletionDict, TokenDict
from helm_lite.clients.stops import cut_at_stop, tokens_within


def token_texts(tokenizer: Any, ids: list[int]) -> list[str]:
    """The text of each token of `ids`, in order."""
    return [tokenizer.convert_tokens_to_string([t]) for t in tokenizer.convert_ids_to_tokens(ids)]


def scored_tokens(tokenizer: Any, ids: list[int], logprobs: list[float]) -> list[TokenDict]:
    """The tokens of `ids` with their log probabilities (e.g. an echoed prompt's)."""
    return [{"text": t, "logprob": lp} for t, lp in zip(token_texts(tokenizer, ids), logprobs, strict=True)]


def token_completion(
    tokenizer: Any,
    ids: list[int],
    logprobs: list[float],
    reason: str,
    stops: list[str],
    echoed: list[TokenDict] | None = None,
    prompt: str = "",
) -> CompletionDict:
    """One completion from generated `ids` and their `logprobs`.

    `reason` says why generation ended (``length`` or ``endoftext``); a stop sequence found in the
    text cuts it there (and its tokens with it) and makes the reason ``stop``. With `echoed` (the
    prompt's tokens: the request echoes the prompt) the text starts with `prompt` and the tokens
    with `echoed`.
    """
    texts = token_texts(tokenizer, ids)
    text = tokenizer.decode(ids, skip_special_tokens=True, clean_up_tokenization_spaces=False)
    text, stopped = cut_at_stop(text, stops)
    if stopped:
        reason = "stop"
        kept = tokens_within(texts, len(text))
        texts, logprobs = texts[:kept], logprobs[:kept]
    tokens: list[TokenDict] = [{"text": t, "logprob": lp} for t, lp in zip(texts, logprobs, strict=True)]
    if echoed is not None:
        tokens = echoed + tokens
        text = prompt + text
    return {
        "text": text,
        "logprob": float(sum(float(t["logprob"]) for t in tokens)),
        "tokens": tokens,
        "finish_reason": {"reason": reason},
    }
