"""The timer jobs through a real Redis and a real forking RQ worker, with the process services
replaced by fakes that write through the same unit of work (the real services: test_timers_e2e.py)."""
from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from redis import Redis
from rq import Queue
from rq.job import Job, JobStatus
from rq.registry import ScheduledJobRegistry

from app import jobs as names
from app.db import Counter, next_number
from app.extensions import db
from workers import jobs

pytestmark = [pytest.mark.redis, pytest.mark.db]


def fired(app: Flask, instance_id: int) -> int | None:
    with app.app_context(), db.engine.connect() as conn:
        return conn.execute(sa.select(Counter.value).where(Counter.name == f"fired-{instance_id}")).scalar()


@pytest.fixture
def fake_services(monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    """Due instances 7 and 8; firing one bumps counter `fired-<id>` (so a run is visible in the DB)."""
    state: dict[str, Any] = {"due": [7, 8], "fail": set(), "now": []}

    def list_due_instance_ids(at: datetime, limit: int) -> list[int]:
        assert at.tzinfo is not None and limit == jobs.DUE_BATCH
        return list(state["due"])

    def fire_due_timers(instance_id: int, at: datetime) -> bool:
        assert at.tzinfo is not None
        next_number(db.session, f"fired-{instance_id}")
        db.session.flush()
        if instance_id in state["fail"]:
            raise RuntimeError(f"instance {instance_id} is broken")
        return True

    monkeypatch.setattr(jobs.process_services, "list_due_instance_ids", list_due_instance_ids)
    monkeypatch.setattr(jobs.process_services, "fire_due_timers", fire_due_timers)
    return state


def test_clock_job_fans_out_and_the_worker_fires_each_instance_once(
        worker_app: Flask, redis_conn: Redis, run_worker: Any, fake_services: dict[str, Any]) -> None:
    default = Queue(names.QUEUE_DEFAULT, connection=redis_conn)
    default.enqueue(names.ENQUEUE_DUE_TIMERS)

    run_worker(names.QUEUE_DEFAULT)

    assert fired(worker_app, 7) == 1
    assert fired(worker_app, 8) == 1
    assert default.count == 0
    # Finished fire_timers jobs are not kept, so the next deadline of the same instance can enqueue.
    assert not redis_conn.exists(f"rq:job:{jobs.fire_timers_job_id(7)}")


def test_a_pending_job_is_not_enqueued_twice(worker_app: Flask, redis_conn: Redis, run_worker: Any,
                                             fake_services: dict[str, Any]) -> None:
    with worker_app.app_context():
        assert jobs.enqueue_due_timers() == 2
        fake_services["due"] = [7, 8, 9]
        assert jobs.enqueue_due_timers() == 1  # only 9 is new
    default = Queue(names.QUEUE_DEFAULT, connection=redis_conn)
    assert sorted(default.job_ids) == ["fire-timers-7", "fire-timers-8", "fire-timers-9"]
    job = Job.fetch("fire-timers-7", connection=redis_conn)
    assert job.func_name == names.FIRE_TIMERS and job.args == (7,)
    assert job.retries_left == 3 and job.retry_intervals == [5, 30, 120]

    run_worker(names.QUEUE_DEFAULT)

    assert [fired(worker_app, i) for i in (7, 8, 9)] == [1, 1, 1]
    with worker_app.app_context():
        assert jobs.enqueue_due_timers() == 3  # the finished jobs freed their ids


def test_a_failing_job_rolls_back_and_is_scheduled_for_a_retry(
        worker_app: Flask, redis_conn: Redis, run_worker: Any, fake_services: dict[str, Any]) -> None:
    fake_services["fail"] = {8}
    with worker_app.app_context():
        assert jobs.enqueue_due_timers() == 2

    run_worker(names.QUEUE_DEFAULT)

    assert fired(worker_app, 7) == 1
    assert fired(worker_app, 8) is None  # its write was rolled back
    job = Job.fetch("fire-timers-8", connection=redis_conn)
    assert job.get_status() == JobStatus.SCHEDULED
    assert job.retries_left == 2
    assert job.id in ScheduledJobRegistry(names.QUEUE_DEFAULT, connection=redis_conn)
    # While the retry is pending, the clock does not pile up another job for the instance.
    with worker_app.app_context():
        assert jobs.enqueue_due_timers() == 1  # 7 again (its job finished), not 8


def test_fire_timers_passes_an_aware_utc_now(worker_app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[tuple[int, datetime]] = []

    def fire_due_timers(instance_id: int, at: datetime) -> bool:
        calls.append((instance_id, at))
        return False

    monkeypatch.setattr(jobs.process_services, "fire_due_timers", fire_due_timers)
    before = datetime.now(timezone.utc)
    assert jobs.fire_timers(5) is False
    assert calls[0][0] == 5
    assert before <= calls[0][1] <= datetime.now(timezone.utc)
