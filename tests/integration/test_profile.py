"""The profile page: own password, language, timezone and API tokens; CSRF on every form."""
from __future__ import annotations

import re
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests.conftest import login, make_test_app

pytestmark = pytest.mark.db


def html(response: Any) -> str:
    return response.get_data(as_text=True)


def test_navbar_links_the_profile_and_the_page_shows_the_settings(client, users):
    login(client, "manager1")
    assert 'href="/profile"' in html(client.get("/tasks"))
    page = client.get("/profile")
    assert page.status_code == 200
    text = html(page)
    assert '<option value="Europe/Moscow" selected>' in text
    assert '<option value="Asia/Vladivostok"' in text
    assert "You have no API tokens." in text


def test_anonymous_is_sent_to_login(client, users):
    response = client.get("/profile")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    assert client.post("/profile/password", data={}).status_code == 302


def test_language_and_timezone_are_saved_and_used(client, users, db_session):
    login(client, "manager1")
    response = client.post("/profile/settings", data={"locale": "ru", "timezone": "Asia/Yekaterinburg"})
    assert response.status_code == 302
    db_session.refresh(users["manager1"])
    assert (users["manager1"].locale, users["manager1"].timezone) == ("ru", "Asia/Yekaterinburg")
    page = html(client.get("/profile"))
    assert "Выйти" in page and '<option value="Asia/Yekaterinburg" selected>' in page  # "Log out" in Russian


@pytest.mark.parametrize("data, field", [
    ({"locale": "de", "timezone": "Europe/Moscow"}, "locale"),
    ({"locale": "en", "timezone": "Mars/Olympus_Mons"}, "timezone"),
    ({"locale": "en", "timezone": "../../etc/passwd"}, "timezone"),
])
def test_bad_settings_are_refused_and_nothing_changes(client, users, db_session, data, field):
    login(client, "manager1")
    response = client.post("/profile/settings", data=data)
    assert response.status_code == 422
    assert f'id="{field}"' in html(response) and "is-invalid" in html(response)
    db_session.refresh(users["manager1"])
    assert (users["manager1"].locale, users["manager1"].timezone) == ("en", "Europe/Moscow")


@pytest.mark.parametrize("current, new, repeat, message", [
    ("wrong", "long-enough-1", "long-enough-1", "The current password is wrong."),
    ("demo", "short", "short", "Use at least 8 characters."),
    ("demo", "long-enough-1", "long-enough-2", "The passwords do not match."),
])
def test_password_change_errors(client, users, current, new, repeat, message):
    login(client, "manager1")
    response = client.post("/profile/password", data={"current_password": current, "new_password": new,
                                                      "new_password_repeat": repeat})
    assert response.status_code == 422 and message in html(response)
    assert client.post("/login", data={"login": "manager1", "password": "demo"}).status_code == 302


def test_password_change_keeps_this_session_and_replaces_the_password(app, client, users):
    login(client, "manager1")
    other = app.test_client()
    login(other, "manager1")
    response = client.post("/profile/password", data={"current_password": "demo", "new_password": "correct-horse",
                                                      "new_password_repeat": "correct-horse"})
    assert response.status_code == 302
    assert "Password changed" in html(client.get("/profile"))
    assert client.get("/api/v1/me").status_code == 200
    assert other.get("/api/v1/me").status_code == 401
    fresh = app.test_client()
    assert fresh.post("/login", data={"login": "manager1", "password": "demo"}).status_code == 401
    login(fresh, "manager1", "correct-horse")


def test_tokens_are_created_shown_once_listed_and_revoked_on_the_page(client, users):
    login(client, "manager1")
    created = client.post("/profile/tokens", data={"name": "nightly export"})
    assert created.status_code == 200
    match = re.search(r'data-testid="new-token".*?<code[^>]*>([^<]+)</code>', html(created), re.S)
    assert match, html(created)
    headers = {"Authorization": f"Bearer {match.group(1).strip()}"}
    assert client.get("/api/v1/me", headers=headers).status_code == 200
    page = html(client.get("/profile"))
    assert "nightly export" in page and match.group(1).strip() not in page, "the secret is shown only once"
    token_id = int(re.search(r'data-token-id="(\d+)"', page).group(1))
    assert client.post(f"/profile/tokens/{token_id}/revoke").status_code == 302
    assert client.get("/api/v1/me", headers=headers).status_code == 401
    assert "nightly export" not in html(client.get("/profile"))


@pytest.fixture(scope="module")
def csrf_app(app: Flask) -> Flask:
    return make_test_app(app.config["SQLALCHEMY_DATABASE_URI"], WTF_CSRF_ENABLED=True)


def csrf_token(client: FlaskClient, path: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', html(client.get(path)))
    assert match
    return match.group(1)


@pytest.mark.parametrize("path, data", [
    ("/profile/password", {"current_password": "demo", "new_password": "forged-password",
                           "new_password_repeat": "forged-password"}),
    ("/profile/settings", {"locale": "ru", "timezone": "Asia/Tokyo"}),
    ("/profile/tokens", {"name": "planted"}),
])
def test_every_profile_form_needs_the_csrf_token(csrf_app, db_session, users, path, data):
    client = csrf_app.test_client()
    assert client.post("/login", data={"login": "manager1", "password": "demo",
                                       "csrf_token": csrf_token(client, "/login")}).status_code == 302
    user = users["manager1"]
    before = (user.password_hash, user.locale, user.timezone)
    assert client.post(path, data=data).status_code == 400
    db_session.refresh(user)
    assert (user.password_hash, user.locale, user.timezone) == before
    assert "planted" not in html(client.get("/profile"))
    genuine = client.post(path, data={**data, "csrf_token": csrf_token(client, "/profile")})
    assert genuine.status_code in (200, 302)
