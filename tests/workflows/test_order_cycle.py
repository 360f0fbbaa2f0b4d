"""The order cycle (placement → approving by the Commercial Director → execution → completed, or canceled), run
through workflows.runtime with an injected clock (the `now` of every command) and recording services."""
from __future__ import annotations

from typing import Any

import pytest

from workflows import runtime
from workflows.engine import Engine
from workflows.errors import IllegalTransition, TaskDataInvalid
from workflows.runtime import Outcome, ReadyTask

from .support import BPMN_DIR, FORMS_DIR, T0

V1 = "order_cycle-v1"


class Services:
    def __init__(self) -> None:
        self.calls: list[tuple[str, dict[str, Any]]] = []

    def registry(self) -> dict[str, Any]:
        def set_status(**kwargs: Any) -> Any:
            self.calls.append(("crm.set_status", kwargs))
            return {"status": kwargs["status"]}

        return {"crm.set_status": set_status}

    def statuses(self) -> list[str]:
        return [kw["status"] for _name, kw in self.calls]


@pytest.fixture
def services() -> Services:
    return Services()


@pytest.fixture
def engine(services: Services) -> Engine:
    eng = Engine(services.registry(), {}, FORMS_DIR)
    eng.load_version(V1, (BPMN_DIR / "order_cycle.bpmn").read_text(encoding="utf-8"))
    return eng


def start(engine: Engine, status: str = "placement") -> Outcome:
    return runtime.start(engine, V1, "order_cycle", {"order_id": 5, "has_responsible": True, "status": status}, T0)


def move(engine: Engine, outcome: Outcome, next_status: str) -> Outcome:
    return runtime.change_status(engine, V1, outcome.state, next_status, {}, T0)


def status_of(engine: Engine, outcome: Outcome) -> runtime.StatusTask | None:
    return runtime.status_task(engine, V1, outcome.state)


def approval(outcome: Outcome) -> ReadyTask:
    [task] = [t for t in outcome.ready_tasks if t.properties.get("crm_kind") != "status"]
    assert task.name == "approve_order"
    return task


def decide(engine: Engine, outcome: Outcome, data: dict[str, Any]) -> Outcome:
    return runtime.complete_user_task(engine, V1, outcome.state, approval(outcome).task_id, data, T0)


def test_placement_offers_approval_and_cancel_only(engine: Engine, services: Services) -> None:
    found = status_of(engine, start(engine))
    assert found is not None and found.status == "placement" and found.lane == "responsible"
    assert set(found.allowed_next) == {"approving", "canceled"}
    with pytest.raises(IllegalTransition):
        move(engine, start(engine), "execution")  # no skipping the director
    assert services.calls == []


def test_the_director_approves_into_execution_then_completed(engine: Engine, services: Services) -> None:
    outcome = move(engine, start(engine), "approving")
    task = approval(outcome)
    assert (task.lane, task.form) == ("commercial_director", "order_cycle/approve_order.schema.json")
    assert status_of(engine, outcome) is None  # nothing moves while the director decides
    with pytest.raises(IllegalTransition):
        move(engine, outcome, "execution")
    outcome = decide(engine, outcome, {"decision": "approve"})
    found = status_of(engine, outcome)
    assert found is not None and found.status == "execution" and set(found.allowed_next) == {"completed", "canceled"}
    # An approval without a comment clears the last one on the order.
    assert services.calls[-1] == ("crm.set_status", {"record_type": "order", "record_id": 5, "status": "execution",
                                                     "approval_comment": ""})
    outcome = move(engine, outcome, "completed")
    assert outcome.is_completed and services.statuses() == ["approving", "execution", "completed"]


def test_a_return_needs_a_comment_and_goes_back_to_placement_with_it(engine: Engine, services: Services) -> None:
    outcome = move(engine, start(engine), "approving")
    for bad in ({"decision": "return"}, {"decision": "return", "approval_comment": ""},
                {"decision": "return", "approval_comment": "   "}, {"decision": "maybe"}, {},
                {"decision": "approve", "status": "completed"}):
        with pytest.raises(TaskDataInvalid):
            decide(engine, outcome, bad)
    outcome = decide(engine, outcome, {"decision": "return", "approval_comment": "Скидка слишком большая"})
    assert services.calls[-1][1]["status"] == "placement"
    assert services.calls[-1][1]["approval_comment"] == "Скидка слишком большая"
    found = status_of(engine, outcome)
    assert found is not None and found.status == "placement"
    # Round again: a fresh approval task without the last decision.
    outcome = move(engine, outcome, "approving")
    assert approval(outcome).lane == "commercial_director"
    assert runtime.task_data(engine, V1, outcome.state, approval(outcome).task_id).get("decision") is None


def test_canceling_ends_the_process_and_an_open_approval(engine: Engine, services: Services) -> None:
    outcome = move(engine, start(engine), "canceled")
    assert outcome.is_completed and services.statuses() == ["canceled"]
    outcome = decide(engine, move(engine, start(engine), "approving"), {"decision": "approve"})
    outcome = move(engine, outcome, "canceled")
    assert outcome.is_completed and outcome.ready_tasks == []


@pytest.mark.parametrize("status", ["placement", "approving", "execution", "completed", "canceled"])
def test_a_process_started_in_any_status_routes_there(engine: Engine, status: str) -> None:
    outcome = start(engine, status=status)
    if status in ("completed", "canceled"):
        assert outcome.is_completed
    elif status == "approving":
        assert approval(outcome).lane == "commercial_director"
    else:
        found = status_of(engine, outcome)
        assert found is not None and found.status == status
