"""Product and service lines on the card's lines tab and in the API, for every kind with a `line_model`.

`add_line_views(kind, bp)` adds the page routes to the kind's blueprint (/<plural>/<id>/lines[/<line_id>]),
`add_line_api(kind, bp)` the JSON routes to its API blueprint (/api/v1/<plural>/<id>/lines[/<line_id>]);
the factory calls both for each such kind. The tab (records/_lines.html) reads the lines through the
`record_lines_tab` template global.
"""
from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from app.api import json_body
from app.catalog import services as catalog
from app.errors import InvalidInput
from app.extensions import db
from app.records import lines
from app.records import services as records
from app.records.kinds import RecordKind, money

FORM_FIELDS = (*lines.LINE_FIELDS, "version")


def record_lines_tab(kind: RecordKind, record: Any) -> dict[str, Any]:
    """What the lines tab shows: the lines with amounts, totals, and the add form's choices."""
    return {"lines": lines.record_lines(kind, record.id), "products": catalog.active_products(),
            "units": catalog.choices("unit"), "vat_rates": catalog.choices("vat_rate")}


def _form_data(with_product: bool) -> dict[str, Any]:
    data: dict[str, Any] = {k: request.form[k] for k in FORM_FIELDS if request.form.get(k, "") != ""}
    raw = request.form.get("product_id", "")
    if with_product and raw:
        data["product_id"] = int(raw) if raw.isdigit() and len(raw) < 10 else raw
    return data


def add_line_views(kind: RecordKind, bp: Blueprint) -> None:
    bp.add_app_template_global(record_lines_tab, "record_lines_tab")

    def _card_url(record_id: int) -> str:
        return url_for(f"{kind.plural}.detail", record_id=record_id) + "#tab-products"

    def _render_form(record: Any, line: Any, form: Any, errors: dict[str, str], status: int = 200) -> Any:
        return render_template("records/line_form.html", kind=kind, record=record, line=line, form=form,
                               errors=errors, **record_lines_tab(kind, record)), status

    @bp.post(f"/{kind.plural}/<int:record_id>/lines")
    @login_required
    def add_line(record_id: int) -> Any:
        try:
            lines.add_line(kind, record_id, _form_data(with_product=True), current_user)
        except InvalidInput as e:
            db.session.rollback()
            record = records.get_record(kind, record_id, current_user)
            return _render_form(record, None, request.form, e.fields or {"": e.message}, 422)
        db.session.commit()
        flash(_("Line added."), "success")
        return redirect(_card_url(record_id))

    @bp.route(f"/{kind.plural}/<int:record_id>/lines/<int:line_id>", methods=["GET", "POST"])
    @login_required
    def edit_line(record_id: int, line_id: int) -> Any:
        """GET: the line's form; POST: save it, or remove the line (`action=delete`)."""
        record = lines.editable_record(kind, record_id, current_user)
        line = lines.get_line(kind, record_id, line_id)
        if request.method == "GET":
            return _render_form(record, line, {}, {})
        try:
            if request.form.get("action") == "delete":
                lines.remove_line(kind, record_id, line_id, current_user, _form_data(with_product=False))
                message = _("Line removed.")
            else:
                lines.update_line(kind, record_id, line_id, _form_data(with_product=False), current_user)
                message = _("Saved.")
        except InvalidInput as e:
            db.session.rollback()
            record = records.get_record(kind, record_id, current_user)
            return _render_form(record, lines.get_line(kind, record_id, line_id), request.form,
                                e.fields or {"": e.message}, 422)
        db.session.commit()
        flash(message, "success")
        return redirect(_card_url(record_id))


# --------------------------------------------------------------------------- API


def amounts_json(amounts: lines.Amounts) -> dict[str, Any]:
    return {"amount": money(amounts.net), "vat_amount": money(amounts.vat), "amount_with_vat": money(amounts.gross)}


def line_json(view: lines.LineView) -> dict[str, Any]:
    line = view.line
    return {"id": line.id, line.owner_field: line.owner_id, "product_id": line.product_id, "name": line.name,
            "type": line.type, "unit": line.unit, "price": money(line.price),
            "quantity": f"{line.quantity:.3f}", "discount_percent": f"{line.discount_percent:.2f}",
            "vat_rate": line.vat_rate, "position": line.position, **amounts_json(view.amounts)}


def lines_json(kind: RecordKind, record_id: int, current: lines.RecordLines) -> dict[str, Any]:
    record = records.find_record(kind, record_id)
    return {"items": [line_json(v) for v in current.lines], "total": len(current.lines),
            "totals": amounts_json(current.total), f"{kind.name}_amount": money(record.amount),
            "version": record.version}


def _line_view(line: Any) -> lines.LineView:
    return lines.LineView(line, lines.amounts_of(line))


def add_line_api(kind: RecordKind, bp: Blueprint) -> None:
    @bp.get("/<int:record_id>/lines")
    def list_lines(record_id: int) -> Any:
        return jsonify(lines_json(kind, record_id, lines.list_lines(kind, record_id, current_user)))

    @bp.post("/<int:record_id>/lines")
    def add_line(record_id: int) -> Any:
        line = lines.add_line(kind, record_id, json_body(), current_user)
        payload = line_json(_line_view(line))
        db.session.commit()
        return jsonify(payload), 201

    @bp.patch("/<int:record_id>/lines/<int:line_id>")
    def update_line(record_id: int, line_id: int) -> Any:
        line = lines.update_line(kind, record_id, line_id, json_body(), current_user)
        payload = line_json(_line_view(line))
        db.session.commit()
        return jsonify(payload)

    @bp.delete("/<int:record_id>/lines/<int:line_id>")
    def remove_line(record_id: int, line_id: int) -> Any:
        lines.remove_line(kind, record_id, line_id, current_user)
        db.session.commit()
        return "", 204
