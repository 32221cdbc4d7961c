"""`make demo` runs the quickstart against the mock server and checks every request."""

from __future__ import annotations

import subprocess
import sys

from .conftest import ROOT


def test_the_quickstart_demo_sends_only_valid_requests_and_exits_zero() -> None:
    result = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "demo.py")],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "identify ok=True distinct_id=db_user_1001 merged=True" in result.stdout
    assert "received 7 requests" in result.stdout
    assert "Every request followed openapi/trodo.yaml." in result.stdout
