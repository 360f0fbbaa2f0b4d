"""Names of RQ jobs and the after-commit publisher.

`app` never imports `workers`: services enqueue a job by its dotted name, and the job is published
only after the database transaction commits (a rollback drops it).

Redis is not a durable store here: the embedded one keeps no snapshot, and when Redis is down
`publish` logs one warning and drops the job rather than failing or stalling the request that
committed. So every job kind must be recoverable from the database: either it is one of the clock's
periodic jobs, or a periodic scan re-derives it (`RECOVERED_BY`; tests/workers/test_job_names.py
checks every name in ALL_JOBS). A job that cannot be re-derived needs an outbox table instead.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from flask import Flask, current_app
from redis import Redis
from redis.backoff import NoBackoff
from redis.exceptions import RedisError
from redis.retry import Retry
from sqlalchemy.orm import Session

logger = logging.getLogger(__name__)

FIRE_TIMERS = "workers.jobs.fire_timers"
ENQUEUE_DUE_TIMERS = "workers.jobs.enqueue_due_timers"
#: Planned activities past their due time become "expired" (periodic, run by the clock).
EXPIRE_ACTIVITIES = "workers.activities.expire_activities"
#: Generated documents: render one (workers/documents.py), and the clock's scan for lost ones.
RENDER_DOCUMENT = "workers.documents.render_document"
ENQUEUE_PENDING_DOCUMENTS = "workers.documents.enqueue_pending_documents"

#: Mail intake: the clock's scan of the mailbox settings, and the poll of one mailbox (workers/mail.py).
ENQUEUE_MAIL_POLLS = "workers.mail.enqueue_mail_polls"
POLL_MAILBOX = "workers.mail.poll_mailbox"
QUEUE_MAIL = "mail"
QUEUE_DOCUMENTS = "documents"
QUEUE_DEFAULT = "default"
QUEUES = (QUEUE_MAIL, QUEUE_DOCUMENTS, QUEUE_DEFAULT)

ALL_JOBS = (FIRE_TIMERS, ENQUEUE_DUE_TIMERS, EXPIRE_ACTIVITIES, RENDER_DOCUMENT, ENQUEUE_PENDING_DOCUMENTS,
            ENQUEUE_MAIL_POLLS, POLL_MAILBOX)
#: Job -> the periodic job (run by the clock) that re-derives it from the database when it was lost.
#: `fire_timers(id)` is due while the instance's `next_timer_at` has passed, which
#: `enqueue_due_timers` scans for. Periodic jobs themselves are listed in `workers.clock`.
RECOVERED_BY = {FIRE_TIMERS: ENQUEUE_DUE_TIMERS,
                # A document stays pending until rendered: the scan re-enqueues one left untouched too long.
                RENDER_DOCUMENT: ENQUEUE_PENDING_DOCUMENTS,
                # A mailbox's poll is enqueued again by the scan once its delay has passed.
                POLL_MAILBOX: ENQUEUE_MAIL_POLLS}

_PENDING_KEY = "crm_pending_jobs"


@dataclass(frozen=True)
class PendingJob:
    name: str
    args: tuple[Any, ...]
    queue: str
    job_id: str | None = None


def enqueue_after_commit(session: Session, name: str, *args: Any, queue: str = QUEUE_DEFAULT,
                         job_id: str | None = None) -> None:
    """Remember a job to publish once `session` commits. Args must be ids and JSON scalars."""
    session.info.setdefault(_PENDING_KEY, []).append(PendingJob(name, args, queue, job_id))


def publisher_connection(url: str, timeout: float) -> Redis:
    """The web's Redis connection: `timeout` s to connect and per command, no retries.

    redis-py's default retries a failed command three times with backoff (seconds), and without a
    socket timeout a Redis that accepts but never answers (stopped, overloaded) blocks forever.
    """
    return Redis.from_url(url, socket_connect_timeout=timeout, socket_timeout=timeout,
                          retry=Retry(NoBackoff(), 0))


def publish(app: Flask, job: PendingJob) -> None:
    """Hand `job` to its RQ queue (or record it, with CRM_JOBS_INLINE). Raises RedisError."""
    # Local import: rq is only needed when a job is actually published.
    from rq import Retry as JobRetry

    if app.config.get("CRM_JOBS_INLINE"):
        app.extensions.setdefault("crm_published_jobs", []).append(job)
        return
    queues = app.extensions["rq"]["queues"]
    queues[job.queue].enqueue(job.name, *job.args, job_id=job.job_id,
                              retry=JobRetry(max=3, interval=[5, 30, 120]))


def install_session_hooks(app: Flask, session_factory: Any) -> None:
    @sa.event.listens_for(session_factory, "after_commit")
    def _after_commit(session: Session) -> None:
        jobs = session.info.pop(_PENDING_KEY, [])
        for i, job in enumerate(jobs):
            try:
                publish(current_app._get_current_object() if _has_app() else app, job)  # type: ignore[attr-defined]
            except RedisError as e:
                # Redis is down or stalled: the commit stands and the request goes on. One line, no
                # traceback, and no second CRM_REDIS_TIMEOUT wait for the rest of this commit's jobs;
                # the clock's scans re-derive them (RECOVERED_BY) once Redis is back.
                lost = ", ".join(f"{j.name}{j.args!r}" for j in jobs[i:])
                logger.warning("Redis unavailable, not published (re-derived later): %s: %s", lost, e)
                break
            except Exception:
                logger.exception("could not publish job %s%r", job.name, job.args)

    @sa.event.listens_for(session_factory, "after_soft_rollback")
    def _after_rollback(session: Session, _previous: Any) -> None:
        session.info.pop(_PENDING_KEY, None)


def _has_app() -> bool:
    from flask import has_app_context  # noqa: local import to keep the module header small

    return has_app_context()
