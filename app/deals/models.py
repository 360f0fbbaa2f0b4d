"""Deal records (the deals issue adds products, orders, payments and the deal process)."""
from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.auth.models import User
from app.counterparties.models import Counterparty
from app.db import Base, ContactColumns, utcnow

if TYPE_CHECKING:
    from app.leads.models import Lead

STATUSES = ("not_processed", "initial_contact", "needs_assessment", "presentation", "proposal_preparation",
            "prototype", "decision_making", "completed", "paused", "rejected", "dropped_out", "historical")


class Deal(Base):
    __tablename__ = "deals"
    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[int] = mapped_column(sa.Integer, unique=True)
    name: Mapped[str] = mapped_column(sa.String(300))
    status: Mapped[str] = mapped_column(sa.String(30), default="not_processed", index=True)
    responsible_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"), index=True)
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    counterparty_id: Mapped[int | None] = mapped_column(sa.ForeignKey("counterparties.id"), index=True)
    company_name: Mapped[str | None] = mapped_column(sa.String(300))
    amount: Mapped[Decimal | None] = mapped_column(sa.Numeric(15, 2))
    users_count: Mapped[int | None] = mapped_column(sa.Integer)
    request_category: Mapped[str | None] = mapped_column(sa.String(64))
    request_source: Mapped[str | None] = mapped_column(sa.String(64))
    description: Mapped[str] = mapped_column(sa.Text, default="")
    lead_id: Mapped[int | None] = mapped_column(sa.ForeignKey("leads.id", use_alter=True), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    version: Mapped[int] = mapped_column(sa.Integer, nullable=False, default=1)

    __mapper_args__ = {"version_id_col": version}

    responsible: Mapped[User | None] = relationship(foreign_keys=[responsible_id])
    lead: Mapped["Lead | None"] = relationship("Lead", foreign_keys=[lead_id])
    counterparty: Mapped[Counterparty | None] = relationship()
    contacts: Mapped[list["DealContact"]] = relationship(cascade="all, delete-orphan", order_by="DealContact.id")

    @property
    def display_number(self) -> str:
        return f"D-{self.number}"

    @property
    def client_name(self) -> str:
        if self.counterparty is not None:
            return self.counterparty.short_name or self.counterparty.full_name
        return self.company_name or ""


class DealContact(ContactColumns, Base):
    __tablename__ = "deal_contacts"
    id: Mapped[int] = mapped_column(primary_key=True)
    deal_id: Mapped[int] = mapped_column(sa.ForeignKey("deals.id", ondelete="CASCADE"), index=True)
