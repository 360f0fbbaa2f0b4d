"""GET /api/v1/directories/<directory>: the entries of one directory (DESIGN §6 conventions)."""
from __future__ import annotations

from typing import Any

from flask import Blueprint, jsonify, request
from flask_babel import get_locale

from app.directories import services
from app.api import authenticate_request

bp = Blueprint("directories_api", __name__, url_prefix="/api/v1")


bp.before_request(authenticate_request)


def entry_json(entry: Any, locale: str) -> dict[str, Any]:
    return {"id": entry.id, "directory": entry.directory, "code": entry.code, "label": entry.label(locale),
            "label_en": entry.label_en, "label_ru": entry.label_ru, "sort_order": entry.sort_order,
            "is_active": entry.is_active}


@bp.get("/directories")
def list_directories() -> Any:
    items = [{"id": d, "title": services.directory_title(d)} for d in services.list_directories()]
    return jsonify({"items": items, "total": len(items)})


@bp.get("/directories/<directory>")
def list_entries(directory: str) -> Any:
    entries = services.list_entries(directory, include_inactive=request.args.get("include_inactive") in ("1", "true"))
    locale = str(get_locale())
    return jsonify({"items": [entry_json(e, locale) for e in entries], "total": len(entries)})
