"""Orders of a deal in the JSON API: `GET /api/v1/deals/<id>/orders` (the deal's orders the caller sees) and
`POST /api/v1/deals/<id>/orders` (create one prefilled from the deal; `copy_deal_lines: true` copies its lines).

The order itself (card, status, lines, ...) is under /api/v1/orders from the shared record machinery.
"""
from __future__ import annotations

from typing import Any

from flask import Blueprint, jsonify
from flask_babel import gettext as _
from flask_login import current_user

from app.api import authenticate_request, json_body
from app.errors import BadRequest
from app.extensions import db
from app.orders import services
from app.records.api import record_json

bp = Blueprint("deal_orders_api", __name__, url_prefix="/api/v1/deals")
bp.before_request(authenticate_request)


@bp.get("/<int:deal_id>/orders")
def list_orders(deal_id: int) -> Any:
    kind = services.order_kind()
    items = [record_json(kind, o) for o in services.list_deal_orders(deal_id, current_user)]
    return jsonify({"items": items, "total": len(items)})


@bp.post("/<int:deal_id>/orders")
def create_order(deal_id: int) -> Any:
    body = json_body()
    copy_lines = body.pop("copy_deal_lines", False)
    if not isinstance(copy_lines, bool):
        raise BadRequest(_("`copy_deal_lines` must be true or false."), code="malformed_json")
    order = services.create_order_for_deal(deal_id, body, current_user, copy_deal_lines=copy_lines)
    payload = record_json(services.order_kind(), order)
    db.session.commit()
    return jsonify(payload), 201
