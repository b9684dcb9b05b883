"""An echo model: it answers with the last words of the prompt. A complete helm-lite provider.

Use it with ``helm-run --plugins examples/providers/echo_provider.py`` and a model deployment whose
``client_spec.class_name`` is ``echo_provider.EchoProvider`` (see docs/clients.md).
"""

from __future__ import annotations

from typing import TypedDict

from helm_lite.clients.provider import Answer, Capabilities, CompletionDict, Provider, TokenDict
from helm_lite.common.request import Request


class EchoRequest(TypedDict):  # the raw request: everything that changes the answer (the cache key)
    model: str
    prompt: str
    words: int
    num_completions: int
    max_tokens: int
    stop_sequences: list[str]


class EchoProvider(Provider[EchoRequest]):
    def __init__(self, words: int = 1) -> None:  # `client_spec.args`, e.g. {words: 2}
        self.words = words

    @property
    def capabilities(self) -> Capabilities:
        # Answers cost nothing: whole batches in this thread, and no leases on the cache.
        return Capabilities(max_batch_size=64, max_threads=1, lease_requests=False)

    def raw_request(self, request: Request) -> EchoRequest:
        return {  # never a secret here: it is the cache key
            "model": request.model_engine,
            "prompt": request.prompt,
            "words": self.words,
            "num_completions": request.num_completions,
            "max_tokens": request.max_tokens,
            "stop_sequences": list(request.stop_sequences),
        }

    def compute_batch(self, raw_requests: list[EchoRequest]) -> list[Answer]:
        return [self.answer(raw) for raw in raw_requests]

    def answer(self, raw: EchoRequest) -> Answer:
        text = " ".join(raw["prompt"].split()[-raw["words"] :])
        reason = "endoftext"
        for stop in raw["stop_sequences"]:
            if stop and stop in text:
                text, reason = text[: text.index(stop)], "stop"
        words = text.split(" ") if text else []
        if len(words) > raw["max_tokens"]:
            words, reason = words[: raw["max_tokens"]], "length"
        tokens = [TokenDict(text=w if i == 0 else f" {w}", logprob=0.0) for i, w in enumerate(words)]
        text = "".join(t["text"] for t in tokens)
        completion = CompletionDict(text=text, logprob=0.0, tokens=tokens, finish_reason={"reason": reason})
        # The standard answer shape, so the inherited `parse_completions` reads it.
        return {"completions": [completion] * raw["num_completions"]}
