"""Handing a record's task to someone else is assigning its responsible: only the Commercial Director
may do it, and only to an eligible person. Driven through the HTTP API, as an attacker would."""
from __future__ import annotations

import re
from typing import Any

import pytest
import sqlalchemy as sa

from tests.conftest import api_token, login

pytestmark = pytest.mark.db


@pytest.fixture()
def cast(users: dict[str, Any], db_session: Any) -> dict[str, Any]:
    from flask import current_app

    from app.directories.services import ensure_seed
    from tests.factories import make_user

    ensure_seed()
    cfg = current_app.config
    users = {**users,
             "outsider": make_user(login="outsider", full_name="Oleg Outsider"),  # no CRM group at all
             "retired": make_user(login="retired", full_name="Roman Retired", is_active=False,
                                  group_ids=[cfg["CRM_GROUP_CRM_MANAGER"]]),
             "director2": make_user(login="director2", full_name="Daria Director",
                                    group_ids=[cfg["CRM_GROUP_COMMERCIAL_DIRECTOR"]])}
    db_session.commit()
    return users


def _take_to_work(client: Any, headers: dict[str, str]) -> tuple[dict[str, Any], dict[str, Any]]:
    """manager1 creates a lead with nobody responsible; the CRM Manager group gets "Take to work"."""
    created = client.post("/api/v1/leads", json={"name": "Unassigned lead", "company_name": "Romashka"},
                          headers=headers)
    assert created.status_code == 201, created.get_json()
    lead = created.get_json()
    assert lead["responsible"] is None
    items = client.get("/api/v1/tasks", headers=headers).get_json()["items"]
    task = next(t for t in items if t["record_type"] == "lead" and t["record_id"] == lead["id"])
    assert task["name"] == "take_to_work" and task["assignee"] is None
    return lead, task


def _task_row(db_session: Any, task_id: int) -> tuple[Any, ...]:
    from app.tasks.models import HumanTask

    db_session.expire_all()
    row = db_session.execute(sa.select(HumanTask.assignee_id, HumanTask.candidate_group_id, HumanTask.status)
                             .where(HumanTask.id == task_id)).one()
    return tuple(row)


def _reassign(client: Any, headers: dict[str, str], task_id: int, assignee: Any) -> Any:
    return client.post(f"/api/v1/tasks/{task_id}/reassign", json={"assignee": assignee}, headers=headers)


def test_lead_creator_cannot_hand_the_take_to_work_task_to_anyone(client, cast, db_session):
    m1 = api_token(client, "manager1")
    lead, task = _take_to_work(client, m1)
    before = _task_row(db_session, task["id"])
    for target in ("manager2", "outsider", "manager1"):
        denied = _reassign(client, m1, task["id"], target)
        assert denied.status_code == 403, denied.get_json()
        assert denied.get_json()["error"]["code"] == "permission_denied"
    assert _task_row(db_session, task["id"]) == before
    assert client.get(f"/api/v1/leads/{lead['id']}", headers=m1).get_json()["responsible"] is None
    # The page route (the Assignment Board's drag) follows the same rule.
    login(client, "manager1")
    page = client.post(f"/tasks/{task['id']}/reassign", json={"assignee": "manager2"},
                       headers={"Accept": "application/json"})
    assert page.status_code == 403
    # Nor may the other CRM Managers (who see the group task), an analyst or a user with no CRM group.
    for who in ("manager2", "analyst", "outsider"):
        response = _reassign(client, api_token(client, who), task["id"], "manager2")
        assert response.status_code in (403, 404), (who, response.get_json())
    assert _task_row(db_session, task["id"]) == before
    # Claiming is not reassigning: a CRM Manager still takes the lead to work themselves.
    m2 = api_token(client, "manager2")
    claimed = client.post(f"/api/v1/tasks/{task['id']}/claim", headers=m2)
    assert claimed.status_code == 200 and claimed.get_json()["status"] == "completed"
    assert client.get(f"/api/v1/leads/{lead['id']}", headers=m2).get_json()["responsible"] == "manager2"


def test_director_cannot_make_an_ineligible_user_the_assignee(client, cast, db_session):
    _lead, task = _take_to_work(client, api_token(client, "manager1"))
    director = api_token(client, "director")
    before = _task_row(db_session, task["id"])
    for target in ("outsider", "analyst", "retired", "ghost"):
        refused = _reassign(client, director, task["id"], target)
        assert refused.status_code == 422, (target, refused.get_json())
        assert "assignee" in refused.get_json()["error"]["fields"]
    for malformed in (["manager2"], {"login": "manager2"}, 7, None):
        assert _reassign(client, director, task["id"], malformed).status_code == 422
    assert _task_row(db_session, task["id"]) == before


def test_director_and_admin_reassign_to_an_eligible_user(client, cast, db_session):
    lead, task = _take_to_work(client, api_token(client, "manager1"))
    moved = _reassign(client, api_token(client, "director"), task["id"], "manager2")
    assert moved.status_code == 200, moved.get_json()
    assert moved.get_json()["assignee"] == "manager2"
    assert _task_row(db_session, task["id"])[:2] == (cast["manager2"].id, None)
    # Another Commercial Director is eligible too, and an administrator may hand it over as well.
    again = _reassign(client, api_token(client, "admin"), task["id"], "director2")
    assert again.status_code == 200 and again.get_json()["assignee"] == "director2"
    # The task follows the new assignee: manager2 no longer has it.
    m2 = api_token(client, "manager2")
    assert task["id"] not in [t["id"] for t in client.get("/api/v1/tasks", headers=m2).get_json()["items"]]
    # Given back to manager2, who takes the lead to work by completing the task.
    assert _reassign(client, api_token(client, "director"), task["id"], "manager2").status_code == 200
    done = client.post(f"/api/v1/tasks/{task['id']}/complete", json={"data": {}}, headers=m2)
    assert done.status_code == 200, done.get_json()
    assert client.get(f"/api/v1/leads/{lead['id']}", headers=m2).get_json()["responsible"] == "manager2"


def test_assignment_tasks_keep_their_rules_but_need_an_active_assignee(client, cast, db_session):
    from tests.factories import make_assignment

    make_assignment(cast["manager2"], executor="manager1")
    db_session.commit()
    m1, m2 = api_token(client, "manager1"), api_token(client, "manager2")
    task = client.get("/api/v1/tasks", headers=m1).get_json()["items"][0]
    assert task["record_type"] == "assignment"
    # The author may give an assignment to anyone active, CRM group or not...
    moved = _reassign(client, m2, task["id"], "outsider")
    assert moved.status_code == 200 and moved.get_json()["assignee"] == "outsider"
    # ...but not to a deactivated user.
    refused = _reassign(client, m2, task["id"], "retired")
    assert refused.status_code == 422 and "assignee" in refused.get_json()["error"]["fields"]
    # The executor still cannot hand it over.
    assert _reassign(client, api_token(client, "outsider"), task["id"], "manager1").status_code == 403
    # A body that is not an object of strings is refused as invalid input, on the page route too.
    login(client, "manager2")
    for body in (["manager1"], {"assignee": ["manager1"]}, {"assignee": 5}):
        response = client.post(f"/tasks/{task['id']}/reassign", json=body, headers={"Accept": "application/json"})
        assert response.status_code == 422, (body, response.status_code)
        assert "assignee" in response.get_json()["error"]["fields"]


def test_task_page_offers_the_director_only_eligible_people(client, cast, db_session):
    _lead, task = _take_to_work(client, api_token(client, "manager1"))
    login(client, "manager1")
    assert 'data-testid="reassign-form"' not in client.get(f"/tasks/{task['id']}").get_data(as_text=True)
    login(client, "director")
    # The director finds the record's tasks on the Assignment Board too, to drag them to someone.
    assert f'data-task-id="{task["id"]}"' in client.get("/board?process=lead_qualification").get_data(as_text=True)
    page = client.get(f"/tasks/{task['id']}")
    assert page.status_code == 200
    form = page.get_data(as_text=True).split('data-testid="reassign-form"')[1].split("</form>")[0]
    offered = set(re.findall(r'<option value="([^"]+)"', form))
    assert offered == {"manager1", "manager2", "director", "director2"}
    moved = client.post(f"/tasks/{task['id']}/reassign", data={"assignee": "manager1"})
    assert moved.status_code == 302 and moved.headers["Location"].endswith(f"/tasks/{task['id']}")
    assert _task_row(db_session, task["id"])[:2] == (cast["manager1"].id, None)
    empty = client.post(f"/tasks/{task['id']}/reassign", data={"assignee": ""})
    assert empty.status_code == 422
