"""Deal records and their contacts (the shared columns come from `app.records.models`)."""
from __future__ import annotations

from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.db import Base
from app.records.models import ContactMixin, LineMixin, MarketingMixin, RecordMixin

if TYPE_CHECKING:
    from app.leads.models import Lead


class Deal(MarketingMixin, RecordMixin, Base):
    __tablename__ = "deals"
    __record_type__ = "deal"
    number_prefix = "D"
    __table_args__ = (
        sa.Index("ix_deals_status", "status"),
        sa.Index("ix_deals_responsible_id", "responsible_id"),
        # Covers the kanban totals (count + sum per status) and the columns visible_filter reads.
        sa.Index("ix_deals_status_totals", "status", "responsible_id", "created_by_id", "amount"),
        # The kanban of open deals (merged_into_id IS NULL): totals covered without a temporary B-tree,
        # and each column's cards in created order without sorting the column.
        sa.Index("ix_deals_merged_totals", "merged_into_id", "status", "responsible_id", "created_by_id", "amount"),
        sa.Index("ix_deals_status_created", "status", "created_at"),
    )
    users_count: Mapped[int | None] = mapped_column(sa.Integer)
    request_category: Mapped[str | None] = mapped_column(sa.String(64))
    request_source: Mapped[str | None] = mapped_column(sa.String(64))
    description: Mapped[str] = mapped_column(sa.Text, default="")
    lead_id: Mapped[int | None] = mapped_column(sa.ForeignKey("leads.id", use_alter=True), index=True)
    # Set when this deal was merged into another ("the main deal"): it is kept, closed and read-only.
    merged_into_id: Mapped[int | None] = mapped_column(sa.ForeignKey("deals.id"))
    # The deal's contract (selected or created from the deal card's Contract widget).
    contract_id: Mapped[int | None] = mapped_column(sa.ForeignKey("contracts.id", use_alter=True), index=True)

    lead: Mapped["Lead | None"] = relationship("Lead", foreign_keys=[lead_id])
    merged_into: Mapped["Deal | None"] = relationship("Deal", foreign_keys=[merged_into_id], remote_side="Deal.id")
    contacts: Mapped[list["DealContact"]] = relationship(
        cascade="all, delete-orphan", passive_deletes=True,
        order_by=lambda: (DealContact.is_main.desc(), DealContact.id))


class DealContact(ContactMixin, Base):
    __tablename__ = "deal_contacts"
    deal_id: Mapped[int] = mapped_column(sa.ForeignKey("deals.id", ondelete="CASCADE"), index=True)


class DealLine(LineMixin, Base):
    """A product or service line of a deal (the columns and rules: `LineMixin`, `app.records.lines`)."""

    __tablename__ = "deal_lines"
    owner_field = "deal_id"
    deal_id: Mapped[int] = mapped_column(sa.ForeignKey("deals.id", ondelete="CASCADE"), index=True)
