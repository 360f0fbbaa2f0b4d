"""Security headers on every response and the flags of the session and remember-me cookies (issue 6, item 7)."""
from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import login

pytestmark = pytest.mark.db


def _csp(response: Any) -> dict[str, str]:
    policy = response.headers.get("Content-Security-Policy", "")
    directives = [d.strip().split(None, 1) for d in policy.split(";") if d.strip()]
    return {d[0]: (d[1] if len(d) > 1 else "") for d in directives}


@pytest.mark.parametrize("path", ["/login", "/tasks", "/api/v1/me", "/static/crm.css", "/no-such-page"])
def test_every_response_carries_the_security_headers(client, users, path):
    login(client, "manager1")
    response = client.get(path)
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] in ("same-origin", "strict-origin-when-cross-origin")
    csp = _csp(response)
    assert csp["script-src"] == "'self'"  # no 'unsafe-inline', no 'unsafe-eval'
    assert csp["frame-ancestors"] == "'none'"
    assert csp["object-src"] == "'none'"
    assert csp["base-uri"] == "'self'"
    assert csp["form-action"] == "'self'"
    assert "unsafe-inline" not in csp.get("style-src", "") and "unsafe" not in csp["default-src"]


def test_anonymous_login_page_has_the_headers(client):
    response = client.get("/login")
    assert response.status_code == 200
    assert "script-src 'self'" in response.headers["Content-Security-Policy"]
    assert response.headers["X-Frame-Options"] == "DENY"


def test_pages_contain_no_inline_script(client, users):
    """The CSP forbids inline script, so no page may rely on one (checked on the pages we render)."""
    login(client, "admin")
    for path in ("/tasks", "/tasks/completed", "/board", "/counterparties", "/counterparties/new",
                 "/assignments", "/assignments/new", "/processes", "/admin/directories", "/admin/users", "/login"):
        html = client.get(path).get_data(as_text=True)
        assert "onchange=" not in html and "onsubmit=" not in html and "onclick=" not in html, path
        assert "javascript:" not in html, path
        for chunk in html.split("<script")[1:]:
            assert chunk.lstrip().startswith("src="), f"inline <script> on {path}: {chunk[:80]}"


def _set_cookies(response: Any) -> dict[str, str]:
    return {c.split("=", 1)[0]: c for c in response.headers.getlist("Set-Cookie")}


def _flags(cookie: str) -> set[str]:
    return {part.strip().lower() for part in cookie.split(";")[1:]}


def test_session_and_remember_cookies_are_httponly_lax_and_not_secure_over_http(client, users):
    response = client.post("/login", data={"login": "manager1", "password": "demo", "remember": "1"})
    assert response.status_code == 302
    cookies = _set_cookies(response)
    assert {"session", "remember_token"} <= cookies.keys()
    for name in ("session", "remember_token"):
        flags = _flags(cookies[name])
        assert "httponly" in flags, cookies[name]
        assert "samesite=lax" in flags, cookies[name]
        assert "secure" not in flags, cookies[name]  # plain HTTP: a Secure cookie would never come back


def test_cookies_are_secure_when_served_over_https(app, client, users):
    response = client.post("/login", data={"login": "manager1", "password": "demo", "remember": "1"},
                           base_url="https://crm.example.org")
    assert response.status_code == 302
    cookies = _set_cookies(response)
    for name in ("session", "remember_token"):
        flags = _flags(cookies[name])
        assert {"secure", "httponly", "samesite=lax"} <= flags, cookies[name]


def test_secure_cookies_forced_by_config(database_url):
    """CRM_SECURE_COOKIES=true: Secure even on plain HTTP (TLS ends at a proxy in front of us)."""
    from tests.conftest import make_test_app

    application = make_test_app(database_url, CRM_SECURE_COOKIES="true")
    assert application.config["SESSION_COOKIE_SECURE"] is True
    assert application.config["REMEMBER_COOKIE_SECURE"] is True
    with pytest.raises(ValueError):
        make_test_app(database_url, CRM_SECURE_COOKIES="sometimes")


def test_favicon(client):
    response = client.get("/favicon.ico")
    assert response.status_code in (301, 302, 308)
    icon = client.get(response.headers["Location"])
    assert icon.status_code == 200 and icon.mimetype == "image/svg+xml"
    assert b"<svg" in icon.data
    assert 'rel="icon"' in client.get("/login").get_data(as_text=True)
