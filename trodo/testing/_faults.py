"""Scripted misbehaviour of the mock server: faults, outages and custom answers."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from http import HTTPStatus
from typing import Any, Literal

Drop = Literal["before", "after"]


@dataclass(frozen=True)
class Answer:
    """An answer the mock server gives: status, JSON body and headers.

    ``body=None`` gives the API's usual body for the status:
    ``{"success": true}`` for 2xx, ``{"error": "<reason>"}`` otherwise.

    Example::

        Answer(429, headers={"Retry-After": "1"})
        Answer(200, {"success": True, "newDistinctId": "db_user_1001"})
    """

    status: int = 200
    body: Any = None
    headers: Mapping[str, str] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        """Whether the status is 2xx: the server accepted the request."""
        return 200 <= self.status < 300

    def json_body(self) -> Any:
        """The body to send: the given one, or the usual one for the status."""
        if self.body is not None:
            return self.body
        if self.ok:
            return {"success": True}
        try:
            reason = HTTPStatus(self.status).phrase
        except ValueError:
            reason = f"HTTP {self.status}"
        return {"error": reason}


Responder = Callable[[str, Any], "Answer | None"]
"""A function given a valid request's path and JSON body; it returns the
answer to give, or ``None`` for the normal one."""


@dataclass
class Fault:
    """One scripted fault, applied to the next ``remaining`` matching requests."""

    label: str
    remaining: int
    path: str | None = None
    answer: Answer | None = None
    delay: float = 0.0
    drop: Drop | None = None

    def matches(self, path: str) -> bool:
        return self.remaining > 0 and (self.path is None or self.path == path)


class FaultScript:
    """The faults waiting for requests, an outage, and responders; thread-safe.

    Scripted faults apply in the order they were added: a request takes the
    first fault whose path matches it (or that has no path).
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._faults: list[Fault] = []
        self._outage_until = 0.0
        self._outage_answer = Answer(503)
        self._responders: dict[str | None, Responder] = {}

    def add(self, fault: Fault) -> None:
        if fault.remaining < 1:
            raise ValueError(f"times must be at least 1, not {fault.remaining}")
        with self._lock:
            self._faults.append(fault)

    def take(self, path: str) -> Fault | None:
        """The fault for a request to ``path``, counted as used; ``None`` if none waits."""
        with self._lock:
            for fault in self._faults:
                if fault.matches(path):
                    fault.remaining -= 1
                    if fault.remaining == 0:
                        self._faults.remove(fault)
                    return fault
        return None

    def pending(self) -> int:
        """How many requests the scripted faults still wait for."""
        with self._lock:
            return sum(fault.remaining for fault in self._faults)

    def start_outage(self, seconds: float, answer: Answer) -> None:
        with self._lock:
            self._outage_until = time.monotonic() + seconds
            self._outage_answer = answer

    def outage(self) -> Answer | None:
        """The outage's answer while an outage lasts, else ``None``."""
        with self._lock:
            return self._outage_answer if time.monotonic() < self._outage_until else None

    def set_responder(self, responder: Responder | None, path: str | None) -> None:
        with self._lock:
            if responder is None:
                self._responders.pop(path, None)
            else:
                self._responders[path] = responder

    def responder(self, path: str) -> Responder | None:
        """The responder for ``path``: the one set for it, else the one set for all paths."""
        with self._lock:
            return self._responders.get(path) or self._responders.get(None)

    def clear(self) -> None:
        with self._lock:
            self._faults.clear()
            self._outage_until = 0.0
            self._responders.clear()
