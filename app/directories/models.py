"""Directory entries: one table for every directory, keyed by (directory, code)."""
from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base


class DirectoryEntry(Base):
    __tablename__ = "directory_entries"
    __table_args__ = (sa.UniqueConstraint("directory", "code", name="uq_directory_entries_directory_code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    directory: Mapped[str] = mapped_column(sa.String(64), index=True)
    code: Mapped[str] = mapped_column(sa.String(64))
    label_en: Mapped[str] = mapped_column(sa.String(200))
    label_ru: Mapped[str] = mapped_column(sa.String(200), default="")
    sort_order: Mapped[int] = mapped_column(sa.Integer, default=0)
    is_active: Mapped[bool] = mapped_column(sa.Boolean, default=True)

    def label(self, locale: str | None) -> str:
        """The label in `locale` ("ru" or anything else → English), falling back to English."""
        if (locale or "").startswith("ru") and self.label_ru:
            return self.label_ru
        return self.label_en
