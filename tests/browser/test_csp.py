"""The Content-Security-Policy in a real browser (issue 6, item 7) and the new-user layout points.

Every page listed here must load with no CSP violation (reported both as a `securitypolicyviolation`
DOM event and as a console error), no other console error and no page error; the behaviours that
moved from inline handlers to app/static/crm.js (autosubmit, confirm) must still work; the process
diagram (bpmn-js) must still render. Layout: the admin's navbar fits one line at 1280 px and the inbox
does not widen the page at 390 px (screenshots kept for a person to look at).
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.browser.conftest import path_of

pytestmark = pytest.mark.browser

VENDOR = Path(__file__).resolve().parents[2] / "app" / "static" / "vendor"
# Injected through DevTools before any page script: not subject to the page's CSP itself.
COLLECT_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener('securitypolicyviolation', function (e) {
  window.__cspViolations.push(e.violatedDirective + ' blocked ' + (e.blockedURI || 'inline') +
                              ' at ' + e.sourceFile + ':' + e.lineNumber);
});
"""


class Watched:
    """A browser session that records every console message, page error and CSP violation."""

    def __init__(self, session: Any) -> None:
        self.session = session
        self.page = session.page
        self.console: list[str] = []
        self.page.add_init_script(COLLECT_VIOLATIONS)
        self.page.on("console", lambda m: self.console.append(f"{m.type}: {m.text}"))

    def visit(self, path: str) -> Any:
        response = self.page.goto(path)
        assert response is not None and response.status < 400, (path, response and response.status)
        return self.page

    def problems(self) -> list[str]:
        violations = self.page.evaluate("window.__cspViolations || []")
        console = [m for m in self.console
                   if m.startswith("error") or "Content Security Policy" in m or "Content-Security-Policy" in m]
        return [*violations, *console, *self.session.console_errors]

    def assert_clean(self, where: str) -> None:
        problems = self.problems()
        assert problems == [], f"{where}: {problems}"


@pytest.fixture()
def watched(new_session: Any) -> Any:
    def factory() -> Watched:
        return Watched(new_session())

    return factory


def test_login_page_has_no_csp_violation(watched: Any) -> None:
    anonymous = watched()
    page = anonymous.visit("/login")
    assert page.locator("#login").is_visible()
    # The favicon is ours now: no 404 for /favicon.ico or the linked icon.
    icon = page.evaluate("document.querySelector('link[rel=icon]').href")
    assert page.request.get(icon).status == 200
    assert page.request.get("/favicon.ico").status == 200
    anonymous.assert_clean("/login")


def test_manager_pages_have_no_csp_violation(watched: Any) -> None:
    manager = watched()
    manager.session.login("manager1")
    page = manager.page
    assert path_of(page.url).startswith("/tasks")
    manager.assert_clean("inbox")

    # A task page (with its JSON-Schema form).
    with page.expect_navigation():
        page.locator("[data-testid=task-row] td a").first.click()
    assert path_of(page.url).startswith("/tasks/")
    manager.assert_clean(path_of(page.url))

    for path in ("/tasks/completed", "/tasks/subordinates", "/assignments", "/assignments/new", "/board",
                 "/counterparties", "/counterparties?type=all", "/no-such-page"):
        response = page.goto(path)
        assert response is not None and response.status in (200, 404), (path, response and response.status)
        # The violation checks mean something only under a policy that forbids inline script.
        assert "script-src 'self'" in response.headers.get("content-security-policy", ""), path
        if path != "/no-such-page":
            manager.assert_clean(path)
    # The 404 page's only console error is the 404 response itself.
    assert [p for p in manager.problems() if "404" not in p] == []


def test_counterparty_pages_and_confirm_without_inline_script(watched: Any) -> None:
    director = watched()
    director.session.login("director")
    page = director.visit("/counterparties?type=all")
    director.assert_clean("/counterparties")
    rows = page.locator("[data-testid=client-row] a")
    assert rows.count() >= 1
    with page.expect_navigation():
        rows.first.click()
    director.assert_clean(path_of(page.url))
    detail = path_of(page.url)
    page.goto(detail + "/edit")
    director.assert_clean(detail + "/edit")
    page.goto("/counterparties/new")
    director.assert_clean("/counterparties/new")

    # Add a contact, then try to remove it: dismissing the data-confirm question keeps it.
    page.goto(detail)
    page.locator("[data-testid=add-contact] summary, details summary").first.click()
    form = page.get_by_test_id("add-contact")
    form.locator("[name=full_name]").fill("Confirm Test Person")
    with page.expect_navigation():
        form.locator("button[type=submit]").click()
    row = page.locator("[data-testid=contact-row]", has_text="Confirm Test Person")
    assert row.count() == 1
    questions: list[str] = []

    def dismiss(dialog: Any) -> None:
        questions.append(dialog.message)
        dialog.dismiss()

    page.once("dialog", dismiss)
    row.locator("form[data-confirm] button[type=submit]").click()
    page.wait_for_timeout(300)
    assert questions and "Remove this contact?" in questions[0]
    assert page.locator("[data-testid=contact-row]", has_text="Confirm Test Person").count() == 1

    page.once("dialog", lambda dialog: dialog.accept())
    with page.expect_navigation():
        row.locator("form[data-confirm] button[type=submit]").click()
    assert page.locator("[data-testid=contact-row]", has_text="Confirm Test Person").count() == 0
    director.assert_clean("contact removal")


def test_autosubmit_filters_work_without_inline_handlers(watched: Any) -> None:
    manager = watched()
    page = manager.session.login("manager1")
    assert page.get_attribute("#sort", "onchange") is None
    assert page.get_attribute("#sort", "data-autosubmit") is not None
    with page.expect_navigation():
        page.select_option("#sort", "-created")
    assert "sort=-created" in page.url
    with page.expect_navigation():
        page.check("#overdue")
    assert "overdue=1" in page.url
    page.goto("/counterparties")
    with page.expect_navigation():
        page.select_option("#type", "all")
    assert "type=all" in page.url
    manager.assert_clean("autosubmit")


def test_admin_pages_and_process_diagram_render_under_the_csp(watched: Any, screenshot_dir: Path) -> None:
    admin = watched()
    admin.session.login("admin")
    page = admin.page
    for path in ("/admin/directories", "/admin/users", "/processes"):
        admin.visit(path)
        admin.assert_clean(path)
    link = page.locator("table a[href^='/processes/']").first
    with page.expect_navigation():
        link.click()
    if (VENDOR / "bpmn-js" / "bpmn-navigated-viewer.production.min.js").exists():
        page.wait_for_selector("#diagram[data-rendered='1'] svg .djs-element", timeout=15_000)
        box = page.locator("#diagram").bounding_box()
        assert box and box["height"] > 200  # the height comes from crm.css now, not a style attribute
        page.screenshot(path=str(screenshot_dir / "process-version-admin.png"))
    admin.assert_clean(path_of(page.url))


def _navbar_layout(page: Any) -> dict[str, Any]:
    return page.evaluate("""() => {
      const selector = '#main-nav .nav-item, #main-nav > .btn, #main-nav .navbar-text, #main-nav form';
      const items = [...document.querySelectorAll(selector)]
        .filter(el => el.offsetParent !== null).map(el => el.getBoundingClientRect());
      const brand = document.querySelector('.navbar-brand').getBoundingClientRect();
      return {tops: items.map(r => Math.round(r.top + r.height / 2)), rights: items.map(r => r.right),
              count: items.length, navHeight: document.querySelector('nav.navbar').getBoundingClientRect().height,
              brandHeight: brand.height, toggler: getComputedStyle(document.querySelector('.navbar-toggler')).display,
              scrollWidth: document.documentElement.scrollWidth};
    }""")


def _russian_admin(live_app: Any) -> str:
    """An administrator whose language is Russian (longer menu labels), created once per session."""
    from app.auth.services import find_user_by_login
    from app.extensions import db
    from tests.factories import make_user

    login = "admin-ru"
    with live_app.app_context():
        try:
            if find_user_by_login(login) is None:
                make_user(login=login, full_name="Анна Администраторова", locale="ru",
                          group_ids=[live_app.config["CRM_GROUP_ADMIN"]])
                db.session.commit()
        finally:
            db.session.remove()
    return login


@pytest.mark.parametrize("locale", ["en", "ru"])
def test_admin_navbar_fits_one_line_at_1280(browser: Any, live_app: Any, live_server: str, screenshot_dir: Path,
                                            locale: str) -> None:
    login = "admin" if locale == "en" else _russian_admin(live_app)
    context = browser.new_context(base_url=live_server, viewport={"width": 1280, "height": 800})
    try:
        page = context.new_page()
        page.goto("/login")
        page.fill("#login", login)
        page.fill("#password", "demo")
        with page.expect_navigation():
            page.locator("main form button[type=submit]").click()
        assert page.locator("html").get_attribute("lang") == locale
        layout = _navbar_layout(page)
        page.screenshot(path=str(screenshot_dir / f"navbar-admin-1280-{locale}.png"))
        assert layout["toggler"] == "none", "the menu collapsed into the burger at 1280 px"
        assert layout["count"] >= 11, layout  # 8 menu items, 2 create buttons, the user menu
        assert max(layout["tops"]) - min(layout["tops"]) <= 4, f"navbar items wrap onto two lines: {layout}"
        assert max(layout["rights"]) <= 1280 and layout["scrollWidth"] <= 1280, layout
        assert layout["navHeight"] < 80, layout
    finally:
        context.close()


def test_inbox_is_usable_at_390_px(browser: Any, live_server: str, screenshot_dir: Path) -> None:
    context = browser.new_context(base_url=live_server, viewport={"width": 390, "height": 844},
                                  locale="en-US", is_mobile=True, has_touch=True)
    try:
        page = context.new_page()
        page.goto("/login")
        page.fill("#login", "manager1")
        page.fill("#password", "demo")
        with page.expect_navigation():
            page.locator("main form button[type=submit]").click()
        page.screenshot(path=str(screenshot_dir / "inbox-manager1-390.png"), full_page=True)
        widths = page.evaluate("""() => ({page: document.documentElement.scrollWidth,
            wrapper: document.querySelector('[data-testid=task-table]').closest('.table-responsive').clientWidth,
            table: document.querySelector('[data-testid=task-table]').scrollWidth})""")
        assert widths["page"] <= 390, f"the inbox widens the page at 390 px: {widths}"
        assert widths["wrapper"] <= 390
        assert page.locator("[data-testid=task-row] td a").first.is_visible()
    finally:
        context.close()
