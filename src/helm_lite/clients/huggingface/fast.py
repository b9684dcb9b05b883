"""The fast engine: helm_lite's own greedy loop, key/value caches and CPU attention.

Greedy requests of a batch run their shared prompt prefix once (`kv_cache.reserved_cache`) and decode
in `greedy.greedy_decode`, where finished rows leave the batch; prompt scoring runs the backbone once
and the output head in chunks. Sampling (and several greedy sequences per prompt) goes through
transformers' `generate`. These parts use transformers internals, so `compat` checks the installed
version before this engine is chosen; the reference engine gives the same greedy answers.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from helm_lite.clients.huggingface.batching import batch_groups, left_padded, shared_prefix_length
from helm_lite.clients.huggingface.decoding import Decoding, chosen_logprobs, generation_config, pad_id

# Positions scored per lm_head call when echoing prompts, to bound memory (positions × vocabulary).
_SCORE_CHUNK = 4096
# A batch whose prompts share at least this many leading tokens computes that prefix once.
_MIN_SHARED_PREFIX = 16


def _shareable_prefix(encoded: list[list[int]]) -> int:
    """The shared prefix worth computing once (0 when shorter than `_MIN_SHARED_PREFIX`)."""
    length = shared_prefix_length(encoded)
    return length if length >= _MIN_SHARED_PREFIX else 0


class FastEngine:
    name = "fast"

    def load(self, auto_kwargs: dict[str, Any], path: str, device: str) -> Any:
        """The model with the CPU attention that skips copying grouped key/value heads, loaded
        without transformers' eager scikit-learn import."""
        from helm_lite.clients.huggingface.imports import auto_model_class

        AutoModelForCausalLM = auto_model_class()  # noqa: N806  (a class, named as transformers does)
        extra: dict[str, Any] = {}
        if device == "cpu" and not auto_kwargs["trust_remote_code"]:  # remote code may not use it
            from helm_lite.clients.huggingface.attention import cpu_attention_implementation

            if (name := cpu_attention_implementation()) is not None:
                extra["attn_implementation"] = name
        try:
            return AutoModelForCausalLM.from_pretrained(path, **auto_kwargs, **extra)
        except ValueError:  # an architecture that only knows its built-in attention functions
            if not extra:
                raise
            return AutoModelForCausalLM.from_pretrained(path, **auto_kwargs)

    def groups(self, lengths: list[int], decoding: Decoding, max_batch_tokens: int) -> list[range]:
        if not max_batch_tokens:
            return [range(len(lengths))]
        budget = max_batch_tokens // max(1, decoding.num_return_sequences)
        return batch_groups(lengths, decoding.max_new_tokens, budget)

    def score(self, model: Any, tokenizer: Any, device: str, encoded: list[list[int]]) -> list[list[float]]:
        ids, mask = left_padded(encoded, pad_id(tokenizer))
        return score_prompts(model, ids.to(device), mask.to(device))

    def continuations(
        self,
        model: Any,
        tokenizer: Any,
        device: str,
        encoded: list[list[int]],
        decoding: Decoding,
        generate_tokenizer: Callable[[], Any],
    ) -> tuple[list[list[int]], list[list[float]]]:
        if decoding.temperature <= 0 and decoding.num_return_sequences == 1:
            return _greedy(model, tokenizer, device, encoded, decoding)
        return _with_generate(model, generate_tokenizer(), device, encoded, decoding)


def _greedy(
    model: Any, tokenizer: Any, device: str, encoded: list[list[int]], decoding: Decoding
) -> tuple[list[list[int]], list[list[float]]]:
    """Greedy continuations of a batch, its shared prefix computed once and finished rows dropped."""
    from helm_lite.clients.huggingface.greedy import greedy_decode
    from helm_lite.clients.huggingface.kv_cache import reserved_cache

    prefix_len = _shareable_prefix(encoded)
    input_ids, mask = left_padded(encoded, pad_id(tokenizer), prefix_len)
    capacity = input_ids.shape[1] + decoding.max_new_tokens
    cache = reserved_cache(model, capacity, encoded[0][:prefix_len], len(encoded), device)
    return greedy_decode(
        model,
        tokenizer,
        input_ids.to(device),
        mask.to(device),
        cache=cache,
        cached_len=prefix_len,
        max_new_tokens=decoding.max_new_tokens,
        stop_sequences=list(decoding.stop_sequences),
    )


def _with_generate(
    model: Any, tokenizer: Any, device: str, encoded: list[list[int]], decoding: Decoding
) -> tuple[list[list[int]], list[list[float]]]:
    """Sampled (or several greedy) continuations through transformers' `generate`, which needs a
    transformers `tokenizer` for stop strings; rows in prompt-major order, `n` per prompt."""
    import torch

    from helm_lite.clients.huggingface.kv_cache import prefix_cache

    prefix_len = _shareable_prefix(encoded) if decoding.num_return_sequences == 1 else 0
    input_ids, mask = left_padded(encoded, pad_id(tokenizer), prefix_len)
    input_ids, mask = input_ids.to(device), mask.to(device)
    extra: dict[str, Any] = {}
    if prefix_len:
        extra["past_key_values"] = prefix_cache(model, encoded[0][:prefix_len], len(encoded), device)
    if decoding.seed is not None:
        torch.manual_seed(decoding.seed)
    out = model.generate(
        input_ids=input_ids,
        attention_mask=mask,
        generation_config=generation_config(decoding, tokenizer),
        tokenizer=tokenizer,
        **extra,
    )
    return chosen_logprobs(out, input_ids.shape[1])


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
