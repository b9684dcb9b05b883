"""The request engine: one path from Requests to RequestResults for every provider and executor."""

from helm_lite.engine.dispatch import (
    LOCAL_DISPATCHER,
    Dispatcher,
    Done,
    LocalDispatcher,
    Outcome,
    try_compute,
)
from helm_lite.engine.request_engine import Progress, RequestEngine
from helm_lite.engine.store import AnswerStore

__all__ = [
    "LOCAL_DISPATCHER",
    "AnswerStore",
    "Dispatcher",
    "Done",
    "LocalDispatcher",
    "Outcome",
    "Progress",
    "RequestEngine",
    "try_compute",
]
