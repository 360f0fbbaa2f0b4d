"""The deal card's Stages widget (stage path, current stage, time in each) and the process settings the deal
kind passes at start (quick closing, stale days)."""
from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
import sqlalchemy as sa

from tests.conftest import api_token, login

pytestmark = pytest.mark.db


@pytest.fixture()
def seeded(users, db_session):
    from app.directories.services import ensure_seed

    ensure_seed()
    db_session.commit()
    return users


def _deal(actor: Any, db_session: Any, at: datetime | None = None) -> Any:
    from app.records.kinds import get_kind
    from app.records.services import create_record

    deal = create_record(get_kind("deal"), {"name": "Поставка серверов", "company_name": "ООО Ромашка",
                                            "responsible": "manager1"}, actor, [], at=at)
    db_session.commit()
    return deal


def _stages(html: str) -> list[tuple[str, str, bool]]:
    """(title, time, is current) of every stage item in the widget."""
    widget = html[html.index('data-testid="deal-stages"'):]
    widget = widget[:widget.index("</section>")]
    items = re.findall(r'<li class="[^"]*"\s*(aria-current="step")?[^>]*data-testid="stage"[^>]*>\s*'
                       r'<span>([^<]*)</span>\s*<small data-testid="stage-time">([^<]*)</small>', widget)
    return [(title.strip(), time.strip(), bool(current)) for current, title, time in items]


def test_stages_show_the_current_stage_and_the_time_in_each(client, seeded, db_session):
    from app.activities.models import FieldChange

    created = datetime.now(timezone.utc) - timedelta(days=5)
    deal = _deal(seeded["director"], db_session, at=created)
    login(client, "manager1")
    for status in ("initial_contact", "presentation"):
        assert client.post(f"/deals/{deal.id}/status", data={"status": status}).status_code == 302
    # the two moves happened two and three days after the deal was created
    changes = list(db_session.scalars(sa.select(FieldChange).where(
        FieldChange.record_type == "deal", FieldChange.record_id == deal.id, FieldChange.field == "status")
        .order_by(FieldChange.id)))
    assert [(c.old_value, c.new_value) for c in changes] == [
        ("not_processed", "initial_contact"), ("initial_contact", "presentation")]
    changes[0].changed_at = created + timedelta(days=2)
    changes[1].changed_at = created + timedelta(days=3)
    db_session.commit()

    page = client.get(f"/deals/{deal.id}")
    assert page.status_code == 200
    stages = _stages(page.get_data(as_text=True))

    assert stages == [
        ("0% Processing", "2 days", False),
        ("20% Qualification", "1 day", False),
        ("40% Development", "2 days", True),
        ("60% Confirmation", "—", False),
        ("100% Win", "—", False),
        ("Rejection/Pause", "—", False),
    ]


def test_stages_of_a_new_deal(client, seeded, db_session):
    deal = _deal(seeded["director"], db_session)
    login(client, "manager1")
    stages = _stages(client.get(f"/deals/{deal.id}").get_data(as_text=True))
    assert [s for s in stages if s[2]] == [("0% Processing", "just now", True)]
    assert len(stages) == 6


def test_stage_time_sums_every_visit(app, seeded, db_session):
    """Time in a stage adds up the intervals of all its statuses, however often the deal came back."""
    from app.activities.models import FieldChange
    from app.deals.stages import stage_path
    from app.records.kinds import get_kind

    created = datetime(2025, 3, 1, 9, 0, tzinfo=timezone.utc)
    deal = _deal(seeded["director"], db_session, at=created)
    moves = [("not_processed", "paused", 1), ("paused", "initial_contact", 2), ("initial_contact", "paused", 4),
             ("paused", "needs_assessment", 7)]
    for old, new, day in moves:
        db_session.add(FieldChange(record_type="deal", record_id=deal.id, field="status", old_value=old,
                                   new_value=new, changed_at=created + timedelta(days=day)))
    deal.status = "needs_assessment"
    db_session.commit()

    path = stage_path(get_kind("deal"), deal, now=created + timedelta(days=10))

    spent = {s.title: s.spent for s in path.path + path.aside}
    assert spent["0% Processing"] == timedelta(days=1)
    assert spent["Rejection/Pause"] == timedelta(days=1 + 3)          # paused twice
    assert spent["20% Qualification"] == timedelta(days=2 + 3)        # initial_contact, then needs_assessment
    assert path.current == "20% Qualification"
    assert [s.is_passed for s in path.path] == [True, False, False, False, False]


@pytest.mark.parametrize("quick", [False, True])
def test_quick_closing_setting_reaches_the_process(app, client, seeded, db_session, quick):
    app.config["CRM_ALLOW_QUICK_CLOSING"] = quick
    try:
        deal = _deal(seeded["director"], db_session)
    finally:
        app.config["CRM_ALLOW_QUICK_CLOSING"] = False
    m1 = api_token(client, "manager1")
    moved = client.post(f"/api/v1/deals/{deal.id}/status", json={"status": "presentation"}, headers=m1)
    assert moved.status_code == 200
    offered = [i["status"] for i in client.get(f"/api/v1/deals/{deal.id}/actions", headers=m1).get_json()["items"]]
    assert ("completed" in offered) is quick
    assert "historical" not in offered
    closing = client.post(f"/api/v1/deals/{deal.id}/status", json={"status": "completed"}, headers=m1)
    assert closing.status_code == (200 if quick else 409)
    assert client.get(f"/api/v1/deals/{deal.id}", headers=m1).get_json()["status"] == (
        "completed" if quick else "presentation")


def test_stale_days_setting_sets_the_reminder_timer(app, seeded, db_session):
    from app.processes.models import ProcessInstance

    app.config["CRM_DEAL_STALE_DAYS"] = 3
    try:
        created = datetime(2025, 3, 3, 9, 0, tzinfo=timezone.utc)
        deal = _deal(seeded["director"], db_session, at=created)
    finally:
        app.config["CRM_DEAL_STALE_DAYS"] = 14
    instance = db_session.scalar(sa.select(ProcessInstance).where(
        ProcessInstance.record_type == "deal", ProcessInstance.record_id == deal.id))
    assert instance.next_timer_at.replace(tzinfo=timezone.utc) == created + timedelta(days=3)
