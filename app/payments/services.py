"""Payments beyond the shared record machinery: a payment created from its deal or order (prefilled), the payments of
a deal or an order, what an order has been paid, the payment process's service tasks and guards, and the merge of deals.

Paid and outstanding amounts of an order (`order_payment_totals`): paid = the amounts of its payments in status
"paid" plus, for those in status "partially_paid", the part received so far (`paid_amount`); payments in another
currency than the order's are not counted. Outstanding = the order's amount (its total with VAT) − paid, never
below zero. Draft, planned, expired and canceled payments count nothing.

Writes flush only; the caller commits. Raises NotFound (unknown or invisible record), PermissionDenied,
InvalidInput, Conflict.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _

from app.auth.models import User
from app.errors import Conflict, InvalidInput
from app.extensions import db
from app.orders import services as orders
from app.orders.models import Order
from app.payments.models import Payment
from app.processes import services as processes
from app.records import services as records
from app.records.kinds import RecordKind, get_kind

CENT = Decimal("0.01")
ZERO = Decimal("0.00")


def payment_kind() -> RecordKind:
    return get_kind("payment")


# --------------------------------------------------------------------------- the card and the process


def prepare_new_payment(payment: Payment, moment: datetime) -> None:
    """`RecordKind.prepare_new`: a payment always has a responsible person (its creator unless named)."""
    if payment.responsible_id is None:
        payment.responsible_id = payment.created_by_id
    if not payment.currency:
        payment.currency = "RUB"


def require_planned_date(payment: Payment) -> None:
    """The guard of "planned": a planned date, today or later (a past one would expire at once)."""
    if payment.planned_date is None:
        raise InvalidInput(_("Fill in the planned date before planning the payment."), code="guard_failed",
                           fields={"planned_date": _("This field is required.")})
    if payment.planned_date < orders.today():
        raise InvalidInput(_("The planned date has passed: set a new one before planning the payment."),
                           code="guard_failed", fields={"planned_date": _("Enter today or a later date.")})


def after_payment_update(payment: Payment, changes: Mapping[str, tuple[Any, Any]], actor: User) -> None:
    """`RecordKind.after_update`: a new planned date of a planned payment moves its due timer (the process's
    planned_date_changed message); a planned date cleared on a planned payment is refused."""
    if "planned_date" in changes and payment.status == "planned":
        if payment.planned_date is None:
            raise InvalidInput(fields={"planned_date": _("A planned payment needs a planned date.")})
        processes.send_record_message("payment", payment.id, "planned_date_changed",
                                      {"planned_date": payment.planned_date.isoformat()}, actor.id)


def payment_expiry(payment_id: int) -> str:
    """`crm.payment_expiry`: when the planned day ends in the CRM timezone (ISO with offset): the moment the unpaid
    payment expires."""
    payment = records.find_record(payment_kind(), payment_id)
    if payment.planned_date is None:
        raise InvalidInput(fields={"planned_date": _("This field is required.")})
    tz = ZoneInfo(current_app.config["CRM_TIMEZONE"])
    return datetime.combine(payment.planned_date + timedelta(days=1), time(0, 0), tzinfo=tz).isoformat()


def _parse_date(value: Any, field: str) -> date | None:
    if value in (None, ""):
        return None
    try:
        return date.fromisoformat(str(value))
    except ValueError as e:
        raise InvalidInput(fields={field: _("Enter a valid date.")}) from e


def set_payment_status(payment_id: int, status: str, actual_date: Any = None, paid_amount: Any = None,
                       cancel_comment: Any = None) -> dict[str, Any]:
    """`crm.set_payment_status`: the process writes the payment's status and what its transition form gave:
    the actual date (paid, partially paid), the amount received so far (partially paid: more than zero and less
    than the amount; paid: the whole amount), the cancellation comment. Raises InvalidInput."""
    payment = records.find_record(payment_kind(), payment_id)
    fields: dict[str, Any] = {}
    if status in ("paid", "partially_paid"):
        fields["actual_date"] = _parse_date(actual_date, "actual_date")
    if status == "paid":
        fields["paid_amount"] = payment.amount
    elif status == "partially_paid":
        try:
            received = Decimal(str(paid_amount)).quantize(CENT)
        except (InvalidOperation, ValueError) as e:
            raise InvalidInput(fields={"paid_amount": _("Enter an amount like 1250.00.")}) from e
        if not ZERO < received < (payment.amount or ZERO):
            raise InvalidInput(fields={"paid_amount": _("Enter more than zero and less than the payment's amount.")})
        fields["paid_amount"] = received
    elif status == "canceled" and cancel_comment:
        fields["cancel_comment"] = str(cancel_comment)
    return records.set_status("payment", payment.id, status, **fields)


# --------------------------------------------------------------------------- payments of a deal or an order


def writable_parent(kind_name: str, record_id: int, actor: User) -> Any:
    """The deal or order a payment is made for: visible and writable by the actor (closed ones too), not merged."""
    kind = get_kind(kind_name)
    record = records.get_record(kind, record_id, actor)
    records.require_edit(kind, record, actor, open_only=False)
    if kind.closed_when and kind.closed_when(record):
        raise Conflict(_("A closed record cannot be edited."), code="record_closed")
    return record


def payment_defaults(deal: Any = None, order: Order | None = None) -> dict[str, Any]:
    """What a new payment of a deal or an order starts with: name, counterparty, currency, responsible, and for an
    order its outstanding amount."""
    source = order if order is not None else deal
    values: dict[str, Any] = {"name": _("Payment for %(number)s", number=source.display_number),
                              "counterparty_id": source.counterparty_id, "currency": "RUB",
                              "responsible": source.responsible.login if source.responsible else None}
    if order is not None:
        values["currency"] = order.currency
        outstanding = order_payment_totals(order).outstanding
        if outstanding > ZERO:
            values["amount"] = f"{outstanding:.2f}"
    return values


def create_payment_for(data: Mapping[str, Any], actor: User, deal_id: int | None = None,
                       order_id: int | None = None) -> Payment:
    """Create a payment of an order (its deal too) or of a deal: the card's fields given in `data` over
    `payment_defaults`. The actor must be able to change that order or deal.

    Raises NotFound (not visible), PermissionDenied, Conflict, InvalidInput.
    """
    order: Order | None = writable_parent("order", order_id, actor) if order_id is not None else None
    deal = None
    if order is not None:
        deal = order.deal
    elif deal_id is not None:
        deal = writable_parent("deal", deal_id, actor)
    values = {**payment_defaults(deal, order), **data}
    if order is not None and values.get("currency") != order.currency:
        message = _("A payment of an order is in the order's currency (%(currency)s).", currency=order.currency)
        raise InvalidInput(fields={"currency": message})
    extra = {"order_id": order.id if order else None, "deal_id": deal.id if deal is not None else None}
    payment: Payment = records.create_record(payment_kind(), values, actor, extra=extra)
    return payment


def list_payments(actor: User, deal_id: int | None = None, order_id: int | None = None) -> list[Payment]:
    """The payments of a deal or an order the actor may see (the deal or order must be visible), oldest first."""
    if order_id is not None:
        records.get_record(get_kind("order"), order_id, actor)
        where = Payment.order_id == order_id
    else:
        records.get_record(get_kind("deal"), deal_id or 0, actor)
        where = Payment.deal_id == deal_id
    return list(db.session.scalars(sa.select(Payment).where(where, records.visible_filter(payment_kind(), actor))
                                   .order_by(Payment.id)))


@dataclass(frozen=True)
class PaymentTotals:
    total: Decimal        # the order's amount (its total with VAT)
    paid: Decimal
    outstanding: Decimal


def order_payment_totals(order: Order) -> PaymentTotals:
    """Paid and outstanding amounts of an order (see the module's docstring for the definition)."""
    received = sa.case((Payment.status == "paid", Payment.amount),
                       (Payment.status == "partially_paid", Payment.paid_amount), else_=0)
    paid = db.session.scalar(sa.select(sa.func.coalesce(sa.func.sum(received), 0))
                             .where(Payment.order_id == order.id, Payment.currency == order.currency))
    paid_amount = Decimal(paid or 0).quantize(CENT)
    total = (order.amount or ZERO).quantize(CENT)
    return PaymentTotals(total, paid_amount, max(total - paid_amount, ZERO))


# --------------------------------------------------------------------------- merge of deals


def move_deal_payments(main: Any, merged: Any, actor: Any) -> list[str]:
    """A merge step: the merged deal's payments belong to the main deal now (one summary line, or none)."""
    moved = list(db.session.scalars(sa.select(Payment).where(Payment.deal_id == merged.id).order_by(Payment.id)))
    for payment in moved:
        payment.deal_id = main.id
    db.session.flush()
    if not moved:
        return []
    return [_("Payments moved: %(numbers)s", numbers=", ".join(p.display_number for p in moved))]
