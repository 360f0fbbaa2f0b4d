"""Merge with Main Deal (issue 8 #5): through the card and the API, with every refusal changing nothing."""
from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
import sqlalchemy as sa

from tests.conftest import api_token, login
from tests.factories import make_record

pytestmark = pytest.mark.db


@pytest.fixture()
def seeded(users, db_session):
    from app.directories.services import ensure_seed

    ensure_seed()
    db_session.commit()
    return users


def _deal(actor: Any, db_session: Any, **data: Any) -> Any:
    deal = make_record("deal", actor, **data)
    db_session.commit()
    return deal


def _snapshot(*deal_ids: int) -> Any:
    """Everything a merge may change: the deals, their contacts, observers, comments, processes, tasks."""
    from app.extensions import db

    tables = ("deals", "deal_contacts", "record_observers", "comments", "process_instances", "human_tasks",
              "field_changes", "activities", "assignments", "deal_lines")
    return {t: [tuple(r) for r in db.session.execute(sa.text(f"SELECT * FROM {t} ORDER BY 1, 2"))] for t in tables}


def _pair(seeded: Any, db_session: Any) -> tuple[Any, Any]:
    """manager1's main deal (few fields, one contact) and an unassigned duplicate (more fields, contacts)."""
    main = _deal(seeded["director"], db_session, name="Romashka CRM", responsible="manager1",
                 contacts=[{"full_name": "Olga Smirnova", "phone": "+7 495 100-20-30"}])
    duplicate = _deal(seeded["director"], db_session, name="Romashka duplicate", company_name="OOO Romashka",
                      amount="1500.50", users_count=25, description="Came by mail",
                      observers=["manager2"],
                      contacts=[{"full_name": "olga smirnova", "phone": "84951002030"},
                                {"full_name": "Ivan Petrov", "email": "ivan@romashka.example"}])
    return main, duplicate


def test_merge_fills_empty_fields_moves_contacts_comments_and_closes_the_merged_deal(client, seeded, db_session):
    from app.activities.models import Comment
    from app.extensions import db
    from app.processes.models import ProcessInstance
    from app.tasks.models import HumanTask

    main, duplicate = _pair(seeded, db_session)
    main_id, dup_id, dup_number = main.id, duplicate.id, duplicate.display_number
    open_tasks = db.session.scalars(sa.select(HumanTask).where(HumanTask.record_type == "deal",
                                                               HumanTask.record_id == dup_id,
                                                               HumanTask.status == "open")).all()
    assert open_tasks, "the unassigned duplicate waits in the CRM Managers' Take to work"

    login(client, "director")
    response = client.post(f"/deals/{dup_id}/merge", data={"main_deal": main.display_number})
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/deals/{main_id}")
    db.session.expire_all()
    main, duplicate = db.session.get(type(main), main_id), db.session.get(type(main), dup_id)

    assert main.name == "Romashka CRM"  # the name stays
    assert (main.company_name, main.amount, main.users_count, main.description) == (
        "OOO Romashka", Decimal("1500.50"), 25, "Came by mail")
    assert [c.full_name for c in main.contacts] == ["Olga Smirnova", "Ivan Petrov"]  # Olga not duplicated
    assert [c.is_main for c in main.contacts] == [True, False]
    assert [u.login for u in main.observers] == ["manager2"]

    comment = db.session.scalars(sa.select(Comment).where(Comment.record_type == "deal",
                                                          Comment.record_id == main_id)).one()
    assert dup_number in comment.text and "Romashka duplicate" in comment.text
    assert "1 500.50" in comment.text and "Ivan Petrov" in comment.text and "olga smirnova" in comment.text
    assert "Amount" in comment.text and "Company" in comment.text  # the fields taken

    assert duplicate.merged_into_id == main_id
    instance = db.session.scalars(sa.select(ProcessInstance).where(ProcessInstance.record_type == "deal",
                                                                   ProcessInstance.record_id == dup_id)).one()
    assert instance.status == "canceled"
    assert {t.status for t in db.session.scalars(sa.select(HumanTask).where(
        HumanTask.id.in_([t.id for t in open_tasks])))} == {"canceled"}

    card = client.get(f"/deals/{dup_id}").get_data(as_text=True)
    assert 'data-testid="deal-merged-into"' in card and f'href="/deals/{main_id}"' in card
    assert 'data-testid="save-deal"' not in card and 'data-testid="merge-form"' not in card
    main_card = client.get(f"/deals/{main_id}").get_data(as_text=True)
    assert 'data-testid="merge-form"' in main_card and "Romashka duplicate" in main_card

    # Read-only: no edit, contact or status change reaches the merged deal any more.
    headers = api_token(client, "director")
    body = client.get(f"/api/v1/deals/{dup_id}", headers=headers).get_json()
    assert body["merged_into_id"] == main_id
    assert client.patch(f"/api/v1/deals/{dup_id}", json={"name": "Edited", "version": body["version"]},
                        headers=headers).status_code == 409
    assert client.post(f"/api/v1/deals/{dup_id}/contacts", json={"full_name": "New"},
                       headers=headers).status_code == 409
    assert client.post(f"/api/v1/deals/{dup_id}/status", json={"status": "initial_contact"},
                       headers=headers).status_code == 409
    assert client.get(f"/api/v1/deals/{dup_id}/actions", headers=headers).get_json()["items"] == []


def test_api_merge_answers_both_deals(client, seeded, db_session):
    main, duplicate = _pair(seeded, db_session)
    headers = api_token(client, "director")
    response = client.post(f"/api/v1/deals/{duplicate.id}/merge", json={"main_deal_id": main.id}, headers=headers)
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert body["merged"]["merged_into_id"] == main.id and body["main"]["amount"] == "1500.50"
    assert len(body["main"]["contacts"]) == 2
    again = client.post(f"/api/v1/deals/{duplicate.id}/merge", json={"main_deal_id": main.id}, headers=headers)
    assert again.status_code == 409 and again.get_json()["error"]["code"] == "deal_merged"


def _refusal(client: Any, who: str, merged_id: int, main_id: Any) -> Any:
    headers = api_token(client, who)
    return client.post(f"/api/v1/deals/{merged_id}/merge", json={"main_deal_id": main_id}, headers=headers)


def test_refusals_change_nothing(client, seeded, db_session):
    main, duplicate = _pair(seeded, db_session)
    other = _deal(seeded["director"], db_session, name="Deal of manager2", responsible="manager2",
                  company_name="Hidden client")
    mine = _deal(seeded["director"], db_session, name="Another of manager1", responsible="manager1")
    third = _deal(seeded["director"], db_session, name="Third", responsible="manager1")
    watched = _deal(seeded["director"], db_session, name="Watched by manager1", responsible="manager2",
                    observers=["manager1"])
    # The third deal is merged into `main`: neither merging it again nor merging into it is possible.
    assert _refusal(client, "director", third.id, main.id).status_code == 200
    db_session.commit()
    before = _snapshot()
    cases = [
        ("director", duplicate.id, duplicate.id, 422, "merge_into_itself"),
        ("director", duplicate.id, third.id, 409, "deal_merged"),           # into a merged deal
        ("director", third.id, mine.id, 409, "deal_merged"),                # a merged deal again
        ("director", duplicate.id, None, 422, "invalid_input"),
        ("director", duplicate.id, "7", 422, "invalid_input"),
        ("manager1", mine.id, other.id, 404, None),                         # the main deal is invisible
        ("manager1", other.id, mine.id, 404, None),                         # the merged deal is invisible
        ("manager1", duplicate.id, mine.id, 403, None),                     # unassigned: seen, not writable
        ("manager2", duplicate.id, other.id, 403, None),                    # observer of the duplicate
        ("manager1", mine.id, watched.id, 403, None),                       # the main deal only observed
    ]
    for who, merged_id, main_id, status, code in cases:
        response = _refusal(client, who, merged_id, main_id)
        assert response.status_code == status, (who, merged_id, main_id, response.get_json())
        if code:
            assert response.get_json()["error"]["code"] == code
        assert "Hidden client" not in response.get_data(as_text=True)
    assert _snapshot() == before

    login(client, "manager1")
    page = client.post(f"/deals/{mine.id}/merge", data={"main_deal": mine.display_number})
    assert page.status_code == 302
    assert "cannot be merged into itself" in client.get(page.headers["Location"]).get_data(as_text=True)
    assert client.post(f"/deals/{other.id}/merge", data={"main_deal": mine.display_number}).status_code == 404
    assert _snapshot() == before


def test_a_merged_deal_is_neither_claimable_nor_on_the_kanban(client, users, db_session):
    """An unassigned merged deal is closed: other managers cannot claim or see it, the board leaves it out."""
    from app.deals.merge import merge_deal
    from app.records.kinds import get_kind
    from app.records.services import create_record

    kind = get_kind("deal")
    stray = create_record(kind, {"name": "Дубль без ответственного"}, users["director"])
    main = create_record(kind, {"name": "Основная сделка", "responsible": "manager1"}, users["director"])
    db_session.commit()
    merge_deal(stray.id, main.id, users["director"])
    db_session.commit()
    m2 = api_token(client, "manager2")
    assert client.get(f"/api/v1/deals/{stray.id}", headers=m2).status_code == 404
    login(client, "director")
    board = client.get("/deals/kanban").get_data(as_text=True)
    assert "Дубль без ответственного" not in board and "Основная сделка" in board


def _line(deal: Any, actor: Any, name: str, price: str) -> Any:
    from app.records.kinds import get_kind
    from app.records.lines import add_line

    return add_line(get_kind("deal"), deal.id, {"name": name, "price": price, "quantity": "2", "vat_rate": "20"},
                    actor)


def _main_comment(main_id: int) -> str:
    from app.activities.models import Comment
    from app.extensions import db

    return str(db.session.scalars(sa.select(Comment.text).where(Comment.record_type == "deal",
                                                                Comment.record_id == main_id)).one())


def test_merge_moves_activities_assignments_and_lines_and_lists_the_comments(client, seeded, db_session):
    from datetime import date, timedelta

    from app.activities.services import add_activity, add_comment, list_activities
    from app.assignments.services import AssignmentData, create_record_assignment, list_record_assignments
    from app.records.kinds import get_kind

    director = seeded["director"]
    main, duplicate = _pair(seeded, db_session)
    add_activity("deal", duplicate.id, {"kind": "meeting", "subject": "Demo for Romashka",
                                        "due_at": "2099-01-01T10:00:00+03:00"}, director.id)
    add_comment("deal", duplicate.id, "They asked for a discount", director.id)
    assignment = create_record_assignment(get_kind("deal"), duplicate.id, AssignmentData(
        title="Check the requisites", executor="manager1", due_date=date.today() + timedelta(days=2)), director)
    _line(duplicate, director, "CRM licence", "1000.00")
    db_session.commit()

    response = client.post(f"/api/v1/deals/{duplicate.id}/merge", json={"main_deal_id": main.id},
                           headers=api_token(client, "director"))
    assert response.status_code == 200, response.get_json()
    db_session.expire_all()
    assert [a.subject for a in list_activities("deal", main.id)] == ["Demo for Romashka"]
    assert list_activities("deal", duplicate.id) == []
    assert [a.id for a in list_record_assignments("deal", main.id)] == [assignment.id]
    assert response.get_json()["main"]["amount"] == "2400.00"  # 2 × 1000 + 20% VAT: the amount follows the lines
    text = _main_comment(main.id)
    assert "Activities moved here: Meeting “Demo for Romashka” (planned)." in text
    assert f"Assignments moved here: {assignment.display_number} “Check the requisites”." in text
    assert "Products and services lines moved here (this deal had none): CRM licence × 2." in text
    assert f"Its comments stay on {duplicate.display_number}:" in text
    assert "— Dmitry Director: They asked for a discount" in text
    from app.activities.models import Comment

    assert db_session.scalar(sa.select(sa.func.count()).select_from(Comment).where(
        Comment.record_id == duplicate.id, Comment.record_type == "deal")) == 1  # the comment stays

    # The main deal and the assignment's card show it: the assignment's task is in the main deal's All Tasks.
    login(client, "manager1")
    card = client.get(f"/deals/{main.id}").get_data(as_text=True)
    assert "Check the requisites" in card and "Demo for Romashka" in card


def test_lines_stay_when_the_main_deal_has_its_own_and_registered_steps_run(client, seeded, db_session):
    from app.deals import merge

    director = seeded["director"]
    main, duplicate = _pair(seeded, db_session)
    _line(main, director, "Main licence", "500.00")
    _line(duplicate, director, "Duplicate licence", "700.00")
    db_session.commit()
    calls: list[tuple[int, int, str]] = []

    def orders_step(main_deal: Any, merged_deal: Any, actor: Any) -> list[str]:
        calls.append((main_deal.id, merged_deal.id, actor.login))
        return ["Orders moved here: none."]

    merge.register_merge_step(orders_step)
    merge.register_merge_step(orders_step)  # registered once however often it is asked
    try:
        response = client.post(f"/api/v1/deals/{duplicate.id}/merge", json={"main_deal_id": main.id},
                               headers=api_token(client, "director"))
    finally:
        merge._REGISTERED_STEPS.remove(orders_step)
    assert response.status_code == 200, response.get_json()
    assert calls == [(main.id, duplicate.id, "director")]
    assert response.get_json()["main"]["amount"] == "1200.00"  # its own line only
    text = _main_comment(main.id)
    assert (f"Its products and services lines stay on {duplicate.display_number} (this deal has its own): "
            "Duplicate licence × 2.") in text
    assert text.endswith("Orders moved here: none.")
    from app.deals.models import DealLine

    assert db_session.scalar(sa.select(sa.func.count()).select_from(DealLine).where(
        DealLine.deal_id == duplicate.id)) == 1
