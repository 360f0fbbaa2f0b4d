"""Comments on records of every kind: card widget, page and API routes, visibility and write access.

Whoever sees a record reads its comments; its responsible person, the Commercial Director and
administrators write them; an observer reads only; another manager gets a 404.
"""
from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa

from tests.conftest import api_token, login
from tests.factories import make_record

pytestmark = pytest.mark.db

KINDS = ("lead", "deal")


def _record(kind_name: str, users: Any, db_session: Any, **data: Any) -> Any:
    record = make_record(kind_name, users["director"], responsible="manager1", **data)
    db_session.commit()
    return record


def _comment_count() -> int:
    from app.activities.models import Comment
    from app.extensions import db

    return int(db.session.scalar(sa.select(sa.func.count()).select_from(Comment)) or 0)


@pytest.mark.parametrize("kind_name", KINDS)
def test_responsible_comments_on_the_card_and_reads_them_through_the_api(client, users, db_session, kind_name):
    record = _record(kind_name, users, db_session)
    plural = f"{kind_name}s"
    login(client, "manager1")
    response = client.post(f"/{plural}/{record.id}/comments",
                           data={"text": "  Позвонил клиенту\nперезвонить в пятницу "})
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/{plural}/{record.id}#comments")
    page = client.get(f"/{plural}/{record.id}").get_data(as_text=True)
    assert "Позвонил клиенту" in page and 'data-testid="comment-form"' in page

    headers = api_token(client, "manager1")
    created = client.post(f"/api/v1/{plural}/{record.id}/comments", json={"text": "Second"}, headers=headers)
    assert created.status_code == 201
    assert created.get_json()["author"] == "manager1" and created.get_json()["text"] == "Second"
    listed = client.get(f"/api/v1/{plural}/{record.id}/comments", headers=headers).get_json()
    assert listed["total"] == 2
    assert [c["text"] for c in listed["items"]] == ["Second", "Позвонил клиенту\nперезвонить в пятницу"]


@pytest.mark.parametrize("kind_name", KINDS)
def test_another_manager_cannot_see_or_write_comments(client, users, db_session, kind_name):
    record = _record(kind_name, users, db_session)
    plural = f"{kind_name}s"
    from app.activities.services import add_comment

    add_comment(kind_name, record.id, "Secret note of manager1", users["manager1"].id)
    db_session.commit()
    before = _comment_count()
    headers = api_token(client, "manager2")
    listed = client.get(f"/api/v1/{plural}/{record.id}/comments", headers=headers)
    assert listed.status_code == 404 and "Secret note" not in listed.get_data(as_text=True)
    assert client.post(f"/api/v1/{plural}/{record.id}/comments", json={"text": "x"}, headers=headers).status_code == 404
    login(client, "manager2")
    assert client.post(f"/{plural}/{record.id}/comments", data={"text": "x"}).status_code == 404
    assert _comment_count() == before


@pytest.mark.parametrize("kind_name", KINDS)
def test_an_observer_reads_comments_but_cannot_write(client, users, db_session, kind_name):
    record = _record(kind_name, users, db_session, observers=["manager2"])
    plural = f"{kind_name}s"
    from app.activities.services import add_comment

    add_comment(kind_name, record.id, "Visible to observers", users["manager1"].id)
    db_session.commit()
    headers = api_token(client, "manager2")
    listed = client.get(f"/api/v1/{plural}/{record.id}/comments", headers=headers).get_json()
    assert [c["text"] for c in listed["items"]] == ["Visible to observers"]
    refused = client.post(f"/api/v1/{plural}/{record.id}/comments", json={"text": "x"}, headers=headers)
    assert refused.status_code == 403
    login(client, "manager2")
    page = client.get(f"/{plural}/{record.id}").get_data(as_text=True)
    assert "Visible to observers" in page and 'data-testid="comment-form"' not in page
    assert _comment_count() == 1


def test_empty_and_too_long_comments_are_refused(client, users, db_session):
    record = _record("deal", users, db_session)
    headers = api_token(client, "manager1")
    for body in ({}, {"text": "   "}, {"text": 5}, {"text": "x" * 10_001}):
        response = client.post(f"/api/v1/deals/{record.id}/comments", json=body, headers=headers)
        assert response.status_code == 422, body
        assert "text" in response.get_json()["error"]["fields"]
    login(client, "manager1")
    page = client.post(f"/deals/{record.id}/comments", data={"text": ""})
    assert page.status_code == 422 and "is-invalid" in page.get_data(as_text=True)
    assert _comment_count() == 0
    ok = client.post(f"/api/v1/deals/{record.id}/comments", json={"text": "x" * 10_000}, headers=headers)
    assert ok.status_code == 201
