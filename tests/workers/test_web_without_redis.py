"""The web keeps serving while Redis is down or stalled: a request whose commit publishes a job
answers promptly with success, the job is dropped with one warning line (the clock's scans re-derive
it: tests/workers/test_quiet_logging.py), and nothing reaches the user as an error."""
from __future__ import annotations

import logging
import socket
import threading
import time
from collections.abc import Iterator
from datetime import date, timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask

import app.assignments.services as assignment_services
from app import jobs as names
from app.assignments.models import Assignment
from app.extensions import db
from app.processes.services import find_instance_for
from tests.conftest import api_token, make_test_app, reset_database
from tests.factories import make_standard_users
from tests.workers.processes import free_port

pytestmark = pytest.mark.db

#: CRM_REDIS_TIMEOUT is 1 s; the request itself takes well under a second on this machine.
BOUND = 4.0


@pytest.fixture
def stalled_redis() -> Iterator[str]:
    """A TCP port that accepts connections and never answers: a stopped or wedged Redis."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(64)
    held: list[socket.socket] = []
    done = threading.Event()

    def accept() -> None:
        server.settimeout(0.1)
        while not done.is_set():
            try:
                held.append(server.accept()[0])
            except OSError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield f"redis://127.0.0.1:{server.getsockname()[1]}/0"
    done.set()
    thread.join(5)
    for conn in held:
        conn.close()
    server.close()


@pytest.fixture(params=["refused", "stalled"])
def dead_redis_url(request: pytest.FixtureRequest) -> str:
    if request.param == "refused":
        return f"redis://127.0.0.1:{free_port()}/0"
    return str(request.getfixturevalue("stalled_redis"))


@pytest.fixture
def web_app(database_url: str, dead_redis_url: str) -> Iterator[Flask]:
    """The web app as gunicorn runs it (jobs really published, login throttling on) with Redis dead."""
    application = make_test_app(database_url, REDIS_URL=dead_redis_url, CRM_JOBS_INLINE=False,
                                CRM_RATELIMIT_ENABLED=True)
    reset_database(application)
    with application.app_context():
        make_standard_users()
        db.session.commit()
    yield application
    with application.app_context():
        db.session.remove()
        for engine in db.engines.values():
            engine.dispose()


@pytest.fixture
def publishing_assignments(monkeypatch: pytest.MonkeyPatch) -> None:
    """Creating an assignment also publishes a job after commit (no service does so on its own yet)."""
    original = assignment_services.create_assignment

    def create_and_publish(*args: Any, **kwargs: Any) -> Assignment:
        assignment = original(*args, **kwargs)
        instance = find_instance_for("assignment", assignment.id)
        assert instance is not None
        names.enqueue_after_commit(db.session(), names.FIRE_TIMERS, instance.id)
        return assignment

    monkeypatch.setattr(assignment_services, "create_assignment", create_and_publish)


def post_in_thread(app: Flask, headers: dict[str, str], payload: dict[str, Any]) -> tuple[Any, float]:
    """POST /api/v1/assignments; give up after 30 s (a stalled publish would block forever)."""
    result: dict[str, Any] = {}

    def run() -> None:
        started = time.monotonic()
        with app.test_client() as client:
            result["response"] = client.post("/api/v1/assignments", json=payload, headers=headers)
        result["elapsed"] = time.monotonic() - started

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(30)
    assert not thread.is_alive(), "the request hung on the dead Redis"
    return result["response"], result["elapsed"]


def test_a_request_that_publishes_a_job_succeeds_while_redis_is_down(
        web_app: Flask, publishing_assignments: None, caplog: pytest.LogCaptureFixture) -> None:
    with web_app.test_client() as client:
        headers = api_token(client, "director")
    payload = {"title": "Call the client", "executor": "manager1",
               "due_date": (date.today() + timedelta(days=3)).isoformat()}
    caplog.set_level(logging.INFO)

    response, elapsed = post_in_thread(web_app, headers, payload)

    assert response.status_code == 201, response.get_json()
    assert elapsed < BOUND, f"the request took {elapsed:.1f} s"
    warnings = [r for r in caplog.records if r.name == "app.jobs"]
    assert len(warnings) == 1 and warnings[0].levelno == logging.WARNING, warnings
    assert names.FIRE_TIMERS in warnings[0].getMessage() and warnings[0].exc_info is None
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
    with web_app.app_context():  # the commit stands
        titles = db.session.scalars(sa.select(Assignment.title)).all()
        assert titles == ["Call the client"]
