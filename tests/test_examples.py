"""Every example under examples/ runs, each in a fresh interpreter, against the mock server.

Each driver imports the example as it is and drives it the way its docstring
says (the framework's test client, a real Celery worker, a direct call), so an
example that stops working fails here.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

from trodo.testing import MockTrodoServer

from .conftest import ROOT

USER = {"X-Trodo-Distinct-Id": "anon_7f3e", "X-Trodo-Session-Id": "b7d4c1e2"}


def run(server: MockTrodoServer, driver: str, **env: str) -> str:
    """Run ``driver`` with examples/ importable and TRODO_* pointing at ``server``."""
    script = "import sys\nsys.path.insert(0, 'examples')\n" + textwrap.dedent(driver)
    result = subprocess.run(
        [sys.executable, "-c", script],
        cwd=ROOT,
        env={**os.environ, "TRODO_SITE_ID": server.site_id, "TRODO_API_BASE": server.url, **env},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def assert_order_and_error(server: MockTrodoServer, route: str) -> None:
    events = {e["event_name"]: e for e in server.events}
    viewed, error = events["order_viewed"], events["server_error"]
    assert (viewed["user_id"], viewed["session_id"]) == ("anon_7f3e", "b7d4c1e2")
    assert viewed["custom_properties"]["order_id"] == 7
    assert error["user_id"] == "anon_7f3e"
    props = error["custom_properties"]
    assert (props["error_type"], props["route"], props["status"]) == ("PaymentError", route, 500)
    assert len(server.events) == 2


def test_the_django_example(trodo_server: MockTrodoServer) -> None:
    out = run(
        trodo_server,
        f"""
        import django_app, django
        django.setup()
        from django.test import Client
        http = Client(raise_request_exception=False)
        headers = {{f"HTTP_{{k.upper().replace('-', '_')}}": v for k, v in {USER!r}.items()}}
        print(http.get("/orders/7/", **headers).status_code)
        print(http.post("/orders/7/pay/", **headers).status_code)
        """,
    )
    assert out.split() == ["200", "500"]
    assert_order_and_error(trodo_server, "/orders/<int:order_id>/pay/")


def test_the_flask_example(trodo_server: MockTrodoServer) -> None:
    out = run(
        trodo_server,
        f"""
        import flask_app
        http = flask_app.app.test_client()
        print(http.get("/orders/7", headers={USER!r}).status_code)
        print(http.post("/orders/7/pay", headers={USER!r}).status_code)
        """,
    )
    assert out.split() == ["200", "500"]
    assert_order_and_error(trodo_server, "/orders/<int:order_id>/pay")


def test_the_fastapi_example(trodo_server: MockTrodoServer) -> None:
    out = run(
        trodo_server,
        f"""
        import warnings
        warnings.simplefilter("ignore")
        import fastapi_app
        from starlette.testclient import TestClient
        with TestClient(fastapi_app.app, raise_server_exceptions=False) as http:
            print(http.get("/orders/7", headers={USER!r}).status_code)
            print(http.post("/orders/7/pay", headers={USER!r}).status_code)
        """,
    )
    assert out.split() == ["200", "500"]
    assert_order_and_error(trodo_server, "/orders/{order_id}/pay")


def test_the_lambda_example_delivers_before_the_handler_returns(
    trodo_server: MockTrodoServer,
) -> None:
    # os._exit right after the handler: like a frozen Lambda, no exit hook runs,
    # so only what flush_after delivered arrives.
    out = run(
        trodo_server,
        """
        import os, lambda_handler
        print(lambda_handler.handler({"user_id": "user_42", "amount": 120}, None))
        try:
            lambda_handler.handler({"user_id": "user_42", "amount": -1}, None)
        except lambda_handler.PaymentError as error:
            print("raised", error)
        sys.stdout.flush()
        os._exit(0)
        """,
    )
    assert out.splitlines() == ["{'statusCode': 200}", "raised negative amount"]
    names = [e["event_name"] for e in trodo_server.events]
    assert sorted(names) == ["invoice_paid", "invoice_paid", "server_error"]


def test_the_celery_example_with_a_real_worker(
    trodo_server: MockTrodoServer, tmp_path: Path
) -> None:
    env = {"CELERY_EXAMPLE_DIR": str(tmp_path)}
    run(
        trodo_server,
        """
        import trodo, trodo.integrations
        import celery_app
        trodo.init()
        with trodo.integrations.bind_user("anon_7f3e", session_id="b7d4c1e2"):
            celery_app.send_receipt.delay(7)
            celery_app.charge.delay(7)
        """,
        **env,
    )
    assert trodo_server.events == []  # enqueued only
    command = [sys.executable, "-m", "celery", "--workdir", "examples", "-A", "celery_app"]
    command += ["worker", "--pool=solo", "--loglevel=WARNING", "--without-mingle"]
    command += ["--without-gossip", "--without-heartbeat"]
    worker = subprocess.Popen(
        command,
        cwd=ROOT,
        env={
            **os.environ,
            "TRODO_SITE_ID": trodo_server.site_id,
            "TRODO_API_BASE": trodo_server.url,
            **env,
        },
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        events = trodo_server.wait_for_events(2, timeout=90)
        worker.send_signal(signal.SIGTERM)
        output, _ = worker.communicate(timeout=60)
    finally:
        if worker.poll() is None:
            worker.kill()
            worker.wait(timeout=10)
    assert worker.returncode == 0, output
    by_name = {e["event_name"]: e for e in events}
    assert (by_name["receipt_sent"]["user_id"], by_name["receipt_sent"]["session_id"]) == (
        "anon_7f3e",
        "b7d4c1e2",
    )
    assert by_name["server_error"]["custom_properties"]["task"] == "celery_app.charge"
