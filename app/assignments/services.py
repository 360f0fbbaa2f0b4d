"""Creating assignments and the service tasks the `assignment` process calls.

An assignment may be made from a record's card ("Create Assignment" on a deal, a lead, ...): it then
names the record (`record_type`, `record_id`), only those who may write the record create one, its
tasks show in the record's All Tasks, and whoever sees the record may open it.
Side effects: flush only; the caller commits. Raises InvalidInput, NotFound, PermissionDenied.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask_babel import format_date
from flask_babel import gettext as _

from app.access.services import LaneTarget, is_admin
from app.assignments.models import Assignment
from app.auth.models import Group, User
from app.auth.services import find_user_by_login, subordinate_ids
from app.db import next_number
from app.errors import InvalidInput, NotFound
from app.extensions import db
from app.labels import label
from app.pagination import Page, clamp
from app.processes import services as processes
from app.processes.records import RecordInfo, RecordType
from app.records import services as records
from app.records.kinds import RecordKind, registered_kinds
from app.tasks.models import HumanTask

PROCESS_ID = "assignment"
RECORD_TYPE = "assignment"


@dataclass
class AssignmentData:
    title: str = ""
    description: str = ""
    executor: str | None = None  # login
    executor_group: str | None = None  # group id, members may claim
    due_date: str | date | None = None  # ISO date
    reviewer: str | None = None  # login

    @classmethod
    def from_mapping(cls, data: dict[str, Any]) -> "AssignmentData":
        def text(key: str) -> str | None:
            value = data.get(key)
            return str(value).strip() if value not in (None, "") else None

        return cls(title=text("title") or "", description=text("description") or "", executor=text("executor"),
                   executor_group=text("executor_group"), due_date=text("due_date"), reviewer=text("reviewer"))


def _parse_due(value: str | date | None, errors: dict[str, str], today: date) -> date | None:
    if value in (None, ""):
        errors["due_date"] = _("This field is required.")
        return None
    if isinstance(value, date):
        parsed = value
    else:
        try:
            parsed = date.fromisoformat(str(value))
        except ValueError:
            errors["due_date"] = _("Enter a date as YYYY-MM-DD.")
            return None
    if parsed < today:
        errors["due_date"] = _("The due date cannot be in the past.")
    return parsed


def due_deadline(due: date, tz_name: str) -> datetime:
    """The end of the due date in the author's timezone (aware)."""
    return datetime.combine(due, time(23, 59, 59), tzinfo=ZoneInfo(tz_name))


def create_assignment(author: User, data: AssignmentData, today: date | None = None,
                      at: datetime | None = None, record: tuple[str, int] | None = None) -> Assignment:
    """Create an assignment and start its process. Raises InvalidInput with field errors.

    `record` (record_type, id) links it to the record it was made from; the caller checked access.
    """
    tz = ZoneInfo(author.timezone or "Europe/Moscow")
    today = today or processes.now().astimezone(tz).date()
    errors: dict[str, str] = {}
    title = (data.title or "").strip()
    if not title:
        errors["title"] = _("This field is required.")
    elif len(title) > 300:
        errors["title"] = _("Use at most 300 characters.")
    executor = group = reviewer = None
    if data.executor:
        executor = find_user_by_login(data.executor)
        if executor is None or not executor.is_active:
            errors["executor"] = _("User %(login)s not found.", login=data.executor)
    elif data.executor_group:
        group = db.session.get(Group, data.executor_group)
        if group is None:
            errors["executor"] = _("Unknown group %(group)s.", group=data.executor_group)
    else:
        errors["executor"] = _("Choose the executor.")
    if data.reviewer:
        reviewer = find_user_by_login(data.reviewer)
        if reviewer is None or not reviewer.is_active:
            errors["reviewer"] = _("User %(login)s not found.", login=data.reviewer)
    due = _parse_due(data.due_date, errors, today)
    if errors:
        raise InvalidInput(fields=errors)
    assert due is not None
    assignment = Assignment(number=next_number(db.session, "assignment"), title=title,
                            description=data.description or "", author_id=author.id,
                            executor_id=executor.id if executor else None,
                            executor_group_id=group.id if group else None,
                            reviewer_id=reviewer.id if reviewer else None, due_date=due, status="in_progress",
                            record_type=record[0] if record else None, record_id=record[1] if record else None)
    db.session.add(assignment)
    db.session.flush()
    processes.start_process(PROCESS_ID, RECORD_TYPE, assignment.id, {
        "assignment_id": assignment.id,
        "has_reviewer": reviewer is not None,
        "due_at": due_deadline(due, author.timezone or "Europe/Moscow").isoformat(),
    }, started_by_id=author.id, at=at)
    return assignment


def _get(assignment_id: int) -> Assignment:
    assignment = db.session.get(Assignment, assignment_id)
    if assignment is None:
        raise NotFound(_("Assignment not found."))
    return assignment


def can_view(assignment: Assignment, user: User) -> bool:
    if is_admin(user) or user.id in (assignment.author_id, assignment.executor_id, assignment.reviewer_id):
        return True
    if assignment.executor_id is not None and assignment.executor_id in subordinate_ids(user.id):
        return True
    if assignment.executor_group_id is not None and assignment.executor_group_id in user.group_ids:
        return True
    return _sees_linked_record(assignment, user)


def _sees_linked_record(assignment: Assignment, user: User) -> bool:
    """Whoever sees the record an assignment was made from sees the assignment (read only)."""
    if assignment.record_type is None or assignment.record_id is None:
        return False
    kind = next((k for k in registered_kinds() if k.name == assignment.record_type), None)
    if kind is None:
        return False
    try:
        records.get_record(kind, assignment.record_id, user)
    except NotFound:
        return False
    return True


# ---------------------------------------------------------------- assignments made from a record card


def create_record_assignment(kind: RecordKind, record_id: int, data: AssignmentData, actor: User) -> Assignment:
    """"Create Assignment" from a record's card: the assignment process, linked to the record.

    Only whoever may write the record creates one (also on a closed record, like a comment).
    Raises NotFound (invisible record), PermissionDenied (an observer), InvalidInput (field errors).
    """
    record = records.get_record(kind, record_id, actor)
    records.require_edit(kind, record, actor, open_only=False)
    return create_assignment(actor, data, record=(kind.name, record.id))


def list_record_assignments(record_type: str, record_id: int) -> list[Assignment]:
    """The assignments made from a record, newest first (the caller checked the record's visibility)."""
    return list(db.session.scalars(sa.select(Assignment).where(Assignment.record_type == record_type,
                                                               Assignment.record_id == record_id)
                                   .order_by(Assignment.id.desc())))


def record_tasks_with_assignments(record_type: str, record_id: int) -> list[HumanTask]:
    """A record's own tasks and the tasks of the assignments made from it, newest first (one query;
    the caller checked the record's visibility)."""
    linked = sa.select(Assignment.id).where(Assignment.record_type == record_type, Assignment.record_id == record_id)
    own = sa.and_(HumanTask.record_type == record_type, HumanTask.record_id == record_id)
    of_assignments = sa.and_(HumanTask.record_type == RECORD_TYPE, HumanTask.record_id.in_(linked))
    return list(db.session.scalars(sa.select(HumanTask).where(sa.or_(own, of_assignments))
                                   .order_by(HumanTask.created_at.desc(), HumanTask.id.desc())))


def get_assignment(assignment_id: int, user: User) -> Assignment:
    """An assignment the user may see; otherwise NotFound."""
    assignment = _get(assignment_id)
    if not can_view(assignment, user):
        raise NotFound(_("Assignment not found."))
    return assignment


def list_assignments(user: User, page: int = 1, per_page: int = 20) -> Page[Assignment]:
    """Assignments the user authored, executes or reviews (admins: all), newest first."""
    where = []
    if not is_admin(user):
        where.append(sa.or_(Assignment.author_id == user.id, Assignment.executor_id == user.id,
                            Assignment.reviewer_id == user.id))
    page, per_page = clamp(page, per_page)
    total = db.session.scalar(sa.select(sa.func.count()).select_from(Assignment).where(*where)) or 0
    items = list(db.session.scalars(sa.select(Assignment).where(*where).order_by(Assignment.id.desc())
                                    .limit(per_page).offset((page - 1) * per_page)))
    return Page(items, total, page, per_page)


# ---------------------------------------------------------------- process integration


def describe(assignment_id: int) -> RecordInfo:
    a = _get(assignment_id)
    executor_target = LaneTarget(user_id=a.executor_id, group_id=a.executor_group_id)
    manager_id = a.executor.line_manager_id if a.executor is not None else None
    return RecordInfo(
        number=a.display_number, title=a.title, author_id=a.author_id,
        lanes={
            "executor": executor_target,
            "reviewer": LaneTarget(user_id=a.reviewer_id or a.author_id),
            # No line manager: the author hears about the overdue assignment instead.
            "executor_line_manager": LaneTarget(user_id=manager_id or a.author_id),
        })


def summarize_assignment(assignment_id: int) -> list[tuple[str, str]]:
    """What the assignment's tasks show: the brief to the executor, the result to the reviewer, the
    reviewer's comment on rework. Values are display text in the current locale."""
    a = _get(assignment_id)
    executor = a.executor.display_name if a.executor else (_(a.executor_group.name) if a.executor_group else "—")
    pairs = [(_("Description"), a.description or "—"), (_("Author"), a.author.display_name),
             (_("Executor"), executor), (_("Due date"), format_date(a.due_date, "medium")),
             (_("Status"), label("assignment_status", a.status))]
    if a.reviewer is not None:
        pairs.append((_("Reviewer"), a.reviewer.display_name))
    if a.result_comment:
        pairs.append((_("Result"), a.result_comment))
    if a.review_comment:
        pairs.append((_("Review comment"), a.review_comment))
    return pairs


def on_task_reassigned(assignment_id: int, lane: str | None, user_id: int) -> None:
    """The executor's task moved to another user (claim or board drag): they become the executor."""
    if lane == "executor":
        a = _get(assignment_id)
        a.executor_id = user_id
        a.executor_group_id = None
        db.session.flush()


# The service tasks below change the record in the session and leave the flush to the process
# command, which saves the instance right after the engine steps: one UPDATE instead of several.


def record_assignment_result(assignment_id: int, result_comment: str) -> dict[str, Any]:
    a = _get(assignment_id)
    a.result_comment = result_comment
    a.status = "in_review" if a.reviewer_id else a.status
    return {"status": a.status}


def record_review(assignment_id: int, decision: str, review_comment: str | None = None) -> dict[str, Any]:
    a = _get(assignment_id)
    a.review_comment = review_comment or None
    a.status = "rework" if decision == "rework" else a.status
    return {"status": a.status}


def set_assignment_status(assignment_id: int, status: str) -> dict[str, Any]:
    a = _get(assignment_id)
    a.status = status
    if status == "completed":
        a.completed_at = processes.now()
    return {"status": a.status}


SERVICE_TASKS: dict[str, Callable[..., Any]] = {
    "crm.record_assignment_result": record_assignment_result,
    "crm.record_review": record_review,
    "crm.set_assignment_status": set_assignment_status,
}

# Assignments are handed over by their author or the executor's line manager, to any active user.
RECORD_TYPES = (RecordType(name=RECORD_TYPE, describe=describe, url_endpoint="assignments.detail",
                           on_task_reassigned=on_task_reassigned, reassign_requires_director=False,
                           summary=summarize_assignment),)


def move_record_assignments(record_type: str, from_record_id: int, to_record_id: int) -> list[Assignment]:
    """Link the assignments made from one record to another of the same kind (a deal merge); returns them."""
    moved = list_record_assignments(record_type, from_record_id)
    for assignment in moved:
        assignment.record_id = to_record_id
    db.session.flush()
    return moved
