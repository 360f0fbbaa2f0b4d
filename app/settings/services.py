"""Reading and editing settings. Flushes only; the caller commits.

A value is read from the database at each use (`get_setting`), so a change applies at the next poll,
request or job, with no restart. Secret parts of a value are masked by the spec's `mask` everywhere a
value leaves the server (`shown_value`); `update_setting` puts the stored secret back where the
submitted value still carries the mask (`keep_secret`).
"""
from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from flask import Flask, current_app
from flask_babel import gettext as _

from app.access.services import is_admin
from app.auth.models import User
from app.errors import InvalidInput, NotFound, PermissionDenied
from app.extensions import db
from app.settings.models import Setting

MAX_VALUE_LENGTH = 4000
_EXTENSION = "crm_settings"


@dataclass(frozen=True)
class SettingSpec:
    """A setting a domain reads: its key, default value and description, and the rules of its value.

    `validate(value)` returns an error message or None. `mask(value)` hides the secret parts of a value
    (None: nothing secret). `keep_secret(new, old)` returns `new` with the masked secret parts taken
    from `old`, or raises InvalidInput when they cannot be (e.g. the server changed). `check(value)`
    tries the value out (a "Check connection" button): returns what it found, or raises SettingCheckFailed.
    """

    key: str
    default: str
    description: Any  # a lazy string
    validate: Callable[[str], str | None] | None = None
    mask: Callable[[str], str] | None = None
    keep_secret: Callable[[str, str], str] | None = None
    check: Callable[[str], str] | None = None


class SettingCheckFailed(Exception):
    """A setting's check found a problem; `str(e)` says what, in words (never with a secret in it)."""


@dataclass(frozen=True)
class SettingView:
    """A setting as the journal and the API show it: the value masked."""

    key: str
    value: str
    description: str
    is_secret: bool
    can_check: bool
    updated_at: datetime | None
    updated_by: str | None


def register_settings(app: Flask, specs: Iterable[SettingSpec]) -> None:
    """Declare settings on `app` (called by the declaring domain when its blueprint is registered)."""
    registry: dict[str, SettingSpec] = app.extensions.setdefault(_EXTENSION, {})
    for spec in specs:
        registry[spec.key] = spec


def registered_specs() -> dict[str, SettingSpec]:
    specs: dict[str, SettingSpec] = current_app.extensions.get(_EXTENSION, {})
    return specs


def get_spec(key: str) -> SettingSpec:
    """Raises NotFound for a key no domain declared."""
    spec = registered_specs().get(key)
    if spec is None:
        raise NotFound(_("There is no setting %(key)s.", key=key))
    return spec


def get_setting(key: str) -> str:
    """The current value of a setting (secrets included: for the code that uses it, never for display).

    The spec's default when the row does not exist yet. Raises NotFound for an undeclared key.
    """
    spec = get_spec(key)
    value = db.session.scalar(sa.select(Setting.value).where(Setting.key == key))
    return spec.default if value is None else value


def shown_value(key: str, value: str) -> str:
    """`value` as it may be shown in a page, an API answer or a log line (secrets masked)."""
    spec = registered_specs().get(key)
    if spec is not None and spec.mask is not None:
        return spec.mask(value)
    return value


def _view(spec: SettingSpec, row: Setting | None) -> SettingView:
    value = spec.default if row is None else row.value
    description = row.description if row is not None and row.description else str(spec.description)
    return SettingView(key=spec.key, value=shown_value(spec.key, value), description=description,
                       is_secret=spec.mask is not None, can_check=spec.check is not None,
                       updated_at=row.updated_at if row else None,
                       updated_by=row.updated_by.login if row is not None and row.updated_by else None)


def require_admin(actor: User) -> None:
    if not is_admin(actor):
        raise PermissionDenied(_("Only administrators can view and change the configuration."))


def list_settings(actor: User) -> list[SettingView]:
    """Every declared setting, sorted by key, secrets masked. Raises PermissionDenied (not an administrator)."""
    require_admin(actor)
    rows = {row.key: row for row in db.session.scalars(sa.select(Setting))}
    return [_view(spec, rows.get(key)) for key, spec in sorted(registered_specs().items())]


def view_setting(key: str, actor: User) -> SettingView:
    """One setting, secrets masked. Raises PermissionDenied, NotFound."""
    require_admin(actor)
    spec = get_spec(key)
    return _view(spec, db.session.get(Setting, key))


def update_setting(key: str, value: Any, actor: User, description: Any = None) -> SettingView:
    """Change a setting's value (and, when given, its description); returns the new view.

    The value is stripped and validated by the spec; a masked secret in it is replaced by the stored one.
    Raises PermissionDenied, NotFound, InvalidInput (field `value` or `description`): nothing changes.
    """
    require_admin(actor)
    spec = get_spec(key)
    if not isinstance(value, str):
        raise InvalidInput(fields={"value": _("Enter text.")})
    if description is not None and not isinstance(description, str):
        raise InvalidInput(fields={"description": _("Enter text.")})
    value = value.strip()
    if len(value) > MAX_VALUE_LENGTH:
        raise InvalidInput(fields={"value": _("Use at most %(n)s characters.", n=MAX_VALUE_LENGTH)})
    if description is not None and len(description) > MAX_VALUE_LENGTH:
        raise InvalidInput(fields={"description": _("Use at most %(n)s characters.", n=MAX_VALUE_LENGTH)})
    row = db.session.get(Setting, key)
    if spec.keep_secret is not None:
        value = spec.keep_secret(value, spec.default if row is None else row.value)
    if spec.validate is not None:
        message = spec.validate(value)
        if message:
            raise InvalidInput(fields={"value": message})
    if row is None:
        row = Setting(key=key, value=value, description="")
        db.session.add(row)
    row.value = value
    if description is not None:
        # The declared description (shown in the reader's language) is not copied into the row.
        text = description.strip()
        row.description = "" if text == str(spec.description) else text
    row.updated_by_id = actor.id
    db.session.flush()
    return _view(spec, row)


def ensure_settings() -> int:
    """Create the rows of declared settings that have none yet (with their defaults). Returns how many."""
    existing = set(db.session.scalars(sa.select(Setting.key)))
    added = 0
    for key, spec in registered_specs().items():
        if key not in existing:
            # No description of its own: the declared one is shown, in the reader's language.
            db.session.add(Setting(key=key, value=spec.default, description=""))
            added += 1
    db.session.flush()
    return added


def check_setting(key: str, actor: User) -> str:
    """Try the stored value of a setting out (e.g. log in to a mailbox); what was found, in words.

    Raises PermissionDenied, NotFound (no such setting, or it cannot be checked), SettingCheckFailed.
    """
    require_admin(actor)
    spec = get_spec(key)
    if spec.check is None:
        raise NotFound(_("The setting %(key)s cannot be checked.", key=key))
    return spec.check(get_setting(key))
