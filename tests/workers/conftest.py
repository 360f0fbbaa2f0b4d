"""Fixtures for the worker tests: a real Redis, a real database file or PostgreSQL database, a real
forking RQ worker.

The worker runs jobs in forked processes that commit for real, so these tests cannot use the
per-test savepoint of tests/conftest.py: each test gets its own SQLite file, or, when DATABASE_URL
points at PostgreSQL (the `make test` -m db run), its own freshly created database on that server.
"""
from __future__ import annotations

import multiprocessing
import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from redis import Redis
from rq import Worker

from app import create_app
from app.extensions import db
from tests.workers.processes import Process, RedisServer, free_port
from workers import runtime

REDIS_SKIP_REASON = ("CRM_TEST_REDIS_URL is not set: these tests need a real Redis "
                     "(`python tests/services.py up` starts one; `make test` does it for you)")


@pytest.fixture
def redis_url() -> str:
    url = os.environ.get("CRM_TEST_REDIS_URL")
    if not url:
        pytest.skip(REDIS_SKIP_REASON)
    return url


@pytest.fixture
def redis_conn(redis_url: str) -> Iterator[Redis]:
    conn = Redis.from_url(redis_url)
    conn.flushdb()
    yield conn
    conn.flushdb()
    conn.close()


def app_config(database_url: str, redis_url: str | None) -> dict[str, Any]:
    return {
        "TESTING": True,
        "SQLALCHEMY_DATABASE_URI": database_url,
        # Never connected unless a test asks for Redis.
        "REDIS_URL": redis_url or "redis://127.0.0.1:1/0",
        "CRM_DEPLOY_ON_START": "off",
        "WTF_CSRF_ENABLED": False,
    }


@pytest.fixture
def worker_app(database_url: str) -> Iterator[Flask]:
    """The app a worker process would build, on this test's own database, installed in
    `workers.runtime` so jobs run against it (also in forked work horses)."""
    app = create_app(app_config(database_url, os.environ.get("CRM_TEST_REDIS_URL")))
    with app.app_context():
        db.create_all()
    runtime.use_app(app)
    yield app
    runtime.use_app(None)
    with app.app_context():
        for engine in db.engines.values():
            engine.dispose()


def _work(redis_url: str, queues: list[str]) -> None:
    worker = Worker(queues, connection=Redis.from_url(redis_url))
    worker.work(burst=True, with_scheduler=False, logging_level="WARNING")


@pytest.fixture
def run_worker(redis_url: str) -> Any:
    """Drain `queues` with a real forking `rq.Worker` in burst mode.

    The worker runs in a forked child, so it sees this test's monkeypatches and `runtime` app, and
    its signal handlers stay out of pytest's process; each job then runs in a work horse forked
    from that child, as in production.
    """

    def run(*queues: str) -> None:
        proc = multiprocessing.get_context("fork").Process(target=_work, args=(redis_url, list(queues)))
        proc.start()
        proc.join(60)
        if proc.is_alive():
            proc.kill()
            raise AssertionError("the RQ worker did not finish its burst within 60 s")
        assert proc.exitcode == 0, f"the RQ worker exited with {proc.exitcode}"

    return run


@pytest.fixture
def spawn(tmp_path: Path) -> Iterator[Callable[..., Process]]:
    """Start `python -m <module> [args]` with extra environment; killed at teardown if still running."""
    started: list[Process] = []

    def start(module: str, *args: str, **env: str) -> Process:
        started.append(Process(module, tmp_path / f"{module}-{len(started)}.log", *args, **env))
        return started[-1]

    yield start
    for p in started:
        if p.proc.poll() is None:
            p.proc.kill()
            p.proc.wait()


@pytest.fixture
def redis_server(tmp_path: Path) -> Iterator[RedisServer]:
    """A redis-server of this test's own on a free port, not started yet: the test starts and kills it."""
    workdir = tmp_path / "redis"
    workdir.mkdir()
    server = RedisServer(free_port(), workdir)
    yield server
    server.kill()
