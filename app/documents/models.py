"""The Document Library's tables: folders (a tree), files, their versions, and links between records.

A folder or file "belongs to a record" when `record_type`/`record_id` are set: the record's own folder
(a root, `parent_id` NULL, at most one per record) and everything below it carry the record, so
visibility is one indexed comparison, never a walk up the tree. General folders carry none.

The bytes of a version live on disk under CRM_DOCUMENTS_DIR at `storage_key` (app.documents.storage),
never in the database. Imports only `app.db` and `app.auth.models`.
"""
from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.auth.models import User
from app.db import Base, utcnow

# The record type of a library document in a link (the other types are record kinds: "deal", ...).
DOCUMENT = "document"


def name_key(name: str) -> str:
    """The case-folded name that is unique among a folder's children ("Offer.docx" is "offer.docx")."""
    return name.casefold()


class Folder(Base):
    __tablename__ = "document_folders"

    id: Mapped[int] = mapped_column(primary_key=True)
    parent_id: Mapped[int | None] = mapped_column(sa.ForeignKey("document_folders.id"), index=True)
    name: Mapped[str] = mapped_column(sa.String(255))
    name_key: Mapped[str] = mapped_column(sa.String(255))
    record_type: Mapped[str | None] = mapped_column(sa.String(50))
    record_id: Mapped[int | None] = mapped_column(sa.Integer)
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    version: Mapped[int] = mapped_column(sa.Integer, nullable=False, default=1)

    created_by: Mapped[User | None] = relationship(User)

    __mapper_args__ = {"version_id_col": version}
    __table_args__ = (
        # Sibling names are unique (roots are checked by the service: NULL parents are all distinct).
        sa.UniqueConstraint("parent_id", "name_key"),
        sa.Index("ix_document_folders_record", "record_type", "record_id"),
        # One root folder per record, also when two requests create it at the same moment.
        sa.Index("uq_document_folders_record_root", "record_type", "record_id", unique=True,
                 sqlite_where=sa.text("parent_id IS NULL"), postgresql_where=sa.text("parent_id IS NULL")),
    )

    @property
    def is_record_root(self) -> bool:
        return self.parent_id is None and self.record_type is not None


class DocumentFile(Base):
    __tablename__ = "document_files"

    id: Mapped[int] = mapped_column(primary_key=True)
    folder_id: Mapped[int] = mapped_column(sa.ForeignKey("document_folders.id"))
    name: Mapped[str] = mapped_column(sa.String(255))
    name_key: Mapped[str] = mapped_column(sa.String(255))
    # The number of the version a download gives (the latest upload).
    current_version: Mapped[int] = mapped_column(sa.Integer, default=1)
    record_type: Mapped[str | None] = mapped_column(sa.String(50))
    record_id: Mapped[int | None] = mapped_column(sa.Integer)
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    version: Mapped[int] = mapped_column(sa.Integer, nullable=False, default=1)

    folder: Mapped[Folder] = relationship(Folder)
    created_by: Mapped[User | None] = relationship(User)
    versions: Mapped[list["FileVersion"]] = relationship(
        back_populates="file", order_by="FileVersion.number.desc()", cascade="all, delete-orphan",
        passive_deletes=True)

    __mapper_args__ = {"version_id_col": version}
    __table_args__ = (
        sa.UniqueConstraint("folder_id", "name_key"),
        sa.Index("ix_document_files_record", "record_type", "record_id"),
    )

    @property
    def current(self) -> "FileVersion":
        """The current version (the versions are loaded newest first)."""
        return next(v for v in self.versions if v.number == self.current_version)


class FileVersion(Base):
    __tablename__ = "document_file_versions"

    id: Mapped[int] = mapped_column(primary_key=True)
    file_id: Mapped[int] = mapped_column(sa.ForeignKey("document_files.id", ondelete="CASCADE"))
    number: Mapped[int] = mapped_column(sa.Integer)
    # Where the bytes are, relative to CRM_DOCUMENTS_DIR ("ab/ab12…"): a random id, never the name.
    storage_key: Mapped[str] = mapped_column(sa.String(100), unique=True)
    size: Mapped[int] = mapped_column(sa.BigInteger)
    sha256: Mapped[str] = mapped_column(sa.String(64))
    content_type: Mapped[str] = mapped_column(sa.String(255))
    uploaded_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    uploaded_at: Mapped[datetime] = mapped_column(default=utcnow)

    file: Mapped[DocumentFile] = relationship(back_populates="versions")
    uploaded_by: Mapped[User | None] = relationship(User)

    __table_args__ = (sa.UniqueConstraint("file_id", "number"),)


class RecordLink(Base):
    """A link between two records (any kinds) or a record and a library document, shown on both.

    The pair is stored in one canonical order (the smaller (type, id) first), so the unique
    constraint also refuses the same link made from the other card.
    """

    __tablename__ = "record_links"

    id: Mapped[int] = mapped_column(primary_key=True)
    from_type: Mapped[str] = mapped_column(sa.String(50))
    from_id: Mapped[int] = mapped_column(sa.Integer)
    to_type: Mapped[str] = mapped_column(sa.String(50))
    to_id: Mapped[int] = mapped_column(sa.Integer)
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    created_by: Mapped[User | None] = relationship(User)

    __table_args__ = (
        sa.UniqueConstraint("from_type", "from_id", "to_type", "to_id"),
        sa.Index("ix_record_links_to", "to_type", "to_id"),
    )

    def other_end(self, record_type: str, record_id: int) -> tuple[str, int]:
        """The end of the link that is not (record_type, record_id)."""
        if (self.from_type, self.from_id) == (record_type, record_id):
            return self.to_type, self.to_id
        return self.from_type, self.from_id
