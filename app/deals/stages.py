"""The deal card's Stages widget: the sales-stage path with the current stage and the time spent in each.

Stages come from the kind's `StatusSpec.stage` (0% Processing … 100% Win, Rejection/Pause); the time in a
stage is the sum of the intervals the deal spent in its statuses, read from the status history
(`FieldChange` rows, field "status") from `created_at` until now. A closed deal's clock stops when it closed.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any

import sqlalchemy as sa
from flask import Blueprint

from app.activities.models import FieldChange
from app.extensions import db
from app.processes.services import now as clock_now
from app.records.kinds import RecordKind, get_kind


@dataclass(frozen=True)
class Stage:
    title: str
    spent: timedelta          # time the deal spent in this stage's statuses
    visited: bool             # the deal was ever in this stage
    is_current: bool
    is_passed: bool           # on the main path, before the current stage


@dataclass(frozen=True)
class StagePath:
    path: list[Stage]         # the main path, in order (0% … 100%)
    aside: list[Stage]        # stages off the path (Rejection/Pause)
    current: str | None       # the current stage's title, None when the status has no stage


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=timezone.utc)


def _stage_titles(kind: RecordKind) -> tuple[list[str], list[str]]:
    """(main path, aside): the distinct stages in declaration order; the path ends at the first terminal
    status's stage, stages first met after it are aside."""
    path: list[str] = []
    aside: list[str] = []
    closed = False
    for spec in kind.statuses:
        if spec.stage is None:
            continue
        title = str(spec.stage)
        if title in path or title in aside:
            continue
        (aside if closed else path).append(title)
        closed = closed or spec.is_terminal
    return path, aside


def time_in_statuses(kind: RecordKind, record: Any, changes: list[FieldChange], now: datetime) -> dict[str, timedelta]:
    """Status id → total time the record spent in it. `changes` are its status rows, oldest first."""
    spent: dict[str, timedelta] = {}
    status = changes[0].old_value if changes and changes[0].old_value else record.status
    since = _aware(record.created_at)
    for change in changes:
        at = _aware(change.changed_at)
        if status is not None:
            spent[status] = spent.get(status, timedelta()) + max(at - since, timedelta())
        status, since = change.new_value, at
    if status is not None and status not in kind.terminal_statuses:
        spent[status] = spent.get(status, timedelta()) + max(_aware(now) - since, timedelta())
    return spent


def stage_path(kind: RecordKind, record: Any, now: datetime | None = None) -> StagePath:
    """The record's stage path from its status history (one query)."""
    changes = list(db.session.scalars(
        sa.select(FieldChange)
        .where(FieldChange.record_type == kind.name, FieldChange.record_id == record.id, FieldChange.field == "status")
        .order_by(FieldChange.changed_at, FieldChange.id)))
    by_status = time_in_statuses(kind, record, changes, now or clock_now())
    visited_statuses = {record.status, *(c.new_value for c in changes), *(c.old_value for c in changes)}
    spent: dict[str, timedelta] = {}
    visited: set[str] = set()
    for spec in kind.statuses:
        if spec.stage is None:
            continue
        title = str(spec.stage)
        spent[title] = spent.get(title, timedelta()) + by_status.get(spec.id, timedelta())
        if spec.id in visited_statuses:
            visited.add(title)
    current_stage = kind.status(record.status).stage
    current = str(current_stage) if current_stage is not None else None
    path_titles, aside_titles = _stage_titles(kind)
    index = path_titles.index(current) if current in path_titles else -1

    def stage(title: str, position: int | None) -> Stage:
        return Stage(title, spent.get(title, timedelta()), title in visited, title == current,
                     position is not None and position < index)

    return StagePath([stage(t, i) for i, t in enumerate(path_titles)], [stage(t, None) for t in aside_titles],
                     current)


def deal_stages(record: Any) -> StagePath:
    """Template global for deals/_stages.html."""
    return stage_path(get_kind("deal"), record)


def add_stages_views(bp: Blueprint) -> None:
    """Make `deal_stages(record)` available to the card's templates."""
    bp.add_app_template_global(deal_stages, "deal_stages")
