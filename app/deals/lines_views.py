"""A deal's products and services lines on the deal card's "Products and Services" tab and in the API.

`add_line_views(bp)` adds the page routes to the `deals` blueprint, `add_line_api(bp)` the JSON routes to
`deals_api` (/api/v1/deals/<id>/lines); both are called from the deal's kind declaration. The tab itself
(deals/_products.html) reads the lines through the `deal_lines_tab` template global.
"""
from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from app.api import json_body
from app.catalog import services as catalog
from app.deals import lines
from app.errors import InvalidInput
from app.extensions import db
from app.records import services as records
from app.records.kinds import get_kind, money

FORM_FIELDS = (*lines.LINE_FIELDS, "version")


def _tab_context(record: Any) -> dict[str, Any]:
    """What the Products and Services tab shows: the lines with amounts, totals, and the add form's choices."""
    return {"lines": lines.deal_lines(record.id), "products": catalog.active_products(),
            "units": catalog.choices("unit"), "vat_rates": catalog.choices("vat_rate")}


def _form_data(with_product: bool) -> dict[str, Any]:
    data: dict[str, Any] = {k: request.form[k] for k in FORM_FIELDS if request.form.get(k, "") != ""}
    raw = request.form.get("product_id", "")
    if with_product and raw:
        data["product_id"] = int(raw) if raw.isdigit() and len(raw) < 10 else raw
    return data


def _card_url(deal_id: int) -> str:
    return url_for("deals.detail", record_id=deal_id) + "#tab-products"


def _render_form(deal_id: int, line: Any, errors: dict[str, str], status: int) -> Any:
    deal = records.get_record(get_kind("deal"), deal_id, current_user)
    return render_template("deals/line_form.html", record=deal, line=line, form=request.form, errors=errors,
                           **_tab_context(deal)), status


def add_line_views(bp: Blueprint) -> None:
    bp.add_app_template_global(_tab_context, "deal_lines_tab")

    @bp.post("/deals/<int:record_id>/lines")
    @login_required
    def add_line(record_id: int) -> Any:
        try:
            lines.add_line(record_id, _form_data(with_product=True), current_user)
        except InvalidInput as e:
            db.session.rollback()
            return _render_form(record_id, None, e.fields or {"": e.message}, 422)
        db.session.commit()
        flash(_("Line added."), "success")
        return redirect(_card_url(record_id))

    @bp.route("/deals/<int:record_id>/lines/<int:line_id>", methods=["GET", "POST"])
    @login_required
    def edit_line(record_id: int, line_id: int) -> Any:
        """GET: the line's form; POST: save it, or remove the line (`action=delete`)."""
        deal = lines.editable_deal(record_id, current_user)
        line = lines.get_line(record_id, line_id)
        if request.method == "GET":
            return render_template("deals/line_form.html", record=deal, line=line, form={}, errors={},
                                   **_tab_context(deal))
        try:
            if request.form.get("action") == "delete":
                lines.remove_line(record_id, line_id, current_user, _form_data(with_product=False))
                message = _("Line removed.")
            else:
                lines.update_line(record_id, line_id, _form_data(with_product=False), current_user)
                message = _("Saved.")
        except InvalidInput as e:
            db.session.rollback()
            return _render_form(record_id, lines.get_line(record_id, line_id), e.fields or {"": e.message}, 422)
        db.session.commit()
        flash(message, "success")
        return redirect(_card_url(record_id))


# --------------------------------------------------------------------------- API


def amounts_json(amounts: lines.Amounts) -> dict[str, Any]:
    return {"amount": money(amounts.net), "vat_amount": money(amounts.vat), "amount_with_vat": money(amounts.gross)}


def line_json(view: lines.LineView) -> dict[str, Any]:
    line = view.line
    return {"id": line.id, "deal_id": line.deal_id, "product_id": line.product_id, "name": line.name,
            "type": line.type, "unit": line.unit, "price": money(line.price),
            "quantity": f"{line.quantity:.3f}", "discount_percent": f"{line.discount_percent:.2f}",
            "vat_rate": line.vat_rate, "position": line.position, **amounts_json(view.amounts)}


def lines_json(deal_id: int, current: lines.DealLines) -> dict[str, Any]:
    deal = records.find_record(get_kind("deal"), deal_id)
    return {"items": [line_json(v) for v in current.lines], "total": len(current.lines),
            "totals": amounts_json(current.total), "deal_amount": money(deal.amount), "version": deal.version}


def _line_view(line: Any) -> lines.LineView:
    return lines.LineView(line, lines.line_amounts(line.price, line.quantity, line.discount_percent, line.vat_rate))


def add_line_api(bp: Blueprint) -> None:
    @bp.get("/<int:record_id>/lines")
    def list_lines(record_id: int) -> Any:
        return jsonify(lines_json(record_id, lines.list_lines(record_id, current_user)))

    @bp.post("/<int:record_id>/lines")
    def add_line(record_id: int) -> Any:
        line = lines.add_line(record_id, json_body(), current_user)
        payload = line_json(_line_view(line))
        db.session.commit()
        return jsonify(payload), 201

    @bp.patch("/<int:record_id>/lines/<int:line_id>")
    def update_line(record_id: int, line_id: int) -> Any:
        line = lines.update_line(record_id, line_id, json_body(), current_user)
        payload = line_json(_line_view(line))
        db.session.commit()
        return jsonify(payload)

    @bp.delete("/<int:record_id>/lines/<int:line_id>")
    def remove_line(record_id: int, line_id: int) -> Any:
        lines.remove_line(record_id, line_id, current_user)
        db.session.commit()
        return "", 204
