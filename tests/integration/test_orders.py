"""Orders (issue 9 §3) over HTTP: created from the deal's Orders tab (prefilled, the deal's lines copied), lines and
totals with VAT, the order cycle with the Commercial Director's approval (approve, or return with a comment), the
card, journal and kanban — and an attacker's pass (other managers' ids, observers, undeclared fields, wrong types,
huge and control-character input, approving without being the director)."""
from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa

from tests.conftest import api_token, login
from tests.factories import make_record, make_user

pytestmark = pytest.mark.db

PROFILE_LINES = [{"name": "CRM license", "price": "1000.00", "quantity": "3", "discount_percent": "10",
                  "vat_rate": "20", "unit": "license"},
                 {"name": "Setup", "price": "333.33", "vat_rate": "without_vat", "type": "service",
                  "unit": "service"}]


@pytest.fixture()
def world(users: dict[str, Any], app: Any, db_session: Any) -> dict[str, Any]:
    from app.directories.services import ensure_seed
    from app.records.kinds import get_kind
    from app.records.lines import add_line

    ensure_seed()
    make_user(login="observer", group_ids=[app.config["CRM_GROUP_CRM_MANAGER"]])
    deal = make_record("deal", users["director"], name="Romashka CRM", company_name="OOO Romashka",
                       responsible="manager1", observers=["observer"])
    other = make_record("deal", users["director"], name="Deal of manager2", responsible="manager2")
    for line in PROFILE_LINES:
        add_line(get_kind("deal"), deal.id, line, users["director"])
    db_session.commit()
    return {"deal": deal.id, "other": other.id}


def _create(client: Any, deal_id: int, headers: dict[str, str], **body: Any) -> Any:
    return client.post(f"/api/v1/deals/{deal_id}/orders", json=body, headers=headers)


def _open_task(order_id: int, name: str) -> Any:
    from app.extensions import db
    from app.tasks.models import HumanTask

    return db.session.scalar(sa.select(HumanTask).where(
        HumanTask.record_type == "order", HumanTask.record_id == order_id, HumanTask.task_name == name,
        HumanTask.status == "open"))


def test_an_order_from_the_deal_is_prefilled_and_copies_its_lines(client: Any, world: dict[str, Any]) -> None:
    h = api_token(client, "manager1")
    created = _create(client, world["deal"], h, copy_deal_lines=True)
    assert created.status_code == 201, created.get_json()
    order = created.get_json()
    assert (order["deal_id"], order["name"], order["company_name"], order["responsible"], order["currency"],
            order["status"]) == (world["deal"], "Romashka CRM", "OOO Romashka", "manager1", "RUB", "placement")
    assert order["number"].startswith("O-") and order["order_date"]
    # 2700.00 + 540.00 VAT and 333.33 without VAT: the order's amount is the total with VAT.
    assert order["totals"] == {"amount": "3033.33", "vat_amount": "540.00", "amount_with_vat": "3573.33"}
    assert order["amount"] == "3573.33"
    lines = client.get(f"/api/v1/orders/{order['id']}/lines", headers=h).get_json()
    assert [(i["name"], i["amount_with_vat"], i["order_id"]) for i in lines["items"]] == \
        [("CRM license", "3240.00", order["id"]), ("Setup", "333.33", order["id"])]
    # The order's lines are its own: a change there leaves the deal's lines as they were.
    first = lines["items"][0]["id"]
    assert client.patch(f"/api/v1/orders/{order['id']}/lines/{first}", json={"quantity": 1},
                        headers=h).status_code == 200
    assert client.get(f"/api/v1/orders/{order['id']}", headers=h).get_json()["amount"] == "1413.33"
    assert client.get(f"/api/v1/deals/{world['deal']}/lines", headers=h).get_json()["totals"]["amount_with_vat"] == \
        "3573.33"
    # From the catalog too, like a deal's lines.
    product = client.post("/api/v1/products", json={"name": "Support", "price": "100.00", "vat_rate": "10"},
                          headers=h).get_json()
    added = client.post(f"/api/v1/orders/{order['id']}/lines", json={"product_id": product["id"], "quantity": 2},
                        headers=h)
    assert added.status_code == 201 and added.get_json()["amount_with_vat"] == "220.00"
    listed = client.get(f"/api/v1/deals/{world['deal']}/orders", headers=h).get_json()
    assert [i["id"] for i in listed["items"]] == [order["id"]]
    # Without copying: no lines, no amount yet; the card's fields may be given.
    bare = _create(client, world["deal"], h, name="Second order", currency="USD").get_json()
    assert (bare["name"], bare["currency"], bare["amount"]) == ("Second order", "USD", None)


def test_the_director_approves_or_returns_the_order_with_a_comment(client: Any, world: dict[str, Any]) -> None:
    m1, director = api_token(client, "manager1"), api_token(client, "director")
    order = _create(client, world["deal"], m1, copy_deal_lines=True).get_json()
    base = f"/api/v1/orders/{order['id']}"
    # Placement offers sending for approval or canceling; execution is not reachable from here.
    assert {i["status"] for i in client.get(f"{base}/actions", headers=m1).get_json()["items"]} == \
        {"approving", "canceled"}
    assert client.post(f"{base}/status", json={"status": "execution"}, headers=m1).status_code == 409
    assert client.post(f"{base}/status", json={"status": "approving"}, headers=m1).status_code == 200
    # While it waits for the director nobody moves it, the manager cannot take the approval task.
    assert client.get(f"{base}/actions", headers=m1).get_json()["items"] == []
    assert client.post(f"{base}/status", json={"status": "execution"}, headers=director).status_code == 409
    task = _open_task(order["id"], "approve_order")
    assert task is not None and task.assignee_id is None and task.lane == "commercial_director"
    assert client.post(f"/api/v1/tasks/{task.id}/claim", headers=m1).status_code == 403
    assert client.post(f"/api/v1/tasks/{task.id}/complete", json={"data": {"decision": "approve"}},
                       headers=m1).status_code in (403, 404)
    assert client.get(base, headers=m1).get_json()["status"] == "approving"
    # The director returns it: a comment is required.
    assert client.post(f"/api/v1/tasks/{task.id}/claim", headers=director).status_code == 200
    refused = client.post(f"/api/v1/tasks/{task.id}/complete", json={"data": {"decision": "return"}},
                          headers=director)
    assert refused.status_code == 422, refused.get_json()
    returned = client.post(f"/api/v1/tasks/{task.id}/complete",
                           json={"data": {"decision": "return", "approval_comment": "Discount too high"}},
                           headers=director)
    assert returned.status_code == 200, returned.get_json()
    back = client.get(base, headers=m1).get_json()
    assert (back["status"], back["approval_comment"]) == ("placement", "Discount too high")
    # Sent again and approved: execution, then completed (closed: lines refuse).
    assert client.post(f"{base}/status", json={"status": "approving"}, headers=m1).status_code == 200
    task = _open_task(order["id"], "approve_order")
    client.post(f"/api/v1/tasks/{task.id}/claim", headers=director)
    approved = client.post(f"/api/v1/tasks/{task.id}/complete", json={"data": {"decision": "approve"}},
                           headers=director)
    assert approved.status_code == 200, approved.get_json()
    assert (client.get(base, headers=m1).get_json()["status"], client.get(base, headers=m1).get_json()[
        "approval_comment"]) == ("execution", "")
    assert client.post(f"{base}/status", json={"status": "completed"}, headers=m1).status_code == 200
    closed = client.post(f"{base}/lines", json={"name": "X", "price": "1"}, headers=m1)
    assert closed.status_code == 409 and closed.get_json()["error"]["code"] == "record_closed"
    from app.activities.services import list_changes

    assert [c.new_value for c in reversed(list_changes("order", order["id"], "status"))] == \
        ["approving", "placement", "approving", "execution", "completed"]


def test_an_attacker_gets_nothing(client: Any, world: dict[str, Any]) -> None:
    m1, m2, obs = api_token(client, "manager1"), api_token(client, "manager2"), api_token(client, "observer")
    order = _create(client, world["deal"], m1, copy_deal_lines=True).get_json()
    base = f"/api/v1/orders/{order['id']}"
    line = client.get(f"{base}/lines", headers=m1).get_json()["items"][0]["id"]
    # Another manager: the order, its lines and the deal's orders do not exist for them.
    for path in (base, f"{base}/lines", f"{base}/actions", f"/api/v1/deals/{world['deal']}/orders"):
        assert client.get(path, headers=m2).status_code == 404, path
    assert _create(client, world["deal"], m2).status_code == 404
    assert client.patch(base, json={"name": "Hijacked", "version": order["version"]}, headers=m2).status_code == 404
    assert client.patch(f"{base}/lines/{line}", json={"price": "1"}, headers=m2).status_code == 404
    assert client.delete(f"{base}/lines/{line}", headers=m2).status_code == 404
    assert client.post(f"{base}/status", json={"status": "approving"}, headers=m2).status_code == 404
    assert client.get("/api/v1/orders", headers=m2).get_json()["total"] == 0
    # The deal's observer reads the deal's orders tab but writes nothing; the order itself is not theirs.
    assert client.get(f"/api/v1/deals/{world['deal']}/orders", headers=obs).status_code == 200
    assert _create(client, world["deal"], obs).status_code == 403
    # manager1 cannot place an order on manager2's deal, nor attach a line of another order.
    assert _create(client, world["other"], m1).status_code == 404
    other_order = _create(client, world["other"], api_token(client, "manager2")).get_json()
    assert client.patch(f"/api/v1/orders/{other_order['id']}/lines/{line}", json={"price": "1"},
                        headers=api_token(client, "manager2")).status_code == 404
    # Undeclared fields, wrong types, huge and control-character input: 422 (or 400), nothing changes.
    version = client.get(base, headers=m1).get_json()["version"]
    for body, field in (({"deal_id": world["other"]}, "deal_id"), ({"status": "completed"}, "status"),
                        ({"amount": "1.00"}, "amount"), ({"approval_comment": "ok"}, "approval_comment"),
                        ({"currency": 5}, "currency"), ({"currency": "XXX"}, "currency"),
                        ({"order_date": "yesterday"}, "order_date"), ({"contract_id": "1"}, "contract_id"),
                        ({"contract_id": 999999}, "contract_id"), ({"name": "x" * 301}, "name"),
                        ({"counterparty_id": 999999}, "counterparty_id")):
        response = client.patch(base, json={**body, "version": version}, headers=m1)
        assert response.status_code == 422, (body, response.get_json())
        assert field in response.get_json()["error"]["fields"], (body, response.get_json())
    control = client.patch(base, json={"name": "Bad\x00name", "version": version}, headers=m1)
    assert control.status_code in (400, 422)
    assert _create(client, world["deal"], m1, copy_deal_lines="yes").status_code == 400
    assert client.post(f"/api/v1/deals/{world['deal']}/orders", json={"deal_id": world["other"]},
                       headers=m1).status_code == 422
    assert _create(client, world["deal"], m1, status="execution").status_code == 422
    after = client.get(base, headers=m1).get_json()
    assert (after["name"], after["version"], after["status"]) == ("Romashka CRM", version, "placement")


def test_the_pages_orders_tab_create_form_card_and_kanban(client: Any, world: dict[str, Any]) -> None:
    login(client, "manager1")
    deal_page = client.get(f"/deals/{world['deal']}").get_data(as_text=True)
    assert 'data-testid="orders-empty"' in deal_page and f"/deals/{world['deal']}/orders/new" in deal_page
    form = client.get(f"/deals/{world['deal']}/orders/new")
    assert form.status_code == 200 and 'value="Romashka CRM"' in form.get_data(as_text=True)
    bad = client.post(f"/deals/{world['deal']}/orders/new", data={"name": "", "currency": "RUB"})
    assert bad.status_code == 422
    created = client.post(f"/deals/{world['deal']}/orders/new",
                          data={"name": "Romashka order", "currency": "RUB", "copy_deal_lines": "on"})
    assert created.status_code == 302, created.get_data(as_text=True)[:2000]
    card = client.get(created.headers["Location"]).get_data(as_text=True)
    assert "Romashka order" in card and 'data-testid="order-products"' in card and "3\u202f573.33" in card
    assert 'data-testid="order-documents"' in card and 'data-testid="order-paid-summary"' in card
    assert "Romashka order" in client.get(f"/deals/{world['deal']}").get_data(as_text=True)
    assert "Romashka order" in client.get("/orders").get_data(as_text=True)
    assert "Romashka order" in client.get("/orders/kanban").get_data(as_text=True)
    # Another manager: neither the form nor the card.
    login(client, "manager2")
    assert client.get(f"/deals/{world['deal']}/orders/new").status_code == 404
    assert client.post(f"/deals/{world['deal']}/orders/new", data={"name": "X", "currency": "RUB"}).status_code == 404
    assert client.get(created.headers["Location"]).status_code == 404


def test_merging_deals_moves_the_orders_and_payments_to_the_main_deal(client: Any, world: dict[str, Any],
                                                                      users: dict[str, Any], db_session: Any) -> None:
    h = api_token(client, "manager1")
    duplicate = make_record("deal", users["director"], name="Romashka duplicate", responsible="manager1")
    db_session.commit()
    order = _create(client, duplicate.id, h).get_json()
    payment = client.post(f"/api/v1/orders/{order['id']}/payments", json={"amount": "10.00"}, headers=h).get_json()
    of_deal = client.post(f"/api/v1/deals/{duplicate.id}/payments", json={"amount": "5.00"}, headers=h).get_json()
    merged = client.post(f"/api/v1/deals/{duplicate.id}/merge", json={"main_deal_id": world["deal"]}, headers=h)
    assert merged.status_code == 200, merged.get_json()
    assert [o["id"] for o in client.get(f"/api/v1/deals/{world['deal']}/orders", headers=h).get_json()["items"]] == \
        [order["id"]]
    assert {p["id"] for p in client.get(f"/api/v1/deals/{world['deal']}/payments", headers=h).get_json()["items"]} \
        == {payment["id"], of_deal["id"]}
    assert client.get(f"/api/v1/deals/{duplicate.id}/orders", headers=h).get_json()["items"] == []
    comments = client.get(f"/api/v1/deals/{world['deal']}/comments", headers=h).get_json()["items"]
    summary = comments[0]["text"]
    assert f"Orders moved: {order['number']}" in summary and payment["number"] in summary \
        and of_deal["number"] in summary


def test_the_demo_has_orders_in_each_status_and_an_overdue_payment(app: Any, db_session: Any) -> None:
    from app.demo import load_demo
    from app.orders.models import Order, OrderLine
    from app.payments.models import Payment

    assert load_demo()
    db_session.commit()
    orders = db_session.scalars(sa.select(Order)).all()
    assert {o.status for o in orders} == {"placement", "approving", "execution", "completed", "canceled"}
    assert all(db_session.scalar(sa.select(sa.func.count()).where(OrderLine.order_id == o.id)) for o in orders)
    payments = db_session.scalars(sa.select(Payment)).all()
    assert {p.status for p in payments} == {"draft", "planned", "partially_paid", "paid", "expired", "canceled"}
    expired = next(p for p in payments if p.status == "expired")
    assert _open_payment_task(expired.id) == "overdue_payment"
    # The demo's generated documents include an approved order's invoice and act, rendered.
    from app.documents.generation_models import GeneratedDocument

    documents = db_session.scalars(sa.select(GeneratedDocument)).all()
    assert {d.kind for d in documents} == {"proposal", "invoice", "act"}
    assert {d.render_status for d in documents} == {"ready"}


def _open_payment_task(payment_id: int) -> str | None:
    from app.extensions import db
    from app.tasks.models import HumanTask

    return db.session.scalar(sa.select(HumanTask.task_name).where(
        HumanTask.record_type == "payment", HumanTask.record_id == payment_id, HumanTask.status == "open"))
