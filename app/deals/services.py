"""The deal's own verbs on top of `app.records` (the deals issue adds products, merge, ...)."""
from __future__ import annotations

from typing import TYPE_CHECKING

from app.auth.models import User
from app.deals.models import Deal
from app.extensions import db
from app.records import services as records
from app.records.kinds import get_kind

if TYPE_CHECKING:
    from app.leads.models import Lead

# Where the request came from: copied from the lead to its deal, shown in the deal's Marketing widget.
MARKETING_FIELDS = ("site_email", "site_page", "utm_source", "utm_medium", "utm_campaign", "utm_content", "utm_term",
                    "ga_client_id", "ym_client_id", "received_at")


def create_deal_from_lead(lead: "Lead", actor_id: int | None) -> Deal:
    """A deal in status not_processed with the lead's data and contacts, linked back to the lead.

    The lead's responsible stays responsible (the process trusts it; no eligibility re-check).
    """
    actor = db.session.get(User, actor_id) if actor_id is not None else None
    data = {"name": lead.name, "company_name": lead.company_name, "counterparty_id": lead.counterparty_id,
            "amount": None if lead.amount is None else f"{lead.amount:.2f}", "users_count": lead.users_count,
            "request_category": lead.request_category, "request_source": lead.request_source,
            "description": lead.description or ""}
    deal: Deal = records.create_record(get_kind("deal"), data, actor, [c.contact_values() for c in lead.contacts],
                                       extra={"lead_id": lead.id, "responsible_id": lead.responsible_id,
                                              **{f: getattr(lead, f) for f in MARKETING_FIELDS}})
    return deal
