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


ACTIVITY_KINDS = ("call", "meeting", "email")
PLANNED, COMPLETED, EXPIRED, CANCELED = "planned", "completed", "expired", "canceled"
ACTIVITY_STATUSES = (PLANNED, COMPLETED, EXPIRED, CANCELED)
SUBJECT_MAX_LENGTH = 300
BODY_MAX_LENGTH = 20_000
RESULT_MAX_LENGTH = 10_000


class Activity(Base):
    """A planned activity on a record of any kind (a call, a meeting, an email to send), or an email
    received about it (kind "email" with sender, Message-ID and the time it arrived).

    A planned activity whose `due_at` has passed becomes "expired" (the clock's periodic job); one that
    was done is "completed" with its `result`; a canceled one stays, "canceled".
    """

    __tablename__ = "activities"
    __table_args__ = (
        sa.Index("ix_activities_record", "record_type", "record_id", "created_at"),
        # The expiry scan: planned activities past their due time.
        sa.Index("ix_activities_status_due", "status", "due_at"),
        sa.Index("ix_activities_message_id", "message_id"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    record_type: Mapped[str] = mapped_column(sa.String(50))
    record_id: Mapped[int] = mapped_column(sa.Integer)
    kind: Mapped[str] = mapped_column(sa.String(16))
    subject: Mapped[str] = mapped_column(sa.String(SUBJECT_MAX_LENGTH))
    body: Mapped[str] = mapped_column(sa.Text, default="")
    due_at: Mapped[datetime | None] = mapped_column()
    responsible_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"), index=True)
    status: Mapped[str] = mapped_column(sa.String(16), default=PLANNED)
    result: Mapped[str | None] = mapped_column(sa.Text)
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    completed_at: Mapped[datetime | None] = mapped_column()
    # A received email: who sent it, its Message-ID (duplicates are recognised by it) and when it came.
    sender: Mapped[str | None] = mapped_column(sa.String(320))
    message_id: Mapped[str | None] = mapped_column(sa.String(998))
    received_at: Mapped[datetime | None] = mapped_column()
    version: Mapped[int] = mapped_column(sa.Integer, nullable=False, default=1)

    __mapper_args__ = {"version_id_col": version}

    responsible: Mapped[User | None] = relationship(foreign_keys=[responsible_id])
    created_by: Mapped[User | None] = relationship(foreign_keys=[created_by_id])

    @property
    def is_open(self) -> bool:
        """Planned or expired: it can still be completed or canceled."""
        return self.status in (PLANNED, EXPIRED)

    @property
    def is_received_email(self) -> bool:
        return self.kind == "email" and self.received_at is not None
