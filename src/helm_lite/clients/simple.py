"""simple/model1: a deterministic test model, so every other part can be tested in milliseconds.

Behaviour (one token per character, like simple/tokenizer1):

* completion ``i`` (0-based, ``i < num_completions``) is the ``(i+1)``-th last whitespace-separated word
  of the prompt (the last word again once the words run out; ``""`` for an empty prompt);
* it is cut at the first stop sequence, then to ``max_tokens`` characters
  (finish reason ``stop``, ``length`` or ``endoftext``);
* its log probability is ``-i``, carried by its first token (the others have 0);
* with ``echo_prompt`` the prompt's characters (log probability 0) come first.

Example: prompt ``"7 2 4 6"``, 3 completions → ``"6"`` (logprob 0), ``"4"`` (-1), ``"2"`` (-2).
"""

from __future__ import annotations

from typing import TypedDict

from helm_lite.clients.answers import Answer, CompletionDict, TokenDict
from helm_lite.clients.base import Client
from helm_lite.common.cache import SqliteCache
from helm_lite.common.request import Request


class SimpleRawRequest(TypedDict):
    engine: str
    prompt: str
    num_completions: int
    max_tokens: int
    stop_sequences: list[str]
    echo_prompt: bool


class SimpleClient(Client[SimpleRawRequest]):
    max_threads = 1  # pure Python in this process: threads would only add overhead
    lease_requests = False  # its answers cost nothing: leasing them would cost more than computing twice

    def __init__(self, cache: SqliteCache | None = None) -> None:
        super().__init__(cache)

    def raw_request(self, request: Request) -> SimpleRawRequest:
        return {
            "engine": request.model_engine,
            "prompt": request.prompt,
            "num_completions": request.num_completions,
            "max_tokens": request.max_tokens,
            "stop_sequences": list(request.stop_sequences),
            "echo_prompt": request.echo_prompt,
        }

    def compute(self, raw_request: SimpleRawRequest) -> Answer:
        prompt = raw_request["prompt"]
        words = prompt.split() or [""]
        completions: list[CompletionDict] = []
        for i in range(raw_request["num_completions"]):
            text = words[-1 - i] if i < len(words) else words[-1]
            reason = "endoftext"
            for stop in raw_request["stop_sequences"]:
                if stop and stop in text:
                    text, reason = text[: text.index(stop)], "stop"
            if len(text) > raw_request["max_tokens"]:
                text, reason = text[: raw_request["max_tokens"]], "length"
            tokens: list[TokenDict] = [{"text": c, "logprob": 0.0} for c in text]
            if tokens:
                tokens[0]["logprob"] = float(-i)
            if raw_request["echo_prompt"]:
                echoed: list[TokenDict] = [{"text": c, "logprob": 0.0} for c in prompt]
                tokens = echoed + tokens
                text = prompt + text
            completions.append(
                {
                    "text": text,
                    "logprob": float(-i) if len(tokens) > 0 else 0.0,
                    "tokens": tokens,
                    "finish_reason": {"reason": reason},
                }
            )
        return {"completions": completions}
