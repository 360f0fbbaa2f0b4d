"""Display labels of stored ids (statuses, kinds, history fields), in the user's language.

Ids stay English snake_case in the database and BPMN; people see these labels. Contexts keep
homonyms apart in the catalogs (a lead is "Не обработан", a deal "Не обработана").
"""
from __future__ import annotations

from typing import Any

from flask_babel import lazy_pgettext as _p

LABELS: dict[str, dict[str, Any]] = {
    "lead_status": {
        "not_processed": _p("lead status", "Not Processed"),
        "interest_expressed": _p("lead status", "Interest Expressed"),
        "paused": _p("lead status", "Paused"),
        "disqualified": _p("lead status", "Disqualified"),
        "deal": _p("lead status", "Deal"),
    },
    "deal_status": {
        "not_processed": _p("deal status", "Not Processed"),
        "initial_contact": _p("deal status", "Initial Contact"),
        "needs_assessment": _p("deal status", "Needs Assessment"),
        "presentation": _p("deal status", "Presentation"),
        "proposal_preparation": _p("deal status", "Proposal Preparation"),
        "prototype": _p("deal status", "Prototype"),
        "decision_making": _p("deal status", "Decision Making"),
        "completed": _p("deal status", "Completed"),
        "paused": _p("deal status", "Paused"),
        "rejected": _p("deal status", "Rejected"),
        "dropped_out": _p("deal status", "Dropped Out"),
        "historical": _p("deal status", "Historical Applications"),
    },
    "contract_status": {
        "draft": _p("contract status", "Draft"),
        "approval": _p("contract status", "Approval"),
        "signing": _p("contract status", "Signing"),
        "active": _p("contract status", "Active"),
        "annulled": _p("contract status", "Annulled"),
        "archived": _p("contract status", "Archived"),
    },
    "agreement_status": {
        "draft": _p("agreement status", "Draft"),
        "active": _p("agreement status", "Active"),
        "annulled": _p("agreement status", "Annulled"),
    },
    "order_status": {
        "placement": _p("order status", "Placement"),
        "approving": _p("order status", "Approving"),
        "execution": _p("order status", "Execution"),
        "completed": _p("order status", "Completed"),
        "canceled": _p("order status", "Canceled"),
    },
    "payment_status": {
        "draft": _p("payment status", "Draft"),
        "planned": _p("payment status", "Planned"),
        "partially_paid": _p("payment status", "Partially paid"),
        "paid": _p("payment status", "Paid"),
        "expired": _p("payment status", "Expired"),
        "canceled": _p("payment status", "Canceled"),
    },
    "assignment_status": {
        "in_progress": _p("assignment status", "In progress"),
        "in_review": _p("assignment status", "In review"),
        "rework": _p("assignment status", "Rework"),
        "completed": _p("assignment status", "Completed"),
    },
    "activity_kind": {
        "call": _p("activity kind", "Call"),
        "meeting": _p("activity kind", "Meeting"),
        "email": _p("activity kind", "Email"),
    },
    "activity_status": {
        "planned": _p("activity status", "Planned"),
        "completed": _p("activity status", "Completed"),
        "expired": _p("activity status", "Expired"),
        "canceled": _p("activity status", "Canceled"),
    },
    "task_status": {
        "open": _p("task status", "Open"),
        "completed": _p("task status", "Completed"),
        "canceled": _p("task status", "Canceled"),
    },
    "task_outcome": {
        "accept": _p("task outcome", "Accepted"),
        "rework": _p("task outcome", "Returned for rework"),
    },
    "history_field": {
        "status": _p("history field", "Status"),
        "responsible": _p("history field", "Responsible"),
        "amount": _p("history field", "Amount"),
        "counterparty": _p("history field", "Counterparty"),
        "name": _p("history field", "Name"),
        "disqualification_reason": _p("history field", "Disqualification reason"),
        "planned_date": _p("history field", "Planned date"),
        "actual_date": _p("history field", "Actual date"),
        "currency": _p("history field", "Currency"),
        "contract": _p("history field", "Contract"),
        "contract_number": _p("history field", "Contract number"),
        "contract_date": _p("history field", "Contract date"),
        "valid_until": _p("history field", "Valid until"),
        "agreement_number": _p("history field", "Agreement number"),
        "agreement_date": _p("history field", "Agreement date"),
        "amount_change": _p("history field", "Amount change"),
    },
    "process": {
        "assignment": _p("process", "Assignment"),
        "lead_qualification": _p("process", "Lead qualification"),
        "order_cycle": _p("process", "Order cycle"),
        "payment_cycle": _p("process", "Payment cycle"),
    },
    "counterparty_type": {
        "buyer": _p("counterparty type", "Buyer"),
        "supplier": _p("counterparty type", "Supplier"),
        "partner": _p("counterparty type", "Partner"),
    },
    "counterparty_kind": {
        "legal_entity": _p("counterparty kind", "Legal entity"),
        "sole_proprietor": _p("counterparty kind", "Sole proprietor"),
        "individual": _p("counterparty kind", "Individual"),
    },
}


def label(kind: str, value: str | None) -> str:
    """The label of `value` in the vocabulary `kind`; the raw value when unknown, '—' when empty."""
    if value is None or value == "":
        return "—"
    found = LABELS.get(kind, {}).get(value)
    return str(found) if found is not None else str(value)
