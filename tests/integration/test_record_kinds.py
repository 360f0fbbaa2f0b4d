"""The records contract: every registered kind (lead, deal, …) behaves the same on the shared machinery.

Visibility in card, journal, kanban, search, export, tasks and API; the status hub from card, kanban,
journal and API; journal filter/sort/export; 409 on a stale version; history rows; one workflow load
per status change. A new kind registered in the factory runs these tests without a line of its own.
"""
from __future__ import annotations

import csv
import io
from typing import Any

import pytest
import sqlalchemy as sa

from tests.conftest import api_token, login

pytestmark = pytest.mark.db

KINDS = ("lead", "deal")


@pytest.fixture()
def seeded(users, db_session):
    from app.directories.services import ensure_seed

    ensure_seed()
    db_session.commit()
    return users


def _kind(name: str) -> Any:
    from app.records.kinds import get_kind

    return get_kind(name)


def _make(kind: Any, actor: Any, db_session: Any, **data: Any) -> Any:
    from app.records.services import create_record

    contacts = data.pop("contacts", [{"full_name": "Ольга Смирнова", "phone": "+7 495 100-20-30"}])
    record = create_record(kind, {"name": "Проект Ромашка", "company_name": "ООО Ромашка", **data}, actor, contacts)
    db_session.commit()
    return record


def _two_moves(kind: Any) -> tuple[str, str]:
    """Two statuses reachable one after the other from the initial one without a transition form."""
    from app.processes import services as processes

    return {"lead": ("interest_expressed", "paused"), "deal": ("initial_contact", "needs_assessment")}.get(
        kind.name) or tuple(processes.status_actions(kind.name, 0).allowed[:2])  # type: ignore[union-attr]


@pytest.mark.parametrize("name", KINDS)
def test_visibility_everywhere(client, seeded, db_session, name):
    kind = _kind(name)
    mine = _make(kind, seeded["director"], db_session, responsible="manager1", name="Тайный проект manager1")
    m2 = api_token(client, "manager2")
    base, api = f"/{kind.plural}", f"/api/v1/{kind.plural}"
    assert client.get(f"{api}/{mine.id}", headers=m2).status_code == 404
    assert client.get(f"{api}/{mine.id}/actions", headers=m2).status_code == 404
    assert client.get(f"{api}/{mine.id}/contacts", headers=m2).status_code == 404
    assert client.patch(f"{api}/{mine.id}", json={"name": "x", "version": mine.version}, headers=m2).status_code == 404
    assert client.post(f"{api}/{mine.id}/status", json={"status": _two_moves(kind)[0]}, headers=m2).status_code == 404
    assert client.get(api, headers=m2).get_json()["total"] == 0
    assert client.get(api, query_string={"q": "тайный"}, headers=m2).get_json()["total"] == 0
    login(client, "manager2")
    assert client.get(f"{base}/{mine.id}").status_code == 404
    for page in (base, f"{base}/kanban", f"{base}/export.csv", f"{base}?q=тайный", f"{base}?q={mine.display_number}"):
        assert "Тайный проект" not in client.get(page).get_data(as_text=True), page
    assert client.post(f"{base}/{mine.id}/status", data={"status": _two_moves(kind)[0]}).status_code == 404
    # The owner sees it everywhere, found by Cyrillic text in any case and by its number.
    login(client, "manager1")
    for page in (base, f"{base}/kanban", f"{base}/export.csv", f"{base}?q=ТАЙНЫЙ", f"{base}?q=ромашка",
                 f"{base}?q={mine.display_number}", f"{base}?q={mine.display_number.lower()}"):
        assert "Тайный проект" in client.get(page).get_data(as_text=True), page
    # An observer reads it but cannot act.
    from app.records.services import set_observers

    set_observers(kind, mine.id, ["manager2"], seeded["director"])
    db_session.commit()
    assert client.get(f"{api}/{mine.id}", headers=m2).get_json()["observers"] == ["manager2"]
    assert client.get(f"{api}/{mine.id}/actions", headers=m2).get_json()["items"] == []
    assert client.post(f"{api}/{mine.id}/status", json={"status": _two_moves(kind)[0]}, headers=m2).status_code == 403


@pytest.mark.parametrize("name", KINDS)
def test_unassigned_record_is_taken_to_work_from_the_inbox(client, seeded, db_session, name):
    kind = _kind(name)
    record = _make(kind, seeded["director"], db_session)
    m2 = api_token(client, "manager2")
    tasks = [t for t in client.get("/api/v1/tasks", headers=m2).get_json()["items"]
             if t["record_type"] == kind.name and t["record_id"] == record.id]
    assert [t["name"] for t in tasks] == ["take_to_work"]
    assert client.post(f"/api/v1/tasks/{tasks[0]['id']}/claim", headers=m2).status_code == 200
    body = client.get(f"/api/v1/{kind.plural}/{record.id}", headers=m2).get_json()
    assert body["responsible"] == "manager2"
    assert client.get(f"/api/v1/{kind.plural}/{record.id}", headers=api_token(client, "manager1")).status_code == 404


@pytest.mark.parametrize("name", KINDS)
def test_status_hub_from_card_kanban_journal_and_api(client, seeded, db_session, name):
    from app.activities.models import FieldChange

    kind = _kind(name)
    first, second = _two_moves(kind)
    a = _make(kind, seeded["director"], db_session, responsible="manager1", name="A")
    b = _make(kind, seeded["director"], db_session, responsible="manager1", name="B")
    login(client, "manager1")
    card = client.post(f"/{kind.plural}/{a.id}/status", data={"status": first})          # card action
    assert card.status_code == 302
    kanban = client.post(f"/api/v1/{kind.plural}/{b.id}/status", json={"status": first})   # kanban drag (session)
    assert kanban.status_code == 200 and kanban.get_json()["status"] == first
    bulk = client.post(f"/{kind.plural}/status", data={"ids": [str(a.id), str(b.id)], "status": second})
    assert bulk.status_code == 302                                                          # journal bulk move
    api = client.post(f"/api/v1/{kind.plural}/{a.id}/status", json={"status": first},
                      headers=api_token(client, "manager1"))                                # API
    assert api.status_code == 200
    db_session.expire_all()
    assert (a.status, b.status) == (first, second)
    moves = db_session.scalars(sa.select(FieldChange.new_value).where(
        FieldChange.record_type == kind.name, FieldChange.record_id == a.id, FieldChange.field == "status")
        .order_by(FieldChange.id)).all()
    assert moves == [first, second, first]
    illegal = client.post(f"/api/v1/{kind.plural}/{a.id}/status", json={"status": first})
    assert illegal.status_code == 409 and illegal.get_json()["error"]["code"] == "illegal_transition"
    unknown = client.post(f"/api/v1/{kind.plural}/{a.id}/status", json={"status": "nonsense"})
    assert unknown.status_code == 422
    smuggled = client.post(f"/api/v1/{kind.plural}/{a.id}/status",
                           json={"status": second, f"{kind.name}_id": 1, "next_status": "x"})
    assert smuggled.status_code == 422
    db_session.expire_all()
    assert a.status == first


@pytest.mark.parametrize("name", KINDS)
def test_a_status_change_loads_the_workflow_once(client, seeded, db_session, name, monkeypatch):
    from workflows.engine import Engine

    kind = _kind(name)
    record = _make(kind, seeded["director"], db_session, responsible="manager1")
    loads: list[str | None] = []
    original = Engine.load

    def counting(self: Any, state: Any, version_key: str | None = None) -> Any:
        loads.append(version_key)
        return original(self, state, version_key)

    monkeypatch.setattr(Engine, "load", counting)
    login(client, "manager1")
    assert client.post(f"/{kind.plural}/{record.id}/status", data={"status": _two_moves(kind)[0]}).status_code == 302
    assert len(loads) == 1
    loads.clear()
    refused = client.post(f"/api/v1/{kind.plural}/{record.id}/status", json={"status": _two_moves(kind)[0]})
    assert refused.status_code == 409 and len(loads) == 1


@pytest.mark.parametrize("name", KINDS)
def test_journal_filter_sort_paging_and_export(client, seeded, db_session, name):
    kind = _kind(name)
    first, _second = _two_moves(kind)
    _make(kind, seeded["director"], db_session, responsible="manager1", name="Альфа", amount="300.00",
          request_source="website")
    beta = _make(kind, seeded["director"], db_session, responsible="manager1", name="Бета", amount="100.00",
                 request_source="phone", contacts=[{"full_name": "Иван", "phone": "+7 (900) 123-45-67"}])
    _make(kind, seeded["director"], db_session, name="Гамма без ответственного")
    login(client, "manager1")
    client.post(f"/{kind.plural}/{beta.id}/status", data={"status": first})
    m1 = api_token(client, "manager1")

    def names(**params: Any) -> list[str]:
        response = client.get(f"/api/v1/{kind.plural}", query_string=params, headers=m1)
        assert response.status_code == 200, response.get_json()
        return [i["name"] for i in response.get_json()["items"]]

    assert names(source="phone") == ["Бета"] and names(q="9001234567") == ["Бета"]
    assert names(responsible="none") == ["Гамма без ответственного"]
    assert names(status=first) == ["Бета"]
    assert names(sort="amount", responsible="manager1") == ["Бета", "Альфа"]
    assert names(sort="-amount", responsible="manager1") == ["Альфа", "Бета"]
    by_status = names(sort="-status", responsible="manager1")
    assert by_status == sorted(by_status, key=lambda n: {"Бета": first, "Альфа": kind.initial_status}[n], reverse=True)
    assert names(q=beta.display_number) == ["Бета"] and "Бета" in names(q=str(beta.number))
    for bad in ({"sort": "bogus"}, {"status": "bogus"}, {"page": "x"}, {"date_from": "yesterday"}):
        assert client.get(f"/api/v1/{kind.plural}", query_string=bad, headers=m1).status_code == 422, bad
    huge = client.get(f"/api/v1/{kind.plural}", query_string={"page": "9" * 20, "per_page": "9" * 20}, headers=m1)
    assert huge.status_code == 200 and huge.get_json()["items"] == []
    page = client.get(f"/api/v1/{kind.plural}", query_string={"per_page": 2, "page": 2, "sort": "number"},
                      headers=m1).get_json()
    assert page["total"] == 3 and len(page["items"]) == 1
    exported = client.get(f"/{kind.plural}/export.csv?source=website")
    assert exported.status_code == 200 and exported.mimetype == "text/csv"
    text = exported.get_data(as_text=True).lstrip("\ufeff")
    rows = list(csv.reader(io.StringIO(text), delimiter=";" if text.count(";") > text.count(",") else ","))
    assert len(rows) == 2 and "Альфа" in rows[1]
    assert client.get(f"/{kind.plural}/export.pdf").status_code == 404
    assert client.get(f"/{kind.plural}?fmt=x").status_code == 200


@pytest.mark.parametrize("name", KINDS)
def test_edits_need_the_current_version_and_write_history(client, seeded, db_session, name):
    from app.activities.models import FieldChange

    kind = _kind(name)
    record = _make(kind, seeded["director"], db_session, responsible="manager1")
    m1 = api_token(client, "manager1")
    api = f"/api/v1/{kind.plural}/{record.id}"
    version = client.get(api, headers=m1).get_json()["version"]
    missing = client.patch(api, json={"amount": "10.00"}, headers=m1)
    assert missing.status_code == 422 and "version" in missing.get_json()["error"]["fields"]
    ok = client.patch(api, json={"amount": "10.00", "name": "Новое имя", "version": version}, headers=m1)
    assert ok.status_code == 200 and ok.get_json()["amount"] == "10.00"
    stale = client.patch(api, json={"amount": "20.00", "version": version}, headers=m1)
    assert stale.status_code == 409
    assert client.get(api, headers=m1).get_json()["amount"] == "10.00"
    fields = set(db_session.scalars(sa.select(FieldChange.field).where(
        FieldChange.record_type == kind.name, FieldChange.record_id == record.id)))
    assert {"amount", "name"} <= fields
    login(client, "manager1")
    card = client.get(f"/{kind.plural}/{record.id}").get_data(as_text=True)
    assert "Новое имя" in card.split('data-testid="history"')[1]


@pytest.mark.parametrize("name", KINDS)
def test_api_fields_are_typed_by_the_card_form(client, seeded, db_session, name):
    kind = _kind(name)
    record = _make(kind, seeded["director"], db_session, responsible="manager1")
    m1 = api_token(client, "manager1")
    api = f"/api/v1/{kind.plural}/{record.id}"
    version = record.version
    for value in (123, ["a"], {"x": 1}, True):
        response = client.patch(api, json={"name": value, "version": version}, headers=m1)
        assert response.status_code == 422 and "name" in response.get_json()["error"]["fields"], value
    for body in ({"users_count": "many"}, {"users_count": 2**40}, {"amount": 12.5}, {"amount": "1e30"},
                 {"counterparty_id": 999999}, {"unknown_field": "x"}, {"request_source": "nope"}):
        response = client.patch(api, json={**body, "version": version}, headers=m1)
        assert response.status_code == 422, body
        assert set(response.get_json()["error"]["fields"]) == set(body), body
    long_contact = client.post(f"{api}/contacts", json={"full_name": "x" * 100_000}, headers=m1)
    assert long_contact.status_code == 422
    maybe = client.post(f"{api}/contacts", json={"full_name": "Pavel", "is_main": "maybe"}, headers=m1)
    assert maybe.status_code == 422 and "is_main" in maybe.get_json()["error"]["fields"]
    assert client.get(api, headers=m1).get_json()["version"] == version


@pytest.mark.parametrize("name", KINDS)
def test_only_the_commercial_director_assigns_the_responsible(client, seeded, db_session, name):
    from tests.factories import make_user

    kind = _kind(name)
    record = _make(kind, seeded["director"], db_session, responsible="manager1")
    make_user(login="outsider", full_name="No CRM role")
    db_session.commit()
    api = f"/api/v1/{kind.plural}/{record.id}"
    m1, director = api_token(client, "manager1"), api_token(client, "director")
    assert client.post(f"{api}/responsible", json={"responsible": "manager2"}, headers=m1).status_code == 403
    assert client.patch(api, json={"responsible": "manager2", "version": record.version},
                        headers=m1).status_code == 403
    created = client.post(f"/api/v1/{kind.plural}", json={"name": "x", "responsible": "manager2"}, headers=m1)
    assert created.status_code == 422
    for login_ in ("outsider", "analyst", "nobody"):
        response = client.post(f"{api}/responsible", json={"responsible": login_}, headers=director)
        assert response.status_code == 422, login_
    assert client.get(api, headers=m1).get_json()["responsible"] == "manager1"
    moved = client.post(f"{api}/responsible", json={"responsible": "manager2"}, headers=director)
    assert moved.status_code == 200 and moved.get_json()["responsible"] == "manager2"


@pytest.mark.parametrize("name", KINDS)
def test_kanban_columns_count_and_sum_and_page_cards(client, seeded, db_session, name):
    kind = _kind(name)
    for i in range(23):
        _make(kind, seeded["director"], db_session, responsible="manager1", name=f"Card {i}", amount="10.50",
              contacts=[])
    login(client, "manager1")
    board = client.get(f"/{kind.plural}/kanban").get_data(as_text=True)
    assert f'data-testid="count-{kind.initial_status}">23<' in board and "241.50" in board
    column = client.get(f"/{kind.plural}/kanban?status={kind.initial_status}")
    assert column.status_code == 200
    # The first load shows a page per column sized to the board's width (20 up to six columns, 10 for
    # the deal's twelve); "Load more" goes on from there, 20 at a time.
    from app.records.journal import first_page_size

    first = first_page_size(len(kind.statuses))
    assert first == {"lead": 20, "deal": 10}[name]
    assert board.count('data-testid="kanban-card"') == first
    assert f'data-offset="{first}"' in board
    more = client.get(f"/{kind.plural}/kanban/{kind.initial_status}?offset={first}").get_data(as_text=True)
    assert more.count('data-testid="kanban-card"') == min(20, 23 - first)
    assert client.get(f"/{kind.plural}/kanban/{kind.initial_status}?offset={'9' * 20}").status_code == 200
    assert client.get(f"/{kind.plural}/kanban/bogus").status_code == 422


@pytest.mark.parametrize("name", KINDS)
def test_a_stale_record_in_a_bulk_move_fails_alone(client, seeded, db_session, name):
    """A stale process instance mid-batch is reported for that record; the others move (no rollback of the batch)."""
    from app.processes.models import ProcessInstance
    from app.records.services import change_status_many

    kind = _kind(name)
    first, _second = _two_moves(kind)
    a, b, c = (_make(kind, seeded["director"], db_session, responsible="manager1", name=n) for n in "ABC")
    stale = db_session.scalar(sa.select(ProcessInstance).where(ProcessInstance.record_type == kind.name,
                                                               ProcessInstance.record_id == b.id))
    # Someone else saved b's instance after this session loaded it.
    db_session.execute(sa.text("UPDATE process_instances SET version = version + 1 WHERE id = :id"), {"id": stale.id})
    results = change_status_many(kind, [a.id, b.id, c.id], first, seeded["manager1"])
    db_session.commit()
    assert results[a.id] is None and results[c.id] is None and results[b.id]
    db_session.expire_all()
    assert (a.status, b.status, c.status) == (first, kind.initial_status, first)


@pytest.mark.parametrize("name", KINDS)
def test_contacts_are_part_of_the_record_and_edits_name_its_version(client, seeded, db_session, name):
    kind = _kind(name)
    record = _make(kind, seeded["director"], db_session, responsible="manager1")
    before = record.version
    m1 = api_token(client, "manager1")
    api = f"/api/v1/{kind.plural}/{record.id}"
    added = client.post(f"{api}/contacts", json={"full_name": "Пётр Иванов", "email": "petr@example.org"},
                        headers=m1)
    assert added.status_code == 201 and added.get_json()["is_main"] is False
    body = client.get(api, headers=m1).get_json()
    assert body["version"] > before and [c["full_name"] for c in body["contacts"]][-1] == "Пётр Иванов"
    contact = f"{api}/contacts/{added.get_json()['id']}"
    assert client.patch(contact, json={"is_main": True}, headers=m1).status_code == 422  # no version
    stale = client.patch(contact, json={"is_main": True, "version": before}, headers=m1)
    assert stale.status_code == 409
    ok = client.patch(contact, json={"is_main": True, "position": "CEO", "version": body["version"]}, headers=m1)
    assert ok.status_code == 200 and ok.get_json()["is_main"] is True
    assert client.get(api, query_string={}, headers=m1).get_json()["contacts"][0]["full_name"] == "Пётр Иванов"
    assert client.get(f"/api/v1/{kind.plural}", query_string={"q": "petr@example"}, headers=m1).get_json()["total"] == 1
    assert client.delete(contact, headers=m1).status_code == 204
    other = _make(kind, seeded["director"], db_session, responsible="manager2")
    foreign = client.get(f"/api/v1/{kind.plural}/{other.id}/contacts", headers=api_token(client, "director"))
    cid = foreign.get_json()["items"][0]["id"]
    assert client.delete(f"{api}/contacts/{cid}", headers=m1).status_code == 404  # another record's contact


def test_the_client_card_lists_the_clients_records_each_user_may_see(client, seeded, db_session):
    from app.counterparties.services import create_counterparty

    cp = create_counterparty({"full_name": "ООО Клиентская карточка", "inn": "7707083893"}, seeded["director"])
    db_session.commit()
    for name in KINDS:
        _make(_kind(name), seeded["director"], db_session, responsible="manager1", counterparty_id=cp.id,
              name=f"Видно manager1 ({name})")
        _make(_kind(name), seeded["director"], db_session, responsible="manager2", counterparty_id=cp.id,
              name=f"Скрыто от manager1 ({name})")
    login(client, "manager1")
    card = client.get(f"/counterparties/{cp.id}").get_data(as_text=True)
    for name in KINDS:
        assert f"Видно manager1 ({name})" in card and f"Скрыто от manager1 ({name})" not in card
    login(client, "director")
    assert client.get(f"/counterparties/{cp.id}").get_data(as_text=True).count('data-testid="client-record"') == 4


@pytest.mark.parametrize("name", KINDS)
def test_journal_filters_by_amount_range_and_stage(client, seeded, db_session, name):
    kind = _kind(name)
    first, _second = _two_moves(kind)
    for title, amount in (("Малая", "100.00"), ("Средняя", "5000.00"), ("Крупная", "900000.00")):
        _make(kind, seeded["director"], db_session, responsible="manager1", name=title, amount=amount)
    moved = _make(kind, seeded["director"], db_session, responsible="manager1", name="Сдвинутая", amount="1.00")
    login(client, "manager1")
    client.post(f"/{kind.plural}/{moved.id}/status", data={"status": first})
    m1 = api_token(client, "manager1")

    def names(**params: Any) -> set[str]:
        response = client.get(f"/api/v1/{kind.plural}", query_string=params, headers=m1)
        assert response.status_code == 200, response.get_json()
        return {i["name"] for i in response.get_json()["items"]}

    assert names(amount_min="1000", amount_max="1 000 000") == {"Средняя", "Крупная"}
    assert names(amount_max="100") == {"Малая", "Сдвинутая"}
    for bad in ({"amount_min": "lots"}, {"amount_max": "-1"}, {"stage": "99"}):
        assert client.get(f"/api/v1/{kind.plural}", query_string=bad, headers=m1).status_code == 422, bad
    if kind.stages:  # deals: 0% Processing holds the new ones, the moved one is further on
        position = next(i for i, (_label, ids) in enumerate(kind.stages, 1) if first in ids)
        assert names(stage=str(position)) == {"Сдвинутая"}
        assert "Сдвинутая" not in names(stage="1")
        page = client.get(f"/{kind.plural}?stage={position}").get_data(as_text=True)
        assert "Сдвинутая" in page and "Крупная" not in page
