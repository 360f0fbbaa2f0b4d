"""The sales dashboard (/dashboard): figures visible to the user as the records are, empty states,
anonymous access, the director's landing page."""
from __future__ import annotations

import json
import re
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
import sqlalchemy as sa

from tests.conftest import login
from tests.factories import make_assignment, make_record

pytestmark = pytest.mark.db


def _close(record: Any, status: str, at: Any) -> None:
    """Put a record in `status` with its status history row at `at` (as crm.set_status writes it)."""
    from app.activities.services import record_change

    record_change(record.__record_type__, record.id, "status", record.status, status, None, at=at)
    record.status = status


def _overdue(author: Any, executor: str, now: Any, db_session: Any) -> None:
    from app.tasks.models import OPEN, HumanTask

    assignment = make_assignment(author, executor=executor)
    db_session.flush()
    db_session.execute(sa.update(HumanTask).where(HumanTask.record_type == "assignment",
                                                  HumanTask.record_id == assignment.id, HumanTask.status == OPEN)
                       .values(due_at=now - timedelta(days=2)))


@pytest.fixture()
def sales(users, db_session):
    """manager1: an open deal (100), a rejected deal (50), a lead lost as spam, an overdue task;
    manager2: a won deal (200), a lead lost as not target, an overdue task."""
    from app.db import utcnow
    from app.directories.services import ensure_seed

    ensure_seed()
    now = utcnow()
    director = users["director"]
    make_record("deal", director, responsible="manager1", amount="100", name="Open deal of manager1")
    won = make_record("deal", director, responsible="manager2", amount="200")
    lost = make_record("deal", director, responsible="manager1", amount="50")
    _close(won, "completed", now)
    _close(lost, "rejected", now - timedelta(days=1) if now.day > 1 else now)
    for login_, reason in (("manager1", "spam"), ("manager2", "not_target")):
        lead = make_record("lead", director, responsible=login_)
        lead.disqualification_reason = reason
        _close(lead, "disqualified", now)
    _overdue(director, "manager1", now, db_session)
    _overdue(director, "manager2", now, db_session)
    db_session.commit()
    return users


def _board(user: Any) -> Any:
    from app.dashboard.services import build_dashboard

    return build_dashboard(user)


def _funnel(board: Any) -> dict[str, tuple[int, Decimal]]:
    return {b.label: (b.count, b.amount) for b in board.funnel if b.count}


def test_director_sees_every_figure(app, sales):
    with app.test_request_context():
        board = _board(sales["director"])
    assert _funnel(board) == {"0% Processing": (1, Decimal("100")), "100% Win": (1, Decimal("200")),
                              "Rejection/Pause": (1, Decimal("50"))}
    assert [b.label for b in board.funnel][:2] == ["0% Processing", "20% Qualification"]  # every stage, in order
    assert len(board.months) == 12
    assert sum(m.won for m in board.months) == 1 and sum(m.lost for m in board.months) == 1
    assert board.months[-1].won == 1
    assert sorted((b.label, b.count) for b in board.lost_reasons) == [("Not a target client", 1), ("Spam", 1)]
    assert sorted((b.label, b.count) for b in board.overdue) == [("Maria Manager", 1), ("Mikhail Manager", 1)]


def test_manager_sees_only_own_figures(app, sales):
    with app.test_request_context():
        board = _board(sales["manager1"])
    assert _funnel(board) == {"0% Processing": (1, Decimal("100")), "Rejection/Pause": (1, Decimal("50"))}
    assert sum(m.won for m in board.months) == 0 and sum(m.lost for m in board.months) == 1
    assert [(b.label, b.count) for b in board.lost_reasons] == [("Spam", 1)]
    assert [(b.label, b.count) for b in board.overdue] == [("Maria Manager", 1)]


def test_a_deal_taken_back_from_rejection_and_won_counts_as_won(app, sales, db_session):
    from app.db import utcnow
    from app.deals.models import Deal

    deal = db_session.scalar(sa.select(Deal).where(Deal.status == "rejected"))
    _close(deal, "initial_contact", utcnow())
    _close(deal, "completed", utcnow())
    db_session.commit()
    with app.test_request_context():
        board = _board(sales["director"])
    assert sum(m.won for m in board.months) == 2 and sum(m.lost for m in board.months) == 0


def _island(html: str) -> dict[str, Any]:
    match = re.search(r'<script type="application/json" id="dashboard-data">(.*?)</script>', html, re.S)
    assert match, "no chart data island"
    return json.loads(match.group(1))


def test_page_shows_tables_and_chart_data_per_user(client, sales):
    login(client, "director")
    html = client.get("/dashboard").get_data(as_text=True)
    for panel in ("funnel", "won_lost", "lost_reasons", "overdue"):
        assert f'data-chart="{panel}"' in html and f'data-testid="table-{panel}"' in html
    assert "Mikhail Manager" in html and "Not a target client" in html
    data = _island(html)
    assert data["overdue"]["series"][0]["data"] == [1, 1]
    assert sum(data["won_lost"]["series"][0]["data"]) == 1
    assert '<script src="/static/vendor/chartjs/chart.umd.js"></script>' in html
    assert '<script src="/static/dashboard.js"></script>' in html

    client.post("/logout")
    login(client, "manager1")
    html = client.get("/dashboard").get_data(as_text=True)
    assert "Mikhail Manager" not in html and "Not a target client" not in html
    data = _island(html)
    assert data["overdue"]["labels"] == ["Maria Manager"]
    assert sum(data["won_lost"]["series"][0]["data"]) == 0


def test_empty_state(client, users):
    login(client, "manager2")
    html = client.get("/dashboard").get_data(as_text=True)
    for panel in ("funnel", "won_lost", "lost_reasons", "overdue"):
        assert f'data-testid="empty-{panel}"' in html
    assert "data-chart=" not in html and "No deals yet." in html


def test_russian_page(client, sales, db_session):
    sales["manager1"].locale = "ru"
    db_session.commit()
    login(client, "manager1")
    html = client.get("/dashboard").get_data(as_text=True)
    assert "Дашборд продаж" in html and "Воронка продаж по этапам" in html and "Спам" in html
    assert _island(html)["won_lost"]["series"][1]["label"] == "Проиграно"


def test_anonymous_is_sent_to_login(client, users):
    response = client.get("/dashboard")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


@pytest.mark.parametrize(("user_login", "landing"), [("director", "/dashboard"), ("admin", "/dashboard"),
                                                     ("manager1", "/tasks")])
def test_landing_page_after_login(client, users, user_login, landing):
    response = client.post("/login", data={"login": user_login, "password": "demo"})
    assert response.status_code == 302 and response.headers["Location"].endswith(landing)
    assert client.get("/").headers["Location"].endswith(landing)


def _won_at(director: Any, at: Any, status: str = "completed") -> Any:
    deal = make_record("deal", director, responsible="manager1", amount="10")
    _close(deal, status, at)
    return deal


def test_months_are_the_users_calendar_months_not_utc(app, users, db_session):
    from datetime import date, datetime, timezone

    from app.dashboard.services import Period, won_lost_by_month

    director = users["director"]
    _won_at(director, datetime(2026, 11, 30, 22, 30, tzinfo=timezone.utc))  # 1 December 01:30 in Moscow
    _won_at(director, datetime(2026, 11, 15, 12, 0, tzinfo=timezone.utc), status="rejected")
    db_session.commit()
    period = Period(date(2026, 11, 1), date(2026, 12, 31), {})
    with app.test_request_context():
        moscow = won_lost_by_month(director, period)
        director.timezone = "UTC"
        utc = won_lost_by_month(director, period)
    assert [(m.label, m.won, m.lost) for m in moscow] == [("Nov 2026", 0, 1), ("Dec 2026", 1, 0)]
    assert [(m.label, m.won, m.lost) for m in utc] == [("Nov 2026", 1, 1), ("Dec 2026", 0, 0)]


def test_the_won_lost_chart_follows_the_date_range(app, client, users, db_session):
    from datetime import date, datetime, timezone

    from app.dashboard.services import build_dashboard, default_period

    director = users["director"]
    _won_at(director, datetime(2025, 6, 15, 9, 0, tzinfo=timezone.utc), status="rejected")
    _won_at(director, datetime(2026, 11, 20, 9, 0, tzinfo=timezone.utc))
    db_session.commit()
    now = datetime(2026, 12, 1, 8, 0, tzinfo=timezone.utc)
    with app.test_request_context():
        period = default_period(director, now)
        board = build_dashboard(director, now, period)
    assert (period.date_from, period.date_to) == (date(2026, 1, 1), date(2026, 12, 1))
    assert len(board.months) == 12 and board.months[0].label == "Jan 2026"
    assert sum(m.lost for m in board.months) == 0 and board.months[-2].won == 1  # June 2025 is outside

    login(client, "director")
    html = client.get("/dashboard?date_from=2025-06-01&date_to=2025-07-31").get_data(as_text=True)
    data = _island(html)
    assert data["won_lost"]["labels"] == ["Jun 2025", "Jul 2025"]
    assert data["won_lost"]["series"][1]["data"] == [1, 0] and data["won_lost"]["series"][0]["data"] == [0, 0]
    assert 'value="2025-06-01"' in html and 'data-testid="period-form"' in html
    # Only the days of the range count: 16 June onwards leaves the lost deal out.
    later = _island(client.get("/dashboard?date_from=2025-06-16&date_to=2025-06-30").get_data(as_text=True))
    assert later["won_lost"]["labels"] == ["Jun 2025"] and later["won_lost"]["series"][1]["data"] == [0]


@pytest.mark.parametrize(("query", "message"), [
    ("date_from=yesterday", "Enter a date as YYYY-MM-DD."),
    ("date_from=2026-05-01&date_to=2026-04-01", "The end comes before the start."),
    ("date_from=2000-01-01&date_to=2026-01-01", "Choose at most 120 months."),
    ("date_to=" + "9" * 500, "Enter a date as YYYY-MM-DD."),
])
def test_a_bad_range_shows_its_error_and_the_default_period(client, users, query, message):
    login(client, "manager1")
    response = client.get(f"/dashboard?{query}")
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and message in html and 'data-testid="period-error"' in html
    assert len(_island(html)["won_lost"]["labels"]) == 12
