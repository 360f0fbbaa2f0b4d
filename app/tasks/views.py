from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from app.auth.services import list_users
from app.errors import InvalidInput
from app.extensions import db
from app.forms import form_to_data
from app.processes import services as processes
from app.processes.records import record_type
from app.tasks import services

bp = Blueprint("tasks", __name__, template_folder="templates")

TITLES = {"current": "Current tasks", "completed": "Completed tasks", "subordinates": "Subordinates' tasks"}


def _inbox(scope: str) -> Any:
    query = services.TaskQuery(scope=scope, process=request.args.get("process") or None,
                               sort=request.args.get("sort", "due"), page=request.args.get("page", 1, type=int),
                               per_page=request.args.get("per_page", services.page_size(), type=int),
                               overdue_only=request.args.get("overdue") == "1")
    page = services.list_tasks(current_user, query)
    return render_template("tasks/inbox.html", scope=scope, title=_(TITLES[scope]), page=page, query=query,
                           processes=services.list_task_processes(), now=processes.now())


@bp.get("/tasks")
@login_required
def current() -> Any:
    return _inbox("current")


@bp.get("/tasks/completed")
@login_required
def completed() -> Any:
    return _inbox("completed")


@bp.get("/tasks/subordinates")
@login_required
def subordinates() -> Any:
    return _inbox("subordinates")


def _render_task(task: Any, values: dict[str, Any] | None = None, errors: dict[str, str] | None = None,
                 status: int = 200) -> Any:
    schema, prefill = processes.task_form(task)
    return render_template("tasks/task.html", task=task, schema=schema,
                           values=values if values is not None else prefill,
                           errors=errors or {}, can_complete=services.can_complete(task, current_user),
                           can_claim=services.can_claim(task, current_user),
                           context=services.task_context(task),
                           reassign_to=(services.reassign_candidates(task)
                                        if services.can_reassign(task, current_user) else []),
                           version=services.instance_version(task) if task.is_open else None,
                           now=processes.now()), status


@bp.get("/tasks/<int:task_id>")
@login_required
def detail(task_id: int) -> Any:
    return _render_task(services.get_task(task_id, current_user))


@bp.post("/tasks/<int:task_id>/claim")
@login_required
def claim(task_id: int) -> Any:
    task = services.claim_task(task_id, current_user)
    db.session.commit()
    if not task.is_open:  # claiming was the whole task ("Take to work"): go to the record
        flash(_("You took %(record)s to work.", record=f"{task.record_number} {task.record_title}"), "success")
        return redirect(url_for(record_type(task.record_type).url_endpoint, record_id=task.record_id))
    flash(_("The task is yours now."), "success")
    return redirect(url_for("tasks.detail", task_id=task_id))


@bp.post("/tasks/<int:task_id>/complete")
@login_required
def complete(task_id: int) -> Any:
    task = services.get_task(task_id, current_user)
    schema, _prefill = processes.task_form(task)
    data, type_errors = form_to_data(schema or {}, request.form, current_user.timezone)
    try:
        if type_errors:
            raise InvalidInput(fields=type_errors)
        services.complete_task(task_id, current_user, data, expected_version=request.form.get("version", type=int))
    except InvalidInput as e:
        db.session.rollback()
        return _render_task(services.get_task(task_id, current_user), values=dict(request.form), errors=e.fields,
                            status=422)
    db.session.commit()
    flash(_("Task “%(title)s” completed.", title=_(task.title)), "success")
    return redirect(url_for("tasks.current"))


@bp.get("/board")
@login_required
def board() -> Any:
    grouped = services.board_tasks(current_user, process=request.args.get("process", "assignment") or None)
    users = {u.id: u for u in list_users(include_inactive=False)}
    columns = sorted(grouped.keys(), key=lambda uid: (uid is None, users[uid].display_name if uid in users else ""))
    return render_template("tasks/board.html", grouped=grouped, users=users, columns=columns, now=processes.now())


@bp.post("/tasks/<int:task_id>/reassign")
@login_required
def reassign(task_id: int) -> Any:
    payload = request.get_json(silent=True) or request.form
    assignee = payload.get("assignee") if hasattr(payload, "get") else None
    if not isinstance(assignee, str):
        raise InvalidInput(fields={"assignee": _("Choose the new assignee.")})
    task = services.reassign_task(task_id, assignee, current_user)
    db.session.commit()
    if request.is_json:
        return jsonify({"id": task.id, "assignee": task.assignee.login if task.assignee else None})
    flash(_("Task reassigned."), "success")
    # From the task page: stay on it while it is still visible (a line manager who gives the task
    # outside their team no longer sees it).
    if services.can_view(task, current_user):
        return redirect(url_for("tasks.detail", task_id=task.id))
    return redirect(url_for("tasks.board"))
