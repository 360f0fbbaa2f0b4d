from __future__ import annotations

from typing import Any

from flask import Blueprint, jsonify, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app.access.services import is_analyst
from app.assignments import services as assignments
from app.auth import services as auth
from app.auth.models import ApiToken
from app.errors import BadRequest, InvalidInput, NotAuthenticated, PermissionDenied
from app.api import authenticate_request, iso, json_body
from app.extensions import db
from app.processes import services as processes
from app.processes.records import record_type
from app.tasks import services as tasks
from app.tasks.models import HumanTask

bp = Blueprint("api", __name__, url_prefix="/api/v1")

PUBLIC_ENDPOINTS = {"api.issue_token"}


@bp.before_request
def _authenticate() -> None:
    if request.endpoint not in PUBLIC_ENDPOINTS:
        authenticate_request()


def task_json(t: HumanTask, with_form: bool = True) -> dict[str, Any]:
    return {
        "id": t.id, "uuid": t.task_uuid, "title": t.title, "name": t.task_name, "status": t.status,
        "assignee": t.assignee.login if t.assignee else None,
        "candidate_groups": [t.candidate_group_id] if t.candidate_group_id else [],
        "due_at": iso(t.due_at), "created_at": iso(t.created_at), "completed_at": iso(t.completed_at),
        "completed_by": t.completed_by.login if t.completed_by else None, "outcome": t.outcome,
        "process": t.process_id, "record_type": t.record_type, "record_id": t.record_id,
        "record_number": t.record_number, "record_title": t.record_title, "lane": t.lane,
        "form": processes.form_schema(t.form_path) if with_form and t.form_path else None,
    }


def token_json(t: ApiToken) -> dict[str, Any]:
    return {"id": t.id, "name": t.name, "user": t.user.login, "created_at": iso(t.created_at),
            "expires_at": iso(t.expires_at), "last_used_at": iso(t.last_used_at)}


@bp.post("/auth/token")
def issue_token() -> Any:
    """Throttled per login and per address (app.auth.throttle)."""
    body = json_body()
    login, password, name = body.get("login"), body.get("password"), body.get("name", "")
    if not isinstance(login, str) or not isinstance(password, str) or not isinstance(name, str):
        raise BadRequest(_("Give login and password."), code="malformed_json")
    user = auth.authenticate(login, password)
    if user is None:
        raise NotAuthenticated(_("Wrong login or password."), code="invalid_credentials")
    token, plain = auth.issue_token(user, name)
    payload = {"token": plain, **token_json(token)}
    db.session.commit()
    return jsonify(payload), 201


@bp.get("/auth/tokens")
def list_tokens() -> Any:
    """The caller's valid tokens; an administrator may pass `?user=<login>`."""
    tokens = auth.list_tokens(current_user, request.args.get("user") or None)
    return jsonify({"items": [token_json(t) for t in tokens]})


@bp.delete("/auth/tokens/<int:token_id>")
def revoke_token(token_id: int) -> Any:
    auth.revoke_token(token_id, current_user)
    db.session.commit()
    return "", 204


@bp.get("/me")
def me() -> Any:
    u = current_user
    return jsonify({"id": u.id, "login": u.login, "full_name": u.full_name, "email": u.email, "groups": u.group_ids,
                    "line_manager": u.line_manager.login if u.line_manager else None, "locale": u.locale})


@bp.get("/tasks")
def list_tasks() -> Any:
    query = tasks.TaskQuery(scope=request.args.get("scope", "current"), process=request.args.get("process") or None,
                            sort=request.args.get("sort", "due"), page=request.args.get("page", 1, type=int),
                            per_page=request.args.get("per_page", 20, type=int),
                            overdue_only=request.args.get("overdue") in ("1", "true"))
    page = tasks.list_tasks(current_user, query)
    return jsonify({"items": [task_json(t) for t in page.items], "total": page.total,
                    "page": page.page, "per_page": page.per_page})


@bp.get("/tasks/<int:task_id>")
def get_task(task_id: int) -> Any:
    task = tasks.get_task(task_id, current_user)
    body = task_json(task)
    body["version"] = tasks.instance_version(task) if task.is_open else None
    body["context"] = [{"label": label, "value": value} for label, value in tasks.task_context(task)]
    body["record_url"] = url_for(record_type(task.record_type).url_endpoint, record_id=task.record_id)
    return jsonify(body)


@bp.post("/tasks/<int:task_id>/claim")
def claim_task(task_id: int) -> Any:
    task = tasks.claim_task(task_id, current_user)
    db.session.commit()
    return jsonify(task_json(task))


@bp.post("/tasks/<int:task_id>/complete")
def complete_task(task_id: int) -> Any:
    body = json_body()
    data = body.get("data", {})
    if not isinstance(data, dict):
        raise BadRequest(_("`data` must be an object."), code="malformed_json")
    version = body.get("version")
    if version is not None and not isinstance(version, int):
        raise BadRequest(_("`version` must be an integer."), code="malformed_json")
    task = tasks.complete_task(task_id, current_user, data, expected_version=version)
    payload = task_json(task, with_form=False)  # before the commit expires the objects
    db.session.commit()
    return jsonify(payload)


@bp.post("/tasks/<int:task_id>/reassign")
def reassign_task(task_id: int) -> Any:
    assignee = json_body().get("assignee")
    if not isinstance(assignee, str):
        raise InvalidInput(fields={"assignee": _("Choose the new assignee.")})
    task = tasks.reassign_task(task_id, assignee, current_user)
    db.session.commit()
    return jsonify(task_json(task, with_form=False))


def assignment_json(a: Any) -> dict[str, Any]:
    return {"id": a.id, "number": a.display_number, "title": a.title, "description": a.description,
            "author": a.author.login, "executor": a.executor.login if a.executor else None,
            "executor_group": a.executor_group_id, "reviewer": a.reviewer.login if a.reviewer else None,
            "due_date": a.due_date.isoformat(), "status": a.status, "result_comment": a.result_comment,
            "review_comment": a.review_comment, "created_at": iso(a.created_at)}


@bp.post("/assignments")
def create_assignment() -> Any:
    body = json_body()
    assignment = assignments.create_assignment(current_user, assignments.AssignmentData.from_mapping(body))
    db.session.commit()
    return jsonify(assignment_json(assignment)), 201


@bp.get("/assignments")
def list_assignments() -> Any:
    page = assignments.list_assignments(current_user, page=request.args.get("page", 1, type=int),
                                        per_page=request.args.get("per_page", 20, type=int))
    return jsonify({"items": [assignment_json(a) for a in page.items], "total": page.total})


@bp.get("/assignments/<int:assignment_id>")
def get_assignment(assignment_id: int) -> Any:
    return jsonify(assignment_json(assignments.get_assignment(assignment_id, current_user)))


@bp.get("/processes")
def list_processes() -> Any:
    if not is_analyst(current_user):  # the same rule as the Processes page
        raise PermissionDenied(_("Only process analysts and administrators can manage processes."))
    versions = processes.list_versions()
    counts = processes.count_instances_by_version()
    return jsonify({"items": [{"id": v.id, "process_id": v.process_id, "version": v.version, "name": v.name,
                               "file_name": v.file_name, "deployed_at": iso(v.deployed_at),
                               "instances": counts.get(v.id, 0)} for v in versions], "total": len(versions)})
