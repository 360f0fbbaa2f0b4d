"""End-to-end flows in headless Chromium against a live server with CSRF on and demo data loaded."""
from __future__ import annotations

import re
import uuid
from datetime import date, timedelta
from typing import Any

import pytest

from tests.browser.conftest import drag, path_of

pytestmark = pytest.mark.browser

GROUP_TASK_RECORD = "Collect feedback from the trade show"
MANAGER1_RECORD = "Prepare the Q4 sales forecast"


def _unique(prefix: str) -> str:
    return f"{prefix} {uuid.uuid4().hex[:8]}"


def _row_for(page: Any, record_title: str) -> Any:
    return page.locator("[data-testid=task-row]", has_text=record_title)


def _open_task(page: Any, record_title: str) -> int:
    """Click the task link in the Current tasks row of a record; returns the task id."""
    row = _row_for(page, record_title)
    assert row.count() == 1, f"expected one row for {record_title!r}, got {row.count()}"
    task_id = int(row.get_attribute("data-task-id"))
    with page.expect_navigation():
        row.locator("td").first.locator("a").click()
    assert path_of(page.url) == f"/tasks/{task_id}"
    return task_id


def _assignment_count(live_app: Any) -> int:
    import sqlalchemy as sa

    from app.assignments.models import Assignment
    from app.extensions import db

    with live_app.app_context():
        try:
            return int(db.session.scalar(sa.select(sa.func.count()).select_from(Assignment)) or 0)
        finally:
            db.session.remove()


def test_login_rejects_wrong_password_and_accepts_demo_user(new_session: Any) -> None:
    session = new_session()
    page = session.page
    page.goto("/login")
    page.fill("#login", "manager1")
    page.fill("#password", "not-the-password")
    with page.expect_navigation() as nav:
        page.locator("main form button[type=submit]").click()
    assert nav.value.status == 401
    assert path_of(page.url).startswith("/login")
    assert page.get_by_test_id("login-error").inner_text().strip() == "Wrong login or password."
    assert page.get_by_test_id("current-user").count() == 0
    assert page.input_value("#login") == "manager1"

    page = session.login("manager1")
    assert path_of(page.url) == "/tasks"
    assert page.get_by_test_id("current-user").inner_text().strip() == "Maria Manager"
    assert page.locator("h1, .nav-link.active").filter(has_text="Current tasks").count() >= 1
    assert page.get_by_test_id("tab-current").get_attribute("aria-current") == "page"
    assert page.get_by_test_id("task-row").count() >= 1
    assert _row_for(page, MANAGER1_RECORD).count() == 1
    assert page.get_by_test_id("empty").count() == 0


def test_director_assigns_and_manager_completes_through_the_forms(new_session: Any) -> None:
    title = _unique("Browser flow: prepare the pricing memo")
    due = date.today() + timedelta(days=4)

    # The director creates the assignment through the form (CSRF token from the page).
    director = new_session()
    page = director.login("director")
    page.goto("/assignments/new")
    form = page.get_by_test_id("assignment-form")
    form.locator("#title").fill(title)
    form.locator("#description").fill("Written in a real browser.")
    form.locator("#executor").select_option("manager1")
    form.locator("#due_date").fill(due.isoformat())
    with page.expect_navigation() as nav:
        form.get_by_test_id("create").click()
    assert nav.value.status == 200
    match = re.fullmatch(r"/assignments/(\d+)", path_of(page.url))
    assert match, page.url
    assignment_url = page.url
    assert title in page.get_by_test_id("assignment-title").inner_text()
    assert page.get_by_test_id("assignment-status").get_attribute("data-status") == "in_progress"

    # ... and sees the executor's task among the subordinates' tasks.
    page.goto("/tasks")
    with page.expect_navigation():
        page.get_by_test_id("tab-subordinates").click()
    assert path_of(page.url) == "/tasks/subordinates"
    sub_row = _row_for(page, title)
    assert sub_row.count() == 1
    assert "Complete assignment" in sub_row.inner_text()
    assert "Maria Manager" in sub_row.inner_text()

    # manager1, in a separate browser context, finds it in Current tasks.
    manager = new_session()
    page = manager.login("manager1")
    assert path_of(page.url) == "/tasks"
    row = _row_for(page, title)
    assert row.count() == 1
    assert "Complete assignment" in row.inner_text()
    task_id = _open_task(page, title)
    assert page.get_by_test_id("task-title").inner_text().strip() == "Complete assignment"

    # Submitting the form empty shows the field error and leaves the task open.
    form = page.get_by_test_id("task-form")
    assert form.locator("textarea[name=result_comment]").input_value() == ""
    with page.expect_navigation() as nav:
        form.get_by_test_id("complete").click()
    assert nav.value.status == 422
    assert path_of(page.url) == f"/tasks/{task_id}/complete"
    field = page.locator("[data-field=result_comment]")
    assert field.locator("textarea.is-invalid").count() == 1
    error = field.locator(".invalid-feedback")
    assert error.is_visible()
    assert error.inner_text().strip() != ""
    assert page.get_by_test_id("task-status").count() == 0
    page.goto("/tasks")
    assert _row_for(page, title).count() == 1, "the task left Current tasks although the form was rejected"

    # Filling the result completes it: back to Current tasks, gone from there, present under Completed.
    page.goto(f"/tasks/{task_id}")
    form = page.get_by_test_id("task-form")
    form.locator("textarea[name=result_comment]").fill("Memo sent to the director.")
    with page.expect_navigation() as nav:
        form.get_by_test_id("complete").click()
    assert nav.value.status == 200
    assert path_of(page.url) == "/tasks"
    assert page.get_by_role("alert").filter(has_text="completed").count() == 1
    assert _row_for(page, title).count() == 0
    with page.expect_navigation():
        page.get_by_test_id("tab-completed").click()
    assert path_of(page.url) == "/tasks/completed"
    done = _row_for(page, title)
    assert done.count() == 1
    assert int(done.get_attribute("data-task-id")) == task_id

    page.goto(f"/tasks/{task_id}")
    assert page.get_by_test_id("task-form").count() == 0
    assert page.get_by_test_id("task-status").get_attribute("data-status") == "completed"

    # The director's assignment page shows the outcome.
    page = director.page
    page.goto(assignment_url)
    assert page.get_by_test_id("assignment-status").get_attribute("data-status") == "completed"
    assert page.get_by_test_id("result").inner_text().strip() == "Memo sent to the director."
    page.goto("/tasks/subordinates")
    assert _row_for(page, title).count() == 0


def test_assignment_with_empty_title_shows_error_and_creates_nothing(new_session: Any, live_app: Any) -> None:
    marker = _unique("No title given")
    before = _assignment_count(live_app)
    page = new_session().login("director")
    page.goto("/assignments/new")
    form = page.get_by_test_id("assignment-form")
    form.locator("#description").fill(marker)
    form.locator("#executor").select_option("manager2")
    form.locator("#due_date").fill((date.today() + timedelta(days=2)).isoformat())
    with page.expect_navigation() as nav:
        form.get_by_test_id("create").click()
    assert nav.value.status == 422
    assert path_of(page.url) == "/assignments/new"
    title = page.locator("#title")
    assert "is-invalid" in (title.get_attribute("class") or "")
    feedback = title.locator("xpath=following-sibling::div[contains(@class,'invalid-feedback')]")
    assert feedback.inner_text().strip() == "This field is required."
    # The rest of the form is kept for the correction.
    assert page.input_value("#description") == marker
    assert page.input_value("#executor") == "manager2"
    assert _assignment_count(live_app) == before
    page.goto("/assignments")
    assert page.locator("td", has_text=marker).count() == 0


def test_group_task_is_claimed_from_the_task_page(new_session: Any) -> None:
    manager2 = new_session()
    page = manager2.login("manager2")
    row = _row_for(page, GROUP_TASK_RECORD)
    assert row.count() == 1, "the demo group task is not offered to manager2"
    task_id = _open_task(page, GROUP_TASK_RECORD)
    assert page.get_by_test_id("task-form").count() == 0, "the form is shown before the task was claimed"
    claim = page.get_by_test_id("claim")
    assert claim.is_visible()
    with page.expect_navigation() as nav:
        claim.click()
    assert nav.value.status == 200
    assert path_of(page.url) == f"/tasks/{task_id}"
    assert page.get_by_role("alert").filter(has_text="The task is yours now.").count() == 1
    assert page.get_by_test_id("claim").count() == 0
    form = page.get_by_test_id("task-form")
    assert form.is_visible()
    assert form.locator("textarea[name=result_comment]").is_visible()
    assert page.get_by_test_id("assignee").inner_text().strip() == "Mikhail Manager"

    # The other group member no longer gets it offered and can neither claim nor complete it
    # (today the claimed task is invisible to them, so the page is a 404; a read-only view would do too).
    other = new_session().login("manager1")
    assert other.locator(f"[data-testid=task-row][data-task-id='{task_id}']").count() == 0
    response = other.goto(f"/tasks/{task_id}")
    assert response.status in (200, 404)
    assert other.get_by_test_id("claim").count() == 0
    assert other.get_by_test_id("task-form").count() == 0


def test_manager_cannot_open_a_colleagues_task(new_session: Any) -> None:
    page1 = new_session().login("manager1")
    row = _row_for(page1, MANAGER1_RECORD)
    assert row.count() == 1
    task_id = int(row.get_attribute("data-task-id"))
    response = page1.goto(f"/tasks/{task_id}")
    assert response.status == 200
    assert page1.get_by_test_id("task-form").count() == 1  # the owner sees the form

    page2 = new_session().login("manager2")
    response = page2.goto(f"/tasks/{task_id}")
    assert response.status == 404
    assert page2.get_by_test_id("task-form").count() == 0
    assert page2.get_by_test_id("task-title").count() == 0
    error = page2.get_by_test_id("error")
    assert "404" in error.inner_text()
    assert "not found" in error.inner_text().lower()
    assert MANAGER1_RECORD not in page2.content()


def _create_assignment(page: Any, title: str, executor: str, days: int = 3) -> str:
    page.goto("/assignments/new")
    form = page.get_by_test_id("assignment-form")
    form.locator("#title").fill(title)
    form.locator("#executor").select_option(executor)
    form.locator("#due_date").fill((date.today() + timedelta(days=days)).isoformat())
    with page.expect_navigation():
        form.get_by_test_id("create").click()
    assert re.fullmatch(r"/assignments/\d+", path_of(page.url)), page.url
    return page.url


def test_dragging_a_board_card_to_another_executor_reassigns_it(new_session: Any) -> None:
    title = _unique("Browser drag: check the stock report")
    director = new_session()
    page = director.login("director")
    assignment_url = _create_assignment(page, title, "manager2")

    page.goto("/board")
    card = page.locator("[data-testid=board-card]", has_text=title)
    assert card.count() == 1
    source = page.locator(".board-column", has=card)
    assert source.locator("h2").inner_text().startswith("Mikhail Manager")
    target = page.locator(".board .cards[data-assignee=manager1]")
    assert target.count() == 1

    def is_reassign(r: Any) -> bool:
        return bool(r.url.endswith("/reassign") and r.request.method == "POST")

    # board.js posts the new assignee with the CSRF header, then reloads the board on success.
    with page.expect_navigation(), page.expect_response(is_reassign) as resp:
        drag(page, card, target)
    assert resp.value.status == 200
    assert resp.value.request.post_data_json == {"assignee": "manager1"}
    card = page.locator("[data-testid=board-card]", has_text=title)
    card.wait_for()
    column = page.locator(".board-column", has=card)
    assert column.locator("h2").inner_text().startswith("Maria Manager")
    assert page.locator("#board-error").is_hidden()
    assert director.console_errors == []

    # The server agrees: manager1 now has the task, manager2 no longer does.
    m2 = new_session().login("manager2")
    assert _row_for(m2, title).count() == 0
    page.goto(assignment_url)
    assert _dd_after(page, "Executor") == "Maria Manager"

    # ... and the new executor can finish the assignment.
    m1 = new_session().login("manager1")
    assert _row_for(m1, title).count() == 1
    _open_task(m1, title)
    m1.locator("textarea[name=result_comment]").fill("Checked after the handover.")
    with m1.expect_navigation():
        m1.get_by_test_id("complete").click()
    assert path_of(m1.url) == "/tasks"
    assert _row_for(m1, title).count() == 0
    page.goto(assignment_url)
    assert page.get_by_test_id("assignment-status").get_attribute("data-status") == "completed"


def _dd_after(page: Any, label: str) -> str:
    dd = page.locator("dt", has_text=label).first.locator("xpath=following-sibling::dd[1]")
    return str(dd.inner_text()).strip()
