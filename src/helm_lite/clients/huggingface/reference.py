"""The reference engine: plain transformers, one prompt per call, as HELM runs a model.

Continuations come from `model.generate` (greedy with `do_sample=False`, or seeded sampling) and
prompt log probabilities from one plain forward pass; the model is loaded with transformers' own
attention and nothing of helm_lite's loop, caches or attention is involved. Each prompt runs alone,
without padding, so its answer depends on nothing else in the batch. It is the yardstick the fast
engine is tested against, and what runs when the installed transformers is not the tested one.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from helm_lite.clients.huggingface.decoding import Decoding, chosen_logprobs, generation_config

# Positions turned into log probabilities at a time, to bound the float32 copy of the logits.
_SCORE_CHUNK = 4096


class ReferenceEngine:
    name = "reference"

    def load(self, auto_kwargs: dict[str, Any], path: str, device: str) -> Any:
        from transformers import AutoModelForCausalLM

        return AutoModelForCausalLM.from_pretrained(path, **auto_kwargs)

    def groups(self, lengths: list[int], decoding: Decoding, max_batch_tokens: int) -> list[range]:
        return [range(i, i + 1) for i in range(len(lengths))]

    def score(self, model: Any, tokenizer: Any, device: str, encoded: list[list[int]]) -> list[list[float]]:
        return [_score(model, device, ids) for ids in encoded]

    def continuations(
        self,
        model: Any,
        tokenizer: Any,
        device: str,
        encoded: list[list[int]],
        decoding: Decoding,
        generate_tokenizer: Callable[[], Any],
    ) -> tuple[list[list[int]], list[list[float]]]:
        import torch

        hf_tokenizer = generate_tokenizer()
        config = generation_config(decoding, hf_tokenizer)
        all_ids: list[list[int]] = []
        all_lps: list[list[float]] = []
        for prompt in encoded:
            input_ids = torch.tensor([prompt], dtype=torch.long, device=device)
            if decoding.seed is not None:
                torch.manual_seed(decoding.seed)
            out = model.generate(
                input_ids=input_ids,
                attention_mask=torch.ones_like(input_ids),
                generation_config=config,
                tokenizer=hf_tokenizer,
            )
            ids, lps = chosen_logprobs(out, input_ids.shape[1])
            all_ids += ids
            all_lps += lps
        return all_ids, all_lps


def _score(model: Any, device: str, ids: list[int]) -> list[float]:
    """Log probability of each token of `ids` given the ones before it (the first gets 0.0)."""
    import torch

    if not ids:
        return []
    input_ids = torch.tensor([ids], dtype=torch.long, device=device)
    # With its attention mask, as `model(**tokenizer(text, return_tensors="pt"))` runs it.
    logits = model(input_ids=input_ids, attention_mask=torch.ones_like(input_ids)).logits[0, :-1]
    targets = torch.tensor(ids[1:], dtype=torch.long, device=logits.device)
    scores: list[float] = [0.0]
    for start in range(0, targets.shape[0], _SCORE_CHUNK):
        part = logits[start : start + _SCORE_CHUNK].float()
        picked = part.gather(-1, targets[start : start + _SCORE_CHUNK, None]).squeeze(-1)
        # logit - logsumexp rather than log_softmax: torch's float32 log_softmax on a CPU is off by
        # up to ~2e-5 over a large vocabulary, logsumexp by ~1e-6.
        scores += (picked - torch.logsumexp(part, dim=-1)).tolist()
    return scores
