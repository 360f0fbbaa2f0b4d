"""Pure commands over serialized workflow state (a JSON-compatible dict, spec not embedded).

Every command restores the workflow from ``state`` (never mutating it), acts, runs the engine
and returns a fresh ``Outcome``. Timers see the ``now`` passed in (``clock.frozen``). Any
engine failure raises ``EngineError``; the caller must then discard the in-memory result and
keep the state it loaded.
"""

from __future__ import annotations

import copy
import uuid
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, TypeVar

from SpiffWorkflow.bpmn import BpmnEvent
from SpiffWorkflow.bpmn.specs.control import _EndJoin
from SpiffWorkflow.bpmn.specs.event_definitions.multiple import MultipleEventDefinition
from SpiffWorkflow.bpmn.specs.event_definitions.timer import (
    CycleTimerEventDefinition,
    TimerEventDefinition,
)
from SpiffWorkflow.bpmn.specs.mixins.manual_task import ManualTask as ManualTaskMixin
from SpiffWorkflow.bpmn.specs.mixins.user_task import UserTask as UserTaskMixin
from SpiffWorkflow.exceptions import SpiffWorkflowException
from SpiffWorkflow.spiff.specs.event_definitions import MessageEventDefinition
from SpiffWorkflow.util.task import TaskState

from . import clock
from .deploy import DUE_PROPERTY, spiff_message
from .engine import Engine
from .errors import (
    EngineError,
    IllegalTransition,
    NotWaiting,
    TaskNotReady,
    WorkflowError,
)
from .forms import (
    SchemaResolver,
    declared_fields,
    form_for_task,
    form_payload,
    is_reserved_field,
    load_schema,
    task_properties,
)
from .statuses import (
    ALLOWED_NEXT_PROPERTY,
    STATUS_PROPERTY,
    TRANSITION_FORMS_PROPERTY,
    is_status_task,
    parse_allowed_next,
    parse_transition_forms,
)

T = TypeVar("T")


@dataclass
class ReadyTask:
    """A READY human task (user or manual task)."""

    task_id: str
    name: str
    title: str
    lane: str | None
    form: str | None
    ui_form: str | None
    properties: dict[str, str]
    due_at: datetime | None
    data: dict[str, Any]


@dataclass
class Outcome:
    """The result of a command: the new state plus what the app indexes from it."""

    state: dict[str, Any]
    is_completed: bool
    ready_tasks: list[ReadyTask] = field(default_factory=list)
    # task_id → "completed" | "canceled", for the finished human tasks still in the task tree: always
    # those this command finished (older ones go with the history, see `prune_history`)
    finished_tasks: dict[str, str] = field(default_factory=dict)
    # earliest pending timer deadline (aware UTC)
    next_timer_at: datetime | None = None
    # workflow data when completed, else the data of the last completed task
    data: dict[str, Any] = field(default_factory=dict)
    # the human tasks that were READY before the command (None: unknown, e.g. `inspect`); the app
    # diffs it with `ready_tasks` to update its task index without reading it back
    ready_before: set[str] | None = None


@dataclass
class StatusTask:
    """The READY status task of an instance (``crm_kind=status``): what the Actions widget offers."""

    task_id: str
    status: str
    allowed_next: list[str]
    transition_forms: dict[str, str]  # next_status → form path under forms/
    lane: str | None


class _Tracker:
    """Remembers the task the engine is working on, to name it when a bare exception escapes."""

    def __init__(self) -> None:
        self.task: Any = None

    def __call__(self, task: Any) -> None:
        self.task = task


def _element_id(task_spec: Any) -> str | None:
    if task_spec is None:
        return None
    return getattr(task_spec, "bpmn_id", None) or getattr(task_spec, "name", None)


@contextmanager
def _engine_errors(tracker: _Tracker) -> Iterator[None]:
    """Turn whatever SpiffWorkflow (or a script) raises into EngineError."""
    try:
        yield
    except WorkflowError:
        raise
    except SpiffWorkflowException as e:
        task = getattr(e, "task", None)
        spec = getattr(e, "task_spec", None) or (task.task_spec if task is not None else None)
        if spec is None and tracker.task is not None:
            spec = tracker.task.task_spec
        message = spiff_message(e)
        line = getattr(e, "line_number", None)
        if line:
            message += f" (line {line})"
        raise EngineError(message, element_id=_element_id(spec)) from e
    except Exception as e:
        spec = tracker.task.task_spec if tracker.task is not None else None
        raise EngineError(f"{e.__class__.__name__}: {e}", element_id=_element_id(spec)) from e


def _guarded(now: datetime | None, action: Callable[[_Tracker], T]) -> T:
    tracker = _Tracker()
    if now is None:
        with _engine_errors(tracker):
            return action(tracker)
    with clock.frozen(now), _engine_errors(tracker):
        return action(tracker)


def _is_human(task_spec: Any) -> bool:
    return isinstance(task_spec, (UserTaskMixin, ManualTaskMixin))


def _all_tasks(workflow: Any) -> Iterator[Any]:
    # get_tasks(state=COMPLETED) misses finished tasks under unfinished parents: walk every map.
    yield from workflow.tasks.values()
    for subprocess in workflow.subprocesses.values():
        yield from subprocess.tasks.values()


def _run_engine(workflow: Any, tracker: _Tracker) -> None:
    """Run every READY engine task (gateways, scripts, service tasks) until only human tasks wait.

    spiff's do_engine_steps finds READY tasks by walking the task tree from the root, once per engine
    task it runs (each run readies only the next one), and a long-lived hub process's tree grows by
    about ten tasks per status change. The loop below finds them in the workflow's flat task map
    instead (a dict scan, no parent/child lookups); do_engine_steps then runs what is left, if
    anything, in subprocesses, and refreshes the timers.
    """
    tasks = workflow.tasks
    while True:
        ready = [t for t in tasks.values() if t.state == TaskState.READY and not t.task_spec.manual]
        if not ready:
            break
        for task in ready:
            if task.state == TaskState.READY:  # an earlier run in this pass may have changed it
                tracker(task)
                task.run()
    workflow.do_engine_steps(will_complete_task=tracker)
    failed = [t for t in _all_tasks(workflow) if t.has_state(TaskState.ERROR)]
    if failed:
        raise EngineError("Task ended in the ERROR state", element_id=_element_id(failed[0].task_spec))


def _to_utc(value: Any, what: str, element_id: str | None) -> datetime | None:
    if value is None or value == "":
        return None
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value)
        except ValueError as e:
            raise EngineError(f"{what}: {value!r} is not an ISO 8601 datetime", element_id=element_id) from e
    if not isinstance(value, datetime):
        raise EngineError(f"{what}: expected a datetime, got {type(value).__name__}", element_id=element_id)
    if value.tzinfo is None or value.utcoffset() is None:
        raise EngineError(f"{what}: {value.isoformat()} has no UTC offset", element_id=element_id)
    utc = value.astimezone(timezone.utc)
    # Rebuild as a plain datetime (the timer module's clock subclass must not leak out).
    return datetime.combine(utc.date(), utc.timetz())


def _due_at(engine: Engine, task: Any) -> datetime | None:
    expression = task_properties(task.task_spec).get(DUE_PROPERTY)
    if not expression:
        return None
    element_id = _element_id(task.task_spec)
    return _to_utc(engine.evaluate(task, expression.strip()), DUE_PROPERTY, element_id)


def _ready_task(engine: Engine, task: Any) -> ReadyTask:
    spec = task.task_spec
    form, ui_form = form_for_task(spec)
    return ReadyTask(
        task_id=str(task.id),
        name=spec.name,
        title=getattr(spec, "bpmn_name", None) or spec.name,
        lane=getattr(spec, "lane", None),
        form=form,
        ui_form=ui_form,
        properties=task_properties(spec),
        due_at=_due_at(engine, task),
        data=copy.deepcopy(task.data),
    )


def _timer_deadline(definition: Any, event_value: Any) -> datetime | None:
    if event_value is None:
        return None
    if isinstance(definition, CycleTimerEventDefinition):
        if not isinstance(event_value, dict) or event_value.get("cycles") == 0:
            return None
        deadline = datetime.fromisoformat(event_value["next"])
    else:
        deadline = TimerEventDefinition.parse_time_or_duration(str(event_value))
    if not isinstance(deadline, datetime):
        return None
    return _to_utc(deadline, "timer", None)


def _next_timer_at(workflow: Any) -> datetime | None:
    deadlines: list[datetime] = []
    for task in list(workflow.event_manager.tasks.values()):
        if task.has_state(TaskState.FINISHED_MASK) or task.internal_data.get("event_fired"):
            continue
        definition = task.task_spec.event_definition
        members = (
            definition.event_definitions if isinstance(definition, MultipleEventDefinition) else [definition]
        )
        for member in members:
            if isinstance(member, TimerEventDefinition):
                deadline = _timer_deadline(member, task.internal_data.get("event_value"))
                if deadline is not None:
                    deadlines.append(deadline)
    return min(deadlines) if deadlines else None


def _ready_ids(workflow: Any) -> set[str]:
    return {str(t.id) for t in workflow.get_tasks(state=TaskState.READY, manual=True) if _is_human(t.task_spec)}


def _outcome(engine: Engine, workflow: Any, before: set[str] | None = None) -> Outcome:
    ready = [
        _ready_task(engine, t)
        for t in workflow.get_tasks(state=TaskState.READY, manual=True)
        if _is_human(t.task_spec)
    ]
    finished: dict[str, str] = {}
    for task in _all_tasks(workflow):
        if not _is_human(task.task_spec):
            continue
        if task.has_state(TaskState.COMPLETED):
            finished[str(task.id)] = "completed"
        elif task.has_state(TaskState.CANCELLED):
            finished[str(task.id)] = "canceled"
    completed = bool(workflow.is_completed())
    if completed:
        data = workflow.data
    else:
        data = workflow.last_task.data if workflow.last_task is not None else {}
    data = copy.deepcopy(dict(data))
    next_timer_at = _next_timer_at(workflow)
    if not completed:
        prune_history(workflow)
    return Outcome(
        state=engine.dump(workflow),
        is_completed=completed,
        ready_tasks=ready,
        finished_tasks=finished,
        next_timer_at=next_timer_at,
        data=data,
        ready_before=before,
    )


def prune_history(workflow: Any) -> int:
    """Drop the finished part of the task tree above everything still open; returns how many tasks went.

    A status hub loops for the whole life of a record, and spiff keeps every task it ever ran: about
    a dozen per status change. Every later command would load, walk (several times per engine step)
    and save them all, so a record with a long history got slower with each move. Nothing reads them
    back: the task index, the record's history table and the task data (copied into each task) carry
    what the history means. So the tree is re-rooted at the lowest common ancestor of the tasks that
    are not finished (COMPLETED/CANCELLED/ERROR): its ancestors and their finished side branches go,
    the new root keeps its full data, and every open task — WAITING joins and timers included, with
    the parents their joins look at — stays below it. Workflows with subprocesses are left as they
    are (their maps are keyed by tasks of the parent tree).

    A side branch that reached a plain end event (a handled reminder, a prepared proposal) leaves the
    process's end join WAITING until the whole process ends; that waiting instance does not hold the
    root up (else one handled reminder would stop all pruning). Dropping it changes nothing the app
    sees: the next branch to arrive there cancels earlier waiting instances anyway, and only the merge
    of that branch's task data into the final workflow data is lost — data the CRM keeps in its tables.
    """
    tasks = workflow.tasks
    if workflow.subprocesses:
        return 0
    open_tasks = [t for t in tasks.values() if not t.has_state(TaskState.FINISHED_MASK) and not _at_process_end(t)]
    if not open_tasks:
        return 0
    chain: list[Any] = []
    node = open_tasks[0]
    while node is not None:
        chain.append(node.id)
        node = node.parent
    position = {task_id: i for i, task_id in enumerate(chain)}
    top = 0
    for node in open_tasks[1:]:
        while node.id not in position:
            node = node.parent
        top = max(top, position[node.id])
    root = tasks[chain[top]]
    if root.parent is None:
        return 0
    keep = set()
    stack = [root.id]
    while stack:
        task_id = stack.pop()
        keep.add(task_id)
        stack.extend(tasks[task_id]._children)
    dropped = [task_id for task_id in tasks if task_id not in keep]
    for task_id in dropped:
        del tasks[task_id]
    root._parent = None
    workflow.task_tree = root
    if workflow.last_task is not None and workflow.last_task.id not in keep:
        workflow.last_task = root
    return len(dropped)


def _at_process_end(task: Any) -> bool:
    """A branch parked at the process's end join (or the End task below it), waiting for the others."""
    if isinstance(task.task_spec, _EndJoin):
        return True
    parent = task.parent
    return parent is not None and isinstance(parent.task_spec, _EndJoin)


def _find_task(workflow: Any, task_id: str) -> Any:
    try:
        key = uuid.UUID(str(task_id))
    except ValueError as e:
        raise TaskNotReady(f"Unknown task {task_id!r}") from e
    try:
        task = workflow.get_task_from_id(key)
    except SpiffWorkflowException:
        task = None
    if task is None:
        raise TaskNotReady(f"Unknown task {task_id!r}")
    return task


def _run_task(engine: Engine, workflow: Any, task: Any, payload: dict[str, Any], now: datetime) -> Outcome:
    """Complete the READY ``task`` with ``payload`` in its data and run the engine."""
    before = _ready_ids(workflow)

    def action(tracker: _Tracker) -> Outcome:
        tracker(task)
        task.data.update(payload)
        task.run()
        _run_engine(workflow, tracker)
        return _outcome(engine, workflow, before)

    return _guarded(now, action)


# -- commands --------------------------------------------------------------------------------


def start(engine: Engine, version_key: str, process_id: str, data: dict[str, Any], now: datetime) -> Outcome:
    """Create an instance of ``process_id`` (of ``version_key``) with ``data`` and run it."""

    def action(tracker: _Tracker) -> Outcome:
        workflow = engine.new_workflow(version_key, process_id)
        start_task = workflow.get_next_task(state=TaskState.READY)
        start_task.data.update(copy.deepcopy(data))
        _run_engine(workflow, tracker)
        return _outcome(engine, workflow, before=set())

    return _guarded(now, action)


def complete_user_task(
    engine: Engine,
    version_key: str,
    state: dict[str, Any],
    task_id: str,
    data: dict[str, Any],
    now: datetime,
    *,
    routing_data: Mapping[str, Any] | None = None,
    resolve_schema: SchemaResolver | None = None,
) -> Outcome:
    """Complete a READY human task with form ``data`` and run the engine.

    Raises TaskNotReady (unknown / not READY / not a human task), TaskDataInvalid (``data`` is not
    exactly what the task's form declares, or the form rejects it; nothing is changed) or
    EngineError.

    ``data`` may only hold the properties the task's form declares (each unknown key is a field
    error) and must validate against the form (after ``resolve_schema``, e.g. directory choices the
    app fills in); exactly the declared fields are written to task data (``forms.form_payload``).
    A task without a form accepts only ``{}``: clients never write routing variables.
    ``routing_data`` is written as given after the form data: values the app computes itself
    (e.g. the completer's login), never user input.
    """
    workflow = _guarded(now, lambda _t: engine.load(state, version_key))
    task = _find_task(workflow, task_id)
    if not _is_human(task.task_spec):
        raise TaskNotReady(f"Task {task_id} ({task.task_spec.name}) is not a user task")
    if not task.has_state(TaskState.READY):
        raise TaskNotReady(
            f"Task {task_id} ({task.task_spec.name}) is {TaskState.get_name(task.state)}, not READY"
        )
    form, _ui_form = form_for_task(task.task_spec)
    schema = _load_form(engine, task, form) if form is not None else None
    payload = form_payload(schema, data, resolve_schema)
    payload.update(copy.deepcopy(dict(routing_data or {})))
    return _run_task(engine, workflow, task, payload, now)


def refresh_timers(engine: Engine, version_key: str, state: dict[str, Any], now: datetime) -> Outcome:
    """Fire the timers whose deadline is before ``now`` and run the engine."""

    def action(tracker: _Tracker) -> Outcome:
        workflow = engine.load(state, version_key)
        before = _ready_ids(workflow)
        workflow.refresh_timers()
        _run_engine(workflow, tracker)
        return _outcome(engine, workflow, before)

    return _guarded(now, action)


def inspect(engine: Engine, version_key: str, state: dict[str, Any]) -> Outcome:
    """Read ready tasks, finished tasks and the next timer without changing anything."""
    return _guarded(None, lambda _t: _outcome(engine, engine.load(state, version_key)))


def task_data(engine: Engine, version_key: str, state: dict[str, Any], task_id: str) -> dict[str, Any]:
    """The data of one task (e.g. to prefill its form); TaskNotReady if the id is unknown."""
    workflow = _guarded(None, lambda _t: engine.load(state, version_key))
    task = _find_task(workflow, task_id)
    return copy.deepcopy(dict(task.data))


# -- status hub ------------------------------------------------------------------------------


def _status_tasks(workflow: Any) -> list[Any]:
    return [
        t
        for t in workflow.get_tasks(state=TaskState.READY, manual=True)
        if isinstance(t.task_spec, UserTaskMixin) and is_status_task(task_properties(t.task_spec))
    ]


def _ready_status_task(workflow: Any) -> Any:
    """The one READY status task, or None; EngineError when the process offers several."""
    found = _status_tasks(workflow)
    if len(found) > 1:
        names = ", ".join(sorted(t.task_spec.name for t in found))
        raise EngineError(
            f"More than one status task is ready ({names})", element_id=_element_id(found[0].task_spec)
        )
    return found[0] if found else None


def _status_task_info(task: Any) -> StatusTask:
    spec = task.task_spec
    props = task_properties(spec)
    element_id = _element_id(spec)
    status = props.get(STATUS_PROPERTY, "").strip()
    if not status:
        raise EngineError(f"Status task has no {STATUS_PROPERTY!r} property", element_id=element_id)
    try:
        allowed = parse_allowed_next(props.get(ALLOWED_NEXT_PROPERTY, ""))
        forms = parse_transition_forms(props.get(TRANSITION_FORMS_PROPERTY, ""))
    except ValueError as e:
        raise EngineError(str(e), element_id=element_id) from e
    return StatusTask(
        task_id=str(task.id),
        status=status,
        allowed_next=allowed,
        transition_forms=forms,
        lane=getattr(spec, "lane", None),
    )


def status_task(engine: Engine, version_key: str, state: dict[str, Any]) -> StatusTask | None:
    """The READY status task (``crm_kind=status``), or None when the process is not in a status step
    (e.g. while the record waits to be taken to work, or after the process ended)."""
    workflow = _guarded(None, lambda _t: engine.load(state, version_key))
    task = _ready_status_task(workflow)
    return _status_task_info(task) if task is not None else None


def change_status(
    engine: Engine,
    version_key: str,
    state: dict[str, Any],
    next_status: str,
    data: dict[str, Any],
    now: datetime,
    *,
    resolve_schema: SchemaResolver | None = None,
    prepare: Callable[[dict[str, Any] | None], Mapping[str, Any]] | None = None,
) -> Outcome:
    """Complete the READY status task with ``next_status`` and run the engine.

    ``prepare``, when given, turns the caller's raw input into ``data`` once the transition form
    of ``next_status`` is known (it gets that form's resolved schema, or None): an HTML form is
    typed by the schema inside this one workflow load. Whatever it raises propagates unchanged.

    Raises IllegalTransition (no status task is ready, or ``next_status`` is not in its
    ``allowed_next``), TaskDataInvalid (``data`` is not exactly what the transition form declares,
    or the form rejects it) or EngineError; in each case nothing is changed.

    When ``next_status`` has a transition form, ``data`` may hold only its declared fields, is
    validated with it (after ``resolve_schema``) and exactly its declared fields are written to
    task data. The declared fields of the task's *other* transition forms are written as None, so
    every field a transition form can set always exists for the process expressions after a status
    task. Without a form only ``{}`` is accepted: such a status change carries no user input, and
    ``next_status`` is set by this function alone.
    """
    workflow = _guarded(now, lambda _t: engine.load(state, version_key))
    task = _ready_status_task(workflow)
    if task is None:
        raise IllegalTransition(None, next_status, [])
    info = _status_task_info(task)
    if next_status not in info.allowed_next:
        raise IllegalTransition(info.status, next_status, info.allowed_next)

    payload: dict[str, Any] = {}
    for status, form in sorted(info.transition_forms.items()):
        if status != next_status:
            for name in sorted(declared_fields(_load_form(engine, task, form))):
                if not is_reserved_field(name):
                    payload.setdefault(name, None)
    chosen_form = info.transition_forms.get(next_status)
    chosen_schema = _load_form(engine, task, chosen_form) if chosen_form is not None else None
    if chosen_schema is not None and resolve_schema is not None:
        chosen_schema = resolve_schema(chosen_schema)  # once: `prepare` and the validation see the same
    if prepare is not None:
        data = dict(prepare(chosen_schema))
    payload.update(form_payload(chosen_schema, data))
    payload["next_status"] = next_status
    return _run_task(engine, workflow, task, payload, now)


def _load_form(engine: Engine, task: Any, form: str) -> dict[str, Any]:
    try:
        return load_schema(engine.forms_dir, form)
    except (OSError, ValueError) as e:
        raise EngineError(f"Cannot load form {form}: {e}", element_id=_element_id(task.task_spec)) from e


def send_message(
    engine: Engine,
    version_key: str,
    state: dict[str, Any],
    name: str,
    payload: dict[str, Any],
    now: datetime,
) -> Outcome:
    """Deliver the BPMN message ``name`` to the instance and run the engine.

    ``payload`` reaches task data only where the catching event names a
    ``spiffworkflow:messageVariable`` (it is stored under that name). Raises NotWaiting when no
    event of the instance waits for ``name`` (nothing is changed), or EngineError.
    """

    def action(tracker: _Tracker) -> Outcome:
        workflow = engine.load(state, version_key)
        before = _ready_ids(workflow)
        # The spiff class: the parser builds spiff MessageEventDefinitions and matching compares classes.
        event = BpmnEvent(MessageEventDefinition(name), payload=copy.deepcopy(dict(payload)))
        # What BpmnWorkflow.send_event does, minus its generic WorkflowException when nobody catches.
        if workflow.event_manager.catch(event, internal=False) == 0:
            raise NotWaiting(name)
        _run_engine(workflow, tracker)
        return _outcome(engine, workflow, before)

    return _guarded(now, action)
