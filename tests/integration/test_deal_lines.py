"""A deal's products and services lines (issue 8 #3): money math to the kopeck, the deal's amount following
the lines, visibility and write access through HTTP, input validation, the card's tab."""
from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from app.activities.services import list_changes
from app.records.lines import Amounts, line_amounts
from app.deals.models import Deal
from app.directories.services import ensure_seed
from app.extensions import db
from tests.conftest import api_token, login
from tests.factories import make_record, make_user

pytestmark = pytest.mark.db


@pytest.fixture()
def world(users: dict[str, Any], app: Any) -> dict[str, Any]:
    ensure_seed()
    observer = make_user(login="observer", group_ids=[app.config["CRM_GROUP_CRM_MANAGER"]])
    deal = make_record("deal", users["director"], name="Deal of manager1", responsible="manager1",
                       observers=["observer"], amount="10.00")
    other = make_record("deal", users["director"], name="Deal of manager2", responsible="manager2")
    db.session.commit()
    return {"deal": deal.id, "other": other.id, "observer": observer}


def _lines(deal_id: int) -> str:
    return f"/api/v1/deals/{deal_id}/lines"


def test_line_amounts_round_half_up_to_kopecks() -> None:
    assert line_amounts(Decimal("1000.00"), Decimal("3"), Decimal("10"), "20") == \
        Amounts(Decimal("2700.00"), Decimal("540.00"), Decimal("3240.00"))
    assert line_amounts(Decimal("333.33"), Decimal("1"), Decimal("0"), "without_vat") == \
        Amounts(Decimal("333.33"), Decimal("0.00"), Decimal("333.33"))
    # 0.125 → 0.13 (half up, not banker's 0.12); VAT 10% of 0.13 = 0.013 → 0.01
    assert line_amounts(Decimal("0.25"), Decimal("0.5"), Decimal("0"), "10") == \
        Amounts(Decimal("0.13"), Decimal("0.01"), Decimal("0.14"))
    # 0.01 at 50% off is 0.005 → 0.01
    assert line_amounts(Decimal("0.01"), Decimal("1"), Decimal("50"), "20").net == Decimal("0.01")


def test_two_lines_totals_and_the_deal_amount_follows(client: Any, world: dict[str, Any]) -> None:
    h = api_token(client, "manager1")
    first = client.post(_lines(world["deal"]), json={"name": "CRM license", "price": "1000.00", "quantity": 3,
                                                     "discount_percent": "10", "vat_rate": "20", "unit": "license"},
                        headers=h)
    assert first.status_code == 201, first.get_json()
    assert first.get_json()["amount"] == "2700.00" and first.get_json()["vat_amount"] == "540.00"
    assert first.get_json()["amount_with_vat"] == "3240.00"
    second = client.post(_lines(world["deal"]), json={"name": "Setup", "price": "333.33", "vat_rate": "none",
                                                      "type": "service", "unit": "service"}, headers=h)
    assert second.status_code == 201, second.get_json()
    assert second.get_json()["vat_rate"] == "without_vat" and second.get_json()["quantity"] == "1.000"

    listed = client.get(_lines(world["deal"]), headers=h).get_json()
    assert [i["name"] for i in listed["items"]] == ["CRM license", "Setup"]
    assert listed["totals"] == {"amount": "3033.33", "vat_amount": "540.00", "amount_with_vat": "3573.33"}
    assert listed["deal_amount"] == "3573.33"
    deal = client.get(f"/api/v1/deals/{world['deal']}", headers=h).get_json()
    assert deal["amount"] == "3573.33"
    assert [(c.old_value, c.new_value) for c in reversed(list_changes("deal", world["deal"], "amount"))] == \
        [("10.00", "3240.00"), ("3240.00", "3573.33")]

    # Change the first line for this deal: 50% discount, 0% VAT → 1500.00; total 1833.33
    line_id = first.get_json()["id"]
    patched = client.patch(f"{_lines(world['deal'])}/{line_id}", json={"discount_percent": 50, "vat_rate": "0"},
                           headers=h)
    assert patched.status_code == 200, patched.get_json()
    assert patched.get_json()["amount_with_vat"] == "1500.00"
    assert client.get(f"/api/v1/deals/{world['deal']}", headers=h).get_json()["amount"] == "1833.33"

    assert client.delete(f"{_lines(world['deal'])}/{line_id}", headers=h).status_code == 204
    assert client.get(_lines(world["deal"]), headers=h).get_json()["deal_amount"] == "333.33"


def test_a_line_from_the_catalog_copies_its_values(client: Any, world: dict[str, Any]) -> None:
    h = api_token(client, "manager1")
    product = client.post("/api/v1/products", json={"name": "Support", "type": "service", "unit": "month",
                                                    "price": "1500.50", "vat_rate": "10"}, headers=h).get_json()
    line = client.post(_lines(world["deal"]), json={"product_id": product["id"], "quantity": "12"}, headers=h)
    assert line.status_code == 201, line.get_json()
    body = line.get_json()
    assert (body["product_id"], body["name"], body["type"], body["unit"], body["price"], body["vat_rate"]) == \
        (product["id"], "Support", "service", "month", "1500.50", "10")
    assert body["amount"] == "18006.00" and body["vat_amount"] == "1800.60"
    # A price changed for this deal only; the catalog keeps its own.
    client.patch(f"{_lines(world['deal'])}/{body['id']}", json={"price": "1400"}, headers=h)
    assert client.get(f"/api/v1/products/{product['id']}", headers=h).get_json()["price"] == "1500.50"


def test_an_invisible_deal_is_404_and_an_observer_cannot_write(client: Any, world: dict[str, Any]) -> None:
    h = api_token(client, "manager2")
    assert client.get(_lines(world["deal"]), headers=h).status_code == 404
    assert client.post(_lines(world["deal"]), json={"name": "X", "price": "1"}, headers=h).status_code == 404
    obs = api_token(client, "observer")
    assert client.get(_lines(world["deal"]), headers=obs).status_code == 200
    assert client.post(_lines(world["deal"]), json={"name": "X", "price": "1"}, headers=obs).status_code == 403
    assert client.get(_lines(world["deal"]), headers=api_token(client, "manager1")).get_json()["items"] == []


@pytest.mark.parametrize(("body", "field"), [
    ({"name": "X", "price": "1", "quantity": "-1"}, "quantity"),
    ({"name": "X", "price": "1", "quantity": 0}, "quantity"),
    ({"name": "X", "price": "1", "discount_percent": "100.01"}, "discount_percent"),
    ({"name": "X", "price": "1", "discount_percent": -5}, "discount_percent"),
    ({"name": "X", "price": "1e30"}, "price"),
    ({"name": "X", "price": "999999999999.99", "quantity": "999999999"}, "quantity"),
    ({"name": "X", "price": "1.001"}, "price"),
    ({"name": "X", "price": "NaN"}, "price"),
    ({"name": "X", "price": True}, "price"),
    ({"name": "X", "price": [1]}, "price"),
    ({"name": "X", "price": "1", "quantity": {"a": 1}}, "quantity"),
    ({"name": "X", "price": "1", "vat_rate": "18"}, "vat_rate"),
    ({"name": "X", "price": "1", "unit": "kg"}, "unit"),
    ({"name": "", "price": "1"}, "name"),
    ({"price": "1"}, "name"),
    ({"name": "X"}, "price"),
    ({"name": 5, "price": "1"}, "name"),
    ({"product_id": "1", "price": "1"}, "product_id"),
    ({"product_id": 999999}, "product_id"),
    ({"name": "X", "price": "1", "deal_id": 1}, "deal_id"),
])
def test_bad_input_is_422(client: Any, world: dict[str, Any], body: dict[str, Any], field: str) -> None:
    h = api_token(client, "manager1")
    response = client.post(_lines(world["deal"]), json=body, headers=h)
    assert response.status_code == 422, response.get_json()
    assert field in response.get_json()["error"]["fields"]
    assert client.get(_lines(world["deal"]), headers=h).get_json()["items"] == []


def test_lines_bump_the_deal_version_and_closed_deals_refuse(client: Any, world: dict[str, Any]) -> None:
    h = api_token(client, "manager1")
    version = client.get(f"/api/v1/deals/{world['deal']}", headers=h).get_json()["version"]
    assert client.post(_lines(world["deal"]), json={"name": "X", "price": "1"}, headers=h).status_code == 201
    stale = client.patch(f"/api/v1/deals/{world['deal']}", json={"name": "Renamed", "version": version}, headers=h)
    assert stale.status_code == 409
    # A line write naming a stale version is refused too.
    stale_line = client.post(_lines(world["deal"]), json={"name": "Y", "price": "1", "version": version}, headers=h)
    assert stale_line.status_code == 409
    deal = db.session.get(Deal, world["other"])
    assert deal is not None
    deal.status = "completed"  # closed (the process's rules for getting there are tested elsewhere)
    db.session.commit()
    refused = client.post(_lines(world["other"]), json={"name": "X", "price": "1"},
                          headers=api_token(client, "director"))
    assert refused.status_code == 409 and refused.get_json()["error"]["code"] == "record_closed"


def test_the_products_tab_adds_shows_and_removes_lines(client: Any, world: dict[str, Any]) -> None:
    login(client, "manager1")
    page = client.get(f"/deals/{world['deal']}").get_data(as_text=True)
    assert 'data-testid="tab-products"' in page and 'data-testid="lines-empty"' in page
    bad = client.post(f"/deals/{world['deal']}/lines", data={"name": "X", "price": "abc", "quantity": "1"})
    assert bad.status_code == 422
    form = {"name": "CRM license", "price": "1 000,00", "quantity": "3", "discount_percent": "10", "vat_rate": "20",
            "unit": "license"}
    added = client.post(f"/deals/{world['deal']}/lines", data=form)
    assert added.status_code == 302 and added.headers["Location"].endswith("#tab-products")
    page = client.get(f"/deals/{world['deal']}").get_data(as_text=True)
    assert "CRM license" in page and "3\u202f240.00" in page and "540.00" in page
    line_id = client.get(_lines(world["deal"])).get_json()["items"][0]["id"]
    assert client.get(f"/deals/{world['deal']}/lines/{line_id}").status_code == 200
    removed = client.post(f"/deals/{world['deal']}/lines/{line_id}", data={"action": "delete"})
    assert removed.status_code == 302
    assert client.get(_lines(world["deal"])).get_json()["items"] == []


def test_another_managers_line_page_is_404(client: Any, world: dict[str, Any]) -> None:
    login(client, "manager2")
    assert client.post(f"/deals/{world['deal']}/lines", data={"name": "X", "price": "1"}).status_code == 404
