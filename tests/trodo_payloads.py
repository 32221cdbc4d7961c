"""Valid request bodies of the six Trodo endpoints, written out as protocol.md gives them.

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


# One valid (path, body) of each kind.
VALID = {
    "/api/sdk/track": session,
    "/api/events": event,
    "/api/events/bulk": bulk,
    "/api/sdk/identify": identify,
    "/api/sdk/reset": reset,
    "/api/sdk/wallet-address": wallet_address,
}
