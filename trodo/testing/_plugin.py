"""The pytest plugin of trodo.testing (registered by the ``pytest11`` entry point).

It gives the ``trodo_server`` fixture. The module imports nothing from the
``testing`` extra until the fixture runs: the entry point is installed with
trodo itself, and pytest must start where the extra is missing.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from trodo.testing._server import MockTrodoServer


@pytest.fixture
def trodo_server() -> Iterator[MockTrodoServer]:
    """A running ``MockTrodoServer``; the test fails at teardown if it saw an invalid request.

    Example::

        def test_signup_is_tracked(trodo_server):
            client = trodo_server.client()
            client.track("user_42", "signup")
            client.flush()
            assert [e["event_name"] for e in trodo_server.events] == ["signup"]
    """
    from trodo.testing import MockTrodoServer

    with MockTrodoServer() as server:
        yield server
    report = failure_report(server)
    if report:
        pytest.fail(report, pytrace=False)


def failure_report(server: MockTrodoServer) -> str:
    """What went wrong on ``server``: its violations and answering errors ("" if none)."""
    lines: list[str] = []
    violations = server.violations
    if violations:
        lines.append(f"the mock Trodo server received {len(violations)} invalid request(s):")
        for violation in violations:
            lines.append(f"  {violation}")
            lines.append(f"    body: {violation.body_excerpt()}")
    errors = server.errors
    if errors:
        lines.append(f"the mock Trodo server failed to answer {len(errors)} request(s):")
        lines.extend(f"  {error}" for error in errors)
    return "\n".join(lines)
