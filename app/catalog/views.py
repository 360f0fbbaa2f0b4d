"""The catalog pages: /catalog (list with search; everyone signed in reads), create, edit, (de)activate
(CRM Managers, the Commercial Director, administrators)."""
from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from app.catalog import services
from app.errors import InvalidInput
from app.extensions import db

bp = Blueprint("catalog", __name__, template_folder="templates")


def _version() -> Any:
    raw = request.form.get("version", "")
    return int(raw) if raw.isdigit() and len(raw) < 10 else None


def _render_form(product: Any, errors: dict[str, str] | None = None, status: int = 200) -> Any:
    return render_template("catalog/form.html", product=product, form=request.form if errors else {},
                           errors=errors or {}, units=services.choices("unit"),
                           vat_rates=services.choices("vat_rate")), status


@bp.get("/catalog")
@login_required
def index() -> Any:
    include_inactive = request.args.get("inactive") == "1"
    page = services.list_products(q=request.args.get("q"), include_inactive=include_inactive,
                                  page=request.args.get("page", 1, type=int),
                                  per_page=request.args.get("per_page", current_app.config["CRM_PAGE_SIZE"],
                                                            type=int))
    return render_template("catalog/index.html", page=page, q=request.args.get("q", ""),
                           include_inactive=include_inactive, can_edit=services.can_edit(current_user))


@bp.route("/catalog/new", methods=["GET", "POST"])
@login_required
def new() -> Any:
    services.require_editor(current_user)
    if request.method == "GET":
        return _render_form(None)
    data = {k: request.form.get(k, "") for k in services.FIELDS}
    try:
        product = services.create_product(data, current_user)
    except InvalidInput as e:
        db.session.rollback()
        return _render_form(None, e.fields or {"": e.message}, 422)
    db.session.commit()
    flash(_("%(name)s added to the catalog.", name=product.name), "success")
    return redirect(url_for("catalog.index"))


@bp.route("/catalog/<int:product_id>", methods=["GET", "POST"])
@login_required
def edit(product_id: int) -> Any:
    services.require_editor(current_user)
    product = services.get_product(product_id)
    if request.method == "GET":
        return _render_form(product)
    data = {k: request.form.get(k, "") for k in services.FIELDS}
    try:
        services.update_product(product_id, data, current_user, _version())
    except InvalidInput as e:
        db.session.rollback()
        return _render_form(services.get_product(product_id), e.fields or {"": e.message}, 422)
    db.session.commit()
    flash(_("Saved."), "success")
    return redirect(url_for("catalog.index"))


@bp.post("/catalog/<int:product_id>/active")
@login_required
def set_active(product_id: int) -> Any:
    """Deactivate (hidden from new deal lines; existing lines keep their copies) or activate again."""
    active = request.form.get("is_active") == "true"
    services.update_product(product_id, {"is_active": active}, current_user, _version())
    db.session.commit()
    flash(_("Activated.") if active else _("Deactivated: new deal lines no longer offer it."), "success")
    return redirect(url_for("catalog.index", inactive="1"))
