"""Leads journal, kanban and export queries — all through `services.visible_filter`.

Read-only; no workflow is loaded. Raises InvalidInput for unknown filters or sort keys.
"""
from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.orm import selectinload

from app.auth.models import User
from app.auth.services import find_user_by_login
from app.directories import services as directories
from app.errors import InvalidInput
from app.extensions import db
from app.labels import label
from app.leads.models import STATUSES, Lead
from app.leads.services import visible_filter
from app.pagination import Page

SORTS = {
    "number": (Lead.number.asc(),), "-number": (Lead.number.desc(),),
    "name": (Lead.name.asc(), Lead.id.asc()), "-name": (Lead.name.desc(), Lead.id.desc()),
    "created": (Lead.created_at.asc(), Lead.id.asc()), "-created": (Lead.created_at.desc(), Lead.id.desc()),
    "amount": (Lead.amount.is_(None), Lead.amount.asc(), Lead.id.asc()),
    "-amount": (Lead.amount.is_(None), Lead.amount.desc(), Lead.id.desc()),
    "status": (Lead.status.asc(), Lead.id.desc()),
}
KANBAN_PAGE = 20
EXPORT_LIMIT = 100_000


@dataclass
class LeadFilter:
    statuses: list[str] = field(default_factory=list)
    responsible: str | None = None  # login, or "none" for unassigned
    category: str | None = None
    source: str | None = None
    date_from: date | None = None
    date_to: date | None = None
    q: str | None = None
    sort: str = "-created"
    page: int = 1
    per_page: int = 20
    tz_name: str = "Europe/Moscow"

    @classmethod
    def from_args(cls, args: Any, tz_name: str = "Europe/Moscow") -> "LeadFilter":
        errors: dict[str, str] = {}

        def parse_date(key: str) -> date | None:
            raw = (args.get(key) or "").strip()
            if not raw:
                return None
            try:
                return date.fromisoformat(raw)
            except ValueError:
                errors[key] = _("Enter a date as YYYY-MM-DD.")
                return None

        def parse_int(key: str, default: int) -> int:
            try:
                return int(args.get(key) or default)
            except ValueError:
                errors[key] = _("Enter a whole number.")
                return default

        statuses = [s for s in args.getlist("status") if s] if hasattr(args, "getlist") else (
            [args["status"]] if args.get("status") else [])
        result = cls(statuses=statuses, responsible=args.get("responsible") or None,
                     category=args.get("category") or None, source=args.get("source") or None,
                     date_from=parse_date("date_from"), date_to=parse_date("date_to"),
                     q=(args.get("q") or "").strip() or None, sort=args.get("sort") or "-created",
                     page=max(1, parse_int("page", 1)), per_page=max(1, min(parse_int("per_page", 20), 100)),
                     tz_name=tz_name)
        for s in result.statuses:
            if s not in STATUSES:
                errors["status"] = _("Unknown status %(status)s.", status=s)
        if result.sort not in SORTS:
            errors["sort"] = _("Unknown sort order.")
        if errors:
            raise InvalidInput(fields=errors)
        return result

    def conditions(self, user: User) -> list[Any]:
        where: list[Any] = [visible_filter(user)]
        if self.statuses:
            where.append(Lead.status.in_(self.statuses))
        if self.responsible == "none":
            where.append(Lead.responsible_id.is_(None))
        elif self.responsible:
            person = find_user_by_login(self.responsible)
            where.append(Lead.responsible_id == (person.id if person else -1))
        if self.category:
            where.append(Lead.request_category == self.category)
        if self.source:
            where.append(Lead.request_source == self.source)
        tz = ZoneInfo(self.tz_name)
        if self.date_from:
            where.append(Lead.created_at >= datetime.combine(self.date_from, time(0), tzinfo=tz))
        if self.date_to:
            where.append(Lead.created_at < datetime.combine(self.date_to + timedelta(days=1), time(0), tzinfo=tz))
        if self.q:
            needle = self.q.lower()
            digits = "".join(ch for ch in needle if ch.isdigit())
            like = [Lead.search_text.contains(needle, autoescape=True)]
            if len(digits) >= 5:
                like.append(Lead.search_text.contains(digits, autoescape=True))
            if needle.isdigit() and len(needle) <= 9:  # a lead number; longer digit runs are phones
                like.append(Lead.number == int(needle))
            where.append(sa.or_(*like))
        return where


def _options() -> tuple[Any, ...]:
    return (selectinload(Lead.responsible), selectinload(Lead.counterparty), selectinload(Lead.contacts))


def list_leads(user: User, flt: LeadFilter) -> Page[Lead]:
    where = flt.conditions(user)
    total = db.session.scalar(sa.select(sa.func.count()).select_from(Lead).where(*where)) or 0
    items = list(db.session.scalars(sa.select(Lead).where(*where).options(*_options()).order_by(*SORTS[flt.sort])
                                    .limit(flt.per_page).offset((flt.page - 1) * flt.per_page)))
    return Page(items, total, flt.page, flt.per_page)


@dataclass
class KanbanColumn:
    status: str
    count: int
    amount: Decimal
    cards: list[Lead]

    @property
    def has_more(self) -> bool:
        return self.count > len(self.cards)


def kanban(user: User, flt: LeadFilter) -> list[KanbanColumn]:
    """One column per status: server-side count and amount sum, and the first cards of each."""
    statuses = flt.statuses or list(STATUSES)
    # `status IN (...)` even for all five statuses: it leads SQLite (without ANALYZE) to the
    # covering index ix_leads_status_totals instead of a MULTI-INDEX OR plus a row lookup per lead.
    base = LeadFilter(**{**flt.__dict__, "statuses": statuses}).conditions(user)
    rows = db.session.execute(sa.select(Lead.status, sa.func.count(), sa.func.coalesce(sa.func.sum(Lead.amount), 0))
                              .where(*base).group_by(Lead.status))
    totals = {status: (count, Decimal(str(amount))) for status, count, amount in rows}
    columns = []
    for status in statuses:
        count, amount = totals.get(status, (0, Decimal("0")))
        cards = kanban_cards(user, flt, status, offset=0) if count else []
        columns.append(KanbanColumn(status, count, amount.quantize(Decimal("0.01")), cards))
    return columns


def kanban_cards(user: User, flt: LeadFilter, status: str, offset: int) -> list[Lead]:
    if status not in STATUSES:
        raise InvalidInput(fields={"status": _("Unknown status %(status)s.", status=status)})
    base = LeadFilter(**{**flt.__dict__, "statuses": [status]}).conditions(user)
    return list(db.session.scalars(sa.select(Lead).where(*base)
                                   .options(selectinload(Lead.responsible), selectinload(Lead.counterparty))
                                   .order_by(Lead.created_at.desc(), Lead.id.desc())
                                   .limit(KANBAN_PAGE).offset(max(0, offset))))


def _export_rows(user: User, flt: LeadFilter, locale: str) -> Iterator[list[Any]]:
    where = flt.conditions(user)
    query = (sa.select(Lead).where(*where).options(*_options()).order_by(*SORTS[flt.sort]).limit(EXPORT_LIMIT)
             .execution_options(yield_per=1000))

    def entry(directory: str, code: str | None) -> str:
        return directories.code_label(directory, code, locale) if code else ""

    for lead in db.session.scalars(query):
        main = lead.main_contact
        yield [lead.display_number, lead.name, label("lead_status", lead.status),
               lead.responsible.display_name if lead.responsible else "", lead.client_name,
               main.full_name if main else "", main.phone if main else "", main.email if main else "",
               lead.amount, lead.users_count,
               entry("request_category", lead.request_category), entry("request_source", lead.request_source),
               lead.created_at]


def export_headers() -> list[str]:
    return [_("Number"), _("Name"), _("Status"), _("Responsible"), _("Company"), _("Contact person"), _("Phone"),
            _("Email"), _("Amount"), _("Number of users"), _("Request category"), _("Request source"), _("Created")]


def export_csv(user: User, flt: LeadFilter, locale: str = "en") -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(export_headers())
    for row in _export_rows(user, flt, locale):
        writer.writerow(["" if v is None else (v.isoformat() if isinstance(v, datetime) else v) for v in row])
    return "\ufeff" + out.getvalue()  # BOM so that Excel opens UTF-8 Cyrillic correctly


def export_xlsx(user: User, flt: LeadFilter, locale: str = "en") -> bytes:
    from openpyxl import Workbook  # noqa: heavy import, only needed for this download

    wb = Workbook(write_only=True)
    ws = wb.create_sheet(_("Leads"))
    ws.append(export_headers())
    for row in _export_rows(user, flt, locale):
        ws.append([v.replace(tzinfo=None) if isinstance(v, datetime) else v for v in row])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()
