"""Greedy decoding of a batch that drops each row as soon as it is finished.

HELM's scenarios decode greedily with a stop sequence, and a batch's answers differ a lot in length:
on synthetic_reasoning most stop after five tokens while a few run to `max_tokens`. transformers'
`generate` keeps computing finished rows (as padding) until the longest is done; here a row leaves
the batch — and its key/value cache — the step it emits the end-of-text token, contains a stop
sequence, or reaches the token limit, so later steps only pay for the rows still writing.

The tokens chosen are the same as `generate`'s greedy search (argmax of the raw logits, no logits
processors), and the per-token log probabilities are the log-softmax of the same logits.
"""

from __future__ import annotations

from typing import Any


def _finished(tokenizer: Any, ids: list[int], eos: int | None, stops: list[str], limit: int) -> bool:
    if len(ids) >= limit or (eos is not None and ids[-1] == eos):
        return True
    if not stops:
        return False
    text = tokenizer.decode(ids, skip_special_tokens=True, clean_up_tokenization_spaces=False)
    return any(s in text for s in stops)


def greedy_decode(
    model: Any,
    tokenizer: Any,
    input_ids: Any,
    mask: Any,
    *,
    cache: Any,
    cached_len: int,
    max_new_tokens: int,
    stop_sequences: list[str],
) -> tuple[list[list[int]], list[list[float]]]:
    """New token ids and their log probabilities for each row of a left-padded batch.

    `cache` already holds the keys/values of the first `cached_len` columns (a shared prompt prefix,
    repeated per row), or is empty with `cached_len` 0. A row's list ends with the token that
    finished it (end-of-text or the one completing a stop sequence); the caller trims both.
    """
    import torch

    eos = tokenizer.eos_token_id
    stops = [s for s in stop_sequences if s]
    batch = input_ids.shape[0]
    out_ids: list[list[int]] = [[] for _ in range(batch)]
    out_lps: list[list[float]] = [[] for _ in range(batch)]
    live = list(range(batch))  # original row of each row still in the batch
    positions = (mask.cumsum(-1) - 1).clamp(min=0)
    step_ids, step_pos = input_ids[:, cached_len:], positions[:, cached_len:]
    for _ in range(max_new_tokens):
        logits = model(
            input_ids=step_ids,
            attention_mask=mask,
            position_ids=step_pos,
            past_key_values=cache,
            use_cache=True,
            logits_to_keep=1,
        ).logits[:, -1, :]
        chosen = logits.argmax(-1)
        logprobs = torch.log_softmax(logits.float(), dim=-1).gather(-1, chosen[:, None]).squeeze(-1)
        keep = []
        for j, (token, lp) in enumerate(zip(chosen.tolist(), logprobs.tolist(), strict=True)):
            row = live[j]
            out_ids[row].append(token)
            out_lps[row].append(lp)
            if not _finished(tokenizer, out_ids[row], eos, stops, max_new_tokens):
                keep.append(j)
        if not keep:
            break
        if len(keep) < len(live):
            index = torch.tensor(keep, dtype=torch.long, device=chosen.device)
            cache.batch_select_indices(index)
            mask, chosen, step_pos = mask[index], chosen[index], step_pos[index]
            live = [live[j] for j in keep]
        mask = torch.cat([mask, mask.new_ones((len(live), 1))], dim=1)
        step_ids, step_pos = chosen[:, None], step_pos[:, -1:] + 1
    return out_ids, out_lps
