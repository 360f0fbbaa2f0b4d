"""The sales dashboard's figures: the deal funnel by stage, deals won and lost per month, the lost
reasons of leads and overdue open tasks per manager.

Every figure counts only what the user may see: records through `visible_filter` (a CRM Manager sees
their own), tasks all for those who see every record, otherwise the user's own. Months are the
user's calendar months (their timezone), and the won/lost chart covers a date range (`Period`,
by default the last 12 months up to today).
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import sqlalchemy as sa
from flask_babel import format_date, get_locale
from flask_babel import gettext as _

from app.access.services import sees_all_records
from app.activities.models import FieldChange
from app.auth.models import User
from app.db import utcnow
from app.directories.services import code_label
from app.extensions import db
from app.records.kinds import get_kind
from app.records.services import visible_filter
from app.tasks.models import OPEN, HumanTask

DEAL_KIND, LEAD_KIND = "deal", "lead"
WON_STATUSES = ("completed",)
LOST_STATUSES = ("rejected", "dropped_out")
LOST_REASON_FIELD, LOST_REASON_DIRECTORY = "disqualification_reason", "disqualification_reason"
MONTHS = 12
#: The longest period the won/lost chart draws (one bar pair per month).
MAX_MONTHS = 120


@dataclass(frozen=True)
class Bar:
    """One bar of a chart and its table row."""

    label: str
    count: int
    amount: Decimal | None = None


@dataclass(frozen=True)
class Month:
    label: str
    won: int
    lost: int


@dataclass(frozen=True)
class Period:
    """The won/lost chart's dates (inclusive, the user's calendar), and why a requested one was refused."""

    date_from: date
    date_to: date
    errors: Mapping[str, str]


@dataclass(frozen=True)
class Dashboard:
    funnel: list[Bar]
    months: list[Month]
    lost_reasons: list[Bar]
    overdue: list[Bar]
    period: Period | None = None

    @property
    def funnel_empty(self) -> bool:
        return not any(b.count for b in self.funnel)

    @property
    def months_empty(self) -> bool:
        return not any(m.won or m.lost for m in self.months)

    def chart_data(self) -> dict[str, Any]:
        """What static/dashboard.js draws (the JSON data island): labels, series and their titles."""
        return {
            "funnel": {"labels": [b.label for b in self.funnel],
                       "series": [{"label": _("Deals"), "data": [b.count for b in self.funnel]},
                                  {"label": _("Amount, ₽"), "data": [float(b.amount or 0) for b in self.funnel],
                                   "axis": "amount"}]},
            "won_lost": {"labels": [m.label for m in self.months],
                         "series": [{"label": _("Won"), "data": [m.won for m in self.months], "color": "success"},
                                    {"label": _("Lost"), "data": [m.lost for m in self.months], "color": "danger"}]},
            "lost_reasons": {"labels": [b.label for b in self.lost_reasons],
                             "series": [{"label": _("Leads"), "data": [b.count for b in self.lost_reasons]}]},
            "overdue": {"labels": [b.label for b in self.overdue],
                        "series": [{"label": _("Overdue tasks"), "data": [b.count for b in self.overdue],
                                    "color": "danger"}]},
        }


def _zone(name: str | None) -> ZoneInfo:
    try:
        return ZoneInfo(name or "Europe/Moscow")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("Europe/Moscow")


def _add_months(day: date, months: int) -> date:
    """The first day of the month `months` after (or before) `day`'s month."""
    index = day.year * 12 + day.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def default_period(user: User, now: datetime) -> Period:
    """The last 12 months in the user's calendar: from the first day of the month 11 months ago to today."""
    today = now.astimezone(_zone(user.timezone)).date()
    return Period(_add_months(today, -(MONTHS - 1)), today, {})


def parse_period(user: User, now: datetime, date_from: str | None, date_to: str | None) -> Period:
    """The period asked for (ISO dates, either may be empty: the default's end), or the default with field
    errors when it cannot be used (not a date, reversed, longer than MAX_MONTHS months)."""
    default = default_period(user, now)
    errors: dict[str, str] = {}
    values: dict[str, date] = {}
    for name, raw, fallback in (("date_from", date_from, default.date_from), ("date_to", date_to, default.date_to)):
        if not raw:
            values[name] = fallback
            continue
        try:
            if len(raw) > 10:  # "2026-12-01" and nothing longer (fromisoformat takes other shapes too)
                raise ValueError(raw)
            values[name] = date.fromisoformat(raw)
        except ValueError:
            errors[name] = _("Enter a date as YYYY-MM-DD.")
    if errors:
        return Period(default.date_from, default.date_to, errors)
    start, end = values["date_from"], values["date_to"]
    if start > end:
        return Period(default.date_from, default.date_to, {"date_to": _("The end comes before the start.")})
    if _add_months(start, MAX_MONTHS) <= end:
        return Period(default.date_from, default.date_to,
                      {"date_from": _("Choose at most %(n)s months.", n=MAX_MONTHS)})
    return Period(start, end, {})


def build_dashboard(user: User, now: datetime | None = None, period: Period | None = None) -> Dashboard:
    now = now or utcnow()
    period = period or default_period(user, now)
    return Dashboard(funnel=deal_funnel(user), months=won_lost_by_month(user, period),
                     lost_reasons=lost_reasons(user), overdue=overdue_tasks(user, now), period=period)


def deal_funnel(user: User) -> list[Bar]:
    """Deals per sales stage (the deal kind's StatusSpec.stage groups its statuses): count and amount.

    Statuses without a stage (dropped out, historical) are not in the funnel."""
    kind = get_kind(DEAL_KIND)
    model = kind.model
    rows: list[Any] = list(db.session.execute(
        sa.select(model.status, sa.func.count(), sa.func.sum(model.amount))
        .where(visible_filter(kind, user)).group_by(model.status)).all())
    by_status = {status: (count, amount) for status, count, amount in rows}
    stages: dict[str, list[Any]] = {}
    for spec in kind.statuses:
        if spec.stage is None:
            continue
        count, amount = by_status.get(spec.id, (0, None))
        totals = stages.setdefault(str(spec.stage), [0, Decimal("0")])
        totals[0] += count
        totals[1] += Decimal(amount or 0)
    return [Bar(label, count, amount) for label, (count, amount) in stages.items()]


def won_lost_by_month(user: User, period: Period) -> list[Month]:
    """Deals won (Completed) and lost (Rejected, Dropped Out) per month of the user's calendar, from
    `period.date_from` to `period.date_to` (inclusive, the user's timezone).

    Read from the status history (field_changes, field "status"): a deal counts in the month it entered
    the outcome, once per month, and only while it is still in that outcome (a rejected deal taken back
    to work and won counts as won, not lost). The months' bounds are computed here in the user's zone
    and given to SQL as UTC instants, so both databases bucket alike without timezone functions."""
    kind = get_kind(DEAL_KIND)
    model, fc = kind.model, FieldChange
    zone = _zone(user.timezone)
    starts = [period.date_from.replace(day=1)]
    while _add_months(starts[-1], 1) <= period.date_to:
        starts.append(_add_months(starts[-1], 1))

    def instant(day: date) -> datetime:
        return datetime.combine(day, time(0), tzinfo=zone).astimezone(timezone.utc)

    since, until = instant(period.date_from), instant(period.date_to + timedelta(days=1))
    # Month i runs from instant(starts[i]) up to instant(starts[i + 1]); the first and last are cut by the period.
    month = sa.case(*[(fc.changed_at < instant(_add_months(start, 1)), i) for i, start in enumerate(starts)],
                    else_=len(starts) - 1)
    won = sa.and_(fc.new_value.in_(WON_STATUSES), model.status.in_(WON_STATUSES))
    lost = sa.and_(fc.new_value.in_(LOST_STATUSES), model.status.in_(LOST_STATUSES))
    outcome = sa.case((fc.new_value.in_(WON_STATUSES), "won"), else_="lost")
    rows: list[Any] = list(db.session.execute(
        sa.select(month, outcome, sa.func.count(sa.distinct(fc.record_id)))
        .join(model, model.id == fc.record_id)
        .where(fc.record_type == kind.name, fc.field == "status", fc.changed_at >= since, fc.changed_at < until,
               sa.or_(won, lost), visible_filter(kind, user))
        .group_by(month, outcome)).all())
    counts = {(int(i), o): n for i, o, n in rows}
    return [Month(format_date(start, "LLL yyyy"), counts.get((i, "won"), 0), counts.get((i, "lost"), 0))
            for i, start in enumerate(starts)]


def lost_reasons(user: User) -> list[Bar]:
    """Disqualified leads per disqualification reason (all time), the most frequent first."""
    kind = get_kind(LEAD_KIND)
    reason = getattr(kind.model, LOST_REASON_FIELD)
    rows: list[Any] = list(db.session.execute(
        sa.select(reason, sa.func.count()).where(reason.is_not(None), reason != "", visible_filter(kind, user))
        .group_by(reason).order_by(sa.func.count().desc(), reason)).all())
    locale = str(get_locale())
    return [Bar(code_label(LOST_REASON_DIRECTORY, code, locale), count) for code, count in rows]


def overdue_tasks(user: User, now: datetime) -> list[Bar]:
    """Open tasks past their due date per assignee: everyone's for those who see every record (the
    Commercial Director, administrators, "All CRM Managers"), otherwise the user's own."""
    query = (sa.select(HumanTask.assignee_id, sa.func.count())
             .where(HumanTask.status == OPEN, HumanTask.due_at.is_not(None), HumanTask.due_at < now)
             .group_by(HumanTask.assignee_id))
    if not sees_all_records(user):
        query = query.where(HumanTask.assignee_id == user.id)
    rows = db.session.execute(query).all()
    ids = [assignee_id for assignee_id, _count in rows if assignee_id is not None]
    users = {u.id: u for u in db.session.scalars(sa.select(User).where(User.id.in_(ids)))} if ids else {}
    bars = [Bar(users[uid].display_name if uid in users else _("Unassigned (group tasks)"), count)
            for uid, count in rows]
    return sorted(bars, key=lambda b: (-b.count, b.label))
