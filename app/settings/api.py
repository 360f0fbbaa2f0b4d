"""GET /api/v1/settings, GET/PUT /api/v1/settings/<key>: the Configuration journal for administrators."""
from __future__ import annotations

from typing import Any

from flask import Blueprint, jsonify
from flask_login import current_user

from app.api import authenticate_request, iso, json_body
from app.extensions import db
from app.settings import services

bp = Blueprint("settings_api", __name__, url_prefix="/api/v1")
bp.before_request(authenticate_request)


def setting_json(view: services.SettingView) -> dict[str, Any]:
    return {"key": view.key, "value": view.value, "description": view.description, "is_secret": view.is_secret,
            "updated_at": iso(view.updated_at), "updated_by": view.updated_by}


@bp.get("/settings")
def list_settings() -> Any:
    items = [setting_json(v) for v in services.list_settings(current_user)]
    return jsonify({"items": items, "total": len(items)})


@bp.get("/settings/<key>")
def get_setting(key: str) -> Any:
    return jsonify(setting_json(services.view_setting(key, current_user)))


@bp.put("/settings/<key>")
def update_setting(key: str) -> Any:
    body = json_body()
    view = services.update_setting(key, body.get("value"), current_user, description=body.get("description"))
    db.session.commit()
    return jsonify(setting_json(view))
