"""Planned activities (call, meeting, email) on records of every kind: the services, the expiry run by
the clock's periodic job (injected clock), received emails (mail intake), and the card widget and API
routes with the attacker's pass (another manager's record, an observer, undeclared fields, wrong types,
huge and control-character input, CSRF)."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
import sqlalchemy as sa

from tests.conftest import api_token, login  # noqa: F401  (the HTTP tests below)
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
