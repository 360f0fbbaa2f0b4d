"""The Procfile's processes as subprocesses: the embedded Redis launcher and the clock."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable

import pytest
from redis import Redis
from redis.exceptions import ConnectionError as RedisConnectionError
from rq import Queue

from app import jobs as names
from tests.workers.processes import ROOT, Process, eventually, free_port


def test_embedded_redis_starts_on_crm_redis_port(spawn: Callable[..., Process]) -> None:
    port = free_port()
    proc = spawn("workers.redis_server", CRM_REDIS_PORT=str(port))
    conn = Redis(host="127.0.0.1", port=port)
    eventually(conn.ping)
    assert conn.config_get("save") == {"save": ""}
    assert proc.stop() == 0, proc.output
    with pytest.raises(RedisConnectionError):
        conn.ping()  # the server went with its launcher
    conn.close()


def test_with_redis_url_the_redis_process_only_waits(spawn: Callable[..., Process]) -> None:
    proc = spawn("workers.redis_server", REDIS_URL="redis://redis.example:6379/0")
    eventually(lambda: "using external Redis at redis://redis.example:6379/0" in proc.output)
    time.sleep(0.3)
    assert proc.proc.poll() is None, "it must keep running, or honcho stops every process"
    assert proc.stop() == 0, proc.output


@pytest.mark.redis
def test_clock_enqueues_each_periodic_job_once_and_stops_on_sigterm(
        redis_conn: Redis, redis_url: str, spawn: Callable[..., Process]) -> None:
    from workers.clock import PERIODIC_JOBS

    proc = spawn("workers.clock", REDIS_URL=redis_url, CRM_CLOCK_INTERVAL="0.1")
    queues = {name: Queue(name, connection=redis_conn) for _job, _id, name in PERIODIC_JOBS}
    expected = {name: sorted(i for _job, i, q in PERIODIC_JOBS if q == name) for name in queues}
    eventually(lambda: "clock ticking every 0.1 s" in proc.output
               and all(q.count == len(expected[name]) for name, q in queues.items()))
    time.sleep(0.5)  # several ticks later: still one pending job of each, no pile-up
    for name, queue in queues.items():
        assert sorted(queue.job_ids) == expected[name]
    job = queues[names.QUEUE_DEFAULT].fetch_job("enqueue-due-timers")
    assert job is not None and job.func_name == names.ENQUEUE_DUE_TIMERS
    assert proc.stop() == 0, proc.output
    assert "clock stopped" in proc.output


def test_worker_gives_up_when_redis_never_answers() -> None:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k not in ("REDIS_URL", "DATABASE_URL")}
    result = subprocess.run([sys.executable, "-m", "workers", "--burst", "--redis-timeout", "1"], cwd=ROOT,
                            env={**env, "REDIS_URL": f"redis://127.0.0.1:{port}/0"}, capture_output=True,
                            text=True, timeout=60, stdin=subprocess.DEVNULL)
    assert result.returncode == 1
    assert "did not answer PING within 1 s" in result.stderr


def test_a_sigterm_reaching_a_forked_child_before_its_own_handlers_ends_it() -> None:
    """rq forks its scheduler from the worker; until the scheduler installs its own handlers it has the
    worker's. A SIGTERM in that window used to set an event nobody there reads: the scheduler ran on and
    the worker waited for it forever."""
    from workers.__main__ import _install_stop_handlers

    previous = signal.getsignal(signal.SIGTERM), signal.getsignal(signal.SIGINT)
    try:
        stop = _install_stop_handlers()
        child = os.fork()
        if child == 0:  # the forked process, still with the parent's handlers
            time.sleep(5)
            os._exit(3)
        time.sleep(0.2)
        os.kill(child, signal.SIGTERM)
        started = time.monotonic()
        _pid, status = os.waitpid(child, 0)
        assert os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0
        assert time.monotonic() - started < 2
        assert not stop.is_set()  # the parent's own stop is untouched
    finally:
        signal.signal(signal.SIGTERM, previous[0])
        signal.signal(signal.SIGINT, previous[1])
