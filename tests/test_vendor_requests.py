"""The vendor SDK's own people, group and upsert requests follow openapi/trodo.yaml.

trodo-python 2.26.2 runs in a venv of its own (tests/vendor/sdk.py) against the
mock server, which checks every request with trodo.testing's spec checker.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from trodo.testing._spec import spec_paths

from .trodo_payloads import PROFILE_PREFIXES
from .vendor.sdk import VendorRun, run_driver, run_vendor_driver

PROFILE_PATHS = sorted(p for p in spec_paths() if p.startswith(PROFILE_PREFIXES))


@pytest.fixture(scope="module")
def vendor_run() -> VendorRun:
    return run_vendor_driver()


def test_the_vendor_sdk_under_test_is_2_26_2(vendor_run: VendorRun) -> None:
    assert vendor_run.version == "2.26.2"


def test_every_vendor_request_validates_against_the_spec(vendor_run: VendorRun) -> None:
    invalid = [
        f"{r.describe()}: {r.violation}\n  {r.body!r}" for r in vendor_run.requests if not r.valid
    ]
    assert invalid == []
    assert all(r.status == 200 for r in vendor_run.requests)


def test_the_vendor_run_reached_all_22_profile_group_and_upsert_endpoints(
    vendor_run: VendorRun,
) -> None:
    assert len(PROFILE_PATHS) == 22
    reached = sorted({r.path for r in vendor_run.requests if r.path.startswith(PROFILE_PREFIXES)})
    assert reached == PROFILE_PATHS


def test_the_vendor_server_error_event_passes_the_automatic_event_rule(
    vendor_run: VendorRun,
) -> None:
    [error] = [e for r in vendor_run.requests for e in r.events if e["event_type"] == "auto"]
    assert error["event_name"] == "server_error"
    assert error["custom_properties"]["severity"] == "warning"


def test_the_vendor_sends_upsert_without_site_id_and_leaves_out_bags_not_given(
    vendor_run: VendorRun,
) -> None:
    upserts = [r.json for r in vendor_run.requests if r.path == "/api/sdk/users/upsert"]
    assert upserts == [
        {
            "distinctId": "user_42",
            "properties": {"plan": "pro"},
            "setOnce": {"signup_date": "2026-01-04"},
            "fixedProperties": {"last_location_country": "India"},
        },
        {"distinctId": "user_9"},
        {"distinctId": "user_10", "properties": {}},
    ]


def test_the_vendor_returns_the_servers_json_from_each_profile_write(
    vendor_run: VendorRun,
) -> None:
    # What "return types" in the README's migration table compares against.
    assert vendor_run.returned["people.set"] == {"success": True}
    assert vendor_run.returned["users.upsert"] == {"success": True}


def test_the_same_vendor_code_run_with_this_sdk_sends_the_same_profile_requests(
    vendor_run: VendorRun,
) -> None:
    # The driver is code written for trodo-python; here it runs unchanged on this SDK.
    ours = run_driver(Path(sys.executable))
    assert ours.version != "2.26.2"
    assert [r for r in ours.requests if not r.valid] == []

    def writes(run: VendorRun) -> list[object]:
        return [r.profile_update for r in run.requests if r.profile_update is not None]

    assert len(writes(vendor_run)) == 45
    assert writes(ours) == writes(vendor_run)


_EDGES = """
import sys, trodo
trodo.init(sys.argv[1], api_base=sys.argv[2], auto_instrument=False)
trodo.for_user(42).people.set({"plan": "pro"})
trodo.for_user("user_1").capture_error(ValueError("raised earlier"))
trodo.shutdown()
"""


def test_the_vendor_sends_int_distinct_ids_as_numbers_and_no_stack_outside_except(
    vendor_run: VendorRun,
) -> None:
    # Rows of the README's migration table, shown on the vendor's own code.
    import os
    import subprocess

    from trodo.testing import MockTrodoServer

    from .vendor.sdk import RUN_TIMEOUT, vendor_python

    env = {"PATH": os.environ.get("PATH", ""), "NO_PROXY": "127.0.0.1", "no_proxy": "127.0.0.1"}
    with MockTrodoServer() as server:
        subprocess.run(
            [str(vendor_python()), "-I", "-c", _EDGES, server.site_id, server.url],
            check=True,
            timeout=RUN_TIMEOUT,
            env=env,
            capture_output=True,
        )
        bodies = {r.path: r.json for r in server.requests}
    assert bodies["/api/sdk/people/set"]["userId"] == 42  # a JSON number: the spec says string
    assert any("userId" in v.message for v in server.violations)
    # Outside an except block the vendor's stack is traceback.format_exc()'s "NoneType: None".
    error = bodies["/api/events"]["custom_properties"]
    assert error["stack"].startswith("NoneType: None")
