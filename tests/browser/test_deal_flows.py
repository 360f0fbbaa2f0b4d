"""Deals in the real browser (issue 8's walk-through): the director assigns an unassigned deal (its
Take to work disappears), the manager drags it through the stages on the kanban, Completed from
Presentation is refused with the reason, two product lines with discount and VAT give the right
totals, and merging a duplicate moves its contact and leaves a summary comment on the main deal."""
from __future__ import annotations

import json
import uuid
from typing import Any

import pytest

from tests.browser.conftest import TWO_LINES, add_lines, drag, path_of

pytestmark = pytest.mark.browser


def _new_deal(page: Any, name: str, responsible: str = "", contact: str = "") -> tuple[str, int, str]:
    page.goto("/deals/new")
    page.fill("#name", name)
    if responsible:
        page.select_option("#responsible", responsible)
    if contact:
        page.fill("#contact_full_name", contact)
        page.fill("#contact_phone", "+7 900 555-00-11")
    with page.expect_navigation():
        page.get_by_test_id("create-deal").click()
    url = path_of(page.url)
    number = page.get_by_test_id("deal-title").inner_text().split(" ")[0]
    return url, int(url.rsplit("/", 1)[1]), number


def _text(locator: Any) -> str:
    return " ".join(locator.inner_text().replace("\u202f", " ").replace("\u00a0", " ").split())


def _status_post(deal_id: int) -> Any:
    return lambda r: r.url.endswith(f"/api/v1/deals/{deal_id}/status") and r.request.method == "POST"


def test_a_deal_from_assignment_to_lines_and_merge(new_session: Any) -> None:
    director = new_session().login("director")
    name = f"Тур сделки {uuid.uuid4().hex[:6]}"
    url, deal_id, number = _new_deal(director, name)

    manager = new_session()
    page = manager.login("manager2")
    page.goto("/tasks")
    assert page.locator("[data-testid=task-row]", has_text=name).count() == 1  # Take to work for the group

    # 1. The director assigns manager2: the claim task disappears.
    director.goto(url)
    form = director.get_by_test_id("assign-responsible")
    form.locator("select").select_option("manager2")
    with director.expect_navigation():
        form.locator("button[type=submit]").click()
    assert director.get_by_test_id("deal-responsible").inner_text().strip() == "Mikhail Manager"
    page.goto("/tasks")
    assert page.locator("[data-testid=task-row]", has_text=name).count() == 0

    # 2. manager2 drags it through the stages on the kanban.
    for status in ("initial_contact", "needs_assessment", "presentation"):
        page.goto("/deals/kanban")
        card = page.locator(f"[data-testid=kanban-card][data-deal-id='{deal_id}']")
        with page.expect_navigation(), page.expect_response(_status_post(deal_id)) as response:
            drag(page, card, page.locator(f".board .cards[data-status={status}]"))
        assert response.value.status == 200, status
        assert page.locator(f".cards[data-status={status}]", has=card).count() == 1
    page.goto(url)
    assert page.get_by_test_id("action-completed").count() == 0  # not offered from Presentation

    # 3. Completed from Presentation is refused with the reason; nothing changes.
    token = page.locator('meta[name="csrf-token"]').get_attribute("content")
    refused = page.request.post(f"/api/v1/deals/{deal_id}/status", data=json.dumps({"status": "completed"}),
                                headers={"Content-Type": "application/json", "X-CSRFToken": token or ""})
    assert refused.status == 409
    assert "Decision Making" in refused.json()["error"]["message"]
    page.goto(url)
    assert page.locator("[data-testid=deal-status]").first.get_attribute("data-status") == "presentation"

    # 4. Two product lines with discount and VAT: 3 × 1 000.00 −10 % at 20 % and 1 × 333.33 without VAT.
    add_lines(page, TWO_LINES)
    assert page.get_by_test_id("deal-products").is_visible()  # the tab reopens after saving
    assert page.get_by_test_id("line-row").count() == 2
    assert _text(page.get_by_test_id("total-net")) == "3 033.33"
    assert _text(page.get_by_test_id("total-vat")) == "540.00"
    assert _text(page.get_by_test_id("total-gross")) == "3 573.33"

    # 5. A duplicate of the deal is merged into it: its contact moves and a summary comment is left.
    dup_url, _dup_id, dup_number = _new_deal(page, f"{name} (дубль)", responsible="manager2", contact="Пётр Дубль")
    page.on("dialog", lambda dialog: dialog.accept())
    merge = page.get_by_test_id("merge-form")
    merge.locator("#merge-main-deal").fill(number)
    with page.expect_navigation():
        merge.get_by_test_id("merge-submit").click()
    assert path_of(page.url) == url
    assert page.locator("[data-testid=contact-row]", has_text="Пётр Дубль").count() == 1
    assert dup_number in page.get_by_test_id("comments").inner_text()
    page.goto(dup_url)
    assert number in page.get_by_test_id("deal-merged-into").inner_text()
    assert page.get_by_test_id("save-deal").count() == 0  # read-only
    assert [e for e in manager.console_errors if "Failed to load resource" not in e] == []
