"""Redis going away must not take the stack down (honcho stops every process as soon as one exits).

Each test runs the Procfile's real entry points as subprocesses against a real redis-server that the
test kills and starts again: the embedded Redis comes back by itself, and the worker and the clock
wait for it (logging one line, not one per retry) and carry on when it is back.
"""
from __future__ import annotations

import os
import signal
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from redis import Redis
from redis.exceptions import ConnectionError as RedisConnectionError
from rq import Queue, Worker

from app import jobs as names
from tests.workers.processes import Process, RedisServer, eventually, free_port

pytestmark = pytest.mark.db


def new_output(proc: Process, mark: int) -> list[str]:
    return [line for line in proc.output[mark:].splitlines() if line.strip()]


def _pid(conn: Redis) -> int:
    info: dict[str, Any] = conn.info("server")  # type: ignore[assignment]  # sync client: a dict, not an awaitable
    return int(info["process_id"])


@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGTERM], ids=["SIGKILL", "SIGTERM"])
def test_embedded_redis_comes_back_after_its_server_dies(spawn: Callable[..., Process],
                                                         sig: signal.Signals) -> None:
    port = free_port()
    supervisor = spawn("workers.redis_server", CRM_REDIS_PORT=str(port))
    conn = Redis(host="127.0.0.1", port=port, socket_timeout=1)
    eventually(conn.ping)
    first_pid = _pid(conn)

    os.kill(first_pid, sig)  # a crash, or `pkill -f redis-server` (SIGTERM) from outside
    killed_at = time.monotonic()
    eventually(lambda: conn.ping() and _pid(conn) != first_pid, timeout=10)

    assert time.monotonic() - killed_at < 5, "Redis must be back within a few seconds"
    assert supervisor.alive, supervisor.output
    assert "restarting it in" in supervisor.output
    assert supervisor.stop() == 0, supervisor.output
    with pytest.raises(RedisConnectionError):
        conn.ping()  # stopping the supervisor stops the restarted server too
    conn.close()


def test_worker_waits_for_redis_at_start_instead_of_exiting(
        spawn: Callable[..., Process], redis_server: RedisServer, database_url: str) -> None:
    worker = spawn("workers", names.QUEUE_DEFAULT, REDIS_URL=redis_server.url, DATABASE_URL=database_url)
    time.sleep(3)
    assert worker.alive, worker.output
    assert worker.output.count("waiting for Redis") == 1, worker.output

    redis_server.start()
    eventually(lambda: "worker on " in worker.output, timeout=20)
    assert worker.alive, worker.output
    assert worker.stop() == 0, worker.output


def test_worker_rides_out_a_redis_outage(worker_app: Flask, database_url: str, redis_server: RedisServer,
                                         spawn: Callable[..., Process]) -> None:
    redis_server.start()
    conn = Redis.from_url(redis_server.url)
    worker = spawn("workers", names.QUEUE_DEFAULT, REDIS_URL=redis_server.url, DATABASE_URL=database_url)
    eventually(lambda: len(Worker.all(connection=conn)) == 1, timeout=30)
    time.sleep(0.5)
    mark = len(worker.output)

    redis_server.kill()
    time.sleep(4)

    assert worker.alive, worker.output
    during = new_output(worker, mark)
    assert "Traceback" not in worker.output[mark:], worker.output[mark:]
    assert len(during) <= 2, "one line for the outage, not one per retry:\n" + "\n".join(during)

    redis_server.start()
    # A job deferred by 1 s needs rq's scheduler (as every `Retry(interval=...)` does): it must
    # have survived the outage too, and the worker must take jobs again.
    job = Queue(names.QUEUE_DEFAULT, connection=conn).enqueue_in(
        timedelta(seconds=1), names.ENQUEUE_DUE_TIMERS, job_id="scan-after-outage", result_ttl=600)
    eventually(lambda: job.get_status(refresh=True) == "finished", timeout=30)
    eventually(lambda: len(Worker.all(connection=conn)) == 1)  # registered again in the empty Redis
    assert worker.alive, worker.output
    assert worker.stop() == 0, worker.output
    conn.close()


def test_clock_waits_for_redis_and_rides_out_an_outage(redis_server: RedisServer,
                                                       spawn: Callable[..., Process], tmp_path: Path) -> None:
    clock = spawn("workers.clock", REDIS_URL=redis_server.url, CRM_CLOCK_INTERVAL="0.1")
    time.sleep(2)
    assert clock.alive, clock.output

    redis_server.start()
    conn = Redis.from_url(redis_server.url)
    default = Queue(names.QUEUE_DEFAULT, connection=conn)
    eventually(lambda: "enqueue-due-timers" in default.job_ids, timeout=15)
    mark = len(clock.output)

    redis_server.kill()
    time.sleep(2.5)  # about 25 ticks' worth
    assert clock.alive, clock.output
    during = new_output(clock, mark)
    assert len(during) == 1 and "Redis is unavailable" in during[0], "\n".join(during)

    redis_server.start()
    # The new Redis is empty: the clock publishes the periodic scan again, which re-derives due timers.
    eventually(lambda: "enqueue-due-timers" in default.job_ids, timeout=45)
    eventually(lambda: "Redis is back" in clock.output)
    assert clock.stop() == 0, clock.output
    conn.close()


def children_of(pid: int) -> list[int]:
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.append(int(stat.parent.name))
    return found


def is_running(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads /proc (Linux)")
def test_the_scheduler_does_not_outlive_a_killed_worker(database_url: str, redis_server: RedisServer,
                                                        spawn: Callable[..., Process]) -> None:
    redis_server.start()
    worker = spawn("workers", names.QUEUE_DEFAULT, REDIS_URL=redis_server.url, DATABASE_URL=database_url)
    eventually(lambda: children_of(worker.proc.pid), timeout=30)  # the forked rq scheduler
    scheduler_pid = children_of(worker.proc.pid)[0]

    worker.proc.kill()  # e.g. honcho's SIGKILL after its grace period
    worker.proc.wait()

    eventually(lambda: not is_running(scheduler_pid), timeout=15)
