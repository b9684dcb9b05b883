"""Cutting a completion at its first stop sequence, and its tokens with it.

HELM cuts generated text at the earliest stop sequence (the stop itself excluded). Every client —
local engines that decode themselves and servers that may return the token holding the stop —
applies the same rule so that the same model gives the same completion by any route.
"""

from __future__ import annotations


def cut_at_stop(text: str, stops: list[str]) -> tuple[str, bool]:
    """`text` up to the earliest occurrence of any stop sequence, and whether one occurred."""
    cut = len(text)
    for stop in stops:
        index = text.find(stop) if stop else -1
        if 0 <= index < cut:
            cut = index
    return text[:cut], cut < len(text)


def tokens_within(token_texts: list[str], length: int) -> int:
    """How many leading tokens fit entirely within the first `length` characters; a token that
    straddles the cut (it holds the start of the stop sequence) is dropped."""
    kept, used = 0, 0
    while kept < len(token_texts) and used + len(token_texts[kept]) <= length:
        used += len(token_texts[kept])
        kept += 1
    return kept
