"""The lead qualification process (take to work + status hub) run through workflows.runtime."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest

from workflows import runtime
from workflows.engine import Engine
from workflows.errors import EngineError, IllegalTransition, NotWaiting, TaskDataInvalid
from workflows.runtime import Outcome, ReadyTask

from .support import BPMN_DIR, FORMS_DIR, T0, ServiceRecorder

V1 = "lead_qualification-v1"
TAKE_SLA_AT = "2025-03-03T18:00:00+03:00"  # = 2025-03-03 15:00 UTC
TAKE_SLA_UTC = datetime(2025, 3, 3, 15, 0, tzinfo=timezone.utc)
# The generic record operators (app.records) plus the lead's own.
LEAD_SERVICES = ("crm.set_responsible", "crm.set_status", "crm.create_deal_from_lead")
ALL_STATUSES = ("not_processed", "interest_expressed", "paused", "disqualified", "deal")


@pytest.fixture
def lead_engine(recorder: ServiceRecorder) -> Engine:
    eng = Engine({name: recorder.service(name) for name in LEAD_SERVICES}, {}, FORMS_DIR)
    eng.load_version(V1, (BPMN_DIR / "lead_qualification.bpmn").read_text(encoding="utf-8"))
    return eng


def start(
    engine: Engine, has_responsible: bool, status: str = "not_processed", now: datetime = T0
) -> Outcome:
    data: dict[str, Any] = {"lead_id": 42, "has_responsible": has_responsible, "status": status}
    if not has_responsible:
        data["take_sla_at"] = TAKE_SLA_AT
    return runtime.start(engine, V1, "lead_qualification", data, now)


def only(outcome: Outcome, name: str) -> ReadyTask:
    found = [t for t in outcome.ready_tasks if t.name == name]
    assert len(found) == 1, [t.name for t in outcome.ready_tasks]
    return found[0]


def names(outcome: Outcome) -> list[str]:
    return sorted(t.name for t in outcome.ready_tasks)


def inbox(outcome: Outcome) -> list[str]:
    """What the app shows in the task inbox: ready tasks minus status tasks."""
    return sorted(t.name for t in outcome.ready_tasks if t.properties.get("crm_kind") != "status")


def take(engine: Engine, outcome: Outcome, login: str = "ivanov", now: datetime = T0) -> Outcome:
    task = only(outcome, "take_to_work")
    return runtime.complete_user_task(
        engine, V1, outcome.state, task.task_id, {}, now, routing_data={"completed_by": login}
    )


def move(engine: Engine, outcome: Outcome, next_status: str, data: dict[str, Any] | None = None) -> Outcome:
    return runtime.change_status(engine, V1, outcome.state, next_status, data or {}, T0)


def current(engine: Engine, outcome: Outcome) -> runtime.StatusTask:
    found = runtime.status_task(engine, V1, outcome.state)
    assert found is not None, names(outcome)
    return found


def test_unassigned_lead_waits_to_be_taken_to_work(lead_engine: Engine, recorder: ServiceRecorder) -> None:
    outcome = start(lead_engine, has_responsible=False)

    task = only(outcome, "take_to_work")
    assert names(outcome) == ["take_to_work"]
    assert task.title == "Take to work"
    assert task.lane == "crm_manager"
    assert task.form is None
    assert task.due_at == TAKE_SLA_UTC
    assert outcome.next_timer_at == TAKE_SLA_UTC
    assert runtime.status_task(lead_engine, V1, outcome.state) is None
    assert recorder.calls == []
    assert not outcome.is_completed


def test_claiming_makes_the_claimer_responsible_and_reaches_the_hub(
    lead_engine: Engine, recorder: ServiceRecorder
) -> None:
    outcome = start(lead_engine, has_responsible=False)
    take_id = only(outcome, "take_to_work").task_id

    outcome = take(lead_engine, outcome, login="ivanov")

    assert recorder.calls == [("crm.set_responsible", {"record_type": "lead", "record_id": 42, "login": "ivanov"})]
    assert outcome.finished_tasks == {take_id: "completed"}
    assert outcome.next_timer_at is None  # the SLA timer ended with take_to_work
    status = current(lead_engine, outcome)
    assert status.status == "not_processed"
    assert status.allowed_next == ["interest_expressed", "paused", "disqualified", "deal"]
    assert status.transition_forms == {"disqualified": "lead_qualification/disqualify.schema.json"}
    assert status.lane == "responsible"

    # the status task is still a ready task (with its properties), but not an inbox task
    ready = only(outcome, "status_not_processed")
    assert ready.task_id == status.task_id
    assert ready.title == "Not processed"
    assert ready.properties["crm_kind"] == "status"
    assert ready.properties["status"] == "not_processed"
    assert inbox(outcome) == []


def test_status_walk_to_deal_records_each_status_and_creates_the_deal(
    lead_engine: Engine, recorder: ServiceRecorder
) -> None:
    outcome = take(lead_engine, start(lead_engine, has_responsible=False))
    recorder.calls.clear()
    seen: list[str] = []

    for next_status in ("interest_expressed", "paused"):
        before = current(lead_engine, outcome)
        seen.append(before.task_id)
        outcome = move(lead_engine, outcome, next_status)
        after = current(lead_engine, outcome)
        assert after.status == next_status
        assert after.task_id != before.task_id  # each visit is a new task
        assert outcome.finished_tasks[before.task_id] == "completed"
    assert current(lead_engine, outcome).allowed_next == [
        "not_processed",
        "interest_expressed",
        "disqualified",
        "deal",
    ]
    seen.append(current(lead_engine, outcome).task_id)

    outcome = move(lead_engine, outcome, "deal")

    assert outcome.is_completed
    assert outcome.ready_tasks == []
    assert runtime.status_task(lead_engine, V1, outcome.state) is None
    status_calls = [
        ("crm.set_status", {"record_type": "lead", "record_id": 42, "status": s, "disqualification_reason": None,
         "disqualification_comment": None})
        for s in ("interest_expressed", "paused", "deal")
    ]
    assert recorder.calls == [*status_calls, ("crm.create_deal_from_lead", {"lead_id": 42})]
    assert outcome.data["status"] == "deal"
    # Each move finished its status task (checked above); the last one finished the last status task.
    assert outcome.finished_tasks[seen[-1]] == "completed"


@pytest.mark.parametrize("requested", ["historical", "not_processed", "", "DEAL"])
def test_illegal_transition_changes_nothing(
    lead_engine: Engine, recorder: ServiceRecorder, requested: str
) -> None:
    outcome = start(lead_engine, has_responsible=True)
    before = json.dumps(outcome.state, sort_keys=True)
    recorder.calls.clear()

    with pytest.raises(IllegalTransition) as excinfo:
        move(lead_engine, outcome, requested)

    error = excinfo.value
    assert error.current == "not_processed"
    assert error.requested == requested
    assert error.allowed == ["interest_expressed", "paused", "disqualified", "deal"]
    assert "not_processed" in str(error)
    assert json.dumps(outcome.state, sort_keys=True) == before
    assert recorder.calls == []
    assert current(lead_engine, outcome).status == "not_processed"


def test_no_status_change_while_waiting_to_be_taken_or_after_the_end(lead_engine: Engine) -> None:
    waiting = start(lead_engine, has_responsible=False)
    with pytest.raises(IllegalTransition) as excinfo:
        move(lead_engine, waiting, "interest_expressed")
    assert excinfo.value.current is None
    assert excinfo.value.allowed == []

    ended = move(lead_engine, start(lead_engine, has_responsible=True), "deal")
    assert ended.is_completed
    with pytest.raises(IllegalTransition):
        move(lead_engine, ended, "not_processed")


def test_disqualification_requires_a_reason(lead_engine: Engine, recorder: ServiceRecorder) -> None:
    outcome = start(lead_engine, has_responsible=True)
    outcome = move(lead_engine, outcome, "interest_expressed")
    before = json.dumps(outcome.state, sort_keys=True)
    recorder.calls.clear()

    with pytest.raises(TaskDataInvalid) as excinfo:
        move(lead_engine, outcome, "disqualified", {"disqualification_comment": "no budget"})
    assert excinfo.value.errors == {"disqualification_reason": "This field is required."}
    with pytest.raises(TaskDataInvalid) as excinfo:
        move(lead_engine, outcome, "disqualified", {"disqualification_reason": ""})
    assert excinfo.value.errors == {"disqualification_reason": "This field is required."}
    assert json.dumps(outcome.state, sort_keys=True) == before
    assert recorder.calls == []

    with pytest.raises(TaskDataInvalid) as excinfo:  # only the form's fields: no routing variables
        move(lead_engine, outcome, "disqualified",
             {"disqualification_reason": "no_budget", "status": "deal", "lead_id": 1, "evil": 1})
    assert excinfo.value.errors == {
        "status": "This field is not part of the form.",
        "lead_id": "This field is not part of the form.",
        "evil": "This field is not part of the form.",
    }
    assert json.dumps(outcome.state, sort_keys=True) == before

    data = {"disqualification_reason": "no_budget", "disqualification_comment": "Next year"}
    outcome = move(lead_engine, outcome, "disqualified", data)

    assert outcome.is_completed
    assert recorder.calls == [
        (
            "crm.set_status",
            {"record_type": "lead", "record_id": 42, "status": "disqualified", "disqualification_reason": "no_budget",
             "disqualification_comment": "Next year"},
        )
    ]
    assert outcome.data["disqualification_comment"] == "Next year"


def test_transitions_without_a_form_take_no_data(lead_engine: Engine, recorder: ServiceRecorder) -> None:
    outcome = start(lead_engine, has_responsible=True)
    before = json.dumps(outcome.state, sort_keys=True)
    for data in ({"disqualification_reason": "spam"}, {"status": "deal"}, {"next_status": "deal"}, {"lead_id": 7}):
        with pytest.raises(TaskDataInvalid) as excinfo:
            move(lead_engine, outcome, "paused", data)
        assert excinfo.value.errors == {next(iter(data)): "This field is not part of the form."}
    assert json.dumps(outcome.state, sort_keys=True) == before
    assert recorder.calls == []

    outcome = move(lead_engine, outcome, "paused", {})
    assert current(lead_engine, outcome).status == "paused"
    assert recorder.calls == [
        ("crm.set_status", {"record_type": "lead", "record_id": 42, "status": "paused",
                            "disqualification_reason": None, "disqualification_comment": None})
    ]


def test_lead_with_a_responsible_goes_straight_to_the_hub(
    lead_engine: Engine, recorder: ServiceRecorder
) -> None:
    outcome = start(lead_engine, has_responsible=True)

    assert names(outcome) == ["status_not_processed"]
    assert outcome.next_timer_at is None
    assert outcome.finished_tasks == {}
    assert recorder.calls == []
    assert current(lead_engine, outcome).status == "not_processed"


def test_start_in_another_status(lead_engine: Engine) -> None:
    outcome = start(lead_engine, has_responsible=True, status="paused")
    assert current(lead_engine, outcome).status == "paused"


def test_responsible_assigned_message_cancels_take_to_work(
    lead_engine: Engine, recorder: ServiceRecorder
) -> None:
    outcome = start(lead_engine, has_responsible=False)
    take_id = only(outcome, "take_to_work").task_id

    outcome = runtime.send_message(
        lead_engine, V1, outcome.state, "responsible_assigned", {"login": "petrov"}, T0
    )

    assert outcome.finished_tasks == {take_id: "canceled"}
    assert names(outcome) == ["status_not_processed"]
    assert current(lead_engine, outcome).status == "not_processed"
    assert outcome.next_timer_at is None
    assert recorder.calls == []  # the app assigned the responsible itself
    assert only(outcome, "status_not_processed").data["responsible_assignment"] == {"login": "petrov"}

    # nobody waits for it any more
    with pytest.raises(NotWaiting) as excinfo:
        runtime.send_message(lead_engine, V1, outcome.state, "responsible_assigned", {}, T0)
    assert excinfo.value.name == "responsible_assigned"


def test_unknown_message_is_not_waiting_and_changes_nothing(lead_engine: Engine) -> None:
    outcome = start(lead_engine, has_responsible=False)
    before = json.dumps(outcome.state, sort_keys=True)
    with pytest.raises(NotWaiting):
        runtime.send_message(lead_engine, V1, outcome.state, "no_such_message", {}, T0)
    assert json.dumps(outcome.state, sort_keys=True) == before
    assert names(runtime.inspect(lead_engine, V1, outcome.state)) == ["take_to_work"]


def test_sla_timer_escalates_and_keeps_take_to_work(lead_engine: Engine, recorder: ServiceRecorder) -> None:
    outcome = start(lead_engine, has_responsible=False)

    before = runtime.refresh_timers(lead_engine, V1, outcome.state, TAKE_SLA_UTC - timedelta(minutes=1))
    assert names(before) == ["take_to_work"]

    after = runtime.refresh_timers(lead_engine, V1, outcome.state, TAKE_SLA_UTC + timedelta(seconds=1))
    assert names(after) == ["escalate_unclaimed_lead", "take_to_work"]
    escalation = only(after, "escalate_unclaimed_lead")
    assert escalation.title == "Lead not taken to work"
    assert escalation.lane == "commercial_director"
    assert escalation.form == "lead_qualification/escalation.schema.json"
    assert after.next_timer_at is None
    assert inbox(after) == ["escalate_unclaimed_lead", "take_to_work"]

    # the director comments; the lead still waits to be taken to work
    done = runtime.complete_user_task(
        lead_engine, V1, after.state, escalation.task_id, {"comment": "Distribute it today"}, T0
    )
    assert names(done) == ["take_to_work"]
    done = take(lead_engine, done, login="sidorov")
    assert current(lead_engine, done).status == "not_processed"
    assert recorder.calls == [("crm.set_responsible", {"record_type": "lead", "record_id": 42, "login": "sidorov"})]


def test_message_after_the_escalation_leaves_the_escalation_open(lead_engine: Engine) -> None:
    outcome = start(lead_engine, has_responsible=False)
    outcome = runtime.refresh_timers(lead_engine, V1, outcome.state, TAKE_SLA_UTC + timedelta(hours=1))
    escalation = only(outcome, "escalate_unclaimed_lead")

    outcome = runtime.send_message(lead_engine, V1, outcome.state, "responsible_assigned", {}, T0)

    assert names(outcome) == ["escalate_unclaimed_lead", "status_not_processed"]
    assert escalation.task_id not in outcome.finished_tasks
    outcome = move(lead_engine, outcome, "deal")
    assert not outcome.is_completed  # the director's task still holds the instance open
    outcome = runtime.complete_user_task(lead_engine, V1, outcome.state, escalation.task_id, {}, T0)
    assert outcome.is_completed


def test_message_before_the_deadline_disarms_the_timer(lead_engine: Engine) -> None:
    outcome = start(lead_engine, has_responsible=False)
    assert outcome.next_timer_at == TAKE_SLA_UTC
    outcome = runtime.send_message(
        lead_engine, V1, outcome.state, "responsible_assigned", {}, TAKE_SLA_UTC - timedelta(minutes=5)
    )
    assert outcome.next_timer_at is None

    later = runtime.refresh_timers(lead_engine, V1, outcome.state, TAKE_SLA_UTC + timedelta(days=3))

    assert names(later) == ["status_not_processed"]
    assert later.next_timer_at is None


def test_claim_before_the_deadline_disarms_the_timer(lead_engine: Engine) -> None:
    outcome = take(lead_engine, start(lead_engine, has_responsible=False))
    later = runtime.refresh_timers(lead_engine, V1, outcome.state, TAKE_SLA_UTC + timedelta(days=3))
    assert names(later) == ["status_not_processed"]


def test_state_round_trips_through_json_mid_hub(lead_engine: Engine, recorder: ServiceRecorder) -> None:
    outcome = move(lead_engine, start(lead_engine, has_responsible=True), "interest_expressed")
    reloaded = json.loads(json.dumps(outcome.state))
    found = runtime.status_task(lead_engine, V1, reloaded)
    assert found is not None and found.status == "interest_expressed"
    done = runtime.change_status(lead_engine, V1, reloaded, "not_processed", {}, T0)
    assert current(lead_engine, done).status == "not_processed"
    assert [c[1]["status"] for c in recorder.calls] == ["interest_expressed", "not_processed"]


def test_unknown_start_status_is_an_engine_error(lead_engine: Engine) -> None:
    with pytest.raises(EngineError) as excinfo:
        start(lead_engine, has_responsible=True, status="historical")
    assert excinfo.value.element_id == "route"


def test_every_status_is_routed(lead_engine: Engine) -> None:
    """Non-terminal statuses have a status task; terminal ones end the process."""
    for status in ALL_STATUSES:
        outcome = start(lead_engine, has_responsible=True, status=status)
        found = runtime.status_task(lead_engine, V1, outcome.state)
        if status in ("disqualified", "deal"):
            assert found is None and outcome.is_completed
        else:
            assert found is not None and found.status == status
            assert set(found.allowed_next) == set(ALL_STATUSES) - {status}


def test_diagram_covers_every_element_inside_its_lane() -> None:
    """bpmn-js needs a shape or edge for every element; lanes are horizontal bands."""
    from lxml import etree

    from workflows.deploy import NSMAP

    ns = dict(
        NSMAP,
        bpmndi="http://www.omg.org/spec/BPMN/20100524/DI",
        dc="http://www.omg.org/spec/DD/20100524/DC",
        di="http://www.omg.org/spec/DD/20100524/DI",
    )
    tree = etree.parse(str(BPMN_DIR / "lead_qualification.bpmn"))
    process = tree.find("bpmn:process", ns)
    shapes = {s.get("bpmnElement"): s for s in tree.iterfind(".//bpmndi:BPMNShape", ns)}
    edges = {e.get("bpmnElement"): e for e in tree.iterfind(".//bpmndi:BPMNEdge", ns)}

    def bounds(element_id: str) -> tuple[float, float, float, float]:
        b = shapes[element_id].find("dc:Bounds", ns)
        return (float(b.get("x")), float(b.get("y")), float(b.get("width")), float(b.get("height")))

    flows = [f.get("id") for f in process.iterfind("bpmn:sequenceFlow", ns)]
    assert flows and set(flows) == set(edges)
    for flow in flows:
        assert len(edges[flow].findall("di:waypoint", ns)) >= 2
    nodes = {
        n.get("id")
        for n in process
        if isinstance(n.tag, str) and n.get("id") and not n.tag.endswith(("sequenceFlow", "laneSet"))
    }
    lanes = {lane.get("name"): lane for lane in process.iterfind("bpmn:laneSet/bpmn:lane", ns)}
    assert set(lanes) == {"responsible", "crm_manager", "commercial_director"}
    in_lanes = [ref.text for lane in lanes.values() for ref in lane.iterfind("bpmn:flowNodeRef", ns)]
    assert sorted(in_lanes) == sorted(nodes)  # every node in exactly one lane
    assert "lead_qualification_participant" in shapes
    for lane in lanes.values():
        assert shapes[lane.get("id")].get("isHorizontal") == "true"
        lx, ly, lw, lh = bounds(lane.get("id"))
        for ref in lane.iterfind("bpmn:flowNodeRef", ns):
            x, y, w, h = bounds(ref.text)
            assert lx <= x and x + w <= lx + lw and ly <= y and y + h <= ly + lh, ref.text


def test_take_to_work_without_completed_by_is_an_engine_error(lead_engine: Engine) -> None:
    outcome = start(lead_engine, has_responsible=False)
    task = only(outcome, "take_to_work")
    with pytest.raises(EngineError) as excinfo:
        runtime.complete_user_task(lead_engine, V1, outcome.state, task.task_id, {}, T0)
    assert excinfo.value.element_id == "assign_claimer"
    assert "completed_by" in excinfo.value.message
