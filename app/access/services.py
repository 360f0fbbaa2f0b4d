"""Lane resolution and permission checks shared by every domain.

Lanes are roles. A record supplies its own lane targets (`responsible`, `executor`, ...); the role
lanes map to groups whose ids come from settings, never from literals elsewhere.
"""
from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass

from flask import current_app

from app.auth.models import User
from app.auth.services import get_user, list_group_members

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class LaneTarget:
    user_id: int | None = None
    group_id: str | None = None

    @property
    def is_empty(self) -> bool:
        return self.user_id is None and self.group_id is None


def role_groups() -> dict[str, str]:
    cfg = current_app.config
    return {
        "commercial_director": cfg["CRM_GROUP_COMMERCIAL_DIRECTOR"],
        "crm_manager": cfg["CRM_GROUP_CRM_MANAGER"],
        "admin": cfg["CRM_GROUP_ADMIN"],
        "analyst": cfg["CRM_GROUP_ANALYST"],
    }


def resolve_lane(lane: str | None, record_targets: Mapping[str, LaneTarget]) -> LaneTarget:
    """Resolve a BPMN lane to one user or a candidate group.

    The record's own target wins (e.g. `executor` → the executor). An empty `responsible` falls back
    to the CRM Manager group, who may claim the task. An unknown lane goes to the administrators so
    that no task is ever unreachable.
    """
    groups = role_groups()
    if lane and lane in record_targets and not record_targets[lane].is_empty:
        return record_targets[lane]
    if lane in groups:
        return LaneTarget(group_id=groups[lane])
    if lane == "responsible":
        return LaneTarget(group_id=groups["crm_manager"])
    logger.warning("lane %r has no target; routing the task to the administrators", lane)
    return LaneTarget(group_id=groups["admin"])


def is_admin(user: User) -> bool:
    return user.in_group(current_app.config["CRM_GROUP_ADMIN"])


def is_analyst(user: User) -> bool:
    return user.in_group(current_app.config["CRM_GROUP_ANALYST"]) or is_admin(user)


def is_line_manager_of(manager: User, user_id: int | None) -> bool:
    if user_id is None:
        return False
    return get_user(user_id).line_manager_id == manager.id


def _config_groups(key: str) -> set[str]:
    return {g.strip() for g in str(current_app.config[key]).split(",") if g.strip()}


def sees_all_records(user: User) -> bool:
    """Administrators, the Commercial Director and the "All CRM Managers" role see every lead and deal."""
    allowed = _config_groups("CRM_VIEW_ALL_GROUPS") | {current_app.config["CRM_GROUP_COMMERCIAL_DIRECTOR"]}
    return is_admin(user) or bool(allowed & set(user.group_ids))


def is_commercial_director(user: User) -> bool:
    """Who may assign responsible persons and edit any lead or deal: the Commercial Director or an admin."""
    return is_admin(user) or user.in_group(current_app.config["CRM_GROUP_COMMERCIAL_DIRECTOR"])


def is_crm_manager(user: User) -> bool:
    return user.in_group(current_app.config["CRM_GROUP_CRM_MANAGER"])


def _responsible_groups() -> set[str]:
    cfg = current_app.config
    return {cfg["CRM_GROUP_CRM_MANAGER"], cfg["CRM_GROUP_COMMERCIAL_DIRECTOR"]}


def is_eligible_responsible(user: User) -> bool:
    """Who may be made responsible for a record: an active CRM Manager or Commercial Director."""
    return user.is_active and bool(_responsible_groups() & set(user.group_ids))


def eligible_responsibles() -> list[User]:
    """The people a "Responsible" picker offers: active members of the CRM Manager or Commercial Director group."""
    return list_group_members(sorted(_responsible_groups()))
