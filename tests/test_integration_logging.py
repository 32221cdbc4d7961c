"""trodo.integrations.logging.TrodoHandler with the standard logging module and the mock server."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest

from trodo import _current
from trodo._sync.client import TrodoClient
from trodo.integrations.logging import TrodoHandler
from trodo.testing import MockTrodoServer


class CardDeclinedError(Exception):
    pass


@pytest.fixture
def client(trodo_server: MockTrodoServer) -> Iterator[TrodoClient]:
    with trodo_server.client() as client:
        yield client


@pytest.fixture
def app_logger(client: TrodoClient) -> Iterator[logging.Logger]:
    logger = logging.getLogger("shop.payments")
    handler = TrodoHandler(level=logging.ERROR, client=client)
    logger.addHandler(handler)
    try:
        yield logger
    finally:
        logger.removeHandler(handler)


def log_exception(logger: logging.Logger) -> None:
    try:
        raise CardDeclinedError("declined")
    except CardDeclinedError:
        logger.exception("charge failed for card %s", "4242")


def test_a_logged_exception_is_a_server_error_on_the_current_user_with_the_logger(
    trodo_server: MockTrodoServer, client: TrodoClient, app_logger: logging.Logger
) -> None:
    token = _current.bind(client, "anon_7f3e", "b7d4c1e2")
    try:
        log_exception(app_logger)
    finally:
        _current.unbind(token)

    [event] = trodo_server.events
    props = event["custom_properties"]
    assert (event["event_name"], event["user_id"], event["session_id"]) == (
        "server_error",
        "anon_7f3e",
        "b7d4c1e2",
    )
    assert (props["error_type"], props["logger"], props["level"]) == (
        "CardDeclinedError",
        "shop.payments",
        "ERROR",
    )
    assert "4242" not in str(props)  # the log message is not sent


def test_outside_a_request_it_goes_to_the_auto_events_user(
    trodo_server: MockTrodoServer, app_logger: logging.Logger
) -> None:
    log_exception(app_logger)
    [event] = trodo_server.events
    assert event["user_id"] == "server"


def test_records_without_an_exception_or_below_the_level_are_ignored(
    trodo_server: MockTrodoServer, app_logger: logging.Logger
) -> None:
    app_logger.error("no exception here")
    try:
        raise CardDeclinedError("quiet")
    except CardDeclinedError:
        app_logger.warning("below the level", exc_info=True)
    assert trodo_server.requests == []


def test_records_are_sent_as_events_when_the_app_asks(
    trodo_server: MockTrodoServer, client: TrodoClient
) -> None:
    logger = logging.getLogger("shop.audit")
    handler = TrodoHandler(logging.INFO, client=client, send_records=True)
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    try:
        logger.info("refund %s approved", 17)
    finally:
        logger.removeHandler(handler)
    [event] = trodo_server.events
    assert event["event_name"] == "log_record"
    assert event["custom_properties"] == {
        "logger": "shop.audit",
        "level": "INFO",
        "message": "refund 17 approved",
    }


def test_the_sdks_own_logger_is_never_handled(
    trodo_server: MockTrodoServer, client: TrodoClient
) -> None:
    handler = TrodoHandler(logging.DEBUG, client=client, send_records=True)
    root = logging.getLogger()
    root.addHandler(handler)
    try:
        try:
            raise CardDeclinedError("inside trodo")
        except CardDeclinedError:
            logging.getLogger("trodo").error("delivery failed", exc_info=True)
            logging.getLogger("trodo.integrations").error("also trodo", exc_info=True)
    finally:
        root.removeHandler(handler)
    assert trodo_server.requests == []


def test_a_record_logged_while_sending_is_not_sent_again(
    trodo_server: MockTrodoServer,
) -> None:
    # on_error logs an exception to the same logger: the handler must not feed itself.
    logger = logging.getLogger("shop.loop")

    def on_error(error: Exception) -> None:
        logger.error("trodo lost something", exc_info=error)

    trodo_server.fail_next(5, status=400, path="/api/events")
    with trodo_server.client(on_error=on_error, retries=0) as client:
        handler = TrodoHandler(client=client)
        logger.addHandler(handler)
        try:
            log_exception(logger)
        finally:
            logger.removeHandler(handler)
    # One attempt (rejected), and no second server_error about the rejection.
    assert len([r for r in trodo_server.requests if r.path == "/api/events"]) == 1


def test_without_any_client_records_are_ignored(default_client: None) -> None:
    logger = logging.getLogger("shop.nowhere")
    handler = TrodoHandler()
    failures: list[logging.LogRecord] = []
    handler.handleError = failures.append  # type: ignore[method-assign]
    logger.addHandler(handler)
    try:
        log_exception(logger)  # no trodo.init(), no client: nothing to do
    finally:
        logger.removeHandler(handler)
    assert failures == []
