"""Writing and reading the field-change history, the comments and the activities of records. Flushes only.

These functions take a record_type and id and check no access: the caller (app.records, or
app.activities.record_activities for the card and the API) has already checked that the actor may
see, or write, the record.

Activities: `add_activity`, `update_activity`, `complete_activity`, `cancel_activity`,
`list_activities`, `add_email_activity` (mail intake), `expire_overdue_activities` (the clock's
periodic job), `move_activities` (deal merge) and `timeline` (comments and activities, newest first).
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import sqlalchemy as sa
from flask_babel import gettext as _

from app.access.services import is_eligible_responsible
from app.activities.models import (
    ACTIVITY_KINDS,
    BODY_MAX_LENGTH,
    CANCELED,
    COMMENT_MAX_LENGTH,
    COMPLETED,
    EXPIRED,
    PLANNED,
    RESULT_MAX_LENGTH,
    SUBJECT_MAX_LENGTH,
    Activity,
    Comment,
    FieldChange,
)
from app.auth.models import User
from app.auth.services import find_user_by_login
from app.db import utcnow
from app.errors import Conflict, InvalidInput, NotFound
from app.extensions import db
from app.labels import label


def _text(value: Any) -> str | None:
    if value is None or value == "":
        return None
    return str(value)


def record_change(record_type: str, record_id: int, field: str, old: Any, new: Any, actor_id: int | None,
                  at: datetime | None = None) -> FieldChange | None:
    """Add a history row when the value really changed; returns it (or None)."""
    if _text(old) == _text(new):
        return None
    change = FieldChange(record_type=record_type, record_id=record_id, field=field, old_value=_text(old),
                         new_value=_text(new), changed_by_id=actor_id, changed_at=at or utcnow())
    db.session.add(change)
    return change


def list_changes(record_type: str, record_id: int, field: str | None = None, limit: int = 200) -> list[FieldChange]:
    query = sa.select(FieldChange).where(FieldChange.record_type == record_type, FieldChange.record_id == record_id)
    if field:
        query = query.where(FieldChange.field == field)
    return list(db.session.scalars(query.order_by(FieldChange.changed_at.desc(), FieldChange.id.desc()).limit(limit)))


def add_comment(record_type: str, record_id: int, text: Any, actor_id: int | None,
                at: datetime | None = None) -> Comment:
    """Add a comment (1..10 000 characters, surrounding blanks dropped) to a record.

    Raises InvalidInput (field `text`) for an empty, too long or non-string text.
    """
    if not isinstance(text, str) or not text.strip():
        raise InvalidInput(fields={"text": _("Write the comment.")})
    text = text.strip()
    if len(text) > COMMENT_MAX_LENGTH:
        raise InvalidInput(fields={"text": _("Use at most %(n)s characters.", n=COMMENT_MAX_LENGTH)})
    comment = Comment(record_type=record_type, record_id=record_id, text=text, author_id=actor_id,
                      created_at=at or utcnow())
    db.session.add(comment)
    db.session.flush()
    return comment


def list_comments(record_type: str, record_id: int, limit: int = 200) -> list[Comment]:
    """The record's comments, newest first."""
    return list(db.session.scalars(sa.select(Comment).where(Comment.record_type == record_type,
                                                            Comment.record_id == record_id)
                                   .order_by(Comment.created_at.desc(), Comment.id.desc()).limit(limit)))


# --------------------------------------------------------------------------- activities

#: The fields a client may write when planning or editing an activity (anything else is refused).
ACTIVITY_FIELDS = ("kind", "subject", "body", "due_at", "responsible")
#: A received email's text is kept whole up to this length (a planned activity's description is shorter).
EMAIL_BODY_MAX_LENGTH = 100_000
#: How many overdue activities one expiry run turns to "expired" (the next run takes the rest).
EXPIRE_BATCH = 1000


def _clean_text(data: Mapping[str, Any], name: str, max_length: int, errors: dict[str, str],
                required: bool = False, single_line: bool = False) -> str | None:
    """A stripped text field; None when absent or empty. Field errors for a wrong type or length."""
    value = data.get(name)
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            errors[name] = _("This field is required.")
        return None
    if not isinstance(value, str):
        errors[name] = _("Enter text.")
        return None
    value = value.strip()
    if len(value) > max_length:
        errors[name] = _("Use at most %(n)s characters.", n=max_length)
        return None
    if single_line and ("\n" in value or "\r" in value):
        errors[name] = _("Use one line.")
        return None
    return value


def _zone(tz_name: str) -> ZoneInfo:
    try:
        return ZoneInfo(tz_name)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("Europe/Moscow")


def _clean_due(value: Any, tz_name: str | None, now: datetime, errors: dict[str, str]) -> datetime | None:
    """The due time: an aware datetime, or ISO 8601 text (without an offset: in `tz_name`; with
    `tz_name` None an offset is required). It must lie in the future."""
    if value is None or value == "":
        errors["due_at"] = _("This field is required.")
        return None
    if isinstance(value, datetime):
        parsed = value
    elif isinstance(value, str) and len(value) <= 40:
        try:
            parsed = datetime.fromisoformat(value.strip())
        except ValueError:
            errors["due_at"] = _("Enter a date and time.")
            return None
    else:
        errors["due_at"] = _("Enter a date and time.")
        return None
    if parsed.tzinfo is None or parsed.utcoffset() is None:
        if tz_name is None:
            errors["due_at"] = _("Give the date and time with its UTC offset, e.g. 2026-12-01T10:00:00+03:00.")
            return None
        parsed = parsed.replace(tzinfo=_zone(tz_name))
    if parsed <= now:
        errors["due_at"] = _("The due time has already passed: choose a later one.")
        return None
    return parsed


def _clean_responsible(value: Any, errors: dict[str, str]) -> User | None:
    if value is None or value == "":
        return None
    user = find_user_by_login(value) if isinstance(value, str) and len(value) <= 100 else None
    if user is None or not is_eligible_responsible(user):
        errors["responsible"] = _("Choose an active CRM Manager or the Commercial Director.")
        return None
    return user


def _refuse_unknown(data: Mapping[str, Any], allowed: tuple[str, ...], errors: dict[str, str]) -> None:
    for name in data:
        if name not in allowed:
            errors[str(name)[:100]] = _("This field cannot be changed here.")


def add_activity(record_type: str, record_id: int, data: Mapping[str, Any], actor_id: int | None,
                 tz_name: str | None = None, at: datetime | None = None) -> Activity:
    """Plan a call, meeting or email on a record: kind, subject, due time, responsible (a login; the
    actor when not given), optional body.

    `tz_name` is the zone of a due time written without an offset (pages); None requires an offset (API).
    Raises InvalidInput with field errors (unknown fields too); nothing is written then.
    """
    moment = at or utcnow()
    errors: dict[str, str] = {}
    _refuse_unknown(data, ACTIVITY_FIELDS, errors)
    kind = data.get("kind")
    if kind not in ACTIVITY_KINDS:
        errors["kind"] = _("Choose a call, a meeting or an email.")
    subject = _clean_text(data, "subject", SUBJECT_MAX_LENGTH, errors, required=True, single_line=True)
    body = _clean_text(data, "body", BODY_MAX_LENGTH, errors)
    due = _clean_due(data.get("due_at"), tz_name, moment, errors)
    responsible = _clean_responsible(data.get("responsible"), errors)
    if errors:
        raise InvalidInput(fields=errors)
    activity = Activity(record_type=record_type, record_id=record_id, kind=str(kind), subject=subject or "",
                        body=body or "", due_at=due, status=PLANNED, created_by_id=actor_id,
                        responsible_id=responsible.id if responsible else actor_id, created_at=moment,
                        updated_at=moment)
    db.session.add(activity)
    db.session.flush()
    return activity


def get_activity(record_type: str, record_id: int, activity_id: int) -> Activity:
    """An activity of that record; NotFound when it belongs to another record (or does not exist)."""
    activity = db.session.get(Activity, activity_id)
    if activity is None or activity.record_type != record_type or activity.record_id != record_id:
        raise NotFound(_("Activity not found."))
    return activity


def _check_version(activity: Activity, expected_version: Any, required: bool) -> None:
    if expected_version is None or expected_version == "":
        if required:
            raise InvalidInput(_("Reload the record and save again: the form did not say which version it edits."),
                               code="version_required", fields={"version": _("This field is required.")})
        return
    if isinstance(expected_version, bool) or not isinstance(expected_version, int):
        raise InvalidInput(fields={"version": _("Enter a whole number.")})
    if expected_version != activity.version:
        raise Conflict()


def _require_open(activity: Activity) -> None:
    if activity.is_received_email:
        raise Conflict(_("A received email cannot be changed."), code="activity_closed")
    if not activity.is_open:
        raise Conflict(_("This activity is %(status)s already.", status=_status_word(activity.status)),
                       code="activity_closed")


def _status_word(status: str) -> str:
    return label("activity_status", status).lower()


def update_activity(activity: Activity, data: Mapping[str, Any], expected_version: Any,
                    tz_name: str | None = None, at: datetime | None = None) -> Activity:
    """Change a planned (or expired) activity: any of kind, subject, body, due time, responsible.

    `expected_version` is required (409 when stale). A new due time in the future makes an expired
    activity planned again. Raises InvalidInput, Conflict (stale, completed, canceled, a received email).
    """
    moment = at or utcnow()
    errors: dict[str, str] = {}
    _refuse_unknown(data, ACTIVITY_FIELDS, errors)
    if errors:
        raise InvalidInput(fields=errors)
    _check_version(activity, expected_version, required=True)
    _require_open(activity)
    values: dict[str, Any] = {}
    if "kind" in data:
        if data["kind"] not in ACTIVITY_KINDS:
            errors["kind"] = _("Choose a call, a meeting or an email.")
        else:
            values["kind"] = data["kind"]
    if "subject" in data:
        values["subject"] = _clean_text(data, "subject", SUBJECT_MAX_LENGTH, errors, required=True, single_line=True)
    if "body" in data:
        values["body"] = _clean_text(data, "body", BODY_MAX_LENGTH, errors) or ""
    if "due_at" in data:
        values["due_at"] = _clean_due(data["due_at"], tz_name, moment, errors)
    if "responsible" in data:
        responsible = _clean_responsible(data["responsible"], errors)
        if responsible is None and "responsible" not in errors:
            errors["responsible"] = _("This field is required.")
        values["responsible_id"] = responsible.id if responsible else None
    if errors:
        raise InvalidInput(fields=errors)
    for name, value in values.items():
        setattr(activity, name, value)
    if "due_at" in values and activity.status == EXPIRED:
        activity.status = PLANNED
    activity.updated_at = moment
    db.session.flush()
    return activity


def complete_activity(activity: Activity, result: Any, actor_id: int | None, expected_version: Any = None,
                      at: datetime | None = None) -> Activity:
    """Mark a planned or expired activity done, with its result (required: what came of the call).

    Raises InvalidInput (`result`), Conflict (stale version, already completed or canceled).
    """
    errors: dict[str, str] = {}
    text = _clean_text({"result": result}, "result", RESULT_MAX_LENGTH, errors, required=True)
    if errors:
        raise InvalidInput(fields=errors)
    _check_version(activity, expected_version, required=False)
    _require_open(activity)
    moment = at or utcnow()
    activity.status, activity.result, activity.completed_at, activity.updated_at = COMPLETED, text, moment, moment
    db.session.flush()
    return activity


def cancel_activity(activity: Activity, expected_version: Any = None, at: datetime | None = None) -> Activity:
    """Cancel a planned or expired activity (it stays in the timeline). Raises Conflict."""
    _check_version(activity, expected_version, required=False)
    _require_open(activity)
    activity.status, activity.updated_at = CANCELED, at or utcnow()
    db.session.flush()
    return activity


def list_activities(record_type: str, record_id: int, limit: int = 500) -> list[Activity]:
    """The record's activities (planned, done, canceled, received emails), newest first."""
    return list(db.session.scalars(sa.select(Activity).where(Activity.record_type == record_type,
                                                             Activity.record_id == record_id)
                                   .order_by(Activity.created_at.desc(), Activity.id.desc()).limit(limit)))


def find_email_activity(record_type: str, record_id: int, message_id: str) -> Activity | None:
    return db.session.scalar(sa.select(Activity).where(Activity.message_id == message_id,
                                                       Activity.record_type == record_type,
                                                       Activity.record_id == record_id).limit(1))


def add_email_activity(record_type: str, record_id: int, subject: str | None, body_text: str | None,
                       sender: str | None, received_at: datetime | None, message_id: str | None,
                       actor_id: int | None) -> Activity:
    """Record an email received about a record (mail intake): a completed "email" activity.

    Idempotent per record and Message-ID: the same message again returns the activity it made.
    Over-long subject and text are cut (the original message is kept by mail intake).
    """
    if message_id:
        existing = find_email_activity(record_type, record_id, message_id[:998])
        if existing is not None:
            return existing
    moment = utcnow()
    received = received_at or moment
    subject_text = " ".join((subject or "").split())[:SUBJECT_MAX_LENGTH] or _("(no subject)")
    activity = Activity(record_type=record_type, record_id=record_id, kind="email", subject=subject_text,
                        body=(body_text or "")[:EMAIL_BODY_MAX_LENGTH], status=COMPLETED,
                        sender=(sender or "")[:320] or None, message_id=(message_id or "")[:998] or None,
                        received_at=received, completed_at=received, created_by_id=actor_id,
                        created_at=received, updated_at=moment)
    db.session.add(activity)
    db.session.flush()
    return activity


def expire_overdue_activities(now: datetime, batch: int = EXPIRE_BATCH) -> int:
    """Planned activities whose due time has passed become "expired"; returns how many.

    Set-based: one indexed read, and an UPDATE only when something is due (an idle run takes no
    write lock on SQLite). Safe to run twice: the UPDATE re-checks the status. The version stays: expiry
    is the clock's, not an edit, so a form read before it still completes or cancels the activity.
    """
    ids = list(db.session.scalars(sa.select(Activity.id).where(Activity.status == PLANNED, Activity.due_at < now)
                                  .order_by(Activity.due_at).limit(batch)))
    if not ids:
        return 0
    result = db.session.execute(
        sa.update(Activity).where(Activity.id.in_(ids), Activity.status == PLANNED)
        .values(status=EXPIRED, updated_at=now)
        .execution_options(synchronize_session=False))
    db.session.flush()
    return int(getattr(result, "rowcount", 0) or 0)


def move_activities(record_type: str, from_record_id: int, to_record_id: int) -> int:
    """Move every activity of one record to another of the same kind (a deal merge); returns how many."""
    result = db.session.execute(
        sa.update(Activity).where(Activity.record_type == record_type, Activity.record_id == from_record_id)
        .values(record_id=to_record_id, version=Activity.version + 1)
        .execution_options(synchronize_session=False))
    db.session.flush()
    return int(getattr(result, "rowcount", 0) or 0)


@dataclass(frozen=True)
class TimelineEntry:
    """One line of a record's Activities widget: a comment or an activity (a received email too)."""

    at: datetime
    comment: Comment | None = None
    activity: Activity | None = None


def timeline(record_type: str, record_id: int) -> list[TimelineEntry]:
    """Comments and activities of a record in one list, newest first (by when they were written or received)."""
    entries = [TimelineEntry(at=c.created_at, comment=c) for c in list_comments(record_type, record_id)]
    entries += [TimelineEntry(at=a.received_at or a.created_at, activity=a)
                for a in list_activities(record_type, record_id)]
    return sorted(entries, key=lambda e: e.at, reverse=True)
