"""Engine: spec-reference serialization, versions, services, helpers and engine errors."""

from __future__ import annotations

import json
from datetime import date, timedelta
from decimal import Decimal

import pytest

from workflows import runtime
from workflows.engine import Engine
from workflows.errors import BpmnDeployError, EngineError, TaskDataInvalid

from .support import BPMN_DIR, DATA_DIR, DUE_AT, FORMS_DIR, T0, ServiceRecorder

V1 = "assignment-v1"
START = {"assignment_id": 7, "has_reviewer": True, "due_at": DUE_AT}


def _walk_keys(value: object) -> set[str]:
    keys: set[str] = set()
    if isinstance(value, dict):
        for k, v in value.items():
            keys.add(k)
            keys |= _walk_keys(v)
    elif isinstance(value, list):
        for item in value:
            keys |= _walk_keys(item)
    return keys


def test_state_has_no_spec_and_round_trips_through_json(engine: Engine) -> None:
    outcome = runtime.start(engine, V1, "assignment", START, T0)
    state = outcome.state

    assert state["spec_ref"] == {"version": V1, "process_id": "assignment"}
    keys = _walk_keys(state)
    assert "spec" not in keys and "subprocess_specs" not in keys and "task_specs" not in keys
    text = json.dumps(state)
    assert "Complete assignment" not in text  # titles live in the spec only

    reloaded = json.loads(text)
    again = runtime.inspect(engine, V1, reloaded)
    assert again.state == state
    task = again.ready_tasks[0]
    done = runtime.complete_user_task(engine, V1, reloaded, task.task_id, {"result_comment": "ok"}, T0)
    assert [t.name for t in done.ready_tasks] == ["review_result"]


def test_decimal_and_date_survive_serialization(engine: Engine) -> None:
    data = dict(START, amount=Decimal("1250.10"), signed_on=date(2025, 3, 1))
    outcome = runtime.start(engine, V1, "assignment", data, T0)
    json.dumps(outcome.state)
    restored = runtime.task_data(engine, V1, outcome.state, outcome.ready_tasks[0].task_id)
    assert restored["amount"] == Decimal("1250.10")
    assert restored["signed_on"] == date(2025, 3, 1)


def test_version_bump_keeps_old_instances_on_their_version(engine: Engine) -> None:
    v2_xml = (BPMN_DIR / "assignment.bpmn").read_text(encoding="utf-8").replace(
        'name="Complete assignment"', 'name="Complete the assignment"'
    )
    old = runtime.start(engine, V1, "assignment", START, T0)
    engine.load_version("assignment-v2", v2_xml)
    engine.load_version("assignment-v2", v2_xml)  # idempotent
    assert engine.has_version("assignment-v2") and engine.has_version(V1)
    assert not engine.has_version("assignment-v3")

    new = runtime.start(engine, "assignment-v2", "assignment", START, T0)
    assert new.ready_tasks[0].title == "Complete the assignment"
    assert new.state["spec_ref"]["version"] == "assignment-v2"

    old_again = runtime.inspect(engine, V1, old.state)
    assert old_again.ready_tasks[0].title == "Complete assignment"
    assert old_again.state["spec_ref"]["version"] == V1

    with pytest.raises(EngineError):
        runtime.inspect(engine, "assignment-v2", old.state)  # pinned to v1


def test_unloaded_version_is_an_engine_error(engine: Engine) -> None:
    with pytest.raises(EngineError):
        runtime.start(engine, "nope", "assignment", START, T0)
    with pytest.raises(EngineError):
        runtime.start(engine, V1, "no_such_process", START, T0)
    with pytest.raises(EngineError):
        runtime.inspect(engine, V1, {"tasks": {}})


def test_load_version_rejects_garbage(engine: Engine) -> None:
    with pytest.raises(BpmnDeployError):
        engine.load_version("broken", "<bpmn:definitions")


def test_embedded_subprocess_with_helper_and_result_variable(
    engine: Engine, recorder: ServiceRecorder
) -> None:
    xml = (DATA_DIR / "subprocess_sample.bpmn").read_text(encoding="utf-8")
    engine.load_version("sub-v1", xml)

    outcome = runtime.start(engine, "sub-v1", "subprocess_sample", {"amount": 100}, T0)
    [approve] = outcome.ready_tasks
    assert approve.name == "approve" and approve.data["amount_with_vat"] == 120.0
    assert "subprocess_specs" not in outcome.state
    assert len(outcome.state["subprocesses"]) == 1

    reloaded = json.loads(json.dumps(outcome.state))
    with pytest.raises(TaskDataInvalid) as excinfo:  # no form: only {} is accepted
        runtime.complete_user_task(engine, "sub-v1", reloaded, approve.task_id, {"amount": 10**6}, T0)
    assert excinfo.value.errors == {"amount": "This field is not part of the form."}
    done = runtime.complete_user_task(engine, "sub-v1", reloaded, approve.task_id, {}, T0)
    assert done.is_completed
    assert done.data["notified"] == {"ok": True}
    assert recorder.calls == [("crm.notify", {"amount": "120.0"})]
    assert done.finished_tasks == {approve.task_id: "completed"}


def test_service_failure_is_an_engine_error_with_the_element_id(
    engine: Engine, recorder: ServiceRecorder
) -> None:
    recorder.fail.add("crm.record_assignment_result")
    outcome = runtime.start(engine, V1, "assignment", START, T0)
    before = json.dumps(outcome.state, sort_keys=True)
    task_id = outcome.ready_tasks[0].task_id

    with pytest.raises(EngineError) as excinfo:
        runtime.complete_user_task(engine, V1, outcome.state, task_id, {"result_comment": "x"}, T0)
    assert excinfo.value.element_id == "record_result"
    assert "is down" in excinfo.value.message
    assert isinstance(excinfo.value.__cause__, RuntimeError)
    assert json.dumps(outcome.state, sort_keys=True) == before


def test_unknown_service_is_an_engine_error() -> None:
    engine = Engine({}, {}, FORMS_DIR)
    engine.load_version(V1, (BPMN_DIR / "assignment.bpmn").read_text(encoding="utf-8"))
    outcome = runtime.start(engine, V1, "assignment", START, T0)
    with pytest.raises(EngineError) as excinfo:
        runtime.complete_user_task(
            engine, V1, outcome.state, outcome.ready_tasks[0].task_id, {"result_comment": "x"}, T0
        )
    assert excinfo.value.element_id == "record_result"
    assert "crm.record_assignment_result" in excinfo.value.message


def test_missing_variable_in_an_expression_is_an_engine_error(engine: Engine) -> None:
    with pytest.raises(EngineError) as excinfo:
        runtime.start(engine, V1, "assignment", {"assignment_id": 1, "has_reviewer": False}, T0)
    assert "due_at" in excinfo.value.message


def test_crm_due_without_offset_is_an_engine_error(engine: Engine) -> None:
    data = dict(START, due_at="2025-03-05T23:59:59")
    with pytest.raises(EngineError) as excinfo:
        runtime.start(engine, V1, "assignment", data, T0 + timedelta(days=10))
    assert excinfo.value.element_id == "complete_assignment"


def test_spiff_loggers_are_quiet(engine: Engine) -> None:
    import logging

    for name in ("spiff", "spiff.task", "spiff.workflow"):
        assert logging.getLogger(name).level == logging.WARNING
