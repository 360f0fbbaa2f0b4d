"""What a client may write into a process: exactly the fields the form declares, never a routing variable."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from workflows import runtime
from workflows.deploy import check_bpmn
from workflows.engine import Engine
from workflows.errors import BpmnDeployError, TaskDataInvalid
from workflows.forms import form_payload, is_reserved_field

from .support import BPMN_DIR, DATA_DIR, DUE_AT, FORMS_DIR, T0, ServiceRecorder

UNKNOWN = "This field is not part of the form."


def test_form_payload_is_exactly_the_declared_fields() -> None:
    schema = {"type": "object", "properties": {"comment": {"type": "string"}, "score": {"type": "integer"}}}
    assert form_payload(schema, {"comment": "ok"}) == {"comment": "ok", "score": None}
    with pytest.raises(TaskDataInvalid) as excinfo:
        form_payload(schema, {"comment": "ok", "lead_id": 4, "status": "deal"})
    assert excinfo.value.errors == {"lead_id": UNKNOWN, "status": UNKNOWN}
    with pytest.raises(TaskDataInvalid) as excinfo:
        form_payload(schema, {"score": "x", "evil": 1})
    assert excinfo.value.errors == {"score": "Enter a whole number.", "evil": UNKNOWN}


def test_without_a_form_only_empty_data_is_accepted() -> None:
    assert form_payload(None, {}) == {}
    with pytest.raises(TaskDataInvalid) as excinfo:
        form_payload(None, {"lead_id": 4, "completed_by": "manager1"})
    assert excinfo.value.errors == {"lead_id": UNKNOWN, "completed_by": UNKNOWN}


def test_a_reserved_field_in_an_old_form_is_never_written() -> None:
    schema = {"type": "object", "properties": {"status": {"type": "string"}, "note": {"type": "string"}}}
    with pytest.raises(TaskDataInvalid) as excinfo:
        form_payload(schema, {"status": "deal"})
    assert excinfo.value.errors == {"status": UNKNOWN}
    assert form_payload(schema, {"note": "x"}) == {"note": "x"}


@pytest.mark.parametrize("name", ["status", "next_status", "completed_by", "id", "lead_id", "assignment_id", "crm_x"])
def test_reserved_names(name: str) -> None:
    assert is_reserved_field(name)


@pytest.mark.parametrize("name", ["comment", "disqualification_reason", "decision", "status_comment", "idea"])
def test_ordinary_names(name: str) -> None:
    assert not is_reserved_field(name)


@pytest.mark.parametrize("name", ["lead_id", "status", "next_status", "completed_by"])
def test_deploy_refuses_a_task_form_declaring_a_routing_variable(tmp_path: Path, name: str) -> None:
    forms = tmp_path / "forms"
    (forms / "broken_missing_form").mkdir(parents=True)
    (forms / "broken_missing_form" / "no_such_form.schema.json").write_text(json.dumps(
        {"type": "object", "properties": {"comment": {"type": "string"}, name: {"type": "string"}}}))
    with pytest.raises(BpmnDeployError) as excinfo:
        check_bpmn((DATA_DIR / "broken_missing_form.bpmn").read_bytes(), "broken_missing_form.bpmn", forms)
    assert excinfo.value.element_id == "fill_in_survey"
    assert repr(name) in excinfo.value.message and "routing variable" in excinfo.value.message


def test_deploy_refuses_a_transition_form_declaring_a_routing_variable(tmp_path: Path) -> None:
    forms = tmp_path / "forms"
    shutil.copytree(FORMS_DIR, forms)
    path = forms / "lead_qualification" / "disqualify.schema.json"
    schema = json.loads(path.read_text(encoding="utf-8"))
    schema["properties"]["next_status"] = {"type": "string"}
    path.write_text(json.dumps(schema), encoding="utf-8")
    with pytest.raises(BpmnDeployError) as excinfo:
        check_bpmn((BPMN_DIR / "lead_qualification.bpmn").read_bytes(), "lead_qualification.bpmn", forms)
    assert excinfo.value.element_id == "status_not_processed"
    assert "'next_status'" in excinfo.value.message


def test_no_repository_task_form_declares_a_routing_variable() -> None:
    # Card forms (forms/crud/) describe record fields, not process data: `counterparty_id` is fine there.
    for path in sorted(p for p in FORMS_DIR.glob("**/*.schema.json") if p.parent.name != "crud"):
        names = json.loads(path.read_text(encoding="utf-8")).get("properties", {})
        assert not [n for n in names if is_reserved_field(n)], path


# -- the runtime commands --------------------------------------------------------------------------


def _resolve_decisions(schema: dict[str, Any]) -> dict[str, Any]:
    """Stands in for the app's directory resolution: only "accept" is a valid decision today."""
    resolved = json.loads(json.dumps(schema))
    if "decision" in resolved.get("properties", {}):
        resolved["properties"]["decision"]["oneOf"] = [{"const": "accept", "title": "Accept"}]
    return resolved


def test_completion_validates_with_the_resolved_schema(engine: Engine) -> None:
    outcome = runtime.start(engine, "assignment-v1", "assignment",
                            {"assignment_id": 7, "has_reviewer": True, "due_at": DUE_AT}, T0)
    outcome = runtime.complete_user_task(engine, "assignment-v1", outcome.state, outcome.ready_tasks[0].task_id,
                                         {"result_comment": "done"}, T0)
    review = outcome.ready_tasks[0]
    with pytest.raises(TaskDataInvalid) as excinfo:
        runtime.complete_user_task(engine, "assignment-v1", outcome.state, review.task_id,
                                   {"decision": "rework", "review_comment": "x"}, T0,
                                   resolve_schema=_resolve_decisions)
    assert excinfo.value.errors == {"decision": "Select a valid choice."}
    done = runtime.complete_user_task(engine, "assignment-v1", outcome.state, review.task_id,
                                      {"decision": "accept"}, T0, resolve_schema=_resolve_decisions)
    assert done.is_completed


def test_routing_data_cannot_be_overridden_by_the_client(engine: Engine, recorder: ServiceRecorder) -> None:
    outcome = runtime.start(engine, "assignment-v1", "assignment",
                            {"assignment_id": 7, "has_reviewer": False, "due_at": DUE_AT}, T0)
    task_id = outcome.ready_tasks[0].task_id
    with pytest.raises(TaskDataInvalid):
        runtime.complete_user_task(engine, "assignment-v1", outcome.state, task_id,
                                   {"result_comment": "x", "completed_by": "director"}, T0,
                                   routing_data={"completed_by": "manager1"})
    done = runtime.complete_user_task(engine, "assignment-v1", outcome.state, task_id, {"result_comment": "x"}, T0,
                                      routing_data={"completed_by": "manager1"})
    assert done.data["completed_by"] == "manager1"
    assert recorder.calls[0] == ("crm.record_assignment_result", {"assignment_id": 7, "result_comment": "x"})


def test_change_status_prepares_raw_input_with_the_resolved_transition_form() -> None:
    # Service names before and after the generic records rewrite: this test is about the forms only.
    names = ("crm.set_status", "crm.set_lead_status", "crm.set_responsible", "crm.set_lead_responsible",
             "crm.create_deal_from_lead")
    engine = Engine({name: lambda **_kw: {"ok": True} for name in names}, {}, FORMS_DIR)
    engine.load_version("lead-v1", (BPMN_DIR / "lead_qualification.bpmn").read_text(encoding="utf-8"))
    start = {"lead_id": 42, "has_responsible": True, "status": "not_processed"}
    outcome = runtime.start(engine, "lead-v1", "lead_qualification", start, T0)
    seen: list[dict[str, Any] | None] = []

    def resolve(schema: dict[str, Any]) -> dict[str, Any]:
        resolved = json.loads(json.dumps(schema))
        resolved["properties"]["disqualification_reason"]["oneOf"] = [{"const": "spam", "title": "Spam"}]
        return resolved

    def prepare(schema: dict[str, Any] | None) -> dict[str, Any]:
        seen.append(schema)
        return {"disqualification_reason": "spam"} if schema is not None else {}

    with pytest.raises(TaskDataInvalid):  # prepared data still goes through the resolved form
        runtime.change_status(engine, "lead-v1", outcome.state, "disqualified", {}, T0, resolve_schema=resolve,
                              prepare=lambda schema: {"disqualification_reason": "bogus"})
    done = runtime.change_status(engine, "lead-v1", outcome.state, "disqualified", {"raw": "x"}, T0,
                                 resolve_schema=resolve, prepare=prepare)
    assert done.is_completed and done.data["disqualification_reason"] == "spam"
    assert seen[0] is not None and seen[0]["properties"]["disqualification_reason"]["oneOf"]
    runtime.change_status(engine, "lead-v1", outcome.state, "paused", {"raw": "x"}, T0, prepare=prepare)
    assert seen[-1] is None
