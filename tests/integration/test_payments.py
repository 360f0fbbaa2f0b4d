"""Payments (issue 9 §4) over HTTP: created from the deal's and the order's Payments tab (prefilled), the payment
cycle's rules (planned needs a planned date, paid an actual date, canceled a comment, partially paid a part of the
amount), the order's paid and outstanding amounts, expiry when the planned date passes unpaid (the process's timer
fired by the clock's command) — and an attacker's pass."""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from typing import Any

import pytest
import sqlalchemy as sa

from tests.conftest import api_token, login
from tests.factories import make_record, make_user

pytestmark = pytest.mark.db


@pytest.fixture()
def world(users: dict[str, Any], app: Any, db_session: Any) -> dict[str, Any]:
    from app.directories.services import ensure_seed
    from app.orders.services import create_order_for_deal
    from app.records.kinds import get_kind
    from app.records.lines import add_line

    ensure_seed()
    make_user(login="observer", group_ids=[app.config["CRM_GROUP_CRM_MANAGER"]])
    deal = make_record("deal", users["director"], name="Romashka CRM", company_name="OOO Romashka",
                       responsible="manager1", observers=["observer"])
    other = make_record("deal", users["director"], name="Deal of manager2", responsible="manager2")
    add_line(get_kind("deal"), deal.id, {"name": "CRM license", "price": "1000.00", "quantity": "10"},
             users["director"])
    order = create_order_for_deal(deal.id, {}, users["manager1"], copy_deal_lines=True)  # 12000.00 with VAT
    db_session.commit()
    return {"deal": deal.id, "other": other.id, "order": order.id}


def _future(days: int = 10) -> str:
    return (date.today() + timedelta(days=days)).isoformat()


def _paid(client: Any, order_id: int, h: dict[str, str]) -> tuple[str, str]:
    body = client.get(f"/api/v1/orders/{order_id}/paid", headers=h).get_json()
    return body["paid"], body["outstanding"]


def test_payments_of_a_deal_and_of_an_order_are_prefilled(client: Any, world: dict[str, Any]) -> None:
    h = api_token(client, "manager1")
    missing = client.post(f"/api/v1/deals/{world['deal']}/payments", json={}, headers=h)
    assert missing.status_code == 422 and "amount" in missing.get_json()["error"]["fields"]
    of_deal = client.post(f"/api/v1/deals/{world['deal']}/payments", json={"amount": "500.00"}, headers=h)
    assert of_deal.status_code == 201, of_deal.get_json()
    body = of_deal.get_json()
    assert (body["deal_id"], body["order_id"], body["responsible"], body["currency"], body["status"],
            body["amount"]) == (world["deal"], None, "manager1", "RUB", "draft", "500.00")
    assert body["name"].startswith("Payment for D-") and body["number"].startswith("P-")
    # From the order: its deal, currency and outstanding amount.
    of_order = client.post(f"/api/v1/orders/{world['order']}/payments", json={}, headers=h).get_json()
    assert (of_order["order_id"], of_order["deal_id"], of_order["amount"], of_order["currency"]) == \
        (world["order"], world["deal"], "12000.00", "RUB")
    wrong = client.post(f"/api/v1/orders/{world['order']}/payments", json={"currency": "USD"}, headers=h)
    assert wrong.status_code == 422 and "currency" in wrong.get_json()["error"]["fields"]
    assert [p["id"] for p in client.get(f"/api/v1/deals/{world['deal']}/payments", headers=h).get_json()["items"]] \
        == [body["id"], of_order["id"]]
    assert [p["id"] for p in client.get(f"/api/v1/orders/{world['order']}/payments",
                                        headers=h).get_json()["items"]] == [of_order["id"]]


def test_the_cycle_refuses_without_dates_and_the_order_shows_what_is_paid(
        client: Any, world: dict[str, Any]) -> None:
    h = api_token(client, "manager1")
    first = client.post(f"/api/v1/orders/{world['order']}/payments", json={"amount": "5000.00"}, headers=h).get_json()
    second = client.post(f"/api/v1/orders/{world['order']}/payments", json={"amount": "7000.00"},
                         headers=h).get_json()
    base = f"/api/v1/payments/{first['id']}"
    # Planned needs a planned date (today or later).
    refused = client.post(f"{base}/status", json={"status": "planned"}, headers=h)
    assert refused.status_code == 422 and "planned_date" in refused.get_json()["error"]["fields"]
    past = client.patch(base, json={"planned_date": "2020-01-01", "version": first["version"]}, headers=h).get_json()
    assert client.post(f"{base}/status", json={"status": "planned"}, headers=h).status_code == 422
    client.patch(base, json={"planned_date": _future(), "version": past["version"]}, headers=h)
    planned = client.post(f"{base}/status", json={"status": "planned"}, headers=h)
    assert planned.status_code == 200 and planned.get_json()["status"] == "planned"
    # Paid needs the actual date.
    no_date = client.post(f"{base}/status", json={"status": "paid"}, headers=h)
    assert no_date.status_code == 422 and "actual_date" in no_date.get_json()["error"]["fields"]
    bad_date = client.post(f"{base}/status", json={"status": "paid", "actual_date": "31.12.2026"}, headers=h)
    assert bad_date.status_code == 422
    paid = client.post(f"{base}/status", json={"status": "paid", "actual_date": "2026-12-01"}, headers=h)
    assert paid.status_code == 200, paid.get_json()
    assert (paid.get_json()["status"], paid.get_json()["actual_date"], paid.get_json()["paid_amount"]) == \
        ("paid", "2026-12-01", "5000.00")
    assert _paid(client, world["order"], h) == ("5000.00", "7000.00")
    # The second is partially paid: more than zero and less than its amount.
    other = f"/api/v1/payments/{second['id']}"
    client.patch(other, json={"planned_date": _future(), "version": second["version"]}, headers=h)
    assert client.post(f"{other}/status", json={"status": "planned"}, headers=h).status_code == 200
    too_much = client.post(f"{other}/status", json={"status": "partially_paid", "paid_amount": "7000.00",
                                                    "actual_date": "2026-12-02"}, headers=h)
    # The process's service task refuses it: the field error reaches the client as such, nothing changes.
    assert too_much.status_code == 422 and "paid_amount" in too_much.get_json()["error"]["fields"], \
        too_much.get_json()
    assert client.get(other, headers=h).get_json()["status"] == "planned"
    part = client.post(f"{other}/status", json={"status": "partially_paid", "paid_amount": "2000.50",
                                                "actual_date": "2026-12-02"}, headers=h)
    assert part.status_code == 200, part.get_json()
    assert _paid(client, world["order"], h) == ("7000.50", "4999.50")
    # Canceled needs a comment; a canceled payment counts nothing.
    assert client.post(f"{other}/status", json={"status": "canceled"}, headers=h).status_code == 422
    assert client.post(f"{other}/status", json={"status": "canceled", "cancel_comment": " "},
                       headers=h).status_code == 422
    canceled = client.post(f"{other}/status", json={"status": "canceled", "cancel_comment": "Paid by another"},
                           headers=h)
    assert canceled.status_code == 200 and canceled.get_json()["cancel_comment"] == "Paid by another"
    assert _paid(client, world["order"], h) == ("5000.00", "7000.00")
    login(client, "manager1")
    card = client.get(f"/orders/{world['order']}").get_data(as_text=True)
    assert 'data-testid="order-paid"' in card and "5\u202f000.00" in card and "7\u202f000.00" in card


def test_a_planned_payment_expires_when_its_date_passes_unpaid(client: Any, world: dict[str, Any], app: Any) -> None:
    from app.auth.services import find_user_by_login
    from app.extensions import db
    from app.processes import services as processes
    from app.tasks.models import HumanTask

    h = api_token(client, "manager1")
    payment = client.post(f"/api/v1/deals/{world['deal']}/payments",
                          json={"amount": "100.00", "planned_date": _future(3)}, headers=h).get_json()
    base = f"/api/v1/payments/{payment['id']}"
    assert client.post(f"{base}/status", json={"status": "planned"}, headers=h).status_code == 200
    instance: Any = processes.find_instance_for("payment", payment["id"])
    assert instance is not None and instance.next_timer_at is not None
    # The end of the planned day in Moscow: 21:00 UTC of that day.
    due = datetime.combine(date.fromisoformat(payment["planned_date"]), datetime.min.time(), timezone.utc) \
        + timedelta(hours=21)
    assert instance.next_timer_at == due
    # A later planned date moves the deadline (the process's planned_date_changed message).
    version = client.get(base, headers=h).get_json()["version"]
    moved = client.patch(base, json={"planned_date": _future(5), "version": version}, headers=h)
    assert moved.status_code == 200, moved.get_json()
    db.session.expire_all()
    instance = processes.find_instance_for("payment", payment["id"])
    assert instance.next_timer_at == due + timedelta(days=2)
    # Nothing fires before it; after it the payment is expired and the responsible has a task.
    assert processes.fire_due_timers(instance.id, at=due + timedelta(days=1)) is False
    assert processes.fire_due_timers(instance.id, at=due + timedelta(days=2, minutes=1)) is True
    db.session.commit()
    assert client.get(base, headers=h).get_json()["status"] == "expired"
    overdue: Any = db.session.scalar(sa.select(HumanTask).where(HumanTask.record_type == "payment",
                                                                HumanTask.record_id == payment["id"],
                                                                HumanTask.task_name == "overdue_payment"))
    manager1: Any = find_user_by_login("manager1")
    assert overdue is not None and overdue.status == "open" and overdue.assignee_id == manager1.id
    # Paid after all: the overdue task is closed with the process.
    paid = client.post(f"{base}/status", json={"status": "paid", "actual_date": _future(5)}, headers=h)
    assert paid.status_code == 200, paid.get_json()
    db.session.expire_all()
    closed: Any = db.session.get(HumanTask, overdue.id)
    assert closed.status == "canceled"


def test_an_attacker_gets_nothing(client: Any, world: dict[str, Any]) -> None:
    m1, m2, obs = api_token(client, "manager1"), api_token(client, "manager2"), api_token(client, "observer")
    payment = client.post(f"/api/v1/orders/{world['order']}/payments", json={"amount": "10.00"}, headers=m1).get_json()
    base = f"/api/v1/payments/{payment['id']}"
    for path in (base, f"{base}/actions", f"/api/v1/orders/{world['order']}/payments",
                 f"/api/v1/deals/{world['deal']}/payments", f"/api/v1/orders/{world['order']}/paid"):
        assert client.get(path, headers=m2).status_code == 404, path
    assert client.post(f"/api/v1/orders/{world['order']}/payments", json={"amount": "1"}, headers=m2).status_code \
        == 404
    assert client.post(f"/api/v1/deals/{world['deal']}/payments", json={"amount": "1"}, headers=m2).status_code == 404
    assert client.patch(base, json={"amount": "1.00", "version": payment["version"]}, headers=m2).status_code == 404
    assert client.post(f"{base}/status", json={"status": "canceled", "cancel_comment": "x"},
                       headers=m2).status_code == 404
    # The deal's observer reads the deal's payments, writes none.
    assert client.get(f"/api/v1/deals/{world['deal']}/payments", headers=obs).status_code == 200
    assert client.post(f"/api/v1/deals/{world['deal']}/payments", json={"amount": "1"}, headers=obs).status_code \
        == 403
    # Another manager's deal for one's own payment: not found.
    assert client.post(f"/api/v1/deals/{world['other']}/payments", json={"amount": "1"}, headers=m1).status_code \
        == 404
    version = payment["version"]
    for body, field in (({"order_id": 1}, "order_id"), ({"deal_id": world["other"]}, "deal_id"),
                        ({"status": "paid"}, "status"), ({"paid_amount": "10.00"}, "paid_amount"),
                        ({"amount": 10}, "amount"), ({"amount": "-5"}, "amount"), ({"amount": "1e5"}, "amount"),
                        ({"planned_date": "tomorrow"}, "planned_date"), ({"currency": "XXX"}, "currency"),
                        ({"name": "x" * 301}, "name"), ({"comment": "x" * 20001}, "comment")):
        response = client.patch(base, json={**body, "version": version}, headers=m1)
        assert response.status_code == 422, (body, response.get_json())
        assert field in response.get_json()["error"]["fields"], (body, response.get_json())
    assert client.patch(base, json={"name": "Bad\x07name", "version": version}, headers=m1).status_code in (400, 422)
    # A transition form's undeclared field is refused too.
    assert client.post(f"{base}/status", json={"status": "canceled", "cancel_comment": "x", "paid_amount": "1"},
                       headers=m1).status_code == 422
    after = client.get(base, headers=m1).get_json()
    assert (after["version"], after["status"], after["amount"]) == (version, "draft", "10.00")


def test_the_pages_payments_tabs_and_create_forms(client: Any, world: dict[str, Any]) -> None:
    login(client, "manager1")
    deal_page = client.get(f"/deals/{world['deal']}").get_data(as_text=True)
    assert f"/deals/{world['deal']}/payments/new" in deal_page
    form = client.get(f"/orders/{world['order']}/payments/new")
    assert form.status_code == 200 and 'value="12000.00"' in form.get_data(as_text=True)
    assert client.post(f"/orders/{world['order']}/payments/new",
                       data={"name": "Prepayment", "amount": "abc", "currency": "RUB"}).status_code == 422
    created = client.post(f"/deals/{world['deal']}/payments/new",
                          data={"name": "Prepayment", "amount": "3000", "currency": "RUB"})
    assert created.status_code == 302
    card = client.get(created.headers["Location"]).get_data(as_text=True)
    assert "Prepayment" in card and 'data-testid="payment-deal-link"' in card
    assert "Prepayment" in client.get(f"/deals/{world['deal']}").get_data(as_text=True)
    assert "Prepayment" in client.get("/payments").get_data(as_text=True)
    # Planning from the card without a planned date is refused with the reason.
    payment_id = int(created.headers["Location"].rstrip("/").rsplit("/", 1)[1])
    refused = client.post(f"/payments/{payment_id}/status", data={"status": "planned"}, follow_redirects=True)
    assert "Fill in the planned date" in refused.get_data(as_text=True)
    login(client, "manager2")
    assert client.get(f"/orders/{world['order']}/payments/new").status_code == 404
    assert client.get(created.headers["Location"]).status_code == 404
