"""Assignment records."""
from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.auth.models import Group, User
from app.db import Base, utcnow

STATUSES = ("in_progress", "in_review", "rework", "completed")


class Assignment(Base):
    __tablename__ = "assignments"
    __table_args__ = (sa.Index("ix_assignments_record", "record_type", "record_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[int] = mapped_column(sa.Integer, unique=True)
    title: Mapped[str] = mapped_column(sa.String(300))
    description: Mapped[str] = mapped_column(sa.Text, default="")
    author_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"), index=True)
    executor_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"), index=True)
    executor_group_id: Mapped[str | None] = mapped_column(sa.ForeignKey("groups.id"))
    reviewer_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    due_date: Mapped[date] = mapped_column(sa.Date)
    status: Mapped[str] = mapped_column(sa.String(20), default="in_progress")
    result_comment: Mapped[str | None] = mapped_column(sa.Text)
    review_comment: Mapped[str | None] = mapped_column(sa.Text)
    completed_at: Mapped[datetime | None] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    # The record the assignment was created from (a deal, a lead, ...), if any: its All Tasks show it.
    record_type: Mapped[str | None] = mapped_column(sa.String(50))
    record_id: Mapped[int | None] = mapped_column(sa.Integer)

    author: Mapped[User] = relationship(foreign_keys=[author_id])
    executor: Mapped[User | None] = relationship(foreign_keys=[executor_id])
    executor_group: Mapped[Group | None] = relationship()
    reviewer: Mapped[User | None] = relationship(foreign_keys=[reviewer_id])

    @property
    def display_number(self) -> str:
        return f"A-{self.number}"

    @property
    def is_closed(self) -> bool:
        return self.status == "completed"
