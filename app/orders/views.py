"""The order's own pages besides the shared record pages: "Create order" from a deal (prefilled from it, optionally
with a copy of its lines), and the deal card's Orders tab (the `deal_orders` template global).

`add_order_views(bp)` adds them to the `orders` blueprint; it is called from the order's kind declaration.
"""
from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required

from app.deals.merge import register_merge_step
from app.errors import InvalidInput
from app.extensions import db
from app.orders import services
from app.records import services as records


def _deal_orders(deal: Any) -> list[Any]:
    """The deal card's Orders tab: the deal's orders the signed-in user sees."""
    return services.list_deal_orders(deal.id, current_user)


def add_order_views(bp: Blueprint) -> None:
    bp.add_app_template_global(_deal_orders, "deal_orders")
    # Merging deals moves the merged deal's orders to the main deal (registered once, with the pages).
    register_merge_step(services.move_deal_orders)

    @bp.route("/deals/<int:deal_id>/orders/new", methods=["GET", "POST"])
    @login_required
    def new_for_deal(deal_id: int) -> Any:
        kind = services.order_kind()
        deal = services.writable_deal(deal_id, current_user)
        errors: dict[str, str] = {}
        form: Any = {k: v for k, v in services.order_defaults(deal).items() if v is not None}
        copy_lines = True
        if request.method == "POST":
            form = request.form
            copy_lines = request.form.get("copy_deal_lines") == "on"
            try:
                data = records.coerce_form(kind, request.form, current_user.timezone)
                order = services.create_order_for_deal(deal_id, data, current_user, copy_deal_lines=copy_lines)
                db.session.commit()
                flash(kind.message("created", _l("%(number)s created."), number=order.display_number), "success")
                return redirect(url_for("orders.detail", record_id=order.id))
            except InvalidInput as e:
                db.session.rollback()
                errors = e.fields or {"": e.message}
        return render_template("orders/new_for_deal.html", kind=kind, deal=deal, form=form, errors=errors,
                               copy_lines=copy_lines, card_schema=records.card_schema(kind)), (422 if errors else 200)
