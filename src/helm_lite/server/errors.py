"""The one error type of the server: a status and a one-line message the page shows."""

from __future__ import annotations


class ServeError(Exception):
    """A request the server answers with an error status and a one-line message (shown in the page)."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
