"""Login throttling (Flask-Limiter): failed logins counted per login name and per client address.

The login page (`auth.login`) and the token endpoint (`api.issue_token`) share the counters, so an
attacker gets no extra guesses by switching between them. Only failed attempts (401) count: people
who type their password right are never slowed down, and a throttled attempt is refused before the
password is even checked. Limits come from the config (CRM_LOGIN_LIMIT_PER_LOGIN, ..._PER_ADDRESS).

Counters live in Redis (CRM_RATELIMIT_STORAGE_URL, default REDIS_URL). While Redis does not answer,
Flask-Limiter counts in this process's memory and probes Redis again with a growing back-off; short
socket timeouts keep an unreachable host from stalling a login.

Each app gets its own `Limiter` (kept in `app.extensions["crm_limiter"]`) and wraps its own view
functions: Flask-Limiter's module-level decorators keep their state on one shared object, which
would mix up the several apps a test session builds.
"""
from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable
from typing import Any

from flask import Flask, Response, current_app, jsonify, render_template, request
from flask_babel import gettext as _
from flask_limiter import Limiter, RateLimitExceeded
from flask_limiter.util import get_remote_address

from app.errors import error_body, wants_json

logger = logging.getLogger(__name__)

#: The endpoints that check a password.
LOGIN_ENDPOINTS = ("auth.login", "api.issue_token")
STORAGE_TIMEOUT_S = 0.5


def _login_key() -> str:
    """The login name the request tries (form field or JSON `login`), normalised like the lookup."""
    login: Any = None
    try:
        if request.is_json:
            body = request.get_json(silent=True)
            login = body.get("login") if isinstance(body, dict) else None
        else:
            login = request.form.get("login")
    except Exception:  # a body the view itself will refuse with 400; count it under no name
        logger.debug("login throttle could not read the request body", exc_info=True)
    name = login.strip().lower()[:100] if isinstance(login, str) else ""
    return f"name:{name}"


def _address_key() -> str:
    # Behind a reverse proxy this is the proxy's address unless the app trusts X-Forwarded-For
    # (werkzeug's ProxyFix); then every client would share one counter.
    return f"addr:{get_remote_address()}"


def _failed(response: Response) -> bool:
    return response.status_code == 401


def _per_login() -> str:
    return str(current_app.config["CRM_LOGIN_LIMIT_PER_LOGIN"])


def _per_address() -> str:
    return str(current_app.config["CRM_LOGIN_LIMIT_PER_ADDRESS"])


def install_throttling(app: Flask) -> None:
    """Throttle the app's LOGIN_ENDPOINTS (call after the blueprints are registered)."""
    if not app.config["CRM_RATELIMIT_ENABLED"]:
        return
    app.config.setdefault("RATELIMIT_ENABLED", True)
    storage = app.config["CRM_RATELIMIT_STORAGE_URL"] or app.config["REDIS_URL"]
    options: dict[str, Any] = {}
    if storage.startswith(("redis://", "rediss://", "unix://")):
        options = {"socket_connect_timeout": STORAGE_TIMEOUT_S, "socket_timeout": STORAGE_TIMEOUT_S}
    limiter = Limiter(key_func=get_remote_address, storage_uri=storage, storage_options=options,
                      strategy="moving-window", in_memory_fallback_enabled=True, swallow_errors=True,
                      key_prefix="crm-login", headers_enabled=False)
    limiter.init_app(app)
    per_login = limiter.shared_limit(_per_login, scope="login-name", key_func=_login_key, methods=["POST"],
                                     deduct_when=_failed)
    per_address = limiter.shared_limit(_per_address, scope="login-address", key_func=_address_key,
                                       methods=["POST"], deduct_when=_failed)
    for endpoint in LOGIN_ENDPOINTS:
        view: Callable[..., Any] = app.view_functions[endpoint]
        app.view_functions[endpoint] = per_address(per_login(view))
    app.extensions["crm_limiter"] = limiter
    app.register_error_handler(RateLimitExceeded, _too_many_attempts)


def _retry_after() -> int:
    limiter: Limiter = current_app.extensions["crm_limiter"]
    current = limiter.current_limit
    reset_at = current.reset_at if current is not None else time.time() + 60
    return max(1, math.ceil(reset_at - time.time()))


def _too_many_attempts(_e: RateLimitExceeded) -> Any:
    """429 with Retry-After: a JSON `rate_limited` error on the API, the login form with a message on the page."""
    seconds = _retry_after()
    message = _("Too many failed login attempts. Try again in %(seconds)s s.", seconds=seconds)
    response: Response
    if wants_json():
        response = jsonify(error_body("rate_limited", message))
    else:
        response = current_app.make_response(render_template(
            "auth/login.html", error=message, login=request.form.get("login", "")))
    response.status_code = 429
    response.headers["Retry-After"] = str(seconds)
    return response
