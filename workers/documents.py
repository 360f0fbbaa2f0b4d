"""Document rendering jobs on the `documents` queue (enqueued by the names in `app.jobs`).

- `render_document(id)`: render one generated document (app.documents.generation.render_document).
- `enqueue_pending_documents()`: the clock's scan that re-enqueues pending documents whose job was lost.
"""
from __future__ import annotations

import logging

from rq import Queue, get_current_job
from rq.exceptions import DuplicateJobError

from app import jobs as names
from app.documents import generation
from app.processes.services import now
from workers.jobs import RETRY, _redis
from workers.runtime import quiet_unit_of_work, unit_of_work

logger = logging.getLogger(__name__)

#: How many pending documents one scan re-enqueues; the next clock tick takes the rest.
PENDING_BATCH = 200


@unit_of_work
def render_document(document_id: int) -> bool:
    """Render generated document `document_id` (.docx, and .pdf when LibreOffice is installed) into the
    Document Library and mark it ready.

    Idempotent: a document that is not pending is left alone. A template or data error marks it failed at once.
    Any other error rolls back and is raised, so RQ retries the job (5 s, 30 s, 2 min); on the last attempt
    (or when run outside RQ) the reason is recorded instead and the document shows as failed, with Retry.
    Each worker process converts to PDF with a LibreOffice profile of its own (named after the worker).
    """
    job = get_current_job()
    final_attempt = job is None or not job.retries_left
    worker = getattr(job, "worker_name", None) if job is not None else None
    return generation.render_document(document_id, worker=worker, final_attempt=final_attempt)


@quiet_unit_of_work
def enqueue_pending_documents() -> int:
    """Re-enqueue `render_document` for documents pending longer than generation.STALE_PENDING.

    A requested document's job is published after the commit; Redis keeps no snapshot, so a job lost with
    Redis would leave the document pending forever. Job id `render-document-<id>` with unique=True: one that
    is still queued, scheduled for a retry or running gets no second job. Returns how many were enqueued.
    """
    moment = now()
    ids = generation.list_stale_pending_ids(moment, PENDING_BATCH)
    if not ids:
        return 0
    queue = Queue(names.QUEUE_DOCUMENTS, connection=_redis())
    enqueued = 0
    for document_id in ids:
        try:
            queue.enqueue(names.RENDER_DOCUMENT, document_id, job_id=generation.render_job_id(document_id),
                          unique=True, retry=RETRY, result_ttl=0)
        except DuplicateJobError:
            logger.debug("render_document(%s) is already pending", document_id)
            continue
        enqueued += 1
    generation.touch_pending(ids, moment)
    return enqueued
