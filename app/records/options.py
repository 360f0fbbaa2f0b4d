"""Choices of form fields: a directory (`x-directory`) or a named list (`x-options`), as JSON Schema
`oneOf` entries (`const` + `title`) in the user's language."""
from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask_babel import get_locale

from app.access.services import eligible_responsibles
from app.counterparties.models import Counterparty
from app.directories import services as directories
from app.extensions import db
from app.records.kinds import registered_kinds

PICKER_LIMIT = 500


def _counterparties(value: Any) -> list[dict[str, Any]]:
    query = sa.select(Counterparty).order_by(Counterparty.short_name, Counterparty.full_name).limit(PICKER_LIMIT)
    found = list(db.session.scalars(query))
    if isinstance(value, int) and all(c.id != value for c in found):
        current = db.session.get(Counterparty, value)
        found += [current] if current is not None else []
    return [{"const": c.id, "title": f"{c.display_name}" + (f" · {c.inn}" if c.inn else "")} for c in found]


def field_options(prop: dict[str, Any], value: Any = None) -> list[dict[str, Any]]:
    directory = prop.get("x-directory")
    if directory:
        locale = str(get_locale())
        return [{"const": e.code, "title": directories.label(e, locale)} for e in directories.list_entries(directory)]
    source = prop.get("x-options")
    if source == "responsibles":
        return [{"const": u.login, "title": u.display_name} for u in eligible_responsibles()]
    if source == "counterparties":
        return _counterparties(value)
    for kind in registered_kinds():  # a kind's own lists (e.g. a contract's legal entities)
        provider = kind.field_options.get(str(source))
        if provider is not None:
            return provider(value)
    return []
