"""An AWS Lambda-style handler: deliver what the invocation queued before it returns.

The platform may freeze or end the process as soon as the handler returns, so
the batched events leave first, within the timeout. Try it locally (against the
mock server: `trodo-mock-server --port 8787` in another terminal):

    TRODO_SITE_ID=demo TRODO_API_BASE=http://127.0.0.1:8787 python examples/lambda_handler.py
"""

from __future__ import annotations

from typing import Any

import trodo
from trodo.integrations.serverless import flush_after

# Made once per cold start, reused by every invocation of this process.
trodo.init(batch_enabled=True)


class PaymentError(Exception):
    pass


@flush_after(timeout=2.0)
def handler(event: dict[str, Any], context: object) -> dict[str, Any]:
    user = trodo.for_user(event["user_id"], session_id=event.get("session_id"))
    user.track("invoice_paid", {"amount": event["amount"]})
    if event["amount"] < 0:
        raise PaymentError("negative amount")  # sent as server_error, then raised
    return {"statusCode": 200}


if __name__ == "__main__":
    print(handler({"user_id": "user_42", "session_id": "b7d4c1e2", "amount": 120}, None))
