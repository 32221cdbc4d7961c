"""The fault-scripting half of MockTrodoServer: the faults a test scripts, and how
they are applied to each valid request.

A mixin of `MockTrodoServer` (``_server.py``): ``fail_next``, ``delay_next``,
``drop_next``, ``accept_then_drop_next``, ``outage``, ``respond_with``, and the
decision (``_decide``) its handler asks for each request: the spec's 4xx, an
outage, a scripted fault, a responder's answer, or the API's usual answer.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from werkzeug.wrappers import Request

from trodo.testing._faults import Answer, Fault, FaultScript, Responder
from trodo.testing._records import IDENTIFY_PATH
from trodo.testing._spec import SITE_ID_HEADER, Problem, RequestChecker, parse_json, spec_paths


@dataclass(frozen=True)
class Outcome:
    """What the server does with one request. ``answer=None``: drop the connection."""

    answer: Answer | None
    accepted: bool
    fault: str | None = None
    problem: Problem | None = None


class FaultScripting:
    """How a `MockTrodoServer` answers: its scripted faults and the API's answers."""

    site_id: str
    check_site_id: bool
    merge_on_identify: bool
    _checker: RequestChecker
    _faults: FaultScript
    _stopping: threading.Event

    def fail_next(
        self,
        times: int = 1,
        *,
        status: int = 503,
        headers: Mapping[str, str] | None = None,
        body: Any = None,
        path: str | None = None,
    ) -> None:
        """Answer the next ``times`` valid requests (to ``path`` only, if given) with ``status``.

        Example::

            server.fail_next(status=429, headers={"Retry-After": "1"})
            server.fail_next(2, status=413, path="/api/events/bulk")
        """
        answer = Answer(status, body, dict(headers or {}))
        self._faults.add(Fault(f"scripted {status}", times, self._path(path), answer=answer))

    def delay_next(
        self,
        seconds: float,
        times: int = 1,
        *,
        status: int | None = None,
        path: str | None = None,
    ) -> None:
        """Hold the answer to the next ``times`` valid requests for ``seconds``.

        After the wait the request is handled as usual (and accepted, as a slow
        server would), or answered ``status`` when one is given. A client whose
        timeout is shorter sees a timeout.
        """
        answer = None if status is None else Answer(status)
        label = f"delayed {seconds:g}s" + ("" if status is None else f", then {status}")
        self._faults.add(Fault(label, times, self._path(path), answer=answer, delay=seconds))

    def drop_next(self, times: int = 1, *, path: str | None = None) -> None:
        """Close the connection of the next ``times`` valid requests without an answer.

        Nothing is accepted; the client sees the server disconnect.
        """
        self._faults.add(Fault("dropped", times, self._path(path), drop="before"))

    def accept_then_drop_next(self, times: int = 1, *, path: str | None = None) -> None:
        """Accept the next ``times`` valid requests, then close the connection unanswered.

        The ambiguous case: the events count as accepted (in ``events``) while
        the client sees a disconnect and cannot know they arrived.
        """
        self._faults.add(Fault("accepted then dropped", times, self._path(path), drop="after"))

    def outage(
        self, seconds: float, *, status: int = 503, headers: Mapping[str, str] | None = None
    ) -> None:
        """Answer every valid request with ``status`` for the next ``seconds``.

        An outage takes precedence over scripted faults and uses none of them.
        """
        self._faults.start_outage(seconds, Answer(status, None, dict(headers or {})))

    def respond_with(self, responder: Responder | None, *, path: str | None = None) -> None:
        """Let ``responder(path, body)`` choose the answer to each valid request.

        It returns an ``Answer``, or ``None`` for the normal answer. With
        ``path`` it sees only that endpoint's requests. ``None`` removes it.
        A 2xx answer counts as accepted.

        Example (reject a bulk request holding an event named "bad")::

            def reject_bad(path, body):
                if any(e["event_name"] == "bad" for e in body["events"]):
                    return Answer(400)
                return None

            server.respond_with(reject_bad, path="/api/events/bulk")
        """
        self._faults.set_responder(responder, self._path(path))

    def clear_faults(self) -> None:
        """Remove scripted faults, the outage and responders: normal answers again."""
        self._faults.clear()

    @property
    def pending_faults(self) -> int:
        """How many requests the scripted faults still wait for."""
        return self._faults.pending()

    # Applied on the server's threads -------------------------------------------------------

    def _decide(self, request: Request) -> Outcome:
        """What the server does with ``request``: the spec's 4xx, the outage, the next
        scripted fault for its path, or the usual answer (`_answer`)."""
        problem = self._checker.check(request)
        if problem is not None:
            answer = Answer(problem.status, {"error": problem.message})
            return Outcome(answer, accepted=False, problem=problem)
        body = parse_json(request.get_data())
        outage = self._faults.outage()
        if outage is not None:
            return Outcome(outage, accepted=outage.ok, fault=f"outage ({outage.status})")
        fault = self._faults.take(request.path)
        if fault is None:
            answer, why = self._answer(request, body)
            return Outcome(answer, accepted=answer.ok, fault=why)
        if fault.delay and self._stopping.wait(fault.delay):
            # Stopped mid-delay: a server going down answers nothing.
            return Outcome(None, accepted=False, fault=f"{fault.label}; server stopped")
        if fault.drop == "before":
            return Outcome(None, accepted=False, fault=fault.label)
        if fault.answer is not None:
            return Outcome(fault.answer, accepted=fault.answer.ok, fault=fault.label)
        answer, why = self._answer(request, body)
        if fault.drop == "after":
            return Outcome(None, accepted=answer.ok, fault=fault.label)
        return Outcome(answer, accepted=answer.ok, fault=fault.label if why is None else why)

    def _answer(self, request: Request, body: Any) -> tuple[Answer, str | None]:
        """The answer of a valid request with no fault, and why it is not the usual one."""
        if self.check_site_id and request.headers.get(SITE_ID_HEADER) != self.site_id:
            return Answer(401, {"error": "Unknown site id"}), "unknown site id"
        responder = self._faults.responder(request.path)
        if responder is not None:
            answer = responder(request.path, body)
            if answer is not None:
                return answer, "responder"
        if self.merge_on_identify and request.path == IDENTIFY_PATH:
            return Answer(200, {"success": True, "newDistinctId": body["identifyId"]}), None
        return Answer(200), None

    @staticmethod
    def _path(path: str | None) -> str | None:
        if path is not None and path not in spec_paths():
            raise ValueError(f"{path!r} is not a Trodo endpoint; one of {sorted(spec_paths())}")
        return path
