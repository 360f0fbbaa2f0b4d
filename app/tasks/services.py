"""Inbox queries, task visibility, claim, complete, reassign, and the context a task page shows.

Reads use only the `human_tasks` index (no workflow is loaded for a list). Writes flush; the
caller commits. Raises NotFound (unknown or invisible task), PermissionDenied, Conflict, InvalidInput.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _

from app.access.services import eligible_responsibles, is_admin, is_commercial_director, is_eligible_responsible
from app.auth.models import User
from app.auth.services import find_user_by_login, list_users, subordinate_ids
from app.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from app.extensions import db
from app.pagination import Page, clamp
from app.processes import services as processes
from app.processes.models import ProcessInstance
from app.processes.records import list_record_types, record_type
from app.tasks.models import OPEN, HumanTask

SCOPES = ("current", "completed", "subordinates")
SORTS = {
    "due": (HumanTask.due_at.is_(None), HumanTask.due_at.asc(), HumanTask.id.asc()),
    "-due": (HumanTask.due_at.is_(None), HumanTask.due_at.desc(), HumanTask.id.desc()),
    "created": (HumanTask.created_at.asc(), HumanTask.id.asc()),
    "-created": (HumanTask.created_at.desc(), HumanTask.id.desc()),
    "-completed": (HumanTask.completed_at.desc(), HumanTask.id.desc()),
}


@dataclass
class TaskQuery:
    scope: str = "current"
    process: str | None = None
    sort: str = "due"
    page: int = 1
    per_page: int = 20
    overdue_only: bool = False


def _scope_filter(user: User, scope: str) -> Any:
    if scope == "current":
        # `status` inside each branch: SQLite does not distribute AND over OR, and would otherwise
        # walk every open task instead of the two (status, assignee) / (status, group) indexes.
        return sa.or_(
            sa.and_(HumanTask.status == OPEN, HumanTask.assignee_id == user.id),
            sa.and_(HumanTask.status == OPEN, HumanTask.assignee_id.is_(None),
                    HumanTask.candidate_group_id.in_(user.group_ids)))
    if scope == "completed":
        # Only completion sets completed_by (cancellation does not), so no status test is needed,
        # and the count is answered from the (completed_by_id, completed_at) index alone.
        return HumanTask.completed_by_id == user.id
    if scope == "subordinates":
        return sa.and_(HumanTask.status == OPEN, HumanTask.assignee_id.in_(subordinate_ids(user.id)))
    raise InvalidInput(fields={"scope": _("Unknown scope %(scope)s.", scope=scope)})


def list_tasks(user: User, query: TaskQuery, at: datetime | None = None) -> Page[HumanTask]:
    """One page of the user's tasks in a scope, with the total count."""
    if query.sort not in SORTS:
        raise InvalidInput(fields={"sort": _("Unknown sort order.")})
    page, per_page = clamp(query.page, query.per_page)
    where = [_scope_filter(user, query.scope)]
    if query.process:
        where.append(HumanTask.process_id == query.process)
    if query.overdue_only:
        where.append(HumanTask.due_at < (at or processes.now()))
    sort = SORTS["-completed"] if query.scope == "completed" and query.sort == "due" else SORTS[query.sort]
    total = db.session.scalar(sa.select(sa.func.count()).select_from(HumanTask).where(*where)) or 0
    items = list(db.session.scalars(sa.select(HumanTask).where(*where).order_by(*sort)
                                    .limit(per_page).offset((page - 1) * per_page)))
    return Page(items, total, page, per_page)


def count_tasks(user: User) -> dict[str, int]:
    return {scope: db.session.scalar(sa.select(sa.func.count()).select_from(HumanTask)
                                     .where(_scope_filter(user, scope))) or 0 for scope in SCOPES}


def list_task_processes() -> list[str]:
    return list(db.session.scalars(sa.select(HumanTask.process_id).distinct().order_by(HumanTask.process_id)))


def _get(task_ref: int | str) -> HumanTask:
    if isinstance(task_ref, int) or (isinstance(task_ref, str) and task_ref.isdigit()):
        task = db.session.get(HumanTask, int(task_ref))
    else:
        task = db.session.scalar(sa.select(HumanTask).where(HumanTask.task_uuid == str(task_ref)))
    if task is None:
        raise NotFound(_("Task not found."))
    return task


def _author_id(task: HumanTask) -> int | None:
    return db.session.scalar(sa.select(ProcessInstance.started_by_id).where(ProcessInstance.id == task.instance_id))


def _reassigned_by_director(task: HumanTask) -> bool:
    return record_type(task.record_type).reassign_requires_director


def can_view(task: HumanTask, user: User) -> bool:
    # Cheapest checks first: the assignee's own task needs no group or subordinate lookup.
    if task.assignee_id == user.id or task.completed_by_id == user.id or is_admin(user):
        return True
    if task.assignee_id is None and task.candidate_group_id in user.group_ids:
        return True
    if is_commercial_director(user) and _reassigned_by_director(task):
        return True  # who assigns the record's responsible sees (and may reassign) its tasks
    if task.assignee_id is not None and task.assignee_id in subordinate_ids(user.id):
        return True
    return _author_id(task) == user.id


def can_complete(task: HumanTask, user: User) -> bool:
    return task.is_open and task.assignee_id == user.id


def can_claim(task: HumanTask, user: User) -> bool:
    return task.is_open and task.assignee_id is None and task.candidate_group_id in user.group_ids


def can_reassign(task: HumanTask, user: User) -> bool:
    """Who may give an open task to someone else, as the task's record type declares.

    A record whose tasks follow its responsible (lead, deal): the Commercial Director or an admin.
    Otherwise (assignments): the author of the process, the assignee's line manager, or an admin.
    """
    if not task.is_open:
        return False
    if _reassigned_by_director(task):
        return is_commercial_director(user)
    if is_admin(user) or _author_id(task) == user.id:
        return True
    return task.assignee_id is not None and task.assignee_id in subordinate_ids(user.id)


def get_task(task_ref: int | str, user: User) -> HumanTask:
    """A task the user may see; an invisible task is reported as not found."""
    task = _get(task_ref)
    if not can_view(task, user):
        raise NotFound(_("Task not found."))
    return task


def claim_task(task_ref: int | str, user: User) -> HumanTask:
    """Take a group task. Raises Conflict when someone else claimed it first."""
    task = get_task(task_ref, user)
    if task.assignee_id == user.id and task.is_open:
        return task
    if not task.is_open or task.assignee_id is not None:
        raise Conflict(_("This task has already been taken by someone else."), code="task_claimed")
    if not can_claim(task, user):
        raise PermissionDenied(_("Only members of the task's group can claim it."))
    updated = db.session.execute(sa.update(HumanTask).where(HumanTask.id == task.id, HumanTask.assignee_id.is_(None),
                                                            HumanTask.status == OPEN)
                                 .values(assignee_id=user.id).execution_options(synchronize_session=False))
    if updated.rowcount != 1:  # type: ignore[attr-defined]
        raise Conflict(_("This task has already been taken by someone else."), code="task_claimed")
    db.session.refresh(task)
    _notify_record(task, user.id)
    db.session.flush()
    if task.properties.get("crm_claim_completes") == "true":
        # "Take to work": claiming is the whole task; completing it makes the claimer responsible.
        processes.complete_task(task, {}, actor_id=user.id)
    return task


def complete_task(task_ref: int | str, user: User, data: dict[str, Any], expected_version: int | None = None,
                  at: datetime | None = None) -> HumanTask:
    """Complete the user's task with form data (see processes.complete_task for errors)."""
    task = get_task(task_ref, user)
    if not task.is_open:
        raise Conflict(_("This task has already been completed or canceled."), code="task_not_open")
    if task.assignee_id is None and can_claim(task, user):
        raise Conflict(_("Claim the task before completing it."), code="task_not_claimed")
    if not can_complete(task, user):
        raise PermissionDenied(_("Only the assignee can complete this task."))
    if not isinstance(data, dict):
        raise InvalidInput(_("The form data must be an object."))
    return processes.complete_task(task, data, actor_id=user.id, expected_version=expected_version, at=at)


def reassign_task(task_ref: int | str, new_assignee_login: str, user: User) -> HumanTask:
    """Give an open task to another active user (Assignment Board drag, API).

    The rule comes from the task's record type (see `can_reassign`); for a record whose tasks follow
    its responsible, the new assignee must also be eligible as responsible. Side effects: the record
    follows the task (`on_task_reassigned`); flushes. Raises NotFound, Conflict, PermissionDenied,
    InvalidInput (field `assignee`).
    """
    task = get_task(task_ref, user)
    if not task.is_open:
        raise Conflict(_("This task has already been completed or canceled."), code="task_not_open")
    by_director = _reassigned_by_director(task)
    if not can_reassign(task, user):
        if by_director:
            raise PermissionDenied(_("Only the Commercial Director can reassign the tasks of this record."))
        raise PermissionDenied(_("Only the author of the assignment or the executor's line manager can reassign it."))
    if not new_assignee_login.strip():
        raise InvalidInput(fields={"assignee": _("Choose the new assignee.")})
    target = find_user_by_login(new_assignee_login)
    if target is None or not target.is_active:
        raise InvalidInput(fields={"assignee": _("User %(login)s not found.", login=new_assignee_login)})
    if by_director and not is_eligible_responsible(target):
        raise InvalidInput(fields={"assignee": _(
            "%(name)s cannot be responsible: only active CRM Managers and Commercial Directors can.",
            name=target.display_name)})
    if target.id == task.assignee_id:
        return task
    task.assignee_id = target.id
    task.candidate_group_id = None
    _notify_record(task, target.id)
    db.session.flush()
    return task


def reassign_candidates(task: HumanTask) -> list[User]:
    """Whom a task may be given to (the reassign picker): eligible responsibles for a record whose
    tasks follow its responsible, any active user otherwise; never the current assignee."""
    people = eligible_responsibles() if _reassigned_by_director(task) else list_users(include_inactive=False)
    return [u for u in people if u.id != task.assignee_id]


def _notify_record(task: HumanTask, new_user_id: int) -> None:
    hook = record_type(task.record_type).on_task_reassigned
    if hook is not None:
        hook(task.record_id, task.lane, new_user_id)


def task_context(task: HumanTask) -> list[tuple[str, str]]:
    """The key fields of the task's record as (label, value) pairs, as its record type summarises them.

    The caller has checked that the user may see the task (`get_task`). Empty when the record type
    declares no summary.
    """
    summary = record_type(task.record_type).summary
    return summary(task.record_id) if summary is not None else []


def instance_version(task: HumanTask) -> int:
    return processes.get_instance(task.instance_id).version


def _director_record_types(user: User) -> list[str]:
    if not is_commercial_director(user):
        return []
    return [t.name for t in list_record_types() if t.reassign_requires_director]


def board_tasks(user: User, process: str | None = "assignment", limit: int = 500) -> dict[int | None, list[HumanTask]]:
    """Open tasks the user may see, grouped by assignee (None = unassigned group tasks)."""
    where = [HumanTask.status == OPEN]
    if process:
        where.append(HumanTask.process_id == process)
    if not is_admin(user):
        subs = subordinate_ids(user.id)
        authored = sa.select(ProcessInstance.id).where(ProcessInstance.started_by_id == user.id)
        # `status` repeated in each branch so that SQLite can use the (status, …) indexes per branch.
        branches = [
            sa.and_(HumanTask.status == OPEN, HumanTask.assignee_id == user.id),
            sa.and_(HumanTask.status == OPEN, HumanTask.assignee_id.in_(subs)),
            sa.and_(HumanTask.status == OPEN, HumanTask.instance_id.in_(authored)),
            sa.and_(HumanTask.status == OPEN, HumanTask.assignee_id.is_(None),
                    HumanTask.candidate_group_id.in_(user.group_ids))]
        director_types = _director_record_types(user)
        if director_types:
            # The Commercial Director hands out the tasks of the records whose responsible they assign.
            branches.append(sa.and_(HumanTask.status == OPEN, HumanTask.record_type.in_(director_types)))
        where = [sa.or_(*branches)]
        if process:
            where.append(HumanTask.process_id == process)
    tasks = db.session.scalars(sa.select(HumanTask).where(*where).order_by(*SORTS["due"]).limit(limit))
    grouped: dict[int | None, list[HumanTask]] = {}
    for task in tasks:
        grouped.setdefault(task.assignee_id, []).append(task)
    return grouped


def page_size() -> int:
    return int(current_app.config["CRM_PAGE_SIZE"])


def record_tasks(record_type_name: str, record_id: int) -> list[HumanTask]:
    """All tasks of one record, newest first (the caller has checked the record's visibility)."""
    return list(db.session.scalars(sa.select(HumanTask).where(HumanTask.record_type == record_type_name,
                                                              HumanTask.record_id == record_id)
                                   .order_by(HumanTask.created_at.desc(), HumanTask.id.desc())))
