"""Completions for a batch of prompts: an engine's token ids turned into cache-ready dicts.

Kept apart from the client so the client stays about requests and caching, and apart from the
engines so every engine cuts at end-of-text the same way; the completions themselves (stop
sequences, finish reasons, the echoed prompt) are assembled by `clients.completion_assembly`, as
the vLLM client's are.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from helm_lite.clients.answers import CompletionDict
from helm_lite.clients.completion_assembly import scored_tokens, token_completion
from helm_lite.clients.huggingface.decoding import Decoding

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
) -> list[list[CompletionDict]]:
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
    results: list[list[CompletionDict]] = []
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
) -> list[list[CompletionDict]]:
    n = decoding.num_return_sequences
    prompt_scores = engine.score(model, tokenizer, device, encoded) if decoding.echo_prompt else None
    generated: list[list[int]] = [[] for _ in range(len(prompts) * n)]
    step_logprobs: list[list[float]] = [[] for _ in range(len(prompts) * n)]
    if decoding.max_new_tokens > 0:
        generated, step_logprobs = engine.continuations(
            model, tokenizer, device, encoded, decoding, generate_tokenizer
        )

    stops = list(decoding.stop_sequences)
    results: list[list[CompletionDict]] = []
    eos = tokenizer.eos_token_id
    for i, prompt in enumerate(prompts):
        completions = []
        for j in range(n):
            ids, lps = generated[i * n + j], step_logprobs[i * n + j]
            reason = "length"
            if eos is not None and eos in ids:
                cut = ids.index(eos)
                ids, lps, reason = ids[:cut], lps[:cut], "endoftext"
            echoed = (
                scored_tokens(tokenizer, encoded[i], prompt_scores[i]) if prompt_scores is not None else None
            )
            completions.append(token_completion(tokenizer, ids, lps, reason, stops, echoed, prompt))
        results.append(completions)
    return results
