"""Real-browser fixtures: a live server on a temporary SQLite file with demo data, and headless Chromium.

The server is the real product configuration (CSRF on) served by werkzeug in a background thread.
The browser is Debian's chromium (`playwright install` cannot download one here); set
CRM_TEST_CHROMIUM to use another binary. Without a browser every test here is skipped.

The demo database is shared by the whole session, so every test either only reads demo data that no
other test changes, or creates its own uniquely named records.
"""
from __future__ import annotations

import os
import re
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.live import demo_app, serve

CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
    "--disable-sync", "--no-first-run", "--disable-quic", "--disable-dev-shm-usage",
]
DEMO_PASSWORD = "demo"
TIMEOUT_MS = 10_000


def chromium_path() -> str | None:
    configured = os.environ.get("CRM_TEST_CHROMIUM")
    if configured:
        return configured if os.access(configured, os.X_OK) else None
    for candidate in ("/usr/bin/chromium", shutil.which("chromium"), shutil.which("chromium-browser")):
        if candidate and os.access(candidate, os.X_OK):
            return candidate
    return None


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    here = Path(__file__).parent
    browser_items = [item for item in items if here in Path(str(item.fspath)).parents]
    if not browser_items:
        return
    reason = None
    if chromium_path() is None:
        where = os.environ.get("CRM_TEST_CHROMIUM") or "/usr/bin/chromium"
        reason = (f"Chromium not found at {where} (install Debian's `chromium` package "
                  f"or set CRM_TEST_CHROMIUM to an executable browser)")
    else:
        try:
            import playwright.sync_api  # noqa: F401
        except ImportError:
            reason = "the python `playwright` package is not installed (pip install -e '.[test]')"
    if reason:
        for item in browser_items:
            item.add_marker(pytest.mark.skip(reason=reason))


@pytest.fixture(scope="session")
def live_app() -> Iterator[Any]:
    with demo_app("crm-browser-") as application:
        yield application


@pytest.fixture(scope="session")
def live_server(live_app: Any) -> Iterator[str]:
    with serve(live_app) as url:
        yield url


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    executable = chromium_path()
    assert executable is not None  # collection skipped the tests otherwise
    pw = sync_playwright().start()
    try:
        instance = pw.chromium.launch(executable_path=executable, headless=True, args=CHROMIUM_ARGS)
        try:
            yield instance
        finally:
            instance.close()
    finally:
        pw.stop()


class Session:
    """One user's browser context (cookies are per context) bound to the live server."""

    def __init__(self, browser: Any, base_url: str) -> None:
        self.base_url = base_url
        self.context = browser.new_context(base_url=base_url, viewport={"width": 1280, "height": 900},
                                           locale="en-US", timezone_id="Europe/Moscow")
        self.context.set_default_timeout(TIMEOUT_MS)
        self.page = self.context.new_page()
        self.console_errors: list[str] = []
        self.page.on("console", self._on_console)
        self.page.on("pageerror", lambda e: self.console_errors.append(str(e)))

    def _on_console(self, message: Any) -> None:
        # Chromium asks for /favicon.ico on its own; the app does not ship one (not a page error).
        if message.type == "error" and not str(message.location.get("url", "")).endswith("/favicon.ico"):
            self.console_errors.append(f"{message.text} ({message.location.get('url')})")

    def login(self, user_login: str, password: str = DEMO_PASSWORD) -> Any:
        page = self.page
        page.goto("/login")
        page.fill("#login", user_login)
        page.fill("#password", password)
        with page.expect_navigation():
            page.locator("main form button[type=submit]").click()
        return page

    def close(self) -> None:
        self.context.close()


@pytest.fixture()
def new_session(browser: Any, live_server: str) -> Iterator[Any]:
    """Factory for fresh contexts; each test gets its own, closed at teardown."""
    opened: list[Session] = []

    def factory() -> Session:
        session = Session(browser, live_server)
        opened.append(session)
        return session

    yield factory
    for session in opened:
        session.close()


@pytest.fixture()
def page(new_session: Any) -> Any:
    return new_session().page


@pytest.fixture(scope="session")
def screenshot_dir() -> Iterator[Path]:
    configured = os.environ.get("CRM_SCREENSHOT_DIR")
    if configured:
        path = Path(configured)
        path.mkdir(parents=True, exist_ok=True)
        yield path
    else:
        # Kept after the run (and reported) so a human can look at them; the OS cleans /tmp.
        yield Path(tempfile.mkdtemp(prefix="crm-screenshots-"))


def path_of(url: str) -> str:
    return re.sub(r"^https?://[^/]+", "", url)


def submit(page: Any, locator: Any) -> None:
    """Click a form's submit button and wait for the page it leads to."""
    with page.expect_navigation():
        locator.click()


#: Two product lines with discount and VAT: 3 × 1 000.00 −10 % at 20 % and 1 × 333.33 without VAT.
TWO_LINES = (("Лицензия", "1000", "3", "10", "20"), ("Внедрение", "333.33", "1", "0", "without_vat"))


def add_lines(page: Any, lines: tuple[tuple[str, str, str, str, str], ...] = TWO_LINES) -> None:
    """Add product lines (name, price, quantity, discount %, VAT rate) on the open card's Products tab."""
    for line_name, price, quantity, discount, vat in lines:
        page.get_by_test_id("tab-products").click()
        add = page.get_by_test_id("line-add-form")
        add.locator("#line-name").fill(line_name)
        add.locator("#line-price").fill(price)
        add.locator("#line-quantity").fill(quantity)
        add.locator("#line-discount").fill(discount)
        add.locator("#line-vat").select_option(vat)
        submit(page, add.get_by_test_id("line-add"))


def drag(page: Any, card: Any, target: Any) -> None:
    """A real pointer drag (SortableJS listens to pointer/mouse and HTML5 drag events).

    Grabs the card by its lower text line, not the title link, so the browser does not start a link drag.
    """
    card.scroll_into_view_if_needed()
    src = card.bounding_box()
    dst = target.bounding_box()
    assert src and dst
    x, y = src["x"] + src["width"] / 2, src["y"] + src["height"] - 8
    to_x, to_y = dst["x"] + dst["width"] / 2, dst["y"] + min(dst["height"] / 2, 40)
    page.mouse.move(x, y)
    page.mouse.down()
    # SortableJS starts the drag on a timer after the first moves; pauses keep a loaded machine from
    # dropping before the drag began (the request below would then never be sent).
    page.mouse.move(x + 5, y + 5, steps=5)
    page.wait_for_timeout(150)
    page.mouse.move(to_x, to_y, steps=20)
    page.wait_for_timeout(150)
    page.mouse.move(to_x + 3, to_y + 3, steps=3)
    page.wait_for_timeout(100)
    page.mouse.up()
