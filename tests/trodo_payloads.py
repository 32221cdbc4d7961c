"""Valid request bodies of every Trodo endpoint, written out as protocol.md gives them.

Each builder returns a fresh dict, so a test can break one key without
touching the others.
"""

from __future__ import annotations

from typing import Any

SITE = "test-site"
SESSION = "6f1c2a8e-3b0d-4f5e-9a7c-1d2e3f4a5b6c"
HEADERS = {"X-Trodo-Site-Id": SITE}


def event(name: str = "purchase_completed", **changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "event_type": "custom",
        "event_name": name,
        "event_category": "custom",
        "session_id": SESSION,
        "user_id": "user_42",
        "custom_properties": {"plan": "pro", "amount": 49.5},
        "page_data": None,
        "auto_event_data": None,
        "element_data": None,
        "override_data": None,
        "timestamp": "2026-11-27T11:40:31.204518+00:00",
    }
    body.update(changes)
    return body


def server_error(severity: str = "error") -> dict[str, Any]:
    """A captured error event, as protocol.md gives it (all six properties)."""
    return event(
        "server_error",
        event_type="auto",
        event_category="error",
        custom_properties={
            "error_type": "ValueError",
            "message": "card declined",
            "stack": "Traceback (most recent call last):\n  ...\nValueError: card declined\n",
            "runtime": "python",
            "severity": severity,
            "timestamp": "2026-11-27T11:40:32.118204+00:00",
        },
    )


def bulk(*names: str) -> dict[str, Any]:
    return {"events": [event(name) for name in names or ("signup",)]}


def session(distinct_id: str = "user_42") -> dict[str, Any]:
    return {
        "sessionData": {
            "session_id": SESSION,
            "site_id": SITE,
            "user_id": distinct_id,
            "distinct_id": distinct_id,
            "team_id": None,
            "start_time": "2026-11-27T11:40:29.996713+00:00",
            "last_activity": 1795779629996,
            "is_bounce": False,
            "referrer": "server",
            "device_type": "server",
            "is_server_session": True,
        }
    }


def identify(identify_id: str = "db_user_1001") -> dict[str, Any]:
    return {
        "siteId": SITE,
        "sessionId": SESSION,
        "userId": "anon_7f3e",
        "distinctId": "anon_7f3e",
        "identifyId": identify_id,
    }


def reset() -> dict[str, Any]:
    return {"siteId": SITE, "sessionId": SESSION, "userId": "user_42", "distinctId": "user_42"}


def wallet_address() -> dict[str, Any]:
    return {**reset(), "walletAddress": "0x52908400098527886E0F7030069857D2E4169EE7"}


# One valid (path, body) of each session, event and identity kind.
SESSION_EVENT_IDENTITY = {
    "/api/sdk/track": session,
    "/api/events": event,
    "/api/events/bulk": bulk,
    "/api/sdk/identify": identify,
    "/api/sdk/reset": reset,
    "/api/sdk/wallet-address": wallet_address,
}


# Profiles, groups and upsert (protocol.md, "Profiles, groups and upsert").
PEOPLE = {"siteId": SITE, "userId": "user_42"}
GROUP = {**PEOPLE, "groupKey": "company", "groupId": "acme"}

# path -> the extra keys of a valid body, beside siteId/userId (groupKey/groupId).
PEOPLE_EXTRA: dict[str, dict[str, Any]] = {
    "/api/sdk/people/set": {"properties": {"plan": "pro", "seats": 5}},
    "/api/sdk/people/set_once": {"properties": {"first_plan": "free"}},
    "/api/sdk/people/unset": {"keys": ["trial_ends"]},
    "/api/sdk/people/increment": {"key": "logins", "amount": 1},
    "/api/sdk/people/append": {"key": "viewed", "values": ["pricing"]},
    "/api/sdk/people/union": {"key": "features", "values": ["export", "sso"]},
    "/api/sdk/people/remove": {"key": "features", "values": ["sso"]},
    "/api/sdk/people/track_charge": {"amount": 49.5, "properties": {}},
    "/api/sdk/people/clear_charges": {},
    "/api/sdk/people/delete_user": {},
}
GROUP_MEMBERSHIP_PATHS = (
    "/api/sdk/groups/set_group",
    "/api/sdk/groups/add_group",
    "/api/sdk/groups/remove_group",
)
GROUP_PROFILE_EXTRA: dict[str, dict[str, Any]] = {
    "/api/sdk/groups/profile/set": {"properties": {"plan": "enterprise"}},
    "/api/sdk/groups/profile/set_once": {"properties": {"founded": 2019}},
    "/api/sdk/groups/profile/union": {"listName": "regions", "values": ["eu", "us"]},
    "/api/sdk/groups/profile/remove": {"listName": "regions", "value": "us"},
    "/api/sdk/groups/profile/unset": {"property": "trial_ends"},
    "/api/sdk/groups/profile/increment": {"property": "seats", "value": 5},
    "/api/sdk/groups/profile/append": {"property": "integrations", "value": "slack"},
    "/api/sdk/groups/profile/delete": {},
}
UPSERT_PATH = "/api/sdk/users/upsert"
PROFILE_PREFIXES = ("/api/sdk/people/", "/api/sdk/groups/", "/api/sdk/users/")


def upsert() -> dict[str, Any]:
    return {
        "distinctId": "user_42",
        "properties": {"plan": "pro"},
        "setOnce": {"signup_date": "2026-01-04"},
        "fixedProperties": {"last_location_country": "India"},
    }


def _builder(base: dict[str, Any], extra: dict[str, Any]) -> Any:
    return lambda: {**base, **extra}


PROFILE_VALID: dict[str, Any] = {
    **{path: _builder(PEOPLE, extra) for path, extra in PEOPLE_EXTRA.items()},
    **{path: _builder(GROUP, {}) for path in GROUP_MEMBERSHIP_PATHS},
    **{path: _builder(GROUP, extra) for path, extra in GROUP_PROFILE_EXTRA.items()},
    UPSERT_PATH: upsert,
}
# One valid body of every endpoint.
VALID: dict[str, Any] = {**SESSION_EVENT_IDENTITY, **PROFILE_VALID}
