"""End to end with the real pieces: BPMN deployed, an overdue assignment, the clock's job enqueued by
name, and `python -m workers --burst` (the Procfile's worker) firing the boundary timer."""
from __future__ import annotations

import os
import subprocess
import sys
from datetime import date, datetime, timezone
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import Flask
from redis import Redis
from rq import Queue

from app import jobs as names
from app.assignments.services import AssignmentData, create_assignment
from app.auth.models import User
from app.extensions import db
from app.processes import services as processes
from app.processes.models import ProcessInstance
from app.tasks.models import HumanTask
from workers import jobs

pytestmark = pytest.mark.db

ROOT = Path(__file__).resolve().parents[2]


def run_worker_process(database_url: str, redis_url: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "DATABASE_URL": database_url, "REDIS_URL": redis_url, "CRM_LOG_LEVEL": "INFO"}
    result = subprocess.run([sys.executable, "-m", "workers", "--burst", names.QUEUE_DEFAULT], cwd=ROOT,
                            env=env, capture_output=True, text=True, timeout=120, stdin=subprocess.DEVNULL)
    assert result.returncode == 0, result.stdout + result.stderr
    return result


def overdue_assignment_instance(app: Flask) -> int:
    with app.app_context():
        processes.deploy_directory()
        author = User(login="author", full_name="Author")
        executor = User(login="executor", full_name="Executor")
        db.session.add_all([author, executor])
        db.session.flush()
        assignment = create_assignment(
            author, AssignmentData(title="Call the client", executor="executor", due_date="2020-01-10"),
            today=date(2020, 1, 9), at=datetime(2020, 1, 9, 9, 0, tzinfo=timezone.utc))
        db.session.commit()
        instance = processes.find_instance_for("assignment", assignment.id)
        assert instance is not None and instance.next_timer_at is not None
        assert instance.next_timer_at < datetime.now(timezone.utc)
        return instance.id


def open_task_names(app: Flask, instance_id: int) -> list[str]:
    with app.app_context():
        return sorted(db.session.scalars(sa.select(HumanTask.task_name).where(
            HumanTask.instance_id == instance_id, HumanTask.status == "open")))


@pytest.mark.redis
def test_the_worker_fires_a_due_bpmn_timer(worker_app: Flask, database_url: str, redis_url: str,
                                           redis_conn: Redis) -> None:
    instance_id = overdue_assignment_instance(worker_app)
    assert open_task_names(worker_app, instance_id) == ["complete_assignment"]
    default = Queue(names.QUEUE_DEFAULT, connection=redis_conn)
    default.enqueue(names.ENQUEUE_DUE_TIMERS)

    result = run_worker_process(database_url, redis_url)

    assert f"fire_timers({instance_id},) done" in result.stderr
    assert open_task_names(worker_app, instance_id) == ["complete_assignment", "overdue_assignment"]
    with worker_app.app_context():
        instance = db.session.get(ProcessInstance, instance_id)
        assert instance is not None and instance.is_running
        # The non-interrupting timer has fired: nothing is due any more, so nothing is enqueued.
        assert instance.next_timer_at is None or instance.next_timer_at > datetime.now(timezone.utc)
        assert jobs.enqueue_due_timers() == 0


def test_fire_timers_is_safe_to_run_twice(worker_app: Flask) -> None:
    instance_id = overdue_assignment_instance(worker_app)
    assert jobs.fire_timers(instance_id) is True
    assert jobs.fire_timers(instance_id) is False
    assert open_task_names(worker_app, instance_id) == ["complete_assignment", "overdue_assignment"]
