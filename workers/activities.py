"""RQ job of the activities domain: planned activities whose due time passed become "expired".

Enqueued by the clock on every tick (`app.jobs.EXPIRE_ACTIVITIES`, a fixed job id); `app` never
imports this module.
"""
from __future__ import annotations

from app.activities import services as activities
from app.processes.services import now
from workers.runtime import quiet_unit_of_work


@quiet_unit_of_work
def expire_activities() -> int:
    """Mark every planned activity past its due time "expired" (one set-based UPDATE per batch).

    Idempotent: the UPDATE re-checks the status, so a second run finds nothing. Uses the injectable
    clock (`workflows.clock`), so tests run it at any instant.
    """
    return activities.expire_overdue_activities(now())
