"""trodo.integrations.celery with a real worker subprocess on kombu's filesystem broker."""

from __future__ import annotations

import importlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from types import ModuleType

import pytest

pytest.importorskip("celery")
flask = pytest.importorskip("flask")

from trodo.integrations import celery as trodo_celery  # noqa: E402
from trodo.integrations.flask import init_app  # noqa: E402
from trodo.testing import MockTrodoServer  # noqa: E402

from .conftest import ROOT  # noqa: E402

HEADERS = {"X-Trodo-Distinct-Id": "anon_7f3e", "X-Trodo-Session-Id": "b7d4c1e2"}


@pytest.fixture
def tasks(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> ModuleType:
    """The test Celery app, its broker folder under tmp_path."""
    (tmp_path / "queue").mkdir()
    monkeypatch.setenv("TRODO_TEST_CELERY_DIR", str(tmp_path))
    module = importlib.import_module("tests.apps.celery_tasks")
    return importlib.reload(module)


def wait_for(condition: object, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():  # type: ignore[operator]
            return
        time.sleep(0.1)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")


def start_worker(server: MockTrodoServer, folder: Path) -> subprocess.Popen[str]:
    env = {
        **os.environ,
        "TRODO_SITE_ID": server.site_id,
        "TRODO_API_BASE": server.url,
        "TRODO_TEST_CELERY_DIR": str(folder),
    }
    command = [sys.executable, "-m", "celery", "-A", "tests.apps.celery_tasks", "worker"]
    command += ["--pool=prefork", "--concurrency=1", "--loglevel=WARNING"]
    command += ["--without-heartbeat", "--without-gossip", "--without-mingle"]
    return subprocess.Popen(
        command,
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def test_a_task_enqueued_in_a_request_runs_as_its_user_and_failures_arrive_at_shutdown(
    trodo_server: MockTrodoServer, tasks: ModuleType, tmp_path: Path, default_client: None
) -> None:
    web = flask.Flask(__name__)

    @web.post("/orders/<int:order_id>")
    def order(order_id: int) -> str:
        tasks.send_receipt.delay(order_id)
        tasks.charge.delay(order_id)
        return "queued"

    with trodo_server.client() as web_client:
        init_app(web, client=web_client)
        assert web.test_client().post("/orders/7", headers=HEADERS).status_code == 200
    tasks.send_receipt.delay(8)  # outside any request: no user travels

    worker = start_worker(trodo_server, tmp_path)
    try:
        done = tmp_path / "done.txt"
        wait_for(
            lambda: (
                (done.exists() and len(done.read_text().splitlines()) >= 3)
                or worker.poll() is not None
            ),
            90,
            "the worker to run the three tasks",
        )
        assert worker.poll() is None, worker.stdout.read() if worker.stdout else ""
        lines = sorted(done.read_text().splitlines())
        assert lines == ["charge", "send_receipt None", "send_receipt anon_7f3e"]
        # Batched with a 300 s interval: nothing has left the worker yet.
        assert trodo_server.events == []

        worker.send_signal(signal.SIGTERM)  # warm shutdown: the worker process ends
        output, _ = worker.communicate(timeout=60)
    finally:
        if worker.poll() is None:
            worker.kill()
            worker.wait(timeout=10)

    assert worker.returncode == 0, output
    events = {e["event_name"]: e for e in trodo_server.wait_for_events(2, timeout=10)}
    receipt, error = events["receipt_sent"], events["server_error"]
    assert (receipt["user_id"], receipt["session_id"]) == ("anon_7f3e", "b7d4c1e2")
    assert receipt["custom_properties"] == {"order": 7}
    assert (error["user_id"], error["session_id"]) == ("anon_7f3e", "b7d4c1e2")
    props = error["custom_properties"]
    assert (props["error_type"], props["task"]) == (
        "CardDeclinedError",
        "tests.apps.celery_tasks.charge",
    )
    assert len(trodo_server.events) == 2  # sent once, however many shutdown hooks ran


def test_the_publish_hook_adds_the_bound_users_ids_and_nothing_else(
    trodo_server: MockTrodoServer,
) -> None:
    from trodo import _current

    with trodo_server.client() as client:
        headers: dict[str, object] = {}
        token = _current.bind(client, "anon_1", "s-1")
        try:
            trodo_celery._on_publish(headers=headers)
        finally:
            _current.unbind(token)
        anonymous: dict[str, object] = {}
        token = _current.bind(client, None, "s-1")
        try:
            trodo_celery._on_publish(headers=anonymous)
        finally:
            _current.unbind(token)
    assert headers == {"trodo_distinct_id": "anon_1", "trodo_session_id": "s-1"}
    assert anonymous == {}
