"""Create Assignment from a record's card (issue 8 §6): the platform's assignment process linked to the
record; its tasks in the record's All Tasks (with executors) and in the executor's Current tasks. Only
whoever may write the record creates one; readers see them; the attacker's pass over HTTP."""
from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
import sqlalchemy as sa

from tests.conftest import api_token, login
from tests.factories import make_record

pytestmark = pytest.mark.db

KINDS = ("lead", "deal")


def _record(kind_name: str, users: Any, db_session: Any, **data: Any) -> Any:
    record = make_record(kind_name, users["director"], responsible="manager1", **data)
    db_session.commit()
    return record


def _assignments() -> list[Any]:
    from app.assignments.models import Assignment
    from app.extensions import db

    return list(db.session.scalars(sa.select(Assignment).order_by(Assignment.id)))


def _due(days: int = 3) -> str:
    return (date.today() + timedelta(days=days)).isoformat()


@pytest.mark.parametrize("kind_name", KINDS)
def test_an_assignment_from_the_card_shows_in_all_tasks_and_the_executors_inbox(client, users, db_session,
                                                                                kind_name):
    record = _record(kind_name, users, db_session, observers=["manager2"])
    plural = f"{kind_name}s"
    login(client, "manager1")
    page = client.get(f"/{plural}/{record.id}").get_data(as_text=True)
    assert 'data-testid="record-assignment-form"' in page and "No assignments." in page
    response = client.post(f"/{plural}/{record.id}/assignments", data={
        "title": "Prepare the commercial proposal", "executor": "director", "due_date": _due(),
        "description": "Two options, with and without support", "reviewer": ""})
    assert response.status_code == 302, response.get_data(as_text=True)
    assert response.headers["Location"].endswith(f"/{plural}/{record.id}#assignments")
    (assignment,) = _assignments()
    assert (assignment.record_type, assignment.record_id, assignment.author.login, assignment.executor.login) == (
        kind_name, record.id, "manager1", "director")

    page = client.get(f"/{plural}/{record.id}").get_data(as_text=True)
    all_tasks = page[page.index('data-testid="all-tasks"'):]
    all_tasks = all_tasks[:all_tasks.index("</ul>")]
    assert "Complete assignment" in all_tasks and "Dmitry Director" in all_tasks
    assert assignment.display_number in all_tasks
    assert "Prepare the commercial proposal" in page  # the Assignments widget

    inbox = client.get("/api/v1/tasks", headers=api_token(client, "director")).get_json()["items"]
    task = next(t for t in inbox if t["record_type"] == "assignment" and t["record_id"] == assignment.id)
    assert task["title"] == "Complete assignment" and task["assignee"] == "director"

    # A reader (an observer of the record) sees it and may open the assignment, but creates none.
    login(client, "manager2")
    page = client.get(f"/{plural}/{record.id}").get_data(as_text=True)
    assert "Prepare the commercial proposal" in page and 'data-testid="record-assignment-form"' not in page
    assert client.get(f"/assignments/{assignment.id}").status_code == 200
    assert client.post(f"/{plural}/{record.id}/assignments", data={
        "title": "x", "executor": "manager2", "due_date": _due()}).status_code == 403
    assert len(_assignments()) == 1


def test_the_api_creates_and_lists_a_records_assignments(client, users, db_session):
    deal = _record("deal", users, db_session)
    headers = api_token(client, "manager1")
    created = client.post(f"/api/v1/deals/{deal.id}/assignments", json={
        "title": "Call the lawyer", "executor_group": "crm-cco", "due_date": _due(), "reviewer": "director"},
        headers=headers)
    assert created.status_code == 201, created.get_json()
    body = created.get_json()
    assert (body["record_type"], body["record_id"], body["executor_group"], body["reviewer"]) == (
        "deal", deal.id, "crm-cco", "director")
    listed = client.get(f"/api/v1/deals/{deal.id}/assignments", headers=headers).get_json()
    assert listed["total"] == 1 and listed["items"][0]["title"] == "Call the lawyer"


def test_another_manager_gets_404_and_cannot_open_the_assignment(client, users, db_session):
    deal = _record("deal", users, db_session)
    from app.assignments.services import AssignmentData, create_record_assignment
    from app.records.kinds import get_kind

    assignment = create_record_assignment(get_kind("deal"), deal.id, AssignmentData(
        title="Secret task", executor="manager1", due_date=_due()), users["manager1"])
    db_session.commit()
    other = api_token(client, "manager2")
    for method, url, body in (("get", f"/api/v1/deals/{deal.id}/assignments", None),
                              ("post", f"/api/v1/deals/{deal.id}/assignments",
                               {"title": "x", "executor": "manager2", "due_date": _due()})):
        response = getattr(client, method)(url, json=body, headers=other)
        assert response.status_code == 404 and "Secret task" not in response.get_data(as_text=True)
    assert client.get(f"/api/v1/assignments/{assignment.id}", headers=other).status_code == 404
    login(client, "manager2")
    assert client.post(f"/deals/{deal.id}/assignments", data={"title": "x", "executor": "manager2",
                                                              "due_date": _due()}).status_code == 404
    assert client.get(f"/assignments/{assignment.id}").status_code == 404
    assert len(_assignments()) == 1


def test_bad_input_is_refused_with_field_errors(client, users, db_session, monkeypatch, app):
    deal = _record("deal", users, db_session)
    headers = api_token(client, "manager1")
    url = f"/api/v1/deals/{deal.id}/assignments"
    good = {"title": "Call", "executor": "manager1", "due_date": _due()}
    for body, field in (({**good, "record_id": 99}, "record_id"), ({**good, "status": "completed"}, "status"),
                        ({**good, "title": ""}, "title"), ({**good, "title": ["x"]}, "title"),
                        ({**good, "title": "x" * 301}, "title"), ({**good, "executor": 5}, "executor"),
                        ({**good, "executor": "nobody"}, "executor"), ({**good, "due_date": "tomorrow"}, "due_date"),
                        ({**good, "due_date": "2001-01-01"}, "due_date"), ({**good, "reviewer": "ghost"}, "reviewer"),
                        ({"title": "Call", "due_date": _due()}, "executor")):
        response = client.post(url, json=body, headers=headers)
        assert response.status_code == 422, (body, response.get_json())
        assert field in response.get_json()["error"]["fields"], (body, response.get_json())
    assert client.post(url, json={**good, "title": "a\x07b"}, headers=headers).status_code == 422
    assert client.post(url, json=[good], headers=headers).status_code == 400

    login(client, "manager1")
    page = client.post(f"/deals/{deal.id}/assignments",
                       data={"title": "", "executor": "", "due_date": "", "description": "Keep this text"})
    text = page.get_data(as_text=True)
    assert page.status_code == 422 and text.count("is-invalid") >= 3 and "Keep this text" in text
    assert '<details data-testid="create-assignment" open' in text
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", True)
    assert client.post(f"/deals/{deal.id}/assignments", data=good).status_code == 400
    assert _assignments() == []
