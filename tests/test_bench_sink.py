"""The benchmark sink's counting and parsing, and the table's verdicts (no timing here)."""

from __future__ import annotations

import asyncio
import json
from typing import Any

from bench.report import Outcome, table
from bench.sink import OK_BODY, Tally, _Connection


def _trodo_event(i: int) -> dict[str, Any]:
    return {"event_name": "purchase", "custom_properties": {"plan": "pro", "i": i}}


def test_bulk_events_are_counted_per_path_and_delivered_once_each() -> None:
    tally = Tally(expected=3)
    tally.add_body("/api/events/bulk", {"events": [_trodo_event(0), _trodo_event(1)]})
    tally.add_body("/api/events", _trodo_event(2))

    snapshot = tally.snapshot()

    assert snapshot["delivered"] == 3
    assert snapshot["missing"] == 0
    assert snapshot["events_by_path"] == {"/api/events/bulk": 2, "/api/events": 1}


def test_an_event_sent_twice_is_a_duplicate_not_a_second_delivery() -> None:
    tally = Tally(expected=2)
    tally.add_body("/api/events/bulk", {"events": [_trodo_event(0), _trodo_event(1)]})
    tally.add_body("/api/events/bulk", {"events": [_trodo_event(1)]})

    snapshot = tally.snapshot()

    assert snapshot["delivered"] == 2
    assert snapshot["duplicates"] == 1


def test_expected_ids_never_received_are_missing() -> None:
    tally = Tally(expected=5)
    tally.add_body("/api/events/bulk", {"events": [_trodo_event(0), _trodo_event(4)]})

    assert tally.snapshot()["missing"] == 3


def test_ids_outside_the_expected_range_are_unexpected_not_delivered() -> None:
    tally = Tally(expected=1)
    tally.add_body("/api/events/bulk", {"events": [_trodo_event(0), _trodo_event(7)]})

    snapshot = tally.snapshot()

    assert (snapshot["delivered"], snapshot["unexpected"]) == (1, 1)


def test_peer_batches_are_counted_from_their_properties() -> None:
    tally = Tally(expected=2)
    tally.add_body("/batch/", {"batch": [{"event": "purchase", "properties": {"i": 0}}]})
    tally.add_body("/v1/batch", {"batch": [{"event": "purchase", "properties": {"i": 1}}]})

    snapshot = tally.snapshot()

    assert snapshot["delivered"] == 2
    assert snapshot["events_by_path"] == {"/batch/": 1, "/v1/batch": 1}


def test_events_without_an_id_are_counted_as_untagged() -> None:
    tally = Tally(expected=0)
    tally.add_body("/api/events", {"event_name": "purchase", "custom_properties": {}})

    assert tally.snapshot()["untagged"] == 1


def test_session_registrations_count_as_requests_not_events() -> None:
    tally = Tally(expected=0)
    tally.add_body("/api/sdk/track", {"sessionData": {"session_id": "s"}})

    snapshot = tally.snapshot()

    assert snapshot["requests_by_path"] == {"/api/sdk/track": 1}
    assert snapshot["events"] == 0


class _RecordingTransport(asyncio.Transport):
    def __init__(self) -> None:
        super().__init__()
        self.written = bytearray()
        self.closed = False

    def write(self, data: bytes | bytearray | memoryview) -> None:
        self.written += data

    def close(self) -> None:
        self.closed = True


def _request(path: str, body: dict[str, Any]) -> bytes:
    payload = json.dumps(body).encode()
    head = f"POST {path} HTTP/1.1\r\nHost: sink\r\nContent-Length: {len(payload)}\r\n\r\n"
    return head.encode() + payload


def _connection(tally: Tally) -> tuple[_Connection, _RecordingTransport]:
    connection = _Connection([tally])
    transport = _RecordingTransport()
    connection.connection_made(transport)
    return connection, transport


def test_a_request_split_across_reads_is_answered_once_its_body_is_complete() -> None:
    tally = Tally(expected=1)
    connection, transport = _connection(tally)
    raw = _request("/api/events", _trodo_event(0))

    connection.data_received(raw[:10])
    connection.data_received(raw[10:-3])
    answered_early = bytes(transport.written)
    connection.data_received(raw[-3:])

    assert answered_early == b""
    assert transport.written.endswith(OK_BODY)
    assert tally.snapshot()["delivered"] == 1


def test_two_requests_in_one_read_get_two_answers_on_the_kept_alive_connection() -> None:
    tally = Tally(expected=2)
    connection, transport = _connection(tally)

    connection.data_received(
        _request("/api/events", _trodo_event(0)) + _request("/api/events", _trodo_event(1))
    )

    assert transport.written.count(b"HTTP/1.1 200 OK") == 2
    assert not transport.closed
    assert tally.snapshot()["delivered"] == 2


def test_a_body_that_is_not_json_is_answered_and_counted_as_invalid() -> None:
    tally = Tally(expected=0)
    connection, transport = _connection(tally)

    connection.data_received(b"POST /api/events HTTP/1.1\r\nContent-Length: 3\r\n\r\n{x}")

    assert transport.written.endswith(OK_BODY)
    assert tally.snapshot()["invalid"] == 1


def _run(**figures: float) -> dict[str, Any]:
    return {
        "caller_us": 1.0,
        "flush_ms": 1.0,
        "events_per_s": 50_000.0,
        "rss_mb": 1.0,
        "expected": 10,
        "delivered": 10,
        "duplicates": 0,
        "missing": 0,
        "invalid": 0,
        "requests_by_path": {},
    } | figures


def test_the_table_marks_a_cpu_figure_above_its_target_as_missed() -> None:
    outcomes = {
        "floor": Outcome(runs=[_run(cpu_us=10.0)]),
        "trodo_batch": Outcome(runs=[_run(cpu_us=14.0)]),
    }

    cpu_row = next(
        line
        for line in table(outcomes, n=10, single_n=1).splitlines()
        if "trodo" in line and "CPU" in line
    )

    assert "1.40× floor" in cpu_row  # noqa: RUF001
    assert "MISSED" in cpu_row


def test_the_fault_subjects_send_the_same_event_shape_as_every_other_scenario() -> None:
    # bench/fault_subjects.py imports nothing from the project (it also runs in the
    # vendor SDK's own environment), so it keeps its own copy of the event shape.
    from bench import fault_subjects, workload

    assert fault_subjects.EVENT_NAME == workload.EVENT_NAME
    assert [fault_subjects.properties(i) for i in range(500)] == [
        workload.properties(i) for i in range(500)
    ]
