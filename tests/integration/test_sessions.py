"""Revocable sessions and tokens, probed over HTTP the way an attacker would replay stolen credentials.

A copied session cookie, a copied remember-me cookie and an API token must stop working after
logout (that session), a password change or a deactivation (every credential of the user); tokens
expire, can be revoked, and only by their owner or an administrator.
"""
from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from app.auth import services as auth_services
from tests.conftest import api_token, login

pytestmark = pytest.mark.db

REMEMBER = "remember_token"


def cookie(client: FlaskClient, name: str) -> str:
    found = client.get_cookie(name)
    assert found is not None, f"no {name} cookie"
    return found.value


def replay(app: Flask, **cookies: str) -> FlaskClient:
    """A fresh browser (the attacker's) holding only the given copied cookies."""
    attacker = app.test_client()
    for name, value in cookies.items():
        attacker.set_cookie(name, value)
    return attacker


def me(client: FlaskClient, headers: dict[str, str] | None = None) -> int:
    return client.get("/api/v1/me", headers=headers or {}).status_code


def change_password(client: FlaskClient, current: str = "demo", new: str = "new-secret-1") -> Any:
    return client.post("/profile/password", data={"current_password": current, "new_password": new,
                                                  "new_password_repeat": new})


def test_logout_ends_the_session_a_copied_cookie_dies_with_it(app, client, users):
    login(client, "manager1")
    stolen = cookie(client, "session")
    assert me(replay(app, session=stolen)) == 200  # the copy works while the session lives

    assert client.post("/logout").status_code == 302
    attacker = replay(app, session=stolen)
    assert me(attacker) == 401
    page = attacker.get("/tasks")
    assert page.status_code == 302 and "/login" in page.headers["Location"]


def test_logout_ends_only_that_session(app, client, users):
    login(client, "manager1")
    laptop = app.test_client()
    login(laptop, "manager1")
    client.post("/logout")
    assert me(laptop) == 200, "logging out on one device must not log out the others"


def test_remember_cookie_is_useless_after_a_password_change(app, client, users):
    response = client.post("/login", data={"login": "manager1", "password": "demo", "remember": "on"})
    assert response.status_code == 302
    stolen_remember, stolen_session = cookie(client, REMEMBER), cookie(client, "session")
    assert me(replay(app, **{REMEMBER: stolen_remember})) == 200  # remember-me alone logs in

    assert change_password(client).status_code == 302
    assert me(client) == 200, "the browser that changed the password stays logged in"
    assert me(replay(app, **{REMEMBER: stolen_remember})) == 401
    assert me(replay(app, session=stolen_session)) == 401
    assert cookie(client, REMEMBER) != stolen_remember, "this browser's remember-me cookie was re-issued"
    assert me(replay(app, **{REMEMBER: cookie(client, REMEMBER)})) == 200


def test_remember_cookie_is_useless_after_logout(app, client, users):
    client.post("/login", data={"login": "manager1", "password": "demo", "remember": "on"})
    stolen = cookie(client, REMEMBER)
    client.post("/logout")
    assert me(replay(app, **{REMEMBER: stolen})) == 401


def test_a_user_id_alone_in_the_session_is_not_a_login(app, client, users):
    # What a cookie from before this change (or a forged one) carries: only the user id.
    with client.session_transaction() as session:
        session["_user_id"] = str(users["admin"].id)
        session["_fresh"] = True
    assert me(client) == 401
    with client.session_transaction() as session:
        session["_user_id"] = f"{users['admin'].id}:0:made-up-session-key"
    assert me(client) == 401


def test_token_dies_with_a_password_change(client, users):
    headers = api_token(client, "manager1")
    assert me(client, headers) == 200
    login(client, "manager1")
    assert change_password(client).status_code == 302
    assert me(client, headers) == 401


def test_password_set_by_an_administrator_ends_sessions_and_tokens(app, client, users):
    victim = app.test_client()
    login(victim, "manager2")
    headers = api_token(victim, "manager2")
    login(client, "admin")
    target = users["manager2"]
    response = client.post(f"/admin/users/{target.id}", data={
        "full_name": target.full_name, "email": target.email, "locale": "en", "password": "reset-by-admin",
        "is_active": "on", "groups": target.group_ids, "line_manager": "director", "version": target.version})
    assert response.status_code == 302, response.get_data(as_text=True)
    assert me(victim) == 401 and me(victim, headers) == 401
    assert me(client) == 200, "the administrator's own session is untouched"


def test_deactivation_ends_sessions_and_tokens(app, client, users):
    victim = app.test_client()
    login(victim, "manager2")
    headers = api_token(victim, "manager2")
    login(client, "admin")
    target = users["manager2"]
    response = client.post(f"/admin/users/{target.id}", data={
        "full_name": target.full_name, "email": target.email, "locale": "en", "groups": target.group_ids,
        "line_manager": "director", "version": target.version})  # no is_active: deactivated
    assert response.status_code == 302, response.get_data(as_text=True)
    assert me(victim) == 401 and me(victim, headers) == 401
    assert client.post("/api/v1/auth/token", json={"login": "manager2", "password": "demo"}).status_code == 401
    # Reactivating the account does not bring the old credentials back.
    response = client.post(f"/admin/users/{target.id}", data={
        "full_name": target.full_name, "email": target.email, "locale": "en", "groups": target.group_ids,
        "line_manager": "director", "is_active": "on", "version": target.version})
    assert response.status_code == 302, response.get_data(as_text=True)
    assert me(victim) == 401 and me(victim, headers) == 401
    assert client.post("/api/v1/auth/token", json={"login": "manager2", "password": "demo"}).status_code == 201


def test_expired_token_is_refused(client, users, monkeypatch):
    response = client.post("/api/v1/auth/token", json={"login": "manager1", "password": "demo", "name": "ci"})
    assert response.status_code == 201
    body = response.get_json()
    headers = {"Authorization": f"Bearer {body['token']}"}
    assert body["name"] == "ci" and body["expires_at"]
    assert me(client, headers) == 200
    later = auth_services.utcnow() + timedelta(days=30, minutes=1)  # CRM_TOKEN_TTL_DAYS defaults to 30
    monkeypatch.setattr(auth_services, "utcnow", lambda: later)
    assert me(client, headers) == 401


def test_revoked_token_is_refused(client, users):
    response = client.post("/api/v1/auth/token", json={"login": "manager1", "password": "demo"})
    token = response.get_json()
    headers = {"Authorization": f"Bearer {token['token']}"}
    listed = client.get("/api/v1/auth/tokens", headers=headers).get_json()["items"]
    assert [t["id"] for t in listed] == [token["id"]]
    assert "token" not in listed[0], "the secret is shown once, never listed"
    assert client.delete(f"/api/v1/auth/tokens/{token['id']}", headers=headers).status_code == 204
    assert me(client, headers) == 401


def test_another_user_cannot_see_or_revoke_my_token(client, users):
    mine = client.post("/api/v1/auth/token", json={"login": "manager1", "password": "demo"}).get_json()
    my_headers = {"Authorization": f"Bearer {mine['token']}"}
    theirs = api_token(client, "manager2")
    assert client.delete(f"/api/v1/auth/tokens/{mine['id']}", headers=theirs).status_code == 404
    assert client.get("/api/v1/auth/tokens?user=manager1", headers=theirs).status_code == 403
    assert mine["id"] not in [t["id"] for t in client.get("/api/v1/auth/tokens", headers=theirs).get_json()["items"]]
    assert me(client, my_headers) == 200, "the failed attempt left my token working"
    # A session-authenticated revoke is no different.
    login(client, "manager2")
    assert client.post(f"/profile/tokens/{mine['id']}/revoke").status_code == 404
    assert me(client, my_headers) == 200


def test_admin_lists_and_revokes_anyones_token(client, users):
    mine = client.post("/api/v1/auth/token", json={"login": "manager1", "password": "demo"}).get_json()
    admin = api_token(client, "admin")
    listed = client.get("/api/v1/auth/tokens?user=manager1", headers=admin).get_json()["items"]
    assert [t["id"] for t in listed] == [mine["id"]] and listed[0]["user"] == "manager1"
    assert client.delete(f"/api/v1/auth/tokens/{mine['id']}", headers=admin).status_code == 204
    assert me(client, {"Authorization": f"Bearer {mine['token']}"}) == 401


def test_last_used_at_is_written_at_most_once_a_minute(client, users, monkeypatch):
    headers = api_token(client, "manager1")

    def last_used() -> str:
        return client.get("/api/v1/auth/tokens", headers=headers).get_json()["items"][0]["last_used_at"]

    first = last_used()
    assert first is not None
    start = auth_services.utcnow()
    monkeypatch.setattr(auth_services, "utcnow", lambda: start + timedelta(seconds=30))
    assert last_used() == first
    monkeypatch.setattr(auth_services, "utcnow", lambda: start + timedelta(seconds=90))
    assert last_used() != first


def test_an_administrator_setting_their_own_password_stays_logged_in(app, client, users):
    login(client, "admin")
    elsewhere = app.test_client()
    login(elsewhere, "admin")
    admin = users["admin"]
    response = client.post(f"/admin/users/{admin.id}", data={
        "full_name": admin.full_name, "email": admin.email, "locale": "en", "password": "new-admin-pw",
        "is_active": "on", "groups": admin.group_ids, "version": admin.version})
    assert response.status_code == 302, response.get_data(as_text=True)
    assert me(client) == 200 and me(elsewhere) == 401
