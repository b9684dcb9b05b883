"""Completions for a batch of prompts: an engine's token ids turned into cache-ready dicts.

Kept apart from the client so the client stays about requests and caching, and apart from the
engines so every engine cuts at end-of-text and stop sequences, names finish reasons and echoes the
prompt in exactly the same way.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from helm_lite.clients.huggingface.decoding import Decoding
from helm_lite.clients.stops import cut_at_stop, tokens_within
from helm_lite.clients.token_completions import token_texts

if TYPE_CHECKING:
    from helm_lite.clients.huggingface.engines import Engine


def generate_batch(
    model: Any,
    tokenizer: Any,
    device: str,
    prompts: list[str],
    decoding: Decoding,
    *,
    engine: Engine | None = None,
    max_batch_tokens: int = 0,
    generate_tokenizer: Callable[[], Any] | None = None,
) -> list[list[dict[str, Any]]]:
    """Completions (as cache-ready dicts) for each prompt, in order, from `engine` (default: fast);
    the engine decides which prompts run together (the fast one: groups of at most
    `max_batch_tokens` padded positions, see `batching.batch_groups`).

    `tokenizer` only encodes and decodes (a `LightHFTokenizer` will do); transformers' `generate`
    needs a transformers tokenizer for stop strings: `generate_tokenizer()` gives it when
    `tokenizer` is not one."""
    if engine is None:
        from helm_lite.clients.huggingface.engines import ENGINES

        engine = ENGINES["fast"]
    encoded = [tokenizer(p, add_special_tokens=False)["input_ids"] for p in prompts]
    results: list[list[dict[str, Any]]] = []
    for group in engine.groups([len(e) for e in encoded], decoding, max_batch_tokens):
        results += _generate_encoded(
            engine,
            model,
            tokenizer,
            device,
            [prompts[i] for i in group],
            [encoded[i] for i in group],
            decoding,
            generate_tokenizer or (lambda: tokenizer),
        )
    return results


def _generate_encoded(
    engine: Engine,
    model: Any,
    tokenizer: Any,
    device: str,
    prompts: list[str],
    encoded: list[list[int]],
    decoding: Decoding,
    generate_tokenizer: Callable[[], Any],
) -> list[list[dict[str, Any]]]:
    n = decoding.num_return_sequences
    prompt_scores = engine.score(model, tokenizer, device, encoded) if decoding.echo_prompt else None
    generated: list[list[int]] = [[] for _ in range(len(prompts) * n)]
    step_logprobs: list[list[float]] = [[] for _ in range(len(prompts) * n)]
    if decoding.max_new_tokens > 0:
        generated, step_logprobs = engine.continuations(
            model, tokenizer, device, encoded, decoding, generate_tokenizer
        )

    stops = list(decoding.stop_sequences)
    results: list[list[dict[str, Any]]] = []
    eos = tokenizer.eos_token_id
    for i, prompt in enumerate(prompts):
        completions = []
        for j in range(n):
            ids, lps = generated[i * n + j], step_logprobs[i * n + j]
            reason = "length"
            if eos is not None and eos in ids:
                cut = ids.index(eos)
                ids, lps, reason = ids[:cut], lps[:cut], "endoftext"
            texts = token_texts(tokenizer, ids)
            text = tokenizer.decode(ids, skip_special_tokens=True, clean_up_tokenization_spaces=False)
            text, stopped = cut_at_stop(text, stops)
            if stopped:
                reason = "stop"
                kept = tokens_within(texts, len(text))
                texts, lps = texts[:kept], lps[:kept]
            tokens: list[dict[str, Any]] = [
                {"text": t, "logprob": lp} for t, lp in zip(texts, lps, strict=True)
            ]
            if prompt_scores is not None:
                echoed = token_texts(tokenizer, encoded[i])
                tokens = [
                    {"text": t, "logprob": lp} for t, lp in zip(echoed, prompt_scores[i], strict=True)
                ] + tokens
                text = prompt + text
            completions.append(
                {
                    "text": text,
                    "logprob": float(sum(float(t["logprob"]) for t in tokens)),
                    "tokens": tokens,
                    "finish_reason": {"reason": reason},
                }
            )
        results.append(completions)
    return results
