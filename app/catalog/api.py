"""The catalog JSON API: /api/v1/products (list, create) and /api/v1/products/<id> (read, patch).

Its own blueprint, exempt from CSRF like `app.api`; session-authenticated writes are checked here.
"""
from __future__ import annotations

from typing import Any

from flask import Blueprint, jsonify, request
from flask_babel import gettext as _
from flask_login import current_user

from app.api import authenticate_request, iso, json_body
from app.catalog import services
from app.catalog.models import Product
from app.errors import BadRequest
from app.extensions import db
from app.records.kinds import money

bp = Blueprint("products_api", __name__, url_prefix="/api/v1")
bp.before_request(authenticate_request)


def product_json(p: Product) -> dict[str, Any]:
    return {"id": p.id, "name": p.name, "type": p.type, "unit": p.unit, "price": money(p.price),
            "vat_rate": p.vat_rate, "is_active": p.is_active, "version": p.version,
            "created_at": iso(p.created_at), "updated_at": iso(p.updated_at)}


@bp.get("/products")
def list_products() -> Any:
    flag = request.args.get("include_inactive", "")
    page = services.list_products(q=request.args.get("q"), include_inactive=flag in ("1", "true"),
                                  page=request.args.get("page", 1, type=int),
                                  per_page=request.args.get("per_page", 20, type=int))
    return jsonify({"items": [product_json(p) for p in page.items], "total": page.total, "page": page.page,
                    "per_page": page.per_page})


@bp.post("/products")
def create_product() -> Any:
    product = services.create_product(json_body(), current_user)
    payload = product_json(product)
    db.session.commit()
    return jsonify(payload), 201


@bp.get("/products/<int:product_id>")
def get_product(product_id: int) -> Any:
    return jsonify(product_json(services.get_product(product_id)))


@bp.patch("/products/<int:product_id>")
def update_product(product_id: int) -> Any:
    body = json_body()
    version = body.pop("version", None)
    if version is not None and (isinstance(version, bool) or not isinstance(version, int)):
        raise BadRequest(_("`version` must be an integer."), code="malformed_json")
    product = services.update_product(product_id, body, current_user, version)
    payload = product_json(product)
    db.session.commit()
    return jsonify(payload)
