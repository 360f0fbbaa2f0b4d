"""Injectable clock: ``now()`` is the real UTC time unless a ``frozen(at)`` block is active.

The frozen value lives in a ContextVar, so threads and asyncio tasks each see their own clock.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import datetime, timezone, tzinfo

_frozen_at: ContextVar[datetime | None] = ContextVar("workflows_clock_frozen_at", default=None)
_install_lock = threading.Lock()


def now() -> datetime:
    """Return the current time (aware, UTC), honouring ``frozen``."""
    value = _frozen_at.get()
    return value if value is not None else datetime.now(timezone.utc)


@contextmanager
def frozen(at: datetime) -> Iterator[datetime]:
    """Make ``now()`` (and SpiffWorkflow's timer evaluation) return ``at`` inside the block."""
    if at.tzinfo is None or at.utcoffset() is None:
        raise ValueError("clock.frozen() needs an aware datetime")
    at_utc = at.astimezone(timezone.utc)
    token = _frozen_at.set(at_utc)
    try:
        yield at_utc
    finally:
        _frozen_at.reset(token)


class _ClockDatetime(datetime):
    """A ``datetime`` whose ``now()`` follows this module's clock.

    SpiffWorkflow's timer module computes deadlines and decides whether a timer has fired with
    ``datetime.now(timezone.utc)``; it offers no hook for a clock. Replacing the module's
    ``datetime`` name with this subclass makes timers use the instant the command runs "at"
    (the ``now`` passed to ``workflows.runtime``), which is what lets the clock process and
    the tests fire timers deterministically. Every other datetime method is inherited unchanged.
    """

    @classmethod
    def now(cls, tz: tzinfo | None = None) -> _ClockDatetime:  # type: ignore[override]
        value = _frozen_at.get()
        if value is None:
            return super().now(tz)
        local = value.astimezone(tz) if tz is not None else value.astimezone().replace(tzinfo=None)
        return cls.combine(local.date(), local.timetz())


def install_spiff_timer_clock() -> None:
    """Point SpiffWorkflow's timer module at this clock (idempotent; called by ``Engine``)."""
    import SpiffWorkflow.bpmn.specs.event_definitions.timer as timer_module

    with _install_lock:
        if timer_module.datetime is not _ClockDatetime:
            timer_module.datetime = _ClockDatetime  # type: ignore[misc]
