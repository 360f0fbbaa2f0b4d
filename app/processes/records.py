"""The registry of record types that own process instances (assignment, lead, deal, ...).

Each record domain registers, in the app factory, how to describe a record for the task index
and how to resolve its record-specific lanes. This keeps `processes` free of imports from the
record domains (they import `processes`, not the other way round).
"""
from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from flask import Flask, current_app

from app.access.services import LaneTarget


@dataclass(frozen=True)
class RecordInfo:
    number: str
    title: str
    lanes: Mapping[str, LaneTarget] = field(default_factory=dict)
    author_id: int | None = None


@dataclass(frozen=True)
class RecordType:
    name: str
    describe: Callable[[int], RecordInfo]
    url_endpoint: str
    # Called when a task's assignee changes (claim / board drag), so the record follows the task.
    on_task_reassigned: Callable[[int, str | None, int], None] | None = None
    # Who may hand the record's tasks to someone else. True (the default, so that a new record kind
    # is safe without thinking about it): only the Commercial Director or an administrator, and only
    # to an eligible responsible person, because giving a lead's or deal's task away is assigning its
    # responsible. False: the process author or the assignee's line manager, to any active user
    # (ad-hoc assignments).
    reassign_requires_director: bool = True
    # The record's key fields as (label, value) pairs, translated and formatted for display, shown on
    # the pages of its tasks and returned as the task's `context` by the API. The caller has already
    # checked that the user may see the task.
    summary: Callable[[int], list[tuple[str, str]]] | None = None


def register_record_types(app: Flask, types: tuple[RecordType, ...]) -> None:
    app.extensions["crm_record_types"] = {t.name: t for t in types}


def record_type(name: str) -> RecordType:
    types: dict[str, Any] = current_app.extensions["crm_record_types"]
    return types[name]  # type: ignore[no-any-return]


def list_record_types() -> list[RecordType]:
    types: dict[str, RecordType] = current_app.extensions["crm_record_types"]
    return list(types.values())
