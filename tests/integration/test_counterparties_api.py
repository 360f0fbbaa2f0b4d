"""The counterparty and directory JSON API: statuses and bodies (DESIGN §6)."""
from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from app.counterparties.models import Counterparty
from app.counterparties.registry import import_inn_registry
from app.directories.services import ensure_seed
from app.extensions import db
from tests.conftest import api_token, login
from tests.factories import make_user

pytestmark = pytest.mark.db

SAMPLE_CSV = Path(__file__).resolve().parent.parent / "data" / "inn_registry_sample.csv"
SBERBANK_INN = "7707083893"


def _count() -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(Counterparty)) or 0


def _post(client: Any, headers: dict[str, str], **body: Any) -> Any:
    return client.post("/api/v1/counterparties", json={"full_name": "ООО «Ромашка»", **body}, headers=headers)


def test_create_read_patch_and_stale_patch(client, users):
    h = api_token(client, "manager1")
    created = _post(client, h, inn=SBERBANK_INN, kpp="773601001")
    assert created.status_code == 201, created.get_json()
    body = created.get_json()
    assert body["type"] == "buyer" and body["kind"] == "legal_entity" and body["version"] == 1
    assert body["created_by"] == "manager1" and body["contacts"] == []
    cid = body["id"]

    got = client.get(f"/api/v1/counterparties/{cid}", headers=h)
    assert got.status_code == 200 and got.get_json()["inn"] == SBERBANK_INN

    patched = client.patch(f"/api/v1/counterparties/{cid}", json={"version": 1, "phone": "+7 495 1"}, headers=h)
    assert patched.status_code == 200, patched.get_json()
    assert patched.get_json()["version"] == 2 and patched.get_json()["phone"] == "+7 495 1"

    stale = client.patch(f"/api/v1/counterparties/{cid}", json={"version": 1, "phone": "lost"},
                         headers=api_token(client, "director"))
    assert stale.status_code == 409
    assert stale.get_json()["error"]["code"] == "conflict"
    assert client.get(f"/api/v1/counterparties/{cid}", headers=h).get_json()["phone"] == "+7 495 1"


def test_error_statuses(client, users):
    h = api_token(client, "manager1")
    assert client.get("/api/v1/counterparties").status_code == 401
    assert client.get("/api/v1/counterparties").get_json()["error"]["code"] == "not_authenticated"
    malformed = client.post("/api/v1/counterparties", data="not json", content_type="application/json", headers=h)
    assert malformed.status_code == 400 and malformed.get_json()["error"]["code"] == "malformed_json"
    assert client.get("/api/v1/counterparties/999999", headers=h).status_code == 404
    assert client.patch("/api/v1/counterparties/1", json={"version": "x"}, headers=h).status_code in (400, 404)

    before = _count()
    invalid = _post(client, h, inn="7707083894")
    assert invalid.status_code == 422
    error = invalid.get_json()["error"]
    assert error["code"] == "invalid_input" and error["fields"] == {"inn": "INN checksum is wrong."}
    assert _count() == before

    assert _post(client, h, inn=SBERBANK_INN).status_code == 201
    duplicate = _post(client, h, full_name="Другая", inn=SBERBANK_INN)
    assert duplicate.status_code == 422 and duplicate.get_json()["error"]["code"] == "duplicate_inn"
    assert _count() == before + 1


def test_user_in_no_crm_group_gets_403_on_create(client, users):
    make_user(login="outsider")
    db.session.commit()  # the 403 below rolls back the request's unit of work
    h = api_token(client, "outsider")
    before = _count()
    response = _post(client, h)
    assert response.status_code == 403 and response.get_json()["error"]["code"] == "permission_denied"
    assert _count() == before
    assert client.get("/api/v1/counterparties", headers=h).status_code == 200  # reading is allowed


def test_list_search_type_and_paging(client, users):
    h = api_token(client, "director")
    for name, kind in (("Альфа", "buyer"), ("Бета", "supplier"), ("Гамма", "buyer")):
        assert _post(client, h, full_name=name, type=kind).status_code == 201
    everything = client.get("/api/v1/counterparties", headers=h).get_json()
    assert everything["total"] == 3 and [c["full_name"] for c in everything["items"]] == ["Альфа", "Бета", "Гамма"]
    buyers = client.get("/api/v1/counterparties", query_string={"type": "buyer"}, headers=h).get_json()
    assert [c["full_name"] for c in buyers["items"]] == ["Альфа", "Гамма"]
    found = client.get("/api/v1/counterparties", query_string={"q": "бет"}, headers=h).get_json()
    assert [c["full_name"] for c in found["items"]] == ["Бета"]
    paged = client.get("/api/v1/counterparties", query_string={"per_page": 2, "page": 2}, headers=h).get_json()
    assert paged["total"] == 3 and [c["full_name"] for c in paged["items"]] == ["Гамма"]
    assert client.get("/api/v1/counterparties", query_string={"type": "x"}, headers=h).status_code == 422


def test_autofill_statuses(client, users):
    import_inn_registry(SAMPLE_CSV.read_text(encoding="utf-8"))
    h = api_token(client, "manager1")
    ok = client.post("/api/v1/counterparties/autofill", json={"inn": "7702043329"}, headers=h)
    assert ok.status_code == 200 and ok.get_json()["short_name"] == "ООО «Ромашка»"
    assert ok.get_json()["source"] == "registry"
    invalid = client.post("/api/v1/counterparties/autofill", json={"inn": "7707083894"}, headers=h)
    assert invalid.status_code == 422 and invalid.get_json()["error"]["fields"]["inn"] == "INN checksum is wrong."
    missing = client.post("/api/v1/counterparties/autofill", json={"inn": SBERBANK_INN}, headers=h)
    assert missing.status_code == 404 and "No company with INN" in missing.get_json()["error"]["message"]
    assert client.post("/api/v1/counterparties/autofill", json={"inn": 7707083893}, headers=h).status_code == 400


def test_contacts_over_the_api(client, users):
    h = api_token(client, "manager1")
    cid = _post(client, h).get_json()["id"]
    a = client.post(f"/api/v1/counterparties/{cid}/contacts", json={"full_name": "Анна", "is_main": True}, headers=h)
    assert a.status_code == 201
    b = client.post(f"/api/v1/counterparties/{cid}/contacts", json={"full_name": "Борис", "is_main": True}, headers=h)
    contacts = client.get(f"/api/v1/counterparties/{cid}", headers=h).get_json()["contacts"]
    assert [(c["full_name"], c["is_main"]) for c in contacts] == [("Борис", True), ("Анна", False)]
    bad = client.patch(f"/api/v1/counterparties/{cid}/contacts/{a.get_json()['id']}", json={"email": "nope"}, headers=h)
    assert bad.status_code == 422 and "email" in bad.get_json()["error"]["fields"]
    gone = client.delete(f"/api/v1/counterparties/{cid}/contacts/{b.get_json()['id']}", headers=h)
    assert gone.status_code == 204
    foreign = f"/api/v1/counterparties/{cid + 1}/contacts/{a.get_json()['id']}"
    assert client.delete(foreign, headers=h).status_code == 404


def test_session_writes_need_csrf(app, client, users, monkeypatch):
    login(client, "manager1")
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", True)
    response = _post(client, {})
    assert response.status_code == 400 and response.get_json()["error"]["code"] == "csrf_failed"


def test_directory_entries(client, users):
    ensure_seed()
    h = api_token(client, "manager1")
    response = client.get("/api/v1/directories/disqualification_reason", headers=h)
    assert response.status_code == 200
    body = response.get_json()
    assert body["total"] == 10 and body["items"][0]["code"] == "no_contact"
    assert body["items"][0]["label_ru"] == "Нет связи" and body["items"][0]["label"] == "No contact"
    assert client.get("/api/v1/directories/nope", headers=h).status_code == 404
    assert client.get("/api/v1/directories/unit").status_code == 401
    listing = client.get("/api/v1/directories", headers=h).get_json()
    assert "vat_rate" in [d["id"] for d in listing["items"]]
