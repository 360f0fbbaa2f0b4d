"""Contracts and additional agreements beyond the shared record machinery: reading them for other domains
(orders, documents), the contract ↔ deal link, additional agreements created from their contract, and the
contract process's service tasks.

Writes flush only; the caller commits. Raises NotFound (unknown or invisible record), PermissionDenied,
InvalidInput, Conflict.
"""
from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, time, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _

from app.activities import services as history
from app.auth.models import User
from app.contracts.legal_entities import get_legal_entity, list_legal_entities
from app.contracts.models import AdditionalAgreement, Contract
from app.errors import Conflict, InvalidInput, NotFound
from app.extensions import db
from app.processes import services as processes
from app.records import services as records
from app.records.kinds import get_kind

# Contracts a deal may be linked to: every status but the closed ones.
LINKABLE_STATUSES = ("draft", "approval", "signing", "active")


def _contract_kind() -> Any:
    return get_kind("contract")


def get_contract(contract_id: int, user: User | None = None) -> Contract:
    """A contract; with `user`, only one that user may see. Raises NotFound."""
    if user is None:
        contract = db.session.get(Contract, contract_id)
        if contract is None:
            raise NotFound(_("Contract not found."))
        return contract
    return records.get_record(_contract_kind(), contract_id, user)  # type: ignore[no-any-return]


def contracts_of_counterparty(counterparty_id: int, user: User | None = None,
                              statuses: tuple[str, ...] | None = None) -> list[Contract]:
    """The counterparty's contracts (newest first), only those `user` may see when given, optionally by status."""
    query = sa.select(Contract).where(Contract.counterparty_id == counterparty_id)
    if user is not None:
        query = query.where(records.visible_filter(_contract_kind(), user))
    if statuses is not None:
        query = query.where(Contract.status.in_(statuses))
    return list(db.session.scalars(query.order_by(Contract.id.desc())))


def effective_amount(contract: Contract) -> Decimal | None:
    """The contract's amount with the amount changes of its active additional agreements."""
    changes = [a.amount_change for a in contract.agreements if a.status == "active" and a.amount_change is not None]
    if contract.amount is None and not changes:
        return None
    return (contract.amount or Decimal("0")) + sum(changes, Decimal("0"))


# --------------------------------------------------------------------------- card checks and choices


def check_contract_card(values: dict[str, Any], errors: dict[str, str]) -> None:
    """`RecordKind.check_card`: the legal entity exists (an inactive one only if the contract keeps it)."""
    entity_id = values.get("legal_entity_id")
    if entity_id is not None and "legal_entity_id" not in errors:
        try:
            get_legal_entity(int(entity_id))
        except NotFound:
            errors["legal_entity_id"] = _("Choose one of our legal entities.")
            values.pop("legal_entity_id", None)


def legal_entity_options(value: Any) -> list[dict[str, Any]]:
    """`x-options: legal_entities`: the active legal entities, plus the current one if it was deactivated."""
    found = list_legal_entities()
    if isinstance(value, int) and all(e.id != value for e in found):
        try:
            found.append(get_legal_entity(value))
        except NotFound:
            pass
    return [{"const": e.id, "title": f"{e.display_name} · {e.inn}"} for e in found]


def prepare_contract(contract: Contract, moment: datetime) -> None:
    """`RecordKind.prepare_new`: a contract is never waiting to be taken to work — its author is responsible
    unless someone was named; the company name follows the counterparty."""
    if contract.responsible_id is None:
        contract.responsible_id = contract.created_by_id
    if not contract.currency:
        contract.currency = "RUB"


def prepare_agreement(agreement: AdditionalAgreement, moment: datetime) -> None:
    """`RecordKind.prepare_new`: an agreement belongs to a contract and names its counterparty."""
    if agreement.contract_id is None:
        raise InvalidInput(_("Create an additional agreement from its contract's card."),
                           fields={"contract_id": _("This field is required.")})
    contract = get_contract(agreement.contract_id)
    agreement.counterparty_id = contract.counterparty_id
    agreement.company_name = contract.company_name
    if agreement.responsible_id is None:  # whoever sees the contract as its responsible sees its agreements
        agreement.responsible_id = contract.responsible_id or agreement.created_by_id


def create_agreement(contract_id: int, data: Mapping[str, Any], actor: User) -> AdditionalAgreement:
    """An additional agreement to a contract the actor may change (its responsible, the director, an admin).

    Raises NotFound (invisible contract), PermissionDenied, Conflict (the contract is closed), InvalidInput.
    """
    kind = _contract_kind()
    contract = records.get_record(kind, contract_id, actor)
    records.require_edit(kind, contract, actor)
    agreement: AdditionalAgreement = records.create_record(get_kind("agreement"), data, actor,
                                                           extra={"contract_id": contract.id})
    return agreement


def agreements_of_contract(contract_id: int, user: User) -> list[AdditionalAgreement]:
    """The additional agreements of a contract the user sees, that the user may see. Raises NotFound."""
    contract = get_contract(contract_id, user)
    query = sa.select(AdditionalAgreement).where(AdditionalAgreement.contract_id == contract.id,
                                                 records.visible_filter(get_kind("agreement"), user))
    return list(db.session.scalars(query.order_by(AdditionalAgreement.id)))


# --------------------------------------------------------------------------- the deal's contract


def deal_contract_choices(deal: Any, user: User) -> list[Contract]:
    """Contracts the deal may be linked to: the deal's counterparty's open contracts the user sees."""
    if deal.counterparty_id is None:
        return []
    return contracts_of_counterparty(deal.counterparty_id, user, LINKABLE_STATUSES)


def link_deal_contract(deal_id: int, contract_id: int, actor: User, expected_version: Any) -> Any:
    """"Select": link the deal to an existing open contract of the deal's counterparty.

    Raises NotFound (invisible deal or contract), PermissionDenied, InvalidInput (another counterparty,
    a closed contract), Conflict (stale deal version, closed deal).
    """
    deal_kind = get_kind("deal")
    deal = records.get_record(deal_kind, deal_id, actor)
    records.require_edit(deal_kind, deal, actor)
    records.check_version(deal, expected_version)
    contract = records.get_record(_contract_kind(), contract_id, actor)
    if deal.counterparty_id is None or contract.counterparty_id != deal.counterparty_id:
        raise InvalidInput(fields={"contract_id": _("Choose a contract of the deal's counterparty.")})
    if contract.status not in LINKABLE_STATUSES:
        raise InvalidInput(fields={"contract_id": _("This contract is closed.")})
    _set_deal_contract(deal, contract, actor)
    return deal


def unlink_deal_contract(deal_id: int, actor: User, expected_version: Any) -> Any:
    deal_kind = get_kind("deal")
    deal = records.get_record(deal_kind, deal_id, actor)
    records.require_edit(deal_kind, deal, actor)
    records.check_version(deal, expected_version)
    _set_deal_contract(deal, None, actor)
    return deal


def create_contract_from_deal(deal_id: int, data: Mapping[str, Any], actor: User, expected_version: Any) -> Contract:
    """"Create": a new contract prefilled from the deal (counterparty, amount, name and subject = the deal's
    name; `data` may override card fields), linked to the deal both ways.

    Raises NotFound, PermissionDenied, Conflict (stale or closed deal), InvalidInput (the deal has no counterparty,
    card field errors).
    """
    deal_kind = get_kind("deal")
    deal = records.get_record(deal_kind, deal_id, actor)
    records.require_edit(deal_kind, deal, actor)
    records.check_version(deal, expected_version)
    if deal.counterparty_id is None:
        raise InvalidInput(_("Fill in the deal's Counterparty before creating its contract."),
                           fields={"counterparty_id": _("This field is required.")})
    prefill: dict[str, Any] = {"name": deal.name, "subject": deal.name, "counterparty_id": deal.counterparty_id,
                               "amount": None if deal.amount is None else f"{deal.amount:.2f}"}
    contract: Contract = records.create_record(_contract_kind(), {**prefill, **data}, actor,
                                               extra={"deal_id": deal.id})
    _set_deal_contract(deal, contract, actor)
    return contract


def _set_deal_contract(deal: Any, contract: Contract | None, actor: User) -> None:
    old = db.session.get(Contract, deal.contract_id) if deal.contract_id else None
    history.record_change("deal", deal.id, "contract", old.display_number if old else None,
                          contract.display_number if contract else None, actor.id)
    deal.contract_id = contract.id if contract else None
    db.session.flush()


def deal_contract(deal: Any) -> Contract | None:
    return db.session.get(Contract, deal.contract_id) if deal.contract_id else None


# --------------------------------------------------------------------------- service tasks of contract_cycle


def contract_expiry(contract_id: int) -> str | None:
    """`crm.contract_expiry`: when an active contract is archived — the end of its "valid until" day in the
    CRM's timezone (ISO with offset), or None without a date."""
    contract = get_contract(contract_id)
    if contract.valid_until is None:
        return None
    zone = ZoneInfo(current_app.config["CRM_TIMEZONE"])
    return datetime.combine(contract.valid_until + timedelta(days=1), time(0, 0), tzinfo=zone).isoformat()


def contract_returned(contract_id: int, comment: str) -> dict[str, Any]:
    """`crm.contract_returned`: the director's reason for returning the contract, as a comment on it."""
    contract = get_contract(contract_id)
    text = _("Returned for rework: %(comment)s", comment=comment)
    history.add_comment("contract", contract.id, text[:10000], processes.current_actor_id())
    return {"returned": True}


def require_open(contract: Contract) -> None:
    if _contract_kind().is_closed(contract):
        raise Conflict(_("A closed record cannot be edited."), code="record_closed")
