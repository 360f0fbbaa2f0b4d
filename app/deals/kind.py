"""The deal as a record kind: the 12 statuses with their sales stages, card form, journal, widgets.

Everything a deal shares with other records comes from `app.records`; this is the declaration.
"""
from __future__ import annotations

from typing import Any

from flask import current_app
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext

from app.deals.merge import is_merged
from app.deals.models import Deal, DealContact, DealLine
from app.deals.stages import add_stages_views
from app.records.kinds import REQUEST_FILTERS, RecordKind, StatusSpec, export_columns

PROCESSING, QUALIFICATION, DEVELOPMENT = _l("0% Processing"), _l("20% Qualification"), _l("40% Development")
CONFIRMATION, WIN, REJECTION = _l("60% Confirmation"), _l("100% Win"), _l("Rejection/Pause")


def _start_data(deal: Deal) -> dict[str, Any]:
    # The process reads the settings once, when it starts (bpmn/deal_progression.bpmn's documentation).
    cfg = current_app.config
    return {"deal_id": deal.id, "allow_quick_closing": bool(cfg["CRM_ALLOW_QUICK_CLOSING"]),
            "stale_after": f"P{int(cfg['CRM_DEAL_STALE_DAYS'])}D"}


DEAL = RecordKind(
    name="deal", plural="deals", title=_l("Deal"), title_plural=_l("Deals"), model=Deal, contact_model=DealContact,
    process_id="deal_progression",
    statuses=(StatusSpec("not_processed", "secondary", PROCESSING),
              StatusSpec("initial_contact", "info", QUALIFICATION),
              StatusSpec("needs_assessment", "info", QUALIFICATION),
              StatusSpec("presentation", "primary", DEVELOPMENT),
              StatusSpec("proposal_preparation", "primary", DEVELOPMENT),
              StatusSpec("prototype", "primary", DEVELOPMENT),
              StatusSpec("decision_making", "warning", CONFIRMATION),
              StatusSpec("completed", "success", WIN, is_terminal=True),
              StatusSpec("paused", "secondary", REJECTION),
              StatusSpec("rejected", "dark", REJECTION),
              StatusSpec("dropped_out", "dark"),
              # Historical applications are old records: never a target of a live deal.
              StatusSpec("historical", "light", bulk_target=False)),
    card_form="crud/deal.schema.json",
    tracked_fields=("name", "amount"),
    start_data=_start_data,
    filters=REQUEST_FILTERS,
    export_columns=export_columns("number", "name", "status", "responsible", "client", "amount", "users_count",
                                  "request_category", "request_source", "created"),
    main_widgets=("deals/_stages.html", "deals/_lead_link.html", "deals/_marketing.html"),
    line_model=DealLine,
    tabs=(("products", _l("Products and Services"), ("records/_lines.html",)),
          ("orders", _l("Orders"), ("deals/_orders.html",)), ("payments", _l("Payments"), ("deals/_payments.html",)),
          ("documents", _l("Documents"), ("documents/_generated.html",))),
    moved_message=lambda n: ngettext("%(num)s deal moved.", "%(num)s deals moved.", n),
    extra_json=lambda deal: {"lead_id": deal.lead_id, "merged_into_id": deal.merged_into_id,
                             "contract_id": deal.contract_id},
    closed_when=is_merged, open_clause=lambda: Deal.merged_into_id.is_(None),
    side_widgets=("deals/_contract.html", "deals/_merge.html", "mail/_email_widget.html"),
    extend_blueprint=lambda bp: _extend_pages(bp),
    extend_api_blueprint=lambda bp: _extend_api(bp),
)


def _extend_pages(bp: Any) -> None:
    """The deal's own pages: each helper's registration function, one after another."""
    add_stages_views(bp)
    # Local import: the deal's views import this declaration (views → kind, never the reverse).
    from app.deals import merge_views

    merge_views.add_merge_views(bp)


def _extend_api(bp: Any) -> None:
    """The deal's own API routes under /api/v1/deals."""
    from app.deals import merge_views  # local: see _extend_pages

    merge_views.add_merge_api(bp)
