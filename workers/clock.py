"""`python -m workers.clock`: every CRM_CLOCK_INTERVAL seconds (default 5), enqueue periodic jobs.

The clock only publishes: the work runs in the worker. Each periodic job has a fixed job id and is
enqueued with `unique=True`, so a slow worker never finds a pile of identical jobs. It needs no
Flask app and no database, only Redis; it waits for Redis like the worker, keeps going when Redis
hiccups, and exits cleanly on SIGTERM or SIGINT (honcho stops processes with SIGTERM).
"""
from __future__ import annotations

import logging
import os
import signal
import sys
import threading
from types import FrameType

from redis import Redis
from redis.exceptions import RedisError
from rq import Queue
from rq.exceptions import DuplicateJobError

from app import jobs as names
from app.config import Config
from workers.runtime import configure_logging, wait_for_redis

logger = logging.getLogger("workers.clock")

DEFAULT_INTERVAL = 5.0
#: (job name, job id, queue) enqueued on every tick. Mailbox polls join here (each at its own delay).
PERIODIC_JOBS: tuple[tuple[str, str, str], ...] = (
    (names.ENQUEUE_DUE_TIMERS, "enqueue-due-timers", names.QUEUE_DEFAULT),
)


def interval_from_env() -> float:
    raw = os.environ.get("CRM_CLOCK_INTERVAL", "")
    try:
        value = float(raw) if raw else DEFAULT_INTERVAL
    except ValueError:
        logger.warning("CRM_CLOCK_INTERVAL=%r is not a number, using %s s", raw, DEFAULT_INTERVAL)
        return DEFAULT_INTERVAL
    return max(value, 0.1)


def tick(conn: Redis) -> int:
    """Enqueue each periodic job unless the previous one is still pending. Returns how many were new."""
    enqueued = 0
    for name, job_id, queue_name in PERIODIC_JOBS:
        try:
            # result_ttl=0: a finished run frees the id at once; a failed one blocks it for a minute.
            Queue(queue_name, connection=conn).enqueue(name, job_id=job_id, unique=True, result_ttl=0,
                                                       failure_ttl=60)
            enqueued += 1
        except DuplicateJobError:
            logger.debug("%s is still pending", job_id)
    return enqueued


def run(conn: Redis, interval: float, stop: threading.Event) -> None:
    logger.info("clock ticking every %s s", interval)
    while not stop.is_set():
        try:
            tick(conn)
        except RedisError as e:
            logger.warning("clock tick failed, will retry: %s", e)
        stop.wait(interval)
    logger.info("clock stopped")


def main() -> int:
    configure_logging()
    stop = threading.Event()

    def _stop(signum: int, _frame: FrameType | None) -> None:
        logger.info("received %s, stopping", signal.Signals(signum).name)
        stop.set()

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    url = Config.from_env().REDIS_URL
    try:
        conn = wait_for_redis(url)
    except RedisError as e:
        logger.error("%s", e)
        return 1
    run(conn, interval_from_env(), stop)
    return 0


if __name__ == "__main__":
    sys.exit(main())
