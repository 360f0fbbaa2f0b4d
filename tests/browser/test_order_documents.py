"""Issue 9's Must-show walk-through in a real browser: from a deal with a client, create its contract and an order
with two lines, get the order approved by the director, generate the invoice and the act (pending → ready on the
open page, without a reload), download the .docx and open it; create a planned payment (refused without a planned
date), mark it paid (refused without an actual date); the order shows it as paid.

The live server publishes jobs to a list (CRM_JOBS_INLINE); `document_worker` plays the RQ worker in a thread,
running the render jobs a moment after they were published so the page shows them pending first. The real RQ
worker is tested in tests/workers/test_documents_worker.py.
"""
from __future__ import annotations

import io
import threading
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import docx
import pytest

from app import jobs as names
from tests.browser.conftest import add_lines, path_of, submit

pytestmark = pytest.mark.browser

#: Seconds a render job waits before the "worker" takes it: the page must show the document pending first.
WORKER_DELAY = 1.5


@pytest.fixture()
def document_worker(live_app: Any) -> Iterator[list[int]]:
    """Render the live server's published render jobs in a thread (.docx only); yields the ids rendered."""
    from app.documents import generation
    from app.extensions import db

    rendered: list[int] = []
    stop = threading.Event()

    def work() -> None:
        while not stop.wait(0.2):
            published = live_app.extensions.setdefault("crm_published_jobs", [])
            for job in [j for j in list(published) if j.name == names.RENDER_DOCUMENT]:
                published.remove(job)
                stop.wait(WORKER_DELAY)
                with live_app.app_context():
                    try:
                        if generation.render_document(job.args[0], with_pdf=False):
                            rendered.append(job.args[0])
                        db.session.commit()
                    finally:
                        db.session.remove()

    thread = threading.Thread(target=work, name="document-worker", daemon=True)
    thread.start()
    yield rendered
    stop.set()
    thread.join(timeout=30)


def _text(locator: Any) -> str:
    return " ".join(locator.inner_text().replace("\u202f", " ").replace("\u00a0", " ").split())


def _docx_text(path: Path) -> str:
    document = docx.Document(io.BytesIO(path.read_bytes()))
    return "\n".join([p.text for p in document.paragraphs] +
                     [" | ".join(c.text for c in r.cells) for t in document.tables for r in t.rows])


def _generate(page: Any, kind: str) -> Any:
    """Click Invoice/Act on the Documents tab; the new row shows pending, then ready without a reload."""
    page.get_by_test_id("tab-documents").click()
    submit(page, page.get_by_test_id(f"generate-{kind}"))
    assert page.url.endswith("#tab-documents")
    row = page.locator("[data-testid=generated-row]").first  # the newest
    document_id = row.get_attribute("data-document-id")
    assert row.get_attribute("data-render-status") == "pending"
    assert _text(row.get_by_test_id("generated-title")).startswith("Invoice" if kind == "invoice" else "Act")
    navigations: list[str] = []
    page.on("framenavigated", lambda frame: navigations.append(frame.url))
    ready = page.locator(f"[data-document-id='{document_id}'][data-render-status=ready]")
    ready.wait_for(timeout=60_000)
    assert navigations == []  # the script swapped the list in; nobody reloaded the page
    return ready


def test_contract_order_invoice_act_and_payment_from_a_deal(new_session: Any, document_worker: list[int],
                                                            tmp_path: Path) -> None:
    session = new_session()
    page = session.login("manager1")
    name = f"Поставка CRM {uuid.uuid4().hex[:6]}"

    # 1. A deal with a client and two lines.
    page.goto("/deals/new")
    page.fill("#name", name)
    page.select_option("#responsible", "manager1")
    client = page.locator("#counterparty_id option:not([value=''])").first
    page.select_option("#counterparty_id", client.get_attribute("value"))
    submit(page, page.get_by_test_id("create-deal"))
    deal_url = path_of(page.url)
    add_lines(page)

    # 2. Its contract, created from the deal (prefilled from it) and shown on the deal.
    page.goto(deal_url)
    submit(page, page.get_by_test_id("deal-contract-create-submit"))
    page.goto(deal_url)
    contract_number = page.get_by_test_id("deal-contract-link").inner_text().split(" ")[0]
    assert contract_number.startswith("C-")

    # 3. An order of the deal with a copy of its two lines, under that contract.
    page.get_by_test_id("tab-orders").click()
    submit(page, page.get_by_test_id("deal-orders").get_by_test_id("create-order"))
    submit(page, page.get_by_test_id("create-order"))
    order_url = path_of(page.url)
    order_number = page.get_by_test_id("order-title").inner_text().split(" ")[0]
    page.get_by_test_id("tab-products").click()
    assert page.get_by_test_id("line-row").count() == 2
    assert _text(page.get_by_test_id("total-gross")) == "3 573.33"

    # 4. Invoices wait for the approval; the director approves the order from the task inbox.
    page.get_by_test_id("tab-documents").click()
    submit(page, page.get_by_test_id("generate-invoice"))
    assert page.get_by_role("alert").filter(has_text="once the order is approved").count() == 1
    assert page.locator("[data-testid=generated-row]").count() == 0
    submit(page, page.get_by_test_id("action-approving"))
    director = new_session().login("director")
    director.goto("/tasks")
    row = director.locator("[data-testid=task-row]", has_text=order_number)
    submit(director, row.locator("td").first.locator("a"))
    submit(director, director.get_by_test_id("claim"))
    form = director.get_by_test_id("task-form")
    form.locator("select[name=decision]").select_option("approve")
    submit(director, form.get_by_test_id("complete"))
    page.goto(order_url)
    assert page.locator("[data-testid=order-status]").first.get_attribute("data-status") == "execution"

    # 5. The invoice and the act: pending, then ready on the open page.
    invoice = _generate(page, "invoice")
    invoice_title = _text(invoice.get_by_test_id("generated-title"))
    act = _generate(page, "act")
    assert _text(act.get_by_test_id("generated-title")).startswith("Act №")
    assert len(document_worker) == 2

    # 6. Download the invoice's .docx and open it: number, requisites, lines, totals, VAT, amount in words.
    row = page.locator("[data-testid=generated-row]", has_text=invoice_title)
    with page.expect_download() as download:
        row.get_by_test_id("generated-download-docx").click()
    target = tmp_path / download.value.suggested_filename
    download.value.save_as(target)
    assert target.name.startswith("invoice-") and target.suffix == ".docx"
    text = _docx_text(target)
    number = invoice_title.split("№")[1].strip()
    assert f"Счёт на оплату № {number} от " in text
    assert "Основание: Договор" in text and f"(заказ {order_number})" in text
    assert "1 | Лицензия | 3 | " in text and "2 | Внедрение | 1 | " in text
    # 1000 × 3 − 10% = 2700 (+20% VAT 540); 333.33 without VAT.
    assert "Итого: 3\u00a0033,33" in text and "НДС: 540,00" in text
    assert "Всего к оплате: 3\u00a0573,33" in text
    assert "Три тысячи пятьсот семьдесят три рубля 33 копейки" in text
    assert "Руководитель" in text and "Главный бухгалтер" in text
    # The preview page shows the same figures.
    submit(page, row.get_by_test_id("generated-preview"))
    assert _text(page.get_by_test_id("preview-total")) == "3 573,33"
    assert _text(page.get_by_test_id("preview-words")) == "Три тысячи пятьсот семьдесят три рубля 33 копейки"

    # 7. The invoice is issued, then paid.
    page.goto(order_url + "#tab-documents")
    row = page.locator("[data-testid=generated-row]", has_text=invoice_title)
    submit(page, row.get_by_test_id("generated-to-issued"))
    row = page.locator("[data-testid=generated-row]", has_text=invoice_title)
    assert _text(row.get_by_test_id("generated-status")) == "Issued"

    # 8. A payment of the order: planned is refused without a planned date, paid without an actual date.
    page.goto(order_url)
    page.get_by_test_id("tab-payments").click()
    submit(page, page.get_by_test_id("order-payments").get_by_test_id("create-payment"))
    submit(page, page.get_by_test_id("create-payment"))
    submit(page, page.get_by_test_id("action-planned"))
    assert page.get_by_role("alert").filter(has_text="Fill in the planned date").count() == 1
    assert page.locator("[data-testid=payment-status]").first.get_attribute("data-status") == "draft"
    page.fill("#planned_date", "2099-12-31")
    submit(page, page.get_by_test_id("save-payment"))
    submit(page, page.get_by_test_id("action-planned"))
    assert page.locator("[data-testid=payment-status]").first.get_attribute("data-status") == "planned"
    submit(page, page.get_by_test_id("action-paid"))
    submit(page, page.get_by_test_id("mark_paid-form").get_by_test_id("confirm-mark_paid"))
    assert page.get_by_test_id("mark_paid-form").locator(".invalid-feedback").count() == 1
    assert page.locator("[data-testid=payment-status]").first.get_attribute("data-status") == "planned"
    page.get_by_test_id("mark_paid-form").locator("#actual_date").fill("2026-12-01")
    submit(page, page.get_by_test_id("mark_paid-form").get_by_test_id("confirm-mark_paid"))
    assert page.locator("[data-testid=payment-status]").first.get_attribute("data-status") == "paid"

    # 9. The order shows it paid; the invoice can now be marked paid too.
    page.goto(order_url)
    page.get_by_test_id("tab-payments").click()
    assert _text(page.get_by_test_id("order-paid")) == "3 573.33 RUB"
    assert _text(page.get_by_test_id("order-outstanding")) == "0.00 RUB"
    page.get_by_test_id("tab-documents").click()
    row = page.locator("[data-testid=generated-row]", has_text=invoice_title)
    submit(page, row.get_by_test_id("generated-to-paid"))
    row = page.locator("[data-testid=generated-row]", has_text=invoice_title)
    assert _text(row.get_by_test_id("generated-status")) == "Paid"
    # The polling script runs under the CSP without errors (the refused payment moves are 422 pages, as meant).
    assert [e for e in session.console_errors if "status of 422" not in e] == []
