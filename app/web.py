"""Cross-cutting HTTP rules every response and request goes through, installed once by the factory.

- Security headers (CSP without inline script, framing, sniffing, referrer) on every response.
- Cookie flags: the session and remember-me cookies are HttpOnly, SameSite=Lax, and Secure when
  served over HTTPS (`CRM_SECURE_COOKIES`: auto, true, false).
- Input hygiene before any view runs: JSON bodies have a size and nesting limit (checked on the raw
  text, before a recursive parser sees it), and control characters in form fields, query arguments,
  URL segments and JSON strings are refused with 422 — one place for every endpoint.
- /favicon.ico points at the SVG icon.

Allowed imports: flask, `app.config`-level settings and `app.errors`; no domain modules.
"""
from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from typing import Any

from flask import Flask, Response, current_app, redirect, request, url_for
from flask_babel import get_locale, gettext as _

from app.errors import BadRequest, InvalidInput

CONTENT_SECURITY_POLICY = "; ".join((
    "default-src 'self'",
    "script-src 'self'",
    # Bootstrap and bpmn-js set element styles from script (CSSOM, which CSP allows); no inline
    # <style> or style="" attribute is needed, so none is allowed.
    "style-src 'self'",
    # Bootstrap's CSS draws its select arrows, toggler and close icons as data: SVGs.
    "img-src 'self' data:",
    "font-src 'self'",
    "connect-src 'self'",
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
))
SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
}
SECURE_COOKIE_MODES = ("auto", "true", "false")

# C0 controls except tab, line feed and carriage return, plus DEL: never part of text a person typed,
# and NUL is refused outright by PostgreSQL and by spreadsheet writers.
CONTROL_CHARS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_JSON_STRING = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"', re.S)
_NOT_BRACKET = re.compile(r"[^\[\]{}]+")
_BODY_METHODS = ("POST", "PUT", "PATCH", "DELETE")
_MAX_FIELD_ERRORS = 20


def install_web_rules(app: Flask) -> None:
    """Register the header, cookie and input hooks and the favicon route on `app`."""
    mode = str(app.config.get("CRM_SECURE_COOKIES", "auto")).strip().lower()
    if mode not in SECURE_COOKIE_MODES:
        raise ValueError(f"CRM_SECURE_COOKIES must be one of {', '.join(SECURE_COOKIE_MODES)}, not {mode!r}")
    if mode == "true":
        app.config["SESSION_COOKIE_SECURE"] = True
        app.config["REMEMBER_COOKIE_SECURE"] = True

    @app.before_request
    def _check_input() -> None:
        check_request_input()

    @app.after_request
    def _secure_headers(response: Response) -> Response:
        for name, value in SECURITY_HEADERS.items():
            response.headers.setdefault(name, value)
        return response

    if mode == "auto":
        # The session cookie is written after every after_request hook and Flask-Login's remember
        # cookie by its own hook, so the flag is added where the response leaves the app.
        app.wsgi_app = SecureCookiesOverHttps(app.wsgi_app)  # type: ignore[method-assign]

    def favicon() -> Any:
        return redirect(url_for("static", filename="favicon.svg"), 301)

    app.add_url_rule("/favicon.ico", endpoint="favicon", view_func=favicon)
    # base.html declares the page language (<html lang>) for screen readers, hyphenation and fonts.
    app.add_template_global(get_locale, "get_locale")


class SecureCookiesOverHttps:
    """WSGI middleware: every cookie set on a response to an HTTPS request gets the Secure flag.

    HTTPS is what WSGI says (`wsgi.url_scheme`); behind a proxy that terminates TLS, either set
    CRM_SECURE_COOKIES=true or let werkzeug's ProxyFix set the scheme from X-Forwarded-Proto.
    """

    def __init__(self, wsgi_app: Any) -> None:
        self.wsgi_app = wsgi_app

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        if environ.get("wsgi.url_scheme") != "https":
            return self.wsgi_app(environ, start_response)

        def start_secure(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            headers = [(name, _with_secure(value) if name.lower() == "set-cookie" else value)
                       for name, value in headers]
            return start_response(status, headers, exc_info)

        return self.wsgi_app(environ, start_secure)


def _with_secure(cookie: str) -> str:
    if any(part.strip().lower() == "secure" for part in cookie.split(";")[1:]):
        return cookie
    return f"{cookie}; Secure"


# ------------------------------------------------------------------------------------------- input


def check_request_input() -> None:
    """Refuse a request whose input could not be stored or parsed safely.

    Raises BadRequest (400 `malformed_json`) for a JSON body that is not JSON or nests deeper than
    CRM_MAX_JSON_DEPTH, RequestEntityTooLarge (413) above CRM_MAX_JSON_BYTES, and InvalidInput (422,
    one field error per offending field) for control characters anywhere in the input.
    """
    fields: dict[str, str] = {}
    _collect(fields, _named_strings((request.view_args or {}).items()))
    _collect(fields, _named_strings(request.args.items(multi=True)))
    if request.method in _BODY_METHODS:
        if request.is_json:
            body = read_json_body()
            if body is not None:
                _collect(fields, _json_strings(body, ""))
        elif request.mimetype in ("application/x-www-form-urlencoded", "multipart/form-data"):
            _collect(fields, _named_strings(request.form.items(multi=True)))
            _collect(fields, ((name, f.filename or "") for name, f in request.files.items(multi=True)))
    if fields:
        raise InvalidInput(fields=fields)


def read_json_body() -> Any:
    """The request's JSON document (None for an empty body), parsed only after the limits are checked."""
    limit = int(current_app.config["CRM_MAX_JSON_BYTES"])
    current = request.max_content_length
    request.max_content_length = limit if current is None else min(limit, current)
    raw = request.get_data(cache=True)  # raises RequestEntityTooLarge (413) above the limit
    if not raw.strip():
        return None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        raise BadRequest(_("The request body is not valid JSON."), code="malformed_json") from e
    max_depth = int(current_app.config["CRM_MAX_JSON_DEPTH"])
    if json_depth(text) > max_depth:
        raise BadRequest(_("The JSON document nests deeper than %(n)d levels.", n=max_depth), code="malformed_json")
    body = request.get_json(silent=True)
    if body is None and text.strip() != "null":
        raise BadRequest(_("The request body is not valid JSON."), code="malformed_json")
    return body


def json_depth(text: str) -> int:
    """How deep arrays and objects nest in a JSON text, without parsing it (linear, no recursion).

    String contents are removed first, so brackets inside strings do not count; for text that is not
    valid JSON the answer is an upper bound, and the parser refuses it afterwards anyway.
    """
    brackets = _NOT_BRACKET.sub("", _JSON_STRING.sub("", text))
    depth = deepest = 0
    for char in brackets:
        if char in "[{":
            depth += 1
            deepest = max(deepest, depth)
        else:
            depth -= 1
    return deepest


def _named_strings(pairs: Iterable[tuple[str | None, Any]]) -> Iterator[tuple[str, str]]:
    for raw_name, value in pairs:
        name = raw_name or ""  # a multipart part whose name werkzeug could not parse comes as None
        yield name, name
        if isinstance(value, str):
            yield name, value


def _json_strings(value: Any, path: str) -> Iterator[tuple[str, str]]:
    # The depth was bounded before parsing, so this recursion is too.
    if isinstance(value, str):
        yield path or "body", value
    elif isinstance(value, dict):
        for key, item in value.items():
            child = f"{path}.{key}" if path else str(key)
            yield child, str(key)
            yield from _json_strings(item, child)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _json_strings(item, f"{path}.{index}" if path else str(index))


def _collect(fields: dict[str, str], named: Iterable[tuple[str, str]]) -> None:
    for name, text in named:
        if len(fields) >= _MAX_FIELD_ERRORS:
            return
        if name not in fields and CONTROL_CHARS.search(text):
            fields[CONTROL_CHARS.sub("\N{REPLACEMENT CHARACTER}", name)] = _(
                "Control characters (such as NUL) are not allowed.")
