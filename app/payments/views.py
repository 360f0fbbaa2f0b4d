"""The payment's own pages besides the shared record pages: "Create payment" from a deal or an order (prefilled
from it), and the template globals of the deal card's Payments tab and the order card's Payments tab (with the
order's paid and outstanding amounts).

`add_payment_views(bp)` adds them to the `payments` blueprint; it is called from the payment's kind declaration.
"""
from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required

from app.deals.merge import register_merge_step
from app.errors import InvalidInput
from app.extensions import db
from app.payments import services
from app.records import services as records
from app.records.kinds import get_kind


def _deal_payments(deal: Any) -> list[Any]:
    return services.list_payments(current_user, deal_id=deal.id)


def _order_payments(order: Any) -> dict[str, Any]:
    return {"payments": services.list_payments(current_user, order_id=order.id),
            "totals": services.order_payment_totals(order)}


def add_payment_views(bp: Blueprint) -> None:
    bp.add_app_template_global(_deal_payments, "deal_payments")
    bp.add_app_template_global(_order_payments, "order_payments")
    # Merging deals moves the merged deal's payments to the main deal (registered once, with the pages).
    register_merge_step(services.move_deal_payments)

    def _new(parent_kind: str, parent_id: int) -> Any:
        kind = services.payment_kind()
        parent = services.writable_parent(parent_kind, parent_id, current_user)
        errors: dict[str, str] = {}
        defaults = services.payment_defaults(order=parent) if parent_kind == "order" else \
            services.payment_defaults(deal=parent)
        form: Any = {k: v for k, v in defaults.items() if v is not None}
        if request.method == "POST":
            form = request.form
            try:
                data = records.coerce_form(kind, request.form, current_user.timezone)
                payment = services.create_payment_for(data, current_user, **{f"{parent_kind}_id": parent_id})
                db.session.commit()
                flash(kind.message("created", _l("%(number)s created."), number=payment.display_number), "success")
                return redirect(url_for("payments.detail", record_id=payment.id))
            except InvalidInput as e:
                db.session.rollback()
                errors = e.fields or {"": e.message}
        return render_template("payments/new_for.html", kind=kind, parent=parent, parent_kind=get_kind(parent_kind),
                               form=form, errors=errors, card_schema=records.card_schema(kind)), \
            (422 if errors else 200)

    @bp.route("/deals/<int:deal_id>/payments/new", methods=["GET", "POST"])
    @login_required
    def new_for_deal(deal_id: int) -> Any:
        return _new("deal", deal_id)

    @bp.route("/orders/<int:order_id>/payments/new", methods=["GET", "POST"])
    @login_required
    def new_for_order(order_id: int) -> Any:
        return _new("order", order_id)
