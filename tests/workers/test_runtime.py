"""`workers.runtime.unit_of_work`: one job run is one transaction (commit on success, rollback on error)."""
from __future__ import annotations

import os

import pytest
import sqlalchemy as sa
from flask import Flask

from app.db import Counter, next_number
from app.extensions import db
from workers import runtime

pytestmark = pytest.mark.db


class Boom(Exception):
    pass


@runtime.unit_of_work
def bump(name: str) -> int:
    return next_number(db.session, name)


@runtime.unit_of_work
def bump_then_fail(name: str) -> int:
    next_number(db.session, name)
    db.session.flush()
    raise Boom(name)


def stored(app: Flask, name: str) -> int | None:
    # A fresh connection, so we read what was committed, not the session's identity map.
    with app.app_context(), db.engine.connect() as conn:
        return conn.execute(sa.select(Counter.value).where(Counter.name == name)).scalar()


def test_commits_on_success(worker_app: Flask) -> None:
    assert bump("probe") == 1
    assert bump("probe") == 2
    assert stored(worker_app, "probe") == 2


def test_rolls_back_and_reraises_on_exception(worker_app: Flask) -> None:
    bump("probe")
    with pytest.raises(Boom):
        bump_then_fail("probe")
    with pytest.raises(Boom):
        bump_then_fail("other")
    assert stored(worker_app, "probe") == 1
    assert stored(worker_app, "other") is None


def test_logs_one_line_per_run(worker_app: Flask, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level("INFO", logger="workers.runtime")
    bump("probe")
    with pytest.raises(Boom):
        bump_then_fail("probe")
    messages = [r.getMessage() for r in caplog.records if r.name == "workers.runtime"]
    assert len(messages) == 2
    assert "bump('probe',) done" in messages[0]
    assert "bump_then_fail('probe',) failed" in messages[1] and "rolled back" in messages[1]


def test_uses_an_outer_app_context_and_its_session(worker_app: Flask) -> None:
    with worker_app.app_context():
        session = db.session()
        assert bump("probe") == 1
        # The job committed through the caller's session and left it usable.
        assert db.session() is session
        assert session.scalar(sa.select(Counter.value).where(Counter.name == "probe")) == 1
    assert stored(worker_app, "probe") == 1


def test_builds_the_app_once_and_drops_inherited_connections_after_fork(worker_app: Flask) -> None:
    assert runtime.get_app() is worker_app
    assert bump("probe") == 1  # the pool now holds a connection
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: what an RQ work horse does
        try:
            os.close(read)
            ok = runtime.get_app() is worker_app and bump("probe") == 2
            os.write(write, b"1" if ok else b"0")
        finally:
            os._exit(0)
    os.close(write)
    _, status = os.waitpid(pid, 0)
    assert os.read(read, 1) == b"1"
    os.close(read)
    assert os.waitstatus_to_exitcode(status) == 0
    # The parent's pooled connection still works after the child went away.
    assert bump("probe") == 3
