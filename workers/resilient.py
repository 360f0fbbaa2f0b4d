"""An `rq.Worker` and scheduler that ride out a Redis outage quietly instead of dying or flooding.

Out of the box, rq 2.x survives a Redis outage only partly: the work loop retries the dequeue with
an ERROR line per attempt, the pubsub thread logs an ERROR every 2 s, and the scheduler process
(which `Retry(interval=...)` needs) dies with two tracebacks and is restarted only at the next
maintenance run, up to 10 minutes later. Here:

- `CrmWorker.heartbeat()` is where the outage is handled: rq calls it at the top of every dequeue
  attempt, after every job and while a work horse runs. When Redis is away it logs one WARNING,
  waits with backoff until Redis answers (or a stop is requested) and logs one INFO. When Redis
  came back empty (it keeps no snapshot), it registers the worker again, so `rq info` lists it.
- The pubsub thread's connection errors are retried at DEBUG; rq's own per-retry line for the
  dequeue is dropped (the heartbeat's line covers it).
- `ResilientScheduler` keeps its process alive through an outage and re-acquires its locks once
  Redis is back (rq's heartbeat re-acquires an expired lock; its line per queue is dropped too).
  It ends when the worker that forked it is gone (SIGKILLed, say), instead of lingering as an orphan.

Anything that still escapes `Worker.work()` (an outage in the middle of a job's bookkeeping) ends
that `work()` call; `workers.__main__` then waits for Redis and starts a fresh worker.
"""
from __future__ import annotations

import logging
import os
import threading
import time
from typing import Any

from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import RedisError
from rq import Worker
from rq.defaults import DEFAULT_LOGGING_DATE_FORMAT, DEFAULT_LOGGING_FORMAT
from rq.scheduler import RQScheduler
from rq.worker.base import BaseWorker

from workers.runtime import Backoff, rq_log_level

logger = logging.getLogger("workers")

#: Longest pause between two PINGs while Redis is away.
OUTAGE_BACKOFF_CAP = 10.0


class _DropConnectionRetries(logging.Filter):
    """Drops rq's per-retry and per-queue lines about an outage; `CrmWorker` logs one of its own."""

    NOISE = ("could not connect to Redis instance", "had expired; re-acquired")

    def filter(self, record: logging.LogRecord) -> bool:
        return not any(noise in str(record.msg) for noise in self.NOISE)


_DROP_CONNECTION_RETRIES = _DropConnectionRetries()


class ResilientScheduler(RQScheduler):  # type: ignore[misc]
    """rq's scheduler loop, except that a Redis error pauses it (with backoff) instead of ending it."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if _DROP_CONNECTION_RETRIES not in self.log.filters:
            self.log.addFilter(_DROP_CONNECTION_RETRIES)

    def work(self) -> None:
        self._install_signal_handlers()
        backoff = Backoff(initial=self.interval, cap=OUTAGE_BACKOFF_CAP)
        registered = False
        worker_pid = os.getppid()
        while not self._stop_requested:
            if os.getppid() != worker_pid:  # the worker died without stopping us: we were re-parented
                self.log.warning("scheduler: its worker (pid %s) is gone; stopping", worker_pid)
                break
            try:
                if not registered:
                    self.register_birth()
                    registered = True
                if self.should_reacquire_locks:
                    self.acquire_locks()
                self.heartbeat()
                self.enqueue_scheduled_jobs()
            except RedisError as e:
                self.log.debug("scheduler: Redis unavailable (%s), retrying", e)
                time.sleep(backoff.next())
                continue
            backoff.reset()
            time.sleep(self.interval)
        try:
            self.stop()
        except RedisError as e:
            self.log.debug("scheduler: could not release its locks (%s); they expire by themselves", e)


class QuietWorker(BaseWorker):  # type: ignore[misc]
    """Any rq worker class, minus the chatter: mix in before it (`class W(QuietWorker, Worker)`).

    rq logs four INFO lines per job (received, completed, "Job OK", result kept/discarded), and
    with a 5 s clock that is a screenful a minute of nothing happening. Its loggers run at
    `rq_log_level()` (WARNING unless CRM_LOG_LEVEL=DEBUG); our `unit_of_work` line says what a job
    did and how long it took.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("log_job_description", False)
        super().__init__(*args, **kwargs)
        self.log_result_lifespan = False
        if _DROP_CONNECTION_RETRIES not in self.log.filters:
            self.log.addFilter(_DROP_CONNECTION_RETRIES)

    def work(self, *args: Any, **kwargs: Any) -> bool:
        kwargs.setdefault("logging_level", rq_log_level())
        return bool(super().work(*args, **kwargs))


class CrmWorker(QuietWorker, Worker):  # type: ignore[misc]
    """The Procfile's forking worker: see the module docstring for what it changes and why."""

    #: Set by SIGTERM/SIGINT. rq's own `_stop_requested` is set only when a job is running (an idle
    #: worker raises StopRequested instead), so this is how a caller tells a stop from a failure.
    stop_requested = False

    #: The entry point's stop event: a SIGTERM that came before rq installed its own handlers (while
    #: the worker registered and started its scheduler) set only this, and rq would never see it.
    external_stop: threading.Event | None = None

    def request_stop(self, signum: int, frame: Any) -> None:
        self.stop_requested = True
        super().request_stop(signum, frame)

    def _install_signal_handlers(self) -> None:
        super()._install_signal_handlers()
        if self.external_stop is not None and self.external_stop.is_set():
            # rq's work loop checks this flag first thing and stops (no job is running yet).
            self.stop_requested = self._stop_requested = True

    def heartbeat(self, timeout: int | None = None, pipeline: Any = None) -> None:
        if pipeline is not None:  # only queues commands: nothing reaches Redis here
            super().heartbeat(timeout, pipeline)
            return
        try:
            super().heartbeat(timeout)
        except RedisConnectionError as e:
            self._wait_for_redis(e)
            super().heartbeat(timeout)
        if not self.connection.hexists(self.key, "birth"):
            # Redis restarted empty: the heartbeat just created a bare hash. Register again.
            logger.info("worker: Redis restarted empty; registering the worker again")
            self.connection.delete(self.key)
            self.register_birth()

    def _wait_for_redis(self, error: Exception) -> None:
        """Block until Redis answers PING again, or a stop is requested (then return at once)."""
        logger.warning("worker lost Redis (%s); waiting for it with backoff, jobs resume after", error)
        started = time.monotonic()
        backoff = Backoff(cap=OUTAGE_BACKOFF_CAP)
        while not (self.stop_requested or self._stop_requested):
            try:
                self.connection.ping()
                break
            except RedisError:
                time.sleep(backoff.next())
        else:
            return
        # The pubsub thread reconnects and resubscribes by itself (redis-py's on_connect).
        logger.info("worker: Redis answers again after %.1f s", time.monotonic() - started)

    def _pubsub_exception_handler(self, exc: Exception, pubsub: Any, pubsub_thread: Any) -> None:
        if isinstance(exc, RedisConnectionError):
            self.log.debug("pubsub: Redis unavailable (%s), retrying in 2 s", exc)
            time.sleep(2.0)
            return
        super()._pubsub_exception_handler(exc, pubsub, pubsub_thread)

    def _start_scheduler(self, burst: bool = False, logging_level: str | None = "INFO",
                         date_format: str = DEFAULT_LOGGING_DATE_FORMAT,
                         log_format: str = DEFAULT_LOGGING_FORMAT) -> None:
        # rq's own method with `ResilientScheduler` in place of `RQScheduler`.
        self.scheduler = ResilientScheduler(
            self.queues, connection=self.connection,
            logging_level=logging_level if logging_level is not None else self.log.level,
            date_format=date_format, log_format=log_format, serializer=self.serializer)
        self.scheduler.acquire_locks()
        if not self.scheduler.acquired_locks:
            return
        if burst:
            try:
                self.scheduler.register_birth()
                self.scheduler.enqueue_scheduled_jobs()
            finally:
                self.scheduler.release_locks()
                self.scheduler.register_death()
        else:
            self.scheduler.start()
