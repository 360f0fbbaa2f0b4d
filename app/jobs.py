"""Names of RQ jobs and the after-commit publisher.

`app` never imports `workers`: services enqueue a job by its dotted name, and the job is published
only after the database transaction commits (a rollback drops it).
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from flask import Flask, current_app
from sqlalchemy.orm import Session

logger = logging.getLogger(__name__)

FIRE_TIMERS = "workers.jobs.fire_timers"
ENQUEUE_DUE_TIMERS = "workers.jobs.enqueue_due_timers"

QUEUE_MAIL = "mail"
QUEUE_DOCUMENTS = "documents"
QUEUE_DEFAULT = "default"
QUEUES = (QUEUE_MAIL, QUEUE_DOCUMENTS, QUEUE_DEFAULT)

ALL_JOBS = (FIRE_TIMERS, ENQUEUE_DUE_TIMERS)

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


def publish(app: Flask, job: PendingJob) -> None:
    # Local import: rq is only needed when a job is actually published.
    from rq import Retry

    if app.config.get("CRM_JOBS_INLINE"):
        app.extensions.setdefault("crm_published_jobs", []).append(job)
        return
    queues = app.extensions["rq"]["queues"]
    queues[job.queue].enqueue(job.name, *job.args, job_id=job.job_id,
                              retry=Retry(max=3, interval=[5, 30, 120]))


def install_session_hooks(app: Flask, session_factory: Any) -> None:
    @sa.event.listens_for(session_factory, "after_commit")
    def _after_commit(session: Session) -> None:
        jobs = session.info.pop(_PENDING_KEY, [])
        for job in jobs:
            try:
                publish(current_app._get_current_object() if _has_app() else app, job)  # type: ignore[attr-defined]
            except Exception:
                logger.exception("could not publish job %s%r", job.name, job.args)

    @sa.event.listens_for(session_factory, "after_soft_rollback")
    def _after_rollback(session: Session, _previous: Any) -> None:
        session.info.pop(_PENDING_KEY, None)


def _has_app() -> bool:
    from flask import has_app_context  # noqa: local import to keep the module header small

    return has_app_context()
