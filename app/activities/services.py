"""Writing and reading the field-change history. Flushes only."""
from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa

from app.activities.models import FieldChange
from app.db import utcnow
from app.extensions import db


def _text(value: Any) -> str | None:
    if value is None or value == "":
        return None
    return str(value)


def record_change(record_type: str, record_id: int, field: str, old: Any, new: Any, actor_id: int | None,
                  at: datetime | None = None) -> FieldChange | None:
    """Add a history row when the value really changed; returns it (or None)."""
    if _text(old) == _text(new):
        return None
    change = FieldChange(record_type=record_type, record_id=record_id, field=field, old_value=_text(old),
                         new_value=_text(new), changed_by_id=actor_id, changed_at=at or utcnow())
    db.session.add(change)
    return change


def list_changes(record_type: str, record_id: int, field: str | None = None, limit: int = 200) -> list[FieldChange]:
    query = sa.select(FieldChange).where(FieldChange.record_type == record_type, FieldChange.record_id == record_id)
    if field:
        query = query.where(FieldChange.field == field)
    return list(db.session.scalars(query.order_by(FieldChange.changed_at.desc(), FieldChange.id.desc()).limit(limit)))
