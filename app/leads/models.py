"""Lead records, their contacts and observers."""
from __future__ import annotations

from datetime import datetime
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.auth.models import User
from app.counterparties.models import Counterparty
from app.db import Base, ContactColumns, utcnow
from app.deals.models import Deal

STATUSES = ("not_processed", "interest_expressed", "paused", "disqualified", "deal")
TERMINAL_STATUSES = ("disqualified", "deal")
# Fields whose changes are written to the record history.
TRACKED_FIELDS = ("status", "responsible", "amount", "counterparty", "name", "disqualification_reason")

lead_observers = sa.Table(
    "lead_observers",
    Base.metadata,
    sa.Column("lead_id", sa.ForeignKey("leads.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("user_id", sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True, index=True),
)


class Lead(Base):
    __tablename__ = "leads"
    __table_args__ = (
        sa.Index("ix_leads_status_created", "status", "created_at"),
        sa.Index("ix_leads_responsible_status", "responsible_id", "status"),
        # Covers the kanban totals (count + sum per status) and the columns visible_filter reads.
        sa.Index("ix_leads_status_totals", "status", "responsible_id", "created_by_id", "amount"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[int] = mapped_column(sa.Integer, unique=True)
    name: Mapped[str] = mapped_column(sa.String(300))
    status: Mapped[str] = mapped_column(sa.String(30), default="not_processed")
    responsible_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"), index=True)
    counterparty_id: Mapped[int | None] = mapped_column(sa.ForeignKey("counterparties.id"), index=True)
    company_name: Mapped[str | None] = mapped_column(sa.String(300))
    amount: Mapped[Decimal | None] = mapped_column(sa.Numeric(15, 2))
    users_count: Mapped[int | None] = mapped_column(sa.Integer)
    request_type: Mapped[str | None] = mapped_column(sa.String(64))
    request_category: Mapped[str | None] = mapped_column(sa.String(64))
    request_source: Mapped[str | None] = mapped_column(sa.String(64))
    description: Mapped[str] = mapped_column(sa.Text, default="")
    site_email: Mapped[str | None] = mapped_column(sa.String(254))
    site_page: Mapped[str | None] = mapped_column(sa.String(1000))
    utm_source: Mapped[str | None] = mapped_column(sa.String(200))
    utm_medium: Mapped[str | None] = mapped_column(sa.String(200))
    utm_campaign: Mapped[str | None] = mapped_column(sa.String(200))
    utm_content: Mapped[str | None] = mapped_column(sa.String(200))
    utm_term: Mapped[str | None] = mapped_column(sa.String(200))
    ga_client_id: Mapped[str | None] = mapped_column(sa.String(100))
    ym_client_id: Mapped[str | None] = mapped_column(sa.String(100))
    received_at: Mapped[datetime | None] = mapped_column()
    disqualification_reason: Mapped[str | None] = mapped_column(sa.String(64))
    disqualification_comment: Mapped[str | None] = mapped_column(sa.Text)
    deal_id: Mapped[int | None] = mapped_column(sa.ForeignKey("deals.id"))
    processing_started_at: Mapped[datetime | None] = mapped_column()
    # Lower-cased name, company and contact emails/phones, kept by the service: SQLite's lower()
    # folds ASCII only, so case-insensitive Cyrillic search needs a folded copy on both databases.
    search_text: Mapped[str] = mapped_column(sa.Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    version: Mapped[int] = mapped_column(sa.Integer, nullable=False, default=1)

    __mapper_args__ = {"version_id_col": version}

    responsible: Mapped[User | None] = relationship(foreign_keys=[responsible_id])
    created_by: Mapped[User | None] = relationship(foreign_keys=[created_by_id])
    counterparty: Mapped[Counterparty | None] = relationship()
    deal: Mapped[Deal | None] = relationship(foreign_keys=[deal_id])
    observers: Mapped[list[User]] = relationship(secondary=lead_observers, order_by=User.full_name)
    contacts: Mapped[list["LeadContact"]] = relationship(
        cascade="all, delete-orphan", passive_deletes=True,
        order_by=lambda: (LeadContact.is_main.desc(), LeadContact.id))

    @property
    def display_number(self) -> str:
        return f"L-{self.number}"

    @property
    def client_name(self) -> str:
        if self.counterparty is not None:
            return self.counterparty.display_name
        return self.company_name or ""

    @property
    def is_closed(self) -> bool:
        return self.status in TERMINAL_STATUSES

    @property
    def main_contact(self) -> "LeadContact | None":
        return next((c for c in self.contacts if c.is_main), None)

    def refresh_search_text(self) -> None:
        parts = [self.name, self.company_name or "", self.site_email or ""]
        for c in self.contacts:
            parts += [c.full_name, c.email or "", c.phone or "", "".join(ch for ch in (c.phone or "") if ch.isdigit())]
        self.search_text = " ".join(p for p in parts if p).lower()


class LeadContact(ContactColumns, Base):
    __tablename__ = "lead_contacts"
    id: Mapped[int] = mapped_column(primary_key=True)
    lead_id: Mapped[int] = mapped_column(sa.ForeignKey("leads.id", ondelete="CASCADE"), index=True)
