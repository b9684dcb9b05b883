"""Leases: which process is computing which missing cache entry, so processes sharing a cache file
do not pay twice for one answer.

A lease is a row in a table of the cache file itself (`helm_lite_leases`; HELM's sqlitedict reads
only its own table and ignores it): the key being computed, who computes it (a random owner id, the
pid and the host) and when the lease lapses unless its owner renews it. A lease is *live* while it has
not lapsed and, on this host, its process still exists: a process killed with SIGKILL frees its
leases at once for the processes on its host, a hung or suspended one when its lease lapses.
"""

from __future__ import annotations

import os
import socket
from dataclasses import dataclass

TABLE = "helm_lite_leases"
CREATE = (
    f'CREATE TABLE IF NOT EXISTS "{TABLE}" (key TEXT PRIMARY KEY, '
    "owner TEXT NOT NULL, pid INTEGER NOT NULL, host TEXT NOT NULL, expires REAL NOT NULL)"
)
HOST = socket.gethostname()


@dataclass(frozen=True)
class LeasePolicy:
    """Timings of the lease protocol (seconds)."""

    #: A lease not renewed for this long is free, whatever its process is doing.
    ttl_s: float = 30.0
    #: How often an owner renews its leases (well within `ttl_s`).
    renew_s: float = 10.0
    #: A waiter that has seen none of its awaited answers arrive for this long computes them itself:
    #: an owner that is alive but stuck cannot hang anyone.
    max_wait_s: float = 300.0
    #: Polling the cache for awaited answers starts at `poll_min_s` and backs off to `poll_max_s`.
    poll_min_s: float = 0.05
    poll_max_s: float = 1.0


@dataclass(frozen=True)
class Holder:
    """Who holds a lease, as stored in its row."""

    owner: str
    pid: int
    host: str
    expires: float

    def live(self, now: float) -> bool:
        """Not lapsed, and its process may still be working on it."""
        return self.expires > now and self.process_alive()

    def process_alive(self) -> bool:
        """False only when the process is known to be gone: on this host, no process has its pid."""
        return self.host != HOST or pid_alive(self.pid)

    def describe(self) -> str:
        return f"process {self.pid} on {self.host}"


def pid_alive(pid: int) -> bool:
    """Whether a process with this id exists on this host (signal 0 checks without sending)."""
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # exists, owned by another user
        return True
    return True
