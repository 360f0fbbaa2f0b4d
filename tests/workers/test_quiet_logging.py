"""One log line per action, nothing when idle; and a due timer whose job Redis lost still fires.

A clock tick publishes the periodic scan; the worker runs it, and the scan enqueues `fire_timers`
for each due instance. These tests run that chain with the real pieces (real Redis, the real timer
services on a migrated-from-models database) and an in-process rq worker configured like the
Procfile's (`QuietWorker`, `configure_logging`), so `caplog` sees every record.
"""
from __future__ import annotations

import logging
import signal
from collections.abc import Iterator

import pytest
from flask import Flask
from redis import Redis
from rq import SimpleWorker

from app import jobs as names
from tests.workers.test_timers_e2e import open_task_names, overdue_assignment_instance
from workers import clock, jobs
from workers.resilient import QuietWorker
from workers.runtime import RQ_LOGGERS, configure_logging

pytestmark = [pytest.mark.redis, pytest.mark.db]


class InProcessWorker(QuietWorker, SimpleWorker):  # type: ignore[misc]
    """The Procfile worker's logging behaviour without the fork, so caplog sees the job's records."""


@pytest.fixture
def production_logging() -> Iterator[None]:
    """The entry points' logging set-up at CRM_LOG_LEVEL=INFO; rq's levels and signals restored after."""
    levels = {name: logging.getLogger(name).level for name in RQ_LOGGERS}
    handlers = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM)}
    configure_logging("INFO")
    yield
    for name, level in levels.items():
        logging.getLogger(name).setLevel(level)
    for sig, handler in handlers.items():
        signal.signal(sig, handler)


def tick_and_work(conn: Redis) -> None:
    """One clock tick, then the worker drains the default queue (the scan and what it enqueues)."""
    clock.tick(conn)
    InProcessWorker([names.QUEUE_DEFAULT], connection=conn).work(burst=True)


def info_lines(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [f"{r.name}: {r.getMessage()}" for r in caplog.records if r.levelno >= logging.INFO]


def test_an_idle_tick_logs_nothing_at_info(worker_app: Flask, redis_conn: Redis, production_logging: None,
                                           caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    tick_and_work(redis_conn)

    assert info_lines(caplog) == []
    debug = [r.getMessage() for r in caplog.records if r.levelno == logging.DEBUG and r.name == "workers.runtime"]
    assert any("enqueue_due_timers() done" in line for line in debug), debug  # the scan did run


def test_a_tick_with_one_due_instance_logs_exactly_one_info_line(
        worker_app: Flask, redis_conn: Redis, production_logging: None,
        caplog: pytest.LogCaptureFixture) -> None:
    instance_id = overdue_assignment_instance(worker_app)
    caplog.set_level(logging.DEBUG)
    tick_and_work(redis_conn)

    lines = info_lines(caplog)
    assert len(lines) == 1, lines
    assert f"fire_timers({instance_id},) done in " in lines[0]
    assert open_task_names(worker_app, instance_id) == ["complete_assignment", "overdue_assignment"]


def test_a_due_timer_whose_job_redis_lost_fires_on_the_next_tick(
        worker_app: Flask, redis_conn: Redis, production_logging: None) -> None:
    instance_id = overdue_assignment_instance(worker_app)
    # The scan had enqueued the timer's job; then Redis died and came back empty (no snapshots).
    with worker_app.app_context():
        assert jobs.enqueue_due_timers() == 1
    assert redis_conn.exists(f"rq:job:{jobs.fire_timers_job_id(instance_id)}")
    redis_conn.flushdb()

    tick_and_work(redis_conn)

    assert open_task_names(worker_app, instance_id) == ["complete_assignment", "overdue_assignment"]
