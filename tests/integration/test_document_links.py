"""Document Links (issue 9 §7): link records of any kind, clients and library documents, shown on both
cards; only ends the user sees are linked or shown; removal asks first. Through HTTP, pages and API."""
from __future__ import annotations

import io
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from app.documents.models import RecordLink
from app.extensions import db
from tests.conftest import api_token, login
from tests.factories import make_record

pytestmark = pytest.mark.db

API = "/api/v1/documents"


@pytest.fixture()
def world(users: dict[str, Any]) -> dict[str, Any]:
    director = users["director"]
    records = {
        "lead": make_record("lead", director, name="Lead of manager1", responsible="manager1"),
        "deal": make_record("deal", director, name="Deal of manager1", responsible="manager1"),
        "other_deal": make_record("deal", director, name="Deal of manager2", responsible="manager2"),
    }
    db.session.commit()
    return {**users, **{k: r.id for k, r in records.items()},
            "lead_number": records["lead"].display_number, "other_number": records["other_deal"].display_number}


def _links() -> int:
    return int(db.session.scalar(sa.select(sa.func.count(RecordLink.id))) or 0)


def test_link_a_deal_to_a_lead_from_the_card_and_see_it_on_both(client: FlaskClient, world: dict[str, Any]) -> None:
    login(client, "manager1")
    card = client.get(f"/deals/{world['deal']}").get_data(as_text=True)
    assert 'data-testid="link-form"' in card and 'data-testid="no-links"' in card
    response = client.post("/documents/links", data={"from_type": "deal", "from_id": world["deal"], "to_type": "lead",
                                                     "reference": world["lead_number"]})
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/deals/{world['deal']}#links")
    deal_card = client.get(f"/deals/{world['deal']}").get_data(as_text=True)
    assert "Lead of manager1" in deal_card and 'data-testid="link-row"' in deal_card
    lead_card = client.get(f"/leads/{world['lead']}").get_data(as_text=True)
    assert "Deal of manager1" in lead_card and 'data-testid="link-row"' in lead_card
    # The same pair from the other card is the same link: refused, nothing new.
    again = client.post("/documents/links", data={"from_type": "lead", "from_id": world["lead"], "to_type": "deal",
                                                  "reference": _number("deal", world["deal"])})
    assert again.status_code == 302 and _links() == 1
    assert "linked already" in client.get(f"/leads/{world['lead']}").get_data(as_text=True)
    # Removing asks first (data-confirm) and removes it from both cards.
    assert f'data-confirm="Remove the link to {world["lead_number"]} Lead of manager1?"' in deal_card
    link_id = db.session.scalar(sa.select(RecordLink.id))
    removed = client.post(f"/documents/links/{link_id}/delete", data={"back_type": "lead", "back_id": world["lead"]})
    assert removed.status_code == 302 and removed.headers["Location"].endswith(f"/leads/{world['lead']}#links")
    assert _links() == 0
    assert "Lead of manager1" not in client.get(f"/deals/{world['deal']}").get_data(as_text=True).split(
        'id="links-h"')[1]


def _number(kind: str, record_id: int) -> str:
    from app.records.kinds import get_kind

    model = get_kind(kind).model
    return str(db.session.scalar(sa.select(model.number).where(model.id == record_id)))


def test_links_to_documents_and_clients_both_ways_through_the_api(client: FlaskClient, world: dict[str, Any]) -> None:
    from app.counterparties.services import create_counterparty

    client_id = create_counterparty({"full_name": "ООО Ромашка", "inn": "7707083893"}, world["director"]).id
    db.session.commit()
    h = api_token(client, "manager1")
    stored = client.post(f"{API}/records/deal/{world['deal']}/files", headers=h, content_type="multipart/form-data",
                         data={"file": (io.BytesIO(b"%PDF"), "spec.pdf")}).get_json()
    to_document = client.post(f"{API}/links", json={"from_type": "lead", "from_id": world["lead"],
                                                    "to_type": "document", "to_id": stored["id"]}, headers=h)
    assert to_document.status_code == 201
    to_client = client.post(f"{API}/links", json={"from_type": "deal", "from_id": world["deal"],
                                                  "to_type": "counterparty", "to_id": client_id}, headers=h)
    assert to_client.status_code == 201
    of_lead = client.get(f"{API}/links?record_type=lead&record_id={world['lead']}", headers=h).get_json()
    assert [(i["record_type"], i["label"]) for i in of_lead["items"]] == [("document", "spec.pdf")]
    of_document = client.get(f"{API}/links?record_type=document&record_id={stored['id']}", headers=h).get_json()
    assert [(i["record_type"], i["record_id"]) for i in of_document["items"]] == [("lead", world["lead"])]
    of_deal = client.get(f"{API}/links?record_type=deal&record_id={world['deal']}", headers=h).get_json()
    assert [(i["record_type"], i["label"]) for i in of_deal["items"]] == [("counterparty", "ООО Ромашка")]
    # The document's page shows the lead; a client is linked by INN from a card too.
    login(client, "manager1")
    page = client.get(f"/documents/library/files/{stored['id']}").get_data(as_text=True)
    assert "Lead of manager1" in page
    by_inn = client.post("/documents/links", data={"from_type": "lead", "from_id": world["lead"],
                                                   "to_type": "counterparty", "reference": "7707083893"})
    assert by_inn.status_code == 302 and _links() == 3
    by_number = client.post("/documents/links", data={"from_type": "deal", "from_id": world["deal"],
                                                      "to_type": "document", "reference": f"#{stored['id']}"})
    assert by_number.status_code == 302 and _links() == 4
    # Deleting the document takes its links with it.
    assert client.delete(f"{API}/files/{stored['id']}", headers=h).status_code == 204
    assert _links() == 2  # the two links to the client stay


def test_only_records_the_user_sees_are_linked_or_shown(client: FlaskClient, world: dict[str, Any]) -> None:
    h = api_token(client, "manager1")
    refused = client.post(f"{API}/links", json={"from_type": "deal", "from_id": world["deal"], "to_type": "deal",
                                                "to_id": world["other_deal"]}, headers=h)
    assert refused.status_code == 404 and _links() == 0
    from_theirs = client.post(f"{API}/links", json={"from_type": "deal", "from_id": world["other_deal"],
                                                    "to_type": "lead", "to_id": world["lead"]}, headers=h)
    assert from_theirs.status_code == 404 and _links() == 0
    login(client, "manager1")
    page = client.post("/documents/links", data={"from_type": "deal", "from_id": world["deal"], "to_type": "deal",
                                                 "reference": world["other_number"]})
    assert page.status_code == 404 and _links() == 0
    # The director links the two deals: manager1 does not see manager2's end, manager2 not manager1's.
    director = api_token(client, "director")
    made = client.post(f"{API}/links", json={"from_type": "deal", "from_id": world["deal"], "to_type": "deal",
                                             "to_id": world["other_deal"]}, headers=director)
    assert made.status_code == 201
    assert client.get(f"{API}/links?record_type=deal&record_id={world['deal']}", headers=h).get_json()["items"] == []
    assert "Deal of manager2" not in client.get(f"/deals/{world['deal']}").get_data(as_text=True)
    assert client.get(f"{API}/links?record_type=deal&record_id={world['other_deal']}", headers=h).status_code == 404
    assert client.delete(f"{API}/links/{made.get_json()['id']}", headers=h).status_code == 404
    assert client.post(f"/documents/links/{made.get_json()['id']}/delete").status_code == 404
    assert _links() == 1
    both = client.get(f"{API}/links?record_type=deal&record_id={world['deal']}", headers=director).get_json()
    assert [i["label"].endswith("Deal of manager2") for i in both["items"]] == [True]


def test_an_observer_sees_links_but_does_not_make_or_remove_them(client: FlaskClient, users: dict[str, Any]) -> None:
    director = users["director"]
    deal = make_record("deal", director, name="Observed deal", responsible="manager2", observers=["manager1"])
    lead = make_record("lead", director, name="Observed lead", responsible="manager2", observers=["manager1"])
    db.session.commit()
    made = client.post(f"{API}/links", json={"from_type": "deal", "from_id": deal.id, "to_type": "lead",
                                             "to_id": lead.id}, headers=api_token(client, "manager2"))
    assert made.status_code == 201
    h = api_token(client, "manager1")
    listed = client.get(f"{API}/links?record_type=deal&record_id={deal.id}", headers=h).get_json()
    assert [i["record_id"] for i in listed["items"]] == [lead.id]
    assert client.delete(f"{API}/links/{made.get_json()['id']}", headers=h).status_code == 403
    assert client.post(f"{API}/links", json={"from_type": "lead", "from_id": lead.id, "to_type": "deal",
                                             "to_id": deal.id}, headers=h).status_code == 403
    login(client, "manager1")
    card = client.get(f"/deals/{deal.id}").get_data(as_text=True)
    assert "Observed lead" in card and 'data-testid="link-form"' not in card and 'data-testid="remove-link"' not in card
    assert _links() == 1


def test_bad_link_requests_change_nothing(app: Flask, client: FlaskClient, world: dict[str, Any],
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    h = api_token(client, "manager1")
    deal = {"from_type": "deal", "from_id": world["deal"]}
    cases: list[dict[str, Any]] = [
        {**deal, "to_type": "deal", "to_id": world["deal"]},  # itself
        {**deal, "to_type": "spaceship", "to_id": 1},  # not a record type
        {**deal, "to_type": "lead", "to_id": world["lead"], "created_by_id": 1},  # undeclared
        {**deal, "to_type": "lead", "to_id": str(world["lead"])},  # wrong type
        {**deal, "to_type": "lead", "to_id": True},
        {**deal, "to_type": "lead"},  # missing
    ]
    for body in cases:
        assert client.post(f"{API}/links", json=body, headers=h).status_code == 422, body
    assert client.get(f"{API}/links?record_type=deal&record_id=x", headers=h).status_code == 422
    assert client.get(f"{API}/links?record_type=spaceship&record_id=1", headers=h).status_code == 422
    login(client, "manager1")
    unknown = client.post("/documents/links", data={**deal, "to_type": "lead", "reference": "L-999999"})
    assert unknown.status_code == 302
    assert "Nothing found with this number." in client.get(f"/deals/{world['deal']}").get_data(as_text=True)
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", True)
    no_token = client.post("/documents/links", data={**deal, "to_type": "lead", "reference": world["lead_number"]})
    assert no_token.status_code == 400
    session_api = client.post(f"{API}/links", json={**deal, "to_type": "lead", "to_id": world["lead"]})
    assert session_api.status_code == 400 and session_api.get_json()["error"]["code"] == "csrf_failed"
    assert _links() == 0


def test_the_client_card_shows_its_folder_and_its_links(client: FlaskClient, world: dict[str, Any]) -> None:
    from app.counterparties.services import create_counterparty

    client_id = create_counterparty({"full_name": "ООО Василёк", "inn": "7707083893"}, world["director"]).id
    db.session.commit()
    h = api_token(client, "manager1")
    assert client.post(f"{API}/links", json={"from_type": "deal", "from_id": world["deal"],
                                             "to_type": "counterparty", "to_id": client_id},
                       headers=h).status_code == 201
    login(client, "manager1")
    page = client.get(f"/counterparties/{client_id}").get_data(as_text=True)
    assert 'data-testid="client-documents"' in page
    assert f'href="/documents/library/records/counterparty/{client_id}"' in page
    assert "Deal of manager1" in page  # the link, seen from the client's side
    # manager2 cannot see manager1's deal: the client card shows no link to it.
    login(client, "manager2")
    assert "Deal of manager1" not in client.get(f"/counterparties/{client_id}").get_data(as_text=True)
