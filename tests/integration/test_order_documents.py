"""Invoices and acts of an order over HTTP: refused before the Commercial Director approved the order, then
generated with our legal entity's requisites from the order's contract, numbered per legal entity and year,
rendered, opened with python-docx (number, lines, totals, VAT, amount in words, signatures), and moved
draft → issued → paid (invoice) / signed (act) or canceled; someone else's order 404, an observer 403."""
from __future__ import annotations

from datetime import date
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from app.documents.generation_models import GeneratedDocument
from app.extensions import db
from tests.conftest import api_token, login
from tests.factories import make_record, make_user
from tests.integration.test_generated_documents import (deal_with_lines, docx_text, documents_dir,  # noqa: F401
                                                        legal_entity, run_render_jobs, stored)

pytestmark = pytest.mark.db


def order_of(director: Any, deal: Any, contract_id: int | None, status: str = "execution") -> Any:
    from app.orders.services import create_order_for_deal

    data = {"contract_id": contract_id} if contract_id else {}
    order = create_order_for_deal(deal.id, data, director, copy_deal_lines=True)
    order.status = status  # approved by the Commercial Director (the order_cycle process is tested elsewhere)
    db.session.flush()
    return order


@pytest.fixture()
def world(users: dict[str, Any], db_session: Any) -> dict[str, Any]:
    from flask import current_app

    from app.contracts.models import LegalEntity
    from app.counterparties.services import create_counterparty
    from app.directories.services import ensure_seed

    ensure_seed()  # currencies, units, VAT rates
    make_user(login="observer", full_name="Oleg Observer", group_ids=[current_app.config["CRM_GROUP_CRM_MANAGER"]])
    default_entity = legal_entity()  # the first active one: documents use it when nothing names another
    ours = LegalEntity(full_name="АО «Вектор Интеграция»", inn="7736050003", kpp="773601001", is_active=True,
                       bank_name="АО «Альфа-Банк»", bik="044525593", bank_account="40702810701300000001",
                       corr_account="30101810200000000593", director_name="Сидоров С. С.",
                       chief_accountant_name="Кузнецова Е. В.", address="г. Москва, ул. Тверская, д. 1")
    db.session.add(ours)
    client = create_counterparty({"full_name": "Публичное акционерное общество «Сбербанк России»",
                                  "short_name": "Сбербанк", "inn": "7707083893", "kpp": "773601001",
                                  "legal_address": "117312, г. Москва, ул. Вавилова, д. 19", "kind": "legal_entity",
                                  "type": "buyer"}, users["director"])
    director = users["director"]
    deal = deal_with_lines(director)
    deal.counterparty_id = client.id
    contract = make_record("contract", director, name="Поставка лицензий", counterparty_id=client.id,
                           legal_entity_id=ours.id, contract_number="15/2026", contract_date="2026-11-20",
                           responsible="manager1")
    mine = order_of(director, deal, contract.id)
    placed = order_of(director, deal, contract.id, status="placement")
    theirs_deal = deal_with_lines(director, responsible="manager2", observers=["observer"])
    theirs = order_of(director, theirs_deal, None)
    from app.records.kinds import get_kind
    from app.records.services import set_observers

    set_observers(get_kind("order"), theirs.id, ["observer"], director)
    theirs.responsible_id = users["manager2"].id
    mine.responsible_id = placed.responsible_id = users["manager1"].id
    db_session.commit()
    return {"mine": mine, "placed": placed, "theirs": theirs, "ours": ours, "default": default_entity,
            "client": client}


def test_an_invoice_and_an_act_of_an_approved_order_carry_the_contracts_requisites(
        app: Flask, client: FlaskClient, world: dict[str, Any]) -> None:
    order = world["mine"]
    login(client, "manager1")
    card = client.get(f"/orders/{order.id}").get_data(as_text=True)
    assert 'data-testid="generate-invoice"' in card and 'data-testid="generate-act"' in card

    assert client.post(f"/orders/{order.id}/documents/invoice").status_code == 302
    assert client.post(f"/orders/{order.id}/documents/act").status_code == 302
    invoice, act = db.session.scalars(sa.select(GeneratedDocument).where(
        GeneratedDocument.record_type == "order", GeneratedDocument.record_id == order.id)
        .order_by(GeneratedDocument.id)).all()
    assert (invoice.kind, act.kind) == ("invoice", "act")
    assert invoice.legal_entity_id == act.legal_entity_id == world["ours"].id
    assert len(run_render_jobs(app)) == 2

    text = docx_text(client.get(f"/documents/generated/{invoice.id}/download").data)
    year = date.today().year
    assert f"Счёт на оплату № {invoice.number} от " in text and str(year) in text
    for value in ("АО «Альфа-Банк»", "044525593", "40702810701300000001", "30101810200000000593",
                  "ИНН 7736050003", "КПП 773601001", "Сидоров С. С.", "Кузнецова Е. В."):
        assert value in text, value
    assert "Публичное акционерное общество «Сбербанк России», ИНН 7707083893, КПП 773601001" in text
    assert "Основание: Договор № 15/2026 от 20.11.2026" in text
    assert "Итого: 30\u00a0500,00" in text and "НДС 20%: 6\u00a0100,00" in text
    assert "Всего к оплате: 36\u00a0600,00" in text
    assert "Всего наименований 2, на сумму 36\u00a0600,00 руб." in text
    assert "Тридцать шесть тысяч шестьсот рублей 00 копеек" in text

    text = docx_text(client.get(f"/documents/generated/{act.id}/download").data)
    assert f"Акт № {act.number} от " in text and "Всего оказано услуг 2, на сумму 36\u00a0600,00 руб." in text
    assert "Заказчик: Публичное акционерное общество «Сбербанк России»" in text


def test_numbers_are_sequential_per_kind_legal_entity_and_year(
        app: Flask, client: FlaskClient, world: dict[str, Any]) -> None:
    headers = api_token(client, "manager1")
    order = world["mine"]
    first = client.post(f"/api/v1/orders/{order.id}/documents/invoice", headers=headers).get_json()
    second = client.post(f"/api/v1/orders/{order.id}/documents/invoice", headers=headers).get_json()
    act = client.post(f"/api/v1/orders/{order.id}/documents/act", headers=headers).get_json()
    assert int(second["number"]) == int(first["number"]) + 1
    assert act["number"] == "1"  # acts count on their own
    # An order without a contract: the default legal entity, its own sequence.
    director = api_token(client, "director")
    other = client.post(f"/api/v1/orders/{world['theirs'].id}/documents/invoice", headers=director).get_json()
    assert other["legal_entity_id"] == world["default"].id and other["number"] == "1"


def test_an_order_not_approved_yet_gets_no_invoice(client: FlaskClient, world: dict[str, Any]) -> None:
    headers = api_token(client, "manager1")
    response = client.post(f"/api/v1/orders/{world['placed'].id}/documents/invoice", headers=headers)
    assert response.status_code == 422 and response.get_json()["error"]["code"] == "order_not_approved"
    login(client, "manager1")
    response = client.post(f"/orders/{world['placed'].id}/documents/act", follow_redirects=True)
    assert "once the order is approved" in response.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count(GeneratedDocument.id))) == 0


def test_invoice_and_act_statuses(app: Flask, client: FlaskClient, world: dict[str, Any]) -> None:
    headers = api_token(client, "manager1")
    order = world["mine"]
    invoice = client.post(f"/api/v1/orders/{order.id}/documents/invoice", headers=headers).get_json()
    act = client.post(f"/api/v1/orders/{order.id}/documents/act", headers=headers).get_json()

    def move(document: dict[str, Any], status: str, **extra: Any) -> Any:
        return client.post(f"/api/v1/documents/{document['id']}/status", json={"status": status, **extra},
                           headers=headers)

    not_ready = move(invoice, "issued")
    assert not_ready.status_code == 409 and not_ready.get_json()["error"]["code"] == "not_ready"
    run_render_jobs(app)
    assert move(invoice, "paid").status_code == 409  # a draft is issued first
    assert move(invoice, "issued", version=invoice["version"]).status_code == 409  # stale: rendered since
    current = client.get(f"/api/v1/documents/{invoice['id']}", headers=headers).get_json()["version"]
    issued = move(invoice, "issued", version=current)
    assert issued.status_code == 200 and issued.get_json()["next_statuses"] == ["paid", "canceled"]
    assert move(invoice, "signed").status_code == 409  # an invoice is paid, not signed
    assert move(invoice, "paid").get_json()["status"] == "paid"
    assert move(invoice, "canceled").status_code == 409  # paid is final

    login(client, "manager1")
    client.post(f"/documents/generated/{act['id']}/status", data={"status": "issued"})
    client.post(f"/documents/generated/{act['id']}/status", data={"status": "signed"})
    assert stored(act["id"]).status == "signed"
    fragment = client.get(f"/documents/generated/order/{order.id}/list").get_data(as_text=True)
    assert fragment.count('data-testid="generated-status"') == 2


def test_someone_elses_order_and_an_observer(app: Flask, client: FlaskClient, world: dict[str, Any]) -> None:
    theirs = world["theirs"]
    intruder = api_token(client, "manager1")
    assert client.post(f"/api/v1/orders/{theirs.id}/documents/invoice", headers=intruder).status_code == 404
    assert client.get(f"/api/v1/orders/{theirs.id}/documents", headers=intruder).status_code == 404
    observer = api_token(client, "observer")
    assert client.post(f"/api/v1/orders/{theirs.id}/documents/invoice", headers=observer).status_code == 403
    assert client.get(f"/api/v1/orders/{theirs.id}/documents", headers=observer).status_code == 200
    owner = api_token(client, "manager2")
    made = client.post(f"/api/v1/orders/{theirs.id}/documents/act", headers=owner)
    assert made.status_code == 201
    assert client.get(f"/api/v1/documents/{made.get_json()['id']}", headers=intruder).status_code == 404
    assert client.post(f"/api/v1/orders/{theirs.id}/documents/proposal", headers=owner).status_code == 404
    assert db.session.scalar(sa.select(sa.func.count(GeneratedDocument.id))) == 1
