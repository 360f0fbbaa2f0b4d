"""The "status hub" convention: user tasks that stand for a record's status.

A status task is a ``bpmn:userTask`` whose ``spiffworkflow:properties`` hold::

    crm_kind          = status
    status            = <status id>
    allowed_next      = <id>,<id>,...                       (the statuses it may move to)
    transition_forms  = <id>:<form path>;<id>:<form path>   (optional; paths under forms/)

The process completes it with ``next_status`` in its data (``runtime.change_status``) and loops
back to a gateway that routes on ``status``. This module only parses the properties; it is
shared by the deploy checks and the runtime.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

KIND_PROPERTY = "crm_kind"
STATUS_KIND = "status"
STATUS_PROPERTY = "status"
ALLOWED_NEXT_PROPERTY = "allowed_next"
TRANSITION_FORMS_PROPERTY = "transition_forms"

_STATUS_ID = re.compile(r"^[a-z][a-z0-9_]*$")


def is_status_task(properties: Mapping[str, str]) -> bool:
    return properties.get(KIND_PROPERTY, "").strip() == STATUS_KIND


def check_status_id(value: str, what: str) -> str:
    """Return ``value`` stripped; ValueError unless it is a snake_case id."""
    status = value.strip()
    if not _STATUS_ID.match(status):
        raise ValueError(f"{what}: {value!r} is not a status id (lower-case letters, digits, _)")
    return status


def parse_allowed_next(value: str) -> list[str]:
    """``"a, b,c"`` → ``["a", "b", "c"]`` (order kept); ValueError for a bad or repeated id."""
    result: list[str] = []
    for part in value.split(","):
        if not part.strip():
            continue
        status = check_status_id(part, ALLOWED_NEXT_PROPERTY)
        if status in result:
            raise ValueError(f"{ALLOWED_NEXT_PROPERTY}: {status!r} is listed twice")
        result.append(status)
    return result


def parse_transition_forms(value: str) -> dict[str, str]:
    """``"disqualified:lead/d.schema.json; x:p"`` → ``{"disqualified": "lead/d.schema.json", ...}``.

    ValueError for an entry without ``:``, an empty path or a repeated status.
    """
    result: dict[str, str] = {}
    for part in value.split(";"):
        if not part.strip():
            continue
        status, sep, path = part.partition(":")
        if not sep or not path.strip():
            raise ValueError(
                f"{TRANSITION_FORMS_PROPERTY}: expected '<status>:<form path>', got {part.strip()!r}"
            )
        status = check_status_id(status, TRANSITION_FORMS_PROPERTY)
        if status in result:
            raise ValueError(f"{TRANSITION_FORMS_PROPERTY}: {status!r} is listed twice")
        result[status] = path.strip()
    return result
