"""A status hub runs for the life of its record: `runtime.prune_history` keeps its saved state small
without changing what the process does (timers, the parallel proposal task, routing data)."""

from __future__ import annotations

import itertools
from datetime import timedelta

from workflows import runtime
from workflows.engine import Engine
from workflows.runtime import Outcome

from .support import T0, ServiceRecorder
from .test_deal_progression import STALE, V1, current, deal_engine, inbox, move, only, start

__all__ = ["deal_engine"]  # the fixture, imported for this module's tests

CYCLE = ("initial_contact", "needs_assessment", "presentation", "prototype", "needs_assessment", "paused")


def task_count(outcome: Outcome) -> int:
    return len(outcome.state["tasks"])


def walk(engine: Engine, outcome: Outcome, moves: int) -> Outcome:
    statuses = itertools.cycle(CYCLE)
    for _ in range(moves):
        target = next(statuses)
        if current(engine, outcome).status == target:
            target = next(statuses)
        outcome = move(engine, outcome, target)
        assert current(engine, outcome).status == target
    return outcome


def test_a_deal_moved_150_times_keeps_a_small_state_and_still_moves(
    deal_engine: Engine, recorder: ServiceRecorder
) -> None:
    outcome = move(deal_engine, start(deal_engine), "initial_contact")
    after_one = task_count(outcome)

    # Unpruned, the tree grew by about a dozen tasks per move and, past ~80 moves, deeper than the
    # 1000 levels spiff's task iterator walks: the status task could no longer be found.
    outcome = walk(deal_engine, outcome, 150)

    assert task_count(outcome) <= after_one + 2
    assert len([c for c in recorder.calls if c[0] == "crm.set_status"]) == 151
    # the routing data set at the start survived the pruning: completed is still refused from paused
    assert "completed" not in current(deal_engine, outcome).allowed_next
    outcome = move(deal_engine, outcome, "decision_making")
    outcome = move(deal_engine, outcome, "completed")
    assert outcome.is_completed


def test_quick_closing_flag_survives_a_long_history(deal_engine: Engine) -> None:
    outcome = walk(deal_engine, start(deal_engine, quick=True), 40)
    assert "completed" in current(deal_engine, outcome).allowed_next
    assert move(deal_engine, outcome, "completed").is_completed


def test_stale_timer_fires_after_a_long_history(deal_engine: Engine) -> None:
    outcome = walk(deal_engine, start(deal_engine), 30)
    status = current(deal_engine, outcome).status
    assert outcome.next_timer_at == T0 + STALE

    late = runtime.refresh_timers(deal_engine, V1, outcome.state, T0 + STALE + timedelta(seconds=1))

    assert [t.name for t in inbox(late)] == ["stale_deal_reminder"]
    assert current(deal_engine, late).status == status


def test_an_open_proposal_task_is_kept_while_the_deal_moves_on(deal_engine: Engine) -> None:
    outcome = move(deal_engine, start(deal_engine), "proposal_preparation")
    task = only(outcome, "prepare_proposal")

    outcome = walk(deal_engine, outcome, 25)  # the parallel branch holds the tree's root above the fork
    grown = task_count(outcome)
    assert task.task_id in {t.task_id for t in inbox(outcome)}

    outcome = runtime.complete_user_task(deal_engine, V1, outcome.state, task.task_id, {}, T0)

    assert outcome.finished_tasks[task.task_id] == "completed"
    assert task_count(outcome) < grown / 10  # nothing open outside the hub any more: pruned again
    outcome = walk(deal_engine, outcome, 2)
    assert inbox(outcome) == []
