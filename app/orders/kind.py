"""The order as a record kind: statuses, card form, lines, journal, widgets and tabs.

Everything an order shares with other records comes from `app.records`; this is the declaration.
"""
from __future__ import annotations

from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from flask_login import current_user

from app.orders import services
from app.orders.models import Order, OrderContact, OrderLine
from app.records.kinds import ExportColumn, RecordKind, StatusSpec, export_columns, money


def _contract_options(value: Any) -> list[dict[str, Any]]:
    # The card's contract picker: contracts the signed-in user sees (a choice list is a page's concern).
    return services.contract_choices(None, value, current_user)


def _extra_json(order: Order) -> dict[str, Any]:
    document = services.get_order_document(order.id)
    return {"deal_id": order.deal_id, "contract_id": order.contract_id, "currency": order.currency,
            "order_date": order.order_date, "approval_comment": order.approval_comment,
            "totals": {"amount": money(document.total.net), "vat_amount": money(document.total.vat),
                       "amount_with_vat": money(document.total.gross)}}


def _summary(order: Order) -> list[tuple[str, str]]:
    """What the approval task shows about the order besides number, name, client and amount."""
    pairs = [(_("Currency"), order.currency)]
    if order.deal is not None:
        pairs.append((_("Deal"), f"{order.deal.display_number} {order.deal.name}"))
    if order.approval_comment:
        pairs.append((_("Director's comment"), order.approval_comment))
    return pairs


ORDER = RecordKind(
    name="order", plural="orders", title=_l("Order"), title_plural=_l("Orders"), model=Order,
    contact_model=OrderContact, process_id="order_cycle",
    statuses=(StatusSpec("placement", "secondary"), StatusSpec("approving", "warning", bulk_target=False),
              StatusSpec("execution", "primary"), StatusSpec("completed", "success", is_terminal=True),
              StatusSpec("canceled", "dark", is_terminal=True)),
    card_form="crud/order.schema.json",
    tracked_fields=("name", "amount", "currency"),
    status_fields=("approval_comment",),
    start_data=lambda order: {"order_id": order.id},
    prepare_new=services.prepare_new_order,
    check_card=services.check_order_card,
    field_options={"order_contracts": _contract_options},
    line_model=OrderLine,
    export_columns=export_columns("number", "name", "status", "responsible", "client", "amount", "created",
                                  extra=(ExportColumn(_l("Currency"), lambda o: o.currency),
                                         ExportColumn(_l("Order date"), lambda o: o.order_date))),
    header_widgets=("orders/_deal_link.html",),
    properties_widgets=("orders/_approval_comment.html",),
    tabs=(("products", _l("Products and Services"), ("records/_lines.html",)),
          ("payments", _l("Payments"), ("payments/_order_payments.html",)),
          ("documents", _l("Documents"), ("orders/_documents.html",))),
    action_labels={"approving": _l("Send for approval"), "canceled": _l("Cancel the order")},
    messages={"created": _l("Order %(number)s created.")},
    moved_message=lambda n: ngettext("%(num)s order moved.", "%(num)s orders moved.", n),
    extra_json=_extra_json,
    summary=_summary,
    extend_blueprint=lambda bp: _views().add_order_views(bp),
)


def _views() -> Any:
    # Local import: the order's own pages import this declaration (views → kind, never the reverse).
    from app.orders import views

    return views
