"""Planned activities (call, meeting, email) on records of every kind: the services, the expiry run by
the clock's periodic job (injected clock), received emails (mail intake), and the card widget and API
routes with the attacker's pass (another manager's record, an observer, undeclared fields, wrong types,
huge and control-character input, CSRF)."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
import sqlalchemy as sa

from tests.conftest import api_token, login
from tests.factories import make_record

pytestmark = pytest.mark.db

KINDS = ("lead", "deal")
T0 = datetime(2026, 12, 1, 9, 0, tzinfo=timezone.utc)


def _record(kind_name: str, users: Any, db_session: Any, **data: Any) -> Any:
    record = make_record(kind_name, users["director"], responsible="manager1", **data)
    db_session.commit()
    return record


def _activities() -> list[Any]:
    from app.activities.models import Activity
    from app.extensions import db

    return list(db.session.scalars(sa.select(Activity).order_by(Activity.id)))


def _plan(record: Any, actor: Any, due: datetime, **data: Any) -> Any:
    from app.activities.services import add_activity

    return add_activity(record.__record_type__, record.id,
                        {"kind": "call", "subject": "Call the buyer", "due_at": due.isoformat(), **data},
                        actor.id, at=T0)


# --------------------------------------------------------------------------- services


def test_a_planned_activity_expires_when_its_due_time_passes(app, users, db_session):
    from app.activities.services import expire_overdue_activities

    deal = _record("deal", users, db_session)
    soon = _plan(deal, users["manager1"], T0 + timedelta(hours=1))
    _plan(deal, users["manager1"], T0 + timedelta(days=2), kind="meeting", subject="Demo")
    done = _plan(deal, users["manager1"], T0 + timedelta(minutes=30), subject="Done before")
    done.status = "completed"
    db_session.commit()
    assert soon.responsible_id == users["manager1"].id and soon.status == "planned"

    assert expire_overdue_activities(T0 + timedelta(minutes=59)) == 0
    assert expire_overdue_activities(T0 + timedelta(hours=1, seconds=1)) == 1
    db_session.commit()
    db_session.expire_all()
    assert [(a.subject, a.status) for a in _activities()] == [
        ("Call the buyer", "expired"), ("Demo", "planned"), ("Done before", "completed")]
    assert expire_overdue_activities(T0 + timedelta(hours=2)) == 0  # idempotent


def test_an_activity_read_before_it_expired_is_still_completed_with_that_version(client, users, db_session):
    from app.activities.services import expire_overdue_activities

    deal = _record("deal", users, db_session)
    activity = _plan(deal, users["manager1"], T0 + timedelta(hours=1))
    db_session.commit()
    read_version = activity.version
    expire_overdue_activities(T0 + timedelta(hours=2))
    db_session.commit()
    login(client, "manager1")
    done = client.post(f"/deals/{deal.id}/activities/{activity.id}/complete",
                       data={"result": "Called an hour late", "version": str(read_version)})
    assert done.status_code == 302
    db_session.expire_all()
    assert (_activities()[0].status, _activities()[0].result) == ("completed", "Called an hour late")


def test_the_clock_job_expires_overdue_activities(app, users, db_session):
    from workflows import clock
    from workers import clock as clock_process
    from workers.activities import expire_activities

    from app import jobs

    deal = _record("deal", users, db_session)
    _plan(deal, users["manager1"], T0 + timedelta(hours=1))
    db_session.commit()
    with clock.frozen(T0 + timedelta(hours=3)):
        assert expire_activities() == 1
    db_session.expire_all()
    assert _activities()[0].status == "expired"
    periodic = {name for name, _job_id, _queue in clock_process.PERIODIC_JOBS}
    assert jobs.EXPIRE_ACTIVITIES in periodic and jobs.EXPIRE_ACTIVITIES in jobs.ALL_JOBS


def test_received_email_is_an_email_activity_once_per_message_id(app, users, db_session):
    from app.activities.services import add_email_activity, timeline

    deal = _record("deal", users, db_session)
    received = T0 - timedelta(hours=1)
    first = add_email_activity("deal", deal.id, "Re: offer\r\n  please", "Body text", "buyer@example.org", received,
                               "<m1@example.org>", None)
    again = add_email_activity("deal", deal.id, "Re: offer", "Body text", "buyer@example.org", received,
                               "<m1@example.org>", None)
    db_session.commit()
    assert again.id == first.id and len(_activities()) == 1
    assert (first.kind, first.status, first.subject, first.sender) == ("email", "completed", "Re: offer please",
                                                                       "buyer@example.org")
    assert [e.activity.id for e in timeline("deal", deal.id) if e.activity] == [first.id]


def test_a_deal_made_from_a_lead_keeps_its_marketing_fields(app, users, db_session):
    from app.deals.services import create_deal_from_lead

    lead = make_record("lead", users["director"], responsible="manager1")
    lead.utm_source, lead.utm_campaign, lead.site_page = "yandex", "winter", "https://example.org/price"
    lead.ga_client_id, lead.received_at = "GA1.2.3", T0
    deal = create_deal_from_lead(lead, users["manager1"].id)
    db_session.commit()
    assert (deal.utm_source, deal.utm_campaign, deal.site_page, deal.ga_client_id, deal.received_at) == (
        "yandex", "winter", "https://example.org/price", "GA1.2.3", T0)


# --------------------------------------------------------------------------- pages and API

def _due(hours: int = 24) -> str:
    from app.db import utcnow

    return (utcnow() + timedelta(hours=hours)).replace(microsecond=0).isoformat()


def _local_due(hours: int = 24) -> str:
    """A datetime-local value (the page form) in Moscow time, `hours` from now."""
    from zoneinfo import ZoneInfo

    from app.db import utcnow

    return (utcnow() + timedelta(hours=hours)).astimezone(ZoneInfo("Europe/Moscow")).strftime("%Y-%m-%dT%H:%M")


@pytest.mark.parametrize("kind_name", KINDS)
def test_responsible_plans_completes_and_cancels_activities_on_the_card(client, users, db_session, kind_name):
    record = _record(kind_name, users, db_session)
    plural = f"{kind_name}s"
    login(client, "manager1")
    page = client.get(f"/{plural}/{record.id}").get_data(as_text=True)
    assert 'data-testid="activity-form"' in page and "No comments or activities yet." in page

    local = _local_due(26)
    response = client.post(f"/{plural}/{record.id}/activities", data={
        "kind": "meeting", "subject": "Demo at the client's office", "due_at": local,
        "responsible": "manager1", "body": "Bring the pricing"})
    assert response.status_code == 302, response.get_data(as_text=True)
    activity = _activities()[-1]
    assert response.headers["Location"].endswith(f"/{plural}/{record.id}#activity-{activity.id}")
    assert (activity.kind, activity.status, activity.responsible.login, activity.body) == (
        "meeting", "planned", "manager1", "Bring the pricing")
    from zoneinfo import ZoneInfo

    assert activity.due_at.astimezone(ZoneInfo("Europe/Moscow")).strftime("%Y-%m-%dT%H:%M") == local
    client.post(f"/{plural}/{record.id}/comments", data={"text": "Agreed on the date"})

    page = client.get(f"/{plural}/{record.id}").get_data(as_text=True)
    assert page.index("Agreed on the date") < page.index("Demo at the client&#39;s office")  # newest first
    assert 'data-testid="complete-activity"' in page and 'data-confirm="Cancel the activity' in page

    refused = client.post(f"/{plural}/{record.id}/activities/{activity.id}/complete", data={"result": " "})
    assert refused.status_code == 422 and "is-invalid" in refused.get_data(as_text=True)
    done = client.post(f"/{plural}/{record.id}/activities/{activity.id}/complete",
                       data={"result": "They want 50 licences", "version": str(activity.version)})
    assert done.status_code == 302
    db_session.expire_all()
    activity = _activities()[-1]
    assert (activity.status, activity.result) == ("completed", "They want 50 licences")
    again = client.post(f"/{plural}/{record.id}/activities/{activity.id}/cancel", data={})
    assert again.status_code == 409

    second = _plan(record, users["manager1"], T0 + timedelta(days=3650), subject="Follow-up")
    db_session.commit()
    assert client.post(f"/{plural}/{record.id}/activities/{second.id}/cancel", data={}).status_code == 302
    db_session.expire_all()
    assert _activities()[-1].status == "canceled"
    page = client.get(f"/{plural}/{record.id}").get_data(as_text=True)
    assert "They want 50 licences" in page and "Canceled" in page


def test_the_api_plans_edits_with_a_version_completes_and_lists(client, users, db_session):
    deal = _record("deal", users, db_session)
    headers = api_token(client, "manager1")
    base = f"/api/v1/deals/{deal.id}/activities"
    created = client.post(base, json={"kind": "call", "subject": "Call Olga", "due_at": _due(),
                                      "responsible": "manager2", "body": "About the offer"}, headers=headers)
    # manager2 is an eligible responsible (a CRM Manager), even without access to the deal.
    assert created.status_code == 201, created.get_json()
    body = created.get_json()
    assert (body["kind"], body["status"], body["responsible"], body["created_by"]) == (
        "call", "planned", "manager2", "manager1")
    url = f"{base}/{body['id']}"

    moved = client.patch(url, json={"subject": "Call Olga back", "version": body["version"]}, headers=headers)
    assert moved.status_code == 200 and moved.get_json()["subject"] == "Call Olga back"
    stale = client.patch(url, json={"subject": "Lost update", "version": body["version"]}, headers=headers)
    assert stale.status_code == 409
    assert client.patch(url, json={"subject": "No version"}, headers=headers).status_code == 422

    done = client.post(f"{url}/complete", json={"result": "Call back on Monday"}, headers=headers)
    assert done.status_code == 200 and done.get_json()["status"] == "completed"
    assert done.get_json()["completed_at"] is not None
    assert client.patch(url, json={"subject": "x", "version": done.get_json()["version"]},
                        headers=headers).status_code == 409  # a completed activity is not edited
    listed = client.get(base, headers=headers).get_json()
    assert listed["total"] == 1 and listed["items"][0]["result"] == "Call back on Monday"


@pytest.mark.parametrize("kind_name", KINDS)
def test_another_manager_gets_404_and_an_observer_reads_only(client, users, db_session, kind_name):
    record = _record(kind_name, users, db_session, observers=["admin"])
    # manager2 observes a second record of manager1: reads, never writes.
    observed = _record(kind_name, users, db_session, observers=["manager2"])
    plural = f"{kind_name}s"
    mine = _plan(record, users["manager1"], T0 + timedelta(days=3650), subject="Secret plan")
    seen = _plan(observed, users["manager1"], T0 + timedelta(days=3650), subject="Observed plan")
    db_session.commit()
    headers = api_token(client, "manager2")
    payload = {"kind": "call", "subject": "x", "due_at": _due()}

    for method, url, body in (("get", f"/api/v1/{plural}/{record.id}/activities", None),
                              ("post", f"/api/v1/{plural}/{record.id}/activities", payload),
                              ("patch", f"/api/v1/{plural}/{record.id}/activities/{mine.id}",
                               {"subject": "x", "version": mine.version}),
                              ("post", f"/api/v1/{plural}/{record.id}/activities/{mine.id}/complete", {"result": "x"}),
                              ("post", f"/api/v1/{plural}/{record.id}/activities/{mine.id}/cancel", {})):
        response = getattr(client, method)(url, json=body, headers=headers)
        assert response.status_code == 404, (method, url)
        assert "Secret plan" not in response.get_data(as_text=True)
    # An activity id of another record, through a record the caller may write: 404 as well.
    m1 = api_token(client, "manager1")
    foreign = _record(kind_name, {**users, "director": users["director"]}, db_session)
    assert client.post(f"/api/v1/{plural}/{foreign.id}/activities/{mine.id}/cancel", json={},
                       headers=m1).status_code == 404

    listed = client.get(f"/api/v1/{plural}/{observed.id}/activities", headers=headers).get_json()
    assert [a["subject"] for a in listed["items"]] == ["Observed plan"]
    assert client.post(f"/api/v1/{plural}/{observed.id}/activities", json=payload, headers=headers).status_code == 403
    assert client.post(f"/api/v1/{plural}/{observed.id}/activities/{seen.id}/complete", json={"result": "x"},
                       headers=headers).status_code == 403
    login(client, "manager2")
    page = client.get(f"/{plural}/{observed.id}").get_data(as_text=True)
    assert "Observed plan" in page and 'data-testid="activity-form"' not in page
    assert 'data-testid="complete-activity"' not in page
    assert client.post(f"/{plural}/{observed.id}/activities/{seen.id}/cancel").status_code == 403
    assert client.post(f"/{plural}/{record.id}/activities", data={"subject": "x"}).status_code == 404
    db_session.expire_all()
    assert [(a.subject, a.status) for a in _activities()] == [("Secret plan", "planned"), ("Observed plan", "planned")]


def test_bad_input_is_refused_with_field_errors_and_changes_nothing(client, users, db_session):
    deal = _record("deal", users, db_session)
    headers = api_token(client, "manager1")
    base = f"/api/v1/deals/{deal.id}/activities"
    good = {"kind": "call", "subject": "Call", "due_at": _due()}
    cases = [
        ({**good, "status": "completed"}, "status"),          # a field the form does not declare
        ({**good, "record_id": 1}, "record_id"),
        ({**good, "kind": "fax"}, "kind"),
        ({**good, "kind": ["call"]}, "kind"),
        ({**good, "subject": 5}, "subject"),
        ({**good, "subject": ""}, "subject"),
        ({**good, "subject": "x" * 301}, "subject"),
        ({**good, "subject": "two\nlines"}, "subject"),
        ({**good, "body": "x" * 20_001}, "body"),
        ({**good, "body": {"a": 1}}, "body"),
        ({**good, "due_at": "tomorrow"}, "due_at"),
        ({**good, "due_at": 1764578400}, "due_at"),
        ({**good, "due_at": "2026-12-01T10:00:00"}, "due_at"),  # no offset in the API
        ({**good, "due_at": "2001-01-01T10:00:00+03:00"}, "due_at"),  # in the past
        ({**good, "due_at": "9" * 5000}, "due_at"),
        ({**good, "responsible": "nobody"}, "responsible"),
        ({**good, "responsible": "analyst"}, "responsible"),   # not a CRM Manager or the director
        ({**good, "responsible": 7}, "responsible"),
    ]
    for body, field in cases:
        response = client.post(base, json=body, headers=headers)
        assert response.status_code == 422, (body, response.get_json())
        assert field in response.get_json()["error"]["fields"], (body, response.get_json())
    control = client.post(base, json={**good, "subject": "call\x00me"}, headers=headers)
    assert control.status_code == 422
    assert client.post(base, data="not json", headers={**headers, "Content-Type": "application/json"}
                       ).status_code == 400
    assert client.post(base, json=[good], headers=headers).status_code == 400
    huge = client.post(base, json={**good, "body": "x" * 3_000_000}, headers=headers)
    assert huge.status_code in (413, 422)
    assert _activities() == []

    created = client.post(base, json=good, headers=headers).get_json()
    url = f"{base}/{created['id']}"
    for body in ({"result": ""}, {"result": 5}, {"result": "x" * 10_001}, {"result": "ok", "status": "canceled"}):
        response = client.post(f"{url}/complete", json=body, headers=headers)
        assert response.status_code == 422, body
    assert client.post(f"{url}/complete", json={"result": "ok", "version": "1"}, headers=headers).status_code == 400
    for body in ({"version": created["version"], "created_by": "director"}, {"version": True},
                 {"version": created["version"], "due_at": None}):
        assert client.patch(url, json=body, headers=headers).status_code in (400, 422), body
    db_session.expire_all()
    assert [(a.status, a.subject, a.created_by.login) for a in _activities()] == [("planned", "Call", "manager1")]

    login(client, "manager1")
    page = client.post(f"/deals/{deal.id}/activities", data={"kind": "call", "subject": "", "due_at": "not a date"})
    text = page.get_data(as_text=True)
    assert page.status_code == 422 and text.count("is-invalid") >= 2
    assert '<details class="mb-3" data-testid="plan-activity" open' in text
    assert len(_activities()) == 1


def test_page_and_session_api_writes_need_the_csrf_token(app, client, users, db_session, monkeypatch):
    deal = _record("deal", users, db_session)
    activity = _plan(deal, users["manager1"], T0 + timedelta(days=3650))
    db_session.commit()
    login(client, "manager1")
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", True)
    for url, data in ((f"/deals/{deal.id}/activities", {"kind": "call", "subject": "x",
                                                        "due_at": _local_due()}),
                      (f"/deals/{deal.id}/activities/{activity.id}/complete", {"result": "x"}),
                      (f"/deals/{deal.id}/activities/{activity.id}/cancel", {})):
        assert client.post(url, data=data).status_code == 400, url
    session_api = client.post(f"/api/v1/deals/{deal.id}/activities",
                              json={"kind": "call", "subject": "x", "due_at": _due()})
    assert session_api.status_code == 400 and session_api.get_json()["error"]["code"] == "csrf_failed"
    db_session.expire_all()
    assert [(a.status, a.subject) for a in _activities()] == [("planned", "Call the buyer")]


def test_demo_data_has_activities_in_each_status_and_an_assignment_from_a_deal(app, db_session):
    from app.assignments.models import Assignment
    from app.demo import load_demo

    assert load_demo()
    db_session.commit()
    statuses = {a.status for a in _activities()}
    assert {"planned", "completed", "expired"} <= statuses
    assert any(a.result for a in _activities() if a.status == "completed")
    linked = db_session.scalars(sa.select(Assignment).where(Assignment.record_type == "deal")).all()
    assert [a.title for a in linked] == ["Estimate the integration effort"]


def test_the_activities_widget_in_russian(client, users, db_session):
    deal = _record("deal", users, db_session)
    _plan(deal, users["manager1"], T0 + timedelta(days=3650), kind="meeting", subject="Встреча с клиентом")
    users["manager1"].locale = "ru"
    db_session.commit()
    login(client, "manager1")
    page = client.get(f"/deals/{deal.id}").get_data(as_text=True)
    for text in ("Активности", "Запланировать активность", "Встреча", "Запланирована", "Отменить активность",
                 "Создать поручение", "Поручений нет."):
        assert text in page, text
