"""Activities and Create Assignment on the deal card in the real browser (issue 8 §6, §7): the
responsible manager plans a meeting, completes it with a result, cancels another after confirming, and
creates an assignment for a colleague, which shows in the deal's All Tasks and in the executor's inbox."""
from __future__ import annotations

import uuid
from datetime import date, timedelta
from typing import Any

import pytest

from tests.browser.conftest import path_of

pytestmark = pytest.mark.browser


def _plan(page: Any, kind: str, subject: str, due: str) -> Any:
    page.get_by_test_id("plan-activity").locator("summary").click()
    form = page.get_by_test_id("activity-form")
    form.locator("#activity-kind").select_option(kind)
    form.locator("#activity-subject").fill(subject)
    form.locator("#activity-due").fill(due)
    with page.expect_navigation():
        form.get_by_test_id("add-activity").click()
    return page.locator("[data-testid=activity]", has_text=subject)


def test_plan_complete_cancel_and_assign_from_the_deal_card(new_session: Any) -> None:
    page = new_session().login("manager1")
    name = f"Activities tour {uuid.uuid4().hex[:6]}"
    page.goto("/deals/new")
    page.fill("#name", name)
    page.select_option("#responsible", "manager1")
    with page.expect_navigation():
        page.get_by_test_id("create-deal").click()
    url = path_of(page.url)

    # 1. A meeting planned for next week shows in the timeline as planned; completed with its result.
    meeting = _plan(page, "meeting", "Demo at the client's office", f"{date.today() + timedelta(days=7)}T11:30")
    assert meeting.get_attribute("data-status") == "planned"
    assert "Planned" in meeting.get_by_test_id("activity-status").inner_text()
    meeting.locator("input[name=result]").fill("They want 50 licences from January")
    with page.expect_navigation():
        meeting.get_by_test_id("complete-activity").click()
    meeting = page.locator("[data-testid=activity]", has_text="Demo at the client's office")
    assert meeting.get_attribute("data-status") == "completed"
    assert "They want 50 licences from January" in meeting.get_by_test_id("activity-result").inner_text()

    # 2. A call is canceled only after the confirmation question is accepted.
    call = _plan(page, "call", "Remind about the invoice", f"{date.today() + timedelta(days=2)}T09:00")
    questions: list[str] = []

    def dismiss(dialog: Any) -> None:
        questions.append(dialog.message)
        dialog.dismiss()

    page.once("dialog", dismiss)
    call.get_by_test_id("cancel-activity").click()
    page.wait_for_timeout(300)
    assert questions and "Remind about the invoice" in questions[0]
    assert call.get_attribute("data-status") == "planned"  # dismissed: nothing happened
    page.once("dialog", lambda d: d.accept())
    with page.expect_navigation():
        call.get_by_test_id("cancel-activity").click()
    call = page.locator("[data-testid=activity]", has_text="Remind about the invoice")
    assert call.get_attribute("data-status") == "canceled"

    # 3. An assignment for manager2 from the card: in the deal's All Tasks with its executor ...
    title = f"Estimate the effort {uuid.uuid4().hex[:4]}"
    page.get_by_test_id("create-assignment").locator("summary").click()
    form = page.get_by_test_id("record-assignment-form")
    form.locator("#assignment-title").fill(title)
    form.locator("#assignment-executor").select_option("manager2")
    form.locator("#assignment-due").fill(str(date.today() + timedelta(days=3)))
    with page.expect_navigation():
        form.get_by_test_id("create-record-assignment").click()
    assert path_of(page.url) == f"{url}#assignments"
    assert title in page.get_by_test_id("record-assignments").inner_text()
    all_tasks = page.get_by_test_id("all-tasks").inner_text()
    assert "Complete assignment" in all_tasks and "Mikhail Manager" in all_tasks

    # ... and in the executor's Current tasks.
    executor = new_session().login("manager2")
    executor.goto("/tasks")
    assert executor.locator("[data-testid=task-row]", has_text=title).count() == 1
