"""The products and services catalog (issue 8 #3): who reads and who edits, pages and /api/v1/products."""
from __future__ import annotations

from typing import Any

import pytest

from app.directories.services import ensure_seed
from app.extensions import db
from tests.conftest import api_token, login

pytestmark = pytest.mark.db

LICENSE = {"name": "CRM license", "type": "product", "unit": "license", "price": "12000.00", "vat_rate": "20"}


@pytest.fixture()
def seeded(users: dict[str, Any]) -> dict[str, Any]:
    ensure_seed()
    db.session.commit()
    return users


def test_create_read_patch_deactivate_through_the_api(client: Any, seeded: dict[str, Any]) -> None:
    h = api_token(client, "manager1")
    created = client.post("/api/v1/products", json=LICENSE, headers=h)
    assert created.status_code == 201, created.get_json()
    body = created.get_json()
    assert {k: body[k] for k in LICENSE} == LICENSE and body["is_active"] is True and body["version"] == 1
    pid = body["id"]
    assert client.get(f"/api/v1/products/{pid}", headers=h).get_json()["name"] == "CRM license"

    patched = client.patch(f"/api/v1/products/{pid}", json={"price": "13000", "version": 1}, headers=h)
    assert patched.status_code == 200 and patched.get_json()["price"] == "13000.00"
    stale = client.patch(f"/api/v1/products/{pid}", json={"price": "1", "version": 1}, headers=h)
    assert stale.status_code == 409
    off = client.patch(f"/api/v1/products/{pid}", json={"is_active": False, "version": 2}, headers=h)
    assert off.status_code == 200 and off.get_json()["is_active"] is False
    assert client.get("/api/v1/products", headers=h).get_json()["total"] == 0
    assert client.get("/api/v1/products?include_inactive=1", headers=h).get_json()["total"] == 1


def test_search_finds_cyrillic_names_case_insensitively(client: Any, seeded: dict[str, Any]) -> None:
    h = api_token(client, "director")
    for name in ("Лицензия CRM", "Внедрение", "Support"):
        assert client.post("/api/v1/products", json={**LICENSE, "name": name}, headers=h).status_code == 201
    found = client.get("/api/v1/products?q=ЛИЦЕНЗ", headers=h).get_json()
    assert [p["name"] for p in found["items"]] == ["Лицензия CRM"]


def test_who_edits_the_catalog(client: Any, seeded: dict[str, Any]) -> None:
    analyst = api_token(client, "analyst")
    assert client.post("/api/v1/products", json=LICENSE, headers=analyst).status_code == 403
    assert client.get("/api/v1/products", headers=analyst).status_code == 200  # everyone signed in reads
    assert client.get("/api/v1/products").status_code == 401
    for editor in ("manager2", "director", "admin"):
        assert client.post("/api/v1/products", json=LICENSE, headers=api_token(client, editor)).status_code == 201
    pid = client.get("/api/v1/products", headers=analyst).get_json()["items"][0]["id"]
    refused = client.patch(f"/api/v1/products/{pid}", json={"price": "1", "version": 1}, headers=analyst)
    assert refused.status_code == 403


@pytest.mark.parametrize(("body", "field"), [
    ({"price": "-1"}, "price"), ({"price": "1e20"}, "price"), ({"price": "12.345"}, "price"),
    ({"price": False}, "price"), ({"vat_rate": "18"}, "vat_rate"), ({"unit": "kg"}, "unit"),
    ({"type": "thing"}, "type"), ({"name": " "}, "name"), ({"name": "x" * 256}, "name"),
    ({"colour": "red"}, "colour"),
])
def test_bad_products_are_422(client: Any, seeded: dict[str, Any], body: dict[str, Any], field: str) -> None:
    response = client.post("/api/v1/products", json={**LICENSE, **body}, headers=api_token(client, "manager1"))
    assert response.status_code == 422 and field in response.get_json()["error"]["fields"]


def test_the_catalog_pages(client: Any, seeded: dict[str, Any]) -> None:
    login(client, "manager1")
    assert 'data-testid="product-table"' in client.get("/catalog").get_data(as_text=True)
    assert client.post("/catalog/new", data={**LICENSE, "price": "abc"}).status_code == 422
    assert client.post("/catalog/new", data={**LICENSE, "vat_rate": "without_vat"}).status_code == 302
    page = client.get("/catalog?q=crm").get_data(as_text=True)
    assert "CRM license" in page and 'data-testid="product-row"' in page
    pid = client.get("/api/v1/products").get_json()["items"][0]["id"]
    assert client.post(f"/catalog/{pid}", data={**LICENSE, "name": "CRM license 2", "version": "1"}).status_code == 302
    assert client.post(f"/catalog/{pid}/active", data={"is_active": "false", "version": "2"}).status_code == 302
    assert client.get(f"/api/v1/products/{pid}").get_json()["is_active"] is False
    assert "CRM license 2" not in client.get("/catalog").get_data(as_text=True)

    client.post("/logout")
    login(client, "analyst")
    assert client.get("/catalog").status_code == 200
    assert client.get("/catalog/new").status_code == 403
    assert client.post(f"/catalog/{pid}/active", data={"is_active": "true", "version": "3"}).status_code == 403
