"""Which `Host` headers helm-server answers: an exact list, the guard against DNS rebinding.

A hostile web page can make a browser resolve its own name (``evil.example``, ``127.0.0.1.evil.example``)
to 127.0.0.1 and then read whatever a local server answers; the browser still sends the hostile name in
``Host``. So a request is answered only when its Host names this server literally: a loopback name or
address (``localhost``, ``127.0.0.1``, ``[::1]``), the address given with ``--host`` (unless it is a
wildcard such as ``0.0.0.0``), or a name given with ``--allowed-host``, followed by the server's port
(which may be left out only on port 80). Prefixes, suffixes, other 127.x addresses and trailing dots do
not count.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

LOOPBACK_HOSTS = ("localhost", "127.0.0.1", "::1")
WILDCARD_ADDRESSES = ("", "0.0.0.0", "::")


def _normalise(name: str) -> str:
    name = name.strip().lower()
    return name[1:-1] if name.startswith("[") and name.endswith("]") else name


@dataclass(frozen=True)
class HostPolicy:
    """The host names (lower case, IPv6 without brackets) and the port a request may address."""

    names: frozenset[str]
    port: int

    @classmethod
    def for_server(cls, bind_host: str, port: int, allowed: Iterable[str] = ()) -> HostPolicy:
        names = set(LOOPBACK_HOSTS)
        if _normalise(bind_host) not in WILDCARD_ADDRESSES:
            names.add(_normalise(bind_host))
        names.update(_normalise(a) for a in allowed if a.strip())
        return cls(frozenset(names), port)

    def allows(self, header: str) -> bool:
        """True when `header` (a Host value) is one of `names`, with this port or (port 80) none."""
        header = header.strip()
        if not header.isascii() or any(c.isspace() or c in "/@\\" for c in header):
            return False
        if header.startswith("["):
            end = header.find("]")
            if end < 0:
                return False
            name, rest = header[1:end], header[end + 1 :]
            if rest and not rest.startswith(":"):
                return False
            port_text = rest[1:] if rest else None
        else:
            if header.count(":") > 1:
                return False
            name, sep, after = header.partition(":")
            port_text = after if sep else None
        if port_text is None:
            port_ok = self.port == 80
        else:
            port_ok = port_text.isdigit() and len(port_text) <= 5 and int(port_text) == self.port
        return port_ok and name.lower() in self.names

    def hint(self) -> str:
        """How to reach this server, for the 403 answer."""
        return f"open http://127.0.0.1:{self.port}/ or start helm-server with --allowed-host NAME"
