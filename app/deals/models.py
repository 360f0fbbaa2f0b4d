"""Deal records and their contacts (the shared columns come from `app.records.models`)."""
from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.db import Base, utcnow
from app.records.models import ContactMixin, RecordMixin

if TYPE_CHECKING:
    from app.leads.models import Lead


class Deal(RecordMixin, Base):
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

    lead: Mapped["Lead | None"] = relationship("Lead", foreign_keys=[lead_id])
    merged_into: Mapped["Deal | None"] = relationship("Deal", foreign_keys=[merged_into_id], remote_side="Deal.id")
    contacts: Mapped[list["DealContact"]] = relationship(
        cascade="all, delete-orphan", passive_deletes=True,
        order_by=lambda: (DealContact.is_main.desc(), DealContact.id))


class DealContact(ContactMixin, Base):
    __tablename__ = "deal_contacts"
    deal_id: Mapped[int] = mapped_column(sa.ForeignKey("deals.id", ondelete="CASCADE"), index=True)


class DealLine(Base):
    """A product or service line of a deal: copied from the catalog (or typed), then changed for this deal."""

    __tablename__ = "deal_lines"
    id: Mapped[int] = mapped_column(primary_key=True)
    deal_id: Mapped[int] = mapped_column(sa.ForeignKey("deals.id", ondelete="CASCADE"), index=True)
    product_id: Mapped[int | None] = mapped_column(sa.ForeignKey("products.id", ondelete="SET NULL"), index=True)
    name: Mapped[str] = mapped_column(sa.String(255))
    type: Mapped[str] = mapped_column(sa.String(16), default="product")
    unit: Mapped[str] = mapped_column(sa.String(64), default="pcs")
    price: Mapped[Decimal] = mapped_column(sa.Numeric(15, 2))
    discount_percent: Mapped[Decimal] = mapped_column(sa.Numeric(5, 2), default=Decimal("0.00"))
    quantity: Mapped[Decimal] = mapped_column(sa.Numeric(15, 3))
    vat_rate: Mapped[str] = mapped_column(sa.String(64))
    position: Mapped[int] = mapped_column(sa.Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
