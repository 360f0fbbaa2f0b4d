"""The JSON API of every record kind:
`/api/v1/<plural>[/<id>[/actions|/status|/responsible|/observers|/contacts|/comments]]`.

`make_api_blueprint(kind)` builds one blueprint per kind ("leads_api"); the same services as the pages.
"""
from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from flask import Blueprint, jsonify, request
from flask_babel import gettext as _
from flask_login import current_user

from app.activities.views import add_activity_api
from app.api import authenticate_request, iso, json_body
from app.assignments.views import add_record_assignment_api
from app.errors import BadRequest
from app.extensions import db
from app.processes import services as processes
from app.records import comments, contacts, journal, services
from app.records.kinds import RecordKind, get_kind, money


def _value(value: Any) -> Any:
    if isinstance(value, Decimal):
        return money(value)
    if isinstance(value, datetime):
        return iso(value)
    if isinstance(value, date):  # a calendar date ("2026-12-01"), not a moment
        return value.isoformat()
    return value


def contact_json(c: Any) -> dict[str, Any]:
    return {"id": c.id, **{f: getattr(c, f) for f in c.CONTACT_FIELDS}}


def comment_json(c: Any) -> dict[str, Any]:
    return {"id": c.id, "text": c.text, "author": c.author.login if c.author else None,
            "created_at": iso(c.created_at)}


def record_json(kind: RecordKind, record: Any) -> dict[str, Any]:
    """A record as the API answers it: the card form's fields plus number, status, people, contacts."""
    card = {name: _value(getattr(record, name, None)) for name in services.card_schema(kind)["properties"]}
    body = {
        **card, "id": record.id, "number": record.display_number, "status": record.status,
        "responsible": record.responsible.login if record.responsible else None,
        "observers": [u.login for u in record.observers], "counterparty_id": record.counterparty_id,
        "amount": money(record.amount), "created_at": iso(record.created_at), "updated_at": iso(record.updated_at),
        "version": record.version, "contacts": [contact_json(c) for c in record.contacts],
    }
    if kind.extra_json:
        body.update({k: _value(v) for k, v in kind.extra_json(record).items()})
    return body


def status_response(kind: RecordKind, record_id: int) -> Any:
    """`POST …/status {"status": id, …transition form fields}` → the record (pages' kanban JSON too)."""
    body = json_body()
    status = body.get("status")
    if not isinstance(status, str):
        raise BadRequest(_("Give the new `status`."), code="malformed_json")
    data = {kind.status_aliases.get(k, k): v for k, v in body.items() if k != "status"}
    record = services.change_status(kind, record_id, status, data, current_user)
    payload = record_json(kind, record)
    follow = kind.after_status_url(record) if kind.after_status_url else None
    if follow:  # where a client should go now (a lead converted to a deal: the deal)
        payload["redirect"] = follow[0]
    db.session.commit()
    return jsonify(payload)


def _int_version(body: dict[str, Any]) -> Any:
    version = body.get("version")
    if version is not None and (isinstance(version, bool) or not isinstance(version, int)):
        raise BadRequest(_("`version` must be an integer."), code="malformed_json")
    return version


def make_api_blueprint(kind: RecordKind) -> Blueprint:
    bp = Blueprint(f"{kind.plural}_api", __name__, url_prefix=f"/api/v1/{kind.plural}")
    bp.before_request(authenticate_request)

    def _get(record_id: int) -> Any:
        return services.get_record(kind, record_id, current_user)

    @bp.get("", endpoint="list")
    def list_records() -> Any:
        page = journal.list_records(kind, current_user,
                                    journal.RecordFilter.from_args(kind, request.args, current_user.timezone))
        return jsonify({"items": [record_json(kind, r) for r in page.items], "total": page.total,
                        "page": page.page, "per_page": page.per_page})

    @bp.post("")
    def create() -> Any:
        body = json_body()
        contact_list = body.pop("contacts", None) or []
        if not isinstance(contact_list, list) or not all(isinstance(item, dict) for item in contact_list):
            raise BadRequest(_("`contacts` must be a list of objects."), code="malformed_json")
        record = services.create_record(kind, body, current_user, contact_list)
        payload = record_json(kind, record)
        db.session.commit()
        return jsonify(payload), 201

    @bp.get("/<int:record_id>")
    def get(record_id: int) -> Any:
        return jsonify(record_json(kind, _get(record_id)))

    @bp.patch("/<int:record_id>")
    def update(record_id: int) -> Any:
        body = json_body()
        record = services.update_record(kind, record_id, body, current_user, _int_version(body))
        payload = record_json(kind, record)
        db.session.commit()
        return jsonify(payload)

    @bp.get("/<int:record_id>/actions")
    def actions(record_id: int) -> Any:
        record = _get(record_id)
        moves = services.status_actions(kind, record, current_user)
        return jsonify({"status": record.status, "items": [
            {"status": s, "label": kind.action_label(s),
             "form": processes.form_schema(form) if form else None} for s, form in moves.items()]})

    @bp.post("/<int:record_id>/status")
    def change_status(record_id: int) -> Any:
        return status_response(kind, record_id)

    @bp.post("/<int:record_id>/responsible")
    def assign_responsible(record_id: int) -> Any:
        login = json_body().get("responsible")
        if login is not None and not isinstance(login, str):
            raise BadRequest(_("`responsible` must be a login or null."), code="malformed_json")
        record = services.assign_responsible(kind, record_id, login, current_user)
        payload = record_json(kind, record)
        db.session.commit()
        return jsonify(payload)

    @bp.put("/<int:record_id>/observers")
    def set_observers(record_id: int) -> Any:
        logins = json_body().get("observers")
        if not isinstance(logins, list) or not all(isinstance(login, str) for login in logins):
            raise BadRequest(_("`observers` must be a list of logins."), code="malformed_json")
        record = services.set_observers(kind, record_id, logins, current_user)
        payload = record_json(kind, record)
        db.session.commit()
        return jsonify(payload)

    @bp.get("/<int:record_id>/contacts")
    def list_contacts(record_id: int) -> Any:
        record = _get(record_id)
        return jsonify({"items": [contact_json(c) for c in record.contacts], "total": len(record.contacts)})

    @bp.post("/<int:record_id>/contacts")
    def add_contact(record_id: int) -> Any:
        contact = contacts.add_contact(kind, record_id, json_body(), current_user)
        payload = contact_json(contact)
        db.session.commit()
        return jsonify(payload), 201

    @bp.patch("/<int:record_id>/contacts/<int:contact_id>")
    def update_contact(record_id: int, contact_id: int) -> Any:
        body = json_body()
        version = _int_version(body)
        data = {k: v for k, v in body.items() if k != "version"}
        contact = contacts.update_contact(kind, record_id, contact_id, data, current_user, version)
        payload = contact_json(contact)
        db.session.commit()
        return jsonify(payload)

    @bp.delete("/<int:record_id>/contacts/<int:contact_id>")
    def remove_contact(record_id: int, contact_id: int) -> Any:
        contacts.remove_contact(kind, record_id, contact_id, current_user)
        db.session.commit()
        return "", 204

    @bp.get("/<int:record_id>/comments")
    def list_comments(record_id: int) -> Any:
        items = comments.list_comments(kind, record_id, current_user)
        return jsonify({"items": [comment_json(c) for c in items], "total": len(items)})

    @bp.post("/<int:record_id>/comments")
    def add_comment(record_id: int) -> Any:
        comment = comments.add_comment(kind, record_id, json_body().get("text"), current_user)
        payload = comment_json(comment)
        db.session.commit()
        return jsonify(payload), 201

    # Planned activities and assignments made from the record (app/activities, app/assignments).
    add_activity_api(kind, bp)
    add_record_assignment_api(kind, bp)
    return bp


__all__ = ["make_api_blueprint", "record_json", "status_response", "get_kind"]
