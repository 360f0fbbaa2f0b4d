"""The payment cycle (draft → planned → partially paid / paid; expired by a timer when the planned date passes unpaid,
with a task to the responsible; canceled with a comment), run through workflows.runtime with an injected clock (the
`now` of every command) and recording services."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

import pytest

from workflows import runtime
from workflows.engine import Engine
from workflows.errors import IllegalTransition, TaskDataInvalid
from workflows.runtime import Outcome

from .support import BPMN_DIR, FORMS_DIR, T0

V1 = "payment_cycle-v1"
# The end of 2025-03-10 in Moscow: what crm.payment_expiry answers for planned_date = 2025-03-10.
EXPIRES_AT = "2025-03-11T00:00:00+03:00"
EXPIRES_UTC = datetime(2025, 3, 10, 21, 0, tzinfo=timezone.utc)


class Services:
    def __init__(self) -> None:
        self.calls: list[tuple[str, dict[str, Any]]] = []
        self.expires_at = EXPIRES_AT

    def registry(self) -> dict[str, Any]:
        def record(name: str, result: Any) -> Any:
            def call(**kwargs: Any) -> Any:
                self.calls.append((name, kwargs))
                return result() if callable(result) else result
            return call

        return {"crm.set_payment_status": record("crm.set_payment_status", {"ok": True}),
                "crm.payment_expiry": record("crm.payment_expiry", lambda: self.expires_at)}

    def statuses(self) -> list[str]:
        return [kw["status"] for name, kw in self.calls if name == "crm.set_payment_status"]

    def last(self) -> dict[str, Any]:
        return [kw for name, kw in self.calls if name == "crm.set_payment_status"][-1]


@pytest.fixture
def services() -> Services:
    return Services()


@pytest.fixture
def engine(services: Services) -> Engine:
    eng = Engine(services.registry(), {}, FORMS_DIR)
    eng.load_version(V1, (BPMN_DIR / "payment_cycle.bpmn").read_text(encoding="utf-8"))
    return eng


def start(engine: Engine, status: str = "draft") -> Outcome:
    return runtime.start(engine, V1, "payment_cycle", {"payment_id": 9, "has_responsible": True, "status": status}, T0)


def move(engine: Engine, outcome: Outcome, next_status: str, data: dict[str, Any] | None = None,
         now: datetime = T0) -> Outcome:
    return runtime.change_status(engine, V1, outcome.state, next_status, data or {}, now)


def status_of(engine: Engine, outcome: Outcome) -> runtime.StatusTask:
    found = runtime.status_task(engine, V1, outcome.state)
    assert found is not None
    return found


def inbox(outcome: Outcome) -> list[runtime.ReadyTask]:
    return [t for t in outcome.ready_tasks if t.properties.get("crm_kind") != "status"]


def test_draft_moves_to_planned_with_a_deadline_or_is_canceled_with_a_comment(engine: Engine,
                                                                              services: Services) -> None:
    found = status_of(engine, start(engine))
    assert found.status == "draft" and set(found.allowed_next) == {"planned", "canceled"}
    with pytest.raises(IllegalTransition):
        move(engine, start(engine), "paid")
    for bad in ({}, {"cancel_comment": ""}, {"cancel_comment": "  "}, {"cancel_comment": "x", "status": "paid"}):
        with pytest.raises(TaskDataInvalid):
            move(engine, start(engine), "canceled", bad)
    canceled = move(engine, start(engine), "canceled", {"cancel_comment": "Duplicate"})
    assert canceled.is_completed and services.last()["cancel_comment"] == "Duplicate"
    planned = move(engine, start(engine), "planned")
    assert ("crm.payment_expiry", {"payment_id": 9}) in services.calls
    assert status_of(engine, planned).status == "planned" and planned.next_timer_at == EXPIRES_UTC


def test_paid_needs_the_actual_date_and_partially_paid_the_amount(engine: Engine, services: Services) -> None:
    planned = move(engine, start(engine), "planned")
    for status, bad in (("paid", {}), ("paid", {"actual_date": "10.03.2025"}),
                        ("partially_paid", {"actual_date": "2025-03-05"}),
                        ("partially_paid", {"paid_amount": "-1", "actual_date": "2025-03-05"})):
        with pytest.raises(TaskDataInvalid):
            move(engine, planned, status, bad)
    part = move(engine, planned, "partially_paid", {"paid_amount": "100.50", "actual_date": "2025-03-05"})
    assert services.last() == {"payment_id": 9, "status": "partially_paid", "actual_date": "2025-03-05",
                               "paid_amount": "100.50", "cancel_comment": None}
    found = status_of(engine, part)
    assert found.status == "partially_paid" and set(found.allowed_next) == {"paid", "canceled"}
    assert part.next_timer_at is None  # a partially paid payment does not expire
    paid = move(engine, part, "paid", {"actual_date": "2025-03-07"})
    assert paid.is_completed and services.statuses() == ["planned", "partially_paid", "paid"]


def test_the_timer_expires_an_unpaid_payment_and_gives_the_responsible_a_task(engine: Engine,
                                                                              services: Services) -> None:
    planned = move(engine, start(engine), "planned")
    early = runtime.refresh_timers(engine, V1, planned.state, EXPIRES_UTC - timedelta(seconds=1))
    assert services.statuses() == ["planned"] and status_of(engine, early).status == "planned"
    late = runtime.refresh_timers(engine, V1, early.state, EXPIRES_UTC + timedelta(seconds=1))
    assert services.statuses() == ["planned", "expired"]
    found = status_of(engine, late)
    assert found.status == "expired" and set(found.allowed_next) == {"planned", "partially_paid", "paid", "canceled"}
    [task] = inbox(late)
    assert (task.name, task.lane, task.form) == ("overdue_payment", "responsible",
                                                 "payment_cycle/overdue_payment.schema.json")
    assert late.next_timer_at is None
    # Paid after all: the process ends and the overdue task with it.
    paid = move(engine, late, "paid", {"actual_date": "2025-03-12"}, now=EXPIRES_UTC + timedelta(days=1))
    assert paid.is_completed and paid.ready_tasks == []


def test_a_new_planned_date_restarts_the_deadline(engine: Engine, services: Services) -> None:
    planned = move(engine, start(engine), "planned")
    services.expires_at = "2025-03-21T00:00:00+03:00"
    moved = runtime.send_message(engine, V1, planned.state, "planned_date_changed", {"planned_date": "2025-03-20"}, T0)
    assert status_of(engine, moved).status == "planned"
    assert moved.next_timer_at == datetime(2025, 3, 20, 21, 0, tzinfo=timezone.utc)
    assert services.statuses() == ["planned"]  # the status did not change
    still = runtime.refresh_timers(engine, V1, moved.state, EXPIRES_UTC + timedelta(hours=1))
    assert status_of(engine, still).status == "planned"


def test_an_expired_payment_planned_again_gets_a_new_deadline(engine: Engine, services: Services) -> None:
    late = runtime.refresh_timers(engine, V1, move(engine, start(engine), "planned").state,
                                  EXPIRES_UTC + timedelta(seconds=1))
    services.expires_at = "2025-04-01T00:00:00+03:00"
    again = move(engine, late, "planned", now=EXPIRES_UTC + timedelta(days=1))
    assert status_of(engine, again).status == "planned"
    assert again.next_timer_at == datetime(2025, 3, 31, 21, 0, tzinfo=timezone.utc)
    # The overdue task is still the responsible's until they complete it.
    assert [t.name for t in inbox(again)] == ["overdue_payment"]


@pytest.mark.parametrize("status", ["draft", "planned", "partially_paid", "expired", "paid", "canceled"])
def test_a_process_started_in_any_status_routes_there(engine: Engine, status: str) -> None:
    outcome = start(engine, status=status)
    if status in ("paid", "canceled"):
        assert outcome.is_completed
    else:
        assert status_of(engine, outcome).status == status
