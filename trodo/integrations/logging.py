"""logging: exceptions your code logs become ``server_error`` events.

::

    import logging
    from trodo.integrations.logging import TrodoHandler

    logging.getLogger().addHandler(TrodoHandler(level=logging.ERROR))

    try:
        charge(card)
    except PaymentError:
        logger.exception("charge failed")  # a server_error on trodo.current_user()

A record with an exception (``logger.exception(...)``, ``exc_info=True``)
is sent as a ``server_error`` on the request's user (the client's
``auto_events_distinct_id`` outside a request or for an anonymous one), with
the logger's name and the record's level; the log message itself is not sent.
Records without an exception are ignored, unless ``send_records=True``: then
each is sent as a custom event (``event_name``, default ``"log_record"``) with
the logger, the level and the message. The ``trodo`` loggers (the SDK's own)
are never handled, and a record logged while the handler is sending is
dropped, so the handler can never feed itself.

The client is the request's (bound by an integration), else the one you
pass, else the default client made by ``trodo.init()``; with none, records
are ignored. With a sync client that does not batch, the handler sends on the
logging thread: in an asyncio app use batching or an AsyncTrodoClient.
"""

from __future__ import annotations

import logging
import threading
from typing import TYPE_CHECKING, Any

from trodo import _current
from trodo.integrations._clients import existing_default
from trodo.integrations._request import report_error, track_event

if TYPE_CHECKING:
    from trodo._current import Client

__all__ = ["TrodoHandler"]


class TrodoHandler(logging.Handler):
    """A logging handler that sends logged exceptions to Trodo as ``server_error`` events."""

    def __init__(
        self,
        level: int | str = logging.ERROR,
        *,
        client: Client | None = None,
        send_records: bool = False,
        event_name: str = "log_record",
    ) -> None:
        super().__init__(level)
        if not isinstance(event_name, str) or not event_name:
            raise ValueError("event_name must be a non-empty str")
        self.client = client
        self.send_records = send_records
        self.event_name = event_name
        self._sending = threading.local()

    def filter(self, record: logging.LogRecord) -> bool:
        name = record.name
        if name == "trodo" or name.startswith("trodo."):
            return False
        return bool(super().filter(record))

    def emit(self, record: logging.LogRecord) -> None:
        if getattr(self._sending, "active", False):
            return  # logged by something the handler called: never recurse
        self._sending.active = True
        try:
            self._send(record)
        except Exception:
            self.handleError(record)
        finally:
            self._sending.active = False

    def _send(self, record: logging.LogRecord) -> None:
        bound = _current.binding()
        client = self._client_for(bound)
        if client is None:
            return
        error = record.exc_info[1] if record.exc_info else None
        properties: dict[str, Any] = {"logger": record.name, "level": record.levelname}
        if error is not None:
            report_error(client, bound, error, properties)
        elif self.send_records:
            properties["message"] = record.getMessage()
            track_event(client, bound, self.event_name, properties)

    def _client_for(self, bound: _current.Binding | None) -> Client | None:
        if bound is not None:
            return bound.client
        if self.client is not None:
            return self.client
        return existing_default()
