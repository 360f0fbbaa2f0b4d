from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from app.assignments import services
from app.auth.services import list_groups, list_users
from app.errors import InvalidInput
from app.extensions import db
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
