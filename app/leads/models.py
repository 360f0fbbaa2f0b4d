"""Lead records and their contacts (the shared columns come from `app.records.models`)."""
from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.db import Base
from app.deals.models import Deal
from app.records.models import ContactMixin, MarketingMixin, RecordMixin


class Lead(MarketingMixin, RecordMixin, Base):
    __tablename__ = "leads"
    __record_type__ = "lead"
    number_prefix = "L"
    __table_args__ = (
        sa.Index("ix_leads_status_created", "status", "created_at"),
        sa.Index("ix_leads_responsible_status", "responsible_id", "status"),
        # Covers the kanban totals (count + sum per status) and the columns visible_filter reads.
        sa.Index("ix_leads_status_totals", "status", "responsible_id", "created_by_id", "amount"),
    )
    users_count: Mapped[int | None] = mapped_column(sa.Integer)
    request_type: Mapped[str | None] = mapped_column(sa.String(64))
    request_category: Mapped[str | None] = mapped_column(sa.String(64))
    request_source: Mapped[str | None] = mapped_column(sa.String(64))
    description: Mapped[str] = mapped_column(sa.Text, default="")
    disqualification_reason: Mapped[str | None] = mapped_column(sa.String(64))
    disqualification_comment: Mapped[str | None] = mapped_column(sa.Text)
    deal_id: Mapped[int | None] = mapped_column(sa.ForeignKey("deals.id"))
    processing_started_at: Mapped[datetime | None] = mapped_column()

    deal: Mapped[Deal | None] = relationship(foreign_keys=[deal_id])
    contacts: Mapped[list["LeadContact"]] = relationship(
        cascade="all, delete-orphan", passive_deletes=True,
        order_by=lambda: (LeadContact.is_main.desc(), LeadContact.id))

    def extra_search_parts(self) -> list[str | None]:
        return [self.site_email]


class LeadContact(ContactMixin, Base):
    __tablename__ = "lead_contacts"
    lead_id: Mapped[int] = mapped_column(sa.ForeignKey("leads.id", ondelete="CASCADE"), index=True)
