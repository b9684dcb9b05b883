"""A loopback OpenAI-compatible server (stdlib only) with deterministic answers, for client tests.

Endpoints: ``/v1/completions`` (with ``echo`` + ``logprobs``), ``/v1/chat/completions`` (with
``logprobs``), ``/v1/models``. The same endpoints under ``/together/v1/…`` answer in Together's layout
(chat log probabilities as ``tokens``/``token_logprobs``, an echoed prompt in a top-level ``prompt``),
so the ``together`` SDK can be pointed at ``<url>/together``.

Answers depend only on the request: the prompt is split into word tokens (``\\s*\\S+``); the
completion repeats the prompt's words in reverse order (choice ``j`` starts ``j`` words later), one
token per word, until ``max_tokens`` or the words run out (finish reason ``length`` or ``stop``),
and is cut at the first stop sequence. Generated token ``i`` has log probability ``-(i+1)/10``;
prompt token ``i`` has ``-i/100`` (the first has none, as real servers say). With ``api_key`` set,
requests need ``Authorization: Bearer <api_key>``; a wrong key is quoted back in the 401 message,
as some real APIs do, so tests can check the client blanks it. Every request is recorded.
"""

from __future__ import annotations

import json
import re
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

_TOKEN = re.compile(r"\s*\S+")


def tokenize(text: str) -> list[str]:
    tokens = _TOKEN.findall(text)
    rest = text[len("".join(tokens)) :]
    return tokens + ([rest] if rest else [])


def generate(prompt: str, max_tokens: int, stops: list[str], choice: int) -> tuple[list[str], str]:
    """The deterministic completion: (tokens, finish_reason)."""
    words = [t.strip() for t in tokenize(prompt) if t.strip()][::-1]
    words = words[choice:] + words[:choice]
    tokens = [" " + w for w in words][:max_tokens]
    reason = "length" if len(tokens) == max_tokens and len(words) >= max_tokens else "stop"
    text = "".join(tokens)
    cut = min((text.index(s) for s in stops if s and s in text), default=None)
    if cut is not None:
        kept, length = [], 0
        for t in tokens:  # like vLLM: the token holding the stop is still listed
            kept.append(t)
            length += len(t)
            if length > cut:
                break
        tokens, reason = kept, "stop"
    return tokens, reason


def cut_text(tokens: list[str], stops: list[str]) -> str:
    text = "".join(tokens)
    cut = min((text.index(s) for s in stops if s and s in text), default=None)
    return text if cut is None else text[:cut]


def gen_logprobs(n: int) -> list[float]:
    return [-(i + 1) / 10 for i in range(n)]


def prompt_logprobs(n: int) -> list[float | None]:
    return [None, *(-i / 100 for i in range(1, n))]


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: dict[str, Any] = field(default_factory=dict)


class FakeOpenAIServer:
    """``with FakeOpenAIServer(model="m", api_key="k") as server: server.url …``"""

    def __init__(
        self, model: str = "fake/model", api_key: str | None = None, also: tuple[str, ...] = ()
    ) -> None:
        self.model = model
        self.models = (model, *also)  # served model names
        self.api_key = api_key
        self.received: list[Received] = []
        self._lock = threading.Lock()
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        """Base URL without ``/v1`` (OpenAI SDK: ``url + "/v1"``; Together SDK: ``url + "/together"``)."""
        host, port = self._httpd.server_address[:2]
        return f"http://{host!s}:{port}"

    def calls(self, kind: str | None = None) -> list[Received]:
        """Model calls received (``completions`` or ``chat``; all if None)."""
        with self._lock:
            got = [r for r in self.received if not r.path.endswith("/models")]
        if kind == "chat":
            return [r for r in got if r.path.endswith("/chat/completions")]
        if kind == "completions":
            return [r for r in got if not r.path.endswith("/chat/completions")]
        return got

    def prompts(self) -> list[str]:
        return [r.body.get("prompt") or r.body["messages"][-1]["content"] for r in self.calls()]

    def __enter__(self) -> FakeOpenAIServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()

    # --- answers -----------------------------------------------------------------------------------
    def answer(self, path: str, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        together = path.startswith("/together/")
        route = path.removeprefix("/together")
        if route == "/v1/models":
            data = [{"id": m, "object": "model", "owned_by": "fake"} for m in self.models]
            return 200, {"object": "list", "data": data}
        if route not in ("/v1/completions", "/v1/chat/completions"):
            return 404, _error(f"no route {path}", "not_found")
        if body.get("model") not in self.models:
            return 404, _error(f"The model `{body.get('model')}` does not exist.", "model_not_found")
        stops = body.get("stop") or []
        stops = [stops] if isinstance(stops, str) else list(stops)
        max_tokens = body.get("max_tokens", 16)
        if route == "/v1/chat/completions":
            return 200, self._chat(body, stops, max_tokens, together)
        return 200, self._completion(body, stops, max_tokens, together)

    def _completion(
        self, body: dict[str, Any], stops: list[str], max_tokens: int, together: bool
    ) -> dict[str, Any]:
        prompt: str = body["prompt"]
        echo = bool(body.get("echo"))
        want = body.get("logprobs") is not None
        p_tokens = tokenize(prompt)
        choices = []
        for j in range(body.get("n", 1)):
            tokens, reason = generate(prompt, max_tokens, stops, j) if max_tokens > 0 else ([], "length")
            text = cut_text(tokens, stops)
            lps: list[float | None] = list(gen_logprobs(len(tokens)))
            toks = list(tokens)
            if echo and not together:
                text, toks, lps = prompt + text, p_tokens + toks, [*prompt_logprobs(len(p_tokens)), *lps]
            logprobs = {"tokens": toks, "token_logprobs": lps, "top_logprobs": None, "text_offset": None}
            choices.append(
                {"index": j, "text": text, "finish_reason": reason, "logprobs": logprobs if want else None}
            )
        answer: dict[str, Any] = {
            "id": "cmpl-fake",
            "object": "text_completion",
            "created": 0,
            "model": body["model"],
            "choices": choices,
            "usage": {"prompt_tokens": len(p_tokens), "completion_tokens": 0, "total_tokens": len(p_tokens)},
        }
        if echo and together:
            plp = {"tokens": p_tokens, "token_logprobs": prompt_logprobs(len(p_tokens))}
            answer["prompt"] = [{"text": prompt, "logprobs": plp if want else None}]
        return answer

    def _chat(
        self, body: dict[str, Any], stops: list[str], max_tokens: int, together: bool
    ) -> dict[str, Any]:
        prompt = body["messages"][-1]["content"]
        want = body.get("logprobs")
        choices = []
        for j in range(body.get("n", 1)):
            tokens, reason = generate(prompt, max_tokens, stops, j)
            lps = gen_logprobs(len(tokens))
            logprobs: dict[str, Any] | None = None
            if want is True:  # OpenAI: logprobs=True, top_logprobs=k
                k = int(body.get("top_logprobs") or 0)
                logprobs = {
                    "content": [
                        {
                            "token": t,
                            "logprob": lp,
                            "bytes": list(t.encode()),
                            "top_logprobs": [{"token": t, "logprob": lp, "bytes": list(t.encode())}][:k],
                        }
                        for t, lp in zip(tokens, lps, strict=True)
                    ]
                }
            elif want:  # Together: logprobs=<int>
                logprobs = {"tokens": tokens, "token_logprobs": lps}
            choices.append(
                {
                    "index": j,
                    "message": {"role": "assistant", "content": cut_text(tokens, stops)},
                    "finish_reason": reason,
                    "logprobs": logprobs,
                }
            )
        return {
            "id": "chatcmpl-fake",
            "object": "chat.completion",
            "created": 0,
            "model": body["model"],
            "choices": choices,
        }

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:  # quiet
                pass

            def _reply(self, status: int, payload: dict[str, Any]) -> None:
                data = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.send_header("Connection", "close")
                self.end_headers()
                self.wfile.write(data)
                self.close_connection = True

            def _handle(self, body: dict[str, Any]) -> None:
                with server._lock:
                    server.received.append(
                        Received(self.path, {k.lower(): v for k, v in self.headers.items()}, body)
                    )
                if server.api_key is not None:
                    sent = self.headers.get("Authorization", "")
                    if sent != f"Bearer {server.api_key}":
                        given = sent.removeprefix("Bearer ")
                        message = f"Incorrect API key provided: {given}. You can find your API key at …"
                        self._reply(401, _error(message, "invalid_api_key"))
                        return
                self._reply(*server.answer(self.path, body))

            def do_GET(self) -> None:
                self._handle({})

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b"{}"
                try:
                    body = json.loads(raw)
                except json.JSONDecodeError:
                    self._reply(400, _error("body is not JSON", "invalid_request_error"))
                    return
                self._handle(body)

        return Handler


def _error(message: str, code: str) -> dict[str, Any]:
    return {"error": {"message": message, "type": "invalid_request_error", "param": None, "code": code}}
