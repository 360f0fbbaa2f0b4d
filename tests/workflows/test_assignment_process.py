"""The assignment process run end to end through workflows.runtime."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest

from workflows import runtime
from workflows.engine import Engine
from workflows.errors import TaskDataInvalid, TaskNotReady
from workflows.runtime import Outcome, ReadyTask

from .support import DUE_AT, T0, ServiceRecorder

V1 = "assignment-v1"
DUE_UTC = datetime(2025, 3, 5, 20, 59, 59, tzinfo=timezone.utc)


def start(engine: Engine, has_reviewer: bool, now: datetime = T0) -> Outcome:
    data = {"assignment_id": 7, "has_reviewer": has_reviewer, "due_at": DUE_AT}
    return runtime.start(engine, V1, "assignment", data, now)


def only(outcome: Outcome, name: str) -> ReadyTask:
    found = [t for t in outcome.ready_tasks if t.name == name]
    assert len(found) == 1, [t.name for t in outcome.ready_tasks]
    return found[0]


def complete(
    engine: Engine, outcome: Outcome, name: str, data: dict[str, Any], now: datetime = T0
) -> Outcome:
    task = only(outcome, name)
    return runtime.complete_user_task(engine, V1, outcome.state, task.task_id, data, now)


def test_start_gives_the_executor_task(engine: Engine, recorder: ServiceRecorder) -> None:
    outcome = start(engine, has_reviewer=False)

    assert not outcome.is_completed
    task = only(outcome, "complete_assignment")
    assert task.title == "Complete assignment"
    assert task.lane == "executor"
    assert task.form == "assignment/complete_assignment.schema.json"
    assert task.ui_form is None
    assert task.properties["crm_due"] == "due_at"
    assert task.due_at == DUE_UTC
    assert task.data["assignment_id"] == 7
    assert outcome.next_timer_at == DUE_UTC
    assert outcome.finished_tasks == {}
    assert recorder.calls == []


def test_assignment_without_reviewer(engine: Engine, recorder: ServiceRecorder) -> None:
    outcome = start(engine, has_reviewer=False)
    task_id = only(outcome, "complete_assignment").task_id

    outcome = complete(engine, outcome, "complete_assignment", {"result_comment": "Called the client"})

    assert outcome.is_completed
    assert outcome.ready_tasks == []
    assert outcome.next_timer_at is None
    assert outcome.finished_tasks == {task_id: "completed"}
    assert recorder.calls == [
        ("crm.record_assignment_result", {"assignment_id": 7, "result_comment": "Called the client"}),
        ("crm.set_assignment_status", {"assignment_id": 7, "status": "completed"}),
    ]
    assert outcome.data["result_comment"] == "Called the client"


def test_assignment_with_reviewer_accept(engine: Engine, recorder: ServiceRecorder) -> None:
    outcome = start(engine, has_reviewer=True)
    outcome = complete(engine, outcome, "complete_assignment", {"result_comment": "Draft sent"})

    review = only(outcome, "review_result")
    assert review.lane == "reviewer"
    assert review.title == "Review result"
    assert review.form == "assignment/review_result.schema.json"
    assert review.due_at == DUE_UTC
    assert not outcome.is_completed
    # the boundary timer ended with complete_assignment
    assert outcome.next_timer_at is None

    outcome = complete(engine, outcome, "review_result", {"decision": "accept"})

    assert outcome.is_completed
    # The task this command finished (the executor's, finished earlier, was pruned with the history).
    assert outcome.finished_tasks == {review.task_id: "completed"}
    assert recorder.calls == [
        ("crm.record_assignment_result", {"assignment_id": 7, "result_comment": "Draft sent"}),
        ("crm.record_review", {"assignment_id": 7, "decision": "accept", "review_comment": None}),
        ("crm.set_assignment_status", {"assignment_id": 7, "status": "completed"}),
    ]


def test_rework_loop_returns_to_the_executor(engine: Engine, recorder: ServiceRecorder) -> None:
    outcome = start(engine, has_reviewer=True)
    outcome = complete(engine, outcome, "complete_assignment", {"result_comment": "v1"})
    rework = {"decision": "rework", "review_comment": "Add prices"}
    outcome = complete(engine, outcome, "review_result", rework)

    again = only(outcome, "complete_assignment")
    assert again.data["review_comment"] == "Add prices"
    assert outcome.next_timer_at == DUE_UTC  # the boundary timer is armed again
    assert recorder.names() == [
        "crm.record_assignment_result",
        "crm.record_review",
        "crm.set_assignment_status",
    ]
    assert recorder.calls[-1] == ("crm.set_assignment_status", {"assignment_id": 7, "status": "rework"})

    outcome = complete(engine, outcome, "complete_assignment", {"result_comment": "v2"})
    second_review = only(outcome, "review_result")
    outcome = complete(engine, outcome, "review_result", {"decision": "accept"})

    assert outcome.is_completed
    assert recorder.calls[-3:] == [
        ("crm.record_assignment_result", {"assignment_id": 7, "result_comment": "v2"}),
        # the second review did not inherit the first round's comment
        ("crm.record_review", {"assignment_id": 7, "decision": "accept", "review_comment": None}),
        ("crm.set_assignment_status", {"assignment_id": 7, "status": "completed"}),
    ]
    # The earlier rounds' tasks went with the pruned history; this command finished the second review.
    assert outcome.finished_tasks == {second_review.task_id: "completed"}


def test_overdue_timer_fires_only_after_due_at(engine: Engine) -> None:
    outcome = start(engine, has_reviewer=False)

    before = runtime.refresh_timers(engine, V1, outcome.state, DUE_UTC - timedelta(minutes=1))
    assert [t.name for t in before.ready_tasks] == ["complete_assignment"]
    assert before.next_timer_at == DUE_UTC

    after = runtime.refresh_timers(engine, V1, outcome.state, DUE_UTC + timedelta(seconds=1))
    names = sorted(t.name for t in after.ready_tasks)
    assert names == ["complete_assignment", "overdue_assignment"]
    overdue = only(after, "overdue_assignment")
    assert overdue.lane == "executor_line_manager"
    assert overdue.title == "Overdue assignment"
    assert overdue.due_at is None
    assert after.next_timer_at is None
    assert not after.is_completed

    # the line manager's task does not block the executor, and vice versa
    done = complete(engine, after, "complete_assignment", {"result_comment": "Late but done"})
    assert [t.name for t in done.ready_tasks] == ["overdue_assignment"]
    assert not done.is_completed
    done = complete(engine, done, "overdue_assignment", {"comment": "Talked to the executor"})
    assert done.is_completed


def test_start_after_the_due_date_fires_the_timer_at_once(engine: Engine) -> None:
    late = start(engine, has_reviewer=False, now=DUE_UTC + timedelta(hours=1))
    # do_engine_steps refreshes timers at its end, with the frozen clock
    assert sorted(t.name for t in late.ready_tasks) == ["complete_assignment", "overdue_assignment"]


def test_double_completion_raises_task_not_ready(engine: Engine) -> None:
    outcome = start(engine, has_reviewer=True)
    task_id = only(outcome, "complete_assignment").task_id
    after = runtime.complete_user_task(engine, V1, outcome.state, task_id, {"result_comment": "x"}, T0)

    with pytest.raises(TaskNotReady):
        runtime.complete_user_task(engine, V1, after.state, task_id, {"result_comment": "x"}, T0)


def test_unknown_and_non_human_tasks_raise_task_not_ready(engine: Engine) -> None:
    outcome = start(engine, has_reviewer=False)
    with pytest.raises(TaskNotReady):
        runtime.complete_user_task(engine, V1, outcome.state, "not-a-uuid", {}, T0)
    with pytest.raises(TaskNotReady):
        runtime.complete_user_task(engine, V1, outcome.state, "00000000-0000-0000-0000-000000000000", {}, T0)
    root_id = outcome.state["root"]
    with pytest.raises(TaskNotReady):
        runtime.complete_user_task(engine, V1, outcome.state, root_id, {}, T0)


def test_invalid_form_data_changes_nothing(engine: Engine, recorder: ServiceRecorder) -> None:
    outcome = start(engine, has_reviewer=False)
    before = json.dumps(outcome.state, sort_keys=True)
    task_id = only(outcome, "complete_assignment").task_id

    with pytest.raises(TaskDataInvalid) as excinfo:
        runtime.complete_user_task(engine, V1, outcome.state, task_id, {"result_comment": ""}, T0)
    assert excinfo.value.errors == {"result_comment": "This field is required."}

    with pytest.raises(TaskDataInvalid) as excinfo:
        runtime.complete_user_task(engine, V1, outcome.state, task_id, {}, T0)
    assert excinfo.value.errors == {"result_comment": "This field is required."}

    assert json.dumps(outcome.state, sort_keys=True) == before
    assert recorder.calls == []
    still = runtime.inspect(engine, V1, outcome.state)
    assert [t.task_id for t in still.ready_tasks] == [task_id]


def test_review_requires_a_comment_for_rework(engine: Engine) -> None:
    outcome = start(engine, has_reviewer=True)
    outcome = complete(engine, outcome, "complete_assignment", {"result_comment": "v1"})
    review = only(outcome, "review_result")

    with pytest.raises(TaskDataInvalid) as excinfo:
        runtime.complete_user_task(engine, V1, outcome.state, review.task_id, {"decision": "rework"}, T0)
    assert excinfo.value.errors == {"review_comment": "This field is required."}

    with pytest.raises(TaskDataInvalid) as excinfo:
        runtime.complete_user_task(engine, V1, outcome.state, review.task_id, {"decision": "maybe"}, T0)
    assert excinfo.value.errors == {"decision": "Select a valid choice."}


def test_undeclared_fields_are_refused_each_by_name(engine: Engine) -> None:
    outcome = start(engine, has_reviewer=True)
    with pytest.raises(TaskDataInvalid) as excinfo:
        complete(engine, outcome, "complete_assignment", {"result_comment": "ok", "has_reviewer": False, "evil": 1})
    assert excinfo.value.errors == {
        "has_reviewer": "This field is not part of the form.",
        "evil": "This field is not part of the form.",
    }
    outcome = complete(engine, outcome, "complete_assignment", {"result_comment": "ok"})
    review = only(outcome, "review_result")  # has_reviewer stays what the process set
    assert "evil" not in review.data
    assert review.data["has_reviewer"] is True


def test_task_data_and_inspect_do_not_change_state(engine: Engine) -> None:
    outcome = start(engine, has_reviewer=False)
    task_id = only(outcome, "complete_assignment").task_id

    data = runtime.task_data(engine, V1, outcome.state, task_id)
    assert data == {"assignment_id": 7, "has_reviewer": False, "due_at": DUE_AT}
    data["assignment_id"] = 99
    assert runtime.task_data(engine, V1, outcome.state, task_id)["assignment_id"] == 7

    inspected = runtime.inspect(engine, V1, outcome.state)
    assert [t.task_id for t in inspected.ready_tasks] == [task_id]
    assert inspected.next_timer_at == DUE_UTC
    with pytest.raises(TaskNotReady):
        runtime.task_data(engine, V1, outcome.state, "00000000-0000-0000-0000-000000000000")
