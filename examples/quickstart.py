"""Trodo quickstart: the SDK's main calls, in the order an app makes them.

Run it against the local mock server with `make demo`, or against Trodo with
TRODO_SITE_ID set:

    TRODO_SITE_ID=your-site-id python examples/quickstart.py
"""

from __future__ import annotations

import trodo


def main() -> None:
    # site_id and api_base come from TRODO_SITE_ID / TRODO_API_BASE here.
    client = trodo.init(on_error=lambda error: print("trodo could not deliver:", error))

    # The browser's Trodo session id (e.g. from a cookie or a header) ties
    # these server events to the same session as the front end.
    user = trodo.for_user("anon_7f3e", session_id="b7d4c1e2-0a9f-4f7e-8c1d-2e3f4a5b6c7d")
    user.track("checkout_started", {"cart_items": 3, "amount": 149.0, "currency": "EUR"})

    # Signed in: link the anonymous id to your own id for the user.
    result = user.identify("db_user_1001")
    print(f"identify ok={result.ok} distinct_id={result.distinct_id} merged={result.merged}")

    trodo.track("db_user_1001", "checkout_completed", {"amount": 149.0, "currency": "EUR"})
    user.wallet_address("0x52908400098527886E0F7030069857D2E4169EE7")

    try:
        raise TimeoutError("payment provider did not answer")
    except TimeoutError as exc:
        user.capture_error(exc, severity="warning")

    user.reset()  # signed out: the next call starts a fresh server session
    print("stats:", client.stats())
    trodo.shutdown()  # before a script exits: delivers anything still queued


if __name__ == "__main__":
    main()
