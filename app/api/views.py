from __future__ import annotations

from typing import Any

from flask import Blueprint, jsonify, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app.assignments import services as assignments
from app.auth import services as auth
from app.errors import BadRequest, InvalidInput, NotAuthenticated
from app.api import authenticate_request, iso, json_body
from app.extensions import db
from app.leads import journal as lead_journal
from app.leads import services as leads
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


@bp.post("/auth/token")
def issue_token() -> Any:
    body = json_body()
    login, password = body.get("login"), body.get("password")
    if not isinstance(login, str) or not isinstance(password, str):
        raise BadRequest(_("Give login and password."), code="malformed_json")
    user = auth.authenticate(login, password)
    if user is None:
        raise NotAuthenticated(_("Wrong login or password."), code="invalid_credentials")
    token = auth.issue_token(user)
    db.session.commit()
    return jsonify({"token": token}), 201


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
    versions = processes.list_versions()
    counts = processes.count_instances_by_version()
    return jsonify({"items": [{"id": v.id, "process_id": v.process_id, "version": v.version, "name": v.name,
                               "file_name": v.file_name, "deployed_at": iso(v.deployed_at),
                               "instances": counts.get(v.id, 0)} for v in versions], "total": len(versions)})


# --------------------------------------------------------------------------- leads


def _money(value: Any) -> str | None:
    return None if value is None else f"{value:.2f}"


def lead_json(lead: Any) -> dict[str, Any]:
    return {
        "id": lead.id, "number": lead.display_number, "name": lead.name, "status": lead.status,
        "responsible": lead.responsible.login if lead.responsible else None,
        "observers": [u.login for u in lead.observers],
        "counterparty_id": lead.counterparty_id, "company_name": lead.company_name, "amount": _money(lead.amount),
        "users_count": lead.users_count, "request_type": lead.request_type,
        "request_category": lead.request_category, "request_source": lead.request_source,
        "description": lead.description, "site_email": lead.site_email, "site_page": lead.site_page,
        "utm_source": lead.utm_source, "utm_medium": lead.utm_medium, "utm_campaign": lead.utm_campaign,
        "utm_content": lead.utm_content, "utm_term": lead.utm_term, "ga_client_id": lead.ga_client_id,
        "ym_client_id": lead.ym_client_id, "received_at": iso(lead.received_at),
        "disqualification_reason": lead.disqualification_reason,
        "disqualification_comment": lead.disqualification_comment, "deal_id": lead.deal_id,
        "processing_started_at": iso(lead.processing_started_at), "created_at": iso(lead.created_at),
        "version": lead.version,
        "contacts": [{"id": c.id, "full_name": c.full_name, "position": c.position, "department": c.department,
                      "phone": c.phone, "email": c.email, "is_main": c.is_main} for c in lead.contacts],
    }


@bp.get("/leads")
def list_leads() -> Any:
    page = lead_journal.list_leads(current_user, lead_journal.LeadFilter.from_args(request.args, current_user.timezone))
    return jsonify({"items": [lead_json(lead) for lead in page.items], "total": page.total,
                    "page": page.page, "per_page": page.per_page})


@bp.post("/leads")
def create_lead() -> Any:
    body = json_body()
    contacts = body.pop("contacts", None) or []
    if not isinstance(contacts, list) or not all(isinstance(c, dict) for c in contacts):
        raise BadRequest(_("`contacts` must be a list of objects."), code="malformed_json")
    lead = leads.create_lead(body, current_user, contacts)
    db.session.commit()
    return jsonify(lead_json(lead)), 201


@bp.get("/leads/<int:lead_id>")
def get_lead(lead_id: int) -> Any:
    return jsonify(lead_json(leads.get_lead(lead_id, current_user)))


@bp.patch("/leads/<int:lead_id>")
def update_lead(lead_id: int) -> Any:
    body = json_body()
    version = body.get("version")
    if version is not None and not isinstance(version, int):
        raise BadRequest(_("`version` must be an integer."), code="malformed_json")
    lead = leads.update_lead(lead_id, body, current_user, version)
    db.session.commit()
    return jsonify(lead_json(lead))


@bp.get("/leads/<int:lead_id>/actions")
def lead_actions(lead_id: int) -> Any:
    lead = leads.get_lead(lead_id, current_user)
    actions = leads.status_actions(lead, current_user)
    return jsonify({"status": lead.status, "items": [
        {"status": s, "form": processes.form_schema(form) if form else None} for s, form in actions.items()]})


@bp.post("/leads/<int:lead_id>/status")
def change_lead_status(lead_id: int) -> Any:
    body = json_body()
    status = body.get("status")
    if not isinstance(status, str):
        raise BadRequest(_("Give the new `status`."), code="malformed_json")
    data = {k: v for k, v in body.items() if k != "status"}
    if "reason" in data and "disqualification_reason" not in data:
        data["disqualification_reason"] = data.pop("reason")
    lead = leads.change_status(lead_id, status, data, current_user)
    db.session.commit()
    return jsonify(lead_json(lead))
