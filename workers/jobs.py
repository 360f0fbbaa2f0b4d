"""RQ jobs. Each takes ids and JSON scalars, reloads state, is safe to run twice, and calls one service.

Enqueue them by the dotted names in `app.jobs` (`FIRE_TIMERS`, `ENQUEUE_DUE_TIMERS`); `app` never
imports this module.
"""
from __future__ import annotations

import logging
from datetime import datetime, timezone

from flask import current_app
from redis import Redis
from rq import Queue, Retry, get_current_job
from rq.exceptions import DuplicateJobError

from app import jobs as names
from app.processes import services as process_services
from workers.runtime import quiet_unit_of_work, redis_connection, unit_of_work

logger = logging.getLogger(__name__)

#: How many due instances one `enqueue_due_timers` run hands out; the next clock tick takes the rest.
DUE_BATCH = 500
#: Retry a failing job after 5 s, 30 s and 2 min (a stale version, a locked row, a flaky service).
RETRY = Retry(max=3, interval=[5, 30, 120])
#: After its last retry failed, a `fire-timers-<id>` job stays in the failed registry this long and
#: keeps blocking a new one for the same instance, so a broken instance is not retried every tick.
FIRE_TIMERS_FAILURE_TTL = 15 * 60


def _utcnow() -> datetime:
    return datetime.now(timezone.utc)


def _redis() -> Redis:
    # Inside a worker, reuse the worker's connection; called directly (tests, shell), use the config.
    job = get_current_job()
    if job is not None:
        return job.connection
    return redis_connection(current_app.config["REDIS_URL"])


def fire_timers_job_id(instance_id: int) -> str:
    return f"fire-timers-{instance_id}"


@unit_of_work
def fire_timers(instance_id: int) -> bool:
    """Fire the BPMN timers of one process instance that are due now.

    Side effects: the instance advances (status, tasks, `next_timer_at`) in one transaction.
    Idempotent: the service re-checks `next_timer_at`, so a second run finds nothing due and returns
    False. Raises whatever the service raises (`Conflict` on a concurrent save); the wrapper rolls
    back and RQ retries.
    """
    return process_services.fire_due_timers(instance_id, _utcnow())


@quiet_unit_of_work
def enqueue_due_timers() -> int:
    """Enqueue `fire_timers` for every instance whose `next_timer_at` has passed (at most DUE_BATCH).

    Side effects: jobs on the `default` queue, one per instance, with job id `fire-timers-<id>`.
    An instance whose job is still queued, scheduled for a retry or running gets no second job.
    Finished jobs are not kept (`result_ttl=0`), so the id is free again for the next deadline.
    Returns the number of jobs enqueued. Logs at DEBUG only: each `fire_timers` logs its own line.

    This scan is also how a lost `fire_timers` job comes back: `next_timer_at` stays due until the
    timer fired, so after Redis restarted empty (or dropped a job) the next clock tick re-derives it.
    """
    ids = process_services.list_due_instance_ids(_utcnow(), DUE_BATCH)
    if not ids:
        return 0
    queue = Queue(names.QUEUE_DEFAULT, connection=_redis())
    enqueued = 0
    for instance_id in ids:
        try:
            queue.enqueue(names.FIRE_TIMERS, instance_id, job_id=fire_timers_job_id(instance_id), unique=True,
                          retry=RETRY, result_ttl=0, failure_ttl=FIRE_TIMERS_FAILURE_TTL)
        except DuplicateJobError:
            logger.debug("fire_timers(%s) is already pending", instance_id)
            continue
        enqueued += 1
    return enqueued
