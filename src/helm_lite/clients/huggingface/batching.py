"""Left-padded batches: padding, the prompts' shared prefix, and groups bounded by a token budget."""

from __future__ import annotations

from typing import Any


def left_padded(encoded: list[list[int]], pad: int, prefix_len: int = 0) -> tuple[Any, Any]:
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
