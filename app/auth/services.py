"""Users, groups, passwords and API tokens.

Side effects: only `flush()`; the caller commits. Raises NotFound, InvalidInput, Conflict.
"""
from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from flask import Flask, current_app, g, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import LoginManager

from app.auth.models import ApiToken, Group, User, user_groups
from app.errors import Conflict, InvalidInput, NotAuthenticated, NotFound, wants_json
from app.extensions import db

LOGIN_RE = re.compile(r"^[a-z0-9][a-z0-9._-]{1,63}$")
EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def default_groups(config: Any) -> dict[str, str]:
    return {
        config["CRM_GROUP_CRM_MANAGER"]: "CRM Manager",
        config["CRM_GROUP_COMMERCIAL_DIRECTOR"]: "Commercial Director",
        config["CRM_GROUP_ADMIN"]: "Administrator",
        config["CRM_GROUP_ANALYST"]: "Process analyst",
    }


def ensure_groups(groups: dict[str, str]) -> list[Group]:
    """Create the missing groups (id → name); existing ones are left as they are."""
    result = []
    for gid, name in groups.items():
        group = db.session.get(Group, gid)
        if group is None:
            group = Group(id=gid, name=name)
            db.session.add(group)
        result.append(group)
    db.session.flush()
    return result


def authenticate(login: str, password: str) -> User | None:
    user = find_user_by_login(login)
    if user is None or not user.is_active or not user.check_password(password):
        return None
    return user


def find_user_by_login(login: str) -> User | None:
    return db.session.scalar(sa.select(User).where(User.login == (login or "").strip().lower()))


def get_user(user_id: int) -> User:
    user = db.session.get(User, user_id)
    if user is None:
        raise NotFound(_("User not found."))
    return user


def get_user_by_login(login: str) -> User:
    user = find_user_by_login(login)
    if user is None:
        raise NotFound(_("User %(login)s not found.", login=login))
    return user


@dataclass
class UserData:
    login: str
    full_name: str
    email: str | None = None
    password: str | None = None
    locale: str = "en"
    line_manager_login: str | None = None
    group_ids: list[str] | None = None
    is_active: bool = True


def _validate_user(data: UserData, *, creating: bool, user: User | None = None) -> dict[str, str]:
    errors: dict[str, str] = {}
    login = (data.login or "").strip().lower()
    if creating:
        if not LOGIN_RE.match(login):
            errors["login"] = _("Use 2–64 lowercase letters, digits, dots, dashes or underscores.")
        elif find_user_by_login(login) is not None:
            errors["login"] = _("This login is taken.")
    if not (data.full_name or "").strip():
        errors["full_name"] = _("This field is required.")
    if data.email and not EMAIL_RE.match(data.email.strip()):
        errors["email"] = _("Enter a valid email address.")
    if creating and not data.password:
        errors["password"] = _("This field is required.")
    if data.password and len(data.password) < 4:
        errors["password"] = _("Use at least 4 characters.")
    if data.locale not in ("en", "ru"):
        errors["locale"] = _("Choose English or Russian.")
    if data.line_manager_login:
        manager = find_user_by_login(data.line_manager_login)
        if manager is None:
            errors["line_manager"] = _("User %(login)s not found.", login=data.line_manager_login)
        elif user is not None and _would_cycle(user, manager):
            errors["line_manager"] = _("A user cannot report to themselves or to their own subordinate.")
    for gid in data.group_ids or []:
        if db.session.get(Group, gid) is None:
            errors["groups"] = _("Unknown group %(group)s.", group=gid)
    return errors


def _would_cycle(user: User, manager: User) -> bool:
    seen: set[int] = set()
    current: User | None = manager
    while current is not None and current.id not in seen:
        if current.id == user.id:
            return True
        seen.add(current.id)
        current = current.line_manager
    return False


def create_user(data: UserData) -> User:
    """Create a user. Raises InvalidInput with field errors."""
    errors = _validate_user(data, creating=True)
    if errors:
        raise InvalidInput(fields=errors)
    user = User(login=data.login.strip().lower(), full_name=data.full_name.strip(),
                email=(data.email or "").strip() or None, locale=data.locale, is_active_user=data.is_active)
    user.set_password(data.password or "", current_app.config["CRM_PASSWORD_HASH_METHOD"])
    if data.line_manager_login:
        user.line_manager = find_user_by_login(data.line_manager_login)
    user.groups = [db.session.get(Group, gid) for gid in (data.group_ids or [])]  # type: ignore[misc]
    db.session.add(user)
    db.session.flush()
    return user


def update_user(user_id: int, data: UserData, expected_version: int | None) -> User:
    """Update profile, groups and line manager. Raises InvalidInput, Conflict (stale version)."""
    user = get_user(user_id)
    if expected_version is not None and expected_version != user.version:
        raise Conflict()
    errors = _validate_user(data, creating=False, user=user)
    if errors:
        raise InvalidInput(fields=errors)
    user.full_name = data.full_name.strip()
    user.email = (data.email or "").strip() or None
    user.locale = data.locale
    user.is_active_user = data.is_active
    if data.password:
        user.set_password(data.password, current_app.config["CRM_PASSWORD_HASH_METHOD"])
    user.line_manager = find_user_by_login(data.line_manager_login) if data.line_manager_login else None
    if data.group_ids is not None:
        user.groups = [db.session.get(Group, gid) for gid in data.group_ids]  # type: ignore[misc]
    db.session.flush()
    return user


def list_users(include_inactive: bool = True) -> list[User]:
    query = sa.select(User).order_by(User.full_name, User.login)
    if not include_inactive:
        query = query.where(User.is_active_user.is_(True))
    return list(db.session.scalars(query))


def list_group_members(group_ids: list[str]) -> list[User]:
    """Active members of any of `group_ids`, by name."""
    member = sa.select(user_groups.c.user_id).where(user_groups.c.group_id.in_(group_ids))
    return list(db.session.scalars(sa.select(User).where(User.id.in_(member), User.is_active_user.is_(True))
                                   .order_by(User.full_name, User.login)))


def list_groups() -> list[Group]:
    return list(db.session.scalars(sa.select(Group).order_by(Group.id)))


def subordinate_ids(manager_id: int) -> list[int]:
    """Direct subordinates (users whose line manager is `manager_id`)."""
    return list(db.session.scalars(sa.select(User.id).where(User.line_manager_id == manager_id)))


def _hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def issue_token(user: User) -> str:
    """Create an API token for `user`; returns the plain token (shown once)."""
    token = secrets.token_urlsafe(32)
    db.session.add(ApiToken(user_id=user.id, token_hash=_hash_token(token)))
    db.session.flush()
    return token


def user_for_token(token: str) -> User | None:
    """The active user of a valid, unrevoked token (one query; groups load when a check needs them)."""
    user = db.session.scalar(sa.select(User).join(ApiToken, ApiToken.user_id == User.id)
                             .where(ApiToken.token_hash == _hash_token(token), ApiToken.is_revoked.is_(False)))
    return user if user is not None and user.is_active else None


def install_login(app: Flask, manager: LoginManager) -> None:
    manager.login_view = "auth.login"
    manager.login_message = None

    @manager.user_loader
    def _load_user(user_id: str) -> User | None:
        user = db.session.get(User, int(user_id)) if user_id.isdigit() else None
        return user if user is not None and user.is_active else None

    @app.before_request
    def _bearer_wins_over_session() -> None:
        # Flask-Login would prefer a session cookie; a request that carries a token is that token's user.
        header = request.headers.get("Authorization", "")
        if header.startswith("Bearer "):
            g._login_user = user_for_token(header[len("Bearer "):].strip()) or manager.anonymous_user()

    @manager.unauthorized_handler
    def _unauthorized() -> Any:
        if wants_json():
            raise NotAuthenticated()
        return redirect(url_for("auth.login", next=request.full_path if request.method == "GET" else None))
