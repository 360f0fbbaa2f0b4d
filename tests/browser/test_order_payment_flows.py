"""Orders and payments in the real browser (issue 9's walk-through, money side): from a deal with two lines the
manager creates an order with a copy of the lines and sends it for approval, the director approves it from the
task inbox, the manager creates a payment from the order, planning it is refused without a planned date, marking it
paid is refused without an actual date, and the order then shows it as paid."""
from __future__ import annotations

import uuid
from typing import Any

import pytest

from tests.browser.conftest import add_lines, path_of, submit

pytestmark = pytest.mark.browser


def _text(locator: Any) -> str:
    return " ".join(locator.inner_text().replace("\u202f", " ").replace("\u00a0", " ").split())


def test_an_order_approved_by_the_director_and_paid(new_session: Any) -> None:
    page = new_session().login("manager1")
    name = f"Заказной тур {uuid.uuid4().hex[:6]}"
    page.goto("/deals/new")
    page.fill("#name", name)
    page.select_option("#responsible", "manager1")
    submit(page, page.get_by_test_id("create-deal"))
    deal_url = path_of(page.url)
    add_lines(page)

    # 1. The Orders tab: "Create order" is prefilled from the deal and copies its two lines.
    page.get_by_test_id("tab-orders").click()
    submit(page, page.get_by_test_id("deal-orders").get_by_test_id("create-order"))
    assert page.locator("#name").input_value() == name
    assert page.get_by_test_id("copy-deal-lines").is_checked()
    submit(page, page.get_by_test_id("create-order"))
    order_url = path_of(page.url)
    order_number = page.get_by_test_id("order-title").inner_text().split(" ")[0]
    page.get_by_test_id("tab-products").click()
    assert page.get_by_test_id("line-row").count() == 2
    assert _text(page.get_by_test_id("total-gross")) == "3 573.33"

    # 2. Sent for approval; the Commercial Director approves it from the inbox.
    submit(page, page.get_by_test_id("action-approving"))
    assert page.locator("[data-testid=order-status]").first.get_attribute("data-status") == "approving"
    director = new_session().login("director")
    director.goto("/tasks")
    row = director.locator("[data-testid=task-row]", has_text=order_number)
    assert row.count() == 1
    submit(director, row.locator("td").first.locator("a"))
    submit(director, director.get_by_test_id("claim"))
    form = director.get_by_test_id("task-form")
    form.locator("select[name=decision]").select_option("approve")
    submit(director, form.get_by_test_id("complete"))
    page.goto(order_url)
    assert page.locator("[data-testid=order-status]").first.get_attribute("data-status") == "execution"

    # 3. A payment of the order, prefilled with the outstanding amount.
    page.get_by_test_id("tab-payments").click()
    submit(page, page.get_by_test_id("order-payments").get_by_test_id("create-payment"))
    assert page.locator("#amount").input_value() == "3573.33"
    submit(page, page.get_by_test_id("create-payment"))
    payment_url = path_of(page.url)

    # 4. Planned is refused without a planned date; with one it is planned.
    submit(page, page.get_by_test_id("action-planned"))
    assert page.get_by_role("alert").filter(has_text="Fill in the planned date").count() == 1
    assert page.locator("[data-testid=payment-status]").first.get_attribute("data-status") == "draft"
    page.fill("#planned_date", "2099-12-31")
    submit(page, page.get_by_test_id("save-payment"))
    submit(page, page.get_by_test_id("action-planned"))
    assert page.locator("[data-testid=payment-status]").first.get_attribute("data-status") == "planned"

    # 5. Paid is refused without the actual date (the form says so), then accepted with it.
    submit(page, page.get_by_test_id("action-paid"))
    form = page.get_by_test_id("mark_paid-form")
    submit(page, form.get_by_test_id("confirm-mark_paid"))
    assert page.get_by_test_id("mark_paid-form").locator(".invalid-feedback").count() == 1
    assert page.locator("[data-testid=payment-status]").first.get_attribute("data-status") == "planned"
    page.get_by_test_id("mark_paid-form").locator("#actual_date").fill("2026-12-01")
    submit(page, page.get_by_test_id("mark_paid-form").get_by_test_id("confirm-mark_paid"))
    assert page.locator("[data-testid=payment-status]").first.get_attribute("data-status") == "paid"
    assert path_of(page.url) == payment_url

    # 6. The order shows it paid: nothing outstanding.
    page.goto(order_url)
    page.get_by_test_id("tab-payments").click()
    assert _text(page.get_by_test_id("order-paid")) == "3 573.33 RUB"
    assert _text(page.get_by_test_id("order-outstanding")) == "0.00 RUB"
    assert page.locator("[data-testid=payment-row]").count() == 1
    page.goto(deal_url)
    page.get_by_test_id("tab-orders").click()
    assert page.locator("[data-testid=deal-order-row]", has_text=order_number).count() == 1
