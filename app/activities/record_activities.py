"""Activities of records of any kind with access checks, on top of `app.activities.services`.

Whoever sees a record (`app.records.services.get_record`) reads its timeline and activities; whoever
may write it (its responsible person, the Commercial Director, administrators) plans, edits, completes
and cancels them, also on a closed record (like comments). An observer reads only. Flushes only.
Raises NotFound (invisible record, or an activity of another record), PermissionDenied, InvalidInput,
Conflict.
"""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from app.activities import services as activities
from app.activities.models import Activity
from app.auth.models import User
from app.records.kinds import RecordKind
from app.records.services import get_record, require_edit


def _writable(kind: RecordKind, record_id: int, actor: User) -> Any:
    record = get_record(kind, record_id, actor)
    require_edit(kind, record, actor, open_only=False)
    return record


def list_record_activities(kind: RecordKind, record_id: int, actor: User) -> list[Activity]:
    """The activities of a record the actor may see, newest first. Raises NotFound."""
    record = get_record(kind, record_id, actor)
    return activities.list_activities(kind.name, record.id)


def add_record_activity(kind: RecordKind, record_id: int, data: Mapping[str, Any], actor: User,
                        tz_name: str | None) -> Activity:
    """Plan an activity on a record the actor may write. Raises NotFound, PermissionDenied, InvalidInput."""
    record = _writable(kind, record_id, actor)
    return activities.add_activity(kind.name, record.id, data, actor.id, tz_name)


def update_record_activity(kind: RecordKind, record_id: int, activity_id: int, data: Mapping[str, Any],
                           actor: User, expected_version: Any, tz_name: str | None) -> Activity:
    """Edit a planned activity (409 on a stale version). Raises NotFound, PermissionDenied, InvalidInput,
    Conflict."""
    record = _writable(kind, record_id, actor)
    activity = activities.get_activity(kind.name, record.id, activity_id)
    return activities.update_activity(activity, data, expected_version, tz_name)


def complete_record_activity(kind: RecordKind, record_id: int, activity_id: int, result: Any, actor: User,
                             expected_version: Any = None) -> Activity:
    """Complete an activity with its result. Raises NotFound, PermissionDenied, InvalidInput, Conflict."""
    record = _writable(kind, record_id, actor)
    activity = activities.get_activity(kind.name, record.id, activity_id)
    return activities.complete_activity(activity, result, actor.id, expected_version)


def cancel_record_activity(kind: RecordKind, record_id: int, activity_id: int, actor: User,
                           expected_version: Any = None) -> Activity:
    """Cancel an activity. Raises NotFound, PermissionDenied, Conflict."""
    record = _writable(kind, record_id, actor)
    activity = activities.get_activity(kind.name, record.id, activity_id)
    return activities.cancel_activity(activity, expected_version)
