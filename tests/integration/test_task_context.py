"""A task page shows what the person needs to do the task: the brief, the result, the review comment,
and a link to the record's card; the API returns the same context."""
from __future__ import annotations

import re
from datetime import date, timedelta
from typing import Any

import pytest

from tests.conftest import api_token, login

pytestmark = pytest.mark.db

BRIEF = "Call the three biggest clients\nand ask about <renewal> plans"


def _assignment(client: Any, **body: Any) -> dict[str, Any]:
    payload = {"title": "Renewal survey", "description": BRIEF, "executor": "manager1",
               "due_date": (date.today() + timedelta(days=5)).isoformat(), **body}
    created = client.post("/api/v1/assignments", json=payload, headers=api_token(client, "director"))
    assert created.status_code == 201, created.get_json()
    return created.get_json()


def _open_task(client: Any, user_login: str) -> dict[str, Any]:
    items = client.get("/api/v1/tasks", headers=api_token(client, user_login)).get_json()["items"]
    assert len(items) == 1, items
    return items[0]


def _context(page: str) -> str:
    """The text of the page's context panel (empty when there is none)."""
    match = re.search(r'data-testid="task-context".*?</section>', page, re.S)
    return match.group(0) if match else ""


def _complete(client: Any, user_login: str, task_id: int, data: dict[str, Any]) -> None:
    done = client.post(f"/api/v1/tasks/{task_id}/complete", json={"data": data},
                       headers=api_token(client, user_login))
    assert done.status_code == 200, done.get_json()


def test_executor_sees_the_brief_author_and_due_date(client, users):
    assignment = _assignment(client)
    task = _open_task(client, "manager1")
    login(client, "manager1")
    page = client.get(f"/tasks/{task['id']}").get_data(as_text=True)
    context = _context(page)
    assert "Call the three biggest clients\nand ask about &lt;renewal&gt; plans" in context  # escaped, lines kept
    assert "<renewal>" not in page
    assert "Dmitry Director" in context  # the author
    due = date.fromisoformat(assignment["due_date"])
    assert f"{due:%b} {due.day}, {due.year}" in context  # the due date, in the user's locale
    assert f'href="/assignments/{assignment["id"]}"' in context  # the link to the card


def test_reviewer_sees_the_executors_result(client, users):
    _assignment(client, reviewer="director")
    _complete(client, "manager1", _open_task(client, "manager1")["id"], {"result_comment": "All three renew in Q1"})
    review = _open_task(client, "director")
    assert review["name"] == "review_result"
    login(client, "director")
    context = _context(client.get(f"/tasks/{review['id']}").get_data(as_text=True))
    assert "All three renew in Q1" in context
    assert "Call the three biggest clients" in context


def test_executor_sees_the_reviewers_comment_on_rework(client, users):
    _assignment(client, reviewer="director")
    _complete(client, "manager1", _open_task(client, "manager1")["id"], {"result_comment": "Done"})
    _complete(client, "director", _open_task(client, "director")["id"],
              {"decision": "rework", "review_comment": "Add the contract amounts"})
    rework = _open_task(client, "manager1")
    assert rework["name"] == "complete_assignment"
    login(client, "manager1")
    context = _context(client.get(f"/tasks/{rework['id']}").get_data(as_text=True))
    assert "Add the contract amounts" in context
    assert "Call the three biggest clients" in context


def test_api_returns_the_context_and_the_record_url(client, users):
    assignment = _assignment(client, reviewer="director")
    task = _open_task(client, "manager1")
    body = client.get(f"/api/v1/tasks/{task['id']}", headers=api_token(client, "manager1")).get_json()
    context = {item["label"]: item["value"] for item in body["context"]}
    assert context["Description"] == BRIEF
    assert context["Author"] == "Dmitry Director"
    assert context["Reviewer"] == "Dmitry Director"
    assert context["Due date"]
    assert body["record_url"] == f"/assignments/{assignment['id']}"
    assert all(set(item) == {"label", "value"} for item in body["context"])


def test_context_is_in_the_users_language(client, users, db_session):
    from app.auth.services import get_user

    get_user(users["manager1"].id).locale = "ru"
    db_session.commit()
    _assignment(client)
    task = _open_task(client, "manager1")
    body = client.get(f"/api/v1/tasks/{task['id']}", headers=api_token(client, "manager1")).get_json()
    labels = [item["label"] for item in body["context"]]
    assert "Описание" in labels and "Description" not in labels
