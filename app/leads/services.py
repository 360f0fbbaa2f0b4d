"""Leads: create, edit, visibility, status changes through the process, and the service tasks.

Visibility is computed in one place (`visible_filter`) and used by the card, journal, kanban,
search, export and API. Writes flush only; the caller commits. Raises NotFound (unknown or
invisible lead), PermissionDenied, InvalidInput, Conflict.
"""
from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _

from app.access.services import LaneTarget, is_commercial_director, is_crm_manager, sees_all_records
from app.activities import services as history
from app.auth.models import User
from app.auth.services import find_user_by_login
from app.calendar import BusinessCalendar
from app.counterparties import services as counterparties
from app.db import next_number
from app.deals import services as deals
from app.directories import services as directories
from app.errors import Conflict, CrmError, InvalidInput, NotFound, PermissionDenied
from app.extensions import db
from app.leads.models import STATUSES, Lead, LeadContact, lead_observers
from app.processes import services as processes
from app.processes.records import RecordInfo, RecordType

PROCESS_ID = "lead_qualification"
RECORD_TYPE = "lead"
EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
TEXT_FIELDS = {"name": 300, "company_name": 300, "description": 20000, "site_email": 254, "site_page": 1000,
               "utm_source": 200, "utm_medium": 200, "utm_campaign": 200, "utm_content": 200, "utm_term": 200,
               "ga_client_id": 100, "ym_client_id": 100}
DIRECTORY_FIELDS = {"request_type": "request_type", "request_category": "request_category",
                    "request_source": "request_source"}
EDITABLE = (*TEXT_FIELDS, *DIRECTORY_FIELDS, "amount", "users_count", "received_at", "counterparty_id", "responsible")


# --------------------------------------------------------------------------- permissions


def visible_filter(user: User) -> Any:
    """The one SQL filter of the leads a user may see."""
    if sees_all_records(user):
        return sa.true()
    observed = sa.select(lead_observers.c.lead_id).where(lead_observers.c.user_id == user.id)
    rules = [Lead.created_by_id == user.id, Lead.responsible_id == user.id, Lead.id.in_(observed)]
    if is_crm_manager(user):
        rules.append(sa.and_(Lead.responsible_id.is_(None), Lead.status.notin_(("disqualified", "deal"))))
    return sa.or_(*rules)


def can_edit(lead: Lead, user: User) -> bool:
    """Write access: the responsible person, the Commercial Director, administrators."""
    return lead.responsible_id == user.id or is_commercial_director(user)


def _require_edit(lead: Lead, user: User) -> None:
    if not can_edit(lead, user):
        raise PermissionDenied(_("Only the responsible person, the Commercial Director or an administrator "
                                 "can change this lead."))


def get_lead(lead_id: int, user: User) -> Lead:
    """A lead the user may see; otherwise NotFound (an invisible lead does not exist for them)."""
    lead = db.session.scalar(sa.select(Lead).where(Lead.id == lead_id, visible_filter(user)))
    if lead is None:
        raise NotFound(_("Lead not found."))
    return lead


def _get(lead_id: int) -> Lead:
    lead = db.session.get(Lead, lead_id)
    if lead is None:
        raise NotFound(_("Lead not found."))
    return lead


# --------------------------------------------------------------------------- validation


def _clean(data: Mapping[str, Any], errors: dict[str, str], partial: bool) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for field, limit in TEXT_FIELDS.items():
        if field not in data:
            continue
        raw = data[field]
        text = "" if raw is None else str(raw).strip()
        if len(text) > limit:
            errors[field] = _("Use at most %(n)s characters.", n=limit)
        values[field] = text if field in ("name", "description") else (text or None)
    if "name" in values or not partial:
        if not values.get("name"):
            errors["name"] = _("This field is required.")
    if values.get("site_email") and not EMAIL_RE.match(values["site_email"]):
        errors["site_email"] = _("Enter a valid email address.")
    for field, directory in DIRECTORY_FIELDS.items():
        if field in data:
            code = str(data[field]).strip() if data[field] not in (None, "") else None
            if code and not directories.is_valid_code(directory, code):
                errors[field] = _("Choose a value from the list.")
            values[field] = code
    if "amount" in data:
        values["amount"] = _parse_amount(data["amount"], errors)
    if "users_count" in data:
        raw = data["users_count"]
        if raw in (None, ""):
            values["users_count"] = None
        else:
            try:
                values["users_count"] = int(str(raw))
                if not 0 <= values["users_count"] < 2**31:
                    raise ValueError
            except ValueError:
                errors["users_count"] = _("Enter a whole number of 0 or more.")
    if "received_at" in data:
        values["received_at"] = _parse_datetime(data["received_at"], errors, "received_at")
    if "counterparty_id" in data:
        raw = data["counterparty_id"]
        if raw in (None, ""):
            values["counterparty_id"] = None
        else:
            try:
                counterparty_id = int(str(raw))
                if not 0 < counterparty_id < 2**31:
                    raise ValueError(raw)
                values["counterparty_id"] = counterparties.get_counterparty(counterparty_id).id
            except (ValueError, NotFound):
                errors["counterparty_id"] = _("Choose an existing counterparty.")
    if "responsible" in data:
        login = data["responsible"]
        if login in (None, ""):
            values["responsible"] = None
        else:
            user = find_user_by_login(str(login))
            if user is None or not user.is_active:
                errors["responsible"] = _("User %(login)s not found.", login=login)
            values["responsible"] = user
    return values


def _parse_amount(raw: Any, errors: dict[str, str]) -> Decimal | None:
    if raw in (None, ""):
        return None
    if isinstance(raw, float):
        raw = repr(raw)
    try:
        amount = Decimal(str(raw).replace(" ", "").replace(",", "."))
    except InvalidOperation:
        errors["amount"] = _("Enter an amount like 1250.00.")
        return None
    if not amount.is_finite() or amount < 0 or amount >= Decimal("1e13"):
        errors["amount"] = _("Enter an amount like 1250.00.")
        return None
    return amount.quantize(Decimal("0.01"))


def _parse_datetime(raw: Any, errors: dict[str, str], field: str) -> datetime | None:
    if raw in (None, ""):
        return None
    try:
        value = raw if isinstance(raw, datetime) else datetime.fromisoformat(str(raw))
    except ValueError:
        errors[field] = _("Enter a date and time.")
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=BusinessCalendar(current_app.config["CRM_TIMEZONE"]).tz)
    return value


def _clean_contact(data: Mapping[str, Any], errors: dict[str, str]) -> dict[str, Any]:
    values: dict[str, Any] = {k: (str(data.get(k) or "").strip() or None)
                              for k in ("full_name", "position", "department", "phone", "email")}
    if not values["full_name"]:
        errors["full_name"] = _("This field is required.")
    if values["email"] and not EMAIL_RE.match(values["email"]):
        errors["email"] = _("Enter a valid email address.")
    if values["phone"] and not re.fullmatch(r"[0-9 +()\-.]{5,50}", values["phone"]):
        errors["phone"] = _("Enter a phone number.")
    values["is_main"] = str(data.get("is_main", "")).lower() in ("1", "true", "on", "yes")
    return values


# --------------------------------------------------------------------------- create / edit


def _take_sla_at(at: datetime) -> datetime:
    cfg = current_app.config
    calendar = BusinessCalendar(cfg["CRM_TIMEZONE"], cfg["CRM_WORKDAY_START"], cfg["CRM_WORKDAY_END"])
    return calendar.add_working_hours(at, cfg["CRM_LEAD_TAKE_SLA_HOURS"])


def create_lead(data: Mapping[str, Any], actor: User | None, contacts: Sequence[Mapping[str, Any]] | None = None,
                at: datetime | None = None) -> Lead:
    """Create a lead with its contacts and start `lead_qualification` in the same transaction.

    `data["responsible"]` is a login (or empty: the CRM Manager group gets "Take to work").
    Raises InvalidInput with field errors (contact errors are keyed `contacts.N.field`).
    """
    errors: dict[str, str] = {}
    values = _clean(data, errors, partial=False)
    if values.get("responsible") is not None and actor is not None and not is_commercial_director(actor) \
            and values["responsible"].id != actor.id:
        errors["responsible"] = _("Only the Commercial Director can make someone else responsible.")
    cleaned_contacts = []
    for i, contact in enumerate(contacts or []):
        contact_errors: dict[str, str] = {}
        cleaned_contacts.append(_clean_contact(contact, contact_errors))
        errors.update({f"contacts.{i}.{k}": v for k, v in contact_errors.items()})
    if errors:
        raise InvalidInput(fields=errors)
    moment = at or processes.now()
    responsible = values.pop("responsible", None)
    lead = Lead(number=next_number(db.session, "lead"), status="not_processed",
                created_by_id=actor.id if actor else None,
                responsible_id=responsible.id if responsible else None, created_at=moment, updated_at=moment,
                processing_started_at=moment if responsible else None, **values)
    if lead.received_at is None:
        lead.received_at = moment
    if cleaned_contacts and not any(c["is_main"] for c in cleaned_contacts):
        cleaned_contacts[0]["is_main"] = True
    seen_main = False
    for c in cleaned_contacts:
        c["is_main"], seen_main = c["is_main"] and not seen_main, seen_main or c["is_main"]
        lead.contacts.append(LeadContact(**c))
    lead.refresh_search_text()
    db.session.add(lead)
    db.session.flush()
    processes.start_process(PROCESS_ID, RECORD_TYPE, lead.id, {
        "lead_id": lead.id, "has_responsible": responsible is not None, "status": "not_processed",
        "take_sla_at": _take_sla_at(moment).isoformat(), "disqualification_reason": None,
    }, started_by_id=actor.id if actor else None, at=moment)
    return lead


def quick_create_lead(data: Mapping[str, Any], actor: User) -> Lead:
    """Quick create: name, contact person, phone/email, company. The creator becomes responsible."""
    contact = {"full_name": data.get("contact_name"), "phone": data.get("phone"), "email": data.get("email"),
               "is_main": True}
    has_contact = any(str(v or "").strip() for k, v in contact.items() if k != "is_main")
    lead_data = {"name": data.get("name"), "company_name": data.get("company_name"),
                 "responsible": data.get("responsible", actor.login)}
    try:
        return create_lead(lead_data, actor, [contact] if has_contact else [])
    except InvalidInput as e:
        mapping = {"contacts.0.full_name": "contact_name", "contacts.0.phone": "phone", "contacts.0.email": "email"}
        raise InvalidInput(fields={mapping.get(k, k): v for k, v in e.fields.items()}) from e


def update_lead(lead_id: int, data: Mapping[str, Any], actor: User, expected_version: int | None) -> Lead:
    """Edit a lead's properties (PATCH semantics). Raises Conflict on a stale version."""
    lead = get_lead(lead_id, actor)
    _require_edit(lead, actor)
    if expected_version is not None and expected_version != lead.version:
        raise Conflict()
    if lead.is_closed:
        raise Conflict(_("A closed lead cannot be edited."), code="record_closed")
    unknown = sorted(set(data) - set(EDITABLE) - {"version"})
    errors: dict[str, str] = {k: _("This field cannot be changed here.") for k in unknown}
    values = _clean(data, errors, partial=True)
    if errors:
        raise InvalidInput(fields=errors)
    responsible = values.pop("responsible", lead.responsible) if "responsible" in values else lead.responsible
    for field, value in values.items():
        old = getattr(lead, field)
        if field == "counterparty_id":
            history.record_change(RECORD_TYPE, lead.id, "counterparty", _cp_name(old), _cp_name(value), actor.id)
        elif field in ("name", "amount"):
            history.record_change(RECORD_TYPE, lead.id, field, old, value, actor.id)
        setattr(lead, field, value)
    lead.refresh_search_text()
    db.session.flush()
    if responsible is not lead.responsible:
        _set_responsible(lead, responsible, actor)
    processes.refresh_record_titles(RECORD_TYPE, lead.id)
    db.session.flush()
    return lead


def _cp_name(counterparty_id: int | None) -> str | None:
    if counterparty_id is None:
        return None
    return counterparties.get_counterparty(counterparty_id).display_name


def assign_responsible(lead_id: int, login: str | None, actor: User) -> Lead:
    """The Commercial Director (or an admin) assigns the responsible person; cancels "Take to work"."""
    lead = get_lead(lead_id, actor)
    if not is_commercial_director(actor):
        raise PermissionDenied(_("Only the Commercial Director can assign the responsible person."))
    user = None
    if login:
        user = find_user_by_login(login)
        if user is None or not user.is_active:
            raise InvalidInput(fields={"responsible": _("User %(login)s not found.", login=login)})
    _set_responsible(lead, user, actor)
    return lead


def _set_responsible(lead: Lead, user: User | None, actor: User | None) -> None:
    old = lead.responsible
    if (old.id if old else None) == (user.id if user else None):
        return
    lead.responsible_id = user.id if user else None
    if user is not None and lead.processing_started_at is None:
        lead.processing_started_at = processes.now()
    history.record_change(RECORD_TYPE, lead.id, "responsible", old.display_name if old else None,
                          user.display_name if user else None, actor.id if actor else None)
    db.session.flush()
    if user is not None:
        processes.send_record_message(RECORD_TYPE, lead.id, "responsible_assigned", {"login": user.login},
                                      actor.id if actor else None)
        processes.reassign_lane_tasks(RECORD_TYPE, lead.id, "responsible", user.id)


def set_observers(lead_id: int, logins: list[str], actor: User) -> Lead:
    lead = get_lead(lead_id, actor)
    _require_edit(lead, actor)
    users = []
    for login in logins:
        user = find_user_by_login(login)
        if user is None:
            raise InvalidInput(fields={"observers": _("User %(login)s not found.", login=login)})
        users.append(user)
    lead.observers = users
    db.session.flush()
    return lead


# --------------------------------------------------------------------------- contacts


def add_contact(lead_id: int, data: Mapping[str, Any], actor: User) -> LeadContact:
    lead = get_lead(lead_id, actor)
    _require_edit(lead, actor)
    errors: dict[str, str] = {}
    values = _clean_contact(data, errors)
    if errors:
        raise InvalidInput(fields=errors)
    if not lead.contacts:
        values["is_main"] = True
    if values["is_main"]:
        for c in lead.contacts:
            c.is_main = False
    contact = LeadContact(**values)
    lead.contacts.append(contact)
    lead.refresh_search_text()
    db.session.flush()
    return contact


def _contact_of(lead: Lead, contact_id: int) -> LeadContact:
    contact = next((c for c in lead.contacts if c.id == contact_id), None)
    if contact is None:
        raise NotFound(_("Contact not found."))
    return contact


def update_contact(lead_id: int, contact_id: int, data: Mapping[str, Any], actor: User) -> LeadContact:
    lead = get_lead(lead_id, actor)
    _require_edit(lead, actor)
    contact = _contact_of(lead, contact_id)
    errors: dict[str, str] = {}
    values = _clean_contact(data, errors)
    if errors:
        raise InvalidInput(fields=errors)
    if values["is_main"]:
        for c in lead.contacts:
            c.is_main = c.id == contact.id
    elif contact.is_main:
        values["is_main"] = True  # one contact is always main; choose another main to change it
    for k, v in values.items():
        setattr(contact, k, v)
    lead.refresh_search_text()
    db.session.flush()
    return contact


def remove_contact(lead_id: int, contact_id: int, actor: User) -> None:
    lead = get_lead(lead_id, actor)
    _require_edit(lead, actor)
    contact = _contact_of(lead, contact_id)
    lead.contacts.remove(contact)
    if contact.is_main and lead.contacts:
        lead.contacts[0].is_main = True
    lead.refresh_search_text()
    db.session.flush()


# --------------------------------------------------------------------------- status


def status_actions(lead: Lead, user: User) -> dict[str, str | None]:
    """The statuses this user may move the lead to now, each with its transition form path (or None).

    Empty when no move is possible or the user has no write access. One workflow load for all.
    """
    if not can_edit(lead, user):
        return {}
    actions = processes.status_actions(RECORD_TYPE, lead.id)
    return {s: actions.transition_forms.get(s) for s in actions.allowed} if actions else {}


def transition_form(lead: Lead, next_status: str) -> str | None:
    actions = processes.status_actions(RECORD_TYPE, lead.id)
    return actions.transition_forms.get(next_status) if actions else None


def _guard(lead: Lead, next_status: str) -> None:
    if next_status == "deal" and lead.counterparty_id is None:
        raise InvalidInput(_("Fill in the Counterparty before converting the lead to a deal."),
                           code="guard_failed", fields={"counterparty_id": _("This field is required.")})


def change_status(lead_id: int, next_status: str, data: Mapping[str, Any], actor: User) -> Lead:
    """Move a lead to `next_status` — the one service behind card, kanban, journal and API.

    Raises PermissionDenied, InvalidInput (guard or transition form), Conflict (illegal move).
    """
    lead = get_lead(lead_id, actor)
    _require_edit(lead, actor)
    if next_status not in STATUSES:
        raise InvalidInput(fields={"status": _("Unknown status %(status)s.", status=next_status)})
    _guard(lead, next_status)
    payload = dict(data)
    if next_status == "disqualified" and payload.get("disqualification_reason"):
        if not directories.is_valid_code("disqualification_reason", str(payload["disqualification_reason"])):
            raise InvalidInput(fields={"disqualification_reason": _("Choose a value from the list.")})
    processes.change_record_status(RECORD_TYPE, lead.id, next_status, payload, actor.id)
    db.session.refresh(lead)
    return lead


def change_status_many(lead_ids: list[int], next_status: str, data: Mapping[str, Any],
                       actor: User) -> dict[int, str | None]:
    """Journal batch action: each lead moves or reports why not. Failed ones change nothing."""
    results: dict[int, str | None] = {}
    for lead_id in lead_ids:
        savepoint = db.session.begin_nested()
        try:
            change_status(lead_id, next_status, data, actor)
            savepoint.commit()
            results[lead_id] = None
        except CrmError as e:  # this lead stays as it was; the others still move
            savepoint.rollback()
            results[lead_id] = e.message if not e.fields else "; ".join(e.fields.values())
    return results


# --------------------------------------------------------------------------- service tasks


def set_lead_status(lead_id: int, status: str, disqualification_reason: str | None = None,
                    disqualification_comment: str | None = None) -> dict[str, Any]:
    lead = _get(lead_id)
    actor_id = processes.current_actor_id()
    history.record_change(RECORD_TYPE, lead.id, "status", lead.status, status, actor_id)
    lead.status = status
    if status == "disqualified":
        history.record_change(RECORD_TYPE, lead.id, "disqualification_reason", lead.disqualification_reason,
                              disqualification_reason, actor_id)
        lead.disqualification_reason = disqualification_reason
        lead.disqualification_comment = disqualification_comment
    db.session.flush()
    return {"status": status}


def set_lead_responsible(lead_id: int, login: str) -> dict[str, Any]:
    lead = _get(lead_id)
    user = find_user_by_login(login)
    if user is None:
        raise NotFound(_("User %(login)s not found.", login=login))
    old = lead.responsible
    lead.responsible_id = user.id
    if lead.processing_started_at is None:
        lead.processing_started_at = processes.now()
    history.record_change(RECORD_TYPE, lead.id, "responsible", old.display_name if old else None,
                          user.display_name, processes.current_actor_id())
    db.session.flush()
    return {"responsible": user.login}


def create_deal_from_lead(lead_id: int) -> dict[str, Any]:
    lead = _get(lead_id)
    deal = deals.create_deal_from_lead(lead, processes.current_actor_id())
    lead.deal_id = deal.id
    db.session.flush()
    return {"deal_id": deal.id}


def describe(lead_id: int) -> RecordInfo:
    lead = _get(lead_id)
    return RecordInfo(number=lead.display_number, title=lead.name, author_id=lead.created_by_id,
                      lanes={"responsible": LaneTarget(user_id=lead.responsible_id)})


SERVICE_TASKS: dict[str, Callable[..., Any]] = {
    "crm.set_lead_status": set_lead_status,
    "crm.set_lead_responsible": set_lead_responsible,
    "crm.create_deal_from_lead": create_deal_from_lead,
}

RECORD_TYPES = (RecordType(name=RECORD_TYPE, describe=describe, url_endpoint="leads.detail"),)


# --------------------------------------------------------------------------- counterparty from a lead


def counterparty_prefill(lead: Lead) -> dict[str, Any]:
    """Initial values of "Create Counterparty" from the lead's company and main contact."""
    main = lead.main_contact
    return {"type": "buyer", "kind": "legal_entity", "full_name": lead.company_name or "",
            "short_name": lead.company_name or "", "phone": main.phone if main else "",
            "email": (main.email if main else None) or lead.site_email or ""}


def create_counterparty_for_lead(lead_id: int, data: Mapping[str, Any], actor: User) -> Lead:
    """Create a counterparty (with the lead's contacts as contact persons) and set it on the lead."""
    lead = get_lead(lead_id, actor)
    _require_edit(lead, actor)
    if lead.is_closed:
        raise Conflict(_("A closed lead cannot be edited."), code="record_closed")
    counterparty = counterparties.create_counterparty(data, actor)
    for contact in lead.contacts:
        counterparties.add_contact(counterparty.id, contact.contact_values(), actor)
    history.record_change(RECORD_TYPE, lead.id, "counterparty", _cp_name(lead.counterparty_id),
                          counterparty.display_name, actor.id)
    lead.counterparty_id = counterparty.id
    if not lead.company_name:
        lead.company_name = counterparty.display_name
    lead.refresh_search_text()
    db.session.flush()
    return lead
