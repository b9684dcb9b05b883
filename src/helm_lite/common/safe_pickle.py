"""Loading cache values without running code: pickles that can only build plain data.

A cache file is shared, copied and downloaded, and `pickle.loads` on a planted value runs whatever it
names. The values HELM and helm_lite store are plain data (dicts, lists, tuples, str, bytes, int,
float, bool, None): pickle builds all of them with dedicated opcodes, without looking up any name, so
an unpickler whose `find_class` refuses every name loads them unchanged while a value that names a
callable (`os.system`, `subprocess.Popen`, any class) fails before anything runs. The C unpickler
calls `find_class` only when a pickle names something, so plain values cost what `pickle.loads` costs.
Older protocols (0-2) build a few plain types by name; those harmless constructors are allowed.
"""

from __future__ import annotations

import io
import pickle
from typing import Any

#: Names that protocols 0-2 use for plain data: side-effect-free constructors of inert values.
_PLAIN_CONSTRUCTORS: dict[tuple[str, str], Any] = {
    ("_codecs", "encode"): __import__("_codecs").encode,  # bytes under protocol 2
    ("builtins", "bytearray"): bytearray,
    ("builtins", "set"): set,
    ("builtins", "frozenset"): frozenset,
    ("__builtin__", "set"): set,  # protocol 0-2 pickles written by Python 2
    ("__builtin__", "frozenset"): frozenset,
    ("__builtin__", "bytearray"): bytearray,
}


class UnsafePickleError(pickle.UnpicklingError):
    """The pickle names a callable or class: loading it could run code, so it is refused."""


class _PlainUnpickler(pickle.Unpickler):
    def find_class(self, module: str, name: str) -> Any:
        try:
            return _PLAIN_CONSTRUCTORS[(module, name)]
        except KeyError:
            raise UnsafePickleError(f"refused to load {module}.{name}") from None


def loads_plain(data: bytes) -> Any:
    """`pickle.loads` for untrusted bytes: plain data only, never a lookup of anything callable.

    Raises `UnsafePickleError` for a pickle that names anything else, and the usual unpickling
    errors (`UnpicklingError`, `EOFError`, `ValueError`, …) for garbled bytes.
    """
    return _PlainUnpickler(io.BytesIO(data)).load()
