"""Processes: a forked child gets a client of its own and never re-sends its parent's
queue; a process that exits without shutdown() still delivers, within shutdown_timeout.

A forked child runs its part inside ``_in_child``, which reports through its exit
code only and leaves with ``os._exit``: the child must not run pytest's teardown.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import time
from collections.abc import Callable, Iterator

import pytest

import trodo
from trodo import Stats
from trodo.testing import MockTrodoServer

from .delivery_support import EVENTS, PATIENCE, SESSIONS, Gate, KeepAliveServer, counts

posix_only = pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork")
QUIET = {"batch_enabled": True, "batch_size": 1000, "batch_flush_interval": 60.0}


def _in_child(body: Callable[[], bool]) -> int:
    """Fork; the child runs ``body`` and exits 0 when it returned True. Returns the pid."""
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child's coverage is its exit code
        code = 1
        try:
            code = 0 if body() else 2
        finally:
            os._exit(code)
    return pid


def _exit_code(pid: int, timeout: float = PATIENCE) -> int:
    """The child's exit code; a child still running after ``timeout`` is killed and fails."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            return os.waitstatus_to_exitcode(status)
        time.sleep(0.05)
    os.kill(pid, 9)
    os.waitpid(pid, 0)
    pytest.fail(f"the forked child did not finish within {timeout:g}s (deadlocked?)")


@pytest.fixture
def gate(trodo_server: MockTrodoServer) -> Iterator[Gate]:
    """Holds only the parent's bulk requests (events named "parent")."""
    held = Gate(lambda path, body: any(e["event_name"] == "parent" for e in body["events"]))
    trodo_server.respond_with(held, path="/api/events/bulk")
    yield held
    held.open()


# -- fork ---------------------------------------------------------------------------------


@posix_only
def test_a_forked_child_sends_only_its_own_events_and_the_parent_its_queue(
    trodo_server: MockTrodoServer,
) -> None:
    client = trodo_server.client(**QUIET)
    for _ in range(5):
        client.track("user_42", "parent")

    def child() -> bool:
        if client.stats().queued != 0:
            return False
        for _ in range(3):
            client.track("user_7", "child")
        return client.flush(PATIENCE) and client.stats().sent == 3

    assert _exit_code(_in_child(child)) == 0
    assert client.flush(PATIENCE)
    assert counts(trodo_server.events) == {"parent": 5, "child": 3}
    assert client.stats().sent == 5


@posix_only
def test_a_fork_while_the_worker_is_mid_send_leaves_the_child_working(
    trodo_server: MockTrodoServer, gate: Gate
) -> None:
    client = trodo_server.client(**QUIET)
    client.track("user_42", "parent")
    client.flush(timeout=0)
    gate.wait_held()  # the parent's worker now waits for the server's answer

    def child() -> bool:
        client.track("user_7", "child")
        return client.flush(PATIENCE)

    assert _exit_code(_in_child(child)) == 0
    gate.open()
    assert client.flush(PATIENCE)
    assert counts(trodo_server.events) == {"parent": 1, "child": 1}


@posix_only
def test_a_fork_while_the_worker_registers_a_session_leaves_that_user_working_in_the_child(
    trodo_server: MockTrodoServer,
) -> None:
    held = Gate(lambda path, body: held.held == 0)  # only the first registration
    trodo_server.respond_with(held, path=SESSIONS)
    client = trodo_server.client(**QUIET)
    try:
        client.track("user_42", "parent")
        client.flush(timeout=0)
        held.wait_held()  # the worker holds the session's registration lock

        def child() -> bool:
            client.track("user_42", "child")  # the same user, so the same session
            return client.flush(PATIENCE)

        assert _exit_code(_in_child(child)) == 0
    finally:
        held.open()
    assert client.flush(PATIENCE)
    assert counts(trodo_server.events) == {"parent": 1, "child": 1}


@posix_only
def test_a_client_shut_down_before_a_fork_stays_shut_down_in_the_child(
    trodo_server: MockTrodoServer,
) -> None:
    client = trodo_server.client(**QUIET)
    client.shutdown()

    def child() -> bool:
        client.track("user_7", "child")
        client.flush(PATIENCE)
        return client.stats() == Stats(dropped={"shutdown": 1})

    assert _exit_code(_in_child(child)) == 0
    assert trodo_server.requests == []


@posix_only
@pytest.mark.parametrize("batching", [True, False])
def test_a_forked_childs_stats_count_only_its_own_delivery(
    trodo_server: MockTrodoServer, batching: bool
) -> None:
    path = "/api/events/bulk" if batching else EVENTS
    client = trodo_server.client(batch_enabled=batching, batch_flush_interval=60.0)
    trodo_server.fail_next(status=503, path=path)  # retried, then accepted
    client.track("user_42", "parent")
    assert client.flush(PATIENCE)
    trodo_server.fail_next(status=400, path=path)  # rejected
    client.track("user_42", "refused")
    client.flush(PATIENCE)
    parents = Stats(sent=1, requests=3, retried=1, dropped={"rejected": 1})
    assert client.stats() == parents

    def child() -> bool:
        client.track("user_42", "child")
        return client.flush(PATIENCE) and client.stats() == Stats(sent=1, requests=1)

    assert _exit_code(_in_child(child)) == 0
    assert client.stats() == parents


@posix_only
def test_a_forked_child_opens_its_own_connections() -> None:
    with KeepAliveServer() as server:
        client = trodo.TrodoClient("site_1", api_base=server.url)
        try:
            client.track("user_42", "parent")
            parents = server.ports()

            def child() -> bool:
                client.track("user_42", "child")
                return client.stats().sent >= 1

            assert _exit_code(_in_child(child)) == 0
            client.track("user_42", "parent_again")
        finally:
            client.shutdown()
    paths_by_port = [(path, port in parents) for path, port in server.requests]
    assert paths_by_port == [
        (SESSIONS, True),
        (EVENTS, True),
        (EVENTS, False),  # the child's event: a connection of its own
        (EVENTS, True),  # the parent goes on with its kept-alive connection
    ]


# -- interpreter exit -----------------------------------------------------------------------


def _run(code: str, server: MockTrodoServer) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code), server.url],
        capture_output=True,
        text=True,
        timeout=PATIENCE,
        check=False,
    )


def test_a_process_that_exits_without_shutdown_delivers_what_was_queued(
    trodo_server: MockTrodoServer,
) -> None:
    result = _run(
        """
        import sys, trodo
        client = trodo.TrodoClient(
            "test-site", api_base=sys.argv[1], batch_enabled=True, batch_flush_interval=60
        )
        for i in range(5):
            client.track("user_42", f"e{i}")
        """,
        trodo_server,
    )
    assert result.returncode == 0, result.stderr
    assert counts(trodo_server.events) == {f"e{i}": 1 for i in range(5)}


def test_delivery_at_exit_is_bounded_by_shutdown_timeout(trodo_server: MockTrodoServer) -> None:
    held = Gate()
    trodo_server.respond_with(held)  # held for a minute: far past the run's timeout
    try:
        result = _run(
            """
            import sys, trodo
            client = trodo.TrodoClient(
                "test-site", api_base=sys.argv[1], batch_enabled=True,
                batch_flush_interval=60, shutdown_timeout=0.5,
                on_error=lambda e: print(e.reason, e.count),
            )
            for i in range(5):
                client.track("user_42", f"e{i}")
            """,
            trodo_server,
        )
    finally:
        held.open()
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["shutdown", "5"]


def _track_in_a_multiprocessing_child(client: trodo.TrodoClient) -> None:
    # Returns without flush() or shutdown(): the child then leaves through os._exit.
    for _ in range(4):
        client.track("user_mp", "from_child")


@posix_only
def test_a_multiprocessing_child_delivers_its_queue_when_it_ends(
    trodo_server: MockTrodoServer,
) -> None:
    import multiprocessing

    client = trodo_server.client(**QUIET)
    child = multiprocessing.get_context("fork").Process(
        target=_track_in_a_multiprocessing_child, args=(client,)
    )
    child.start()
    child.join(PATIENCE)
    assert child.exitcode == 0
    assert counts(trodo_server.events) == {"from_child": 4}


def test_flush_from_on_error_returns_instead_of_waiting_for_itself(
    trodo_server: MockTrodoServer, caplog: pytest.LogCaptureFixture
) -> None:
    results: list[bool] = []
    client: trodo.TrodoClient | None = None

    def on_error(error: trodo.DeliveryError) -> None:
        # Runs on the sender thread, which would otherwise wait for itself.
        assert client is not None
        client.track("user_42", "from_on_error")
        results.append(client.flush(PATIENCE))

    client = trodo_server.client(batch_enabled=True, on_error=on_error)
    trodo_server.fail_next(status=400, path="/api/events/bulk")
    client.track("user_42", "rejected")
    assert client.flush(PATIENCE) is False
    assert results == [False]
    assert any("cannot wait" in r.getMessage() for r in caplog.records)
    assert client.flush(PATIENCE) is True
    assert counts(trodo_server.events) == {"from_on_error": 1}
