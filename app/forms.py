"""Turning submitted HTML form fields into JSON data typed by a JSON Schema.

Type errors are reported per field; the schema itself is validated later by `workflows`.
"""
from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from flask_babel import gettext as _
from werkzeug.datastructures import MultiDict


def form_to_data(schema: dict[str, Any], form: MultiDict[str, str],
                 tz_name: str = "Europe/Moscow") -> tuple[dict[str, Any], dict[str, str]]:
    """Typed data and per-field type errors; naive date-times are read in the user's timezone."""
    data: dict[str, Any] = {}
    errors: dict[str, str] = {}
    for name, prop in schema.get("properties", {}).items():
        values = form.getlist(name)
        if not values:
            continue
        raw = values[-1].strip()
        kind = prop.get("type")
        if isinstance(kind, list):
            kind = next((k for k in kind if k != "null"), None)
        if kind == "boolean":
            data[name] = raw in ("true", "on", "1")
        elif raw == "":
            continue  # an empty field is "not given"; `required` reports it
        elif kind == "integer":
            try:
                data[name] = int(raw)
            except ValueError:
                errors[name] = _("Enter a whole number.")
        elif kind == "number":
            try:
                data[name] = float(raw) if prop.get("format") != "decimal" else raw
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
