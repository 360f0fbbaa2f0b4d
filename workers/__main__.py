"""`python -m workers [QUEUE ...] [--burst]`: the RQ worker (a forking `rq.Worker`).

Waits for Redis to answer PING (under honcho the `redis` process may still be starting; for as
long as it takes unless `--redis-timeout` is given), then builds the Flask app once before forking,
then works the queues in the order given (default: mail, documents, default) with the RQ scheduler
enabled, which `Retry(interval=...)` needs.

It never exits because Redis went away, since honcho would then stop every process: the worker
(`workers.resilient.CrmWorker`) waits for Redis inside its loop, and if an outage still ends a
`work()` call, this entry point waits for Redis again and starts a fresh worker. SIGTERM/SIGINT stop
it (rq's warm shutdown: the running job finishes first).
"""
from __future__ import annotations

import argparse
import logging
import os
import signal
import sys
import threading
import time
from types import FrameType

from redis import Redis
from redis.exceptions import RedisError

from flask import Flask

from app import jobs as names
from app.documents import rendering
from app.extensions import db
from app.processes import services as processes
from workers.resilient import CrmWorker
from workers.runtime import Backoff, configure_logging, get_app, secure_config, wait_for_redis

logger = logging.getLogger("workers")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m workers", description="Run the CRM's RQ worker.")
    parser.add_argument("queues", nargs="*", metavar="QUEUE",
                        help=f"queues in priority order (default: {' '.join(names.QUEUES)})")
    parser.add_argument("--burst", action="store_true", help="exit when the queues are empty")
    parser.add_argument("--redis-timeout", type=float, default=None,
                        help="give up (exit 1) if Redis does not answer within this many seconds at start "
                             "(default: wait for as long as it takes)")
    args = parser.parse_args(argv)
    queues = args.queues or list(names.QUEUES)
    unknown = sorted(set(queues) - set(names.QUEUES))
    if unknown:
        parser.error(f"unknown queue(s) {', '.join(unknown)}; choose from {', '.join(names.QUEUES)}")
    configure_logging()
    config = secure_config()
    if config is None:
        return 1

    url = config.REDIS_URL
    stop = _install_stop_handlers()
    try:
        conn = wait_for_redis(url, timeout=args.redis_timeout, stop=stop)
    except RedisError as e:
        logger.error("%s", e)
        return 1
    if conn is None:  # stopped while waiting
        return 0
    warm_up(get_app(), queues)  # build once here, before forking, so every work horse inherits it
    logger.info("worker on %s, queues: %s", url, ", ".join(queues))
    return serve(url, conn, queues, burst=args.burst, stop=stop)


def warm_up(app: Flask, queues: list[str]) -> None:
    """Do the per-process work of the queues' jobs once, before forking: rq runs each job in a fresh
    work horse forked from this process, which inherits what is warm here and forgets what it warms
    itself (the parsed BPMN versions a process start or timer needs, the compiled document templates)."""
    with app.app_context():
        try:
            processes.parse_latest_versions()
            if names.QUEUE_DOCUMENTS in queues:
                rendering.warm_up()
        except Exception:  # a cold start is slower, not wrong: the jobs do this work themselves
            logger.exception("warm-up before forking failed; jobs will start cold")
        finally:
            db.session.remove()


#: A worker that ran this long before its `work()` ended is restarted after the shortest delay again.
HEALTHY_RUN = 60.0


def serve(url: str, conn: Redis, queues: list[str], burst: bool, stop: threading.Event) -> int:
    """Work the queues; when a `work()` call ends without a stop request, start a fresh worker."""
    restarts = Backoff(initial=1.0, cap=30.0)
    while not stop.is_set():  # a SIGTERM may have come while the app was being built
        worker = CrmWorker(queues, connection=conn)
        worker.external_stop = stop
        started = time.monotonic()
        try:
            worker.work(burst=burst, with_scheduler=True)
        except RedisError as e:
            # An outage during rq's own bookkeeping (a job's result, the worker's deregistration).
            logger.debug("worker.work() ended on a Redis error: %s", e)
        finally:
            _install_stop_handlers(stop)  # rq replaced ours with its own while it worked
        if burst or stop.is_set() or worker.stop_requested:
            return 0
        if time.monotonic() - started >= HEALTHY_RUN:
            restarts.reset()
        delay = restarts.next()
        logger.warning("the RQ worker stopped unexpectedly; starting a new one in %.0f s", delay)
        if stop.wait(delay):
            return 0
        reconnected = wait_for_redis(url, stop=stop)
        if reconnected is None:
            return 0
        conn = reconnected
    return 0


def _install_stop_handlers(stop: threading.Event | None = None) -> threading.Event:
    stop = stop or threading.Event()
    pid = os.getpid()

    def _stop(_signum: int, _frame: FrameType | None) -> None:
        if os.getpid() != pid:
            # A process forked from this one (rq's scheduler) that has not installed its own handlers
            # yet: setting the event would go unseen there and the worker would wait for it forever
            # (a SIGTERM right after start-up hung the worker in `join()`). Nothing has started there.
            os._exit(0)
        stop.set()

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    return stop


if __name__ == "__main__":
    sys.exit(main())
