"""Our legal entities (the requisites on invoices and acts), contracts and additional agreements.

Contracts and additional agreements are record kinds (`app.records`): the shared columns come from
`RecordMixin`; each has its contacts table like every kind.
"""
from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.db import Base, utcnow
from app.records.models import ContactMixin, RecordMixin

if TYPE_CHECKING:
    from app.deals.models import Deal

# Every editable field of a legal entity, in card order (services, pages and API use this list).
LEGAL_ENTITY_FIELDS = ("full_name", "short_name", "inn", "kpp", "ogrn", "address", "bank_account", "bank_name", "bik",
                       "corr_account", "director_name", "chief_accountant_name", "is_active")


class LegalEntity(Base):
    """One of our own legal entities: the seller on contracts, invoices and acts."""

    __tablename__ = "legal_entities"

    id: Mapped[int] = mapped_column(primary_key=True)
    full_name: Mapped[str] = mapped_column(sa.String(500))
    short_name: Mapped[str | None] = mapped_column(sa.String(255))
    inn: Mapped[str] = mapped_column(sa.String(12), unique=True)
    kpp: Mapped[str | None] = mapped_column(sa.String(9))
    ogrn: Mapped[str | None] = mapped_column(sa.String(15))
    address: Mapped[str | None] = mapped_column(sa.String(1000))
    bank_account: Mapped[str | None] = mapped_column(sa.String(20))
    bank_name: Mapped[str | None] = mapped_column(sa.String(255))
    bik: Mapped[str | None] = mapped_column(sa.String(9))
    corr_account: Mapped[str | None] = mapped_column(sa.String(20))
    director_name: Mapped[str | None] = mapped_column(sa.String(255))
    chief_accountant_name: Mapped[str | None] = mapped_column(sa.String(255))
    is_active: Mapped[bool] = mapped_column(sa.Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    version: Mapped[int] = mapped_column(sa.Integer, default=1, nullable=False)

    __mapper_args__ = {"version_id_col": version}

    @property
    def display_name(self) -> str:
        return self.short_name or self.full_name


class Contract(RecordMixin, Base):
    __tablename__ = "contracts"
    __record_type__ = "contract"
    number_prefix = "C"
    __table_args__ = (
        sa.Index("ix_contracts_status", "status"),
        sa.Index("ix_contracts_responsible_id", "responsible_id"),
    )
    # A contract always names the client (the card form requires it too).
    counterparty_id: Mapped[int] = mapped_column(sa.ForeignKey("counterparties.id"), index=True)
    # The number as the parties wrote it ("15/2026-ПО"), besides the sequential C-17.
    contract_number: Mapped[str | None] = mapped_column(sa.String(100))
    contract_date: Mapped[date | None] = mapped_column(sa.Date)
    legal_entity_id: Mapped[int | None] = mapped_column(sa.ForeignKey("legal_entities.id"), index=True)
    kind: Mapped[str | None] = mapped_column(sa.String(64))
    subject: Mapped[str] = mapped_column(sa.Text, default="")
    currency: Mapped[str] = mapped_column(sa.String(3), default="RUB")
    valid_until: Mapped[date | None] = mapped_column(sa.Date)
    signatory: Mapped[str | None] = mapped_column(sa.String(255))
    # The signed file in the document library (a plain id until that library's model exists).
    file_id: Mapped[int | None] = mapped_column(sa.Integer)
    # The deal the contract was created from.
    deal_id: Mapped[int | None] = mapped_column(sa.ForeignKey("deals.id", use_alter=True), index=True)

    legal_entity: Mapped[LegalEntity | None] = relationship(LegalEntity)
    deal: Mapped["Deal | None"] = relationship("Deal", foreign_keys=[deal_id])
    contacts: Mapped[list["ContractContact"]] = relationship(
        cascade="all, delete-orphan", passive_deletes=True,
        order_by=lambda: (ContractContact.is_main.desc(), ContractContact.id))
    agreements: Mapped[list["AdditionalAgreement"]] = relationship(
        back_populates="contract", order_by=lambda: AdditionalAgreement.id, viewonly=True)

    def extra_search_parts(self) -> list[str | None]:
        return [self.contract_number, self.subject]


class ContractContact(ContactMixin, Base):
    __tablename__ = "contract_contacts"
    contract_id: Mapped[int] = mapped_column(sa.ForeignKey("contracts.id", ondelete="CASCADE"), index=True)


class AdditionalAgreement(RecordMixin, Base):
    """An additional agreement to a contract (its own number, date, subject and amount change)."""

    __tablename__ = "additional_agreements"
    __record_type__ = "agreement"
    number_prefix = "AA"
    __table_args__ = (
        sa.Index("ix_additional_agreements_status", "status"),
        sa.Index("ix_additional_agreements_responsible_id", "responsible_id"),
    )
    contract_id: Mapped[int] = mapped_column(sa.ForeignKey("contracts.id"), index=True)
    agreement_number: Mapped[str | None] = mapped_column(sa.String(100))
    agreement_date: Mapped[date | None] = mapped_column(sa.Date)
    subject: Mapped[str] = mapped_column(sa.Text, default="")
    # How the agreement changes the contract's amount (negative: a reduction).
    amount_change: Mapped[Decimal | None] = mapped_column(sa.Numeric(15, 2))

    contract: Mapped[Contract] = relationship(Contract, back_populates="agreements")
    contacts: Mapped[list["AgreementContact"]] = relationship(
        cascade="all, delete-orphan", passive_deletes=True,
        order_by=lambda: (AgreementContact.is_main.desc(), AgreementContact.id))

    def extra_search_parts(self) -> list[str | None]:
        return [self.agreement_number, self.subject]


class AgreementContact(ContactMixin, Base):
    __tablename__ = "agreement_contacts"
    agreement_id: Mapped[int] = mapped_column(sa.ForeignKey("additional_agreements.id", ondelete="CASCADE"),
                                              index=True)
