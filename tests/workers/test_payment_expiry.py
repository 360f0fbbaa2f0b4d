"""A payment whose planned date passes unpaid becomes expired through the clock and the real worker (issue 9 "Must
show"): the payment is planned (its process waits on the planned day's end), the clock's tick enqueues the timer scan
by name, and `python -m workers --burst` (the Procfile's worker) fires the payment process's timer."""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from redis import Redis

from app.auth.models import User
from app.auth.services import default_groups, ensure_groups
from app.extensions import db
from app.processes import services as processes
from app.records.kinds import get_kind
from app.records.services import change_status, create_record
from app.tasks.models import HumanTask
from tests.factories import make_user
from tests.workers.test_timers_e2e import run_worker_process
from workers import clock
from workflows import clock as engine_clock

pytestmark = pytest.mark.db

PLANNED = date(2020, 3, 10)
# A week before the planned date: when the payment was planned (the engine's injected clock).
PLANNED_AT = datetime(2020, 3, 3, 9, 0, tzinfo=timezone.utc)


def planned_payment(app: Flask) -> tuple[int, int]:
    """A payment planned for PLANNED (in the past now); returns (payment id, process instance id)."""
    with app.app_context():
        processes.deploy_directory()
        ensure_groups(default_groups(app.config))
        manager = make_user(login="manager", group_ids=[app.config["CRM_GROUP_CRM_MANAGER"]])
        kind = get_kind("payment")
        with engine_clock.frozen(PLANNED_AT):
            payment: Any = create_record(kind, {"name": "Prepayment", "amount": "1000.00",
                                                "planned_date": PLANNED.isoformat()}, manager)
            change_status(kind, payment.id, "planned", {}, manager)
        db.session.commit()
        instance = processes.find_instance_for("payment", payment.id)
        assert instance is not None and payment.status == "planned"
        # The end of the planned day in Moscow (CRM_TIMEZONE): 21:00 UTC.
        assert instance.next_timer_at == datetime(2020, 3, 10, 21, 0, tzinfo=timezone.utc)
        return int(payment.id), int(instance.id)


def payment_state(app: Flask, payment_id: int) -> tuple[str, list[str]]:
    with app.app_context():
        payment: Any = db.session.get(get_kind("payment").model, payment_id)
        tasks = sorted(db.session.scalars(sa.select(HumanTask.task_name).where(
            HumanTask.record_type == "payment", HumanTask.record_id == payment_id, HumanTask.status == "open")))
        return str(payment.status), tasks


@pytest.mark.redis
def test_the_clock_and_the_worker_expire_a_payment_whose_planned_date_passed(
        worker_app: Flask, database_url: str, redis_url: str, redis_conn: Redis) -> None:
    payment_id, instance_id = planned_payment(worker_app)
    assert payment_state(worker_app, payment_id) == ("planned", [])

    assert clock.tick(redis_conn) >= 1  # the clock process's tick: enqueues the due-timer scan by name
    result = run_worker_process(database_url, redis_url)

    assert f"fire_timers({instance_id},) done" in result.stderr
    assert payment_state(worker_app, payment_id) == ("expired", ["overdue_payment"])
    with worker_app.app_context():
        from app.activities.services import list_changes

        assert [(c.old_value, c.new_value) for c in list_changes("payment", payment_id, "status")][0] == \
            ("planned", "expired")
        instance: Any = processes.find_instance_for("payment", payment_id)
        assert instance.is_running and instance.next_timer_at is None
        task: Any = db.session.scalar(sa.select(HumanTask).where(HumanTask.record_id == payment_id,
                                                                 HumanTask.task_name == "overdue_payment"))
        manager: Any = db.session.scalar(sa.select(User).where(User.login == "manager"))
        assert task.assignee_id == manager.id  # the responsible person's task


def test_the_timer_does_not_fire_before_the_planned_day_ends(worker_app: Flask) -> None:
    payment_id, instance_id = planned_payment(worker_app)
    with worker_app.app_context():
        due = datetime(2020, 3, 10, 21, 0, tzinfo=timezone.utc)
        assert processes.fire_due_timers(instance_id, at=due - timedelta(minutes=1)) is False
        db.session.commit()
    assert payment_state(worker_app, payment_id) == ("planned", [])
