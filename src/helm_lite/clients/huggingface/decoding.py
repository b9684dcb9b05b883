"""The decoding settings a batch shares, and transformers' `GenerationConfig` for them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


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


def pad_id(tokenizer: Any) -> int:
    pad = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else tokenizer.eos_token_id
    return pad if pad is not None else 0


def generation_config(decoding: Decoding, tokenizer: Any) -> Any:
    """Settings for `model.generate`: greedy or seeded sampling, stop strings, the raw logits of each
    step (for the chosen tokens' log probabilities)."""
    from transformers import GenerationConfig

    sampling = decoding.temperature > 0
    return GenerationConfig(
        max_new_tokens=decoding.max_new_tokens,
        do_sample=sampling,
        temperature=decoding.temperature if sampling else None,
        top_p=decoding.top_p if sampling else None,
        top_k=None,
        num_return_sequences=decoding.num_return_sequences,
        output_logits=True,
        return_dict_in_generate=True,
        pad_token_id=pad_id(tokenizer),
        eos_token_id=tokenizer.eos_token_id,
        stop_strings=[s for s in decoding.stop_sequences if s] or None,
    )


def chosen_logprobs(out: Any, width: int) -> tuple[list[list[int]], list[list[float]]]:
    """New token ids of a `generate` output (prompts `width` wide) and the log-softmax of the raw
    logits at each chosen token."""
    import torch

    new = out.sequences[:, width:]
    # One step at a time: a (batch × steps × vocabulary) stack would double the logits' memory.
    chosen = torch.stack(
        [
            torch.log_softmax(step.float(), dim=-1).gather(-1, new[:, t, None]).squeeze(-1)
            for t, step in enumerate(out.logits)
        ],
        dim=1,
    ).cpu()
    return new.cpu().tolist(), chosen.tolist()
