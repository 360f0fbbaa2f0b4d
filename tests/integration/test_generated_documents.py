"""Generated documents over HTTP: a commercial proposal from a deal (pages and API), rendered by the job, opened
with python-docx (number, lines, totals, VAT, amount in words); retry of a failed one; statuses; and an attacker's
pass (someone else's deal 404, an observer 403, a wrong kind 404, unknown document 404)."""
from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import docx
import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from app import jobs as names
from app.documents.generation_models import GeneratedDocument
from app.extensions import db
from tests.conftest import api_token, login
from tests.factories import make_record, make_user

pytestmark = pytest.mark.db


@pytest.fixture(autouse=True)
def documents_dir(app: Flask, tmp_path: Path) -> Any:
    """Library files of this test in its own directory; .docx only (the PDF has its own test)."""
    saved = {k: app.config.get(k) for k in ("CRM_DOCUMENTS_DIR", "CRM_SOFFICE")}
    app.config.update(CRM_DOCUMENTS_DIR=str(tmp_path / "documents"), CRM_SOFFICE="off")
    yield tmp_path / "documents"
    app.config.update(saved)


def legal_entity() -> Any:
    from app.contracts.models import LegalEntity

    entity = LegalEntity(full_name="ООО «Вектор Софт»", short_name="Вектор Софт", inn="7707083893", kpp="773601001",
                         ogrn="1027700132195", address="117997, г. Москва, ул. Вавилова, д. 19",
                         bank_account="40702810938000012345", bank_name="ПАО Сбербанк", bik="044525225",
                         corr_account="30101810400000000225", director_name="Иванов И. И.",
                         chief_accountant_name="Петрова А. С.", is_active=True)
    db.session.add(entity)
    db.session.flush()
    return entity


def deal_with_lines(director: Any, responsible: str = "manager1", observers: list[str] | None = None) -> Any:
    from app.catalog.services import create_product
    from app.records import lines
    from app.records.kinds import get_kind

    deal = make_record("deal", director, name="Внедрение CRM", company_name="АО «Ромашка»", responsible=responsible,
                       observers=observers or [])
    product = create_product({"name": "Лицензия CRM", "price": "1000.00", "unit": "pcs", "vat_rate": "20"}, director)
    kind = get_kind("deal")
    lines.add_line(kind, deal.id, {"product_id": product.id, "quantity": "2"}, director)
    lines.add_line(kind, deal.id, {"name": "Внедрение", "type": "service", "unit": "hour", "price": "3000",
                                   "quantity": "10", "discount_percent": "5", "vat_rate": "20"}, director)
    return deal


@pytest.fixture()
def world(users: dict[str, Any], db_session: Any) -> dict[str, Any]:
    from flask import current_app

    observer = make_user(login="observer", full_name="Oleg Observer",
                         group_ids=[current_app.config["CRM_GROUP_CRM_MANAGER"]])
    entity = legal_entity()
    mine = deal_with_lines(users["director"])
    theirs = deal_with_lines(users["director"], responsible="manager2", observers=["observer"])
    db_session.commit()
    return {"entity": entity, "mine": mine, "theirs": theirs, "observer": observer, **users}


def run_render_jobs(app: Flask) -> list[int]:
    """Run the render jobs published so far, as the worker would (the job function, in this app)."""
    from workers.documents import render_document

    published = app.extensions.setdefault("crm_published_jobs", [])
    ids = [job.args[0] for job in published if job.name == names.RENDER_DOCUMENT]
    for job in published:
        assert job.queue == names.QUEUE_DOCUMENTS
    published.clear()
    for document_id in ids:
        render_document(document_id)
    return ids


def stored(document_id: int) -> GeneratedDocument:
    document = db.session.get(GeneratedDocument, document_id)
    assert document is not None
    return document


def docx_text(content: bytes) -> str:
    document = docx.Document(io.BytesIO(content))
    parts = [p.text for p in document.paragraphs]
    for table in document.tables:
        for row in table.rows:
            parts.append(" | ".join(cell.text for cell in row.cells))
    return "\n".join(parts)


def test_a_proposal_from_the_deal_card_is_pending_then_ready_and_downloads_as_a_valid_docx(
        app: Flask, client: FlaskClient, world: dict[str, Any], enqueued: list[Any]) -> None:
    deal = world["mine"]
    login(client, "manager1")
    card = client.get(f"/deals/{deal.id}")
    assert b'data-testid="generate-proposal"' in card.data

    response = client.post(f"/deals/{deal.id}/documents/proposal")
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/deals/{deal.id}#tab-documents")
    document = db.session.scalars(sa.select(GeneratedDocument).where(GeneratedDocument.record_id == deal.id)).one()
    assert (document.kind, document.render_status, document.status) == ("proposal", "pending", "draft")
    assert document.legal_entity_id == world["entity"].id
    pending = client.get(f"/documents/generated/deal/{deal.id}/list")
    assert b'data-render-status="pending"' in pending.data

    assert run_render_jobs(app) == [document.id]

    fragment = client.get(f"/documents/generated/deal/{deal.id}/list").get_data(as_text=True)
    assert 'data-render-status="ready"' in fragment and 'data-render-status="pending"' not in fragment
    download = client.get(f"/documents/generated/{document.id}/download")
    assert download.status_code == 200
    assert download.headers["Content-Type"].startswith("application/vnd.openxmlformats")
    text = docx_text(download.data)
    assert f"Коммерческое предложение № {document.number} от " in text
    assert "Кому: АО «Ромашка»" in text and "ООО «Вектор Софт»" in text
    assert "1 | Лицензия CRM | 2 | шт" in text
    assert "2 | Внедрение | 10 | " in text and "28\u00a0500,00" in text
    # 2 × 1000 + 10 × 3000 × 95% = 30 500 without VAT; VAT 20% = 6 100; with VAT 36 600.
    assert "Итого: 30\u00a0500,00" in text
    assert "НДС 20%: 6\u00a0100,00" in text
    assert "Итого с НДС: 36\u00a0600,00" in text
    assert "Тридцать шесть тысяч шестьсот рублей 00 копеек" in text
    assert "Maria Manager" in text  # the responsible person's signature block
    preview = client.get(f"/documents/generated/{document.id}/preview").get_data(as_text=True)
    assert "36\u00a0600,00" in preview and "Тридцать шесть тысяч шестьсот рублей 00 копеек" in preview


def test_the_api_creates_a_proposal_and_reports_status_and_download_link(
        app: Flask, client: FlaskClient, world: dict[str, Any]) -> None:
    headers = api_token(client, "manager1")
    deal = world["mine"]
    created = client.post(f"/api/v1/deals/{deal.id}/documents/proposal", headers=headers)
    assert created.status_code == 201, created.get_json()
    body = created.get_json()
    assert body["render_status"] == "pending" and body["download_url"] is None
    assert body["amount"] == "36600.00" and body["kind"] == "proposal"
    assert created.headers["Location"].endswith(f"/api/v1/documents/{body['id']}")

    second = client.post(f"/api/v1/deals/{deal.id}/documents/proposal", headers=headers).get_json()
    assert int(second["number"]) == int(body["number"]) + 1  # sequential per legal entity and year

    run_render_jobs(app)
    got = client.get(f"/api/v1/documents/{body['id']}", headers=headers).get_json()
    assert got["render_status"] == "ready" and got["pdf_url"] is None
    download = client.get(got["download_url"], headers=headers)
    assert download.status_code == 200 and download.data.startswith(b"PK")
    assert f"№ {body['number']} от" in docx_text(download.data)
    listed = client.get(f"/api/v1/deals/{deal.id}/documents", headers=headers).get_json()
    assert [d["id"] for d in listed["items"]] == [second["id"], body["id"]]


def test_a_deal_without_lines_gets_no_proposal(client: FlaskClient, users: dict[str, Any], db_session: Any) -> None:
    deal = make_record("deal", users["director"], responsible="manager1")
    db_session.commit()
    headers = api_token(client, "manager1")
    response = client.post(f"/api/v1/deals/{deal.id}/documents/proposal", headers=headers)
    assert response.status_code == 422 and response.get_json()["error"]["code"] == "no_lines"
    assert db.session.scalar(sa.select(sa.func.count(GeneratedDocument.id))) == 0


def test_a_template_error_fails_the_document_with_the_reason_and_retry_renders_it_again(
        app: Flask, client: FlaskClient, world: dict[str, Any]) -> None:
    headers = api_token(client, "manager1")
    body = client.post(f"/api/v1/deals/{world['mine'].id}/documents/proposal", headers=headers).get_json()
    document = stored(body["id"])
    broken = dict(document.context)
    del broken["responsible"]  # the template names it: StrictUndefined makes this a render error
    document.context = broken
    db.session.commit()
    run_render_jobs(app)
    got = client.get(f"/api/v1/documents/{body['id']}", headers=headers).get_json()
    assert got["render_status"] == "failed" and "responsible" in got["error"]
    assert client.get(f"/documents/generated/{body['id']}/download").status_code in (302, 401)  # not logged in
    login(client, "manager1")
    fragment = client.get(f"/documents/generated/deal/{world['mine'].id}/list").get_data(as_text=True)
    assert 'data-testid="generated-retry"' in fragment and "responsible" in fragment

    document = stored(body["id"])
    document.context = {**broken, "responsible": {"name": "Maria", "position": "", "phone": "", "email": ""}}
    db.session.commit()
    assert client.post(f"/documents/generated/{body['id']}/retry").status_code == 302
    assert run_render_jobs(app) == [body["id"]]
    got = client.get(f"/api/v1/documents/{body['id']}", headers=headers).get_json()
    assert got["render_status"] == "ready" and got["error"] is None
    again = client.post(f"/api/v1/documents/{body['id']}/retry", headers=headers)
    assert again.status_code == 409  # only a failed document is rendered again


def test_the_render_job_is_idempotent(app: Flask, client: FlaskClient, world: dict[str, Any]) -> None:
    from workers.documents import render_document

    headers = api_token(client, "manager1")
    body = client.post(f"/api/v1/deals/{world['mine'].id}/documents/proposal", headers=headers).get_json()
    run_render_jobs(app)
    file_id = stored(body["id"]).file_id
    assert file_id is not None
    assert render_document(body["id"]) is False
    assert stored(body["id"]).file_id == file_id


def test_a_proposal_has_no_status_moves(app: Flask, client: FlaskClient, world: dict[str, Any]) -> None:
    headers = api_token(client, "manager1")
    body = client.post(f"/api/v1/deals/{world['mine'].id}/documents/proposal", headers=headers).get_json()
    run_render_jobs(app)
    response = client.post(f"/api/v1/documents/{body['id']}/status", json={"status": "issued"}, headers=headers)
    assert response.status_code == 409 and response.get_json()["error"]["code"] == "illegal_status_move"
    response = client.post(f"/api/v1/documents/{body['id']}/status", json={"status": "bogus"}, headers=headers)
    assert response.status_code == 422


# --------------------------------------------------------------------------- the attacker's pass


def test_someone_elses_deal_and_its_documents_do_not_exist_for_a_manager(
        app: Flask, client: FlaskClient, world: dict[str, Any]) -> None:
    theirs = world["theirs"]
    owner = api_token(client, "manager2")
    body = client.post(f"/api/v1/deals/{theirs.id}/documents/proposal", headers=owner).get_json()
    run_render_jobs(app)

    intruder = api_token(client, "manager1")
    assert client.post(f"/api/v1/deals/{theirs.id}/documents/proposal", headers=intruder).status_code == 404
    assert client.get(f"/api/v1/documents/{body['id']}", headers=intruder).status_code == 404
    assert client.get(f"/api/v1/documents/{body['id']}/download", headers=intruder).status_code == 404
    assert client.post(f"/api/v1/documents/{body['id']}/retry", headers=intruder).status_code == 404
    assert client.post(f"/api/v1/documents/{body['id']}/status", json={"status": "canceled"},
                       headers=intruder).status_code == 404
    assert client.get(f"/api/v1/deals/{theirs.id}/documents", headers=intruder).status_code == 404
    login(client, "manager1")
    assert client.post(f"/deals/{theirs.id}/documents/proposal").status_code == 404
    assert client.get(f"/documents/generated/{body['id']}/download").status_code == 404
    assert client.get(f"/documents/generated/{body['id']}/preview").status_code == 404
    assert client.get(f"/documents/generated/deal/{theirs.id}/list").status_code == 404
    assert db.session.scalar(sa.select(sa.func.count(GeneratedDocument.id))) == 1


def test_an_observer_reads_the_documents_but_generates_none(
        app: Flask, client: FlaskClient, world: dict[str, Any]) -> None:
    theirs = world["theirs"]
    body = client.post(f"/api/v1/deals/{theirs.id}/documents/proposal",
                       headers=api_token(client, "manager2")).get_json()
    run_render_jobs(app)
    observer = api_token(client, "observer")
    assert client.post(f"/api/v1/deals/{theirs.id}/documents/proposal", headers=observer).status_code == 403
    assert client.get(f"/api/v1/documents/{body['id']}", headers=observer).status_code == 200
    assert client.get(f"/api/v1/documents/{body['id']}/download", headers=observer).status_code == 200
    assert client.post(f"/api/v1/documents/{body['id']}/status", json={"status": "canceled"},
                       headers=observer).status_code == 403
    login(client, "observer")
    card = client.get(f"/deals/{theirs.id}").get_data(as_text=True)
    assert 'data-testid="generate-proposal"' not in card and "generated-row" in card
    assert client.post(f"/deals/{theirs.id}/documents/proposal").status_code == 403
    assert db.session.scalar(sa.select(sa.func.count(GeneratedDocument.id))) == 1


def test_wrong_kinds_and_unknown_documents_are_not_found(client: FlaskClient, world: dict[str, Any]) -> None:
    headers = api_token(client, "director")
    assert client.post(f"/api/v1/orders/{world['mine'].id}/documents/receipt", headers=headers).status_code == 404
    assert client.get("/api/v1/documents/999999", headers=headers).status_code == 404
    login(client, "director")
    assert client.post(f"/orders/{world['mine'].id}/documents/proposal").status_code == 404
    assert client.get(f"/documents/generated/lead/{world['mine'].id}/list").status_code == 404
    assert client.get("/documents/generated/999999/download?format=exe").status_code == 404


def test_merging_deals_moves_the_proposals_to_the_main_deal(
        app: Flask, client: FlaskClient, world: dict[str, Any]) -> None:
    headers = api_token(client, "director")
    merged, main = world["mine"], world["theirs"]
    body = client.post(f"/api/v1/deals/{merged.id}/documents/proposal", headers=headers).get_json()
    response = client.post(f"/api/v1/deals/{merged.id}/merge", json={"main_deal_id": main.id}, headers=headers)
    assert response.status_code == 200, response.get_json()
    listed = client.get(f"/api/v1/deals/{main.id}/documents", headers=headers).get_json()
    assert [d["id"] for d in listed["items"]] == [body["id"]]
    assert client.get(f"/api/v1/deals/{merged.id}/documents", headers=headers).get_json()["items"] == []
