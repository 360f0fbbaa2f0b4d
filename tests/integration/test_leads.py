"""Lead qualification end to end: take to work, status hub (card, kanban, journal, API), guards, visibility."""
from __future__ import annotations

import csv
import io
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
import sqlalchemy as sa

from tests.conftest import api_token, login

pytestmark = pytest.mark.db

VALID_INN = "7707083893"


@pytest.fixture()
def seeded(users, db_session):
    from app.directories.services import ensure_seed

    ensure_seed()
    db_session.commit()
    return users


def _lead(actor: Any, db_session: Any, **data: Any) -> Any:
    from app.leads.services import create_lead

    contacts = data.pop("contacts", [{"full_name": "Olga Smirnova", "phone": "+7 495 100-20-30",
                                      "email": "olga@romashka.example"}])
    lead = create_lead({"name": "CRM for 50 users", "company_name": "Romashka", **data}, actor, contacts)
    db_session.commit()
    return lead


def _counterparty(actor: Any, db_session: Any, inn: str = VALID_INN) -> Any:
    from app.counterparties.services import create_counterparty

    cp = create_counterparty({"full_name": "ПАО Сбербанк", "short_name": "Сбербанк", "inn": inn, "kpp": "773601001"},
                             actor)
    db_session.commit()
    return cp


def _status(client, headers, lead_id, **body):
    return client.post(f"/api/v1/leads/{lead_id}/status", json=body, headers=headers)


def test_unassigned_lead_is_claimed_from_the_inbox(client, seeded, db_session):
    from app.tasks.models import HumanTask

    lead = _lead(seeded["director"], db_session)
    m1, m2 = api_token(client, "manager1"), api_token(client, "manager2")
    tasks = client.get("/api/v1/tasks", headers=m1).get_json()["items"]
    take = next(t for t in tasks if t["record_type"] == "lead")
    assert take["title"] == "Take to work" and take["candidate_groups"] == ["crm-cco"]
    assert client.get(f"/api/v1/leads/{lead.id}/actions", headers=m1).get_json()["items"] == []
    # Both managers see the unassigned lead; the claim makes manager1 responsible in one step.
    assert client.get(f"/api/v1/leads/{lead.id}", headers=m2).status_code == 200
    claimed = client.post(f"/api/v1/tasks/{take['id']}/claim", headers=m1)
    assert claimed.status_code == 200 and claimed.get_json()["status"] == "completed"
    body = client.get(f"/api/v1/leads/{lead.id}", headers=m1).get_json()
    assert body["responsible"] == "manager1" and body["processing_started_at"]
    assert db_session.scalar(sa.select(HumanTask.status).where(HumanTask.id == take["id"])) == "completed"
    actions = client.get(f"/api/v1/leads/{lead.id}/actions", headers=m1).get_json()
    assert [a["status"] for a in actions["items"]] == ["interest_expressed", "paused", "disqualified", "deal"]
    assert next(a for a in actions["items"] if a["status"] == "disqualified")["form"]["required"]
    # manager2 no longer sees manager1's lead.
    assert client.get(f"/api/v1/leads/{lead.id}", headers=m2).status_code == 404
    assert client.post(f"/api/v1/tasks/{take['id']}/claim", headers=m2).status_code in (404, 409)


def test_status_walk_guard_and_conversion_to_deal(client, seeded, db_session):
    from app.deals.models import Deal
    from app.processes.models import ProcessInstance

    lead = _lead(seeded["director"], db_session, responsible="manager1", amount="1250.50")
    m1 = api_token(client, "manager1")
    moved = _status(client, m1, lead.id, status="interest_expressed")
    assert moved.status_code == 200 and moved.get_json()["status"] == "interest_expressed"

    version = client.get(f"/api/v1/leads/{lead.id}", headers=m1).get_json()["version"]
    refused = _status(client, m1, lead.id, status="deal")
    assert refused.status_code == 422
    assert refused.get_json()["error"]["message"] == "Fill in the Counterparty before converting the lead to a deal."
    after = client.get(f"/api/v1/leads/{lead.id}", headers=m1).get_json()
    assert after["status"] == "interest_expressed" and after["version"] == version
    assert db_session.scalar(sa.select(sa.func.count()).select_from(Deal)) == 0

    cp = _counterparty(seeded["director"], db_session)
    patched = client.patch(f"/api/v1/leads/{lead.id}", json={"counterparty_id": cp.id, "version": version},
                           headers=m1)
    assert patched.status_code == 200, patched.get_json()
    converted = _status(client, m1, lead.id, status="deal")
    assert converted.status_code == 200, converted.get_json()
    body = converted.get_json()
    deal = db_session.get(Deal, body["deal_id"])
    assert body["status"] == "deal" and deal.lead_id == lead.id and deal.status == "not_processed"
    assert deal.counterparty_id == cp.id and deal.responsible.login == "manager1"
    assert str(deal.amount) == "1250.50" and [c.full_name for c in deal.contacts] == ["Olga Smirnova"]
    instance = db_session.scalar(sa.select(ProcessInstance).where(ProcessInstance.record_type == "lead",
                                                                  ProcessInstance.record_id == lead.id))
    assert instance.status == "completed"
    again = _status(client, m1, lead.id, status="paused")
    assert again.status_code == 409 and again.get_json()["error"]["code"] == "illegal_transition"


def test_illegal_move_changes_nothing(client, seeded, db_session):
    from app.activities.models import FieldChange

    lead = _lead(seeded["director"], db_session, responsible="manager1")
    m1 = api_token(client, "manager1")
    before = db_session.scalar(sa.select(sa.func.count()).select_from(FieldChange))
    for status, code in (("not_processed", 409), ("historical", 422)):
        response = _status(client, m1, lead.id, status=status)
        assert response.status_code == code, response.get_json()
    assert client.get(f"/api/v1/leads/{lead.id}", headers=m1).get_json()["status"] == "not_processed"
    assert db_session.scalar(sa.select(sa.func.count()).select_from(FieldChange)) == before


def test_disqualification_requires_a_reason(client, seeded, db_session):
    lead = _lead(seeded["director"], db_session, responsible="manager1")
    m1 = api_token(client, "manager1")
    missing = _status(client, m1, lead.id, status="disqualified")
    assert missing.status_code == 422 and "disqualification_reason" in missing.get_json()["error"]["fields"]
    unknown = _status(client, m1, lead.id, status="disqualified", reason="because")
    assert unknown.status_code == 422
    assert client.get(f"/api/v1/leads/{lead.id}", headers=m1).get_json()["status"] == "not_processed"
    ok = _status(client, m1, lead.id, status="disqualified", reason="not_target", disqualification_comment="Wrong size")
    assert ok.status_code == 200
    body = ok.get_json()
    assert body["status"] == "disqualified" and body["disqualification_reason"] == "not_target"
    assert body["disqualification_comment"] == "Wrong size"
    login(client, "manager1")
    card = client.get(f"/leads/{lead.id}").get_data(as_text=True)
    reason = card.split('data-testid="disqualification-reason"')[1].split("</dd>")[0]
    assert "Not a target client" in reason and "Wrong size" in reason


def test_card_action_and_history(client, seeded, db_session):
    lead = _lead(seeded["director"], db_session, responsible="manager1")
    login(client, "manager1")
    card = client.get(f"/leads/{lead.id}").get_data(as_text=True)
    assert 'data-testid="action-interest_expressed"' in card
    response = client.post(f"/leads/{lead.id}/status", data={"status": "interest_expressed"})
    assert response.status_code == 302
    card = client.get(f"/leads/{lead.id}").get_data(as_text=True)
    assert "Maria Manager" in card and "not_processed" not in card.split('data-testid="history"')[0][-50:]
    history = card.split('data-testid="history"')[1]
    assert "Interest Expressed" in history or "interest_expressed" in history
    # Guard failure on the card: message shown, nothing changed.
    refused = client.post(f"/leads/{lead.id}/status", data={"status": "deal"}, follow_redirects=True)
    assert "Fill in the Counterparty before converting the lead to a deal." in refused.get_data(as_text=True)


def test_kanban_drag_uses_the_same_service(client, seeded, db_session):
    lead = _lead(seeded["director"], db_session, responsible="manager1", amount="100.00")
    _lead(seeded["director"], db_session, responsible="manager1", amount="50.25", name="Second")
    login(client, "manager1")
    board = client.get("/leads/kanban").get_data(as_text=True)
    assert 'data-testid="count-not_processed">2<' in board and "150.25" in board
    moved = client.post(f"/leads/{lead.id}/status", json={"status": "paused"}, headers={"Accept": "application/json"})
    assert moved.status_code == 200 and moved.get_json()["status"] == "paused"
    illegal = client.post(f"/leads/{lead.id}/status", json={"status": "not_processed"},
                          headers={"Accept": "application/json"})
    assert illegal.status_code == 200  # paused → not_processed is allowed
    bad = client.post(f"/leads/{lead.id}/status", json={"status": "deal"}, headers={"Accept": "application/json"})
    assert bad.status_code == 422 and "Counterparty" in bad.get_json()["error"]["message"]


def test_journal_bulk_action_reports_failures(client, seeded, db_session):
    a = _lead(seeded["director"], db_session, responsible="manager1", name="A")
    b = _lead(seeded["director"], db_session, responsible="manager1", name="B")
    login(client, "manager1")
    response = client.post("/leads/status", data={"ids": [str(a.id), str(b.id)], "status": "deal"},
                           follow_redirects=True)
    assert "0 leads moved" in response.get_data(as_text=True)
    response = client.post("/leads/status", data={"ids": [str(a.id), str(b.id)], "status": "paused"},
                           follow_redirects=True)
    assert "2 leads moved" in response.get_data(as_text=True)
    db_session.expire_all()
    assert {a.status, b.status} == {"paused"}


def test_visibility_everywhere(client, seeded, db_session):
    mine = _lead(seeded["director"], db_session, responsible="manager1", name="Secret lead of manager1")
    m2 = api_token(client, "manager2")
    assert client.get(f"/api/v1/leads/{mine.id}", headers=m2).status_code == 404
    assert client.patch(f"/api/v1/leads/{mine.id}", json={"name": "x"}, headers=m2).status_code == 404
    assert _status(client, m2, mine.id, status="paused").status_code == 404
    assert client.get(f"/api/v1/leads/{mine.id}/actions", headers=m2).status_code == 404
    assert client.get("/api/v1/leads", headers=m2).get_json()["total"] == 0
    login(client, "manager2")
    assert client.get(f"/leads/{mine.id}").status_code == 404
    assert "Secret lead" not in client.get("/leads").get_data(as_text=True)
    assert "Secret lead" not in client.get("/leads/kanban").get_data(as_text=True)
    assert "Secret lead" not in client.get("/leads/export.csv").get_data(as_text=True)
    assert "Secret lead" not in client.get("/leads?q=secret").get_data(as_text=True)
    assert client.post(f"/leads/{mine.id}/status", data={"status": "paused"}).status_code == 404
    login(client, "director")
    assert "Secret lead" in client.get("/leads").get_data(as_text=True)
    director = api_token(client, "director")
    assert client.get(f"/api/v1/leads/{mine.id}", headers=director).status_code == 200
    # An observer reads but cannot act.
    from app.leads.services import set_observers

    set_observers(mine.id, ["manager2"], seeded["director"])
    db_session.commit()
    assert client.get(f"/api/v1/leads/{mine.id}", headers=m2).status_code == 200
    assert _status(client, m2, mine.id, status="paused").status_code == 403
    assert client.get(f"/api/v1/leads/{mine.id}/actions", headers=m2).get_json()["items"] == []


def test_stale_patch_is_409_and_validation_changes_nothing(client, seeded, db_session):
    lead = _lead(seeded["director"], db_session, responsible="manager1")
    m1 = api_token(client, "manager1")
    body = client.get(f"/api/v1/leads/{lead.id}", headers=m1).get_json()
    ok = client.patch(f"/api/v1/leads/{lead.id}", json={"amount": "10.00", "version": body["version"]}, headers=m1)
    assert ok.status_code == 200 and ok.get_json()["amount"] == "10.00"
    stale = client.patch(f"/api/v1/leads/{lead.id}", json={"amount": "20.00", "version": body["version"]}, headers=m1)
    assert stale.status_code == 409
    bad = client.patch(f"/api/v1/leads/{lead.id}", json={"amount": "ten", "site_email": "nope",
                                                         "request_category": "zzz"}, headers=m1)
    assert bad.status_code == 422
    assert set(bad.get_json()["error"]["fields"]) == {"amount", "site_email", "request_category"}
    assert client.get(f"/api/v1/leads/{lead.id}", headers=m1).get_json()["amount"] == "10.00"


def test_journal_filters_search_sort_and_export(client, seeded, db_session):
    _lead(seeded["director"], db_session, responsible="manager1", name="Альфа проект", request_source="website",
          amount="300.00")
    _lead(seeded["director"], db_session, responsible="manager1", name="Beta", request_source="phone", amount="100.00",
          contacts=[{"full_name": "Ivan", "phone": "+7 (900) 123-45-67", "email": "ivan@beta.example"}])
    _lead(seeded["director"], db_session, name="Gamma unassigned", request_source="email")
    m1 = api_token(client, "manager1")

    def names(**params):
        return [i["name"] for i in client.get("/api/v1/leads", query_string=params, headers=m1).get_json()["items"]]

    assert set(names()) == {"Альфа проект", "Beta", "Gamma unassigned"}
    assert names(q="альфа") == ["Альфа проект"] and names(q="АЛЬФА") == ["Альфа проект"]
    assert names(q="ivan@beta") == ["Beta"] and names(q="9001234567") == ["Beta"]
    assert names(source="phone") == ["Beta"]
    assert names(responsible="none") == ["Gamma unassigned"]
    assert names(sort="amount", responsible="manager1") == ["Beta", "Альфа проект"]
    assert client.get("/api/v1/leads", query_string={"sort": "bogus"}, headers=m1).status_code == 422
    page = client.get("/api/v1/leads", query_string={"per_page": 2, "page": 2, "sort": "number"}, headers=m1).get_json()
    assert page["total"] == 3 and len(page["items"]) == 1

    login(client, "manager1")
    exported = client.get("/leads/export.csv?source=website")
    assert exported.status_code == 200 and exported.mimetype == "text/csv"
    rows = list(csv.reader(io.StringIO(exported.get_data(as_text=True).lstrip("\ufeff"))))
    assert rows[0][0] == "Number" and len(rows) == 2 and rows[1][1] == "Альфа проект"
    xlsx = client.get("/leads/export.xlsx")
    from openpyxl import load_workbook

    sheet = load_workbook(io.BytesIO(xlsx.get_data())).active
    assert sheet.max_row == 4 and sheet.cell(1, 2).value == "Name"


def test_director_assigns_responsible_and_take_to_work_is_canceled(client, seeded, db_session):
    from app.tasks.models import HumanTask

    lead = _lead(seeded["director"], db_session)
    login(client, "manager1")
    assert client.post(f"/leads/{lead.id}/responsible", data={"responsible": "manager2"}).status_code == 403
    login(client, "director")
    assert client.post(f"/leads/{lead.id}/responsible", data={"responsible": "manager2"}).status_code == 302
    take = db_session.scalar(sa.select(HumanTask).where(HumanTask.record_type == "lead",
                                                        HumanTask.record_id == lead.id))
    assert take.task_name == "take_to_work" and take.status == "canceled"
    m2 = api_token(client, "manager2")
    assert client.get(f"/api/v1/leads/{lead.id}/actions", headers=m2).get_json()["items"]
    card = client.get(f"/leads/{lead.id}").get_data(as_text=True)
    assert "manager2" in card.split('data-testid="history"')[1]


def test_take_to_work_sla_escalates_to_the_commercial_director(client, seeded, db_session):
    from app.processes import services as processes

    created = datetime(2026, 11, 24, 7, 0, tzinfo=timezone.utc)  # Tuesday 10:00 Moscow
    from app.leads.services import create_lead

    lead = create_lead({"name": "Slow lead"}, seeded["director"], at=created)
    db_session.commit()
    instance = processes.find_instance_for("lead", lead.id)
    assert instance.next_timer_at == datetime(2026, 11, 24, 11, 0, tzinfo=timezone.utc)  # 4 working hours
    assert processes.fire_due_timers(instance.id, at=created + timedelta(hours=3)) is False
    assert processes.fire_due_timers(instance.id, at=created + timedelta(hours=5)) is True
    db_session.commit()
    director = client.get("/api/v1/tasks", headers=api_token(client, "director")).get_json()["items"]
    assert [t["title"] for t in director] == ["Lead not taken to work"]
    m1 = client.get("/api/v1/tasks", headers=api_token(client, "manager1")).get_json()["items"]
    assert [t["title"] for t in m1] == ["Take to work"]


def test_create_counterparty_from_lead(client, seeded, db_session):
    lead = _lead(seeded["director"], db_session, responsible="manager1")
    login(client, "manager1")
    form = client.get(f"/leads/{lead.id}/counterparty").get_data(as_text=True)
    assert 'value="Romashka"' in form and "olga@romashka.example" in form
    bad = client.post(f"/leads/{lead.id}/counterparty", data={"full_name": "Romashka", "inn": "7707083894",
                                                              "kind": "legal_entity", "type": "buyer"})
    assert bad.status_code == 422 and "INN" in bad.get_data(as_text=True)
    db_session.refresh(lead)
    assert lead.counterparty_id is None
    ok = client.post(f"/leads/{lead.id}/counterparty", data={"full_name": "ООО Ромашка", "inn": VALID_INN,
                                                             "kind": "legal_entity", "type": "buyer",
                                                             "action": "create"})
    assert ok.status_code == 302
    db_session.refresh(lead)
    assert lead.counterparty.inn == VALID_INN and [c.full_name for c in lead.counterparty.contacts] == ["Olga Smirnova"]


def test_quick_create(client, seeded, db_session):
    from app.leads.models import Lead

    login(client, "manager1")
    empty = client.post("/leads/quick", data={"name": ""}, follow_redirects=True)
    assert "The lead was not created" in empty.get_data(as_text=True)
    assert db_session.scalar(sa.select(sa.func.count()).select_from(Lead)) == 0
    created = client.post("/leads/quick", data={"name": "Call from expo", "contact_name": "Pavel",
                                                "phone": "+7 900 000-00-00", "company_name": "Expo LLC"})
    assert created.status_code == 302
    lead = db_session.scalar(sa.select(Lead))
    assert lead.responsible.login == "manager1" and lead.main_contact.phone == "+7 900 000-00-00"


def test_claiming_take_to_work_on_the_page_opens_the_lead(client, seeded, db_session):
    from app.tasks.models import HumanTask

    lead = _lead(seeded["director"], db_session)
    task = db_session.scalar(sa.select(HumanTask).where(HumanTask.record_id == lead.id,
                                                        HumanTask.record_type == "lead"))
    login(client, "manager2")
    response = client.post(f"/tasks/{task.id}/claim")
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/leads/{lead.id}")
    card = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "You took L-" in card and 'data-testid="lead-responsible">Mikhail Manager' in card
