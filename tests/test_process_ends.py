"""However a server or worker process is stopped, what it tracked arrives exactly once.

Each case starts a real app (``tests/apps/``) with the command line the README gives
for it, drives it with real HTTP requests (or Celery tasks), checks that nothing has
been sent yet (the apps queue for a minute), stops it with SIGTERM as Docker,
Kubernetes and systemd do, and then checks that the mock server received every event
exactly once and that the process ended as it does without the SDK.
"""

from __future__ import annotations

import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from typing import Any

import pytest

from trodo.testing import MockTrodoServer

from .delivery_support import Gate
from .process_support import app, exactly_once, hit_ids, lost_reports, until

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")
HITS = 30
KILLED_BY_SIGTERM = -signal.SIGTERM


def _hit_and_stop(process, server: MockTrodoServer, path: str = "/hit", hits: int = HITS) -> int:
    process.wait_for_port()
    process.hit((f"{path}?i={i}" for i in range(hits)), concurrency=4)
    assert server.events == [], "the app should still hold its events (flush interval 60 s)"
    return process.terminate()


def _delivered_exactly_once(process, server: MockTrodoServer, hits: int = HITS) -> None:
    got = hit_ids(server.events)
    missing = sorted(set(range(hits)) - set(got))
    twice = sorted(i for i, n in got.items() if n > 1)
    assert got == exactly_once(hits), (
        f"{len(missing)} of {hits} missing {missing[:10]}, duplicated {twice[:10]}\n"
        f"--- app output ---\n{process.output()[-3000:]}"
    )
    assert lost_reports(process.output()) == {}
    assert server.violations == []


# -- where the SDK takes SIGTERM over (in this process) --------------------------------------


@pytest.fixture
def sigterm_kept() -> Iterator[None]:
    """Whatever a test does to SIGTERM's handler, the suite gets its own back."""
    saved = signal.getsignal(signal.SIGTERM)
    yield
    signal.signal(signal.SIGTERM, saved)


def _handler_after_a_client(server: MockTrodoServer, before: Any, **options: Any) -> Any:
    signal.signal(signal.SIGTERM, before)
    server.client(batch_enabled=True, **options)
    return signal.getsignal(signal.SIGTERM)


@pytest.mark.usefixtures("sigterm_kept")
def test_the_sdk_takes_over_sigterms_default_action(trodo_server: MockTrodoServer) -> None:
    assert callable(_handler_after_a_client(trodo_server, signal.SIG_DFL))


@pytest.mark.usefixtures("sigterm_kept")
def test_a_sigterm_the_app_ignores_stays_ignored(trodo_server: MockTrodoServer) -> None:
    assert _handler_after_a_client(trodo_server, signal.SIG_IGN) is signal.SIG_IGN


@pytest.mark.usefixtures("sigterm_kept")
def test_with_handle_sigterm_off_the_handler_stays_as_it_was(
    trodo_server: MockTrodoServer,
) -> None:
    handler = _handler_after_a_client(trodo_server, signal.SIG_DFL, handle_sigterm=False)
    assert handler is signal.SIG_DFL


@pytest.mark.usefixtures("sigterm_kept")
def test_a_client_made_off_the_main_thread_leaves_sigterm_alone(
    trodo_server: MockTrodoServer,
) -> None:
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    maker = threading.Thread(target=lambda: trodo_server.client(batch_enabled=True))
    maker.start()
    maker.join()
    assert signal.getsignal(signal.SIGTERM) is signal.SIG_DFL


# -- a plain script and `python app.py` ----------------------------------------------------

_LET_GO = """
import gc, sys, trodo

def work():
    client = trodo.TrodoClient("test-site", api_base=sys.argv[1], batch_enabled=True,
                               batch_flush_interval=60)
    for i in range(5):
        client.track("user_42", "hit", {"i": i})

work()  # the app keeps no reference to the client, and never shuts it down
gc.collect()
"""


def test_a_client_the_app_let_go_of_still_delivers_at_exit(trodo_server: MockTrodoServer) -> None:
    done = subprocess.run(
        [sys.executable, "-c", _LET_GO, trodo_server.url],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert hit_ids(trodo_server.events) == exactly_once(5)


def test_a_script_stopped_by_sigterm_delivers_its_queue_and_dies_by_the_signal(
    trodo_server: MockTrodoServer,
) -> None:
    with app(trodo_server, ["python", "app.py"], {"app.py": "script.py"}) as process:
        process.wait_for_output("READY")
        assert process.terminate() == KILLED_BY_SIGTERM
        _delivered_exactly_once(process, trodo_server, 1000)


def test_flasks_dev_server_stopped_by_sigterm_delivers_every_event(
    trodo_server: MockTrodoServer,
) -> None:
    with app(trodo_server, ["python", "app.py"], {"app.py": "flask_app.py"}) as process:
        assert _hit_and_stop(process, trodo_server) == KILLED_BY_SIGTERM
        _delivered_exactly_once(process, trodo_server)


def test_with_handle_sigterm_off_the_sdk_leaves_sigterm_alone(
    trodo_server: MockTrodoServer,
) -> None:
    env = {"TRODO_HANDLE_SIGTERM": "0", "TRODO_EVENTS": "5"}
    with app(trodo_server, ["python", "app.py"], {"app.py": "script.py"}, env) as process:
        process.wait_for_output("READY")
        assert process.terminate() == KILLED_BY_SIGTERM
        assert trodo_server.events == []  # the default action: killed on the spot


@pytest.mark.parametrize(
    "variant", ["own_handler_first", "own_handler_after"], ids=["before", "after"]
)
def test_an_apps_own_sigterm_handler_still_decides_how_the_process_ends(
    trodo_server: MockTrodoServer, variant: str
) -> None:
    env = {"TRODO_APP_VARIANT": variant, "TRODO_EVENTS": "50"}
    with app(trodo_server, ["python", "app.py"], {"app.py": "script.py"}, env) as process:
        process.wait_for_output("READY")
        assert process.terminate() == 3  # the app's handler ran: sys.exit(3)
        assert "OWN HANDLER" in process.output()
        _delivered_exactly_once(process, trodo_server, 50)


def test_a_second_sigterm_reaches_the_apps_own_handler_at_once(
    trodo_server: MockTrodoServer,
) -> None:
    env = {"TRODO_APP_VARIANT": "graceful_then_forced", "TRODO_EVENTS": "50"}
    with app(trodo_server, ["python", "app.py"], {"app.py": "script.py"}, env) as process:
        process.wait_for_output("READY")
        process.signal(signal.SIGTERM)
        process.wait_for_output("OWN HANDLER 1")
        assert process.running()  # the app's handler chose to go on
        process.signal(signal.SIGTERM)
        assert process.wait_for_exit() == 4
        assert "OWN HANDLER 2" in process.output()
        _delivered_exactly_once(process, trodo_server, 50)


def test_events_that_cannot_be_delivered_within_shutdown_timeout_are_reported_lost(
    trodo_server: MockTrodoServer,
) -> None:
    held = Gate()
    trodo_server.respond_with(held)  # no answer for a minute
    env = {"TRODO_EVENTS": "20", "TRODO_SHUTDOWN_TIMEOUT": "1"}
    try:
        with app(trodo_server, ["python", "app.py"], {"app.py": "script.py"}, env) as process:
            process.wait_for_output("READY")
            assert process.terminate() == KILLED_BY_SIGTERM
            assert lost_reports(process.output()) == {"shutdown": 20}
    finally:
        held.open()


def test_a_second_sigterm_ends_the_process_at_once(trodo_server: MockTrodoServer) -> None:
    held = Gate()
    trodo_server.respond_with(held)
    env = {"TRODO_EVENTS": "20", "TRODO_SHUTDOWN_TIMEOUT": "120"}
    try:
        with app(trodo_server, ["python", "app.py"], {"app.py": "script.py"}, env) as process:
            process.wait_for_output("READY")
            process.signal(signal.SIGTERM)
            held.wait_held()  # delivery has begun, and will wait for the held answer
            # Well inside shutdown_timeout: only the second signal can end it this soon.
            process.signal(signal.SIGTERM)
            assert process.wait_for_exit(30) == KILLED_BY_SIGTERM
    finally:
        held.open()


# -- uvicorn ---------------------------------------------------------------------------------

UVICORN = ["uvicorn", "app:app", "--host", "127.0.0.1", "--port", "{port}"]


@pytest.mark.parametrize(
    ("variant", "path"),
    [("import", "/hit"), ("lifespan", "/hit"), ("async", "/ahit")],
    ids=["client_at_import", "client_in_lifespan", "async_client_at_import"],
)
def test_uvicorn_stopped_by_sigterm_delivers_every_event(
    trodo_server: MockTrodoServer, variant: str, path: str
) -> None:
    pytest.importorskip("uvicorn")
    env = {"TRODO_APP_VARIANT": variant}
    with app(trodo_server, UVICORN, {"app.py": "asgi_app.py"}, env) as process:
        # uvicorn shuts down, then re-raises SIGTERM: the process dies by it, with or
        # without the SDK.
        assert _hit_and_stop(process, trodo_server, path) == KILLED_BY_SIGTERM
        _delivered_exactly_once(process, trodo_server)


@pytest.mark.parametrize(
    ("variant", "path"),
    [("import", "/hit"), ("async", "/ahit")],
    ids=["client_at_import", "async_client_at_import"],
)
def test_uvicorn_stopped_while_sending_delivers_every_event_once(
    trodo_server: MockTrodoServer, variant: str, path: str
) -> None:
    pytest.importorskip("uvicorn")
    # The sender posts every 50 ms: when SIGTERM comes, some events have arrived,
    # some are queued and a request may be under way (the 209 of 210).
    env = {"TRODO_APP_VARIANT": variant, "TRODO_FLUSH_INTERVAL": "0.05"}
    with app(trodo_server, UVICORN, {"app.py": "asgi_app.py"}, env) as process:
        process.wait_for_port()
        process.hit((f"{path}?i={i}" for i in range(210)), concurrency=8)
        assert process.terminate() == KILLED_BY_SIGTERM
        _delivered_exactly_once(process, trodo_server, 210)


def test_uvicorn_with_handle_sigterm_off_ends_exactly_the_same_way(
    trodo_server: MockTrodoServer,
) -> None:
    pytest.importorskip("uvicorn")
    env = {"TRODO_APP_VARIANT": "import", "TRODO_HANDLE_SIGTERM": "0"}
    with app(trodo_server, UVICORN, {"app.py": "asgi_app.py"}, env) as process:
        assert _hit_and_stop(process, trodo_server, hits=5) == KILLED_BY_SIGTERM
        assert trodo_server.events == []  # what the SDK's handling is there to prevent


# -- gunicorn --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "worker",
    [
        ["-k", "sync"],
        ["-k", "gthread", "--threads", "4"],
        ["-k", "gevent"],
        ["-k", "gevent", "--preload"],
    ],
    ids=["sync", "gthread", "gevent", "gevent_preload"],
)
def test_gunicorn_stopped_by_sigterm_delivers_every_event_from_every_worker(
    trodo_server: MockTrodoServer, worker: list[str]
) -> None:
    pytest.importorskip("gunicorn")
    if "gevent" in worker:
        pytest.importorskip("gevent")
    command = ["gunicorn", "-w", "2", *worker, "-b", "127.0.0.1:{port}", "app:app"]
    files = {"app.py": "flask_app.py", "gunicorn.conf.py": "gunicorn_conf.py"}
    with app(trodo_server, command, files) as process:
        # Both workers up: a worker still booting would miss the SIGTERM (gunicorn's
        # own behaviour, with or without the SDK) and be killed after 30 s.
        process.wait_for_output("WORKER READY", count=2)
        process.wait_for_port()
        process.hit((f"/hit?i={i}" for i in range(HITS)), concurrency=16)
        assert trodo_server.events == []
        assert process.terminate() == 0  # gunicorn's graceful stop exits 0
        _delivered_exactly_once(process, trodo_server)
        assert "WORKER TIMEOUT" not in process.output()


# -- celery ----------------------------------------------------------------------------------

CELERY = [
    "celery", "-A", "tasks", "worker", "-P", "prefork", "-c", "2", "--loglevel", "INFO",
    "--without-gossip", "--without-mingle", "--without-heartbeat",
]  # fmt: skip
TASKS = 30


@pytest.mark.parametrize(
    "variant", ["import", "process_init"], ids=["client_at_import", "client_in_process_init"]
)
def test_a_celery_prefork_worker_stopped_by_sigterm_delivers_every_event(
    trodo_server: MockTrodoServer, variant: str
) -> None:
    celery = pytest.importorskip("celery")
    env = {"TRODO_APP_VARIANT": variant}
    with app(trodo_server, CELERY, {"tasks.py": "celery_prefork.py"}, env) as process:
        broker = process.folder / "broker"
        broker.mkdir()
        sender = celery.Celery(broker="filesystem://")
        sender.conf.broker_transport_options = {
            "data_folder_in": str(broker),
            "data_folder_out": str(broker),
            "control_folder": str(process.folder / "control"),
        }
        for i in range(TASKS):
            sender.send_task("tasks.hit", args=[i])
        done = process.folder / "done"
        try:
            until(lambda: len(list(done.glob("*"))) == TASKS, 60, f"{TASKS} tasks to run")
        except AssertionError:
            process.kill_tree()
            raise AssertionError(process.output()) from None
        assert trodo_server.events == []
        assert process.terminate() == 0  # a warm shutdown exits 0
        _delivered_exactly_once(process, trodo_server, TASKS)
