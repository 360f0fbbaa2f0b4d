"""The lead's own verbs on top of `app.records`: converting to a deal, the counterparty from a lead,
and the names older callers use (create_lead, set_observers, change_status).

Writes flush only; the caller commits. Raises NotFound, PermissionDenied, InvalidInput, Conflict.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from app.auth.models import User
from app.counterparties import services as counterparties
from app.deals import services as deals
from app.errors import InvalidInput
from app.extensions import db
from app.leads.models import Lead
from app.processes import services as processes
from app.records import services as records
from app.records.kinds import RecordKind, get_kind


def _kind() -> RecordKind:
    return get_kind("lead")


def create_lead(data: Mapping[str, Any], actor: User | None, contacts: Sequence[Mapping[str, Any]] | None = None,
                at: datetime | None = None) -> Lead:
    """Create a lead with its contacts and start `lead_qualification` (see records.create_record)."""
    lead: Lead = records.create_record(_kind(), data, actor, contacts, at)
    return lead


def set_observers(lead_id: int, logins: list[str], actor: User) -> Lead:
    lead: Lead = records.set_observers(_kind(), lead_id, logins, actor)
    return lead


def change_status(lead_id: int, next_status: str, data: Mapping[str, Any], actor: User) -> Lead:
    lead: Lead = records.change_status(_kind(), lead_id, next_status, data, actor)
    return lead


# --------------------------------------------------------------------------- service tasks


def create_deal_from_lead(lead_id: int) -> dict[str, Any]:
    """`crm.create_deal_from_lead`: the deal in status not_processed with the lead's data, linked both ways."""
    lead: Lead = records.find_record(_kind(), lead_id)
    deal = deals.create_deal_from_lead(lead, processes.current_actor_id())
    lead.deal_id = deal.id
    db.session.flush()
    return {"deal_id": deal.id}


def set_lead_status(lead_id: int, status: str, disqualification_reason: str | None = None,
                    disqualification_comment: str | None = None) -> dict[str, Any]:
    """`crm.set_lead_status` of lead_qualification versions before crm.set_status."""
    return records.set_status("lead", lead_id, status, disqualification_reason=disqualification_reason,
                              disqualification_comment=disqualification_comment)


def set_lead_responsible(lead_id: int, login: str) -> dict[str, Any]:
    """`crm.set_lead_responsible` of lead_qualification versions before crm.set_responsible."""
    return records.set_responsible("lead", lead_id, login)


# --------------------------------------------------------------------------- counterparty from a lead


def counterparty_prefill(lead: Lead) -> dict[str, Any]:
    """Initial values of "Create Counterparty" from the lead's company and main contact."""
    main = lead.main_contact
    return {"type": "buyer", "kind": "legal_entity", "full_name": lead.company_name or "",
            "short_name": lead.company_name or "", "phone": main.phone if main else "",
            "email": (main.email if main else None) or lead.site_email or ""}


def editable_lead(lead_id: int, actor: User) -> Lead:
    """A lead the actor may change (visible, open, theirs to edit). Raises NotFound, PermissionDenied, Conflict."""
    lead: Lead = records.get_record(_kind(), lead_id, actor)
    records.require_edit(_kind(), lead, actor)
    return lead


class CounterpartyExists(InvalidInput):
    """The INN of a new counterparty belongs to an existing client (`existing_id`), who can be linked."""

    code = "duplicate_inn"

    def __init__(self, existing_id: int, fields: dict[str, str]):
        super().__init__(fields=fields)
        self.existing_id = existing_id


def create_counterparty_for_lead(lead_id: int, data: Mapping[str, Any], actor: User) -> Lead:
    """Create a counterparty (with the lead's contacts as contact persons) and set it on the lead.

    An INN that belongs to an existing client raises CounterpartyExists, so the page can offer to
    link that client instead.
    """
    lead = editable_lead(lead_id, actor)
    try:
        counterparty = counterparties.create_counterparty(data, actor)
    except InvalidInput as e:
        existing = counterparties.find_counterparty_by_inn(str(data.get("inn") or "")) if "inn" in e.fields else None
        if existing is not None:
            raise CounterpartyExists(existing.id, e.fields) from e
        raise
    for contact in lead.contacts:
        counterparties.add_contact(counterparty.id, contact.contact_values(), actor)
    records.set_counterparty(_kind(), lead, counterparty.id, actor)
    return lead


def link_counterparty(lead_id: int, counterparty_id: int, actor: User) -> Lead:
    """Set an existing counterparty on the lead (the client already exists, e.g. found by INN)."""
    lead = editable_lead(lead_id, actor)
    records.set_counterparty(_kind(), lead, counterparty_id, actor)
    return lead


__all__ = ["create_lead", "set_observers", "change_status", "create_deal_from_lead", "counterparty_prefill",
           "create_counterparty_for_lead", "link_counterparty", "CounterpartyExists", "editable_lead"]
