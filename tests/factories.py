"""Plain factory functions: add + flush, with sequence-unique fields."""
from __future__ import annotations

import itertools
from datetime import date, timedelta
from typing import Any

from flask import current_app

_seq = itertools.count(1)


def make_user(**overrides: Any) -> Any:
    from app.auth.services import UserData, create_user

    n = next(_seq)
    data = UserData(login=overrides.pop("login", f"user{n}"), full_name=overrides.pop("full_name", f"User {n}"),
                    email=overrides.pop("email", f"user{n}@example.org"), password=overrides.pop("password", "demo"),
                    **overrides)
    return create_user(data)


def make_standard_users() -> dict[str, Any]:
    """The demo cast: admin, director (Commercial Director), manager1/2 reporting to the director."""
    cfg = current_app.config
    return {
        "admin": make_user(login="admin", full_name="Anna Admin", group_ids=[cfg["CRM_GROUP_ADMIN"]]),
        "director": make_user(login="director", full_name="Dmitry Director",
                              group_ids=[cfg["CRM_GROUP_COMMERCIAL_DIRECTOR"]]),
        "manager1": make_user(login="manager1", full_name="Maria Manager", group_ids=[cfg["CRM_GROUP_CRM_MANAGER"]],
                              line_manager_login="director"),
        "manager2": make_user(login="manager2", full_name="Mikhail Manager", group_ids=[cfg["CRM_GROUP_CRM_MANAGER"]],
                              line_manager_login="director"),
        "analyst": make_user(login="analyst", full_name="Alex Analyst", group_ids=[cfg["CRM_GROUP_ANALYST"]]),
    }


def make_assignment(author: Any, **overrides: Any) -> Any:
    from app.assignments.services import AssignmentData, create_assignment

    today = overrides.pop("today", None)
    at = overrides.pop("at", None)
    data = AssignmentData(title=overrides.pop("title", f"Assignment {next(_seq)}"),
                          due_date=overrides.pop("due_date", date.today() + timedelta(days=3)), **overrides)
    return create_assignment(author, data, today=today, at=at)


def make_record(kind_name: str, actor: Any, contacts: list[dict[str, Any]] | None = None,
                observers: list[str] | None = None, **data: Any) -> Any:
    """A lead or deal (any registered record kind) as its card form gives it; `responsible` is a login."""
    from app.records import services as records
    from app.records.kinds import get_kind

    kind = get_kind(kind_name)
    record = records.create_record(kind, {"name": f"{kind_name.title()} {next(_seq)}", **data}, actor, contacts or [])
    if observers:
        records.set_observers(kind, record.id, observers, actor)
    return record
