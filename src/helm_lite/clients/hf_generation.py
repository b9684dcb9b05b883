"""Batched generation and prompt scoring with a HuggingFace causal LM (pure functions over torch).

Kept apart from the client so the client stays about requests and caching, and this module about
tensors: left padding, stop strings, per-token log probabilities, finish reasons.
"""

from __future__ import annotations

from typing import Any

# Positions scored per lm_head call when echoing prompts, to bound memory (positions × vocabulary).
_SCORE_CHUNK = 4096


def _token_texts(tokenizer: Any, ids: list[int]) -> list[str]:
    return [tokenizer.convert_tokens_to_string([t]) for t in tokenizer.convert_ids_to_tokens(ids)]


def _encode_left_padded(tokenizer: Any, prompts: list[str], device: str) -> tuple[Any, Any]:
    import torch

    encoded = [tokenizer(p, add_special_tokens=False)["input_ids"] for p in prompts]
    width = max(1, max(len(e) for e in encoded))
    pad = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else tokenizer.eos_token_id
    input_ids = torch.full((len(prompts), width), pad if pad is not None else 0, dtype=torch.long)
    mask = torch.zeros((len(prompts), width), dtype=torch.long)
    for i, ids in enumerate(encoded):
        if ids:
            input_ids[i, width - len(ids) :] = torch.tensor(ids, dtype=torch.long)
            mask[i, width - len(ids) :] = 1
    return input_ids.to(device), mask.to(device)


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


def _cut_at_stop(text: str, stops: list[str]) -> tuple[str, bool]:
    cut = len(text)
    for stop in stops:
        index = text.find(stop) if stop else -1
        if 0 <= index < cut:
            cut = index
    return text[:cut], cut < len(text)


def generate_batch(
    model: Any,
    tokenizer: Any,
    device: str,
    prompts: list[str],
    *,
    max_new_tokens: int,
    num_return_sequences: int,
    temperature: float,
    top_p: float,
    stop_sequences: list[str],
    echo_prompt: bool,
    seed: int | None,
) -> list[list[dict[str, Any]]]:
    """Completions (as cache-ready dicts) for each prompt, in order."""
    import torch
    from transformers import GenerationConfig

    input_ids, mask = _encode_left_padded(tokenizer, prompts, device)
    width = input_ids.shape[1]
    prompt_scores = score_prompts(model, input_ids, mask) if echo_prompt else None
    n = num_return_sequences

    generated: list[list[int]] = [[] for _ in range(len(prompts) * n)]
    step_logprobs: list[list[float]] = [[] for _ in range(len(prompts) * n)]
    if max_new_tokens > 0:
        sampling = temperature > 0
        config = GenerationConfig(
            max_new_tokens=max_new_tokens,
            do_sample=sampling,
            temperature=temperature if sampling else None,
            top_p=top_p if sampling else None,
            top_k=None,
            num_return_sequences=n,
            output_logits=True,
            return_dict_in_generate=True,
            pad_token_id=tokenizer.pad_token_id
            if tokenizer.pad_token_id is not None
            else tokenizer.eos_token_id,
            eos_token_id=tokenizer.eos_token_id,
            stop_strings=[s for s in stop_sequences if s] or None,
        )
        if seed is not None:
            torch.manual_seed(seed)
        out = model.generate(
            input_ids=input_ids, attention_mask=mask, generation_config=config, tokenizer=tokenizer
        )
        new = out.sequences[:, width:].cpu()
        logprobs = torch.stack([torch.log_softmax(s.float(), dim=-1) for s in out.logits], dim=1).cpu()
        chosen = logprobs.gather(-1, new[:, :, None]).squeeze(-1)
        for row in range(new.shape[0]):
            generated[row] = new[row].tolist()
            step_logprobs[row] = chosen[row].tolist()

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
            texts = _token_texts(tokenizer, ids)
            text = tokenizer.decode(ids, skip_special_tokens=True, clean_up_tokenization_spaces=False)
            text, stopped = _cut_at_stop(text, stop_sequences)
            if stopped:
                reason = "stop"
                kept, length = 0, 0
                while kept < len(texts) and length + len(texts[kept]) <= len(text):
                    length += len(texts[kept])
                    kept += 1
                texts, lps = texts[:kept], lps[:kept]
            tokens: list[dict[str, Any]] = [
                {"text": t, "logprob": lp} for t, lp in zip(texts, lps, strict=True)
            ]
            if prompt_scores is not None:
                prompt_ids = tokenizer(prompt, add_special_tokens=False)["input_ids"]
                echoed = _token_texts(tokenizer, prompt_ids)
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
