from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user, login_required

from app.activities.services import list_changes
from app.auth.services import list_users
from app.counterparties import services as counterparties
from app.directories import services as directories
from app.errors import CrmError, InvalidInput
from app.extensions import db
from app.forms import form_to_data
from app.leads import journal, services
from app.labels import label
from app.leads.models import STATUSES
from app.processes import services as processes
from app.tasks.services import record_tasks

bp = Blueprint("leads", __name__, template_folder="templates")

DIRECTORIES = ("request_type", "request_category", "request_source", "disqualification_reason")


def _filter() -> journal.LeadFilter:
    return journal.LeadFilter.from_args(request.args, current_user.timezone)


def _choices() -> dict[str, Any]:
    return {"directories": {d: directories.list_entries(d) for d in DIRECTORIES},
            "users": list_users(include_inactive=False), "statuses": STATUSES, "locale": str(get_locale())}


@bp.get("/leads")
@login_required
def index() -> Any:
    flt = _filter()
    return render_template("leads/journal.html", page=journal.list_leads(current_user, flt), flt=flt, **_choices())


@bp.get("/leads/kanban")
@login_required
def kanban() -> Any:
    flt = _filter()
    return render_template("leads/kanban.html", columns=journal.kanban(current_user, flt), flt=flt, **_choices())


@bp.get("/leads/kanban/<status>")
@login_required
def kanban_cards(status: str) -> Any:
    cards = journal.kanban_cards(current_user, _filter(), status, request.args.get("offset", 0, type=int))
    return render_template("leads/_kanban_cards.html", cards=cards, status=status)


@bp.get("/leads/export.<fmt>")
@login_required
def export(fmt: str) -> Any:
    flt = _filter()
    if fmt == "csv":
        return Response(journal.export_csv(current_user, flt, str(get_locale())), mimetype="text/csv",
                        headers={"Content-Disposition": "attachment; filename=leads.csv"})
    if fmt == "xlsx":
        return Response(journal.export_xlsx(current_user, flt, str(get_locale())),
                        mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                        headers={"Content-Disposition": "attachment; filename=leads.xlsx"})
    raise InvalidInput(fields={"format": _("Use csv or xlsx.")})


@bp.route("/leads/new", methods=["GET", "POST"])
@login_required
def new() -> Any:
    errors: dict[str, str] = {}
    if request.method == "POST":
        try:
            contact = {k: request.form.get(f"contact_{k}") for k in ("full_name", "position", "phone", "email")}
            contacts = [contact] if any((v or "").strip() for v in contact.values()) else []
            lead = services.create_lead(request.form, current_user, contacts)
            db.session.commit()
            flash(_("Lead %(number)s created.", number=lead.display_number), "success")
            return redirect(url_for("leads.detail", record_id=lead.id))
        except InvalidInput as e:
            db.session.rollback()
            errors = {k.replace("contacts.0.", "contact_"): v for k, v in e.fields.items()}
    return render_template("leads/new.html", form=request.form, errors=errors, **_choices()), (422 if errors else 200)


@bp.post("/leads/quick")
@login_required
def quick_create() -> Any:
    try:
        lead = services.quick_create_lead(request.form, current_user)
    except InvalidInput as e:
        db.session.rollback()
        flash(_("The lead was not created: %(errors)s", errors="; ".join(e.fields.values()) or e.message), "error")
        return redirect(request.referrer or url_for("leads.index"))
    db.session.commit()
    flash(_("Lead %(number)s created.", number=lead.display_number), "success")
    return redirect(url_for("leads.detail", record_id=lead.id))


def _card(lead: Any, errors: dict[str, str] | None = None, status: int = 200, status_form: str | None = None,
          form: Any = None) -> Any:
    tasks = record_tasks("lead", lead.id)
    return render_template(
        "leads/card.html", lead=lead, errors=errors or {}, form=form or {},
        can_edit=services.can_edit(lead, current_user),
        actions=services.status_actions(lead, current_user), status_form=status_form,
        my_tasks=[t for t in tasks if t.assignee_id == current_user.id and t.is_open], all_tasks=tasks,
        history=list_changes("lead", lead.id), now=processes.now(),
        is_director=services.is_commercial_director(current_user), **_choices()), status


@bp.get("/leads/<int:record_id>")
@login_required
def detail(record_id: int) -> Any:
    lead = services.get_lead(record_id, current_user)
    status_form = request.args.get("to")
    return _card(lead, status_form=status_form if status_form in STATUSES else None)


@bp.post("/leads/<int:record_id>")
@login_required
def update(record_id: int) -> Any:
    try:
        services.update_lead(record_id, request.form, current_user, request.form.get("version", type=int))
    except InvalidInput as e:
        db.session.rollback()
        return _card(services.get_lead(record_id, current_user), errors=e.fields, status=422, form=request.form)
    db.session.commit()
    flash(_("Saved."), "success")
    return redirect(url_for("leads.detail", record_id=record_id))


def _status_payload(lead: Any, next_status: str, source: Any) -> dict[str, Any]:
    form_path = services.transition_form(lead, next_status)
    if not form_path:
        return {}
    data, errors = form_to_data(processes.form_schema(form_path), source, current_user.timezone)
    if errors:
        raise InvalidInput(fields=errors)
    return data


@bp.post("/leads/<int:record_id>/status")
@login_required
def change_status(record_id: int) -> Any:
    payload = request.get_json(silent=True) if request.is_json else None
    source = payload if isinstance(payload, dict) else request.form
    next_status = str(source.get("status", ""))
    lead = services.get_lead(record_id, current_user)
    try:
        data = dict(source) if request.is_json else _status_payload(lead, next_status, request.form)
        lead = services.change_status(record_id, next_status, data, current_user)
    except CrmError as e:
        db.session.rollback()
        if request.is_json:
            raise
        if isinstance(e, InvalidInput) and e.fields and services.transition_form(lead, next_status):
            return _card(services.get_lead(record_id, current_user), errors=e.fields, status=422,
                         status_form=next_status, form=request.form)
        flash(e.message if not e.fields or e.code == "guard_failed" else "; ".join(e.fields.values()), "error")
        return redirect(url_for("leads.detail", record_id=record_id))
    db.session.commit()
    if request.is_json:
        return jsonify({"id": lead.id, "status": lead.status, "deal_id": lead.deal_id})
    if lead.deal_id and lead.status == "deal":
        flash(_("The lead was converted to a deal."), "success")
        return redirect(url_for("deals.detail", record_id=lead.deal_id))
    flash(_("Status changed to %(status)s.", status=label("lead_status", lead.status)), "success")
    return redirect(url_for("leads.detail", record_id=record_id))


@bp.post("/leads/status")
@login_required
def change_status_many() -> Any:
    ids = [int(i) for i in request.form.getlist("ids") if i.isdigit() and len(i) <= 9]
    if not ids:
        flash(_("Select at least one lead."), "error")
        return redirect(request.referrer or url_for("leads.index"))
    results = services.change_status_many(ids, request.form.get("status", ""), {}, current_user)
    db.session.commit()
    failed = {i: msg for i, msg in results.items() if msg}
    moved = len(results) - len(failed)
    flash(_("%(n)s leads moved.", n=moved), "success" if moved else "info")
    for lead_id, msg in failed.items():
        flash(_("Lead #%(id)s: %(error)s", id=lead_id, error=msg), "error")
    return redirect(request.referrer or url_for("leads.index"))


@bp.post("/leads/<int:record_id>/responsible")
@login_required
def assign_responsible(record_id: int) -> Any:
    services.assign_responsible(record_id, request.form.get("responsible") or None, current_user)
    db.session.commit()
    flash(_("Responsible person assigned."), "success")
    return redirect(url_for("leads.detail", record_id=record_id))


@bp.post("/leads/<int:record_id>/observers")
@login_required
def set_observers(record_id: int) -> Any:
    services.set_observers(record_id, request.form.getlist("observers"), current_user)
    db.session.commit()
    flash(_("Observers saved."), "success")
    return redirect(url_for("leads.detail", record_id=record_id))


@bp.post("/leads/<int:record_id>/contacts")
@login_required
def add_contact(record_id: int) -> Any:
    try:
        services.add_contact(record_id, request.form, current_user)
    except InvalidInput as e:
        db.session.rollback()
        errors = {f"contact_{k}": v for k, v in e.fields.items()}
        return _card(services.get_lead(record_id, current_user), errors=errors,
                     status=422, form=request.form)
    db.session.commit()
    return redirect(url_for("leads.detail", record_id=record_id) + "#contacts")


@bp.post("/leads/<int:record_id>/contacts/<int:contact_id>")
@login_required
def update_contact(record_id: int, contact_id: int) -> Any:
    if request.form.get("action") == "delete":
        services.remove_contact(record_id, contact_id, current_user)
    else:
        try:
            services.update_contact(record_id, contact_id, request.form, current_user)
        except InvalidInput as e:
            db.session.rollback()
            flash("; ".join(e.fields.values()), "error")
            return redirect(url_for("leads.detail", record_id=record_id) + "#contacts")
    db.session.commit()
    return redirect(url_for("leads.detail", record_id=record_id) + "#contacts")


@bp.route("/leads/<int:record_id>/counterparty", methods=["GET", "POST"])
@login_required
def create_counterparty(record_id: int) -> Any:
    """Create Counterparty from a lead: prefilled from the lead; the new counterparty is set on it."""
    lead = services.get_lead(record_id, current_user)
    errors: dict[str, str] = {}
    values: dict[str, Any] = services.counterparty_prefill(lead)
    if request.method == "POST":
        values = request.form.to_dict()
        if request.form.get("action") == "autofill":
            try:
                values.update({k: v for k, v in counterparties.autofill(values.get("inn", "")).items() if v})
                flash(_("Requisites filled in from the registry."), "success")
            except CrmError as e:
                errors = e.fields or {"inn": e.message}
        else:
            try:
                services.create_counterparty_for_lead(record_id, values, current_user)
                db.session.commit()
                flash(_("Counterparty created and set on the lead."), "success")
                return redirect(url_for("leads.detail", record_id=record_id))
            except InvalidInput as e:
                db.session.rollback()
                errors = e.fields or {"": e.message}
    return render_template("leads/counterparty_form.html", lead=lead, values=values, errors=errors), \
        (422 if errors else 200)
