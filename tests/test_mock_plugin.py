"""The trodo_server pytest fixture, as a user's test suite sees it."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest

pytest_plugins = ["pytester"]

# In-process runs: trodo is already imported here, which pytest would warn about.
RUN_OPTIONS = ("-p", "no:cacheprovider", "-W", "ignore::pytest.PytestAssertRewriteWarning")

USER_TESTS = textwrap.dedent(
    """
    import httpx

    HEADERS = {"X-Trodo-Site-Id": "test-site"}
    RESET = {"siteId": "s", "sessionId": "x", "userId": "u", "distinctId": "u"}

    def test_valid(trodo_server):
        response = httpx.post(trodo_server.url + "/api/sdk/reset", json=RESET, headers=HEADERS)
        assert response.status_code == 200
        assert trodo_server.resets == [RESET]

    def test_invalid(trodo_server):
        snake = {"site_id": "s", "session_id": "x", "user_id": "u", "distinct_id": "u"}
        httpx.post(trodo_server.url + "/api/sdk/reset", json=snake, headers=HEADERS)
    """
)


def test_fixture_passes_a_clean_test_and_fails_one_that_sent_an_invalid_request(
    pytester: pytest.Pytester,
) -> None:
    pytester.makepyfile(test_user=USER_TESTS)
    result = pytester.runpytest(*RUN_OPTIONS)
    result.assert_outcomes(passed=2, errors=1)
    result.stdout.fnmatch_lines(
        [
            "*ERROR at teardown of test_invalid*",
            "*the mock Trodo server received 1 invalid request(s):*",
            "*#0 POST /api/sdk/reset -> 400: body: 'siteId' is a required property*",
            '*body: {"site_id":"s"*',
        ]
    )


def test_fixture_reports_a_failing_responder(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        test_user="""
        import httpx

        def test_responder_bug(trodo_server):
            trodo_server.respond_with(lambda path, body: 1 / 0)
            reset = {"siteId": "s", "sessionId": "x", "userId": "u", "distinctId": "u"}
            headers = {"X-Trodo-Site-Id": "test-site"}
            assert httpx.post(trodo_server.url + "/api/sdk/reset", json=reset, headers=headers)
        """
    )
    result = pytester.runpytest(*RUN_OPTIONS)
    result.assert_outcomes(passed=1, errors=1)
    result.stdout.fnmatch_lines(["*failed to answer 1 request(s)*", "*ZeroDivisionError*"])


def test_plugin_loads_without_the_testing_extra() -> None:
    # The pytest11 entry point is installed with trodo itself: pytest must start
    # (and the plugin import) where pytest-httpserver, werkzeug and openapi-core are missing.
    code = textwrap.dedent(
        """
        import sys
        for name in ("pytest_httpserver", "werkzeug", "openapi_core", "yaml"):
            sys.modules[name] = None  # makes "import name" raise ImportError
        import trodo.testing._plugin
        import trodo.testing
        try:
            trodo.testing.MockTrodoServer
        except ImportError as exc:
            print(exc)
        """
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert 'needs the testing extra: pip install "trodo[testing]"' in result.stdout


def test_plugin_is_registered_by_its_entry_point() -> None:
    from importlib.metadata import entry_points

    [entry] = [e for e in entry_points(group="pytest11") if e.name == "trodo"]
    assert entry.value == "trodo.testing._plugin"
