"""The assignment process end to end over the JSON API, on the real engine and database."""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from typing import Any

import pytest
import sqlalchemy as sa

from tests.conftest import api_token

pytestmark = pytest.mark.db


def _tasks(client: Any, headers: dict[str, str], scope: str = "current", **params: Any) -> dict[str, Any]:
    response = client.get("/api/v1/tasks", query_string={"scope": scope, **params}, headers=headers)
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def _create(client: Any, headers: dict[str, str], **body: Any) -> Any:
    payload = {"title": "Prepare the forecast", "description": "Q4", "executor": "manager1",
               "due_date": (date.today() + timedelta(days=3)).isoformat(), **body}
    return client.post("/api/v1/assignments", json=payload, headers=headers)


def test_director_assigns_manager_completes(client, users):
    director, manager = api_token(client, "director"), api_token(client, "manager1")
    created = _create(client, director)
    assert created.status_code == 201, created.get_json()
    assignment = created.get_json()
    assert assignment["executor"] == "manager1" and assignment["status"] == "in_progress"

    current = _tasks(client, manager)
    assert current["total"] == 1
    task = current["items"][0]
    assert task["title"] == "Complete assignment" and task["assignee"] == "manager1"
    assert task["record_type"] == "assignment" and task["record_id"] == assignment["id"]
    assert task["form"]["properties"]["result_comment"]
    assert task["due_at"].startswith((date.today() + timedelta(days=3)).isoformat()[:8])

    subordinates = _tasks(client, director, "subordinates")
    assert [t["id"] for t in subordinates["items"]] == [task["id"]]
    assert _tasks(client, api_token(client, "manager2"), "subordinates")["total"] == 0

    done = client.post(f"/api/v1/tasks/{task['id']}/complete", json={"data": {"result_comment": "Done"}},
                       headers=manager)
    assert done.status_code == 200, done.get_json()
    assert done.get_json()["status"] == "completed"
    assert _tasks(client, manager)["total"] == 0
    completed = _tasks(client, manager, "completed")
    assert [t["id"] for t in completed["items"]] == [task["id"]]
    assert completed["items"][0]["completed_by"] == "manager1"
    final = client.get(f"/api/v1/assignments/{assignment['id']}", headers=director).get_json()
    assert final["status"] == "completed" and final["result_comment"] == "Done"


def test_reviewer_returns_for_rework_then_accepts(client, users):
    director, manager = api_token(client, "director"), api_token(client, "manager1")
    assignment = _create(client, director, reviewer="director").get_json()
    task = _tasks(client, manager)["items"][0]
    client.post(f"/api/v1/tasks/{task['id']}/complete", json={"data": {"result_comment": "v1"}}, headers=manager)
    review = _tasks(client, director)["items"][0]
    assert review["title"] == "Review result"
    assert client.get(f"/api/v1/assignments/{assignment['id']}", headers=director).get_json()["status"] == "in_review"

    rework = client.post(f"/api/v1/tasks/{review['id']}/complete",
                         json={"data": {"decision": "rework", "review_comment": "Add numbers"}}, headers=director)
    assert rework.status_code == 200, rework.get_json()
    again = _tasks(client, manager)["items"]
    assert len(again) == 1 and again[0]["id"] != task["id"] and again[0]["title"] == "Complete assignment"
    client.post(f"/api/v1/tasks/{again[0]['id']}/complete", json={"data": {"result_comment": "v2"}}, headers=manager)
    review2 = _tasks(client, director)["items"][0]
    client.post(f"/api/v1/tasks/{review2['id']}/complete", json={"data": {"decision": "accept"}}, headers=director)
    final = client.get(f"/api/v1/assignments/{assignment['id']}", headers=director).get_json()
    assert final["status"] == "completed" and final["result_comment"] == "v2"
    assert _tasks(client, director)["total"] == 0 and _tasks(client, manager)["total"] == 0


def test_invalid_form_data_is_rejected_and_changes_nothing(client, users, db_session):
    from app.processes.models import ProcessInstance

    director, manager = api_token(client, "director"), api_token(client, "manager1")
    _create(client, director)
    task = _tasks(client, manager)["items"][0]
    before = db_session.scalar(sa.select(ProcessInstance.version))
    response = client.post(f"/api/v1/tasks/{task['id']}/complete", json={"data": {"result_comment": ""}},
                           headers=manager)
    assert response.status_code == 422
    body = response.get_json()["error"]
    assert body["code"] == "invalid_input" and "result_comment" in body["fields"]
    assert db_session.scalar(sa.select(ProcessInstance.version)) == before
    assert _tasks(client, manager)["items"][0]["status"] == "open"


def test_double_submit_completes_once(client, users):
    director, manager = api_token(client, "director"), api_token(client, "manager1")
    _create(client, director)
    task = _tasks(client, manager)["items"][0]
    first = client.post(f"/api/v1/tasks/{task['id']}/complete", json={"data": {"result_comment": "a"}}, headers=manager)
    second = client.post(f"/api/v1/tasks/{task['id']}/complete", json={"data": {"result_comment": "b"}},
                         headers=manager)
    assert first.status_code == 200
    assert second.status_code == 409 and second.get_json()["error"]["code"] == "task_not_open"
    assert _tasks(client, manager, "completed")["total"] == 1


def test_stale_version_gets_409(client, users):
    director, manager = api_token(client, "director"), api_token(client, "manager1")
    _create(client, director)
    task = _tasks(client, manager)["items"][0]
    version = client.get(f"/api/v1/tasks/{task['id']}", headers=manager).get_json()["version"]
    stale = client.post(f"/api/v1/tasks/{task['id']}/complete",
                        json={"data": {"result_comment": "x"}, "version": version - 1}, headers=manager)
    assert stale.status_code == 409 and stale.get_json()["error"]["code"] == "conflict"
    ok = client.post(f"/api/v1/tasks/{task['id']}/complete",
                     json={"data": {"result_comment": "x"}, "version": version}, headers=manager)
    assert ok.status_code == 200


def test_concurrent_writer_on_same_instance_is_rejected(app, users, db_session):
    """Two commands loaded the same instance version: the second UPDATE ... WHERE version fails → Conflict."""
    from app.errors import Conflict
    from app.processes import services as processes
    from app.processes.models import ProcessInstance
    from tests.factories import make_assignment

    assignment = make_assignment(users["director"], executor="manager1")
    instance = processes.find_instance_for("assignment", assignment.id)
    # Another transaction bumped the row behind our back.
    db_session.execute(sa.update(ProcessInstance).where(ProcessInstance.id == instance.id)
                       .values(version=ProcessInstance.version + 1).execution_options(synchronize_session=False))
    from app.tasks.models import HumanTask

    task = db_session.scalar(sa.select(HumanTask).where(HumanTask.instance_id == instance.id))
    with pytest.raises(Conflict):
        processes.complete_task(task, {"result_comment": "late"}, actor_id=users["manager1"].id)


def test_overdue_assignment_gives_line_manager_a_task_when_timers_fire(client, users, db_session, enqueued):
    from app.processes import services as processes
    from tests.factories import make_assignment

    two_weeks_ago = datetime.now(timezone.utc) - timedelta(days=14)
    assignment = make_assignment(users["director"], executor="manager1", today=two_weeks_ago.date(),
                                 due_date=two_weeks_ago.date() + timedelta(days=2), at=two_weeks_ago)
    db_session.commit()
    due = processes.list_due_instance_ids()
    instance = processes.find_instance_for("assignment", assignment.id)
    assert instance.id in due
    assert processes.fire_due_timers(instance.id) is True
    assert processes.fire_due_timers(instance.id) is False  # idempotent: nothing due any more
    db_session.commit()

    director = api_token(client, "director")
    overdue = _tasks(client, director)["items"]
    assert [t["title"] for t in overdue] == ["Overdue assignment"]
    manager = _tasks(client, api_token(client, "manager1"))["items"]
    assert [t["title"] for t in manager] == ["Complete assignment"]  # non-interrupting: still open
    assert _tasks(client, api_token(client, "manager1"), overdue="1")["total"] == 1


def test_group_task_claim(client, users):
    director = api_token(client, "director")
    m1, m2 = api_token(client, "manager1"), api_token(client, "manager2")
    _create(client, director, executor=None, executor_group="crm-cco")
    task = _tasks(client, m1)["items"][0]
    assert task["assignee"] is None and task["candidate_groups"] == ["crm-cco"]
    assert _tasks(client, m2)["total"] == 1
    not_claimed = client.post(f"/api/v1/tasks/{task['id']}/complete", json={"data": {"result_comment": "x"}},
                              headers=m1)
    assert not_claimed.status_code == 409 and not_claimed.get_json()["error"]["code"] == "task_not_claimed"
    claimed = client.post(f"/api/v1/tasks/{task['id']}/claim", headers=m1)
    assert claimed.status_code == 200 and claimed.get_json()["assignee"] == "manager1"
    assert client.post(f"/api/v1/tasks/{task['id']}/claim", headers=m2).status_code == 404  # no longer visible
    assert _tasks(client, m2)["total"] == 0
    assert client.post(f"/api/v1/tasks/{task['id']}/complete", json={"data": {"result_comment": "x"}},
                       headers=m1).status_code == 200


def test_reassign_permissions(client, users):
    director = api_token(client, "director")
    m1, m2 = api_token(client, "manager1"), api_token(client, "manager2")
    assignment = _create(client, api_token(client, "manager2"), executor="manager1").get_json()
    task = _tasks(client, m1)["items"][0]
    # The executor cannot hand it over; the author and the line manager can.
    denied = client.post(f"/api/v1/tasks/{task['id']}/reassign", json={"assignee": "manager2"}, headers=m1)
    assert denied.status_code == 403 and denied.get_json()["error"]["code"] == "permission_denied"
    moved = client.post(f"/api/v1/tasks/{task['id']}/reassign", json={"assignee": "manager2"}, headers=director)
    assert moved.status_code == 200 and moved.get_json()["assignee"] == "manager2"
    back = client.post(f"/api/v1/tasks/{task['id']}/reassign", json={"assignee": "manager1"}, headers=m2)
    assert back.status_code == 200
    unknown = client.post(f"/api/v1/tasks/{task['id']}/reassign", json={"assignee": "ghost"}, headers=director)
    assert unknown.status_code == 422 and "assignee" in unknown.get_json()["error"]["fields"]
    assert client.get(f"/api/v1/assignments/{assignment['id']}", headers=director).get_json()["executor"] == "manager1"


@pytest.mark.parametrize("body, field", [
    ({"title": "", "executor": "manager1"}, "title"),
    ({"title": "x", "executor": "ghost"}, "executor"),
    ({"title": "x", "executor": None}, "executor"),
    ({"title": "x", "executor": "manager1", "due_date": "2020-01-01"}, "due_date"),
    ({"title": "x", "executor": "manager1", "due_date": "31.12.2030"}, "due_date"),
    ({"title": "x", "executor": "manager1", "reviewer": "ghost"}, "reviewer"),
])
def test_create_assignment_validation(client, users, db_session, body, field):
    from app.assignments.models import Assignment

    director = api_token(client, "director")
    response = _create(client, director, **body)
    assert response.status_code == 422
    assert field in response.get_json()["error"]["fields"]
    assert db_session.scalar(sa.select(sa.func.count()).select_from(Assignment)) == 0


def test_api_errors_and_auth(client, users):
    assert client.get("/api/v1/tasks").status_code == 401
    assert client.get("/api/v1/tasks").get_json()["error"]["code"] == "not_authenticated"
    bad = client.post("/api/v1/auth/token", json={"login": "manager1", "password": "nope"})
    assert bad.status_code == 401 and bad.get_json()["error"]["code"] == "invalid_credentials"
    assert client.post("/api/v1/auth/token", data="not json", content_type="application/json").status_code == 400
    assert client.get("/api/v1/tasks", headers={"Authorization": "Bearer forged"}).status_code == 401
    m1 = api_token(client, "manager1")
    assert client.get("/api/v1/tasks", query_string={"scope": "everything"}, headers=m1).status_code == 422
    assert client.get("/api/v1/tasks/999999", headers=m1).status_code == 404
    assert client.post("/api/v1/tasks/1/complete", data="[]", content_type="application/json",
                       headers=m1).status_code == 400


def test_invisible_task_is_404_and_viewer_cannot_complete(client, users):
    director = api_token(client, "director")
    _create(client, director)
    m1, m2 = api_token(client, "manager1"), api_token(client, "manager2")
    task = _tasks(client, m1)["items"][0]
    assert client.get(f"/api/v1/tasks/{task['id']}", headers=m2).status_code == 404
    assert client.post(f"/api/v1/tasks/{task['id']}/complete", json={"data": {"result_comment": "x"}},
                       headers=m2).status_code == 404
    # The line manager sees the task but is not its assignee.
    assert client.get(f"/api/v1/tasks/{task['id']}", headers=director).status_code == 200
    forbidden = client.post(f"/api/v1/tasks/{task['id']}/complete", json={"data": {"result_comment": "x"}},
                            headers=director)
    assert forbidden.status_code == 403


def test_processes_endpoint_lists_deployed_versions(client, users):
    body = client.get("/api/v1/processes", headers=api_token(client, "analyst")).get_json()  # analysts and admins
    assert body["total"] >= 1
    assert any(item["process_id"] == "assignment" and item["version"] >= 1 for item in body["items"])


def test_pagination_and_sorting(client, users):
    director, m1 = api_token(client, "director"), api_token(client, "manager1")
    for days in (5, 1, 3):
        _create(client, director, title=f"due in {days}", due_date=(date.today() + timedelta(days=days)).isoformat())
    first = _tasks(client, m1, per_page=2, page=1, sort="due")
    second = _tasks(client, m1, per_page=2, page=2, sort="due")
    assert first["total"] == 3 and len(first["items"]) == 2 and len(second["items"]) == 1
    titles = [t["record_title"] for t in first["items"] + second["items"]]
    assert titles == ["due in 1", "due in 3", "due in 5"]
    desc = [t["record_title"] for t in _tasks(client, m1, sort="-due")["items"]]
    assert desc == ["due in 5", "due in 3", "due in 1"]
