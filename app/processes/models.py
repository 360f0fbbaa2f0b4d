"""Deployed BPMN versions and the process instances pinned to them."""
from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.db import Base, utcnow


class ProcessVersion(Base):
    """One deployed BPMN file content. `id` is the sha256 of the file bytes."""

    __tablename__ = "process_versions"
    __table_args__ = (sa.UniqueConstraint("process_id", "version", name="uq_process_versions_process_version"),)
    id: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    process_id: Mapped[str] = mapped_column(sa.String(100), index=True)
    version: Mapped[int] = mapped_column(sa.Integer)
    name: Mapped[str] = mapped_column(sa.String(200), default="")
    file_name: Mapped[str] = mapped_column(sa.String(255))
    xml: Mapped[str] = mapped_column(sa.Text)
    deployed_at: Mapped[datetime] = mapped_column(default=utcnow)
    deployed_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))


class ProcessInstance(Base):
    """A running (or finished) workflow of one record. `state` is spec-reference JSON."""

    __tablename__ = "process_instances"
    __table_args__ = (sa.Index("ix_process_instances_record", "record_type", "record_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    process_id: Mapped[str] = mapped_column(sa.String(100), index=True)
    version_id: Mapped[str] = mapped_column(sa.ForeignKey("process_versions.id"))
    record_type: Mapped[str] = mapped_column(sa.String(50))
    record_id: Mapped[int] = mapped_column(sa.Integer)
    status: Mapped[str] = mapped_column(sa.String(20), default="running")  # running | completed | error
    state: Mapped[dict[str, Any]] = mapped_column(sa.JSON)
    next_timer_at: Mapped[datetime | None] = mapped_column(index=True)
    started_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    version: Mapped[int] = mapped_column(sa.Integer, nullable=False, default=1)

    __mapper_args__ = {"version_id_col": version}

    process_version: Mapped[ProcessVersion] = relationship()

    @property
    def is_running(self) -> bool:
        return self.status == "running"
