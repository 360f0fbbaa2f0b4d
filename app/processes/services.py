"""Deploying BPMN versions and running process commands; the only caller of `workflows`.

One command = one unit of work: load the instance, act, run engine steps, save with the optimistic
version check, refresh the human-task index, flush. The caller commits. Engine errors roll back
(the in-memory state is simply discarded; the saved JSON is never touched).
"""
from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from flask import Flask, current_app, has_request_context, request
from flask_babel import get_locale
from flask_babel import gettext as _
from sqlalchemy.orm import defer
from sqlalchemy.orm.exc import StaleDataError

from app.access.services import resolve_lane
from app.auth.models import User
from app.directories.services import resolve_schema
from app.errors import Conflict, CrmError, InvalidInput, NotFound
from app.extensions import db
from app.labels import label
from app.processes.models import ProcessInstance, ProcessVersion
from app.processes.records import record_type
from app.tasks.models import CANCELED, COMPLETED, OPEN, HumanTask
from workflows import clock, runtime
from workflows.deploy import DeployCandidate, check_bpmn, scan_bpmn_dir
from workflows.engine import Engine
from workflows.errors import (
    BpmnDeployError,
    EngineError,
    IllegalTransition,
    NotWaiting,
    TaskDataInvalid,
    TaskNotReady,
)
from workflows.forms import load_schema, validate_form_data

logger = logging.getLogger(__name__)


class ProcessError(CrmError):
    status = 422
    code = "process_error"


class DeployRefused(CrmError):
    status = 422
    code = "bpmn_invalid"


def _refusal_in(error: BaseException) -> CrmError | None:
    """The CrmError a service task raised inside the engine (e.g. InvalidInput with field errors for a value the
    form's schema cannot judge), found through the engine's wrapping exceptions; None for any other failure.
    Nothing was saved either way: the caller reports it as the refusal it is instead of a process error."""
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        if isinstance(current, CrmError):
            return current
        seen.add(id(current))
        current = current.__cause__ or current.__context__
    return None


def now() -> datetime:
    return clock.now()


_actor: ContextVar[int | None] = ContextVar("crm_process_actor", default=None)


@contextmanager
def _acting(actor_id: int | None) -> Iterator[None]:
    """Service tasks run inside the engine; this tells them who caused the step (None: the clock)."""
    token = _actor.set(actor_id)
    try:
        yield
    finally:
        _actor.reset(token)


def current_actor_id() -> int | None:
    return _actor.get()


# --------------------------------------------------------------------------- engine


def init_engine(app: Flask, services: Mapping[str, Callable[..., Any]] | None = None,
                helpers: Mapping[str, Any] | None = None) -> None:
    """Build the one engine of this process, with the service tasks and script helpers of `app`."""
    app.extensions["crm_engine"] = Engine(services=dict(services or {}), helpers=dict(helpers or {}),
                                          forms_dir=Path(app.config["FORMS_DIR"]))


def _engine() -> Engine:
    engine: Engine = current_app.extensions["crm_engine"]
    return engine


def _ensure_loaded(version: ProcessVersion) -> str:
    engine = _engine()
    if not engine.has_version(version.id):
        engine.load_version(version.id, version.xml)
    return version.id


def _instance_version_key(instance: ProcessInstance) -> str:
    """The parsed version of an instance; its XML is read from the database only on first use."""
    if _engine().has_version(instance.version_id):
        return instance.version_id
    return _ensure_loaded(instance.process_version)


# --------------------------------------------------------------------------- deploy


@dataclass(frozen=True)
class DeployResult:
    deployed: list[ProcessVersion]
    unchanged: list[str]


def _deploy_candidate(candidate: DeployCandidate, deployed_by_id: int | None) -> ProcessVersion | None:
    if db.session.get(ProcessVersion, candidate.sha256) is not None:
        return None
    last = db.session.scalar(sa.select(sa.func.max(ProcessVersion.version))
                             .where(ProcessVersion.process_id == candidate.process_id)) or 0
    version = ProcessVersion(id=candidate.sha256, process_id=candidate.process_id, version=last + 1,
                             name=candidate.name, file_name=candidate.file_name, xml=candidate.xml,
                             deployed_at=now(), deployed_by_id=deployed_by_id)
    db.session.add(version)
    return version


def deploy_directory(deployed_by_id: int | None = None) -> DeployResult:
    """Deploy every changed file of BPMN_DIR. Raises DeployRefused (file, line/element, message)."""
    try:
        candidates = scan_bpmn_dir(Path(current_app.config["BPMN_DIR"]), Path(current_app.config["FORMS_DIR"]))
    except BpmnDeployError as e:
        raise DeployRefused(str(e)) from e
    deployed, unchanged = [], []
    for candidate in candidates:
        version = _deploy_candidate(candidate, deployed_by_id)
        if version is None:
            unchanged.append(candidate.process_id)
        else:
            deployed.append(version)
    db.session.flush()
    return DeployResult(deployed, unchanged)


def deploy_file(xml: bytes, file_name: str, deployed_by_id: int | None) -> list[ProcessVersion]:
    """Deploy one uploaded BPMN file. Raises DeployRefused."""
    try:
        candidates = check_bpmn(xml, file_name, Path(current_app.config["FORMS_DIR"]))
    except BpmnDeployError as e:
        raise DeployRefused(str(e)) from e
    versions = [v for c in candidates if (v := _deploy_candidate(c, deployed_by_id)) is not None]
    db.session.flush()
    return versions


def undeployed_changes() -> list[str]:
    """Process ids whose file in BPMN_DIR differs from every deployed version. Raises DeployRefused."""
    try:
        candidates = scan_bpmn_dir(Path(current_app.config["BPMN_DIR"]), Path(current_app.config["FORMS_DIR"]))
    except BpmnDeployError as e:
        raise DeployRefused(str(e)) from e
    known = set(db.session.scalars(sa.select(ProcessVersion.id)))
    return [c.process_id for c in candidates if c.sha256 not in known]


def parse_latest_versions() -> int:
    """Parse the latest version of every deployed process into the engine (a worker does this before it
    forks, so its jobs start warm). Returns how many were parsed now."""
    newest = sa.select(ProcessVersion.process_id, sa.func.max(ProcessVersion.version).label("version")) \
        .group_by(ProcessVersion.process_id).subquery()
    versions = db.session.scalars(sa.select(ProcessVersion).join(newest, sa.and_(
        ProcessVersion.process_id == newest.c.process_id, ProcessVersion.version == newest.c.version)))
    parsed = 0
    for version in versions:
        if not _engine().has_version(version.id):
            _ensure_loaded(version)
            parsed += 1
    return parsed


def list_versions() -> list[ProcessVersion]:
    return list(db.session.scalars(sa.select(ProcessVersion)
                                   .order_by(ProcessVersion.process_id, ProcessVersion.version.desc())))


def get_version(version_id: str) -> ProcessVersion:
    version = db.session.get(ProcessVersion, version_id)
    if version is None:
        raise NotFound(_("Process version not found."))
    return version


def latest_version(process_id: str) -> ProcessVersion:
    # The XML (tens of KiB) is read only if this process's engine has not parsed the version yet.
    version = db.session.scalar(sa.select(ProcessVersion).where(ProcessVersion.process_id == process_id)
                                .options(defer(ProcessVersion.xml))
                                .order_by(ProcessVersion.version.desc()).limit(1))
    if version is None:
        raise NotFound(_("Process %(process)s is not deployed; run `flask --app app crm deploy`.",
                         process=process_id))
    return version


def count_instances_by_version() -> dict[str, int]:
    rows = db.session.execute(sa.select(ProcessInstance.version_id, sa.func.count())
                              .group_by(ProcessInstance.version_id))
    return {vid: n for vid, n in rows}


# --------------------------------------------------------------------------- commands


def start_process(process_id: str, record_type_name: str, record_id: int, data: dict[str, Any],
                  started_by_id: int | None, at: datetime | None = None) -> ProcessInstance:
    """Start the latest version of `process_id` for a record, in the caller's transaction."""
    version = latest_version(process_id)
    key = _ensure_loaded(version)
    moment = at or now()
    try:
        with _acting(started_by_id):
            outcome = runtime.start(_engine(), key, process_id, data, moment)
    except EngineError as e:
        raise ProcessError(_("The process could not start: %(error)s", error=str(e))) from e
    instance = ProcessInstance(process_id=process_id, version_id=version.id, record_type=record_type_name,
                               record_id=record_id, state=outcome.state, started_by_id=started_by_id,
                               created_at=moment, updated_at=moment)
    db.session.add(instance)
    _apply(instance, outcome, actor_id=started_by_id, at=moment, completed_task=None)
    return instance


def get_instance(instance_id: int) -> ProcessInstance:
    instance = db.session.get(ProcessInstance, instance_id)
    if instance is None:
        raise NotFound(_("Process instance not found."))
    return instance


def find_instance_for(record_type_name: str, record_id: int) -> ProcessInstance | None:
    return db.session.scalar(sa.select(ProcessInstance)
                             .where(ProcessInstance.record_type == record_type_name,
                                    ProcessInstance.record_id == record_id)
                             .order_by(ProcessInstance.id.desc()).limit(1))


def complete_task(task: HumanTask, data: dict[str, Any], actor_id: int, expected_version: int | None = None,
                  at: datetime | None = None) -> HumanTask:
    """Complete an open human task with form `data`.

    Raises Conflict (task no longer open, stale instance version), InvalidInput (form errors),
    ProcessError (the process failed; nothing is saved).
    """
    if task.status != OPEN:
        raise Conflict(_("This task has already been completed or canceled."), code="task_not_open")
    instance = get_instance(task.instance_id)
    if expected_version is not None and expected_version != instance.version:
        raise Conflict()
    key = _instance_version_key(instance)
    moment = at or now()
    # The completer's login is routing data (e.g. "take to work" makes them responsible).
    actor = db.session.get(User, actor_id)  # usually already in the session: the request's user
    completed_by = actor.login if actor is not None else None
    try:
        with _acting(actor_id):
            outcome = runtime.complete_user_task(_engine(), key, instance.state, task.task_uuid, data, moment,
                                                 routing_data={"completed_by": completed_by},
                                                 resolve_schema=resolve_schema)
    except TaskDataInvalid as e:
        raise InvalidInput(fields=e.errors) from e
    except TaskNotReady as e:
        raise Conflict(_("This task has already been completed or canceled."), code="task_not_open") from e
    except EngineError as e:
        raise _refusal_in(e) or ProcessError(_("The process could not continue: %(error)s", error=str(e))) from e
    task.outcome = _outcome_label(data)
    _apply(instance, outcome, actor_id=actor_id, at=moment, completed_task=task)
    return task


@dataclass(frozen=True)
class StatusActions:
    current: str
    allowed: list[str]
    transition_forms: dict[str, str]


def status_actions(record_type_name: str, record_id: int) -> StatusActions | None:
    """The status moves the record's process allows now (None: no status task is ready)."""
    instance = find_instance_for(record_type_name, record_id)
    if instance is None or not instance.is_running:
        return None
    key = _instance_version_key(instance)
    try:
        task = runtime.status_task(_engine(), key, instance.state)
    except EngineError as e:
        raise ProcessError(str(e)) from e
    if task is None:
        return None
    return StatusActions(task.status, list(task.allowed_next), dict(task.transition_forms))


def change_record_status(record_type_name: str, record_id: int, next_status: str, data: dict[str, Any],
                         actor_id: int | None, at: datetime | None = None,
                         prepare: Callable[[dict[str, Any] | None], Mapping[str, Any]] | None = None
                         ) -> ProcessInstance:
    """Move a record to `next_status` through its process's status hub (one service for every UI).

    `prepare` types raw input by the transition form inside the same workflow load (see
    `workflows.runtime.change_status`); the workflow is loaded once per call.

    Raises Conflict (code illegal_transition) when the process does not allow the move now,
    InvalidInput when the transition form is invalid, ProcessError when the process fails.
    Nothing is saved on any error.
    """
    instance = find_instance_for(record_type_name, record_id)
    if instance is None or not instance.is_running:
        raise Conflict(_("The status of this record can no longer be changed."), code="illegal_transition")
    key = _instance_version_key(instance)
    moment = at or now()
    try:
        with _acting(actor_id):
            outcome = runtime.change_status(_engine(), key, instance.state, next_status, data, moment,
                                            resolve_schema=resolve_schema, prepare=prepare)
    except IllegalTransition as e:
        if not e.allowed:
            message = _("The status cannot be changed now: the record is waiting for another step.")
        else:
            kind = f"{record_type_name}_status"
            message = _("Moving from %(current)s to %(requested)s is not allowed. Allowed: %(allowed)s.",
                        current=label(kind, e.current), requested=label(kind, e.requested),
                        allowed=", ".join(label(kind, a) for a in e.allowed))
        raise Conflict(message, code="illegal_transition") from e
    except TaskDataInvalid as e:
        raise InvalidInput(fields=e.errors) from e
    except EngineError as e:
        raise _refusal_in(e) or ProcessError(_("The process could not continue: %(error)s", error=str(e))) from e
    _apply(instance, outcome, actor_id=actor_id, at=moment, completed_task=None)
    return instance


def send_record_message(record_type_name: str, record_id: int, name: str, payload: dict[str, Any],
                        actor_id: int | None, at: datetime | None = None) -> bool:
    """Deliver a BPMN message to the record's process; False when nobody waits for it."""
    instance = find_instance_for(record_type_name, record_id)
    if instance is None or not instance.is_running:
        return False
    key = _instance_version_key(instance)
    moment = at or now()
    try:
        with _acting(actor_id):
            outcome = runtime.send_message(_engine(), key, instance.state, name, payload, moment)
    except NotWaiting:
        return False
    except EngineError as e:
        raise ProcessError(_("The process could not continue: %(error)s", error=str(e))) from e
    _apply(instance, outcome, actor_id=actor_id, at=moment, completed_task=None)
    return True


def fire_due_timers(instance_id: int, at: datetime | None = None) -> bool:
    """Fire the due timers of one instance. Safe to run twice: returns False when nothing was due."""
    instance = db.session.get(ProcessInstance, instance_id)
    moment = at or now()
    if instance is None or not instance.is_running or instance.next_timer_at is None or instance.next_timer_at > moment:
        return False
    key = _instance_version_key(instance)
    try:
        outcome = runtime.refresh_timers(_engine(), key, instance.state, moment)
    except EngineError as e:
        raise ProcessError(str(e)) from e
    _apply(instance, outcome, actor_id=None, at=moment, completed_task=None)
    return True


def list_due_instance_ids(at: datetime | None = None, limit: int = 500) -> list[int]:
    moment = at or now()
    return list(db.session.scalars(sa.select(ProcessInstance.id)
                                   .where(ProcessInstance.status == "running",
                                          ProcessInstance.next_timer_at <= moment)
                                   .order_by(ProcessInstance.next_timer_at).limit(limit)))


def task_form(task: HumanTask) -> tuple[dict[str, Any] | None, dict[str, Any]]:
    """The JSON Schema of a task's form (or None), directories resolved (see `form_schema`), and the
    task's current data for prefilling."""
    if not task.form_path:
        return None, {}
    schema = form_schema(task.form_path)
    data: dict[str, Any] = {}
    if task.is_open:
        instance = get_instance(task.instance_id)
        key = _instance_version_key(instance)
        try:
            data = runtime.task_data(_engine(), key, instance.state, task.task_uuid)
        except (TaskNotReady, EngineError):
            data = {}
    props = schema.get("properties", {})
    return schema, {k: v for k, v in data.items() if k in props}


def validate_form(schema: dict[str, Any], data: dict[str, Any]) -> dict[str, str]:
    """Field errors of `data` against a JSON Schema (Draft 2020-12 + formats), as task forms are checked."""
    return validate_form_data(schema, data)


def form_schema(form_path: str, locale: str | None = None) -> dict[str, Any]:
    """The JSON Schema of a form under FORMS_DIR as clients get it: a copy whose `x-directory` fields
    list their choices (`oneOf` const/title) in `locale` (default: the request's language).
    Shared within a request: do not mutate it."""
    if locale is None:
        current = get_locale()
        locale = str(current) if current is not None else "en"
    memo = _schema_memo()
    key = (form_path, locale)
    if key not in memo:
        memo[key] = resolve_schema(load_schema(Path(current_app.config["FORMS_DIR"]), form_path), locale)
    return memo[key]


def _schema_memo() -> dict[tuple[str, str], dict[str, Any]]:
    """Where resolved form schemas are shared: the request (a task list shows the same form on many
    rows), else the session's current transaction (a mail poll creates many deals in one job); a
    directory edited in a later transaction is seen by it."""
    if has_request_context():
        memo: dict[tuple[str, str], dict[str, Any]] = request.environ.setdefault("crm.form_schemas", {})
        return memo
    session = db.session()
    # The unit of work's transaction, begun here if nothing ran yet (what the first query would do).
    transaction = session.get_transaction() or session.begin()
    held = db.session.info.get("crm.form_schemas")
    if held is None or held[0] is not transaction:
        held = (transaction, {})
        db.session.info["crm.form_schemas"] = held
    return held[1]  # type: ignore[no-any-return]


def _outcome_label(data: dict[str, Any]) -> str | None:
    for key in ("decision", "outcome"):
        if isinstance(data.get(key), str):
            return str(data[key])[:100]
    return None


def _apply(instance: ProcessInstance, outcome: runtime.Outcome, actor_id: int | None, at: datetime,
           completed_task: HumanTask | None) -> None:
    instance.state = outcome.state
    instance.status = "completed" if outcome.is_completed else "running"
    instance.next_timer_at = outcome.next_timer_at
    instance.updated_at = at
    try:
        db.session.flush()
    except StaleDataError as e:
        # Someone else saved this instance first. The caller's unit of work (or the savepoint of a
        # bulk move) is void and rolled back by whoever owns it — never here.
        raise Conflict() from e
    _sync_human_tasks(instance, outcome, actor_id, at, completed_task)


def _sync_human_tasks(instance: ProcessInstance, outcome: runtime.Outcome, actor_id: int | None, at: datetime,
                      completed_task: HumanTask | None) -> None:
    """Bring the instance's task index up to date with the engine's ready and finished human tasks.

    The engine says which tasks were ready before the command, so the index is updated from that
    difference without reading it back; without it (None) the open rows are read and compared.
    """
    ready_ids = {t.task_id for t in outcome.ready_tasks}
    if outcome.ready_before is None:
        open_ids = set(db.session.scalars(sa.select(HumanTask.task_uuid).where(
            HumanTask.instance_id == instance.id, HumanTask.status == OPEN)))
    else:
        open_ids = set(outcome.ready_before)
    closed = open_ids - ready_ids
    if completed_task is not None and completed_task.status == OPEN:
        completed_task.status, completed_task.completed_at, completed_task.completed_by_id = COMPLETED, at, actor_id
        closed.discard(completed_task.task_uuid)
    for final, ids in ((COMPLETED, [i for i in closed if outcome.finished_tasks.get(i) == "completed"]),
                       (CANCELED, [i for i in closed if outcome.finished_tasks.get(i) != "completed"])):
        if ids:  # a task that vanished without a final state (e.g. a cancelled subprocess) is canceled too
            values: dict[str, Any] = {"status": final, "completed_at": at}
            if final == COMPLETED:
                values["completed_by_id"] = actor_id
            db.session.execute(sa.update(HumanTask).where(
                HumanTask.instance_id == instance.id, HumanTask.task_uuid.in_(ids), HumanTask.status == OPEN)
                .values(**values).execution_options(synchronize_session="fetch"))
    # Status tasks drive the Actions widget and the kanban, never the inbox.
    new_tasks = [t for t in outcome.ready_tasks
                 if t.task_id not in open_ids and t.properties.get("crm_kind") != "status"]
    if new_tasks:
        rtype = record_type(instance.record_type)
        info = rtype.describe(instance.record_id)
        for ready in new_tasks:
            target = resolve_lane(ready.lane, info.lanes)
            db.session.add(HumanTask(
                task_uuid=ready.task_id, instance_id=instance.id, process_id=instance.process_id,
                record_type=instance.record_type, record_id=instance.record_id, record_number=info.number,
                record_title=info.title[:300], task_name=ready.name, title=ready.title[:300], lane=ready.lane,
                assignee_id=target.user_id, candidate_group_id=target.group_id if target.user_id is None else None,
                form_path=ready.form, properties=dict(ready.properties), created_at=at, due_at=ready.due_at,
                status=OPEN))
    db.session.flush()


def reassign_lane_tasks(record_type_name: str, record_id: int, lane: str, user_id: int) -> int:
    """Give the record's open tasks of `lane` to a new user (e.g. a new responsible person)."""
    result = db.session.execute(sa.update(HumanTask).where(
        HumanTask.record_type == record_type_name, HumanTask.record_id == record_id, HumanTask.lane == lane,
        HumanTask.status == OPEN).values(assignee_id=user_id, candidate_group_id=None)
        .execution_options(synchronize_session="fetch"))
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


def refresh_record_titles(record_type_name: str, record_id: int) -> None:
    """Update number/title of a record's open tasks after the record was renamed."""
    info = record_type(record_type_name).describe(record_id)
    db.session.execute(sa.update(HumanTask).where(HumanTask.record_type == record_type_name,
                                                  HumanTask.record_id == record_id,
                                                  HumanTask.status == OPEN)
                       .values(record_number=info.number, record_title=info.title[:300]))


def cancel_record_process(record_type_name: str, record_id: int, actor_id: int | None,
                          at: datetime | None = None) -> bool:
    """End a record's running process without finishing it (e.g. a deal merged into another).

    The instance is marked `canceled` (no status move, message or timer reaches it again) and its
    open human tasks are canceled in the task index. Returns False when no process was running.
    """
    instance = find_instance_for(record_type_name, record_id)
    if instance is None or not instance.is_running:
        return False
    moment = at or now()
    instance.status = "canceled"
    instance.next_timer_at = None
    instance.updated_at = moment
    try:
        db.session.flush()
    except StaleDataError as e:
        raise Conflict() from e
    db.session.execute(sa.update(HumanTask).where(HumanTask.instance_id == instance.id, HumanTask.status == OPEN)
                       .values(status=CANCELED, completed_at=moment)
                       .execution_options(synchronize_session="fetch"))
    logger.info("process %s of %s %s canceled by user %s", instance.id, record_type_name, record_id, actor_id)
    return True
