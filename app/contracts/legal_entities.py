"""Our legal entities directory: list, read, create and edit (optimistic locking) with validated requisites.

Administrators edit; everyone signed in reads. Side effects: only `flush()`; the caller commits.
Raises InvalidInput (field-keyed, human-readable), NotFound, PermissionDenied, Conflict (stale version).
"""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError

from app.access.services import is_admin
from app.auth.models import User
from app.contracts.models import LEGAL_ENTITY_FIELDS, LegalEntity
from app.counterparties import requisites
from app.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from app.extensions import db

MAX_LENGTHS = {"full_name": 500, "short_name": 255, "address": 1000, "bank_name": 255, "director_name": 255,
               "chief_accountant_name": 255}
# Stored without the spaces or dashes people paste ("7707 083 893").
NUMERIC_FIELDS = ("inn", "kpp", "ogrn", "bank_account", "bik", "corr_account")
# Fields a client may send back unchanged (the API's own answer) besides the editable ones.
_IGNORED = ("id", "version", "csrf_token", "created_at", "updated_at", "display_name")


def can_edit(user: User) -> bool:
    """Administrators maintain our legal entities."""
    return is_admin(user)


def require_editor(user: User) -> None:
    if not can_edit(user):
        raise PermissionDenied(_("Only administrators can edit our legal entities."))


def list_legal_entities(include_inactive: bool = False) -> list[LegalEntity]:
    """Our legal entities by name (active ones only unless `include_inactive`)."""
    query = sa.select(LegalEntity).order_by(LegalEntity.short_name, LegalEntity.full_name, LegalEntity.id)
    if not include_inactive:
        query = query.where(LegalEntity.is_active.is_(True))
    return list(db.session.scalars(query))


def get_legal_entity(legal_entity_id: int) -> LegalEntity:
    entity = db.session.get(LegalEntity, legal_entity_id)
    if entity is None:
        raise NotFound(_("Legal entity not found."))
    return entity


def default_legal_entity() -> LegalEntity | None:
    """The legal entity documents use when nothing names one: the first active one (lowest id)."""
    return db.session.scalar(sa.select(LegalEntity).where(LegalEntity.is_active.is_(True))
                             .order_by(LegalEntity.id).limit(1))


def _clean(data: Mapping[str, Any], errors: dict[str, str]) -> dict[str, Any]:
    """The given fields, typed and normalized; unknown fields and wrong types are field errors."""
    cleaned: dict[str, Any] = {}
    for key, value in data.items():
        if key in _IGNORED:
            continue
        if key not in LEGAL_ENTITY_FIELDS:
            errors[str(key)] = _("Unknown field.")
            continue
        if key == "is_active":
            if not isinstance(value, bool):
                errors[key] = _("Enter true or false.")
            else:
                cleaned[key] = value
            continue
        if value is None:
            cleaned[key] = None
            continue
        if not isinstance(value, str):
            errors[key] = _("Enter text.")
            continue
        text = value.strip()
        if key in NUMERIC_FIELDS:
            text = requisites.compact(text)
        cleaned[key] = text or None
    return cleaned


def _validate(values: dict[str, Any], errors: dict[str, str], exclude_id: int | None = None) -> None:
    for field in ("full_name", "inn"):
        if not values.get(field) and field not in errors:
            errors[field] = _("This field is required.")
    for field, limit in MAX_LENGTHS.items():
        if values.get(field) and len(values[field]) > limit and field not in errors:
            errors[field] = _("Use at most %(n)s characters.", n=limit)
    requisites.check_requisites(values, "legal_entity", errors)
    inn = values.get("inn")
    if inn and "inn" not in errors:
        other = db.session.scalar(sa.select(LegalEntity).where(LegalEntity.inn == inn))
        if other is not None and other.id != exclude_id:
            errors["inn"] = _("Our legal entity with INN %(inn)s already exists: %(name)s.", inn=inn,
                              name=other.display_name)


def _flush(entity: LegalEntity) -> None:
    """Flush in a savepoint: a concurrent duplicate INN is a field error, a concurrent edit a 409."""
    try:
        with db.session.begin_nested():
            db.session.flush()
    except IntegrityError as e:
        raise InvalidInput(fields={"inn": _("Our legal entity with INN %(inn)s already exists.",
                                            inn=entity.inn)}) from e
    except StaleDataError as e:
        raise Conflict() from e


def create_legal_entity(data: Mapping[str, Any], actor: User) -> LegalEntity:
    """Create one of our legal entities. Raises PermissionDenied, InvalidInput (nothing is written)."""
    require_editor(actor)
    errors: dict[str, str] = {}
    values = {"is_active": True, **_clean(data, errors)}
    if values.get("is_active") is None:
        values["is_active"] = True
    _validate(values, errors)
    if errors:
        raise InvalidInput(fields=errors)
    entity = LegalEntity(**{f: values.get(f) for f in LEGAL_ENTITY_FIELDS})
    db.session.add(entity)
    _flush(entity)
    return entity


def update_legal_entity(legal_entity_id: int, data: Mapping[str, Any], actor: User,
                        expected_version: Any) -> LegalEntity:
    """Change the given fields. `expected_version` is required: missing → InvalidInput, stale → Conflict."""
    require_editor(actor)
    entity = get_legal_entity(legal_entity_id)
    errors: dict[str, str] = {}
    changes = _clean(data, errors)
    if changes.get("is_active", True) is None:
        errors["is_active"] = _("Enter true or false.")
    values = {f: getattr(entity, f) for f in LEGAL_ENTITY_FIELDS}
    values.update(changes)
    _validate(values, errors, exclude_id=entity.id)
    if errors:
        raise InvalidInput(fields=errors)
    if expected_version is None or expected_version == "":
        raise InvalidInput(_("Reload the record and save again: the form did not say which version it edits."),
                           code="version_required", fields={"version": _("This field is required.")})
    if isinstance(expected_version, bool) or not isinstance(expected_version, int):
        raise InvalidInput(fields={"version": _("Enter a whole number.")})
    if expected_version != entity.version:
        raise Conflict()
    for field, value in changes.items():
        setattr(entity, field, value)
    _flush(entity)
    return entity


def legal_entity_json(entity: LegalEntity) -> dict[str, Any]:
    return {"id": entity.id, **{f: getattr(entity, f) for f in LEGAL_ENTITY_FIELDS},
            "display_name": entity.display_name, "version": entity.version}
