"""HELM-JSON: dataclasses in field order, `None` fields dropped, indent 2, ASCII, atomic writes.

`json.dumps(..., indent=2)` falls back to the pure-Python encoder (the C one handles no indent before
Python 3.13) and joins millions of small strings in memory, so large result files are written by
`dump` instead: one recursive pass straight over dataclasses (no intermediate dicts), streamed to
the file in chunks. Its output is byte-identical to ``json.dumps(to_jsonable(obj), indent=2)``.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable
from json.encoder import encode_basestring_ascii
from typing import Any

from helm_lite.common.atomic_file import atomic_open

_FIELDS: dict[type, tuple[str, ...]] = {}
_KEYS: dict[type, tuple[tuple[str, str], ...]] = {}
_esc = encode_basestring_ascii
_frepr = float.__repr__
_irepr = int.__repr__


def _field_names(cls: type) -> tuple[str, ...]:
    names = _FIELDS.get(cls)
    if names is None:
        names = _FIELDS[cls] = tuple(f.name for f in dataclasses.fields(cls))
    return names


def _is_dataclass_instance(obj: Any) -> bool:
    return dataclasses.is_dataclass(obj) and not isinstance(obj, type)


def to_jsonable(obj: Any) -> Any:
    """Convert dataclasses (dropping `None` fields at every dataclass level) into plain JSON data."""
    if _is_dataclass_instance(obj):
        out: dict[str, Any] = {}
        for name in _field_names(type(obj)):
            value = getattr(obj, name)
            if value is not None:
                out[name] = to_jsonable(value)
        return out
    if isinstance(obj, dict):
        return {k: to_jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [to_jsonable(v) for v in obj]
    return obj


def _float(o: float) -> str:
    if o != o:
        return "NaN"
    if o == math.inf:
        return "Infinity"
    if o == -math.inf:
        return "-Infinity"
    return float.__repr__(o)


def _key(k: Any) -> str:
    """Dict keys as `json` converts them."""
    if isinstance(k, str):
        return encode_basestring_ascii(k)
    if k is True:
        return '"true"'
    if k is False:
        return '"false"'
    if k is None:
        return '"null"'
    if isinstance(k, int):
        return '"' + int.__repr__(k) + '"'
    if isinstance(k, float):
        return '"' + _float(k) + '"'
    raise TypeError(f"keys must be str, int, float, bool or None, not {k.__class__.__name__}")


def _keys(cls: type) -> tuple[tuple[str, str], ...]:
    """(field name, encoded key prefix) per dataclass field."""
    keys = _KEYS.get(cls)
    if keys is None:
        keys = _KEYS[cls] = tuple((n, encode_basestring_ascii(n) + ": ") for n in _field_names(cls))
    return keys


def _items(obj: Any) -> list[tuple[str, Any]]:
    """(encoded key prefix, value) pairs of a dict or dataclass, `None` dataclass fields dropped."""
    if type(obj) is dict:
        return [
            ((encode_basestring_ascii(k) if type(k) is str else _key(k)) + ": ", v) for k, v in obj.items()
        ]
    out = []
    for name, prefix in _keys(type(obj)):
        v = getattr(obj, name)
        if v is not None:
            out.append((prefix, v))
    return out


def _encode(obj: Any, newline: str) -> str:  # noqa: C901 - one flat dispatch, kept inline for speed
    """The indent-2 encoding of `obj`; `newline` is "\\n" plus the current indent.

    Scalars inside containers are encoded inline (no call per leaf); that is where the time goes.
    """
    t = type(obj)
    if t is list or t is tuple:
        if not obj:
            return "[]"
        inner = newline + "  "
        parts: list[str] = []
        app = parts.append
        for v in obj:
            tv = type(v)
            if tv is str:
                app(_esc(v))
            elif tv is float:
                app(_frepr(v) if v - v == 0.0 else _float(v))
            elif tv is int:
                app(_irepr(v))
            else:
                app(_encode(v, inner))
        return "[" + inner + ("," + inner).join(parts) + newline + "]"
    if t is dict or (t in _KEYS or _is_dataclass_instance(obj)):
        items = _items(obj) if t is dict else None
        if items is None:
            items = []
            for name, prefix in _keys(t):
                v = getattr(obj, name)
                if v is not None:
                    items.append((prefix, v))
        if not items:
            return "{}"
        inner = newline + "  "
        parts = []
        app = parts.append
        for prefix, v in items:
            tv = type(v)
            if tv is str:
                app(prefix + _esc(v))
            elif tv is float:
                app(prefix + (_frepr(v) if v - v == 0.0 else _float(v)))
            elif tv is int:
                app(prefix + _irepr(v))
            else:
                app(prefix + _encode(v, inner))
        return "{" + inner + ("," + inner).join(parts) + newline + "}"
    if t is str:
        return _esc(obj)
    if t is float:
        return _frepr(obj) if obj - obj == 0.0 else _float(obj)
    if t is int:
        return _irepr(obj)
    if obj is None:
        return "null"
    if obj is True:
        return "true"
    if obj is False:
        return "false"
    if isinstance(obj, str):
        return _esc(obj)
    if isinstance(obj, int):
        return _irepr(obj)
    if isinstance(obj, float):
        return _float(obj)
    if isinstance(obj, (list, tuple)):
        return _encode(list(obj), newline)
    if isinstance(obj, dict):
        return _encode(dict(obj), newline)
    raise TypeError(f"Object of type {t.__name__} is not JSON serializable")


def _stream(obj: Any, newline: str, write: Callable[[str], object], depth: int) -> None:
    """Write `obj`, element by element for the outer `depth` levels of containers (bounded memory)."""
    t = type(obj)
    is_list = t is list or t is tuple
    if depth <= 0 or not (is_list or t is dict or _is_dataclass_instance(obj)):
        write(_encode(obj, newline))
        return
    inner = newline + "  "
    if is_list:
        if not obj:
            write("[]")
            return
        write("[" + inner)
        for i, v in enumerate(obj):
            if i:
                write("," + inner)
            _stream(v, inner, write, depth - 1)
        write(newline + "]")
        return
    items = _items(obj)
    if not items:
        write("{}")
        return
    write("{" + inner)
    for i, (prefix, v) in enumerate(items):
        write(("," + inner + prefix) if i else prefix)
        _stream(v, inner, write, depth - 1)
    write(newline + "}")


def dump(obj: Any, write: Callable[[str], object]) -> None:
    """Write the HELM-JSON text of `obj` through `write`, a piece per top-level element."""
    _stream(obj, "\n", write, 2)


def dumps(obj: Any) -> str:
    """Exactly ``json.dumps(to_jsonable(obj), indent=2)``."""
    parts: list[str] = []
    dump(obj, parts.append)
    return "".join(parts)


def write_text_atomic(path: str, text: str) -> None:
    """Write via a temp file in the same directory and rename, so readers never see half a file."""
    _write_atomic(path, lambda write: write(text))


def _write_atomic(path: str, produce: Callable[[Callable[[str], object]], object]) -> None:
    with atomic_open(path) as f:
        produce(f.write)


def write_json_atomic(path: str, obj: Any) -> None:
    _write_atomic(path, lambda write: dump(obj, write))


def is_nan(x: Any) -> bool:
    return isinstance(x, float) and math.isnan(x)
