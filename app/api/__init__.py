"""The JSON API (/api/v1): the same services as the pages, DESIGN §6 conventions.

Every API blueprint (this package's and the domains' own `api.py`) uses `authenticate_request`
and the small JSON helpers below, so auth, CSRF and the body rules are the same everywhere.
"""
from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import current_app, request
from flask_babel import gettext as _
from flask_login import current_user

from app.errors import BadRequest, NotAuthenticated
from app.extensions import csrf
from app.web import read_json_body


def authenticate_request() -> None:
    """401 without a user; writes not authenticated by a bearer token must carry the CSRF token.

    Bearer-token writes need none: a foreign site cannot make the browser send that header. Any
    other `Authorization` header (Basic, an unknown scheme) proves nothing, so a session-cookie
    write carrying one still needs the token.
    """
    if not current_user.is_authenticated:
        raise NotAuthenticated()
    if request.method not in ("GET", "HEAD", "OPTIONS") and not authenticated_by_token() \
            and current_app.config.get("WTF_CSRF_ENABLED", True):  # protect() itself ignores the switch
        csrf.protect()


def authenticated_by_token() -> bool:
    """True when the current user came from the request's bearer token, not from the session cookie.

    `app.auth.services.install_login` makes a request whose Authorization header starts with
    "Bearer " that token's user, or anonymous when the token is not valid, never the cookie's user;
    the scheme test here must stay the same as there.
    """
    return request.headers.get("Authorization", "").startswith("Bearer ") and current_user.is_authenticated


def json_body() -> dict[str, Any]:
    """The JSON object of the request body: 400 `malformed_json` otherwise.

    The size, depth and control-character rules (`app.web.read_json_body`) already ran before the
    view; running them here again is free (the body is cached) and keeps this safe on its own.
    """
    body = read_json_body()
    if not isinstance(body, dict):
        raise BadRequest(_("The request body must be a JSON object."), code="malformed_json")
    return body


def iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None
