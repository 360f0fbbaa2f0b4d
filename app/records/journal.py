"""Journal, kanban and export queries of every record kind — all through `services.visible_filter`.

Read-only; no workflow is loaded. Raises InvalidInput for unknown filters or sort keys.
"""
from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.orm import selectinload

from app.auth.models import User
from app.auth.services import find_user_by_login
from app.errors import InvalidInput
from app.extensions import db
from app.pagination import MAX_PER_PAGE, Page
from app.records.kinds import RecordKind, registered_kinds
from app.records.models import fold
from app.records.services import visible_filter

KANBAN_PAGE = 20  # cards per "Load more" of a column
# A board's first load shows about this many cards in all, so a wide board (a deal's twelve statuses) is
# not twice the work of a narrow one: 20 per column up to six columns, fewer (never under 10) beyond.
# Columns off the screen are scrolled to, and each one's "Load more" pages on from there.
KANBAN_BOARD_CARDS = 120


def first_page_size(columns: int) -> int:
    """Cards in each column of a board's first load."""
    return max(10, min(KANBAN_PAGE, KANBAN_BOARD_CARDS // max(1, columns)))


EXPORT_LIMIT = 100_000
MAX_PAGE = 1_000_000
MAX_OFFSET = 10_000_000
SORT_KEYS = ("number", "name", "created", "amount", "status")


def sorts(kind: RecordKind, key: str) -> tuple[Any, ...]:
    """ORDER BY of a journal sort key ("amount", "-amount", ...); always ends with the id as tiebreak."""
    descending = key.startswith("-")
    name = key.lstrip("-")
    model = kind.model
    column = {"number": model.number, "name": model.name, "created": model.created_at, "amount": model.amount,
              "status": model.status}[name]
    order = column.desc() if descending else column.asc()
    tiebreak = model.id.desc() if descending else model.id.asc()
    if name == "amount":
        return (column.is_(None), order, tiebreak)
    return (order,) if name == "number" else (order, tiebreak)


def _int_arg(args: Any, key: str, default: int, errors: dict[str, str], maximum: int) -> int:
    raw = (args.get(key) or "").strip()
    if not raw:
        return default
    if not raw.isascii() or not raw.isdigit():
        errors[key] = _("Enter a whole number.")
        return default
    return min(int(raw[:20]), maximum)  # paging is clamped, never an overflow


def _date_arg(args: Any, key: str, errors: dict[str, str]) -> date | None:
    raw = (args.get(key) or "").strip()
    if not raw:
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError:
        errors[key] = _("Enter a date as YYYY-MM-DD.")
        return None


def _amount_arg(args: Any, key: str, errors: dict[str, str]) -> Decimal | None:
    raw = (args.get(key) or "").strip().replace(" ", "").replace(",", ".")
    if not raw:
        return None
    try:
        value = Decimal(raw)
    except ArithmeticError:
        value = Decimal("NaN")
    if not value.is_finite() or value < 0 or value >= Decimal("1e13"):
        errors[key] = _("Enter an amount like 1250.00.")
        return None
    return value


@dataclass
class RecordFilter:
    kind: RecordKind
    statuses: list[str] = field(default_factory=list)
    responsible: str | None = None  # login, or "none" for unassigned
    values: dict[str, str] = field(default_factory=dict)  # the kind's own filters (arg → value)
    date_from: date | None = None
    date_to: date | None = None
    stage: int | None = None  # 1-based position in kind.stages
    amount_min: Decimal | None = None
    amount_max: Decimal | None = None
    q: str | None = None
    sort: str = "-created"
    page: int = 1
    per_page: int = 20
    tz_name: str = "Europe/Moscow"

    @classmethod
    def from_args(cls, kind: RecordKind, args: Any, tz_name: str = "Europe/Moscow") -> "RecordFilter":
        errors: dict[str, str] = {}
        statuses = [s for s in args.getlist("status") if s] if hasattr(args, "getlist") else (
            [args["status"]] if args.get("status") else [])
        result = cls(kind=kind, statuses=statuses, responsible=args.get("responsible") or None,
                     values={f.arg: args[f.arg] for f in kind.filters if args.get(f.arg)},
                     date_from=_date_arg(args, "date_from", errors), date_to=_date_arg(args, "date_to", errors),
                     stage=_int_arg(args, "stage", 0, errors, 1000) or None,
                     amount_min=_amount_arg(args, "amount_min", errors),
                     amount_max=_amount_arg(args, "amount_max", errors),
                     q=(args.get("q") or "").strip()[:200] or None, sort=args.get("sort") or "-created",
                     page=max(1, _int_arg(args, "page", 1, errors, MAX_PAGE)),
                     per_page=max(1, _int_arg(args, "per_page", 20, errors, MAX_PER_PAGE)), tz_name=tz_name)
        for s in result.statuses:
            if s not in kind.status_ids:
                errors["status"] = _("Unknown status %(status)s.", status=s)
        if result.stage is not None and result.stage > len(kind.stages):
            errors["stage"] = _("Unknown stage.")
        if result.sort.lstrip("-") not in SORT_KEYS:
            errors["sort"] = _("Unknown sort order.")
        if errors:
            raise InvalidInput(fields=errors)
        return result

    def args(self, *without: str) -> dict[str, Any]:
        """The filter as request args (without paging and the names in `without`), for links that keep it."""
        out: dict[str, Any] = {**self.values}
        for key, value in (("status", self.statuses), ("responsible", self.responsible), ("q", self.q),
                           ("date_from", self.date_from), ("date_to", self.date_to), ("stage", self.stage),
                           ("amount_min", self.amount_min), ("amount_max", self.amount_max)):
            if value:
                out[key] = value
        return {k: v for k, v in out.items() if k not in without}

    def conditions(self, user: User) -> list[Any]:
        model = self.kind.model
        where: list[Any] = [visible_filter(self.kind, user)]
        if self.statuses:
            where.append(model.status.in_(self.statuses))
        if self.responsible == "none":
            where.append(model.responsible_id.is_(None))
        elif self.responsible:
            person = find_user_by_login(self.responsible)
            where.append(model.responsible_id == (person.id if person else -1))
        for flt in self.kind.filters:
            if flt.arg in self.values:
                where.append(getattr(model, flt.column) == self.values[flt.arg])
        tz = ZoneInfo(self.tz_name)
        if self.date_from:
            where.append(model.created_at >= datetime.combine(self.date_from, time(0), tzinfo=tz))
        if self.date_to:
            where.append(model.created_at < datetime.combine(self.date_to + timedelta(days=1), time(0), tzinfo=tz))
        if self.stage:
            where.append(model.status.in_(self.kind.stages[self.stage - 1][1]))
        if self.amount_min is not None:
            where.append(model.amount >= self.amount_min)
        if self.amount_max is not None:
            where.append(model.amount <= self.amount_max)
        if self.q:
            where.append(self._search())
        return where

    def _search(self) -> Any:
        model = self.kind.model
        needle = fold(self.q or "")
        digits = "".join(ch for ch in needle if ch.isdigit())
        like = [model.search_text.contains(needle, autoescape=True)]
        if len(digits) >= 5:
            like.append(model.search_text.contains(digits, autoescape=True))
        prefix = re.escape(model.number_prefix.casefold())
        number = re.fullmatch(rf"(?:{prefix}\s*-?\s*|#)?(\d{{1,9}})", needle)
        if number:  # a record number ("L-7", "7"); longer digit runs are phones
            like.append(model.number == int(number.group(1)))
        return sa.or_(*like)


def _options(kind: RecordKind) -> tuple[Any, ...]:
    model = kind.model
    return (selectinload(model.responsible), selectinload(model.counterparty), selectinload(model.contacts))


def list_records(kind: RecordKind, user: User, flt: RecordFilter) -> Page[Any]:
    where = flt.conditions(user)
    total = db.session.scalar(sa.select(sa.func.count()).select_from(kind.model).where(*where)) or 0
    query = (sa.select(kind.model).where(*where).options(*_options(kind)).order_by(*sorts(kind, flt.sort))
             .limit(flt.per_page).offset((flt.page - 1) * flt.per_page))
    items: list[Any] = list(db.session.scalars(query))
    return Page(items, total, flt.page, flt.per_page)


def _open_only(kind: RecordKind) -> list[Any]:
    """The kanban shows records that can still move: none closed by the kind's own rule (e.g. merged)."""
    return [kind.open_clause()] if kind.open_clause else []


@dataclass
class KanbanColumn:
    status: str
    count: int
    amount: Decimal
    cards: list[Any]

    @property
    def has_more(self) -> bool:
        return self.count > len(self.cards)


def kanban(kind: RecordKind, user: User, flt: RecordFilter) -> list[KanbanColumn]:
    """One column per status: count and amount sum from one grouped query, and the first cards of each."""
    statuses = flt.statuses or list(kind.status_ids)
    # `status IN (...)` even for every status: it leads SQLite (without ANALYZE) to the covering
    # index (status, responsible, created_by, amount) instead of a MULTI-INDEX OR plus row lookups.
    base = replace(flt, statuses=statuses).conditions(user) + _open_only(kind)
    model = kind.model
    total_column = kind.column(kind.sum_column)
    rows = db.session.execute(sa.select(model.status, sa.func.count(), sa.func.coalesce(sa.func.sum(total_column), 0))
                              .where(*base).group_by(model.status))
    totals: dict[str, tuple[int, Decimal]] = {row[0]: (int(row[1]), Decimal(str(row[2]))) for row in rows}
    cards = _first_cards(kind, user, flt, [s for s in statuses if totals.get(s, (0,))[0]],
                         first_page_size(len(statuses)))
    columns = []
    for status in statuses:
        count, amount = totals.get(status, (0, Decimal("0")))
        columns.append(KanbanColumn(status, count, amount.quantize(Decimal("0.01")), cards.get(status, [])))
    return columns


def _page(kind: RecordKind, common: list[Any], status: str, offset: int, *columns: Any,
          limit: int = KANBAN_PAGE) -> Any:
    """SELECT `columns` of one page of a kanban column, newest first (the (status, created_at) index).

    `common` is the filter's conditions without the status: built once per board, not once per column.
    """
    model = kind.model
    return (sa.select(*columns).where(*common, model.status == status)
            .order_by(model.created_at.desc(), model.id.desc())
            .limit(limit).offset(min(max(0, offset), MAX_OFFSET)))


def _common(kind: RecordKind, user: User, flt: RecordFilter) -> list[Any]:
    return replace(flt, statuses=[]).conditions(user) + _open_only(kind)


def _with_people(query: Any, model: Any) -> Any:
    return query.options(selectinload(model.responsible), selectinload(model.counterparty))


def _first_cards(kind: RecordKind, user: User, flt: RecordFilter, statuses: list[str],
                 limit: int) -> dict[str, list[Any]]:
    """The first page of every column in two statements (plus the eager loads), whatever the number of columns.

    One UNION ALL of the per-column pages (each still an index range scan with its own LIMIT) gives the
    ids, one query by id loads the cards: a board of twelve columns costs about what a board of four
    does, instead of a query and its eager loads per column.
    """
    if not statuses:
        return {}
    model = kind.model
    common = _common(kind, user, flt)
    pages = [_page(kind, common, status, 0, model.id, limit=limit).subquery() for status in statuses]
    ids = sa.union_all(*(sa.select(page.c.id) for page in pages))
    records = db.session.scalars(_with_people(sa.select(model).where(model.id.in_(ids)), model)
                                 .order_by(model.created_at.desc(), model.id.desc()))
    cards: dict[str, list[Any]] = {}
    for record in records:
        cards.setdefault(record.status, []).append(record)
    return cards


def kanban_cards(kind: RecordKind, user: User, flt: RecordFilter, status: str, offset: int) -> list[Any]:
    """One more page of a kanban column (offsets beyond the column are simply empty)."""
    if status not in kind.status_ids:
        raise InvalidInput(fields={"status": _("Unknown status %(status)s.", status=status)})
    if flt.statuses and status not in flt.statuses:
        return []
    model = kind.model
    return list(db.session.scalars(_with_people(_page(kind, _common(kind, user, flt), status, offset, model), model)))


CLIENT_CARD_LIMIT = 50


def records_of_counterparty(user: User, counterparty_id: int) -> list[tuple[RecordKind, list[Any], int]]:
    """Every kind's records of one client that `user` may see (newest first, at most CLIENT_CARD_LIMIT
    each) with their total, for the client card."""
    result: list[tuple[RecordKind, list[Any], int]] = []
    for kind in registered_kinds():
        model = kind.model
        where = [visible_filter(kind, user), model.counterparty_id == counterparty_id]
        total = db.session.scalar(sa.select(sa.func.count()).select_from(model).where(*where)) or 0
        query = (sa.select(model).where(*where).options(selectinload(model.responsible))
                 .order_by(model.created_at.desc(), model.id.desc()).limit(CLIENT_CARD_LIMIT))
        items: list[Any] = list(db.session.scalars(query))
        result.append((kind, items, total))
    return result


def export_headers(kind: RecordKind) -> list[str]:
    return [str(c.title) for c in kind.export_columns]


def export_rows(kind: RecordKind, user: User, flt: RecordFilter) -> Iterator[list[Any]]:
    """The export's rows (visibility and filter of the journal, its sort), at most EXPORT_LIMIT."""
    query = (sa.select(kind.model).where(*flt.conditions(user)).options(*_options(kind))
             .order_by(*sorts(kind, flt.sort)).limit(EXPORT_LIMIT).execution_options(yield_per=1000))
    record: Any
    for record in db.session.scalars(query):
        yield [c.value(record) for c in kind.export_columns]
