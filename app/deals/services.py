"""Deals (minimal): created from a lead, visible by the same rules as leads, listed and opened."""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from flask_babel import gettext as _

from app.access.services import sees_all_records
from app.auth.models import User
from app.db import next_number
from app.deals.models import Deal, DealContact
from app.errors import NotFound
from app.extensions import db
from app.pagination import Page, clamp
from app.processes import services as processes

if TYPE_CHECKING:
    from app.leads.models import Lead


def create_deal_from_lead(lead: "Lead", actor_id: int | None) -> Deal:
    """A deal in status not_processed with the lead's data, linked back to the lead."""
    deal = Deal(number=next_number(db.session, "deal"), name=lead.name, status="not_processed",
                responsible_id=lead.responsible_id, created_by_id=actor_id, counterparty_id=lead.counterparty_id,
                company_name=lead.company_name, amount=lead.amount, users_count=lead.users_count,
                request_category=lead.request_category, request_source=lead.request_source,
                description=lead.description or "", lead_id=lead.id, created_at=processes.now())
    for c in lead.contacts:
        deal.contacts.append(DealContact(**c.contact_values()))
    db.session.add(deal)
    db.session.flush()
    return deal


def visible_filter(user: User) -> Any:
    if sees_all_records(user):
        return sa.true()
    return sa.or_(Deal.responsible_id == user.id, Deal.created_by_id == user.id)


def get_deal(deal_id: int, user: User) -> Deal:
    deal = db.session.scalar(sa.select(Deal).where(Deal.id == deal_id, visible_filter(user)))
    if deal is None:
        raise NotFound(_("Deal not found."))
    return deal


def list_deals(user: User, page: int = 1, per_page: int = 20) -> Page[Deal]:
    page, per_page = clamp(page, per_page)
    where = visible_filter(user)
    total = db.session.scalar(sa.select(sa.func.count()).select_from(Deal).where(where)) or 0
    items = list(db.session.scalars(sa.select(Deal).where(where).order_by(Deal.id.desc())
                                    .limit(per_page).offset((page - 1) * per_page)))
    return Page(items, total, page, per_page)
