"""Payments of a deal or an order in the JSON API: `GET|POST /api/v1/deals/<id>/payments` and
`GET|POST /api/v1/orders/<id>/payments` (create one prefilled from its deal or order). `GET /api/v1/orders/<id>/paid`
answers the order's paid and outstanding amounts (see app.payments.services).

The payment itself (card, status, ...) is under /api/v1/payments from the shared record machinery.
"""
from __future__ import annotations

from typing import Any

from flask import Blueprint, jsonify
from flask_login import current_user

from app.api import authenticate_request, json_body
from app.extensions import db
from app.payments import services
from app.records import services as records
from app.records.api import record_json
from app.records.kinds import get_kind, money

bp = Blueprint("record_payments_api", __name__, url_prefix="/api/v1")
bp.before_request(authenticate_request)


def _listed(**parent: int) -> Any:
    kind = services.payment_kind()
    items = [record_json(kind, p) for p in services.list_payments(current_user, **parent)]
    return jsonify({"items": items, "total": len(items)})


def _created(**parent: int) -> Any:
    payment = services.create_payment_for(json_body(), current_user, **parent)
    payload = record_json(services.payment_kind(), payment)
    db.session.commit()
    return jsonify(payload), 201


@bp.get("/deals/<int:deal_id>/payments")
def list_deal_payments(deal_id: int) -> Any:
    return _listed(deal_id=deal_id)


@bp.post("/deals/<int:deal_id>/payments")
def create_deal_payment(deal_id: int) -> Any:
    return _created(deal_id=deal_id)


@bp.get("/orders/<int:order_id>/payments")
def list_order_payments(order_id: int) -> Any:
    return _listed(order_id=order_id)


@bp.post("/orders/<int:order_id>/payments")
def create_order_payment(order_id: int) -> Any:
    return _created(order_id=order_id)


@bp.get("/orders/<int:order_id>/paid")
def order_paid(order_id: int) -> Any:
    order = records.get_record(get_kind("order"), order_id, current_user)
    totals = services.order_payment_totals(order)
    return jsonify({"order_id": order.id, "currency": order.currency, "total": money(totals.total),
                    "paid": money(totals.paid), "outstanding": money(totals.outstanding)})
