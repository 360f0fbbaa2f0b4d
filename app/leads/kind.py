"""The lead as a record kind: statuses, card form, journal, export and card widgets.

Everything a lead shares with other records comes from `app.records`; this is the declaration.
"""
from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import current_app, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext

from app.calendar import BusinessCalendar
from app.errors import InvalidInput
from app.leads import services
from app.leads.models import Lead, LeadContact
from app.records.kinds import REQUEST_FILTERS, RecordKind, StatusSpec, export_columns


def _take_sla_at(at: datetime) -> datetime:
    cfg = current_app.config
    calendar = BusinessCalendar(cfg["CRM_TIMEZONE"], cfg["CRM_WORKDAY_START"], cfg["CRM_WORKDAY_END"])
    return calendar.add_working_hours(at, cfg["CRM_LEAD_TAKE_SLA_HOURS"])


def _start_data(lead: Lead) -> dict[str, Any]:
    return {"lead_id": lead.id, "take_sla_at": _take_sla_at(lead.created_at).isoformat(),
            "disqualification_reason": None}


def _prepare_new(lead: Lead, moment: datetime) -> None:
    if lead.received_at is None:
        lead.received_at = moment


def _counterparty_required(lead: Lead) -> None:
    if lead.counterparty_id is None:
        raise InvalidInput(_("Fill in the Counterparty before converting the lead to a deal."),
                           code="guard_failed", fields={"counterparty_id": _("This field is required.")})


def _after_status(lead: Lead) -> tuple[str, str] | None:
    if lead.status == "deal" and lead.deal_id:
        return url_for("deals.detail", record_id=lead.deal_id), _("The lead was converted to a deal.")
    return None


LEAD = RecordKind(
    name="lead", plural="leads", title=_l("Lead"), title_plural=_l("Leads"), model=Lead, contact_model=LeadContact,
    process_id="lead_qualification",
    statuses=(StatusSpec("not_processed", "secondary"), StatusSpec("interest_expressed", "primary"),
              StatusSpec("paused", "warning"), StatusSpec("disqualified", "dark", is_terminal=True, bulk_target=False),
              StatusSpec("deal", "success", is_terminal=True)),
    card_form="crud/lead.schema.json",
    tracked_fields=("name", "amount", "disqualification_reason"),
    status_fields=("disqualification_reason", "disqualification_comment"),
    start_data=_start_data, prepare_new=_prepare_new, processing_started_field="processing_started_at",
    filters=REQUEST_FILTERS,
    export_columns=export_columns("number", "name", "status", "responsible", "client", "contact_name",
                                  "contact_phone", "contact_email", "amount", "users_count", "request_category",
                                  "request_source", "created"),
    guards={"deal": _counterparty_required},
    header_widgets=("leads/_deal_link.html",), properties_widgets=("leads/_counterparty_actions.html",),
    history_directories={"disqualification_reason": "disqualification_reason"},
    main_widgets=("leads/_marketing.html",), side_widgets=("leads/_disqualification.html",),
    service_tasks={"crm.create_deal_from_lead": services.create_deal_from_lead,
                   # Operators of lead_qualification versions deployed before crm.set_status existed:
                   # instances pinned to those versions still call them.
                   "crm.set_lead_status": services.set_lead_status,
                   "crm.set_lead_responsible": services.set_lead_responsible},
    action_labels={"deal": _l("Convert to deal"), "disqualified": _l("Disqualify")},
    status_aliases={"reason": "disqualification_reason"},
    after_status_url=_after_status,
    messages={"created": _l("Lead %(number)s created."), "not_created": _l("The lead was not created: %(errors)s")},
    moved_message=lambda n: ngettext("%(num)s lead moved.", "%(num)s leads moved.", n),
    extra_json=lambda lead: {"disqualification_reason": lead.disqualification_reason,
                             "disqualification_comment": lead.disqualification_comment, "deal_id": lead.deal_id,
                             "processing_started_at": lead.processing_started_at},
    extend_blueprint=lambda bp: _lead_views().add_lead_views(bp),
)


def _lead_views() -> Any:
    # Local import: the lead's own pages import this declaration (views → kind, never the reverse).
    from app.leads import views

    return views
