"""Every job name `app` enqueues resolves to a job function here (app never imports workers)."""
from __future__ import annotations

import importlib
from pathlib import Path

import pytest

from app import jobs as names
from workers import clock


@pytest.mark.parametrize("dotted", names.ALL_JOBS)
def test_every_job_name_resolves_to_a_callable(dotted: str) -> None:
    module_name, _, attr = dotted.rpartition(".")
    assert module_name.startswith("workers.")
    func = getattr(importlib.import_module(module_name), attr)
    assert callable(func)
    assert func.__wrapped__.__name__ == attr  # wrapped by workers.runtime.unit_of_work


def test_the_procfile_worker_serves_every_queue_the_app_publishes_to() -> None:
    procfile = Path(__file__).resolve().parents[2] / "Procfile"
    commands = dict(line.split(":", 1) for line in procfile.read_text().splitlines() if ":" in line)
    assert commands["worker"].split() == ["python", "-m", "workers", *names.QUEUES]
    assert commands["clock"].split() == ["python", "-m", "workers.clock"]


@pytest.mark.parametrize("dotted", names.ALL_JOBS)
def test_every_job_comes_back_when_redis_loses_it(dotted: str) -> None:
    """Redis keeps no snapshot and `publish` drops a job while Redis is down, so each job kind is
    either one the clock publishes periodically or re-derived from the database by one of those."""
    periodic = {name for name, _job_id, _queue in clock.PERIODIC_JOBS}
    assert dotted in periodic or names.RECOVERED_BY.get(dotted) in periodic, (
        f"{dotted} would be lost with Redis: add it to app.jobs.RECOVERED_BY (or an outbox)")
