"""The profile page in a real browser (CSRF on): settings, own password, API token, from the user menu."""
from __future__ import annotations

import uuid
from typing import Any

import pytest

from tests.browser.conftest import path_of

pytestmark = pytest.mark.browser


def _own_user(live_app: Any) -> str:
    """A user of this test's own: the demo users' passwords must stay as they are for the other tests."""
    from app.extensions import db
    from tests.factories import make_user

    login = f"profile-{uuid.uuid4().hex[:8]}"
    with live_app.app_context():
        make_user(login=login, full_name="Polina Profile")
        db.session.commit()
        db.session.remove()
    return login


def test_user_changes_settings_password_and_makes_a_token(new_session: Any, live_app: Any) -> None:
    login = _own_user(live_app)
    session = new_session()
    page = session.login(login)
    page.get_by_test_id("current-user").click()
    with page.expect_navigation():
        page.get_by_test_id("profile-link").click()
    assert path_of(page.url) == "/profile"

    page.select_option("#timezone", "Asia/Novosibirsk")
    with page.expect_navigation():
        page.get_by_test_id("profile-settings").locator("button[type=submit]").click()
    assert page.get_by_text("Settings saved.").is_visible()
    assert page.input_value("#timezone") == "Asia/Novosibirsk"

    form = page.get_by_test_id("profile-password")
    form.locator("#current_password").fill("demo")
    form.locator("#new_password").fill("browser-secret-1")
    form.locator("#new_password_repeat").fill("browser-secret-1")
    with page.expect_navigation():
        form.locator("button[type=submit]").click()
    assert page.get_by_text("Password changed.").is_visible()
    assert page.get_by_test_id("current-user").inner_text().strip() == "Polina Profile"  # still logged in

    page.get_by_test_id("token-create").locator("#token_name").fill("from the browser")
    with page.expect_navigation():
        page.get_by_test_id("token-create").locator("button[type=submit]").click()
    assert page.get_by_test_id("new-token").locator("code").inner_text().strip()
    assert page.get_by_test_id("token-list").get_by_text("from the browser").is_visible()
    assert session.console_errors == []

    other = new_session()
    other.login(login, "browser-secret-1")
    assert path_of(other.page.url) != "/login"
