from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Blueprint, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from app.api import iso, json_body
from app.assignments import services
from app.auth.services import list_groups, list_users
from app.errors import InvalidInput
from app.extensions import db
from app.records.kinds import RecordKind
from app.records.services import get_record
from app.tasks.services import record_tasks

bp = Blueprint("assignments", __name__, template_folder="templates")


@bp.get("/assignments")
@login_required
def index() -> Any:
    page = services.list_assignments(current_user, page=request.args.get("page", 1, type=int))
    return render_template("assignments/index.html", page=page)


@bp.route("/assignments/new", methods=["GET", "POST"])
@login_required
def new() -> Any:
    errors: dict[str, str] = {}
    if request.method == "POST":
        try:
            assignment = services.create_assignment(current_user, services.AssignmentData.from_mapping(request.form))
            db.session.commit()
            flash(_("Assignment %(number)s created.", number=assignment.display_number), "success")
            return redirect(url_for("assignments.detail", record_id=assignment.id))
        except InvalidInput as e:
            db.session.rollback()
            errors = e.fields
    return render_template("assignments/new.html", form=request.form, errors=errors,
                           users=list_users(include_inactive=False), groups=list_groups()), (422 if errors else 200)


@bp.get("/assignments/<int:record_id>")
@login_required
def detail(record_id: int) -> Any:
    assignment = services.get_assignment(record_id, current_user)
    return render_template("assignments/detail.html", a=assignment,
                           tasks=record_tasks(services.RECORD_TYPE, assignment.id))


# ---------------------------------------------------------------- "Create Assignment" on every record card

#: The fields of the card's "Create Assignment" form and of its API body.
RECORD_ASSIGNMENT_FIELDS = ("title", "description", "executor", "executor_group", "due_date", "reviewer")


def record_assignment_json(a: Any) -> dict[str, Any]:
    return {"id": a.id, "number": a.display_number, "title": a.title, "description": a.description,
            "author": a.author.login, "executor": a.executor.login if a.executor else None,
            "executor_group": a.executor_group_id, "reviewer": a.reviewer.login if a.reviewer else None,
            "due_date": a.due_date.isoformat(), "status": a.status, "record_type": a.record_type,
            "record_id": a.record_id, "created_at": iso(a.created_at)}


def add_record_assignment_views(kind: RecordKind, bp: Blueprint, render_card: Callable[..., Any]) -> None:
    """POST /<plural>/<id>/assignments: the card's "Create Assignment" form (re-shown with field errors)."""

    @bp.post(f"/{kind.plural}/<int:record_id>/assignments", endpoint="add_assignment")
    @login_required
    def add_assignment(record_id: int) -> Any:
        data = {name: request.form.get(name, "") for name in RECORD_ASSIGNMENT_FIELDS}
        try:
            assignment = services.create_record_assignment(kind, record_id, services.AssignmentData.from_mapping(data),
                                                           current_user)
        except InvalidInput as e:
            db.session.rollback()
            record = get_record(kind, record_id, current_user)
            # The form comes back prefixed: its `description` must not refill the card's own form.
            form = {f"assignment_{k}": v for k, v in data.items()}
            return render_card(record, errors={f"assignment_{k}": v for k, v in e.fields.items()}, status=422,
                               form=form)
        db.session.commit()
        flash(_("Assignment %(number)s created.", number=assignment.display_number), "success")
        return redirect(url_for(f"{kind.plural}.detail", record_id=record_id, _anchor="assignments"))


def add_record_assignment_api(kind: RecordKind, bp: Blueprint) -> None:
    """GET/POST /api/v1/<plural>/<id>/assignments: the assignments made from a record."""

    @bp.get("/<int:record_id>/assignments", endpoint="list_assignments")
    def list_record_assignments(record_id: int) -> Any:
        record = get_record(kind, record_id, current_user)
        items = services.list_record_assignments(kind.name, record.id)
        return jsonify({"items": [record_assignment_json(a) for a in items], "total": len(items)})

    @bp.post("/<int:record_id>/assignments", endpoint="add_assignment")
    def add_record_assignment(record_id: int) -> Any:
        body = json_body()
        errors = {str(k)[:100]: _("This field cannot be changed here.") for k in body
                  if k not in RECORD_ASSIGNMENT_FIELDS}
        errors.update({k: _("Enter text.") for k, v in body.items()
                       if k in RECORD_ASSIGNMENT_FIELDS and v is not None and not isinstance(v, str)})
        if errors:
            raise InvalidInput(fields=errors)
        assignment = services.create_record_assignment(kind, record_id, services.AssignmentData.from_mapping(body),
                                                       current_user)
        payload = record_assignment_json(assignment)
        db.session.commit()
        return jsonify(payload), 201
