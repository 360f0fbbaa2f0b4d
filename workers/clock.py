"""`python -m workers.clock`: every CRM_CLOCK_INTERVAL seconds (default 5), enqueue periodic jobs.

The clock only publishes: the work runs in the worker. Each periodic job has a fixed job id and is
enqueued with `unique=True`, so a slow worker never finds a pile of identical jobs. It needs no
Flask app and no database, only Redis. It never exits because Redis is away (honcho would stop
every process): it waits for Redis at start, and during an outage it logs one line, retries with
backoff and logs one line when Redis is back; the first tick after that re-derives the jobs Redis
lost, since the periodic scans read the database. Idle ticks log at DEBUG only. It exits cleanly on
SIGTERM or SIGINT (honcho stops processes with SIGTERM).
"""
from __future__ import annotations

import logging
import os
import signal
import sys
import threading
import time
from types import FrameType

from redis import Redis
from redis.exceptions import RedisError
from rq import Queue
from rq.exceptions import DuplicateJobError

from app import jobs as names
from workers.runtime import Backoff, configure_logging, secure_config, wait_for_redis

logger = logging.getLogger("workers.clock")

DEFAULT_INTERVAL = 5.0
#: (job name, job id, queue) enqueued on every tick. Mailbox polls join here (each at its own delay).
PERIODIC_JOBS: tuple[tuple[str, str, str], ...] = (
    (names.ENQUEUE_DUE_TIMERS, "enqueue-due-timers", names.QUEUE_DEFAULT),
    (names.EXPIRE_ACTIVITIES, "expire-activities", names.QUEUE_DEFAULT),
    (names.ENQUEUE_PENDING_DOCUMENTS, "enqueue-pending-documents", names.QUEUE_DOCUMENTS),
    # Mailbox polls: the scan reads the mailbox settings and enqueues each mailbox's poll at its `delay`.
    (names.ENQUEUE_MAIL_POLLS, "enqueue-mail-polls", names.QUEUE_MAIL),
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
            logger.debug("enqueued %s", job_id)
        except DuplicateJobError:
            logger.debug("%s is still pending", job_id)
    return enqueued


#: Longest pause between two attempts while Redis is away.
OUTAGE_BACKOFF_CAP = 30.0
#: Seconds to wait for each Redis reply: a stalled Redis counts as an outage, not a hang.
SOCKET_TIMEOUT = 10.0


def run(conn: Redis, interval: float, stop: threading.Event) -> None:
    """Tick every `interval` s until `stop` is set; while Redis is away, retry with backoff."""
    logger.info("clock ticking every %s s", interval)
    backoff = Backoff(initial=interval, cap=max(interval, OUTAGE_BACKOFF_CAP))
    down_since: float | None = None
    while not stop.is_set():
        try:
            tick(conn)
        except RedisError as e:
            if down_since is None:
                down_since = time.monotonic()
                logger.warning("Redis is unavailable (%s); the clock keeps retrying with backoff", e)
            delay = backoff.next()
        else:
            if down_since is not None:
                logger.info("Redis is back after %.0f s; the periodic scans re-derive what it lost",
                            time.monotonic() - down_since)
                down_since = None
                backoff.reset()
            delay = interval
        stop.wait(delay)
    logger.info("clock stopped")


def main() -> int:
    configure_logging()
    stop = threading.Event()

    def _stop(signum: int, _frame: FrameType | None) -> None:
        logger.info("received %s, stopping", signal.Signals(signum).name)
        stop.set()

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    # The clock signs nothing itself, but it is part of a deployment that must not run on the
    # development key: refuse like the web and the worker do.
    config = secure_config()
    if config is None:
        return 1
    url = config.REDIS_URL
    conn = wait_for_redis(url, stop=stop, socket_timeout=SOCKET_TIMEOUT)
    if conn is None:  # stopped while waiting
        return 0
    run(conn, interval_from_env(), stop)
    return 0


if __name__ == "__main__":
    sys.exit(main())
