"""Issue 6 item 1, as an attacker does it over the API: task completion and status-change data is exactly
what the form declares; routing variables (record ids, status, the completer) are never client-writable."""
from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
import sqlalchemy as sa

from tests.conftest import api_token

pytestmark = pytest.mark.db

UNKNOWN = "This field is not part of the form."


@pytest.fixture()
def seeded(users, db_session):
    from app.directories.services import ensure_seed

    ensure_seed()
    db_session.commit()
    return users


def _create_lead(client: Any, headers: dict[str, str], **body: Any) -> dict[str, Any]:
    response = client.post("/api/v1/leads", json={"name": "CRM for 50 users", "company_name": "Romashka", **body},
                           headers=headers)
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def _instance_version(db_session: Any, record_type: str, record_id: int) -> int:
    from app.processes.models import ProcessInstance

    return db_session.scalar(sa.select(ProcessInstance.version).where(
        ProcessInstance.record_type == record_type, ProcessInstance.record_id == record_id))


def _take_to_work_task_of(db_session: Any, lead_id: int, user: Any) -> int:
    """The open "Take to work" task of the lead, handed to `user` (a board reassignment, done here
    directly so this test does not depend on who may reassign: that is item 2's rule)."""
    from app.tasks.models import OPEN, HumanTask

    task = db_session.scalar(sa.select(HumanTask).where(
        HumanTask.record_type == "lead", HumanTask.record_id == lead_id, HumanTask.status == OPEN,
        HumanTask.task_name == "take_to_work"))
    assert task is not None
    task.assignee_id, task.candidate_group_id = user.id, None
    db_session.commit()
    return int(task.id)


def _assignment(client: Any, headers: dict[str, str], executor: str) -> Any:
    due = (date.today() + timedelta(days=3)).isoformat()
    return client.post("/api/v1/assignments", json={"title": "Forecast", "executor": executor, "due_date": due},
                       headers=headers)


def _complete(client: Any, headers: dict[str, str], task_id: int, data: Any) -> Any:
    return client.post(f"/api/v1/tasks/{task_id}/complete", json={"data": data}, headers=headers)


def test_take_to_work_refuses_a_lead_id_status_or_completer_and_changes_nothing(client, seeded, db_session):
    director, m1, m2 = (api_token(client, u) for u in ("director", "manager1", "manager2"))
    victim = _create_lead(client, director, name="Manager1's lead", responsible="manager1")
    bait = _create_lead(client, director, name="Unassigned lead")
    take_id = _take_to_work_task_of(db_session, bait["id"], seeded["manager2"])
    before = (_instance_version(db_session, "lead", victim["id"]), _instance_version(db_session, "lead", bait["id"]))

    for data in ({"lead_id": victim["id"]}, {"status": "deal"}, {"next_status": "deal"},
                 {"completed_by": "manager1"}, {"lead_id": victim["id"], "status": "deal"}):
        response = _complete(client, m2, take_id, data)
        assert response.status_code == 422, (data, response.get_json())
        error = response.get_json()["error"]
        assert error["code"] == "invalid_input"
        assert error["fields"] == {key: UNKNOWN for key in data}

    # Nothing changed: the other manager's lead, the bait lead and its task are as they were.
    assert client.get(f"/api/v1/leads/{victim['id']}", headers=m1).get_json()["responsible"] == "manager1"
    assert client.get(f"/api/v1/leads/{victim['id']}", headers=m2).status_code == 404
    bait_now = client.get(f"/api/v1/leads/{bait['id']}", headers=director).get_json()
    assert bait_now["responsible"] is None and bait_now["status"] == bait["status"]
    assert client.get(f"/api/v1/tasks/{take_id}", headers=m2).get_json()["status"] == "open"
    assert (_instance_version(db_session, "lead", victim["id"]),
            _instance_version(db_session, "lead", bait["id"])) == before

    # The honest completion (no data) still works and makes the completer responsible of *this* lead.
    done = _complete(client, m2, take_id, {})
    assert done.status_code == 200, done.get_json()
    assert client.get(f"/api/v1/leads/{bait['id']}", headers=m2).get_json()["responsible"] == "manager2"
    assert client.get(f"/api/v1/leads/{victim['id']}", headers=m1).get_json()["responsible"] == "manager1"


def test_assignment_task_refuses_undeclared_keys_and_completes_with_its_form(client, users, db_session):
    director, manager = api_token(client, "director"), api_token(client, "manager1")
    mine = _assignment(client, director, "manager1")
    other = _assignment(client, director, "manager2")
    assert mine.status_code == other.status_code == 201, (mine.get_json(), other.get_json())
    task = client.get("/api/v1/tasks", headers=manager).get_json()["items"][0]

    for extra in ({"assignment_id": other.get_json()["id"]}, {"has_reviewer": False}, {"decision": "accept"},
                  {"completed_by": "director"}):
        response = _complete(client, manager, task["id"], {"result_comment": "Done", **extra})
        assert response.status_code == 422, (extra, response.get_json())
        assert response.get_json()["error"]["fields"] == {key: UNKNOWN for key in extra}
    assert client.get(f"/api/v1/tasks/{task['id']}", headers=manager).get_json()["status"] == "open"
    assert client.get(f"/api/v1/assignments/{other.get_json()['id']}",
                      headers=director).get_json()["status"] == "in_progress"

    done = _complete(client, manager, task["id"], {"result_comment": "Done"})
    assert done.status_code == 200, done.get_json()
    final = client.get(f"/api/v1/assignments/{mine.get_json()['id']}", headers=director).get_json()
    assert final["status"] == "completed" and final["result_comment"] == "Done"


def test_status_change_refuses_routing_variables(client, seeded, db_session):
    director, m1 = api_token(client, "director"), api_token(client, "manager1")
    lead = _create_lead(client, director, responsible="manager1")
    before = _instance_version(db_session, "lead", lead["id"])

    for body in ({"status": "paused", "next_status": "deal"}, {"status": "paused", "lead_id": 1},
                 {"status": "disqualified", "disqualification_reason": "spam", "status_override": "deal"}):
        response = client.post(f"/api/v1/leads/{lead['id']}/status", json=body, headers=m1)
        assert response.status_code == 422, (body, response.get_json())
        fields = response.get_json()["error"]["fields"]
        assert set(fields) == set(body) - {"status", "disqualification_reason"}
    assert client.get(f"/api/v1/leads/{lead['id']}", headers=m1).get_json()["status"] == "not_processed"
    assert _instance_version(db_session, "lead", lead["id"]) == before

    moved = client.post(f"/api/v1/leads/{lead['id']}/status", json={"status": "paused"}, headers=m1)
    assert moved.status_code == 200, moved.get_json()
    assert moved.get_json()["status"] == "paused"
