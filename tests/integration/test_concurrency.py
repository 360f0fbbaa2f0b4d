"""Real concurrent requests against a database of the test's own (real commits, no savepoints)."""
from __future__ import annotations

import threading
from datetime import date, timedelta
from typing import Any

import pytest
import sqlalchemy as sa

from tests.conftest import make_test_app, reset_database

pytestmark = pytest.mark.db


@pytest.fixture()
def live_app(database_url: str) -> Any:
    app = make_test_app(database_url)
    reset_database(app)
    from app.extensions import db
    from tests.factories import make_assignment, make_standard_users

    with app.app_context():
        users = make_standard_users()
        make_assignment(users["director"], executor="manager1", due_date=date.today() + timedelta(days=2))
        db.session.commit()
    yield app
    with app.app_context():
        db.engine.dispose()


def _token(client: Any, login: str) -> dict[str, str]:
    token = client.post("/api/v1/auth/token", json={"login": login, "password": "demo"}).get_json()["token"]
    return {"Authorization": f"Bearer {token}"}


def test_simultaneous_double_submit_completes_once(live_app):
    from app.extensions import db
    from app.tasks.models import HumanTask

    headers = _token(live_app.test_client(), "manager1")
    task_id = live_app.test_client().get("/api/v1/tasks", headers=headers).get_json()["items"][0]["id"]
    barrier = threading.Barrier(4)
    statuses: list[int] = []

    def submit(n: int) -> None:
        client = live_app.test_client()
        barrier.wait()
        response = client.post(f"/api/v1/tasks/{task_id}/complete", json={"data": {"result_comment": f"try {n}"}},
                               headers=headers)
        statuses.append(response.status_code)

    threads = [threading.Thread(target=submit, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert sorted(statuses) == [200, 409, 409, 409], statuses
    with live_app.app_context():
        completed = db.session.scalars(sa.select(HumanTask).where(HumanTask.status == "completed")).all()
        assert len(completed) == 1
        from app.assignments.models import Assignment

        assert db.session.scalar(sa.select(Assignment.status)) == "completed"


def test_concurrent_number_counter_never_repeats(live_app):
    from app.db import next_number
    from app.extensions import db

    numbers: list[int] = []
    errors: list[BaseException] = []

    def take(n: int) -> None:
        try:
            with live_app.app_context():
                for _ in range(10):
                    numbers.append(next_number(db.session, "bench"))
                    db.session.commit()
        except BaseException as e:  # noqa: B902 - reported by the assertion below
            errors.append(e)

    threads = [threading.Thread(target=take, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not errors and sorted(numbers) == list(range(1, 41))
