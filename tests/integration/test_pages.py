"""Server-rendered pages: login, inbox tabs, task form errors, board, admin, CSRF."""
from __future__ import annotations

from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from tests.conftest import login, make_test_app
from tests.factories import make_assignment

pytestmark = pytest.mark.db


def test_login_required_and_wrong_password(client, users):
    assert client.get("/tasks").status_code == 302
    wrong = client.post("/login", data={"login": "manager1", "password": "bad"})
    assert wrong.status_code == 401 and "Wrong login or password" in wrong.get_data(as_text=True)
    login(client, "manager1")
    page = client.get("/tasks")
    assert page.status_code == 200 and "Current tasks" in page.get_data(as_text=True)


def test_login_redirect_ignores_foreign_next(client, users):
    response = client.post("/login?next=https://evil.example/", data={"login": "manager1", "password": "demo"})
    assert response.status_code == 302 and response.headers["Location"].endswith("/tasks")


def test_inbox_tabs_and_empty_state(client, users, db_session):
    login(client, "manager1")
    html = client.get("/tasks").get_data(as_text=True)
    assert "No open tasks" in html
    make_assignment(users["director"], executor="manager1", title="Call Romashka")
    db_session.commit()
    html = client.get("/tasks").get_data(as_text=True)
    assert "Call Romashka" in html and 'data-testid="task-row"' in html
    login(client, "director")
    assert "Call Romashka" in client.get("/tasks/subordinates").get_data(as_text=True)
    assert "Call Romashka" not in client.get("/tasks").get_data(as_text=True)


def test_overdue_rows_are_highlighted(client, users, db_session):
    from datetime import datetime, timezone

    past = datetime.now(timezone.utc) - timedelta(days=10)
    make_assignment(users["director"], executor="manager1", title="Late one", today=past.date(),
                    due_date=past.date() + timedelta(days=1), at=past)
    db_session.commit()
    db_session.commit()
    login(client, "manager1")
    html = client.get("/tasks").get_data(as_text=True)
    assert "task-overdue" in html and "Overdue" in html
    assert "Late one" in client.get("/tasks?overdue=1").get_data(as_text=True)


def test_task_form_errors_then_completion(client, users, db_session):
    from app.tasks.models import HumanTask

    make_assignment(users["director"], executor="manager1", title="Write report")
    db_session.commit()

    db_session.commit()
    task = db_session.scalar(sa.select(HumanTask))
    login(client, "manager1")
    page = client.get(f"/tasks/{task.id}")
    assert page.status_code == 200 and 'name="result_comment"' in page.get_data(as_text=True)
    empty = client.post(f"/tasks/{task.id}/complete", data={"result_comment": "", "version": "1"})
    assert empty.status_code == 422 and "invalid-feedback" in empty.get_data(as_text=True)
    db_session.refresh(task)
    assert task.status == "open"
    done = client.post(f"/tasks/{task.id}/complete", data={"result_comment": "Report attached"})
    assert done.status_code == 302
    db_session.refresh(task)
    assert task.status == "completed"
    again = client.post(f"/tasks/{task.id}/complete", data={"result_comment": "twice"})
    assert again.status_code == 409
    assert "Write report" in client.get("/tasks/completed").get_data(as_text=True)


def test_assignment_form_validation(client, users, db_session):
    from app.assignments.models import Assignment

    login(client, "director")
    bad = client.post("/assignments/new", data={"title": "", "executor": "", "due_date": ""})
    assert bad.status_code == 422
    body = bad.get_data(as_text=True)
    assert "This field is required." in body and "Choose the executor." in body
    assert db_session.scalar(sa.select(sa.func.count()).select_from(Assignment)) == 0
    ok = client.post("/assignments/new", data={"title": "Plan", "executor": "manager1",
                                               "due_date": (date.today() + timedelta(days=2)).isoformat()})
    assert ok.status_code == 302
    assert "Plan" in client.get(ok.headers["Location"]).get_data(as_text=True)


def test_assignment_page_visibility(client, users, db_session):
    a = make_assignment(users["director"], executor="manager1")
    db_session.commit()
    login(client, "manager2")
    assert client.get(f"/assignments/{a.id}").status_code == 404
    login(client, "manager1")
    assert client.get(f"/assignments/{a.id}").status_code == 200


def test_board_groups_by_executor(client, users, db_session):
    make_assignment(users["director"], executor="manager1", title="Card A")
    db_session.commit()
    make_assignment(users["director"], executor="manager2", title="Card B")
    db_session.commit()
    login(client, "director")
    html = client.get("/board").get_data(as_text=True)
    assert html.count('data-testid="board-card"') == 2 and "Maria Manager" in html and "Mikhail Manager" in html
    login(client, "manager1")
    html = client.get("/board").get_data(as_text=True)
    assert "Card A" in html and "Card B" not in html


def test_admin_pages_permission_and_user_creation(client, users, db_session):
    from app.auth.models import User

    login(client, "manager1")
    assert client.get("/admin/users").status_code == 403
    login(client, "admin")
    assert client.get("/admin/users").status_code == 200
    bad = client.post("/admin/users/new", data={"login": "Bad Login!", "full_name": "", "password": "x"})
    assert bad.status_code == 422
    created = client.post("/admin/users/new", data={"login": "manager3", "full_name": "New Manager",
                                                    "password": "secret", "locale": "ru", "line_manager": "director",
                                                    "groups": ["crm-cco"], "is_active": "on"})
    assert created.status_code == 302
    user = db_session.scalar(sa.select(User).where(User.login == "manager3"))
    assert user.line_manager.login == "director" and user.group_ids == ["crm-cco"]


def test_line_manager_cycle_is_refused(client, users):
    login(client, "admin")
    director = users["director"]
    response = client.post(f"/admin/users/{director.id}", data={
        "full_name": director.full_name, "locale": "en", "line_manager": "manager1", "is_active": "on",
        "version": str(director.version)})
    assert response.status_code == 422 and "subordinate" in response.get_data(as_text=True)


def test_stale_user_edit_is_409(client, users):
    login(client, "admin")
    m1 = users["manager1"]
    response = client.post(f"/admin/users/{m1.id}", data={"full_name": "X", "locale": "en", "is_active": "on",
                                                          "version": str(m1.version - 1)})
    assert response.status_code == 409


def test_processes_page_for_analysts_only(client, users):
    login(client, "manager1")
    assert client.get("/processes").status_code == 403
    login(client, "analyst")
    html = client.get("/processes").get_data(as_text=True)
    assert "assignment" in html


def test_csrf_is_enforced_on_pages_and_session_api(users, app, db_session):
    csrf_app = make_test_app(app.config["SQLALCHEMY_DATABASE_URI"], WTF_CSRF_ENABLED=True)
    client = csrf_app.test_client()
    with csrf_app.app_context():
        # No token: the login POST itself is refused.
        assert client.post("/login", data={"login": "manager1", "password": "demo"}).status_code == 400
    # A bearer-token API write needs no CSRF token.
    token = client.post("/api/v1/auth/token", json={"login": "director", "password": "demo"})
    assert token.status_code == 201


def test_process_version_page_and_xml(client, users, db_session):
    from app.processes.services import latest_version

    version = latest_version("assignment")
    login(client, "manager1")
    assert client.get(f"/processes/{version.id}").status_code == 403
    login(client, "analyst")
    page = client.get(f"/processes/{version.id}")
    assert page.status_code == 200 and 'data-testid="diagram"' in page.get_data(as_text=True)
    xml = client.get(f"/processes/{version.id}.bpmn")
    assert xml.mimetype == "application/xml" and b'id="assignment"' in xml.get_data()
    assert client.get("/processes/nope").status_code == 404


def test_huge_ids_are_404_not_500(client, users):
    login(client, "manager1")
    for url in ("/tasks/99999999999999", "/leads/99999999999999", "/assignments/99999999999999"):
        assert client.get(url).status_code == 404


def test_the_sales_menu_opens_every_record_kinds_journal_and_kanban(client, users):
    from app.records.kinds import registered_kinds

    login(client, "manager1")
    page = client.get("/tasks").get_data(as_text=True)
    kinds = registered_kinds()
    assert {k.plural for k in kinds} >= {"leads", "deals", "orders", "payments", "contracts"}
    for kind in kinds:
        assert f'href="/{kind.plural}" data-testid="nav-{kind.plural}"' in page
        assert f'href="/{kind.plural}/kanban"' in page
        assert client.get(f"/{kind.plural}").status_code == 200
        assert client.get(f"/{kind.plural}/kanban").status_code == 200
    assert 'data-testid="nav-legal-entities"' in page
