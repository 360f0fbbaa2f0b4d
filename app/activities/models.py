"""Record history (who changed which tracked field of a record, when, from what to what) and comments."""
from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.auth.models import User
from app.db import Base, utcnow


class FieldChange(Base):
    __tablename__ = "field_changes"
    __table_args__ = (sa.Index("ix_field_changes_record", "record_type", "record_id", "changed_at"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    record_type: Mapped[str] = mapped_column(sa.String(50))
    record_id: Mapped[int] = mapped_column(sa.Integer)
    field: Mapped[str] = mapped_column(sa.String(64))
    old_value: Mapped[str | None] = mapped_column(sa.Text)
    new_value: Mapped[str | None] = mapped_column(sa.Text)
    changed_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    changed_at: Mapped[datetime] = mapped_column(default=utcnow)

    changed_by: Mapped[User | None] = relationship()


COMMENT_MAX_LENGTH = 10_000


class Comment(Base):
    """A comment on a record of any kind (lead, deal, ...): who wrote what, when."""

    __tablename__ = "comments"
    __table_args__ = (sa.Index("ix_comments_record", "record_type", "record_id", "created_at"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    record_type: Mapped[str] = mapped_column(sa.String(50))
    record_id: Mapped[int] = mapped_column(sa.Integer)
    author_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    text: Mapped[str] = mapped_column(sa.Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    author: Mapped[User | None] = relationship()
