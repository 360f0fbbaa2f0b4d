"""The contract cycle (draft → approval by the Commercial Director → signing → active → annulled, archived by a
timer once "valid until" passes) and the additional agreement cycle, run through workflows.runtime with an
injected clock (the `now` of every command) and recording services."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

import pytest

from workflows import runtime
from workflows.engine import Engine
from workflows.errors import IllegalTransition, TaskDataInvalid
from workflows.runtime import Outcome, ReadyTask

from .support import BPMN_DIR, FORMS_DIR, T0

V1 = "contract_cycle-v1"
A1 = "agreement_cycle-v1"
# The end of 2025-03-10 in Moscow: what crm.contract_expiry answers for valid_until = 2025-03-10.
EXPIRES_AT = "2025-03-11T00:00:00+03:00"
EXPIRES_UTC = datetime(2025, 3, 10, 21, 0, tzinfo=timezone.utc)


class Services:
    """Recording stand-ins for the contract's service tasks; `expires_at` is what crm.contract_expiry answers."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, dict[str, Any]]] = []
        self.expires_at: str | None = EXPIRES_AT

    def registry(self) -> dict[str, Any]:
        def record(name: str, result: Any) -> Any:
            def call(**kwargs: Any) -> Any:
                self.calls.append((name, kwargs))
                return result() if callable(result) else result
            return call

        return {"crm.set_status": record("crm.set_status", {"ok": True}),
                "crm.contract_returned": record("crm.contract_returned", {"returned": True}),
                "crm.contract_expiry": record("crm.contract_expiry", lambda: self.expires_at)}

    def statuses(self) -> list[str]:
        return [kw["status"] for name, kw in self.calls if name == "crm.set_status"]


@pytest.fixture
def services() -> Services:
    return Services()


@pytest.fixture
def engine(services: Services) -> Engine:
    eng = Engine(services.registry(), {}, FORMS_DIR)
    eng.load_version(V1, (BPMN_DIR / "contract_cycle.bpmn").read_text(encoding="utf-8"))
    eng.load_version(A1, (BPMN_DIR / "agreement_cycle.bpmn").read_text(encoding="utf-8"))
    return eng


def start(engine: Engine, status: str = "draft", now: datetime = T0) -> Outcome:
    return runtime.start(engine, V1, "contract_cycle", {"contract_id": 7, "has_responsible": True,
                                                        "status": status}, now)


def move(engine: Engine, outcome: Outcome, next_status: str, now: datetime = T0) -> Outcome:
    return runtime.change_status(engine, V1, outcome.state, next_status, {}, now)


def status_of(engine: Engine, outcome: Outcome) -> runtime.StatusTask | None:
    return runtime.status_task(engine, V1, outcome.state)


def inbox(outcome: Outcome) -> list[ReadyTask]:
    return [t for t in outcome.ready_tasks if t.properties.get("crm_kind") != "status"]


def approval(outcome: Outcome) -> ReadyTask:
    [task] = inbox(outcome)
    assert task.name == "approve_contract"
    return task


def decide(engine: Engine, outcome: Outcome, data: dict[str, Any], now: datetime = T0) -> Outcome:
    return runtime.complete_user_task(engine, V1, outcome.state, approval(outcome).task_id, data, now)


def test_draft_offers_approval_and_annulment_only(engine: Engine) -> None:
    found = status_of(engine, start(engine))
    assert found is not None and found.status == "draft" and found.lane == "responsible"
    assert set(found.allowed_next) == {"approval", "annulled"}
    with pytest.raises(IllegalTransition):
        move(engine, start(engine), "active")  # no skipping the approval


def test_approval_goes_to_the_commercial_director_and_approve_moves_to_signing(
        engine: Engine, services: Services) -> None:
    outcome = move(engine, start(engine), "approval")
    task = approval(outcome)
    assert task.lane == "commercial_director"
    assert task.form == "contract_cycle/approve_contract.schema.json"
    assert status_of(engine, outcome) is None  # while the director decides, the responsible has no moves
    outcome = decide(engine, outcome, {"decision": "approve"})
    assert services.statuses() == ["approval", "signing"]
    found = status_of(engine, outcome)
    assert found is not None and found.status == "signing"
    assert set(found.allowed_next) == {"active", "draft", "annulled"}
    assert inbox(outcome) == []


def test_return_needs_a_comment_and_goes_back_to_draft_with_it(engine: Engine, services: Services) -> None:
    outcome = move(engine, start(engine), "approval")
    for bad in ({"decision": "return"}, {"decision": "return", "comment": ""}, {"decision": "return", "comment": "  "}):
        with pytest.raises(TaskDataInvalid) as excinfo:
            decide(engine, outcome, bad)
        assert "comment" in excinfo.value.errors
    with pytest.raises(TaskDataInvalid):
        decide(engine, outcome, {"decision": "maybe"})
    with pytest.raises(TaskDataInvalid):  # fields the form does not declare
        decide(engine, outcome, {"decision": "approve", "status": "active"})
    outcome = decide(engine, outcome, {"decision": "return", "comment": "Срок оплаты — 10 дней"})
    assert ("crm.contract_returned", {"contract_id": 7, "comment": "Срок оплаты — 10 дней"}) in services.calls
    assert services.statuses() == ["approval", "draft"]
    found = status_of(engine, outcome)
    assert found is not None and found.status == "draft"
    # And round again: the second approval is a fresh task.
    outcome = move(engine, outcome, "approval")
    assert approval(outcome).lane == "commercial_director"


def _active(engine: Engine) -> Outcome:
    outcome = decide(engine, move(engine, start(engine), "approval"), {"decision": "approve"})
    return move(engine, outcome, "active")


def test_an_active_contract_is_archived_by_the_timer_when_valid_until_passes(
        engine: Engine, services: Services) -> None:
    outcome = _active(engine)
    found = status_of(engine, outcome)
    assert found is not None and found.status == "active" and list(found.allowed_next) == ["annulled"]
    assert ("crm.contract_expiry", {"contract_id": 7}) in services.calls
    assert outcome.next_timer_at == EXPIRES_UTC
    early = runtime.refresh_timers(engine, V1, outcome.state, EXPIRES_UTC - timedelta(seconds=1))
    assert services.statuses()[-1] == "active" and not early.is_completed
    late = runtime.refresh_timers(engine, V1, early.state, EXPIRES_UTC + timedelta(seconds=1))
    assert services.statuses()[-1] == "archived"
    assert late.is_completed and late.next_timer_at is None
    assert status_of(engine, late) is None


def test_without_valid_until_an_active_contract_has_no_timer(engine: Engine, services: Services) -> None:
    services.expires_at = None
    outcome = _active(engine)
    assert outcome.next_timer_at is None
    found = status_of(engine, outcome)
    assert found is not None and found.status == "active"
    later = runtime.refresh_timers(engine, V1, outcome.state, T0 + timedelta(days=3650))
    assert services.statuses()[-1] == "active" and not later.is_completed


def test_annulling_an_active_contract_ends_the_process_and_its_timer(engine: Engine, services: Services) -> None:
    outcome = move(engine, _active(engine), "annulled")
    assert services.statuses()[-1] == "annulled"
    assert outcome.is_completed and outcome.next_timer_at is None
    with pytest.raises(IllegalTransition):
        move(engine, outcome, "active")


@pytest.mark.parametrize("status", ["signing", "active", "annulled", "archived"])
def test_a_process_started_in_a_later_status_routes_there(engine: Engine, status: str) -> None:
    outcome = start(engine, status=status)
    if status in ("annulled", "archived"):
        assert outcome.is_completed
    else:
        found = status_of(engine, outcome)
        assert found is not None and found.status == status


def test_additional_agreement_cycle(engine: Engine, services: Services) -> None:
    outcome = runtime.start(engine, A1, "agreement_cycle", {"agreement_id": 3, "status": "draft"}, T0)
    found = runtime.status_task(engine, A1, outcome.state)
    assert found is not None and set(found.allowed_next) == {"active", "annulled"}
    outcome = runtime.change_status(engine, A1, outcome.state, "active", {}, T0)
    found = runtime.status_task(engine, A1, outcome.state)
    assert found is not None and list(found.allowed_next) == ["annulled"]
    outcome = runtime.change_status(engine, A1, outcome.state, "annulled", {}, T0)
    assert outcome.is_completed
    assert [kw for name, kw in services.calls if name == "crm.set_status"] == [
        {"record_type": "agreement", "record_id": 3, "status": "active"},
        {"record_type": "agreement", "record_id": 3, "status": "annulled"}]
