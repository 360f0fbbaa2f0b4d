"""Pages of every record kind: journal, kanban, export, new/quick create, card and its actions.

`make_blueprint(kind)` builds one blueprint per kind, named by its plural ("leads"). Each view
parses the request, calls one service of `app.records`, commits once and renders or redirects.
"""
from __future__ import annotations

from pathlib import PurePosixPath
from typing import Any

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required

from app.access.services import eligible_responsibles, is_commercial_director
from app.activities.services import list_changes, list_comments, timeline
from app.activities.views import add_activity_views
from app.assignments.services import list_record_assignments, record_tasks_with_assignments
from app.assignments.views import add_record_assignment_views
from app.auth.services import list_groups, list_users
from app.errors import BadRequest, CrmError, InvalidInput, PermissionDenied
from app.extensions import db
from app.processes import services as processes
from app.records import comments, contacts, journal, services
from app.records.kinds import RecordKind, get_kind


def _stem(form_path: str | None) -> str:
    return PurePosixPath(form_path).name.split(".")[0] if form_path else ""


def _form_version() -> Any:
    """The `version` an edit form posted: an int, None when absent, or the raw text (a field error)."""
    raw = request.form.get("version", "")
    return int(raw) if raw.isdigit() and len(raw) < 10 else raw or None


# The shared record templates (records/…); registered once, without routes.
templates_bp = Blueprint("records", __name__, template_folder="templates")


def make_blueprint(kind: RecordKind) -> Blueprint:
    # Named after the model's package, so the domain's own templates (its widgets) are found too.
    bp = Blueprint(kind.plural, kind.model.__module__, template_folder="templates")
    base = f"/{kind.plural}"

    def _filter() -> journal.RecordFilter:
        return journal.RecordFilter.from_args(kind, request.args, current_user.timezone)

    def _context(form_page: bool = False, **extra: Any) -> dict[str, Any]:
        """What the templates need; the card form and the responsible picker only where a form is shown."""
        context = {"kind": kind, "locale": str(get_locale()), "people": list_users(include_inactive=False),
                   "created_on_title": get_kind(kind.created_on).title if kind.created_on else None, **extra}
        if form_page:
            context.update(eligible=eligible_responsibles(), card_schema=services.card_schema(kind))
        return context

    def _detail_url(record_id: int, anchor: str = "") -> str:
        return url_for(f"{kind.plural}.detail", record_id=record_id) + anchor

    @bp.get(base)
    @login_required
    def index() -> Any:
        flt = _filter()
        return render_template("records/journal.html", page=journal.list_records(kind, current_user, flt), flt=flt,
                               **_context())

    @bp.get(f"{base}/kanban")
    @login_required
    def kanban() -> Any:
        flt = _filter()
        return render_template("records/kanban.html", columns=journal.kanban(kind, current_user, flt), flt=flt,
                               **_context())

    @bp.get(f"{base}/kanban/<status>")
    @login_required
    def kanban_cards(status: str) -> Any:
        offset = request.args.get("offset", "0")
        cards = journal.kanban_cards(kind, current_user, _filter(), status,
                                     int(offset) if offset.isdigit() and len(offset) < 12 else 0)
        return render_template("records/_kanban_cards.html", cards=cards, kind=kind)

    @bp.get(f"{base}/export.<fmt>")
    @login_required
    def export(fmt: str) -> Any:
        # Local import: the spreadsheet writers (openpyxl) are needed only for a download.
        from app.exports import csv_response_body, xlsx_bytes

        flt = _filter()
        headers = journal.export_headers(kind)
        rows = journal.export_rows(kind, current_user, flt)
        if fmt == "csv":
            body = csv_response_body(headers, rows, str(get_locale()), current_user.timezone)
            return Response(body, mimetype="text/csv",
                            headers={"Content-Disposition": f"attachment; filename={kind.plural}.csv"})
        if fmt == "xlsx":
            return Response(xlsx_bytes(str(kind.title_plural), headers, rows, current_user.timezone),
                            mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                            headers={"Content-Disposition": f"attachment; filename={kind.plural}.xlsx"})
        abort(404)

    @bp.route(f"{base}/new", methods=["GET", "POST"])
    @login_required
    def new() -> Any:
        services.require_create(kind, current_user)
        if kind.created_on:
            return _created_elsewhere()
        errors: dict[str, str] = {}
        if request.method == "POST":
            try:
                contact = {k: request.form.get(f"contact_{k}", "") for k in ("full_name", "position", "phone", "email")}
                has_contact = any(v.strip() for v in contact.values())
                data = services.coerce_form(kind, request.form, current_user.timezone)
                record = services.create_record(kind, data, current_user, [contact] if has_contact else [])
                db.session.commit()
                flash(kind.message("created", _l("%(number)s created."), number=record.display_number), "success")
                return redirect(_detail_url(record.id))
            except InvalidInput as e:
                db.session.rollback()
                errors = {k.replace("contacts.0.", "contact_"): v for k, v in e.fields.items()} or {"": e.message}
        form = request.form if request.method == "POST" else {}  # "Responsible" defaults to nobody
        return render_template("records/new.html", form=form, errors=errors, **_context(form_page=True)), \
            (422 if errors else 200)

    @bp.post(f"{base}/quick")
    @login_required
    def quick_create() -> Any:
        services.require_create(kind, current_user)
        if kind.created_on:
            return _created_elsewhere()
        contact = {"full_name": request.form.get("contact_name", ""), "phone": request.form.get("phone", ""),
                   "email": request.form.get("email", "")}
        has_contact = any(v.strip() for v in contact.values())
        data = {"name": request.form.get("name", ""),
                "responsible": current_user.login if kind.quick_create_responsible_self else None}
        if "company_name" in services.card_schema(kind).get("properties", {}):  # not every kind has a free-text client
            data["company_name"] = request.form.get("company_name", "")
        try:
            record = services.create_record(kind, data, current_user, [contact] if has_contact else [])
        except InvalidInput as e:
            db.session.rollback()
            names = {"contacts.0.full_name": _("Contact person"), "contacts.0.phone": _("Phone"),
                     "contacts.0.email": _("Email")}
            details = "; ".join(f"{names[k]}: {v}" if k in names else v for k, v in e.fields.items())
            flash(kind.message("not_created", _l("Not created: %(errors)s"), errors=details or e.message), "error")
            return redirect(url_for(f"{kind.plural}.index"))
        db.session.commit()
        flash(kind.message("created", _l("%(number)s created."), number=record.display_number), "success")
        return redirect(_detail_url(record.id))

    def _created_elsewhere() -> Any:
        flash(_("%(kinds)s are created on the card of the record they belong to (%(parent)s).",
                kinds=kind.title_plural, parent=get_kind(kind.created_on or "").title), "info")
        return redirect(url_for(f"{kind.plural}.index"))

    def _card(record: Any, errors: dict[str, str] | None = None, status: int = 200, status_form: str | None = None,
              form: Any = None) -> Any:
        tasks = record_tasks_with_assignments(kind.name, record.id)  # with those of assignments made from it
        actions = services.status_actions(kind, record, current_user)
        transition = None
        if status_form and status_form in actions and actions[status_form]:
            transition = {"status": status_form, "schema": processes.form_schema(actions[status_form] or ""),
                          "stem": _stem(actions[status_form])}
        return render_template(
            "records/card.html", record=record, errors=errors or {}, form=form or {},
            can_edit=services.can_edit(kind, record, current_user), actions=actions, transition=transition,
            stems={s: _stem(f) for s, f in actions.items()},
            my_tasks=[t for t in tasks if t.assignee_id == current_user.id and t.is_open], all_tasks=tasks,
            history=list_changes(kind.name, record.id), is_director=is_commercial_director(current_user),
            comments=list_comments(kind.name, record.id),
            # The Activities widget (comments, activities, emails) and the Create Assignment widget.
            timeline=timeline(kind.name, record.id), record_assignments=list_record_assignments(kind.name, record.id),
            groups=list_groups(),
            **_context(form_page=True)), status

    @bp.get(f"{base}/<int:record_id>")
    @login_required
    def detail(record_id: int) -> Any:
        record = services.get_record(kind, record_id, current_user)
        return _card(record, status_form=request.args.get("to"))

    @bp.post(f"{base}/<int:record_id>")
    @login_required
    def update(record_id: int) -> Any:
        try:
            data = services.coerce_form(kind, request.form, current_user.timezone)
            services.update_record(kind, record_id, data, current_user, _form_version())
        except InvalidInput as e:
            db.session.rollback()
            return _card(services.get_record(kind, record_id, current_user), errors=e.fields or {"": e.message},
                         status=422, form=request.form)
        db.session.commit()
        flash(_("Saved."), "success")
        return redirect(_detail_url(record_id))

    @bp.post(f"{base}/<int:record_id>/status")
    @login_required
    def change_status(record_id: int) -> Any:
        if request.is_json:  # the kanban of older pages: the same handler as the API
            from app.records.api import status_response  # the API module imports this one's services only

            return status_response(kind, record_id)
        next_status = request.form.get("status", "")
        try:
            record = services.change_status(kind, record_id, next_status, request.form, current_user, from_form=True)
        except PermissionDenied:
            raise  # the 403 page: nothing to show on a card the user may not change
        except CrmError as e:
            db.session.rollback()
            record = services.get_record(kind, record_id, current_user)
            if isinstance(e, InvalidInput) and e.fields and e.code != "guard_failed" and request.form.get("_form"):
                return _card(record, errors=e.fields, status=422, status_form=next_status, form=request.form)
            flash(e.summary, "error")
            return redirect(_detail_url(record_id))
        db.session.commit()
        follow = kind.after_status_url(record) if kind.after_status_url else None
        if follow:
            flash(follow[1], "success")
            return redirect(follow[0])
        flash(_("Status changed to %(status)s.", status=kind.status_label(record.status)), "success")
        return redirect(_detail_url(record_id))

    @bp.post(f"{base}/status")
    @login_required
    def change_status_many() -> Any:
        ids = [int(i) for i in request.form.getlist("ids") if i.isdigit() and len(i) <= 9]
        if not ids:
            flash(_("Select at least one record."), "error")
            return redirect(url_for(f"{kind.plural}.index"))
        results = services.change_status_many(kind, ids, request.form.get("status", ""), current_user)
        db.session.commit()
        failed = {i: msg for i, msg in results.items() if msg}
        moved = len(results) - len(failed)
        flash(kind.moved_message(moved), "success" if moved else "info")
        for record_id, msg in failed.items():
            flash(_("#%(id)s: %(error)s", id=record_id, error=msg), "error")
        return redirect(url_for(f"{kind.plural}.index"))

    @bp.post(f"{base}/<int:record_id>/responsible")
    @login_required
    def assign_responsible(record_id: int) -> Any:
        try:
            services.assign_responsible(kind, record_id, request.form.get("responsible") or None, current_user)
        except InvalidInput as e:
            db.session.rollback()
            flash(e.summary, "error")
            return redirect(_detail_url(record_id))
        db.session.commit()
        flash(_("Responsible person assigned."), "success")
        return redirect(_detail_url(record_id))

    @bp.post(f"{base}/<int:record_id>/observers")
    @login_required
    def set_observers(record_id: int) -> Any:
        services.set_observers(kind, record_id, request.form.getlist("observers"), current_user)
        db.session.commit()
        flash(_("Observers saved."), "success")
        return redirect(_detail_url(record_id))

    @bp.post(f"{base}/<int:record_id>/contacts")
    @login_required
    def add_contact(record_id: int) -> Any:
        data = {k: request.form.get(k, "") for k in ("full_name", "position", "department", "phone", "email")}
        try:
            contacts.add_contact(kind, record_id, data, current_user)
        except InvalidInput as e:
            db.session.rollback()
            return _card(services.get_record(kind, record_id, current_user), status=422, form=request.form,
                         errors={f"contact_{k}": v for k, v in e.fields.items()})
        db.session.commit()
        return redirect(_detail_url(record_id, "#contacts"))

    @bp.post(f"{base}/<int:record_id>/contacts/<int:contact_id>")
    @login_required
    def update_contact(record_id: int, contact_id: int) -> Any:
        if request.form.get("action") == "delete":
            contacts.remove_contact(kind, record_id, contact_id, current_user)
        elif request.form.get("is_main"):
            contacts.update_contact(kind, record_id, contact_id, {"is_main": True}, current_user, _form_version())
        else:
            raise BadRequest(_("Choose what to do with the contact."))
        db.session.commit()
        return redirect(_detail_url(record_id, "#contacts"))

    @bp.post(f"{base}/<int:record_id>/comments")
    @login_required
    def add_comment(record_id: int) -> Any:
        try:
            comments.add_comment(kind, record_id, request.form.get("text", ""), current_user)
        except InvalidInput as e:
            db.session.rollback()
            return _card(services.get_record(kind, record_id, current_user), status=422, form=request.form,
                         errors={f"comment_{k}": v for k, v in e.fields.items()})
        db.session.commit()
        return redirect(_detail_url(record_id, "#comments"))

    # Planned activities and "Create Assignment" on every kind's card (app/activities, app/assignments).
    add_activity_views(kind, bp, _card)
    add_record_assignment_views(kind, bp, _card)
    return bp
