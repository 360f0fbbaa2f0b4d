"""Writing and reading the field-change history and the comments of records. Flushes only.

These functions take a record_type and id and check no access: the caller (app.records) has already
checked that the actor may see, or write, the record.
"""
from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _

from app.activities.models import COMMENT_MAX_LENGTH, Comment, FieldChange
from app.db import utcnow
from app.errors import InvalidInput
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


def add_comment(record_type: str, record_id: int, text: Any, actor_id: int | None,
                at: datetime | None = None) -> Comment:
    """Add a comment (1..10 000 characters, surrounding blanks dropped) to a record.

    Raises InvalidInput (field `text`) for an empty, too long or non-string text.
    """
    if not isinstance(text, str) or not text.strip():
        raise InvalidInput(fields={"text": _("Write the comment.")})
    text = text.strip()
    if len(text) > COMMENT_MAX_LENGTH:
        raise InvalidInput(fields={"text": _("Use at most %(n)s characters.", n=COMMENT_MAX_LENGTH)})
    comment = Comment(record_type=record_type, record_id=record_id, text=text, author_id=actor_id,
                      created_at=at or utcnow())
    db.session.add(comment)
    db.session.flush()
    return comment


def list_comments(record_type: str, record_id: int, limit: int = 200) -> list[Comment]:
    """The record's comments, newest first."""
    return list(db.session.scalars(sa.select(Comment).where(Comment.record_type == record_type,
                                                            Comment.record_id == record_id)
                                   .order_by(Comment.created_at.desc(), Comment.id.desc()).limit(limit)))
