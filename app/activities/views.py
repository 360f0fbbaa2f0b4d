"""The Activities widget's routes for every record kind: pages on the kind's blueprint and JSON on its
API blueprint. `app.records` calls `add_activity_views` / `add_activity_api` when it builds them.

Pages: POST /<plural>/<id>/activities (plan), …/activities/<aid>/complete, …/activities/<aid>/cancel.
API:   GET/POST /api/v1/<plural>/<id>/activities, PATCH …/activities/<aid> (with `version`),
       POST …/activities/<aid>/complete {result}, POST …/activities/<aid>/cancel.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Blueprint, jsonify, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from app.activities import record_activities as service
from app.activities.models import Activity
from app.activities.services import ACTIVITY_FIELDS
from app.api import iso, json_body
from app.errors import BadRequest, InvalidInput
from app.extensions import db
from app.records.kinds import RecordKind
from app.records.services import get_record

# (record, errors=…, status=…, form=…) -> the card page (app.records.views' renderer).
CardRenderer = Callable[..., Any]


def activity_json(a: Activity) -> dict[str, Any]:
    return {"id": a.id, "record_type": a.record_type, "record_id": a.record_id, "kind": a.kind,
            "subject": a.subject, "body": a.body, "due_at": iso(a.due_at), "status": a.status,
            "responsible": a.responsible.login if a.responsible else None, "result": a.result,
            "created_by": a.created_by.login if a.created_by else None, "created_at": iso(a.created_at),
            "updated_at": iso(a.updated_at), "completed_at": iso(a.completed_at), "sender": a.sender,
            "message_id": a.message_id, "received_at": iso(a.received_at), "version": a.version}


def _form_version() -> Any:
    raw = request.form.get("version", "")
    return int(raw) if raw.isdigit() and len(raw) < 10 else raw or None


def add_activity_views(kind: RecordKind, bp: Blueprint, render_card: CardRenderer) -> None:
    base = f"/{kind.plural}/<int:record_id>/activities"

    def _back(record_id: int, anchor: str = "activities") -> Any:
        return redirect(url_for(f"{kind.plural}.detail", record_id=record_id, _anchor=anchor))

    def _refused(record_id: int, e: InvalidInput, prefix: str) -> Any:
        # The form comes back prefixed: its `responsible` or `body` must not refill the card's own form.
        db.session.rollback()
        errors = {f"{prefix}{k}": v for k, v in e.fields.items()} or {"": e.message}
        form = {f"{prefix}{k}": v for k, v in request.form.items() if k != "csrf_token"}
        return render_card(get_record(kind, record_id, current_user), errors=errors, status=422, form=form)

    @bp.post(base, endpoint="add_activity")
    @login_required
    def add_activity(record_id: int) -> Any:
        data = {name: request.form.get(name, "") for name in ACTIVITY_FIELDS}
        try:
            activity = service.add_record_activity(kind, record_id, data, current_user, current_user.timezone)
        except InvalidInput as e:
            return _refused(record_id, e, "activity_")
        db.session.commit()
        return _back(record_id, f"activity-{activity.id}")

    @bp.post(f"{base}/<int:activity_id>/complete", endpoint="complete_activity")
    @login_required
    def complete_activity(record_id: int, activity_id: int) -> Any:
        try:
            service.complete_record_activity(kind, record_id, activity_id, request.form.get("result", ""),
                                             current_user, _form_version())
        except InvalidInput as e:
            return _refused(record_id, e, f"activity_{activity_id}_")
        db.session.commit()
        return _back(record_id, f"activity-{activity_id}")

    @bp.post(f"{base}/<int:activity_id>/cancel", endpoint="cancel_activity")
    @login_required
    def cancel_activity(record_id: int, activity_id: int) -> Any:
        service.cancel_record_activity(kind, record_id, activity_id, current_user, _form_version())
        db.session.commit()
        return _back(record_id, f"activity-{activity_id}")


def _json_version(body: dict[str, Any]) -> Any:
    version = body.get("version")
    if version is not None and (isinstance(version, bool) or not isinstance(version, int)):
        raise BadRequest(_("`version` must be an integer."), code="malformed_json")
    return version


def add_activity_api(kind: RecordKind, bp: Blueprint) -> None:
    @bp.get("/<int:record_id>/activities", endpoint="list_activities")
    def list_activities(record_id: int) -> Any:
        items = service.list_record_activities(kind, record_id, current_user)
        return jsonify({"items": [activity_json(a) for a in items], "total": len(items)})

    @bp.post("/<int:record_id>/activities", endpoint="add_activity")
    def add_activity(record_id: int) -> Any:
        activity = service.add_record_activity(kind, record_id, json_body(), current_user, None)
        payload = activity_json(activity)
        db.session.commit()
        return jsonify(payload), 201

    @bp.patch("/<int:record_id>/activities/<int:activity_id>", endpoint="update_activity")
    def update_activity(record_id: int, activity_id: int) -> Any:
        body = json_body()
        version = _json_version(body)
        data = {k: v for k, v in body.items() if k != "version"}
        activity = service.update_record_activity(kind, record_id, activity_id, data, current_user, version, None)
        payload = activity_json(activity)
        db.session.commit()
        return jsonify(payload)

    @bp.post("/<int:record_id>/activities/<int:activity_id>/complete", endpoint="complete_activity")
    def complete_activity(record_id: int, activity_id: int) -> Any:
        body = json_body()
        unknown = sorted(set(body) - {"result", "version"})
        if unknown:
            raise InvalidInput(fields={str(k)[:100]: _("This field cannot be changed here.") for k in unknown})
        activity = service.complete_record_activity(kind, record_id, activity_id, body.get("result"), current_user,
                                                    _json_version(body))
        payload = activity_json(activity)
        db.session.commit()
        return jsonify(payload)

    @bp.post("/<int:record_id>/activities/<int:activity_id>/cancel", endpoint="cancel_activity")
    def cancel_activity(record_id: int, activity_id: int) -> Any:
        body = json_body() if request.content_length else {}
        activity = service.cancel_record_activity(kind, record_id, activity_id, current_user, _json_version(body))
        payload = activity_json(activity)
        db.session.commit()
        return jsonify(payload)


__all__ = ["add_activity_views", "add_activity_api", "activity_json"]
