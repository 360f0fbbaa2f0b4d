from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required

from app.counterparties import services
from app.counterparties.models import TYPES
from app.counterparties.registry import AUTOFILL_FIELDS
from app.errors import Conflict, InvalidInput, NotFound
from app.extensions import db
from app.processes.services import form_schema
from app.records.journal import records_of_counterparty

bp = Blueprint("counterparties", __name__, template_folder="templates")

FORM_SCHEMA = "crud/counterparty.schema.json"
SECTIONS = (("main", _l("Properties")), ("requisites", _l("Requisites")), ("bank", _l("Bank details")))
TYPE_LABELS = {"buyer": _l("Buyer"), "supplier": _l("Supplier"), "partner": _l("Partner")}
KIND_LABELS = {"legal_entity": _l("Legal entity"), "sole_proprietor": _l("Sole proprietor"),
               "individual": _l("Individual")}
CONTACT_KEYS = ("full_name", "position", "department", "phone", "email", "is_main")


@bp.context_processor
def _labels() -> dict[str, Any]:
    return {"type_labels": TYPE_LABELS, "kind_labels": KIND_LABELS}


def _sections() -> list[tuple[str, Any, list[dict[str, Any]]]]:
    """The card form schema split by `x-section` into sub-schemas that `schema_form` renders.

    The requisites section is split after the INN, where the form puts the "Auto-fill by INN" button.
    """
    schema = form_schema(FORM_SCHEMA)
    required = schema.get("required", [])
    result = []
    for key, title in SECTIONS:
        names = [n for n, p in schema["properties"].items() if p.get("x-section", "main") == key]
        groups = [names[:1], names[1:]] if key == "requisites" and names[:1] == ["inn"] else [names]
        parts = [{"properties": {n: schema["properties"][n] for n in group},
                  "required": [n for n in required if n in group]} for group in groups]
        result.append((key, title, parts))
    return result


def _form_data() -> dict[str, Any]:
    names = form_schema(FORM_SCHEMA)["properties"]
    return {name: request.form.get(name, "") for name in names if name in request.form}


def _render_form(counterparty: Any, values: dict[str, Any], errors: dict[str, str] | None = None, status: int = 200,
                 notice: str | None = None, version: int | None = None) -> Any:
    errors = errors or {}
    return render_template("counterparties/form.html", counterparty=counterparty, values=values, errors=errors,
                           field_errors={k: v for k, v in errors.items() if k}, sections=_sections(), notice=notice,
                           version=version if version is not None
                           else (counterparty.version if counterparty else None)), status


@bp.get("/counterparties")
@login_required
def index() -> Any:
    type_filter = request.args.get("type", "buyer")
    type_filter = type_filter if type_filter in TYPES else "all"
    sort = request.args.get("sort", "name")
    sort = sort if sort in services.SORTS else "name"
    page = services.list_counterparties(q=request.args.get("q"), type_filter=type_filter,
                                        page=request.args.get("page", 1, type=int),
                                        per_page=request.args.get("per_page", current_app.config["CRM_PAGE_SIZE"],
                                                                  type=int),
                                        sort=sort)
    return render_template("counterparties/index.html", page=page, q=request.args.get("q", ""), type_filter=type_filter,
                           sort=sort, can_edit=services.can_edit(current_user))


@bp.route("/counterparties/new", methods=["GET", "POST"])
@login_required
def new() -> Any:
    services.require_editor(current_user)
    if request.method == "GET":
        return _render_form(None, {"type": request.args.get("type", "buyer")})
    try:
        counterparty = services.create_counterparty(_form_data(), current_user)
        db.session.commit()
    except InvalidInput as e:
        db.session.rollback()
        return _render_form(None, request.form.to_dict(), e.fields or {"": e.message}, 422)
    flash(_("Client %(name)s created.", name=counterparty.display_name), "success")
    return redirect(url_for("counterparties.detail", record_id=counterparty.id))


@bp.get("/counterparties/<int:record_id>")
@login_required
def detail(record_id: int, contact_errors: dict[str, str] | None = None, status: int = 200) -> Any:
    counterparty = services.get_counterparty(record_id)
    return render_template("counterparties/detail.html", c=counterparty, sections=_sections(),
                           can_edit=services.can_edit(current_user), contact_errors=contact_errors or {},
                           contact_form=request.form if contact_errors else {},
                           records=records_of_counterparty(current_user, counterparty.id)), status


@bp.route("/counterparties/<int:record_id>/edit", methods=["GET", "POST"])
@login_required
def edit(record_id: int) -> Any:
    services.require_editor(current_user)
    counterparty = services.get_counterparty(record_id)
    if request.method == "GET":
        return _render_form(counterparty, {f: getattr(counterparty, f) for f in _form_fields()})
    version = request.form.get("version", type=int)
    try:
        services.update_counterparty(record_id, _form_data(), current_user, expected_version=version)
        db.session.commit()
    except (InvalidInput, Conflict) as e:
        db.session.rollback()
        return _render_form(services.get_counterparty(record_id), request.form.to_dict(), e.fields or {"": e.message},
                            e.status, version=version)
    flash(_("Client %(name)s saved.", name=counterparty.display_name), "success")
    return redirect(url_for("counterparties.detail", record_id=record_id))


def _form_fields() -> list[str]:
    return list(form_schema(FORM_SCHEMA)["properties"])


@bp.post("/counterparties/autofill")
@login_required
def autofill() -> Any:
    """Re-render the create or edit form with the requisites found for the INN typed in it."""
    services.require_editor(current_user)
    record_id = request.form.get("counterparty_id", type=int)
    counterparty = services.get_counterparty(record_id) if record_id else None
    values = request.form.to_dict()
    try:
        found = services.autofill(values.get("inn", ""))
    except (InvalidInput, NotFound) as e:
        return _render_form(counterparty, values, e.fields or {"inn": e.message}, e.status,
                            version=request.form.get("version", type=int))
    values.update({k: (found.get(k) or "") for k in AUTOFILL_FIELDS})
    notice = (_("Requisites filled in from DaData. Check them and save.") if found["source"] == "dadata"
              else _("Requisites filled in from the local INN registry. Check them and save."))
    return _render_form(counterparty, values, notice=notice, version=request.form.get("version", type=int))


def _contact_data() -> dict[str, Any]:
    data: dict[str, Any] = {k: request.form.get(k, "") for k in CONTACT_KEYS if k != "is_main"}
    data["is_main"] = request.form.get("is_main") in ("on", "true", "1")
    return data


@bp.post("/counterparties/<int:record_id>/contacts")
@login_required
def add_contact(record_id: int) -> Any:
    try:
        contact = services.add_contact(record_id, _contact_data(), current_user)
        db.session.commit()
    except InvalidInput as e:
        db.session.rollback()
        return detail(record_id, contact_errors=e.fields or {"": e.message}, status=422)
    flash(_("Contact %(name)s added.", name=contact.full_name), "success")
    return redirect(url_for("counterparties.detail", record_id=record_id, _anchor="contacts"))


@bp.route("/counterparties/<int:record_id>/contacts/<int:contact_id>/edit", methods=["GET", "POST"])
@login_required
def edit_contact(record_id: int, contact_id: int) -> Any:
    services.require_editor(current_user)
    contact = _contact_of(record_id, contact_id)
    errors: dict[str, str] = {}
    if request.method == "POST":
        try:
            services.update_contact(contact_id, _contact_data(), current_user)
            db.session.commit()
            flash(_("Contact %(name)s saved.", name=contact.full_name), "success")
            return redirect(url_for("counterparties.detail", record_id=record_id, _anchor="contacts"))
        except InvalidInput as e:
            db.session.rollback()
            errors = e.fields or {"": e.message}
    form = request.form if errors else {k: getattr(contact, k) for k in CONTACT_KEYS}
    return render_template("counterparties/contact_form.html", c=contact.counterparty, contact=contact, form=form,
                           errors=errors), (422 if errors else 200)


@bp.post("/counterparties/<int:record_id>/contacts/<int:contact_id>/delete")
@login_required
def remove_contact(record_id: int, contact_id: int) -> Any:
    contact = _contact_of(record_id, contact_id)
    name = contact.full_name
    services.remove_contact(contact_id, current_user)
    db.session.commit()
    flash(_("Contact %(name)s removed.", name=name), "success")
    return redirect(url_for("counterparties.detail", record_id=record_id, _anchor="contacts"))


def _contact_of(record_id: int, contact_id: int) -> Any:
    contact = services.get_contact(contact_id)
    if contact.counterparty_id != record_id:
        raise NotFound(_("Contact person not found."))
    return contact
