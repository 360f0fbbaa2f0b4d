"""Payments and their contact persons (the shared columns: `app.records.models`).

`amount` (RecordMixin) is the payment's amount; `paid_amount` what was received of it so far (set when the
payment becomes partially paid, and equal to the amount once it is paid).
"""
from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.db import Base
from app.records.models import ContactMixin, RecordMixin

if TYPE_CHECKING:
    from app.deals.models import Deal
    from app.orders.models import Order


class Payment(RecordMixin, Base):
    __tablename__ = "payments"
    __record_type__ = "payment"
    number_prefix = "P"
    __table_args__ = (
        sa.Index("ix_payments_status", "status"),
        sa.Index("ix_payments_responsible_id", "responsible_id"),
    )
    currency: Mapped[str] = mapped_column(sa.String(3), default="RUB")
    order_id: Mapped[int | None] = mapped_column(sa.ForeignKey("orders.id"), index=True)
    deal_id: Mapped[int | None] = mapped_column(sa.ForeignKey("deals.id"), index=True)
    planned_date: Mapped[date | None] = mapped_column(sa.Date)
    actual_date: Mapped[date | None] = mapped_column(sa.Date)
    paid_amount: Mapped[Decimal | None] = mapped_column(sa.Numeric(15, 2))
    comment: Mapped[str] = mapped_column(sa.Text, default="")
    cancel_comment: Mapped[str | None] = mapped_column(sa.Text)

    order: Mapped["Order | None"] = relationship("Order", foreign_keys=[order_id])
    deal: Mapped["Deal | None"] = relationship("Deal", foreign_keys=[deal_id])
    contacts: Mapped[list["PaymentContact"]] = relationship(
        cascade="all, delete-orphan", passive_deletes=True,
        order_by=lambda: (PaymentContact.is_main.desc(), PaymentContact.id))

    def extra_search_parts(self) -> list[str | None]:
        return [self.comment]


class PaymentContact(ContactMixin, Base):
    __tablename__ = "payment_contacts"
    payment_id: Mapped[int] = mapped_column(sa.ForeignKey("payments.id", ondelete="CASCADE"), index=True)
