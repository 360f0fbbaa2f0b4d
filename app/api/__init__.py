"""The JSON API (/api/v1): the same services as the pages, DESIGN §6 conventions.

Every API blueprint (this package's and the domains' own `api.py`) uses `authenticate_request`
and the small JSON helpers below, so auth, CSRF and the body rules are the same everywhere.
"""
from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import request
from flask_babel import gettext as _
from flask_login import current_user

from app.errors import BadRequest, NotAuthenticated
from app.extensions import csrf


def authenticate_request() -> None:
    """401 without a user; session-authenticated writes must carry the CSRF token.

    Bearer-token writes need none: a foreign site cannot make the browser send that header.
    """
    if not current_user.is_authenticated:
        raise NotAuthenticated()
    if request.method not in ("GET", "HEAD", "OPTIONS") and not request.headers.get("Authorization"):
        csrf.protect()


def json_body() -> dict[str, Any]:
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise BadRequest(_("The request body must be a JSON object."), code="malformed_json")
    return body


def iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None
