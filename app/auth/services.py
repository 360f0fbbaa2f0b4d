"""Users, groups, passwords and API tokens.

Side effects: only `flush()`; the caller commits. Raises NotFound, InvalidInput, Conflict.
"""
from __future__ import annotations

import hashlib
import logging
import re
import secrets
import zoneinfo
from dataclasses import dataclass
from datetime import timedelta
from functools import lru_cache
from typing import Any

import sqlalchemy as sa
from flask import Flask, current_app, g, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import LoginManager
from werkzeug.security import check_password_hash, generate_password_hash

from app.auth.models import ApiToken, Group, User, UserSession, user_groups
from app.auth.throttle import install_throttling
from app.db import utcnow
from app.errors import Conflict, InvalidInput, NotAuthenticated, NotFound, PermissionDenied, wants_json
from app.extensions import db

logger = logging.getLogger(__name__)

LOGIN_RE = re.compile(r"^[a-z0-9][a-z0-9._-]{1,63}$")
EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
LOCALES = ("en", "ru")
MIN_OWN_PASSWORD_LENGTH = 8
#: `last_used_at` of a token is written at most this often (not one write per API request).
LAST_USED_RESOLUTION = timedelta(minutes=1)
#: A login session lives as long as the longest cookie that can carry it (Flask-Login's default).
DEFAULT_REMEMBER_DURATION = timedelta(days=365)


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
    """The active user with this login and password, else None.

    Always checks one password hash, against a dummy hash when the login is unknown or has no
    password, so the response time does not tell which logins exist (or are deactivated).
    """
    user = find_user_by_login(login)
    stored = user.password_hash if user is not None and user.password_hash else None
    matches = check_password_hash(stored or _dummy_hash(current_app.config["CRM_PASSWORD_HASH_METHOD"]), password)
    if user is None or stored is None or not matches or not user.is_active:
        return None
    return user


@lru_cache(maxsize=8)
def _dummy_hash(method: str) -> str:
    return generate_password_hash(secrets.token_urlsafe(16), method=method)


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
    """Update profile, groups and line manager. Raises InvalidInput, Conflict (stale version).

    A new password or a deactivation ends every session and revokes every token of the user.
    """
    user = get_user(user_id)
    if expected_version is not None and expected_version != user.version:
        raise Conflict()
    errors = _validate_user(data, creating=False, user=user)
    if errors:
        raise InvalidInput(fields=errors)
    deactivated = user.is_active_user and not data.is_active
    user.full_name = data.full_name.strip()
    user.email = (data.email or "").strip() or None
    user.locale = data.locale
    user.is_active_user = data.is_active
    if data.password:
        user.set_password(data.password, current_app.config["CRM_PASSWORD_HASH_METHOD"])
    if data.password or deactivated:
        end_all_sessions(user)
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


def _hash_secret(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


# ------------------------------------------------------------------------------ login sessions


def _session_lifetime() -> timedelta:
    configured = current_app.config.get("REMEMBER_COOKIE_DURATION", DEFAULT_REMEMBER_DURATION)
    remember = configured if isinstance(configured, timedelta) else timedelta(seconds=int(configured))
    return max(remember, current_app.permanent_session_lifetime)


def start_session(user: User) -> str:
    """Record a new login session of `user`; its key goes into the user's Flask-Login id.

    Also drops the user's sessions older than any cookie that could still carry them. Flushes.
    """
    key = secrets.token_urlsafe(24)
    db.session.execute(sa.delete(UserSession).where(UserSession.user_id == user.id,
                                                    UserSession.created_at < utcnow() - _session_lifetime()))
    db.session.add(UserSession(user_id=user.id, key_hash=_hash_secret(key)))
    db.session.flush()
    user.login_session_key = key
    return key


def end_session(user: User) -> None:
    """End the login session `user` was loaded with (logout): a copy of its cookies stops working."""
    if user.login_session_key:
        db.session.execute(sa.delete(UserSession).where(UserSession.user_id == user.id,
                                                        UserSession.key_hash == _hash_secret(user.login_session_key)))
        db.session.flush()
    user.login_session_key = ""


def end_all_sessions(user: User) -> None:
    """Invalidate every credential of `user`: sessions, remember-me cookies and API tokens.

    The new session generation makes every Flask-Login id issued so far unknown, the rows go, and
    the tokens are revoked. The current request stays logged in only if the caller starts a new
    session (`start_session`) and logs the user in again. Flushes.
    """
    user.session_generation = (user.session_generation or 0) + 1
    db.session.execute(sa.delete(UserSession).where(UserSession.user_id == user.id))
    db.session.execute(sa.update(ApiToken).where(ApiToken.user_id == user.id, ApiToken.is_revoked.is_(False))
                       .values(is_revoked=True))
    user.login_session_key = ""
    db.session.flush()


def load_session_user(identity: str) -> User | None:
    """The user of a Flask-Login id "<user id>:<generation>:<session key>" (session or remember-me
    cookie), if that session still exists, the generation is current and the user is active. One query."""
    parts = identity.split(":")
    if len(parts) != 3 or not parts[0].isdigit() or not parts[1].isdigit() or not parts[2]:
        return None  # an id from before sessions were recorded, or a malformed one
    user = db.session.scalar(
        sa.select(User).join(UserSession, UserSession.user_id == User.id)
        .where(User.id == int(parts[0]), User.session_generation == int(parts[1]),
               UserSession.key_hash == _hash_secret(parts[2]),
               UserSession.created_at >= utcnow() - _session_lifetime()))
    if user is None or not user.is_active:
        return None
    user.login_session_key = parts[2]
    return user


# ------------------------------------------------------------------------------ own profile


def change_own_password(user: User, current_password: str, new_password: str, repeated: str) -> User:
    """Change `user`'s password after checking the current one; ends all their sessions and tokens.

    Raises InvalidInput (wrong current password, a new one shorter than 8 characters, a mismatch).
    Flushes; the caller starts a new session for the request that made the change.
    """
    errors: dict[str, str] = {}
    if not user.password_hash or not check_password_hash(user.password_hash, current_password or ""):
        errors["current_password"] = _("The current password is wrong.")
    if len(new_password or "") < MIN_OWN_PASSWORD_LENGTH:
        errors["new_password"] = _("Use at least %(count)s characters.", count=MIN_OWN_PASSWORD_LENGTH)
    elif new_password != repeated:
        errors["new_password_repeat"] = _("The passwords do not match.")
    if errors:
        raise InvalidInput(fields=errors)
    user.set_password(new_password, current_app.config["CRM_PASSWORD_HASH_METHOD"])
    end_all_sessions(user)
    return user


@lru_cache(maxsize=1)
def timezone_choices() -> tuple[str, ...]:
    """IANA zone names a user may pick ("Europe/Moscow"), without the legacy aliases and "posix/" copies."""
    return tuple(sorted(z for z in zoneinfo.available_timezones()
                        if "/" in z and not z.startswith(("posix/", "right/", "Etc/", "SystemV/", "US/"))))


def update_own_settings(user: User, locale: str, timezone: str) -> User:
    """Set `user`'s language and timezone. Raises InvalidInput. Flushes."""
    errors: dict[str, str] = {}
    if locale not in LOCALES:
        errors["locale"] = _("Choose English or Russian.")
    if timezone not in timezone_choices():
        errors["timezone"] = _("Choose a timezone from the list.")
    if errors:
        raise InvalidInput(fields=errors)
    user.locale = locale
    user.timezone = timezone
    db.session.flush()
    return user


# ------------------------------------------------------------------------------ API tokens


def _is_admin(user: User) -> bool:
    # app.access.services.is_admin builds on this module, so it cannot be imported here.
    return user.in_group(current_app.config["CRM_GROUP_ADMIN"])


def issue_token(user: User, name: str = "") -> tuple[ApiToken, str]:
    """Create an API token for `user` valid for CRM_TOKEN_TTL_DAYS; returns it and the plain token
    (shown once: only its sha256 is stored). Raises InvalidInput for a name over 100 characters. Flushes."""
    name = (name or "").strip()
    if len(name) > 100:
        raise InvalidInput(fields={"name": _("Use at most 100 characters.")})
    plain = secrets.token_urlsafe(32)
    token = ApiToken(user_id=user.id, token_hash=_hash_secret(plain), name=name,
                     expires_at=utcnow() + timedelta(days=current_app.config["CRM_TOKEN_TTL_DAYS"]))
    db.session.add(token)
    db.session.flush()
    return token, plain


@dataclass
class TokenLogin:
    user: User
    #: True when `last_used_at` was written: the caller commits it.
    touched: bool


def authenticate_token(plain: str) -> TokenLogin | None:
    """The active user of an unrevoked, unexpired token (one query), marking the token used at
    most once per LAST_USED_RESOLUTION. Flushes when it marks."""
    row = db.session.execute(sa.select(ApiToken, User).join(User, ApiToken.user_id == User.id)
                             .where(ApiToken.token_hash == _hash_secret(plain))).first()
    now = utcnow()
    if row is None or not row.ApiToken.is_valid_at(now) or not row.User.is_active:
        return None
    token = row.ApiToken
    touched = token.last_used_at is None or now - token.last_used_at >= LAST_USED_RESOLUTION
    if touched:
        token.last_used_at = now
        db.session.flush()
    return TokenLogin(row.User, touched)


def user_for_token(plain: str) -> User | None:
    """The user of a valid token, or None (see `authenticate_token`)."""
    found = authenticate_token(plain)
    return found.user if found else None


def list_tokens(actor: User, login: str | None = None) -> list[ApiToken]:
    """The valid (unrevoked, unexpired) tokens of `actor`, or of `login` for an administrator,
    newest first. Raises PermissionDenied, NotFound."""
    owner = actor
    if login and login != actor.login:
        if not _is_admin(actor):
            raise PermissionDenied(_("Only administrators can see other users' tokens."))
        owner = get_user_by_login(login)
    return list(db.session.scalars(
        sa.select(ApiToken).where(ApiToken.user_id == owner.id, ApiToken.is_revoked.is_(False),
                                  ApiToken.expires_at > utcnow())
        .order_by(ApiToken.created_at.desc(), ApiToken.id.desc())))


def revoke_token(token_id: int, actor: User) -> ApiToken:
    """Revoke a token of `actor` (an administrator: anyone's). Someone else's token is NotFound,
    so ids do not reveal which tokens exist. Revoking twice is harmless. Flushes."""
    token = db.session.get(ApiToken, token_id)
    if token is None or (token.user_id != actor.id and not _is_admin(actor)):
        raise NotFound(_("Token not found."))
    token.is_revoked = True
    db.session.flush()
    return token


def install_login(app: Flask, manager: LoginManager) -> None:
    """Flask-Login wiring (session and remember-me ids, bearer tokens) and login throttling."""
    manager.login_view = "auth.login"
    manager.login_message = None

    @manager.user_loader
    def _load_user(identity: str) -> User | None:
        return load_session_user(identity)

    @app.before_request
    def _bearer_wins_over_session() -> None:
        # Flask-Login would prefer a session cookie; a request that carries a token is that token's user.
        header = request.headers.get("Authorization", "")
        if not header.startswith("Bearer "):
            return
        found = authenticate_token(header[len("Bearer "):].strip())
        g._login_user = found.user if found else manager.anonymous_user()
        if found and found.touched:
            # Its own small unit of work: a GET never commits, and `last_used_at` must not wait for
            # (or be lost with) the request's own transaction. Best effort under write contention.
            try:
                db.session.commit()
            except sa.exc.OperationalError:
                db.session.rollback()
                logger.warning("could not record the use of API token of user %s", found.user.id)

    @manager.unauthorized_handler
    def _unauthorized() -> Any:
        if wants_json():
            raise NotAuthenticated()
        return redirect(url_for("auth.login", next=request.full_path if request.method == "GET" else None))

    install_throttling(app)
