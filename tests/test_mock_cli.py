"""The dev server command: python -m trodo.testing / trodo-mock-server."""

from __future__ import annotations

import queue
import signal
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from . import trodo_payloads as payloads
from .trodo_payloads import HEADERS

SCRIPT = Path(sys.executable).parent / "trodo-mock-server"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class DevServer:
    """The dev server in a subprocess, with its output read line by line."""

    def __init__(self, *args: str) -> None:
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.process = subprocess.Popen(
            [sys.executable, "-m", "trodo.testing", "--port", str(self.port), *args],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        self._lines: queue.Queue[str] = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self._lines.put(line.rstrip("\n"))

    def line(self, timeout: float = 10.0) -> str:
        """The next line, its column padding squeezed to single spaces."""
        return " ".join(self._lines.get(timeout=timeout).split())

    def lines(self, count: int) -> list[str]:
        return [self.line() for _ in range(count)]

    def stop(self) -> int:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
        return self.process.wait(timeout=10)


@pytest.fixture
def dev_server() -> Iterator[DevServer]:
    server = DevServer()
    try:
        yield server
    finally:
        server.stop()


def test_dev_server_announces_its_url(dev_server: DevServer) -> None:
    banner = dev_server.line()
    assert banner.startswith(f"Mock Trodo API on {dev_server.url} (site id: any)")
    assert f'trodo.init("test-site", api_base="{dev_server.url}")' in dev_server.line()


def test_dev_server_prints_each_request_as_it_arrives(dev_server: DevServer) -> None:
    dev_server.lines(2)
    with httpx.Client(base_url=dev_server.url, headers=HEADERS) as api:
        api.post("/api/sdk/track", json=payloads.session())
        session_line = dev_server.line()
        api.post("/api/events", json=payloads.event("purchase_completed"))
        event_line = dev_server.line()
        error = payloads.server_error()
        api.post("/api/events/bulk", json={"events": [payloads.event("signup"), error]})
        bulk_lines = dev_server.lines(3)
        api.post("/api/sdk/identify", json=payloads.identify())
        identify_line = dev_server.line()

    assert session_line.endswith(
        f"200 POST /api/sdk/track session distinct_id=user_42 session_id={payloads.SESSION}"
    )
    assert event_line.endswith(
        "200 POST /api/events event purchase_completed distinct_id=user_42 "
        '{"plan": "pro", "amount": 49.5}'
    )
    assert bulk_lines[0].endswith("200 POST /api/events/bulk 2 events")
    assert "event signup distinct_id=user_42" in bulk_lines[1]
    assert "event server_error (auto/error) distinct_id=user_42" in bulk_lines[2]
    assert identify_line.endswith("identify distinct_id=anon_7f3e identify_id=db_user_1001")


def test_dev_server_prints_violations_loudly_with_the_body(dev_server: DevServer) -> None:
    dev_server.lines(2)
    httpx.post(dev_server.url + "/api/events", json={"event_name": "x"}, headers=HEADERS)
    violation, body = dev_server.lines(2)
    assert "400 POST /api/events !!! VIOLATION: body: 'event_type' is a required property" in (
        violation
    )
    assert body.strip() == 'body: {"event_name":"x"}'


def test_dev_server_stops_on_interrupt_with_a_summary(dev_server: DevServer) -> None:
    dev_server.lines(2)
    httpx.post(dev_server.url + "/api/events/bulk", json=payloads.bulk("a", "b"), headers=HEADERS)
    httpx.post(dev_server.url + "/api/events", json={}, headers=HEADERS)
    dev_server.lines(5)
    assert dev_server.stop() == 0
    remaining = [dev_server.line(), dev_server.line()]
    assert remaining == [
        "",
        "Stopped after 2 request(s): 2 event(s) and 0 profile update(s) accepted, 1 violation(s).",
    ]


def test_dev_server_with_a_site_id_rejects_others() -> None:
    server = DevServer("--site-id", "site_123")
    try:
        assert "(site id: site_123)" in server.line()
        server.line()
        response = httpx.post(server.url + "/api/sdk/reset", json=payloads.reset(), headers=HEADERS)
        assert response.status_code == 401
        assert server.line().endswith("[unknown site id; not accepted]")
    finally:
        server.stop()


def test_dev_server_on_a_taken_port_exits_with_an_error() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = subprocess.run(
            [sys.executable, "-m", "trodo.testing", "--port", str(port)],
            check=False,
            capture_output=True,
            text=True,
            timeout=60,
        )
    assert result.returncode == 1
    assert f"cannot listen on 127.0.0.1:{port}" in result.stderr


def test_console_script_runs_the_dev_server_command() -> None:
    result = subprocess.run(
        [str(SCRIPT), "--help"], capture_output=True, text=True, check=True, timeout=60
    )
    assert result.stdout.startswith("usage: trodo-mock-server")
    assert "--merge-on-identify" in result.stdout


def test_dev_server_prints_profile_writes_with_their_operation(dev_server: DevServer) -> None:
    dev_server.lines(2)
    with httpx.Client(base_url=dev_server.url, headers=HEADERS) as api:
        api.post("/api/sdk/people/set", json={**payloads.PEOPLE, "properties": {"plan": "pro"}})
        people_line = dev_server.line()
        api.post("/api/sdk/groups/profile/delete", json=payloads.GROUP)
        group_line = dev_server.line()
        api.post("/api/sdk/users/upsert", json={"distinctId": "user_7"})
        upsert_line = dev_server.line()
    assert people_line.endswith(
        "200 POST /api/sdk/people/set people.set distinct_id=user_42 "
        '{"properties": {"plan": "pro"}}'
    )
    assert group_line.endswith(
        "200 POST /api/sdk/groups/profile/delete groups.profile.delete distinct_id=user_42 "
        '{"groupKey": "company", "groupId": "acme"}'
    )
    assert upsert_line.endswith("200 POST /api/sdk/users/upsert users.upsert distinct_id=user_7")
