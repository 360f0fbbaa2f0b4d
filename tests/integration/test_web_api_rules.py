"""API rules found by probing from outside (issue 6): CSRF on session-cookie writes whatever
`Authorization` header comes with them (item 7), and `GET /api/v1/processes` for analysts only (item 8).

CSRF is off in the shared test app; these tests switch it on for themselves, as in production.
"""
from __future__ import annotations

import re
from datetime import date, timedelta
from typing import Any

import pytest
import sqlalchemy as sa

from tests.conftest import api_token, login

pytestmark = pytest.mark.db


def _assignment_payload(title: str) -> dict[str, Any]:
    return {"title": title, "executor": "manager1", "due_date": (date.today() + timedelta(days=3)).isoformat()}


def _count_assignments(title: str) -> int:
    from app.assignments.models import Assignment
    from app.extensions import db

    return db.session.scalar(sa.select(sa.func.count()).select_from(Assignment).where(Assignment.title == title)) or 0


@pytest.mark.parametrize("authorization", [
    "Basic ZGlyZWN0b3I6ZGVtbw==",   # a scheme the API does not use
    "Token abc",                    # an unknown scheme
    "Bearer",                       # no token at all
    "Bearer ",                      # an empty token
    "Bearer garbage",               # a token that is not valid (anonymous: 401)
])
def test_session_cookie_write_with_other_authorization_needs_csrf(app, client, users, monkeypatch, authorization):
    login(client, "director")
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", True)
    title = f"Forged {authorization!r}"
    response = client.post("/api/v1/assignments", json=_assignment_payload(title),
                           headers={"Authorization": authorization})
    assert response.status_code in (400, 401, 403), response.get_json()
    assert response.get_json()["error"]["code"] in ("csrf_failed", "not_authenticated")
    assert _count_assignments(title) == 0


def test_lowercase_bearer_with_a_valid_token_and_a_cookie_needs_csrf(app, client, users, monkeypatch):
    """The token loader only takes "Bearer ": anything else is the cookie's user, so it needs CSRF."""
    token = api_token(client, "director")["Authorization"].split(" ", 1)[1]
    login(client, "director")
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", True)
    response = client.post("/api/v1/assignments", json=_assignment_payload("Lowercase scheme"),
                           headers={"Authorization": f"bearer {token}"})
    assert response.status_code in (400, 401), response.get_json()
    assert _count_assignments("Lowercase scheme") == 0


def test_session_cookie_write_with_csrf_token_and_bearer_write_without(app, client, users, monkeypatch):
    headers = api_token(client, "director")
    login(client, "director")
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", True)
    page = client.get("/tasks").get_data(as_text=True)
    csrf_token = re.search(r'<meta name="csrf-token" content="([^"]+)"', page).group(1)

    with_csrf = client.post("/api/v1/assignments", json=_assignment_payload("With CSRF"),
                            headers={"X-CSRFToken": csrf_token})
    assert with_csrf.status_code == 201, with_csrf.get_json()
    # A valid bearer token is its own proof: no CSRF token needed, even with the cookie present.
    with_token = client.post("/api/v1/assignments", json=_assignment_payload("With token"), headers=headers)
    assert with_token.status_code == 201, with_token.get_json()
    assert with_token.get_json()["author"] == "director"
    # And a session write with neither is refused.
    plain = client.post("/api/v1/assignments", json=_assignment_payload("Plain"))
    assert plain.status_code == 400 and plain.get_json()["error"]["code"] == "csrf_failed"
    assert _count_assignments("Plain") == 0


def test_counterparty_api_write_with_basic_header_needs_csrf(app, client, users, monkeypatch):
    """The same rule on the domains' own API blueprints (counterparties)."""
    login(client, "director")
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", True)
    response = client.post("/api/v1/counterparties", json={"full_name": "Forged LLC", "type": "buyer"},
                           headers={"Authorization": "Basic eDp4"})
    assert response.status_code == 400 and response.get_json()["error"]["code"] == "csrf_failed"
    listing = client.get("/api/v1/counterparties", query_string={"q": "Forged"}).get_json()
    assert listing["total"] == 0


@pytest.mark.parametrize("user_login, status", [("manager1", 403), ("director", 403), ("analyst", 200),
                                                ("admin", 200)])
def test_processes_api_follows_the_processes_page(client, users, user_login, status):
    headers = api_token(client, user_login)
    response = client.get("/api/v1/processes", headers=headers)
    assert response.status_code == status, response.get_json()
    login(client, user_login)
    assert client.get("/processes").status_code == status  # the page, for comparison
    if status == 200:
        assert {item["process_id"] for item in response.get_json()["items"]} >= {"assignment"}
    else:
        assert response.get_json()["error"]["code"] == "permission_denied"
