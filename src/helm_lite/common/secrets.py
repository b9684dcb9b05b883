"""Secrets never leave memory: one rule for secret names, one registry of secret values, one redactor.

Two complementary mechanisms, so neither a structure nor a free text can carry a key:

* `scrub` copies a structure (a deployment, its client arguments, a run_info.json) with the value of
  every secret-named key replaced by ``[REDACTED]``. A name is secret when one of its words is key,
  token, secret, password or the like: ``api_key``, ``openaiApiKey``, ``access-token``,
  ``client_secret``. ``max_tokens``, ``num_tokens``, ``tokenizer_name`` are not secrets (``tokens``
  and ``tokenizer`` are other words).
* `remember` adds a value to a process-wide registry of known secrets, fed by credentials loading,
  client construction and object creation (secret-named arguments). `redact` blanks every known
  secret, and anything shaped like one (``Bearer …``, ``sk-…``, ``api_key=…``, a URL's password),
  from a text. `RedactingFilter`, installed on the CLI's log handlers, runs it over every log
  record, so no log line carries a key even when an SDK error quotes a header.

Values shorter than `MIN_SECRET_LEN` characters are not remembered: no real key is that short, and
blanking them from free text would blank ordinary words. `scrub` redacts by name, whatever the length.
"""

from __future__ import annotations

import logging
import re
import sys
import threading
from collections.abc import Iterable, Mapping
from types import TracebackType
from typing import Any

REDACTED = "[REDACTED]"
MIN_SECRET_LEN = 6

_SECRET_WORDS = frozenset(
    {
        "key",
        "apikey",
        "token",
        "secret",
        "password",
        "passwd",
        "pwd",
        "passphrase",
        "credential",
        "credentials",
        "authorization",
        "bearer",
    }
)
_WORD = re.compile(r"[A-Z]?[a-z0-9]+|[A-Z]+(?![a-z])")

# Shapes of secrets a text may quote even when the value itself is not known.
_SECRET_SHAPES = re.compile(
    r"(?i)(bearer\s+)[^\s'\",;}]+"  # an Authorization header value
    r"|\bsk-[A-Za-z0-9_\-]{8,}"  # OpenAI-style keys
    r"|(api[_-]?key['\"]?\s*[:=]\s*['\"]?)[^\s'\",;}]+"  # api_key=…, "api_key": "…"
    r"|(://[^/\s:@'\"]+:)[^/\s@'\"]+(?=@)"  # the password in scheme://user:password@host
)

_lock = threading.Lock()
_known: set[str] = set()
_longest_first: tuple[str, ...] = ()


def name_words(name: str) -> list[str]:
    """``openaiApiKey`` → ``["openai", "api", "key"]``; ``api_key`` → ``["api", "key"]``."""
    return [w.lower() for w in _WORD.findall(name)]


def is_secret_name(name: str) -> bool:
    return any(w in _SECRET_WORDS for w in name_words(str(name)))


def scrub(obj: Any) -> Any:
    """A copy of `obj` (dicts, lists, tuples) with every secret-named key's value redacted, and known
    secrets redacted inside the strings that remain (a key pasted into a URL or a command line)."""
    if isinstance(obj, Mapping):
        return {
            k: (REDACTED if is_secret_name(str(k)) and v not in (None, "") else scrub(v))
            for k, v in obj.items()
        }
    if isinstance(obj, (list, tuple)):
        return [scrub(v) for v in obj]
    if isinstance(obj, str):
        return redact(obj)
    return obj


# --- the registry of known values ----------------------------------------------------------------


def remember(*values: Any) -> None:
    """Treat each string value (of at least `MIN_SECRET_LEN` characters) as a secret from now on."""
    global _longest_first
    wanted = {v for v in values if isinstance(v, str) and len(v) >= MIN_SECRET_LEN}
    with _lock:
        if wanted <= _known:
            return
        _known.update(wanted)
        _longest_first = tuple(sorted(_known, key=len, reverse=True))


def remember_args(args: Any) -> None:
    """Remember the values of every secret-named key in `args` (nested mappings and lists too)."""
    remember(*_secret_values(args))


def _secret_values(obj: Any) -> Iterable[str]:
    if isinstance(obj, Mapping):
        for k, v in obj.items():
            if is_secret_name(str(k)):
                yield from strings(v)
            else:
                yield from _secret_values(v)
    elif isinstance(obj, (list, tuple)):
        for v in obj:
            yield from _secret_values(v)


def strings(obj: Any) -> Iterable[str]:
    """Every string in `obj`, nested ones too (a secret-named key may hold a mapping of keys)."""
    if isinstance(obj, str):
        yield obj
    elif isinstance(obj, Mapping):
        for v in obj.values():
            yield from strings(v)
    elif isinstance(obj, (list, tuple)):
        for v in obj:
            yield from strings(v)
    elif isinstance(obj, (int, float)) and not isinstance(obj, bool):
        yield str(obj)  # YAML and HOCON read an all-digit key as a number


def redact(text: str, extra: Iterable[str | None] = ()) -> str:
    """`text` with every known secret, each of `extra`, and anything shaped like a key blanked."""
    secrets = _longest_first
    more = [s for s in extra if s and len(s) >= MIN_SECRET_LEN and s not in secrets]
    if more:
        secrets = tuple(sorted({*secrets, *more}, key=len, reverse=True))
    for secret in secrets:
        if secret in text:
            text = text.replace(secret, REDACTED)
    return _SECRET_SHAPES.sub(lambda m: (m.group(1) or m.group(2) or m.group(3) or "") + REDACTED, text)


# --- logs and tracebacks -----------------------------------------------------------------------


class RedactingFilter(logging.Filter):
    """Rewrites each record's message (and its traceback text) with `redact`; drops nothing.

    Installed on handlers, not loggers: a handler's filter sees the records of every logger that
    propagates to it, SDKs' included.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a malformed call; logging reports it itself
            return True
        clean = redact(message)
        if clean != message or record.args:
            record.msg, record.args = clean, ()
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        if record.stack_info:
            record.stack_info = redact(record.stack_info)
        return True


def install(logger: logging.Logger | None = None) -> None:
    """Put one `RedactingFilter` on every handler of `logger` (the root logger by default) and make
    uncaught exceptions print redacted tracebacks. Calling it again adds nothing."""
    for handler in (logger or logging.getLogger()).handlers:
        if not any(isinstance(f, RedactingFilter) for f in handler.filters):
            handler.addFilter(RedactingFilter())
    if getattr(sys.excepthook, "__name__", "") != _redacting_excepthook.__name__:
        sys.excepthook = _redacting_excepthook


def _redacting_excepthook(kind: type[BaseException], value: BaseException, tb: TracebackType | None) -> None:
    import traceback

    sys.stderr.write(redact("".join(traceback.format_exception(kind, value, tb))))
