"""Application errors with stable codes, and the one place that maps them to HTTP responses."""
from __future__ import annotations

import logging
from typing import Any

from flask import Flask, Response, jsonify, render_template, request
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import DataError
from werkzeug.exceptions import HTTPException

from app.extensions import db

logger = logging.getLogger(__name__)


class CrmError(Exception):
    status = 400
    code = "bad_request"
    default_message: Any = _l("The request could not be processed.")

    def __init__(self, message: Any = None, *, code: str | None = None, fields: dict[str, str] | None = None):
        # Kept lazy: translating needs the user's locale, which may need the database, and the
        # error may be raised while the session is unusable (a failed flush).
        self._message = message if message is not None else self.default_message
        if code:
            self.code = code
        self.fields = fields or {}
        super().__init__(self._message)

    @property
    def message(self) -> str:
        return str(self._message)

    @property
    def summary(self) -> str:
        """One line for a flash or a report: the message, or the field errors when the message is only
        the generic one ("Please correct the highlighted fields.")."""
        if self.fields and self._message is self.default_message:
            return "; ".join(self.fields.values())
        return self.message

    def __str__(self) -> str:
        return self.message


class BadRequest(CrmError):
    status = 400
    code = "bad_request"


class NotAuthenticated(CrmError):
    status = 401
    code = "not_authenticated"
    default_message = _l("Please log in.")


class PermissionDenied(CrmError):
    status = 403
    code = "permission_denied"
    default_message = _l("You are not allowed to do this.")


class NotFound(CrmError):
    status = 404
    code = "not_found"
    default_message = _l("Not found.")


class Conflict(CrmError):
    status = 409
    code = "conflict"
    default_message = _l("The record was changed by someone else, reload the page.")


class InvalidInput(CrmError):
    status = 422
    code = "invalid_input"
    default_message = _l("Please correct the highlighted fields.")


def wants_json() -> bool:
    if request.path.startswith("/api/"):
        return True
    best = request.accept_mimetypes.best_match(["application/json", "text/html"])
    return best == "application/json" and request.accept_mimetypes[best] > request.accept_mimetypes["text/html"]


def error_body(code: str, message: str, fields: dict[str, str] | None = None) -> dict[str, Any]:
    return {"error": {"code": code, "message": message, "fields": fields or {}}}


def _respond(status: int, code: str, message: str, fields: dict[str, str] | None = None) -> Response | tuple[Any, int]:
    # The unit of work failed: discard it before rendering (the page itself reads the database).
    db.session.rollback()
    if wants_json():
        return jsonify(error_body(code, message, fields)), status
    return render_template("error.html", status=status, code=code, message=message, fields=fields or {}), status


HTTP_MESSAGES: dict[int, Any] = {
    400: _l("The request could not be processed."),
    403: _l("You are not allowed to do this."),
    404: _l("Not found."),
    405: _l("This method is not allowed here."),
    413: _l("The upload is too large."),
}

HTTP_CODES = {
    400: "bad_request",
    401: "not_authenticated",
    403: "permission_denied",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "too_large",
    422: "invalid_input",
}


def register_error_handlers(app: Flask) -> None:
    @app.errorhandler(CrmError)
    def _crm_error(e: CrmError) -> Any:
        # Roll back before the lazy message is rendered: translating it reads the user's locale from
        # the database, which a failed flush (e.g. a stale version) has left unusable.
        db.session.rollback()
        return _respond(e.status, e.code, e.message, e.fields)

    @app.errorhandler(CSRFError)
    def _csrf_error(e: CSRFError) -> Any:
        message = _l("The form has expired or is invalid; reload the page and try again.")
        return _respond(400, "csrf_failed", str(message))

    @app.errorhandler(HTTPException)
    def _http_error(e: HTTPException) -> Any:
        status = e.code or 500
        message = HTTP_MESSAGES.get(status) or e.description or e.name
        return _respond(status, HTTP_CODES.get(status, "http_error"), str(message))

    @app.errorhandler(OverflowError)
    @app.errorhandler(DataError)
    def _out_of_range(e: Exception) -> Any:
        # Input no column can hold (a 20-digit number in a form field, text longer than the column):
        # SQLite refuses to bind the number (OverflowError), PostgreSQL the value (DataError). The
        # client's input, not a server fault; validation should have said so first, so log it.
        logger.warning("value out of range on %s %s: %s", request.method, request.path, e)
        db.session.rollback()  # before the message: translating it may load the user from the database
        return _respond(422, "invalid_input", str(_l("A value in the request is too large for its field.")))

    @app.errorhandler(Exception)
    def _unexpected(e: Exception) -> Any:
        logger.exception("unhandled error on %s %s", request.method, request.path)
        return _respond(500, "internal_error", str(_l("Something went wrong on our side. The error has been logged.")))
