"""Orders, their contact persons and their product/service lines (the shared columns: `app.records.models`)."""
from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.db import Base
from app.records.models import ContactMixin, LineMixin, RecordMixin

if TYPE_CHECKING:
    from app.deals.models import Deal

CURRENCIES = ("RUB", "USD", "EUR", "CNY")


class Order(RecordMixin, Base):
    """An order of a deal: its amount is the total with VAT of its lines (`app.records.lines`)."""

    __tablename__ = "orders"
    __record_type__ = "order"
    number_prefix = "O"
    __table_args__ = (
        sa.Index("ix_orders_status", "status"),
        sa.Index("ix_orders_responsible_id", "responsible_id"),
    )
    order_date: Mapped[date | None] = mapped_column(sa.Date)
    deal_id: Mapped[int | None] = mapped_column(sa.ForeignKey("deals.id"), index=True)
    contract_id: Mapped[int | None] = mapped_column(sa.ForeignKey("contracts.id"), index=True)
    currency: Mapped[str] = mapped_column(sa.String(3), default="RUB")
    description: Mapped[str] = mapped_column(sa.Text, default="")
    # The Commercial Director's last word on the order (why it was returned to placement).
    approval_comment: Mapped[str | None] = mapped_column(sa.Text)

    deal: Mapped["Deal | None"] = relationship("Deal", foreign_keys=[deal_id])
    contacts: Mapped[list["OrderContact"]] = relationship(
        cascade="all, delete-orphan", passive_deletes=True,
        order_by=lambda: (OrderContact.is_main.desc(), OrderContact.id))


class OrderContact(ContactMixin, Base):
    __tablename__ = "order_contacts"
    order_id: Mapped[int] = mapped_column(sa.ForeignKey("orders.id", ondelete="CASCADE"), index=True)


class OrderLine(LineMixin, Base):
    """A product or service line of an order (the columns and rules: `LineMixin`, `app.records.lines`)."""

    __tablename__ = "order_lines"
    owner_field = "order_id"
    order_id: Mapped[int] = mapped_column(sa.ForeignKey("orders.id", ondelete="CASCADE"), index=True)
