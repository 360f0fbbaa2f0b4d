"""Lead qualification end to end in headless Chromium: take to work, kanban drag, counterparty, deal, disqualify.

The demo database is shared by every browser test, so each test picks its demo leads by name and touches
only leads no other test uses:
- "Website form: demo access" (unassigned, "Take to work" for crm-cco): claimed and converted to a deal;
- "Integration with 1C" (manager1, not_processed): disqualified;
- "Demo request from the site" (manager1, interest_expressed): only read (visibility checks).
"""
from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from tests.browser.conftest import drag, path_of

pytestmark = pytest.mark.browser

CLAIMED_LEAD = "Website form: demo access"
DISQUALIFIED_LEAD = "Integration with 1C"
READ_ONLY_LEAD = "Demo request from the site"
REGISTRY_INN = "5005752557"  # in app/demo_data/inn_registry.csv, not yet a counterparty in the demo
REGISTRY_FULL_NAME = "Общество с ограниченной ответственностью «Горизонт Софт»"
BAD_INN = "5005752558"  # same digits, wrong checksum
NO_COUNTERPARTY = "Fill in the Counterparty before converting the lead to a deal."


def _task_row(page: Any, lead_title: str) -> Any:
    return page.locator("[data-testid=task-row]", has_text=lead_title)


def _kanban_card(page: Any, lead_id: int) -> Any:
    return page.locator(f"[data-testid=kanban-card][data-lead-id='{lead_id}']")


def _count(page: Any, status: str) -> int:
    return int(page.get_by_test_id(f"count-{status}").inner_text().strip())


def _status(page: Any) -> str:
    """The lead's status id from the card's badges (in the title and in the Status panel; both must agree).

    The badge carries the id in data-status and shows a label; without data-status the text is the id.
    """
    badges = page.get_by_test_id("lead-status")
    assert badges.count() >= 1
    ids = set()
    for badge in badges.all():
        assert badge.is_visible() and badge.inner_text().strip() != ""
        ids.add(badge.get_attribute("data-status") or badge.inner_text().strip())
    assert len(ids) == 1, ids
    return ids.pop()


def _lead_id_from_kanban(page: Any, title: str) -> int:
    card = page.locator("[data-testid=kanban-card]", has_text=title)
    assert card.count() == 1, f"expected one kanban card {title!r}, got {card.count()}"
    return int(card.get_attribute("data-lead-id"))


def _is_status_post(lead_id: int) -> Any:
    def check(r: Any) -> bool:
        return bool(r.url.endswith(f"/leads/{lead_id}/status") and r.request.method == "POST")
    return check


def _script_errors(session: Any) -> list[str]:
    """Console errors other than the ones Chromium logs for the 422 answers these tests provoke on purpose
    (a rejected form and the refused kanban drag; their statuses are asserted where they happen)."""
    return [e for e in session.console_errors
            if not (e.startswith("Failed to load resource") and "status of 422" in e)]


def _shoot(page: Any, directory: Path, name: str) -> Path:
    path = directory / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    assert path.stat().st_size > 5_000, f"{path} looks empty"
    return path


def test_manager_takes_a_lead_to_work_qualifies_it_and_converts_it_to_a_deal(
        new_session: Any, screenshot_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    manager = new_session()
    page = manager.login("manager1")
    assert path_of(page.url) == "/tasks"

    # 1. Current tasks offers "Take to work" for the unassigned lead to the crm-cco group; Claim on the row.
    row = _task_row(page, CLAIMED_LEAD)
    assert row.count() == 1, f"no 'Take to work' task for {CLAIMED_LEAD!r} in manager1's Current tasks"
    assert row.locator("td").first.inner_text().strip() == "Take to work"
    record_link = row.locator("td").nth(1).locator("a")
    assert re.fullmatch(r"L-\d+", record_link.inner_text().strip()), record_link.inner_text()
    number = record_link.inner_text().strip()
    match = re.fullmatch(r"/leads/(\d+)", record_link.get_attribute("href") or "")
    assert match, record_link.get_attribute("href")
    lead_id = int(match.group(1))
    task_id = int(row.get_attribute("data-task-id"))
    lead_url = f"/leads/{lead_id}"

    # Before the claim the lead is unassigned and open to the whole group (manager2 sees it too).
    other = new_session().login("manager2")
    assert other.goto(lead_url).status == 200
    assert other.get_by_test_id("lead-responsible").inner_text().strip() == "Unassigned"

    # Claiming "Take to work" is the whole task: it opens the lead card, now manager1's.
    with page.expect_navigation() as nav:
        row.get_by_role("button", name="Claim").click()
    assert nav.value.status == 200
    assert path_of(page.url) == lead_url
    assert page.get_by_role("alert").filter(has_text=f"You took {number} {CLAIMED_LEAD} to work.").count() == 1
    assert number in page.get_by_test_id("lead-title").inner_text()
    assert CLAIMED_LEAD in page.get_by_test_id("lead-title").inner_text()
    assert page.get_by_test_id("lead-responsible").inner_text().strip() == "Maria Manager"
    assert _status(page) == "not_processed"
    assert page.get_by_test_id("action-interest_expressed").is_visible()
    assert "Take to work — Maria Manager" in page.get_by_test_id("all-tasks").inner_text()
    page.goto("/tasks")
    assert _task_row(page, CLAIMED_LEAD).count() == 0, "'Take to work' stayed in Current tasks after the claim"
    page.goto(f"/tasks/{task_id}")
    assert page.get_by_test_id("claim").count() == 0
    assert page.get_by_test_id("task-form").count() == 0

    # Now it is manager1's lead: the other manager loses it.
    assert other.goto(lead_url).status == 404
    assert CLAIMED_LEAD not in other.content()

    # 2. Kanban: drag the card from Not Processed to Interest Expressed; the page reloads with the new counts.
    page.goto("/leads/kanban")
    card = _kanban_card(page, lead_id)
    assert page.locator(".cards[data-status=not_processed]", has=card).count() == 1
    assert "Maria Manager" in card.inner_text()
    np_before, ie_before = _count(page, "not_processed"), _count(page, "interest_expressed")
    target = page.locator(".board .cards[data-status=interest_expressed]")
    with page.expect_navigation(), page.expect_response(_is_status_post(lead_id)) as resp:
        drag(page, card, target)
    assert resp.value.status == 200
    assert resp.value.request.post_data_json == {"status": "interest_expressed"}
    page.wait_for_load_state()
    card = _kanban_card(page, lead_id)
    card.wait_for()
    assert page.locator(".cards[data-status=interest_expressed]", has=card).count() == 1
    assert page.locator(".cards[data-status=not_processed]", has=card).count() == 0
    assert _count(page, "not_processed") == np_before - 1
    assert _count(page, "interest_expressed") == ie_before + 1
    assert page.get_by_test_id("kanban-error").is_hidden()

    # A drag to Deal without a counterparty is refused: the error shows and the card goes back.
    deal_before = _count(page, "deal")
    with page.expect_response(_is_status_post(lead_id)) as resp:
        drag(page, card, page.locator(".board .cards[data-status=deal]"))
    assert resp.value.status == 422
    error = page.get_by_test_id("kanban-error")
    error.wait_for(state="visible")
    assert error.inner_text().strip() == NO_COUNTERPARTY
    assert page.locator(".cards[data-status=interest_expressed]", has=card).count() == 1
    page.reload()
    assert page.locator(".cards[data-status=interest_expressed]", has=_kanban_card(page, lead_id)).count() == 1
    assert _count(page, "deal") == deal_before
    _shoot(page, screenshot_dir, "leads-kanban-manager1")

    # 3. "Convert to deal" on the card without a counterparty: the guard message, the status stays.
    page.goto(lead_url)
    assert _status(page) == "interest_expressed"
    with page.expect_navigation():
        page.get_by_test_id("action-deal").click()
    assert path_of(page.url) == lead_url
    assert page.get_by_role("alert").filter(has_text=NO_COUNTERPARTY).count() == 1
    assert _status(page) == "interest_expressed"
    assert page.get_by_test_id("deal-link").count() == 0

    # 4. Create Counterparty: auto-fill from the registry, a wrong INN is rejected, the right one is saved.
    with page.expect_navigation():
        page.get_by_test_id("create-counterparty").click()
    assert path_of(page.url) == f"{lead_url}/counterparty"
    page.fill("#inn", REGISTRY_INN)
    with page.expect_navigation() as nav:
        page.get_by_test_id("autofill").click()
    assert nav.value.status == 200
    assert page.get_by_role("alert").filter(has_text="Requisites filled in from the registry.").count() == 1
    assert page.input_value("#full_name") == REGISTRY_FULL_NAME
    assert page.input_value("#short_name") == "ООО «Горизонт Софт»"
    assert page.input_value("#kpp") == "500501001"
    assert page.input_value("#inn") == REGISTRY_INN

    page.fill("#inn", BAD_INN)
    with page.expect_navigation() as nav:
        page.get_by_test_id("save-counterparty").click()
    assert nav.value.status == 422
    assert path_of(page.url) == f"{lead_url}/counterparty"
    inn = page.locator("#inn")
    assert "is-invalid" in (inn.get_attribute("class") or "")
    inn_error = page.locator("[data-testid=counterparty-form] .invalid-feedback").filter(has_text="INN")
    assert inn_error.count() >= 1 and inn_error.first.is_visible()
    assert "checksum" in inn_error.first.inner_text()
    assert page.input_value("#full_name") == REGISTRY_FULL_NAME  # the rest is kept for the correction
    assert page.input_value("#inn") == BAD_INN
    page.goto(lead_url)
    assert page.get_by_test_id("lead-counterparty").count() == 0, "a counterparty was set despite the INN error"
    page.go_back()

    page.fill("#inn", REGISTRY_INN)
    with page.expect_navigation() as nav:
        page.get_by_test_id("save-counterparty").click()
    assert nav.value.status == 200
    assert path_of(page.url) == lead_url
    assert page.get_by_role("alert").filter(has_text="Counterparty created and set on the lead.").count() == 1
    counterparty = page.get_by_test_id("lead-counterparty")
    assert counterparty.inner_text().strip() in ("ООО «Горизонт Софт»", REGISTRY_FULL_NAME)
    assert counterparty.locator("xpath=following-sibling::small[1]").inner_text().strip() == f"INN {REGISTRY_INN}"
    assert page.get_by_test_id("create-counterparty").count() == 0
    assert _status(page) == "interest_expressed"
    _shoot(page, screenshot_dir, "lead-card-manager1")

    # 5. Convert to deal: lands on the deal, which links back to the lead; the lead is closed as "deal".
    with page.expect_navigation() as nav:
        page.get_by_test_id("action-deal").click()
    assert nav.value.status == 200
    match = re.fullmatch(r"/deals/(\d+)", path_of(page.url))
    assert match, page.url
    deal_url = path_of(page.url)
    assert page.get_by_role("alert").filter(has_text="The lead was converted to a deal.").count() == 1
    assert CLAIMED_LEAD in page.get_by_test_id("deal-title").inner_text()
    assert page.get_by_test_id("deal-status").inner_text().strip() != ""
    assert "Горизонт Софт" in page.get_by_test_id("deal-client").inner_text()
    back = page.get_by_test_id("deal-lead-link")
    assert back.get_attribute("href") == lead_url
    _shoot(page, screenshot_dir, "deal-from-lead-manager1")
    with page.expect_navigation():
        back.click()
    assert path_of(page.url) == lead_url
    assert _status(page) == "deal"
    assert page.get_by_test_id("deal-link").get_attribute("href") == deal_url
    assert page.get_by_test_id("actions").count() == 0
    assert _script_errors(manager) == []

    with capsys.disabled():
        names = ("leads-kanban-manager1", "lead-card-manager1", "deal-from-lead-manager1")
        print("\nscreenshots:", *[str(screenshot_dir / f"{n}.png") for n in names], sep="\n  ")


def test_disqualify_requires_a_reason_and_shows_it_on_the_card(new_session: Any, screenshot_dir: Path) -> None:
    manager = new_session()
    page = manager.login("manager1")
    page.goto("/leads/kanban")
    lead_id = _lead_id_from_kanban(page, DISQUALIFIED_LEAD)
    lead_url = f"/leads/{lead_id}"
    page.goto(lead_url)
    assert page.get_by_test_id("lead-responsible").inner_text().strip() == "Maria Manager"
    assert _status(page) == "not_processed"

    with page.expect_navigation():
        page.get_by_test_id("action-disqualified").click()
    assert path_of(page.url) == f"{lead_url}?to=disqualified"
    form = page.get_by_test_id("disqualify-form")
    assert form.is_visible()
    assert page.input_value("#disqualification_reason") == ""

    # Without a reason: the field error, the form stays open, nothing changes.
    with page.expect_navigation() as nav:
        form.get_by_test_id("confirm-disqualify").click()
    assert nav.value.status == 422
    form = page.get_by_test_id("disqualify-form")
    assert form.is_visible()
    select = form.locator("#disqualification_reason")
    assert "is-invalid" in (select.get_attribute("class") or "")
    error = form.locator(".invalid-feedback")
    assert error.is_visible() and error.inner_text().strip() != ""
    assert _status(page) == "not_processed"
    page.goto(lead_url)
    assert _status(page) == "not_processed"
    assert page.get_by_test_id("disqualification-reason").count() == 0

    # With a reason and a comment: disqualified, the reason is shown and the lead is closed.
    page.goto(f"{lead_url}?to=disqualified")
    form = page.get_by_test_id("disqualify-form")
    form.locator("#disqualification_reason").select_option("competitor_choice")
    form.locator("#disqualification_comment").fill("Went with the vendor they already use.")
    with page.expect_navigation() as nav:
        form.get_by_test_id("confirm-disqualify").click()
    assert nav.value.status == 200
    assert path_of(page.url) == lead_url
    assert page.get_by_role("alert").filter(has_text="Status changed to").count() == 1
    assert _status(page) == "disqualified"
    assert page.get_by_test_id("disqualification-reason").inner_text().strip() == \
        "Chose a competitor — Went with the vendor they already use."
    assert page.get_by_test_id("actions").count() == 0
    assert page.get_by_test_id("disqualify-form").count() == 0
    assert page.locator("#name").is_disabled()
    _shoot(page, screenshot_dir, "lead-card-disqualified-manager1")

    page.goto("/leads/kanban")
    card = _kanban_card(page, lead_id)
    assert page.locator(".cards[data-status=disqualified]", has=card).count() == 1
    assert _script_errors(manager) == []


def test_a_managers_lead_is_hidden_from_the_other_manager_but_not_from_the_director(new_session: Any) -> None:
    manager1 = new_session().login("manager1")
    manager1.goto("/leads/kanban")
    lead_id = _lead_id_from_kanban(manager1, READ_ONLY_LEAD)
    lead_url = f"/leads/{lead_id}"
    assert manager1.goto(lead_url).status == 200
    assert manager1.get_by_test_id("lead-responsible").inner_text().strip() == "Maria Manager"

    manager2 = new_session().login("manager2")
    response = manager2.goto(lead_url)
    assert response.status == 404
    assert "404" in manager2.get_by_test_id("error").inner_text()
    assert manager2.get_by_test_id("lead-title").count() == 0
    assert READ_ONLY_LEAD not in manager2.content()
    manager2.goto("/leads/kanban")
    assert manager2.get_by_test_id("kanban").is_visible()
    assert manager2.get_by_test_id("kanban-card").count() >= 1  # manager2's own leads are there
    assert _kanban_card(manager2, lead_id).count() == 0
    assert manager2.locator("[data-testid=kanban-card]", has_text=READ_ONLY_LEAD).count() == 0
    # A status change through the kanban endpoint is refused the same way.
    token = manager2.locator('meta[name="csrf-token"]').get_attribute("content")
    refused = manager2.request.post(f"{lead_url}/status", data={"status": "paused"},
                                    headers={"X-CSRFToken": token, "Accept": "application/json"})
    assert refused.status == 404

    director = new_session().login("director")
    assert director.goto(lead_url).status == 200
    assert READ_ONLY_LEAD in director.get_by_test_id("lead-title").inner_text()
    assert director.get_by_test_id("lead-responsible").inner_text().strip() == "Maria Manager"
    director.goto("/leads/kanban")
    assert _kanban_card(director, lead_id).count() == 1
    manager1.goto(lead_url)
    assert _status(manager1) == "interest_expressed"
