"""Our legal entities, contracts and additional agreements over HTTP (issue 9 §1, §2): the directory with validated
requisites and 409 on stale edits, the contract's approval cycle through the real process (the director's task,
return with a comment, the timer that archives an expired contract), the deal's Contract widget, and an
attacker's pass (invisible ids, observers, undeclared fields, wrong types, huge input, bad INN/BIK)."""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from typing import Any

import pytest
import sqlalchemy as sa

from tests.conftest import api_token, login

pytestmark = pytest.mark.db

ENTITY = {"full_name": "Общество с ограниченной ответственностью «Наша компания»", "short_name": "ООО Наша компания",
          "inn": "7736050003", "kpp": "773601001", "ogrn": "1027700132195", "bik": "044525225",
          "bank_account": "40702810938000000001", "corr_account": "30101810400000000225",
          "bank_name": "ПАО Сбербанк", "director_name": "Иванов И. И.", "chief_accountant_name": "Петрова А. А."}


@pytest.fixture()
def world(users, db_session) -> dict[str, Any]:
    from app.counterparties.services import create_counterparty
    from app.directories.services import ensure_seed

    ensure_seed()
    client = create_counterparty({"full_name": "ПАО Сбербанк", "short_name": "Сбербанк", "inn": "7707083893"},
                                 users["director"])
    db_session.commit()
    return {"users": users, "counterparty": client.id}


def _entity(client: Any) -> dict[str, Any]:
    response = client.post("/api/v1/legal-entities", json=ENTITY, headers=api_token(client, "admin"))
    assert response.status_code == 201, response.get_json()
    return dict(response.get_json())


def _contract(client: Any, headers: dict[str, str], **data: Any) -> dict[str, Any]:
    response = client.post("/api/v1/contracts", json={"name": "Лицензии 2027", **data}, headers=headers)
    assert response.status_code == 201, response.get_json()
    return dict(response.get_json())


# ------------------------------------------------------------------------------------------ legal entities


def test_legal_entities_admins_edit_everyone_reads(client, world):
    entity = _entity(client)
    assert entity["inn"] == "7736050003" and entity["is_active"] is True and entity["version"] == 1
    m1 = api_token(client, "manager1")
    assert client.get("/api/v1/legal-entities", headers=m1).get_json()["total"] == 1
    assert client.post("/api/v1/legal-entities", json={**ENTITY, "inn": "7707083893"}, headers=m1).status_code == 403
    assert client.patch(f"/api/v1/legal-entities/{entity['id']}", json={"short_name": "x", "version": 1},
                        headers=m1).status_code == 403
    admin = api_token(client, "admin")
    changed = client.patch(f"/api/v1/legal-entities/{entity['id']}", json={"short_name": "Наша", "version": 1},
                           headers=admin)
    assert changed.status_code == 200 and changed.get_json()["version"] == 2
    stale = client.patch(f"/api/v1/legal-entities/{entity['id']}", json={"short_name": "Старая", "version": 1},
                         headers=admin)
    assert stale.status_code == 409
    missing = client.patch(f"/api/v1/legal-entities/{entity['id']}", json={"short_name": "Без версии"}, headers=admin)
    assert missing.status_code == 422 and "version" in missing.get_json()["error"]["fields"]
    login(client, "manager1")
    page = client.get(f"/legal-entities/{entity['id']}").get_data(as_text=True)
    assert "044525225" in page and "Петрова А. А." in page
    assert client.get(f"/legal-entities/{entity['id']}/edit").status_code == 403


@pytest.mark.parametrize(("field", "value"), [
    ("inn", "7736050004"),          # wrong checksum
    ("inn", "773605000"),           # 9 digits
    ("inn", "500100732259"),        # a person's 12-digit INN is not a legal entity's
    ("bik", "04452522"),            # 8 digits
    ("bank_account", "40702810938000000002"),  # control key does not match the BIK
    ("ogrn", "1027700132196"),      # wrong checksum
    ("kpp", "77360100"),
    ("full_name", "x" * 501),
    ("full_name", 15),              # wrong type
    ("is_active", "yes"),
    ("owner", "me"),                # undeclared
])
def test_legal_entity_refuses_bad_requisites(client, world, field, value):
    admin = api_token(client, "admin")
    response = client.post("/api/v1/legal-entities", json={**ENTITY, field: value}, headers=admin)
    assert response.status_code == 422, response.get_json()
    assert field in response.get_json()["error"]["fields"]


def test_legal_entity_pages_create_and_stale_edit(client, world):
    login(client, "admin")
    form = {k: v for k, v in ENTITY.items()}
    created = client.post("/legal-entities/new", data={**form, "is_active": "true"})
    assert created.status_code == 302
    entity_id = int(created.headers["Location"].rsplit("/", 1)[1])
    bad = client.post(f"/legal-entities/{entity_id}/edit", data={**form, "inn": "123", "version": "1"})
    assert bad.status_code == 422 and "INN" in bad.get_data(as_text=True)
    assert client.post(f"/legal-entities/{entity_id}/edit", data={**form, "short_name": "Новое", "version": "1"}
                       ).status_code == 302
    stale = client.post(f"/legal-entities/{entity_id}/edit", data={**form, "short_name": "Старое", "version": "1"})
    assert stale.status_code == 409


# ------------------------------------------------------------------------------------------ contracts


def test_contract_create_needs_a_counterparty_and_checks_its_fields(client, world):
    m1 = api_token(client, "manager1")
    cp = world["counterparty"]
    no_client = client.post("/api/v1/contracts", json={"name": "Без клиента"}, headers=m1)
    assert no_client.status_code == 422 and "counterparty_id" in no_client.get_json()["error"]["fields"]
    for body, field in (({"counterparty_id": 999999}, "counterparty_id"),
                        ({"counterparty_id": cp, "legal_entity_id": 999999}, "legal_entity_id"),
                        ({"counterparty_id": cp, "amount": 12}, "amount"),
                        ({"counterparty_id": cp, "contract_date": "2026-13-45"}, "contract_date"),
                        ({"counterparty_id": cp, "valid_until": "tomorrow"}, "valid_until"),
                        ({"counterparty_id": cp, "currency": "XXX"}, "currency"),
                        ({"counterparty_id": cp, "kind": "nonsense"}, "kind"),
                        ({"counterparty_id": cp, "contract_number": "№" * 101}, "contract_number"),
                        ({"counterparty_id": cp, "status": "active"}, "status"),
                        ({"counterparty_id": cp, "deal_id": 1}, "deal_id"),
                        ({"counterparty_id": "1"}, "counterparty_id")):
        response = client.post("/api/v1/contracts", json={"name": "Договор", **body}, headers=m1)
        assert response.status_code == 422, (body, response.get_json())
        assert field in response.get_json()["error"]["fields"], (body, response.get_json())
    control = client.post("/api/v1/contracts", json={"name": "Дог\x00овор", "counterparty_id": cp}, headers=m1)
    assert control.status_code in (400, 422)
    made = _contract(client, m1, counterparty_id=cp, contract_number="15/2027-Л", contract_date="2027-01-15",
                     valid_until="2027-12-31", amount="120000.00", kind="license")
    assert made["status"] == "draft" and made["responsible"] == "manager1" and made["currency"] == "RUB"
    assert made["contract_number"] == "15/2027-Л" and made["contract_date"] == "2027-01-15"
    assert made["valid_until"] == "2027-12-31" and made["number"].startswith("C-")
    # Found by the number the parties wrote.
    assert client.get("/api/v1/contracts", query_string={"q": "15/2027"}, headers=m1).get_json()["total"] == 1


def test_another_managers_contract_does_not_exist_and_an_observer_only_reads(client, world):
    cp = world["counterparty"]
    mine = _contract(client, api_token(client, "manager1"), counterparty_id=cp, name="Тайный договор")
    m2 = api_token(client, "manager2")
    assert client.get(f"/api/v1/contracts/{mine['id']}", headers=m2).status_code == 404
    assert client.patch(f"/api/v1/contracts/{mine['id']}", json={"name": "x", "version": mine["version"]},
                        headers=m2).status_code == 404
    assert client.post(f"/api/v1/contracts/{mine['id']}/agreements", json={"name": "x"}, headers=m2).status_code == 404
    assert client.get(f"/api/v1/contracts/{mine['id']}/agreements", headers=m2).status_code == 404
    assert client.get("/api/v1/contracts", query_string={"q": "тайный"}, headers=m2).get_json()["total"] == 0
    login(client, "manager2")
    assert client.get(f"/contracts/{mine['id']}").status_code == 404
    assert "Тайный договор" not in client.get("/contracts").get_data(as_text=True)
    director = api_token(client, "director")
    assert client.put(f"/api/v1/contracts/{mine['id']}/observers", json={"observers": ["manager2"]},
                      headers=director).status_code == 200
    assert client.get(f"/api/v1/contracts/{mine['id']}", headers=m2).status_code == 200
    assert client.patch(f"/api/v1/contracts/{mine['id']}", json={"name": "x", "version": mine["version"]},
                        headers=m2).status_code == 403
    assert client.post(f"/api/v1/contracts/{mine['id']}/status", json={"status": "approval"},
                       headers=m2).status_code == 403
    assert client.post(f"/api/v1/contracts/{mine['id']}/agreements", json={"name": "x"}, headers=m2).status_code == 403


def _tasks(client: Any, headers: dict[str, str]) -> list[dict[str, Any]]:
    return list(client.get("/api/v1/tasks", headers=headers).get_json()["items"])


def _approval_task(client: Any, headers: dict[str, str], contract_id: int) -> dict[str, Any] | None:
    return next((t for t in _tasks(client, headers) if t.get("record_type") == "contract"
                 and t.get("record_id") == contract_id and t.get("status") == "open"), None)


def test_the_approval_cycle_over_http(client, world, db_session):
    entity = _entity(client)
    m1, director = api_token(client, "manager1"), api_token(client, "director")
    contract = _contract(client, m1, counterparty_id=world["counterparty"], valid_until="2027-06-30")
    cid = contract["id"]
    actions = client.get(f"/api/v1/contracts/{cid}/actions", headers=m1).get_json()
    assert {a["status"] for a in actions["items"]} == {"approval", "annulled"}
    assert client.post(f"/api/v1/contracts/{cid}/status", json={"status": "active"}, headers=m1).status_code == 409
    refused = client.post(f"/api/v1/contracts/{cid}/status", json={"status": "approval"}, headers=m1)
    assert refused.status_code == 422 and "legal_entity_id" in refused.get_json()["error"]["fields"]
    contract = client.patch(f"/api/v1/contracts/{cid}", json={"legal_entity_id": entity["id"],
                                                              "version": contract["version"]}, headers=m1).get_json()
    moved = client.post(f"/api/v1/contracts/{cid}/status", json={"status": "approval"}, headers=m1)
    assert moved.status_code == 200 and moved.get_json()["status"] == "approval"
    assert client.get(f"/api/v1/contracts/{cid}/actions", headers=m1).get_json()["items"] == []
    # The approval is the Commercial Director's: not in the manager's list, refused to the manager by id.
    assert _approval_task(client, m1, cid) is None
    task = _approval_task(client, director, cid)
    assert task is not None and task["name"] == "approve_contract"
    m1_try = client.post(f"/api/v1/tasks/{task['id']}/complete", json={"data": {"decision": "approve"}}, headers=m1)
    assert m1_try.status_code in (403, 404)
    assert client.post(f"/api/v1/tasks/{task['id']}/claim", headers=m1).status_code in (403, 404)
    assert client.post(f"/api/v1/tasks/{task['id']}/claim", headers=director).status_code == 200
    # Return without a comment is refused; with one, the contract is a draft again and carries the comment.
    no_comment = client.post(f"/api/v1/tasks/{task['id']}/complete", json={"data": {"decision": "return"}},
                             headers=director)
    assert no_comment.status_code == 422 and "comment" in no_comment.get_json()["error"]["fields"]
    returned = client.post(f"/api/v1/tasks/{task['id']}/complete",
                           json={"data": {"decision": "return", "comment": "Укажите срок оплаты"}}, headers=director)
    assert returned.status_code == 200, returned.get_json()
    assert client.get(f"/api/v1/contracts/{cid}", headers=m1).get_json()["status"] == "draft"
    comments = client.get(f"/api/v1/contracts/{cid}/comments", headers=m1).get_json()["items"]
    assert any("Укажите срок оплаты" in c["text"] for c in comments)
    # Round two: approved → signing → active.
    client.post(f"/api/v1/contracts/{cid}/status", json={"status": "approval"}, headers=m1)
    task = _approval_task(client, director, cid)
    assert task is not None
    assert client.post(f"/api/v1/tasks/{task['id']}/claim", headers=director).status_code == 200
    assert client.post(f"/api/v1/tasks/{task['id']}/complete", json={"data": {"decision": "approve"}},
                       headers=director).status_code == 200
    assert client.get(f"/api/v1/contracts/{cid}", headers=m1).get_json()["status"] == "signing"
    active = client.post(f"/api/v1/contracts/{cid}/status", json={"status": "active"}, headers=m1)
    assert active.status_code == 200 and active.get_json()["status"] == "active"
    # The timer archives it once 2027-06-30 is over in Moscow (2027-06-30 21:00 UTC), not before.
    from app.processes import services as processes

    instance = processes.find_instance_for("contract", cid)
    assert instance is not None
    assert instance.next_timer_at == datetime(2027, 6, 30, 21, 0, tzinfo=timezone.utc)
    assert processes.fire_due_timers(instance.id, at=datetime(2027, 6, 30, 20, 59, tzinfo=timezone.utc)) is False
    assert processes.fire_due_timers(instance.id, at=datetime(2027, 6, 30, 21, 0, 1, tzinfo=timezone.utc)) is True
    db_session.commit()
    archived = client.get(f"/api/v1/contracts/{cid}", headers=m1).get_json()
    assert archived["status"] == "archived"
    assert client.patch(f"/api/v1/contracts/{cid}", json={"name": "x", "version": archived["version"]},
                        headers=m1).status_code == 409
    history = client.get(f"/contracts/{cid}", headers=m1)  # the card renders for an archived contract
    assert history.status_code in (200, 302)


def test_agreements_belong_to_their_contract(client, world):
    m1 = api_token(client, "manager1")
    contract = _contract(client, m1, counterparty_id=world["counterparty"], amount="1000.00")
    orphan = client.post("/api/v1/agreements", json={"name": "Без договора"}, headers=m1)
    assert orphan.status_code == 422
    made = client.post(f"/api/v1/contracts/{contract['id']}/agreements",
                       json={"name": "ДС №1", "agreement_number": "1", "agreement_date": "2027-02-01",
                             "amount_change": "-150.50"}, headers=m1)
    assert made.status_code == 201, made.get_json()
    agreement = made.get_json()
    assert agreement["contract_id"] == contract["id"] and agreement["counterparty_id"] == world["counterparty"]
    assert agreement["status"] == "draft" and agreement["responsible"] == "manager1"
    assert client.patch(f"/api/v1/agreements/{agreement['id']}", json={"contract_id": 1, "version": 1},
                        headers=m1).status_code == 422  # the contract never changes
    assert client.post(f"/api/v1/agreements/{agreement['id']}/status", json={"status": "active"},
                       headers=m1).status_code == 200
    got = client.get(f"/api/v1/contracts/{contract['id']}", headers=m1).get_json()
    assert got["effective_amount"] == "849.50" and got["agreement_ids"] == [agreement["id"]]
    listed = client.get(f"/api/v1/contracts/{contract['id']}/agreements", headers=m1).get_json()
    assert [a["id"] for a in listed["items"]] == [agreement["id"]]
    login(client, "manager1")
    page = client.get(f"/contracts/{contract['id']}").get_data(as_text=True)
    assert "ДС №1" in page and "849" in page
    # The agreements' journal offers no "New": /agreements/new and the quick create say where to make one.
    assert 'data-testid="new-record"' not in client.get("/agreements").get_data(as_text=True)
    assert 'data-testid="new-record"' in client.get("/contracts").get_data(as_text=True)
    for url in ("/agreements/new", "/agreements/quick"):
        response = client.post(url, data={"name": "Сирота"}) if url.endswith("quick") else client.get(url)
        assert response.status_code == 302 and response.headers["Location"].endswith("/agreements")
        assert "are created on the card of the record they belong to (Contract)" in \
            client.get("/agreements").get_data(as_text=True)


# ------------------------------------------------------------------------------------------ from a deal


def _deal(client: Any, headers: dict[str, str], **data: Any) -> dict[str, Any]:
    response = client.post("/api/v1/deals", json={"name": "Внедрение CRM", "responsible": "manager1", **data},
                           headers=headers)
    assert response.status_code == 201, response.get_json()
    return dict(response.get_json())


def test_create_a_contract_from_a_deal_and_select_one(client, world):
    m1 = api_token(client, "manager1")
    cp = world["counterparty"]
    bare = _deal(client, m1)
    refused = client.post(f"/api/v1/contracts/from-deal/{bare['id']}", json={"version": bare["version"]}, headers=m1)
    assert refused.status_code == 422 and "counterparty_id" in refused.get_json()["error"]["fields"]
    deal = _deal(client, m1, counterparty_id=cp, amount="250000.00")
    created = client.post(f"/api/v1/contracts/from-deal/{deal['id']}", json={"version": deal["version"]}, headers=m1)
    assert created.status_code == 201, created.get_json()
    contract = created.get_json()
    assert contract["counterparty_id"] == cp and contract["amount"] == "250000.00"
    assert contract["subject"] == "Внедрение CRM" and contract["deal_id"] == deal["id"]
    deal = client.get(f"/api/v1/deals/{deal['id']}", headers=m1).get_json()
    assert deal["contract_id"] == contract["id"]
    login(client, "manager1")
    card = client.get(f"/deals/{deal['id']}").get_data(as_text=True)
    assert contract["number"] in card and 'data-testid="deal-contract-link"' in card
    assert f'/deals/{deal["id"]}' in client.get(f"/contracts/{contract['id']}").get_data(as_text=True)
    # Select: another deal of the same counterparty picks the existing contract from the widget.
    other = _deal(client, m1, counterparty_id=cp, name="Расширение")
    card = client.get(f"/deals/{other['id']}").get_data(as_text=True)
    assert 'data-testid="deal-contract-select"' in card and contract["number"] in card
    selected = client.post(f"/deals/{other['id']}/contract",
                           data={"action": "select", "contract_id": contract["id"], "version": other["version"]})
    assert selected.status_code == 302
    assert client.get(f"/api/v1/deals/{other['id']}", headers=m1).get_json()["contract_id"] == contract["id"]
    stale = client.post(f"/deals/{other['id']}/contract", data={"action": "unlink", "version": other["version"]})
    assert stale.status_code == 302  # flashed conflict: the deal changed since that version
    assert client.get(f"/api/v1/deals/{other['id']}", headers=m1).get_json()["contract_id"] == contract["id"]


def test_a_deal_cannot_select_someone_elses_or_another_clients_contract(client, world):
    from app.counterparties.services import create_counterparty
    from app.extensions import db

    m1, m2 = api_token(client, "manager1"), api_token(client, "manager2")
    cp = world["counterparty"]
    theirs = _contract(client, m2, counterparty_id=cp, name="Договор manager2")
    deal = _deal(client, m1, counterparty_id=cp)
    hidden = client.post(f"/api/v1/contracts/{theirs['id']}/link-deal",
                         json={"deal_id": deal["id"], "version": deal["version"]}, headers=m1)
    assert hidden.status_code == 404
    other_client = create_counterparty({"full_name": "ООО Другой", "inn": "7702043329"}, world["users"]["director"])
    db.session.commit()
    foreign = _contract(client, m1, counterparty_id=other_client.id)
    wrong = client.post(f"/api/v1/contracts/{foreign['id']}/link-deal",
                        json={"deal_id": deal["id"], "version": deal["version"]}, headers=m1)
    assert wrong.status_code == 422 and "contract_id" in wrong.get_json()["error"]["fields"]
    bad_type = client.post(f"/api/v1/contracts/{foreign['id']}/link-deal",
                           json={"deal_id": str(deal["id"]), "version": deal["version"]}, headers=m1)
    assert bad_type.status_code == 400
    # manager2 cannot hang a contract on manager1's deal.
    assert client.post(f"/api/v1/contracts/{theirs['id']}/link-deal",
                       json={"deal_id": deal["id"], "version": deal["version"]}, headers=m2).status_code == 404
    assert client.post(f"/api/v1/contracts/from-deal/{deal['id']}", json={"version": deal["version"]},
                       headers=m2).status_code == 404


def test_valid_until_dates_round_trip(client, world):
    m1 = api_token(client, "manager1")
    made = _contract(client, m1, counterparty_id=world["counterparty"], valid_until=str(date(2028, 2, 29)))
    changed = client.patch(f"/api/v1/contracts/{made['id']}", json={"valid_until": None, "version": made["version"]},
                           headers=m1)
    assert changed.status_code == 200 and changed.get_json()["valid_until"] is None
    assert timedelta(0) == timedelta(0) and sa is not None


def test_demo_data_has_a_legal_entity_and_contracts_in_several_statuses(db_session):
    from app.contracts.models import Contract, LegalEntity
    from app.deals.models import Deal
    from app.demo import load_demo

    assert load_demo()
    db_session.commit()
    [entity] = db_session.scalars(sa.select(LegalEntity)).all()
    assert entity.bik == "044525225" and entity.director_name and entity.chief_accountant_name
    statuses = sorted(c.status for c in db_session.scalars(sa.select(Contract)))
    assert statuses == ["active", "annulled", "approval", "draft", "draft"]
    active = db_session.scalar(sa.select(Contract).where(Contract.status == "active"))
    deal = db_session.get(Deal, active.deal_id)
    assert deal is not None and deal.contract_id == active.id and len(active.agreements) == 1


def test_quick_create_of_a_kind_without_a_free_text_client_says_what_is_missing(client, world):
    login(client, "manager1")
    response = client.post("/contracts/quick", data={"name": "Быстрый договор", "company_name": "ООО"},
                           follow_redirects=True)
    page = response.get_data(as_text=True)
    assert "Choose an existing counterparty." in page
    assert "This field cannot be changed here." not in page  # the quick form's company is not a contract field
