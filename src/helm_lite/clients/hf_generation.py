"""Batched generation and prompt scoring with a HuggingFace causal LM (pure functions over torch).

Kept apart from the client so the client stays about requests and caching, and this module about
tensors: left padding, stop strings, per-token log probabilities, finish reasons.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from helm_lite.clients.stops import cut_at_stop, tokens_within

# Positions scored per lm_head call when echoing prompts, to bound memory (positions × vocabulary).
_SCORE_CHUNK = 4096
# A batch whose prompts share at least this many leading tokens computes that prefix once.
_MIN_SHARED_PREFIX = 16


def token_texts(tokenizer: Any, ids: list[int]) -> list[str]:
    return [tokenizer.convert_tokens_to_string([t]) for t in tokenizer.convert_ids_to_tokens(ids)]


def _pad_id(tokenizer: Any) -> int:
    pad = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else tokenizer.eos_token_id
    return pad if pad is not None else 0


def _left_padded(encoded: list[list[int]], pad: int, prefix_len: int = 0) -> tuple[Any, Any]:
    """Token ids and attention mask, each row's first `prefix_len` tokens (the shared prefix) at the
    left edge and the rest right-aligned, with padding in between."""
    import torch

    width = max(1, max(len(e) for e in encoded))
    input_ids = torch.full((len(encoded), width), pad, dtype=torch.long)
    mask = torch.zeros((len(encoded), width), dtype=torch.long)
    for i, ids in enumerate(encoded):
        if prefix_len:
            input_ids[i, :prefix_len] = torch.tensor(ids[:prefix_len], dtype=torch.long)
            mask[i, :prefix_len] = 1
        rest = ids[prefix_len:]
        if rest:
            input_ids[i, width - len(rest) :] = torch.tensor(rest, dtype=torch.long)
            mask[i, width - len(rest) :] = 1
    return input_ids, mask


def shared_prefix_length(encoded: list[list[int]]) -> int:
    """Leading tokens every prompt shares, leaving each at least one token of its own (the model
    must still run on something to predict the first new token)."""
    if len(encoded) < 2:
        return 0
    limit = min(len(e) for e in encoded) - 1
    first = encoded[0]
    n = 0
    while n < limit and all(e[n] == first[n] for e in encoded):
        n += 1
    return n


def _shareable_prefix(encoded: list[list[int]]) -> int:
    """The shared prefix worth computing once (0 when shorter than `_MIN_SHARED_PREFIX`)."""
    length = shared_prefix_length(encoded)
    return length if length >= _MIN_SHARED_PREFIX else 0


def _greedy(
    model: Any,
    tokenizer: Any,
    device: str,
    encoded: list[list[int]],
    max_new_tokens: int,
    stop_sequences: list[str],
) -> tuple[list[list[int]], list[list[float]]]:
    """Greedy continuations of a batch, its shared prefix computed once and finished rows dropped."""
    from helm_lite.clients.hf_greedy import greedy_decode
    from helm_lite.clients.hf_kv_cache import reserved_cache

    prefix_len = _shareable_prefix(encoded)
    input_ids, mask = _left_padded(encoded, _pad_id(tokenizer), prefix_len)
    capacity = input_ids.shape[1] + max_new_tokens
    cache = reserved_cache(model, capacity, encoded[0][:prefix_len], len(encoded), device)
    return greedy_decode(
        model,
        tokenizer,
        input_ids.to(device),
        mask.to(device),
        cache=cache,
        cached_len=prefix_len,
        max_new_tokens=max_new_tokens,
        stop_sequences=stop_sequences,
    )


def _with_generate(
    model: Any, tokenizer: Any, device: str, encoded: list[list[int]], decoding: Decoding
) -> tuple[list[list[int]], list[list[float]]]:
    """Sampled (or several greedy) continuations through transformers' `generate`, which needs a
    transformers `tokenizer` for stop strings; rows in prompt-major order, `n` per prompt."""
    import torch
    from transformers import GenerationConfig

    from helm_lite.clients.hf_kv_cache import prefix_cache

    n = decoding.num_return_sequences
    sampling = decoding.temperature > 0
    config = GenerationConfig(
        max_new_tokens=decoding.max_new_tokens,
        do_sample=sampling,
        temperature=decoding.temperature if sampling else None,
        top_p=decoding.top_p if sampling else None,
        top_k=None,
        num_return_sequences=n,
        output_logits=True,
        return_dict_in_generate=True,
        pad_token_id=_pad_id(tokenizer),
        eos_token_id=tokenizer.eos_token_id,
        stop_strings=[s for s in decoding.stop_sequences if s] or None,
    )
    prefix_len = _shareable_prefix(encoded) if n == 1 else 0
    input_ids, mask = _left_padded(encoded, _pad_id(tokenizer), prefix_len)
    input_ids, mask = input_ids.to(device), mask.to(device)
    width = input_ids.shape[1]
    extra: dict[str, Any] = {}
    if prefix_len:
        extra["past_key_values"] = prefix_cache(model, encoded[0][:prefix_len], len(encoded), device)
    if decoding.seed is not None:
        torch.manual_seed(decoding.seed)
    out = model.generate(
        input_ids=input_ids, attention_mask=mask, generation_config=config, tokenizer=tokenizer, **extra
    )
    new_dev = out.sequences[:, width:]
    # One step at a time: a (batch × steps × vocabulary) stack would double the logits' memory.
    chosen = torch.stack(
        [
            torch.log_softmax(step.float(), dim=-1).gather(-1, new_dev[:, t, None]).squeeze(-1)
            for t, step in enumerate(out.logits)
        ],
        dim=1,
    ).cpu()
    return new_dev.cpu().tolist(), chosen.tolist()


def score_prompts(model: Any, input_ids: Any, mask: Any) -> list[list[float]]:
    """Log probability of each real prompt token given the ones before it (the first gets 0.0)."""
    import torch

    positions = (mask.cumsum(-1) - 1).clamp(min=0)
    backbone = getattr(model, model.base_model_prefix)
    hidden = backbone(input_ids=input_ids, attention_mask=mask, position_ids=positions).last_hidden_state
    head = model.get_output_embeddings()
    batch, width = input_ids.shape
    flat_hidden = hidden[:, :-1, :].reshape(-1, hidden.shape[-1])
    targets = input_ids[:, 1:].reshape(-1)
    chosen = torch.empty(targets.shape[0], dtype=torch.float32, device=hidden.device)
    for start in range(0, targets.shape[0], _SCORE_CHUNK):
        logits = head(flat_hidden[start : start + _SCORE_CHUNK]).float()
        picked = logits.gather(-1, targets[start : start + _SCORE_CHUNK, None]).squeeze(-1)
        chosen[start : start + _SCORE_CHUNK] = picked - torch.logsumexp(logits, dim=-1)
    chosen = chosen.view(batch, width - 1).cpu()
    out = []
    for i in range(batch):
        n = int(mask[i].sum())
        values = chosen[i, width - n :].tolist() if n > 1 else []
        out.append([0.0, *values] if n else [])
    return out


def batch_groups(lengths: list[int], extra: int, budget: int) -> list[range]:
    """Consecutive runs of rows whose padded size, rows × (longest prompt + `extra`), stays within
    `budget` positions (a single row may exceed it). Bounds a batch's key/value cache and activations
    whatever `max_batch_size` allows, so long prompts get smaller batches."""
    groups: list[range] = []
    start = longest = 0
    for i, length in enumerate(lengths):
        wider = max(longest, length)
        if i > start and (i - start + 1) * (wider + extra) > budget:
            groups.append(range(start, i))
            start, wider = i, length
        longest = wider
    if lengths:
        groups.append(range(start, len(lengths)))
    return groups


@dataclass(frozen=True)
class Decoding:
    """The decoding settings every request of a batch shares (the client batches by them)."""

    max_new_tokens: int
    num_return_sequences: int = 1
    temperature: float = 0.0
    top_p: float = 1.0
    stop_sequences: tuple[str, ...] = ()
    echo_prompt: bool = False
    seed: int | None = None  # for sampling


def generate_batch(
    model: Any,
    tokenizer: Any,
    device: str,
    prompts: list[str],
    decoding: Decoding,
    *,
    max_batch_tokens: int = 0,
    generate_tokenizer: Callable[[], Any] | None = None,
) -> list[list[dict[str, Any]]]:
    """Completions (as cache-ready dicts) for each prompt, in order; with `max_batch_tokens`, the
    prompts run in consecutive groups of at most that many padded positions (see `batch_groups`).

    `tokenizer` only encodes and decodes (a `LightHFTokenizer` will do); transformers' `generate`,
    used for sampling, needs a transformers tokenizer for stop strings: `generate_tokenizer()` gives
    it when `tokenizer` is not one."""
    encoded = [tokenizer(p, add_special_tokens=False)["input_ids"] for p in prompts]
    groups = [range(len(prompts))]
    if max_batch_tokens:
        budget = max_batch_tokens // max(1, decoding.num_return_sequences)
        groups = batch_groups([len(e) for e in encoded], decoding.max_new_tokens, budget)
    results: list[list[dict[str, Any]]] = []
    for group in groups:
        results += _generate_encoded(
            model,
            tokenizer,
            device,
            [prompts[i] for i in group],
            [encoded[i] for i in group],
            decoding,
            generate_tokenizer,
        )
    return results


def _generate_encoded(
    model: Any,
    tokenizer: Any,
    device: str,
    prompts: list[str],
    encoded: list[list[int]],
    decoding: Decoding,
    generate_tokenizer: Callable[[], Any] | None,
) -> list[list[dict[str, Any]]]:
    n = decoding.num_return_sequences
    prompt_scores = None
    if decoding.echo_prompt:
        ids_t, mask_t = _left_padded(encoded, _pad_id(tokenizer))
        prompt_scores = score_prompts(model, ids_t.to(device), mask_t.to(device))

    generated: list[list[int]] = [[] for _ in range(len(prompts) * n)]
    step_logprobs: list[list[float]] = [[] for _ in range(len(prompts) * n)]
    stops = list(decoding.stop_sequences)
    if decoding.max_new_tokens > 0 and decoding.temperature <= 0 and n == 1:
        generated, step_logprobs = _greedy(model, tokenizer, device, encoded, decoding.max_new_tokens, stops)
    elif decoding.max_new_tokens > 0:
        hf_tokenizer = generate_tokenizer() if generate_tokenizer is not None else tokenizer
        generated, step_logprobs = _with_generate(model, hf_tokenizer, device, encoded, decoding)

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
