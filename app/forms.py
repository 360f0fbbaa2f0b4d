"""Turning submitted HTML form fields into JSON data typed by a JSON Schema.

Type errors are reported per field; the schema itself is validated later (`workflows` for task
forms, `app.records.forms` for card forms).
"""
from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from flask_babel import gettext as _
from werkzeug.datastructures import MultiDict


def _types(prop: dict[str, Any]) -> list[str]:
    kind = prop.get("type")
    return list(kind) if isinstance(kind, list) else [kind] if kind else []


def form_to_data(schema: dict[str, Any], form: MultiDict[str, str], tz_name: str = "Europe/Moscow",
                 empty_as_null: bool = False) -> tuple[dict[str, Any], dict[str, str]]:
    """Typed data and per-field type errors; naive date-times are read in the user's timezone.

    Only the schema's properties are read (other fields, e.g. the CSRF token, are not data). An empty
    field is "not given" (so `required` reports it) unless `empty_as_null`: then it clears the value
    (None, or "" for a string that cannot be null) — the card forms' edit semantics.
    """
    data: dict[str, Any] = {}
    errors: dict[str, str] = {}
    for name, prop in schema.get("properties", {}).items():
        values = form.getlist(name)
        if not values:
            continue
        raw = values[-1].strip()
        types = _types(prop)
        kind = next((k for k in types if k != "null"), None)
        if kind == "boolean":
            data[name] = raw in ("true", "on", "1")
        elif raw == "":
            if empty_as_null:
                data[name] = None if "null" in types or kind != "string" else ""
            continue  # an empty field is "not given"; `required` reports it
        elif kind == "integer":
            try:
                data[name] = int(raw)
            except ValueError:
                errors[name] = _("Enter a whole number.")
        elif prop.get("format") == "decimal":
            data[name] = raw.replace(" ", "").replace("\u00a0", "").replace(",", ".")
        elif kind == "number":
            try:
                data[name] = float(raw)
            except ValueError:
                errors[name] = _("Enter a number.")
        elif prop.get("format") == "date-time":
            try:
                parsed = datetime.fromisoformat(raw)
                data[name] = (parsed if parsed.tzinfo else parsed.replace(tzinfo=ZoneInfo(tz_name))).isoformat()
            except ValueError:
                errors[name] = _("Enter a date and time.")
        else:
            data[name] = raw
    return data, errors
