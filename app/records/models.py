"""The columns every record kind shares (`RecordMixin`), its contact persons (`ContactMixin`), its product and
service lines (`LineMixin`) and one observers table for all kinds.

Imports only `app.db` and `app.auth.models`; record domains build their models on these mixins.
"""
from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any, ClassVar

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, declared_attr, mapped_column, relationship

from app.auth.models import User
from app.db import Base, utcnow

# Who observes which record: read access to one particular record of any kind.
record_observers = sa.Table(
    "record_observers",
    Base.metadata,
    sa.Column("record_type", sa.String(50), primary_key=True),
    sa.Column("record_id", sa.Integer, primary_key=True),
    sa.Column("user_id", sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    # visible_filter asks "which records of this kind does this user observe": without this index
    # SQLite (no ANALYZE) scans every observer row of the kind through the primary key's first column.
    sa.Index("ix_record_observers_user", "user_id", "record_type", "record_id"),
)


def _folded(*parts: str | None) -> str:
    # casefold() is a Unicode case fold: SQLite's lower()/LIKE fold ASCII only, so searches compare
    # this folded copy with a folded needle on both databases.
    return " ".join(p for p in parts if p).casefold()


class MarketingMixin:
    """Where a request came from: the website form's email and page, UTM tags, analytics client ids and
    when it was received (leads keep them; a deal made of a lead, or of an email, carries them on)."""

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


class RecordMixin:
    """Number, name, status, people, client, amount, search text, timestamps and the row version.

    `__record_type__` is the kind's name ("lead"); `number_prefix` its display prefix ("L").
    """

    __record_type__: ClassVar[str]
    number_prefix: ClassVar[str]

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[int] = mapped_column(sa.Integer, unique=True)
    name: Mapped[str] = mapped_column(sa.String(300))
    status: Mapped[str] = mapped_column(sa.String(30))
    company_name: Mapped[str | None] = mapped_column(sa.String(300))
    amount: Mapped[Decimal | None] = mapped_column(sa.Numeric(15, 2))
    search_text: Mapped[str] = mapped_column(sa.Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    version: Mapped[int] = mapped_column(sa.Integer, nullable=False, default=1)

    @declared_attr
    def responsible_id(cls) -> Mapped[int | None]:
        return mapped_column(sa.ForeignKey("users.id"))

    @declared_attr
    def created_by_id(cls) -> Mapped[int | None]:
        return mapped_column(sa.ForeignKey("users.id"), index=True)

    @declared_attr
    def counterparty_id(cls) -> Mapped[int | None]:
        return mapped_column(sa.ForeignKey("counterparties.id"), index=True)

    @declared_attr.directive
    def __mapper_args__(cls) -> dict[str, Any]:
        return {"version_id_col": cls.version}

    @declared_attr
    def responsible(cls) -> Mapped[User | None]:
        return relationship(User, foreign_keys=[cls.responsible_id])  # type: ignore[list-item]

    @declared_attr
    def created_by(cls) -> Mapped[User | None]:
        return relationship(User, foreign_keys=[cls.created_by_id])  # type: ignore[list-item]

    @declared_attr
    def counterparty(cls) -> Mapped[Any]:
        return relationship("Counterparty")

    @declared_attr
    def observers(cls) -> Mapped[list[User]]:
        # Read-only: the services write record_observers rows (the record_type column is not a foreign key).
        return relationship(
            User, secondary=record_observers, viewonly=True, order_by=User.full_name,
            primaryjoin=lambda: sa.and_(record_observers.c.record_id == cls.id,
                                        record_observers.c.record_type == cls.__record_type__),
            secondaryjoin=lambda: record_observers.c.user_id == User.id)

    @property
    def display_number(self) -> str:
        return f"{self.number_prefix}-{self.number}"

    @property
    def client_name(self) -> str:
        counterparty = self.counterparty  # type: ignore[attr-defined]
        if counterparty is not None:
            return str(counterparty.display_name)
        return self.company_name or ""

    @property
    def main_contact(self) -> Any:
        return next((c for c in getattr(self, "contacts", ()) if c.is_main), None)

    def refresh_search_text(self) -> None:
        """Name, company, client and the contacts' names, emails and phones (also as bare digits).

        Numbers are searched by equality (`app.records.journal`), not as text: "L-7" is not "L-70".
        """
        parts: list[str | None] = [self.name, self.company_name, self.client_name]
        for c in getattr(self, "contacts", ()):
            parts += [c.full_name, c.email, c.phone, "".join(ch for ch in (c.phone or "") if ch.isdigit())]
        parts += self.extra_search_parts()
        self.search_text = _folded(*parts)

    def extra_search_parts(self) -> list[str | None]:
        return []


class ContactMixin:
    """A contact person of a record (full name, position, department, phone, email, main)."""

    CONTACT_FIELDS: ClassVar[tuple[str, ...]] = ("full_name", "position", "department", "phone", "email", "is_main")

    id: Mapped[int] = mapped_column(primary_key=True)
    full_name: Mapped[str] = mapped_column(sa.String(200))
    position: Mapped[str | None] = mapped_column(sa.String(200))
    department: Mapped[str | None] = mapped_column(sa.String(200))
    phone: Mapped[str | None] = mapped_column(sa.String(50))
    email: Mapped[str | None] = mapped_column(sa.String(254))
    is_main: Mapped[bool] = mapped_column(sa.Boolean, default=False)

    def contact_values(self) -> dict[str, Any]:
        return {f: getattr(self, f) for f in self.CONTACT_FIELDS}


class LineMixin:
    """A product or service line of a record (a deal's, an order's): copied from the catalog (or typed), then
    changed for this record. The concrete model declares its owner's foreign key column and names it in
    `owner_field` ("deal_id"); `app.records.lines` does the rest."""

    LINE_FIELDS: ClassVar[tuple[str, ...]] = ("name", "type", "unit", "price", "vat_rate", "quantity",
                                              "discount_percent")
    owner_field: ClassVar[str]

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(255))
    type: Mapped[str] = mapped_column(sa.String(16), default="product")
    unit: Mapped[str] = mapped_column(sa.String(64), default="pcs")
    price: Mapped[Decimal] = mapped_column(sa.Numeric(15, 2))
    discount_percent: Mapped[Decimal] = mapped_column(sa.Numeric(5, 2), default=Decimal("0.00"))
    quantity: Mapped[Decimal] = mapped_column(sa.Numeric(15, 3))
    vat_rate: Mapped[str] = mapped_column(sa.String(64))
    position: Mapped[int] = mapped_column(sa.Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    @declared_attr
    def product_id(cls) -> Mapped[int | None]:
        return mapped_column(sa.ForeignKey("products.id", ondelete="SET NULL"), index=True)

    @classmethod
    def owner_column(cls) -> Any:
        return getattr(cls, cls.owner_field)

    @property
    def owner_id(self) -> int:
        return int(getattr(self, self.owner_field))


def fold(text: str) -> str:
    """The search needle folded like `search_text`."""
    return _folded(text)
