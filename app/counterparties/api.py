"""The counterparty JSON API under /api/v1 (DESIGN §6): list, create, read, patch, auto-fill, contacts.

Registered as its own blueprint, exempt from CSRF like `app.api`; session-authenticated writes are
checked for CSRF here, bearer-token writes are not (a site cannot forge the header).
"""
from __future__ import annotations

from typing import Any

from flask import Blueprint, jsonify, request
from flask_babel import gettext as _
from flask_login import current_user

from app.counterparties import services
from app.counterparties.models import FIELDS
from app.errors import BadRequest, NotFound
from app.api import authenticate_request, iso, json_body
from app.extensions import db

bp = Blueprint("counterparties_api", __name__, url_prefix="/api/v1")


bp.before_request(authenticate_request)


def contact_json(p: Any) -> dict[str, Any]:
    return {"id": p.id, "counterparty_id": p.counterparty_id, "full_name": p.full_name, "position": p.position,
            "department": p.department, "phone": p.phone, "email": p.email, "is_main": p.is_main}


def counterparty_json(c: Any, with_contacts: bool = True) -> dict[str, Any]:
    body: dict[str, Any] = {"id": c.id, **{f: getattr(c, f) for f in FIELDS}, "display_name": c.display_name,
                            "version": c.version, "created_at": iso(c.created_at), "updated_at": iso(c.updated_at),
                            "created_by": c.created_by.login if c.created_by else None}
    if with_contacts:
        body["contacts"] = [contact_json(p) for p in c.contacts]
    return body


@bp.get("/counterparties")
def list_counterparties() -> Any:
    page = services.list_counterparties(q=request.args.get("q"), type_filter=request.args.get("type") or None,
                                        page=request.args.get("page", 1, type=int),
                                        per_page=request.args.get("per_page", 20, type=int),
                                        sort=request.args.get("sort", "name"))
    return jsonify({"items": [counterparty_json(c, with_contacts=False) for c in page.items], "total": page.total,
                    "page": page.page, "per_page": page.per_page})


@bp.post("/counterparties")
def create_counterparty() -> Any:
    counterparty = services.create_counterparty(json_body(), current_user)
    db.session.commit()
    return jsonify(counterparty_json(counterparty)), 201


@bp.get("/counterparties/<int:counterparty_id>")
def get_counterparty(counterparty_id: int) -> Any:
    return jsonify(counterparty_json(services.get_counterparty(counterparty_id)))


@bp.patch("/counterparties/<int:counterparty_id>")
def update_counterparty(counterparty_id: int) -> Any:
    body = json_body()
    version = body.pop("version", None)
    if version is not None and (not isinstance(version, int) or isinstance(version, bool)):
        raise BadRequest(_("`version` must be an integer."), code="malformed_json")
    counterparty = services.update_counterparty(counterparty_id, body, current_user, expected_version=version)
    db.session.commit()
    return jsonify(counterparty_json(counterparty))


@bp.post("/counterparties/autofill")
def autofill() -> Any:
    services.require_editor(current_user)  # the registry lookup is part of editing a client, as on the page
    inn = json_body().get("inn")
    if not isinstance(inn, str):
        raise BadRequest(_("Give the INN as a string."), code="malformed_json")
    return jsonify(services.autofill(inn))


@bp.post("/counterparties/<int:counterparty_id>/contacts")
def add_contact(counterparty_id: int) -> Any:
    contact = services.add_contact(counterparty_id, json_body(), current_user)
    db.session.commit()
    return jsonify(contact_json(contact)), 201


def _contact_of(counterparty_id: int, contact_id: int) -> Any:
    contact = services.get_contact(contact_id)
    if contact.counterparty_id != counterparty_id:
        raise NotFound(_("Contact person not found."))
    return contact


@bp.patch("/counterparties/<int:counterparty_id>/contacts/<int:contact_id>")
def update_contact(counterparty_id: int, contact_id: int) -> Any:
    _contact_of(counterparty_id, contact_id)
    contact = services.update_contact(contact_id, json_body(), current_user)
    db.session.commit()
    return jsonify(contact_json(contact))


@bp.delete("/counterparties/<int:counterparty_id>/contacts/<int:contact_id>")
def remove_contact(counterparty_id: int, contact_id: int) -> Any:
    _contact_of(counterparty_id, contact_id)
    services.remove_contact(contact_id, current_user)
    db.session.commit()
    return "", 204
