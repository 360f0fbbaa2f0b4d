"""The payment as a record kind: statuses, card form, guards, service tasks, journal and widgets.

Everything a payment shares with other records comes from `app.records`; this is the declaration.
"""
from __future__ import annotations

from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext

from app.payments import services
from app.payments.models import Payment, PaymentContact
from app.records.kinds import ExportColumn, RecordKind, StatusSpec, export_columns, money


def _extra_json(payment: Payment) -> dict[str, Any]:
    return {"order_id": payment.order_id, "deal_id": payment.deal_id, "currency": payment.currency,
            "planned_date": payment.planned_date, "actual_date": payment.actual_date,
            "paid_amount": money(payment.paid_amount), "comment": payment.comment,
            "cancel_comment": payment.cancel_comment}


def _summary(payment: Payment) -> list[tuple[str, str]]:
    """What the "Payment overdue" task shows about the payment."""
    pairs = [(_("Currency"), payment.currency), (_("Planned date"), str(payment.planned_date or "—"))]
    if payment.order is not None:
        pairs.append((_("Order"), f"{payment.order.display_number} {payment.order.name}"))
    if payment.deal is not None:
        pairs.append((_("Deal"), f"{payment.deal.display_number} {payment.deal.name}"))
    return pairs


PAYMENT = RecordKind(
    name="payment", plural="payments", title=_l("Payment"), title_plural=_l("Payments"), model=Payment,
    contact_model=PaymentContact, process_id="payment_cycle",
    statuses=(StatusSpec("draft", "secondary"), StatusSpec("planned", "info"),
              StatusSpec("partially_paid", "warning", bulk_target=False),
              StatusSpec("paid", "success", is_terminal=True, bulk_target=False),
              StatusSpec("expired", "danger", bulk_target=False),
              StatusSpec("canceled", "dark", is_terminal=True, bulk_target=False)),
    card_form="crud/payment.schema.json",
    tracked_fields=("name", "amount", "planned_date", "actual_date"),
    status_fields=("actual_date", "paid_amount", "cancel_comment"),
    start_data=lambda payment: {"payment_id": payment.id},
    prepare_new=services.prepare_new_payment,
    guards={"planned": services.require_planned_date},
    after_update=services.after_payment_update,
    service_tasks={"crm.set_payment_status": services.set_payment_status,
                   "crm.payment_expiry": services.payment_expiry},
    export_columns=export_columns("number", "name", "status", "responsible", "client", "amount", "created",
                                  extra=(ExportColumn(_l("Currency"), lambda p: p.currency),
                                         ExportColumn(_l("Planned date"), lambda p: p.planned_date),
                                         ExportColumn(_l("Actual date"), lambda p: p.actual_date))),
    header_widgets=("payments/_links.html",),
    properties_widgets=("payments/_paid_details.html",),
    action_labels={"planned": _l("Plan"), "partially_paid": _l("Partially paid"), "paid": _l("Mark paid"),
                   "canceled": _l("Cancel the payment"), "draft": _l("Back to draft")},
    messages={"created": _l("Payment %(number)s created.")},
    moved_message=lambda n: ngettext("%(num)s payment moved.", "%(num)s payments moved.", n),
    extra_json=_extra_json,
    summary=_summary,
    extend_blueprint=lambda bp: _views().add_payment_views(bp),
)


def _views() -> Any:
    # Local import: the payment's own pages import this declaration (views → kind, never the reverse).
    from app.payments import views

    return views
