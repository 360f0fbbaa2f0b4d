"""Generated documents (commercial proposal, invoice, act) of a record: what was asked for, its number, the
render state and the document's own status.

Imports only `app.db` and `app.auth.models` (the library's files and our legal entities are referenced by
id; their models belong to other packages).
"""
from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.auth.models import User
from app.db import Base, utcnow

KINDS = ("proposal", "invoice", "act")
#: The record type each kind is made from.
KIND_RECORD_TYPE = {"proposal": "deal", "invoice": "order", "act": "order"}
RENDER_STATUSES = ("pending", "ready", "failed")
STATUSES = ("draft", "issued", "paid", "signed", "canceled")
#: Document status moves by kind (DESIGN §4: draft → issued → paid (invoice) / signed (act), or canceled).
#: A proposal has no status of its own beyond draft: it is sent, not paid or signed.
STATUS_MOVES: dict[str, dict[str, tuple[str, ...]]] = {
    "invoice": {"draft": ("issued", "canceled"), "issued": ("paid", "canceled")},
    "act": {"draft": ("issued", "canceled"), "issued": ("signed", "canceled")},
    "proposal": {},
}
ERROR_MAX = 2000


class GeneratedDocument(Base):
    """One generated document. `context` is the JSON the template is rendered with, taken from the record when
    the document was requested: a retry renders the same document, and the record may change afterwards without
    changing an issued invoice."""

    __tablename__ = "generated_documents"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(sa.String(20))
    record_type: Mapped[str] = mapped_column(sa.String(50))
    record_id: Mapped[int] = mapped_column(sa.Integer)
    legal_entity_id: Mapped[int | None] = mapped_column(sa.ForeignKey("legal_entities.id"), index=True)
    # Sequential per kind, legal entity and year (app.db.next_number with the counter `numbering_counter`).
    year: Mapped[int] = mapped_column(sa.Integer)
    number: Mapped[int] = mapped_column(sa.Integer)
    document_date: Mapped[date] = mapped_column(sa.Date)
    amount: Mapped[Decimal] = mapped_column(sa.Numeric(15, 2))  # the total with VAT
    context: Mapped[dict[str, Any]] = mapped_column(sa.JSON)
    render_status: Mapped[str] = mapped_column(sa.String(20), default="pending")
    # Why rendering failed (render_status failed), or why a ready document has no PDF.
    error: Mapped[str | None] = mapped_column(sa.Text)
    attempts: Mapped[int] = mapped_column(sa.Integer, default=0)
    status: Mapped[str] = mapped_column(sa.String(20), default="draft")
    # Files in the Document Library (app.documents.storage), in the record's folder.
    file_id: Mapped[int | None] = mapped_column(sa.ForeignKey("document_files.id", ondelete="SET NULL"))
    pdf_file_id: Mapped[int | None] = mapped_column(sa.ForeignKey("document_files.id", ondelete="SET NULL"))
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    rendered_at: Mapped[datetime | None] = mapped_column()
    version: Mapped[int] = mapped_column(sa.Integer, nullable=False, default=1)

    created_by: Mapped[User | None] = relationship(User)

    __mapper_args__ = {"version_id_col": version}
    __table_args__ = (
        sa.Index("ix_generated_documents_record", "record_type", "record_id"),
        # The clock's recovery scan reads pending documents only.
        sa.Index("ix_generated_documents_render_status", "render_status", "updated_at"),
        sa.UniqueConstraint("kind", "legal_entity_id", "year", "number"),
    )

    @property
    def display_number(self) -> str:
        return str(self.number)

    @property
    def is_pending(self) -> bool:
        return self.render_status == "pending"

    @property
    def next_statuses(self) -> tuple[str, ...]:
        return STATUS_MOVES.get(self.kind, {}).get(self.status, ())

    @property
    def file_name(self) -> str:
        """The .docx's name in the library: kind, number and date, ASCII-safe ("invoice-12-2026-12-01.docx")."""
        return f"{self.kind}-{self.number}-{self.document_date.isoformat()}.docx"


def numbering_counter(kind: str, legal_entity_id: int | None, year: int) -> str:
    """The `counters` row a document's number comes from: one sequence per kind, legal entity and year."""
    return f"document:{kind}:{legal_entity_id or 0}:{year}"
