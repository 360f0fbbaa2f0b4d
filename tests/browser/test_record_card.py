"""A record card in the real browser: saving the properties form (CSRF on), a stale save, Cyrillic and
number search in the journal and kanban, and linking an existing client found by its INN."""
from __future__ import annotations

import uuid
from typing import Any

import pytest

from tests.browser.conftest import path_of

pytestmark = pytest.mark.browser

EXISTING_INN = "6604056416"  # a demo counterparty not linked to any lead (app/demo.py)


def _new_lead(page: Any, name: str) -> str:
    page.goto("/leads/new")
    page.fill("#name", name)
    page.fill("#company_name", "ООО Ромашка-Тест")
    assert page.input_value("#responsible") == ""  # the picker defaults to nobody
    page.select_option("#responsible", "manager1")
    with page.expect_navigation():
        page.get_by_test_id("create-lead").click()
    assert page.get_by_test_id("lead-title").count() == 1
    return path_of(page.url)


def test_card_save_and_a_stale_save(new_session: Any) -> None:
    session = new_session()
    page = session.login("manager1")
    name = f"Ромашка карточка {uuid.uuid4().hex[:6]}"
    url = _new_lead(page, name)
    other = session.context.new_page()
    other.goto(url)  # a second tab on the same version

    page.fill("#name", name + " (изменено)")
    page.fill("#amount", "1 250,50")
    page.select_option("#request_source", "phone")
    with page.expect_navigation() as nav:
        page.get_by_test_id("save-lead").click()
    assert nav.value.status == 200 and path_of(page.url) == url
    assert page.get_by_role("alert").filter(has_text="Saved.").count() == 1
    assert page.input_value("#name") == name + " (изменено)"
    assert page.input_value("#amount") == "1250.50"
    assert page.input_value("#request_source") == "phone"
    assert "(изменено)" in page.get_by_test_id("history").inner_text()

    # A bad value: the field error on the page, nothing saved.
    page.fill("#amount", "ten roubles")
    with page.expect_navigation() as nav:
        page.get_by_test_id("save-lead").click()
    assert nav.value.status == 422
    assert "Enter an amount like 1250.00." in page.locator("[data-field=amount] .invalid-feedback").inner_text()

    # The second tab still holds the old version: its save is refused and changes nothing.
    other.fill("#name", "Перезапись")
    with other.expect_navigation() as nav:
        other.get_by_test_id("save-lead").click()
    assert nav.value.status == 409
    assert "changed by someone else" in other.content()
    page.goto(url)
    assert page.input_value("#name") == name + " (изменено)"
    # No script or CSP errors (the 422/409 answers themselves are logged as failed loads).
    assert [e for e in session.console_errors if "Failed to load resource" not in e] == []


def test_cyrillic_and_number_search_in_journal_and_kanban(new_session: Any) -> None:
    page = new_session().login("manager1")
    name = f"Ёлка Ромашка {uuid.uuid4().hex[:6]}"
    url = _new_lead(page, name)
    number = page.get_by_test_id("lead-title").inner_text().split(" ")[0]
    for query in ("ромашка", "РОМАШКА", "ёлка", number, number.lower()):
        page.goto("/leads")
        page.fill("#q", query)
        with page.expect_navigation():
            page.locator("form[role=search] button[type=submit]").click()
        assert page.locator("[data-testid=lead-row]", has_text=name).count() == 1, query
        page.goto(f"/leads/kanban?q={query}")
        assert page.locator("[data-testid=kanban-card]", has_text=name).count() == 1, query
    assert url


def test_an_existing_client_found_by_inn_is_linked(new_session: Any) -> None:
    page = new_session().login("manager1")
    url = _new_lead(page, f"Клиент уже есть {uuid.uuid4().hex[:6]}")
    with page.expect_navigation():
        page.get_by_test_id("create-counterparty").click()
    page.fill("#inn", EXISTING_INN)
    page.fill("#full_name", "Дубль")
    with page.expect_navigation() as nav:
        page.get_by_test_id("save-counterparty").click()
    assert nav.value.status == 422
    offer = page.get_by_test_id("existing-counterparty")
    assert EXISTING_INN in offer.inner_text()
    with page.expect_navigation():
        offer.get_by_test_id("link-counterparty").click()
    assert path_of(page.url) == url
    assert page.get_by_test_id("lead-counterparty").count() == 1
    assert page.get_by_test_id("create-counterparty").count() == 0
