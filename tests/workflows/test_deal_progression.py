"""The deal progression process (take to work, status hub, quick-closing rule, stale-deal timer, proposal task)
run through workflows.runtime with an injected clock (the `now` of every command)."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any

import pytest
from lxml import etree

from workflows import runtime
from workflows.deploy import NSMAP
from workflows.engine import Engine
from workflows.errors import IllegalTransition
from workflows.runtime import Outcome, ReadyTask

from .support import BPMN_DIR, FORMS_DIR, T0, ServiceRecorder

V1 = "deal_progression-v1"
SERVICES = ("crm.set_responsible", "crm.set_status")
HUB = ("not_processed", "initial_contact", "needs_assessment", "presentation", "proposal_preparation", "prototype",
       "decision_making", "paused", "rejected", "dropped_out")
STALE = timedelta(days=14)


@pytest.fixture
def deal_engine(recorder: ServiceRecorder) -> Engine:
    eng = Engine({name: recorder.service(name) for name in SERVICES}, {}, FORMS_DIR)
    eng.load_version(V1, (BPMN_DIR / "deal_progression.bpmn").read_text(encoding="utf-8"))
    return eng


def start(engine: Engine, has_responsible: bool = True, status: str = "not_processed", quick: bool = False,
          now: datetime = T0) -> Outcome:
    data: dict[str, Any] = {"deal_id": 17, "has_responsible": has_responsible, "status": status,
                            "allow_quick_closing": quick, "stale_after": "P14D"}
    return runtime.start(engine, V1, "deal_progression", data, now)


def move(engine: Engine, outcome: Outcome, next_status: str, now: datetime = T0) -> Outcome:
    return runtime.change_status(engine, V1, outcome.state, next_status, {}, now)


def current(engine: Engine, outcome: Outcome) -> runtime.StatusTask:
    found = runtime.status_task(engine, V1, outcome.state)
    assert found is not None, names(outcome)
    return found


def names(outcome: Outcome) -> list[str]:
    return sorted(t.name for t in outcome.ready_tasks)


def inbox(outcome: Outcome) -> list[ReadyTask]:
    """What the app indexes as inbox tasks: ready tasks minus status tasks."""
    return [t for t in outcome.ready_tasks if t.properties.get("crm_kind") != "status"]


def only(outcome: Outcome, name: str) -> ReadyTask:
    found = [t for t in outcome.ready_tasks if t.name == name]
    assert len(found) == 1, names(outcome)
    return found[0]


def statuses_recorded(recorder: ServiceRecorder) -> list[str]:
    return [kwargs["status"] for name, kwargs in recorder.calls if name == "crm.set_status"]


# -- take to work ----------------------------------------------------------------------------


def test_take_to_work_makes_the_claimer_responsible_and_moves_to_initial_contact(
    deal_engine: Engine, recorder: ServiceRecorder
) -> None:
    outcome = start(deal_engine, has_responsible=False)
    take = only(outcome, "take_to_work")
    assert names(outcome) == ["take_to_work"]
    assert take.lane == "crm_manager"
    assert runtime.status_task(deal_engine, V1, outcome.state) is None
    assert outcome.next_timer_at is None  # no stale timer while nobody works on the deal

    outcome = runtime.complete_user_task(deal_engine, V1, outcome.state, take.task_id, {}, T0,
                                         routing_data={"completed_by": "manager2"})

    assert recorder.calls == [
        ("crm.set_responsible", {"record_type": "deal", "record_id": 17, "login": "manager2"}),
        ("crm.set_status", {"record_type": "deal", "record_id": 17, "status": "initial_contact"}),
    ]
    status = current(deal_engine, outcome)
    assert status.status == "initial_contact"
    assert status.lane == "responsible"
    assert outcome.finished_tasks == {take.task_id: "completed"}


def test_assignment_by_the_director_keeps_the_status(deal_engine: Engine, recorder: ServiceRecorder) -> None:
    outcome = start(deal_engine, has_responsible=False)
    outcome = runtime.send_message(deal_engine, V1, outcome.state, "responsible_assigned", {"login": "m2"}, T0)
    assert current(deal_engine, outcome).status == "not_processed"
    assert recorder.calls == []


# -- status hub ------------------------------------------------------------------------------


@pytest.mark.parametrize("status", HUB)
def test_hub_allows_every_other_live_status_and_completed_only_from_decision_making(
    deal_engine: Engine, status: str
) -> None:
    found = current(deal_engine, start(deal_engine, status=status))
    expected = set(HUB) - {status}
    if status == "decision_making":
        expected.add("completed")
    assert found.status == status
    assert set(found.allowed_next) == expected
    assert "historical" not in found.allowed_next


@pytest.mark.parametrize("status", HUB)
def test_quick_closing_allows_completed_from_every_status(deal_engine: Engine, status: str) -> None:
    found = current(deal_engine, start(deal_engine, status=status, quick=True))
    assert set(found.allowed_next) == (set(HUB) - {status}) | {"completed"}
    assert "historical" not in found.allowed_next


def test_moves_through_the_hub_are_recorded(deal_engine: Engine, recorder: ServiceRecorder) -> None:
    outcome = start(deal_engine)
    for status in ("initial_contact", "needs_assessment", "presentation", "paused", "presentation"):
        outcome = move(deal_engine, outcome, status)
        assert current(deal_engine, outcome).status == status
    assert statuses_recorded(recorder) == ["initial_contact", "needs_assessment", "presentation", "paused",
                                           "presentation"]


def test_completed_from_presentation_is_refused_and_changes_nothing(
    deal_engine: Engine, recorder: ServiceRecorder
) -> None:
    outcome = move(deal_engine, start(deal_engine), "presentation")
    before = json.dumps(outcome.state, sort_keys=True)
    recorder.calls.clear()

    with pytest.raises(IllegalTransition) as excinfo:
        move(deal_engine, outcome, "completed")

    assert excinfo.value.current == "presentation"
    assert excinfo.value.requested == "completed"
    assert "completed" not in excinfo.value.allowed
    assert json.dumps(outcome.state, sort_keys=True) == before
    assert recorder.calls == []


def test_completed_from_decision_making_ends_the_process(deal_engine: Engine, recorder: ServiceRecorder) -> None:
    outcome = move(deal_engine, start(deal_engine), "decision_making")
    outcome = move(deal_engine, outcome, "completed")
    assert outcome.is_completed
    assert runtime.status_task(deal_engine, V1, outcome.state) is None
    assert statuses_recorded(recorder) == ["decision_making", "completed"]
    with pytest.raises(IllegalTransition):
        move(deal_engine, outcome, "presentation")


def test_quick_closing_completes_from_presentation(deal_engine: Engine, recorder: ServiceRecorder) -> None:
    outcome = move(deal_engine, start(deal_engine, quick=True), "presentation")
    outcome = move(deal_engine, outcome, "completed")
    assert outcome.is_completed
    assert statuses_recorded(recorder) == ["presentation", "completed"]


@pytest.mark.parametrize("quick", [False, True])
def test_historical_is_never_a_target(deal_engine: Engine, quick: bool) -> None:
    outcome = start(deal_engine, quick=quick)
    for status in ("initial_contact", "decision_making", "paused"):
        outcome = move(deal_engine, outcome, status)
        with pytest.raises(IllegalTransition):
            move(deal_engine, outcome, "historical")


# -- stale-deal reminder ---------------------------------------------------------------------


def test_stale_timer_reminds_the_responsible_without_changing_the_status(
    deal_engine: Engine, recorder: ServiceRecorder
) -> None:
    outcome = move(deal_engine, start(deal_engine), "needs_assessment", now=T0)
    assert outcome.next_timer_at == T0 + STALE
    recorder.calls.clear()

    early = runtime.refresh_timers(deal_engine, V1, outcome.state, T0 + STALE - timedelta(minutes=1))
    assert inbox(early) == []

    late = runtime.refresh_timers(deal_engine, V1, outcome.state, T0 + STALE + timedelta(seconds=1))
    reminder = only(late, "stale_deal_reminder")
    assert [t.name for t in inbox(late)] == ["stale_deal_reminder"]
    assert reminder.title == "Stale deal"
    assert reminder.lane == "responsible"
    assert reminder.form == "deal_progression/stale_deal.schema.json"
    assert current(deal_engine, late).status == "needs_assessment"
    assert recorder.calls == []  # no status written
    assert late.next_timer_at is None  # one reminder per status, not one a day

    # the reminder does not block the hub: the deal moves on while it is open, and it can be closed later
    moved = move(deal_engine, late, "presentation", now=T0 + STALE + timedelta(days=1))
    assert current(deal_engine, moved).status == "presentation"
    assert reminder.task_id not in moved.finished_tasks
    done = runtime.complete_user_task(deal_engine, V1, moved.state, reminder.task_id, {"comment": "Called"},
                                      T0 + STALE + timedelta(days=1))
    assert done.finished_tasks[reminder.task_id] == "completed"
    assert current(deal_engine, done).status == "presentation"


def test_a_status_change_restarts_the_stale_timer(deal_engine: Engine) -> None:
    outcome = move(deal_engine, start(deal_engine), "needs_assessment", now=T0)
    changed_at = T0 + timedelta(days=10)
    outcome = move(deal_engine, outcome, "presentation", now=changed_at)
    assert outcome.next_timer_at == changed_at + STALE

    quiet = runtime.refresh_timers(deal_engine, V1, outcome.state, T0 + STALE + timedelta(days=1))
    assert inbox(quiet) == []
    assert current(deal_engine, quiet).status == "presentation"

    later = runtime.refresh_timers(deal_engine, V1, quiet.state, changed_at + STALE + timedelta(seconds=1))
    assert [t.name for t in inbox(later)] == ["stale_deal_reminder"]
    assert current(deal_engine, later).status == "presentation"


def test_completing_the_deal_cancels_an_open_reminder(deal_engine: Engine) -> None:
    outcome = move(deal_engine, start(deal_engine), "decision_making", now=T0)
    outcome = runtime.refresh_timers(deal_engine, V1, outcome.state, T0 + STALE + timedelta(hours=1))
    reminder = only(outcome, "stale_deal_reminder")
    outcome = move(deal_engine, outcome, "completed", now=T0 + STALE + timedelta(hours=2))
    assert outcome.is_completed
    assert outcome.finished_tasks[reminder.task_id] == "canceled"
    assert outcome.next_timer_at is None


# -- Prepare the proposal --------------------------------------------------------------------


def test_entering_proposal_preparation_gives_the_responsible_a_task(deal_engine: Engine) -> None:
    outcome = move(deal_engine, start(deal_engine), "presentation")
    assert inbox(outcome) == []

    outcome = move(deal_engine, outcome, "proposal_preparation")

    task = only(outcome, "prepare_proposal")
    assert [t.name for t in inbox(outcome)] == ["prepare_proposal"]
    assert task.title == "Prepare the proposal"
    assert task.lane == "responsible"
    # in parallel with the hub: the deal still moves, the task stays open until done
    outcome = move(deal_engine, outcome, "prototype")
    assert current(deal_engine, outcome).status == "prototype"
    assert task.task_id not in outcome.finished_tasks
    outcome = runtime.complete_user_task(deal_engine, V1, outcome.state, task.task_id, {}, T0)
    assert outcome.finished_tasks[task.task_id] == "completed"
    assert current(deal_engine, outcome).status == "prototype"


def test_starting_in_proposal_preparation_or_other_moves_give_no_proposal_task(deal_engine: Engine) -> None:
    outcome = start(deal_engine, status="proposal_preparation")
    assert inbox(outcome) == []
    for status in ("initial_contact", "decision_making", "paused"):
        outcome = move(deal_engine, outcome, status)
        assert inbox(outcome) == []


# -- the diagram -----------------------------------------------------------------------------


def test_diagram_covers_every_element_inside_its_lane() -> None:
    """bpmn-js needs a shape or edge for every element; lanes are horizontal bands holding their nodes."""
    ns = dict(NSMAP, bpmndi="http://www.omg.org/spec/BPMN/20100524/DI",
              dc="http://www.omg.org/spec/DD/20100524/DC", di="http://www.omg.org/spec/DD/20100524/DI")
    tree = etree.parse(str(BPMN_DIR / "deal_progression.bpmn"))
    process = tree.find("bpmn:process", ns)
    shapes = {s.get("bpmnElement"): s for s in tree.iterfind(".//bpmndi:BPMNShape", ns)}
    edges = {e.get("bpmnElement"): e for e in tree.iterfind(".//bpmndi:BPMNEdge", ns)}

    def bounds(element_id: str) -> tuple[float, float, float, float]:
        b = shapes[element_id].find("dc:Bounds", ns)
        return (float(b.get("x")), float(b.get("y")), float(b.get("width")), float(b.get("height")))

    flows = [f.get("id") for f in process.iterfind("bpmn:sequenceFlow", ns)]
    assert flows and set(flows) == set(edges)
    nodes = {n.get("id") for n in process
             if isinstance(n.tag, str) and n.get("id") and not n.tag.endswith(("sequenceFlow", "laneSet"))}
    assert nodes <= set(shapes)
    lanes = {lane.get("name"): lane for lane in process.iterfind("bpmn:laneSet/bpmn:lane", ns)}
    assert set(lanes) == {"responsible", "crm_manager"}
    in_lanes = [ref.text for lane in lanes.values() for ref in lane.iterfind("bpmn:flowNodeRef", ns)]
    assert sorted(in_lanes) == sorted(nodes)
    for lane in lanes.values():
        lx, ly, lw, lh = bounds(lane.get("id"))
        for ref in lane.iterfind("bpmn:flowNodeRef", ns):
            x, y, w, h = bounds(ref.text)
            assert lx <= x and x + w <= lx + lw and ly <= y and y + h <= ly + lh, ref.text
