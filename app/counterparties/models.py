"""Counterparties, their contact persons and the local INN registry."""
from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.auth.models import User
from app.db import Base, utcnow

TYPES = ("buyer", "supplier", "partner")
KINDS = ("legal_entity", "sole_proprietor", "individual")

# Every editable field of a counterparty, in card order (the service and the API use this list).
FIELDS = ("type", "kind", "full_name", "short_name", "inn", "kpp", "ogrn", "okpo", "legal_address",
          "postal_address", "ceo", "phone", "email", "bank_account", "bank_name", "bik", "corr_account")


class Counterparty(Base):
    __tablename__ = "counterparties"

    id: Mapped[int] = mapped_column(primary_key=True)
    type: Mapped[str] = mapped_column(sa.String(20), default="buyer", index=True)
    kind: Mapped[str] = mapped_column(sa.String(20), default="legal_entity")
    full_name: Mapped[str] = mapped_column(sa.String(500))
    short_name: Mapped[str | None] = mapped_column(sa.String(255))
    # Lower-cased "full short" name, maintained by the service: SQLite's lower() folds ASCII only,
    # so a case-insensitive Cyrillic search needs the folded copy on both databases.
    search_name: Mapped[str] = mapped_column(sa.String(800), default="")
    inn: Mapped[str | None] = mapped_column(sa.String(12), unique=True)
    kpp: Mapped[str | None] = mapped_column(sa.String(9))
    ogrn: Mapped[str | None] = mapped_column(sa.String(15))
    okpo: Mapped[str | None] = mapped_column(sa.String(10))
    legal_address: Mapped[str | None] = mapped_column(sa.String(1000))
    postal_address: Mapped[str | None] = mapped_column(sa.String(1000))
    ceo: Mapped[str | None] = mapped_column(sa.String(255))
    phone: Mapped[str | None] = mapped_column(sa.String(50))
    email: Mapped[str | None] = mapped_column(sa.String(254))
    bank_account: Mapped[str | None] = mapped_column(sa.String(20))
    bank_name: Mapped[str | None] = mapped_column(sa.String(255))
    bik: Mapped[str | None] = mapped_column(sa.String(9))
    corr_account: Mapped[str | None] = mapped_column(sa.String(20))
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    version: Mapped[int] = mapped_column(sa.Integer, default=1, nullable=False)

    __mapper_args__ = {"version_id_col": version}

    created_by: Mapped[User | None] = relationship()
    contacts: Mapped[list["ContactPerson"]] = relationship(
        back_populates="counterparty", cascade="all, delete-orphan", passive_deletes=True,
        order_by=lambda: (ContactPerson.is_main.desc(), ContactPerson.full_name, ContactPerson.id))

    @property
    def display_name(self) -> str:
        return self.short_name or self.full_name

    @property
    def main_contact(self) -> "ContactPerson | None":
        return next((c for c in self.contacts if c.is_main), None)

    def refresh_search_name(self) -> None:
        self.search_name = " ".join(p for p in (self.full_name, self.short_name) if p).lower()[:800]


class ContactPerson(Base):
    __tablename__ = "contact_persons"
    __table_args__ = (
        # At most one main contact per counterparty (the service demotes the previous one first).
        sa.Index("uq_contact_persons_main", "counterparty_id", unique=True,
                 sqlite_where=sa.text("is_main = 1"), postgresql_where=sa.text("is_main")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    counterparty_id: Mapped[int] = mapped_column(sa.ForeignKey("counterparties.id", ondelete="CASCADE"), index=True)
    full_name: Mapped[str] = mapped_column(sa.String(255))
    position: Mapped[str | None] = mapped_column(sa.String(255))
    department: Mapped[str | None] = mapped_column(sa.String(255))
    phone: Mapped[str | None] = mapped_column(sa.String(50))
    email: Mapped[str | None] = mapped_column(sa.String(254))
    is_main: Mapped[bool] = mapped_column(sa.Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    counterparty: Mapped[Counterparty] = relationship(back_populates="contacts")


class InnRegistryEntry(Base):
    """The local copy of the state register, used to auto-fill requisites without a network."""

    __tablename__ = "inn_registry"

    id: Mapped[int] = mapped_column(primary_key=True)
    inn: Mapped[str] = mapped_column(sa.String(12), unique=True)
    kind: Mapped[str] = mapped_column(sa.String(20))
    full_name: Mapped[str] = mapped_column(sa.String(500))
    short_name: Mapped[str | None] = mapped_column(sa.String(255))
    kpp: Mapped[str | None] = mapped_column(sa.String(9))
    ogrn: Mapped[str | None] = mapped_column(sa.String(15))
    okpo: Mapped[str | None] = mapped_column(sa.String(10))
    legal_address: Mapped[str | None] = mapped_column(sa.String(1000))
    ceo: Mapped[str | None] = mapped_column(sa.String(255))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
