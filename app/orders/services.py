"""Orders beyond the shared record machinery: an order created from its deal (prefilled, optionally with a copy of
the deal's lines), the orders of a deal, an order with its lines and totals for a document (invoice, act), the
card's checks and the merge of deals.

Writes flush only; the caller commits. Raises NotFound (unknown or invisible record), PermissionDenied,
InvalidInput, Conflict.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _

from app.auth.models import User
from app.contracts.models import Contract
from app.errors import Conflict
from app.extensions import db
from app.orders.models import Order
from app.processes import services as processes
from app.records import lines as record_lines
from app.records import services as records
from app.records.kinds import RecordKind, get_kind


def order_kind() -> RecordKind:
    return get_kind("order")


def _deal_kind() -> RecordKind:
    return get_kind("deal")


def today(at: datetime | None = None) -> date:
    """Today in the CRM's timezone (an order's date, a payment's due day)."""
    moment = at or processes.now()
    return moment.astimezone(ZoneInfo(current_app.config["CRM_TIMEZONE"])).date()


# --------------------------------------------------------------------------- the card


def prepare_new_order(order: Order, moment: datetime) -> None:
    """`RecordKind.prepare_new`: an order always has a responsible person (its creator unless named: orders are
    never "taken to work") and a date (today)."""
    if order.responsible_id is None:
        order.responsible_id = order.created_by_id
    if order.order_date is None:
        order.order_date = today(moment)
    if not order.currency:
        order.currency = "RUB"


def check_order_card(values: dict[str, Any], errors: dict[str, str]) -> None:
    """`RecordKind.check_card`: the contract exists."""
    contract_id = values.get("contract_id")
    if contract_id is not None and "contract_id" not in errors and db.session.get(Contract, contract_id) is None:
        errors["contract_id"] = _("Choose a contract of the counterparty.")
        values.pop("contract_id", None)


def contract_choices(counterparty_id: int | None, current: Any, user: User) -> list[dict[str, Any]]:
    """The contracts an order may name: the counterparty's contracts the user sees (or all they see), and the
    order's current one."""
    query = sa.select(Contract).where(records.visible_filter(get_kind("contract"), user))
    if counterparty_id is not None:
        query = query.where(Contract.counterparty_id == counterparty_id)
    found = list(db.session.scalars(query.order_by(Contract.id.desc()).limit(500)))
    if current not in (None, "") and str(current).isdigit() and all(c.id != int(current) for c in found):
        kept = db.session.get(Contract, int(current))
        if kept is not None:
            found.append(kept)
    return [{"const": c.id, "title": f"{c.display_number} {c.contract_number or ''} {c.name}".replace("  ", " ")}
            for c in found]


# --------------------------------------------------------------------------- orders of a deal


def writable_deal(deal_id: int, actor: User) -> Any:
    """The deal, visible and writable by the actor (a won deal too: orders come after the win); not merged."""
    kind = _deal_kind()
    deal = records.get_record(kind, deal_id, actor)
    records.require_edit(kind, deal, actor, open_only=False)
    if kind.closed_when and kind.closed_when(deal):
        raise Conflict(_("A closed record cannot be edited."), code="record_closed")
    return deal


def order_defaults(deal: Any) -> dict[str, Any]:
    """What a new order of `deal` starts with: its name, counterparty (or company), contract and responsible."""
    values: dict[str, Any] = {"name": deal.name, "counterparty_id": deal.counterparty_id,
                              "company_name": deal.company_name, "currency": "RUB",
                              "responsible": deal.responsible.login if deal.responsible else None}
    contract_id = getattr(deal, "contract_id", None)
    if contract_id is not None:
        values["contract_id"] = contract_id
    return values


def create_order_for_deal(deal_id: int, data: Mapping[str, Any], actor: User, copy_deal_lines: bool = False) -> Order:
    """Create an order of a deal: the card's fields given in `data` (null clears) over the deal's (`order_defaults`);
    with
    `copy_deal_lines` the deal's lines are copied to it (then edited independently).

    Raises NotFound (the deal is not visible), PermissionDenied (the actor may not change the deal or create
    records), Conflict (a merged deal), InvalidInput.
    """
    deal = writable_deal(deal_id, actor)
    values = {**order_defaults(deal), **data}
    order: Order = records.create_record(order_kind(), values, actor, extra={"deal_id": deal.id})
    if copy_deal_lines:
        record_lines.copy_lines(_deal_kind(), deal.id, order_kind(), order.id, actor)
    return order


def list_deal_orders(deal_id: int, actor: User) -> list[Order]:
    """The orders of a deal the actor may see (the deal itself must be visible), oldest first."""
    records.get_record(_deal_kind(), deal_id, actor)
    return list(db.session.scalars(sa.select(Order).where(Order.deal_id == deal_id,
                                                          records.visible_filter(order_kind(), actor))
                                   .order_by(Order.id)))


# --------------------------------------------------------------------------- an order for a document


@dataclass(frozen=True)
class OrderDocument:
    """An order as an invoice or an act shows it: the order, its lines with amounts, and the totals."""

    order: Order
    lines: list[record_lines.LineView]
    total: record_lines.Amounts

    @property
    def contract_id(self) -> int | None:
        return self.order.contract_id

    @property
    def currency(self) -> str:
        return self.order.currency


def get_order_document(order_id: int, user: User | None = None) -> OrderDocument:
    """The order with its lines and totals (net, VAT, with VAT, each rounded to kopecks); with `user` only an order
    that user may see. Raises NotFound."""
    kind = order_kind()
    order: Order = records.get_record(kind, order_id, user) if user is not None else records.find_record(kind, order_id)
    current = record_lines.record_lines(kind, order.id)
    return OrderDocument(order, current.lines, current.total)


# --------------------------------------------------------------------------- merge of deals


def move_deal_orders(main: Any, merged: Any, actor: Any) -> list[str]:
    """A merge step: the merged deal's orders belong to the main deal now (one summary line, or none)."""
    moved = list(db.session.scalars(sa.select(Order).where(Order.deal_id == merged.id).order_by(Order.id)))
    for order in moved:
        order.deal_id = main.id
    db.session.flush()
    if not moved:
        return []
    return [_("Orders moved: %(numbers)s", numbers=", ".join(o.display_number for o in moved))]


__all__ = ["order_kind", "today", "prepare_new_order", "check_order_card", "contract_choices", "order_defaults",
           "writable_deal", "create_order_for_deal", "list_deal_orders", "OrderDocument", "get_order_document",
           "move_deal_orders"]
