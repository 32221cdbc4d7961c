"""The live page in a real browser: headless Chromium driven by selenium.

Each test opens the page of a fresh mock server, then sends through the SDK
(``trodo.TrodoClient(site_id, api_base=server.url)``) and by hand (httpx), and
waits for what the page shows, without reloading it. One browser serves the
module. The system's Chromium and chromedriver are used (``.ci/run`` installs
them); where they are missing the tests skip, unless TRODO_TEST_REQUIRE_BROWSER
is set (CI sets it), which makes them fail.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

import httpx
import pytest

import trodo
from trodo.testing import MockTrodoServer

from . import trodo_payloads as payloads
from .test_mock_cli import DevServer

webdriver = pytest.importorskip(
    "selenium.webdriver", reason="selenium is not installed (it is in the dev extra)"
)
from selenium.common.exceptions import (  # noqa: E402
    StaleElementReferenceException,
    TimeoutException,
)
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.remote.webelement import WebElement  # noqa: E402
from selenium.webdriver.support.ui import Select, WebDriverWait  # noqa: E402

CHROMIUM = os.environ.get("TRODO_TEST_CHROMIUM", "/usr/bin/chromium")
CHROMEDRIVER = os.environ.get("TRODO_TEST_CHROMEDRIVER", "/usr/bin/chromedriver")
SITE = "site_4f9c1e7a2b"
BROWSER_SESSION = "b7e1c0de-5e55-4a1d-9c0f-0123456789ab"
# Generous: the machine is shared; every wait ends as soon as its condition holds.
WAIT = 20.0
SCREENSHOTS = os.environ.get("TRODO_TEST_SCREENSHOTS")  # a folder: keep a picture of each view

_T = TypeVar("_T")


def _missing_browser() -> str | None:
    for path in (CHROMIUM, CHROMEDRIVER):
        if not (os.path.exists(path) and os.access(path, os.X_OK)):
            return (
                f"no headless browser: {path} is missing; "
                "`apt-get install chromium chromium-driver` (.ci/run does)"
            )
    return None


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """One headless Chromium for the module, from the system's packages; nothing downloaded."""
    missing = _missing_browser()
    if missing and os.environ.get("TRODO_TEST_REQUIRE_BROWSER"):
        pytest.fail(f"{missing}; TRODO_TEST_REQUIRE_BROWSER is set (.ci/run sets it)")
    if missing:
        pytest.skip(missing)
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for argument in [
        "--headless=new",
        "--no-sandbox",  # CI containers run as root
        "--disable-dev-shm-usage",
        "--disable-gpu",
        "--window-size=1280,1000",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-default-apps",
        "--disable-extensions",
        "--disable-sync",
    ]:
        options.add_argument(argument)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    # The driver's path is given, so selenium-manager is not asked to fetch one.
    service = webdriver.ChromeService(executable_path=CHROMEDRIVER)
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("SE_OFFLINE", "true")
        driver = webdriver.Chrome(service=service, options=options)
    driver.set_page_load_timeout(WAIT)
    try:
        yield driver
    finally:
        driver.quit()


class Page:
    """The live page open in the browser, read the way a person reads it."""

    def __init__(self, driver: Any, url: str) -> None:
        self.driver = driver
        self.url = url
        driver.get(url)
        # Set once per load: still there at the end means the page never reloaded.
        driver.execute_script("window.__loadedOnce = true;")
        self.wait(lambda: self.status() == "live", "the page to connect")

    def wait(self, condition: Callable[[], _T], what: str) -> _T:
        try:
            # Stale: the page re-drew the element between finding and reading it; look again.
            return WebDriverWait(
                self.driver,
                WAIT,
                poll_frequency=0.05,
                ignored_exceptions=(StaleElementReferenceException,),
            ).until(lambda _: condition())
        except TimeoutException:
            raise AssertionError(f"waited {WAIT:g}s for {what}; page: {self.text()}") from None

    def text(self) -> str:
        return str(self.driver.find_element(By.TAG_NAME, "body").text)

    def status(self) -> str:
        return str(self.driver.find_element(By.ID, "status").text)

    def count(self, name: str) -> str:
        return str(self.driver.find_element(By.ID, f"count-{name}").text)

    def cards(self) -> list[WebElement]:
        return list(self.driver.find_elements(By.CSS_SELECTOR, "#list article.req"))

    def wait_for_cards(self, count: int) -> list[WebElement]:
        def shown() -> list[WebElement] | None:
            cards = self.cards()
            return cards if len(cards) == count else None

        return self.wait(shown, f"{count} request(s) shown")

    def shown_names(self) -> list[str]:
        """The item names visible in the current view, top to bottom."""
        return [e.text for e in self.driver.find_elements(By.CSS_SELECTOR, "#list .name") if e.text]

    def not_reloaded(self) -> bool:
        return bool(self.driver.execute_script("return window.__loadedOnce === true;"))

    def type_filter(self, name: str, value: str) -> None:
        field = self.driver.find_element(By.ID, f"filter-{name}")
        field.clear()
        if value:
            field.send_keys(value)
        else:  # clear() sends no input event
            self.driver.execute_script("arguments[0].dispatchEvent(new Event('input'))", field)

    def screenshot(self, name: str) -> None:
        if SCREENSHOTS:
            Path(SCREENSHOTS).mkdir(parents=True, exist_ok=True)
            self.driver.save_screenshot(str(Path(SCREENSHOTS) / f"{name}.png"))

    def console_errors(self) -> list[str]:
        return [
            entry["message"]
            for entry in self.driver.get_log("browser")
            if entry["level"] == "SEVERE"
        ]


@pytest.fixture
def server() -> Iterator[MockTrodoServer]:
    with MockTrodoServer(site_id=SITE) as mock:
        yield mock


@pytest.fixture
def page(browser: Any, server: MockTrodoServer) -> Page:
    browser.get_log("browser")  # forget what an earlier test logged
    return Page(browser, server.page_url)


@pytest.fixture
def client(server: MockTrodoServer) -> Iterator[trodo.TrodoClient]:
    sdk = trodo.TrodoClient(SITE, api_base=server.url)
    try:
        yield sdk
    finally:
        sdk.shutdown(timeout=5)


def _send_a_realistic_session(client: trodo.TrodoClient) -> None:
    """Two users: one on the browser's session who signs up and buys, one who browses."""
    user = client.for_user("user_42", session_id=BROWSER_SESSION)
    user.track("signup", {"plan": "pro"})
    user.track("purchase_completed", {"plan": "pro", "amount": 49.5})
    client.for_user("anon_7f3e").identify("db_user_1001")
    client.for_user("user_99").track("page_viewed", {"path": "/pricing"})
    client.flush()


def _send_a_violation(server: MockTrodoServer) -> None:
    httpx.post(
        server.url + "/api/events",
        json={"event_name": "broken_event", "user_id": "user_99"},
        headers={"X-Trodo-Site-Id": SITE},
    )


def test_requests_appear_as_they_arrive_newest_first_without_a_reload(
    page: Page, server: MockTrodoServer, client: trodo.TrodoClient
) -> None:
    assert "No requests yet" in page.text()
    assert f'api_base="{server.url}"' in page.text()

    client.for_user("user_42", session_id=BROWSER_SESSION).track("signup", {"plan": "pro"})
    client.flush()
    card = page.wait_for_cards(2)[0]  # the event, above the session registration
    assert "signup" in card.text
    assert "user_42" in card.text
    assert BROWSER_SESSION in card.text
    assert '{"plan": "pro"}' in card.text

    client.for_user("user_42").track("purchase_completed", {"amount": 49.5})
    client.flush()
    page.wait_for_cards(3)
    assert page.shown_names() == ["purchase_completed", "signup", "session"]
    [time_text, status, method, path] = [
        page.cards()[0].find_element(By.CSS_SELECTOR, selector).text
        for selector in [".time", ".badge", ".method", ".path"]
    ]
    assert len(time_text) == len("12:42:50.123")
    assert (status, method, path) == ("200", "POST", "/api/events")
    assert page.wait(lambda: page.count("events") == "2", "the accepted-events count")
    assert page.count("requests") == "3"
    assert page.count("violations") == "0"
    assert page.not_reloaded()
    assert page.console_errors() == []


def test_violation_is_highlighted_with_its_reason(
    page: Page, server: MockTrodoServer, client: trodo.TrodoClient
) -> None:
    _send_a_realistic_session(client)
    server.fail_next(status=503)
    httpx.post(
        server.url + "/api/events",
        json=payloads.event("refused"),
        headers={"X-Trodo-Site-Id": SITE},
    )
    _send_a_violation(server)
    expected = len(server.requests)

    cards = page.wait_for_cards(expected)

    [bad] = [card for card in cards if "is-violation" in (card.get_attribute("class") or "")]
    assert cards[0] == bad  # the latest
    # A scripted fault is no violation: marked with the fault and the verdict instead.
    refused = cards[1]
    assert "is-violation" not in (refused.get_attribute("class") or "")
    assert refused.find_element(By.CSS_SELECTOR, ".fault").text == "scripted 503 · not accepted"
    assert refused.find_element(By.CSS_SELECTOR, ".badge").text == "503"
    reason = bad.find_element(By.CSS_SELECTOR, ".violation-reason")
    assert reason.is_displayed()
    assert "VIOLATION" in reason.text
    assert "body: 'event_type' is a required property" in reason.text
    assert bad.find_element(By.CSS_SELECTOR, ".badge").text == "400"
    # Drawn differently from an accepted request, not only named differently.
    ok = cards[2]
    style = "return getComputedStyle(arguments[0]).borderLeftColor"
    assert page.driver.execute_script(style, bad) != page.driver.execute_script(style, ok)
    assert page.wait(lambda: page.count("violations") == "1", "the violations count")
    assert page.not_reloaded()


def test_script_in_a_property_shows_as_text_and_never_runs(
    page: Page, server: MockTrodoServer, client: trodo.TrodoClient
) -> None:
    payload = "<script>window.__pwned = 1</script>"
    image = '<img src="/nope" onerror="window.__pwned = 2">'
    client.for_user("user_42").track("xss_probe", {"note": payload, "html": image})
    client.flush()
    # And as an event name and user, by hand (the spec lets any string through).
    httpx.post(
        server.url + "/api/events",
        json=payloads.event(image, user_id=payload),
        headers={"X-Trodo-Site-Id": SITE},
    )

    cards = page.wait_for_cards(3)

    # The properties show as JSON: the strings quoted, as written.
    assert json.dumps(payload) in cards[1].text
    assert json.dumps(image) in cards[1].text
    assert cards[0].find_element(By.CSS_SELECTOR, ".name").text == image
    assert cards[0].find_element(By.CSS_SELECTOR, ".user").text == payload
    driver = page.driver
    assert driver.execute_script("return window.__pwned") is None
    # Only the page's own script and logo: nothing from the data became an element.
    assert len(driver.find_elements(By.TAG_NAME, "script")) == 1
    assert len(driver.find_elements(By.TAG_NAME, "img")) == 1


def test_site_id_is_shown_masked(
    page: Page, server: MockTrodoServer, client: trodo.TrodoClient
) -> None:
    client.for_user("user_42").track("signup", {"site": SITE})
    client.flush()
    [event, _] = page.wait_for_cards(2)
    event.find_element(By.CSS_SELECTOR, "details summary").click()
    details = event.find_element(By.CSS_SELECTOR, "details")
    page.wait(lambda: "site id site…" in details.text, "the request body to open")
    assert SITE not in page.driver.page_source
    assert SITE not in page.text()


def test_filters_narrow_by_user_event_endpoint_and_violations(
    page: Page, server: MockTrodoServer, client: trodo.TrodoClient
) -> None:
    _send_a_realistic_session(client)
    _send_a_violation(server)
    page.wait_for_cards(len(server.requests))

    known = page.driver.find_elements(By.CSS_SELECTOR, "#known-users option")
    assert [o.get_attribute("value") for o in known] == ["anon_7f3e", "user_42", "user_99"]
    page.type_filter("user", "user_42")
    page.wait(
        lambda: page.shown_names() == ["purchase_completed", "signup", "session"],
        "only user_42's items",
    )
    assert "1 of 1 items shown" not in page.text()

    page.type_filter("event", "sign")
    page.wait(lambda: page.shown_names() == ["signup"], "user_42's signup only")
    assert "(filtered)" in page.driver.find_element(By.ID, "summary").text

    page.type_filter("user", "")
    page.type_filter("event", "")
    Select(page.driver.find_element(By.ID, "filter-endpoint")).select_by_value("/api/sdk/identify")
    page.wait(lambda: page.shown_names() == ["identify"], "the identify request only")

    Select(page.driver.find_element(By.ID, "filter-endpoint")).select_by_value("")
    page.driver.find_element(By.ID, "filter-violations").click()
    page.wait(lambda: page.shown_names() == ["broken_event"], "the violation only")
    [card] = page.cards()
    assert "is-violation" in (card.get_attribute("class") or "")
    page.screenshot("filtered")


def test_user_view_groups_by_user_then_session_with_the_browsers_session_id(
    page: Page, server: MockTrodoServer, client: trodo.TrodoClient
) -> None:
    _send_a_realistic_session(client)
    _send_a_violation(server)
    page.wait_for_cards(len(server.requests))
    page.screenshot("requests")

    page.driver.find_element(By.ID, "view-users").click()

    groups = page.wait(
        lambda: page.driver.find_elements(By.CSS_SELECTOR, "#list section.user-group"),
        "the user groups",
    )
    by_user = {group.get_attribute("data-user"): group for group in groups}
    assert set(by_user) == {"user_42", "anon_7f3e", "user_99"}
    # Latest activity first: user_99's violation was the last request.
    assert groups[0].get_attribute("data-user") == "user_99"
    [browser_session] = by_user["user_42"].find_elements(By.CSS_SELECTOR, ".session-group")
    assert browser_session.get_attribute("data-session") == BROWSER_SESSION
    head = browser_session.find_element(By.CSS_SELECTOR, ".session-head")
    assert BROWSER_SESSION in head.text
    names = [e.text for e in browser_session.find_elements(By.CSS_SELECTOR, ".tl .name")]
    assert names == ["purchase_completed", "signup", "session"]
    # user_99: the SDK's own session for its event, and the violation, which names none.
    sessions = by_user["user_99"].find_elements(By.CSS_SELECTOR, ".session-group")
    assert sessions[0].get_attribute("data-session") == ""
    violation = sessions[0].find_element(By.CSS_SELECTOR, ".tl")
    assert "is-violation" in (violation.get_attribute("class") or "")
    assert "'event_type' is a required property" in violation.text
    page.screenshot("users")

    # New requests join the grouped view live, too.
    client.for_user("user_42", session_id=BROWSER_SESSION).track("checkout_started")
    client.flush()
    page.wait(
        lambda: (
            page.driver.find_element(
                By.CSS_SELECTOR, "section.user-group[data-user='user_42'] .tl .name"
            ).text
            == "checkout_started"
        ),
        "the new event at the top of user_42's session",
    )
    assert page.not_reloaded()


def test_clear_forgets_the_servers_records_and_the_page_goes_on(
    page: Page, server: MockTrodoServer, client: trodo.TrodoClient
) -> None:
    _send_a_realistic_session(client)
    page.wait_for_cards(len(server.requests))

    page.driver.find_element(By.ID, "clear").click()

    page.wait(lambda: "No requests yet" in page.text(), "the page to empty")
    assert server.requests == []
    assert page.count("requests") == "0"
    client.for_user("user_42").track("after_clear")
    client.flush()
    page.wait(lambda: page.shown_names()[:1] == ["after_clear"], "a request after the clear")
    assert page.count("events") == "1"


def test_page_says_when_the_server_stops_answering(browser: Any) -> None:
    with MockTrodoServer() as server:
        page = Page(browser, server.page_url)
    page.wait(lambda: "not answering" in page.status(), "the offline status")


def test_dev_server_command_shows_a_real_sessions_events(browser: Any) -> None:
    dev = DevServer()
    try:
        dev.lines(2)
        page = Page(browser, dev.url + "/")
        sdk = trodo.TrodoClient("test-site", api_base=dev.url)
        try:
            _send_a_realistic_session(sdk)
        finally:
            sdk.shutdown(timeout=5)
        page.wait(
            lambda: (
                {"signup", "purchase_completed", "identify", "page_viewed"}
                <= set(page.shown_names())
            ),
            "the session's events",
        )
        assert page.count("events") == "3"
        assert page.not_reloaded()
    finally:
        dev.stop()
