"""Counterparties and their contact persons: create, edit (optimistic locking), search, permissions.

Side effects: only `flush()`; the caller commits. Raises InvalidInput (field-keyed, human-readable),
NotFound, PermissionDenied, Conflict (stale version). Auto-fill by INN lives in `registry`.
"""
from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError

from app.auth.models import User
from app.counterparties import requisites
from app.counterparties.models import FIELDS, KINDS, TYPES, ContactPerson, Counterparty
from app.counterparties.registry import autofill  # noqa: F401  (re-exported: the services API)
from app.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from app.extensions import db
from app.pagination import Page, clamp

EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
SORTS: dict[str, tuple[Any, ...]] = {
    "name": (Counterparty.full_name.asc(), Counterparty.id.asc()),
    "-name": (Counterparty.full_name.desc(), Counterparty.id.desc()),
    "created": (Counterparty.created_at.asc(), Counterparty.id.asc()),
    "-created": (Counterparty.created_at.desc(), Counterparty.id.desc()),
}
MAX_LENGTHS = {"full_name": 500, "short_name": 255, "legal_address": 1000, "postal_address": 1000, "ceo": 255,
               "phone": 50, "email": 254, "bank_name": 255}
# Fields stored without spaces or dashes (people paste "7707 083 893").
NUMERIC_FIELDS = ("inn", "kpp", "ogrn", "okpo", "bank_account", "bik", "corr_account")
CONTACT_FIELDS = ("full_name", "position", "department", "phone", "email", "is_main")


# ---------------------------------------------------------------- permissions


def can_edit(user: User) -> bool:
    """CRM Managers, the Commercial Director and administrators create and edit counterparties."""
    cfg = current_app.config
    editors = {cfg["CRM_GROUP_CRM_MANAGER"], cfg["CRM_GROUP_COMMERCIAL_DIRECTOR"], cfg["CRM_GROUP_ADMIN"]}
    return bool(editors.intersection(user.group_ids))


def require_editor(user: User) -> None:
    """Raises PermissionDenied unless `user` may create and edit counterparties."""
    if not can_edit(user):
        raise PermissionDenied(_("Only CRM managers, the Commercial Director and administrators can edit clients."))


# ---------------------------------------------------------------- validation


def _text(value: Any, field: str, errors: dict[str, str]) -> str | None:
    """A submitted value as stripped text (None when empty); non-text values are a field error."""
    if value is None:
        return None
    if not isinstance(value, str):  # the card form's JSON Schema types every field as a string
        errors[field] = _("Enter text.")
        return None
    text = str(value).strip()
    if field in NUMERIC_FIELDS:
        text = requisites.compact(text)
    return text or None


def _clean(data: Mapping[str, Any], errors: dict[str, str]) -> dict[str, Any]:
    """The given fields, normalized; unknown fields are reported as errors."""
    cleaned: dict[str, Any] = {}
    for key, value in data.items():
        if key in ("id", "version", "csrf_token", "created_at", "updated_at", "created_by", "contacts", "action"):
            continue
        if key not in FIELDS:
            errors[key] = _("Unknown field.")
            continue
        cleaned[key] = _text(value, key, errors)
    return cleaned


def _validate(values: dict[str, Any], errors: dict[str, str], exclude_id: int | None = None) -> bool:
    """Check a complete set of counterparty values; add field-keyed messages to `errors`.

    Returns True when the INN belongs to another counterparty (the error code becomes `duplicate_inn`).
    """
    if values.get("type") not in TYPES and "type" not in errors:
        errors["type"] = _("Choose buyer, supplier or partner.")
    kind = values.get("kind")
    if kind not in KINDS and "kind" not in errors:
        errors["kind"] = _("Choose a legal entity, a sole proprietor or an individual.")
        kind = None
    if not values.get("full_name") and "full_name" not in errors:
        errors["full_name"] = _("This field is required.")
    for field, limit in MAX_LENGTHS.items():
        if values.get(field) and len(values[field]) > limit and field not in errors:
            errors[field] = _("Use at most %(n)s characters.", n=limit)
    requisites.check_requisites(values, kind, errors)
    email = values.get("email")
    if email and "email" not in errors and not EMAIL_RE.match(email):
        errors["email"] = _("Enter a valid email address.")
    inn = values.get("inn")
    if inn and "inn" not in errors:
        other = find_counterparty_by_inn(inn)
        if other is not None and other.id != exclude_id:
            errors["inn"] = _("A client with INN %(inn)s already exists: %(name)s.", inn=inn, name=other.display_name)
            return True
    return False


def _flush_unique_inn(counterparty: Counterparty) -> None:
    """Flush in a savepoint so a concurrent duplicate INN becomes a field error, not a 500."""
    try:
        with db.session.begin_nested():
            db.session.flush()
    except IntegrityError as e:
        raise InvalidInput(code="duplicate_inn", fields={
            "inn": _("A client with INN %(inn)s already exists.", inn=counterparty.inn)}) from e


# ---------------------------------------------------------------- counterparties


def create_counterparty(data: Mapping[str, Any], actor: User) -> Counterparty:
    """Create a counterparty from field → value data (buyer and legal entity by default).

    Raises PermissionDenied, InvalidInput (field errors; nothing is written).
    """
    require_editor(actor)
    errors: dict[str, str] = {}
    values: dict[str, Any] = {"type": "buyer", "kind": "legal_entity"}
    values.update({k: v for k, v in _clean(data, errors).items() if v is not None or k not in ("type", "kind")})
    duplicate = _validate(values, errors)
    if errors:
        raise InvalidInput(code="duplicate_inn" if duplicate and len(errors) == 1 else None, fields=errors)
    counterparty = Counterparty(created_by_id=actor.id, **{f: values.get(f) for f in FIELDS})
    counterparty.refresh_search_name()
    db.session.add(counterparty)
    _flush_unique_inn(counterparty)
    return counterparty


def update_counterparty(counterparty_id: int, data: Mapping[str, Any], actor: User,
                        expected_version: int | None) -> Counterparty:
    """Change the given fields (fields left out keep their values).

    Raises PermissionDenied, NotFound, Conflict (the record changed since `expected_version`),
    InvalidInput (field errors, or no `expected_version`: an edit must say which version it changes;
    nothing is written).
    """
    require_editor(actor)
    counterparty = get_counterparty(counterparty_id)
    if expected_version is not None and expected_version != counterparty.version:
        raise Conflict(_("This client was changed by someone else while you were editing. Reload and try again."))
    errors: dict[str, str] = {}
    changes = _clean(data, errors)
    values = {f: getattr(counterparty, f) for f in FIELDS}
    values.update(changes)
    duplicate = _validate(values, errors, exclude_id=counterparty.id)
    if errors:
        raise InvalidInput(code="duplicate_inn" if duplicate and len(errors) == 1 else None, fields=errors)
    if expected_version is None:  # an unversioned edit would silently overwrite someone else's
        raise InvalidInput(_("Reload the record and save again: the form did not say which version it edits."),
                           code="version_required", fields={"version": _("This field is required.")})
    for field, value in changes.items():
        setattr(counterparty, field, value)
    counterparty.refresh_search_name()
    try:
        _flush_unique_inn(counterparty)
    except StaleDataError as e:
        raise Conflict(_("This client was changed by someone else while you were editing. "
                         "Reload and try again.")) from e
    return counterparty


def get_counterparty(counterparty_id: int) -> Counterparty:
    counterparty = db.session.get(Counterparty, counterparty_id)
    if counterparty is None:
        raise NotFound(_("Client not found."))
    return counterparty


def find_counterparty_by_inn(inn: str) -> Counterparty | None:
    return db.session.scalar(sa.select(Counterparty).where(Counterparty.inn == requisites.compact(inn)))


def list_counterparties(q: str | None = None, type_filter: str | None = None, page: int = 1, per_page: int = 20,
                        sort: str = "name") -> Page[Counterparty]:
    """Search by name (case-insensitive, any alphabet) or INN prefix, filter by type, sort and paginate.

    `type_filter` None or "all" lists every type. Raises InvalidInput for an unknown type or sort.
    """
    where: list[Any] = []
    if type_filter and type_filter != "all":
        if type_filter not in TYPES:
            raise InvalidInput(fields={"type": _("Choose buyer, supplier or partner.")})
        where.append(Counterparty.type == type_filter)
    if sort not in SORTS:
        raise InvalidInput(fields={"sort": _("Sort by name, -name, created or -created.")})
    text = (q or "").strip()
    if text:
        condition = Counterparty.search_name.contains(text.lower(), autoescape=True)
        digits = requisites.compact(text)
        if digits.isdigit():
            condition = sa.or_(condition, Counterparty.inn.startswith(digits, autoescape=True))
        where.append(condition)
    page, per_page = clamp(page, per_page)
    total = db.session.scalar(sa.select(sa.func.count()).select_from(Counterparty).where(*where)) or 0
    items = list(db.session.scalars(sa.select(Counterparty).where(*where).order_by(*SORTS[sort])
                                    .limit(per_page).offset((page - 1) * per_page)))
    return Page(items=items, total=total, page=page, per_page=per_page)


# ---------------------------------------------------------------- contact persons


def _contact_values(data: Mapping[str, Any], errors: dict[str, str]) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for key, value in data.items():
        if key in ("id", "csrf_token", "counterparty_id"):
            continue
        if key not in CONTACT_FIELDS:
            errors[key] = _("Unknown field.")
        elif key == "is_main":
            values[key] = value is True or value in ("true", "on", "1")
        else:
            values[key] = _text(value, key, errors)
    return values


def _validate_contact(values: dict[str, Any], errors: dict[str, str]) -> None:
    if not values.get("full_name") and "full_name" not in errors:
        errors["full_name"] = _("This field is required.")
    for field, limit in (("full_name", 255), ("position", 255), ("department", 255), ("phone", 50), ("email", 254)):
        if values.get(field) and len(values[field]) > limit and field not in errors:
            errors[field] = _("Use at most %(n)s characters.", n=limit)
    if values.get("email") and "email" not in errors and not EMAIL_RE.match(values["email"]):
        errors["email"] = _("Enter a valid email address.")


def _demote_main(counterparty_id: int, except_id: int | None) -> None:
    # Flushed on its own so the partial unique index never sees two main contacts at once.
    db.session.execute(sa.update(ContactPerson).where(ContactPerson.counterparty_id == counterparty_id,
                                                      ContactPerson.id != (except_id or 0),
                                                      ContactPerson.is_main.is_(True))
                       .values(is_main=False).execution_options(synchronize_session="fetch"))


def get_contact(contact_id: int) -> ContactPerson:
    contact = db.session.get(ContactPerson, contact_id)
    if contact is None:
        raise NotFound(_("Contact person not found."))
    return contact


def add_contact(counterparty_id: int, data: Mapping[str, Any], actor: User | None) -> ContactPerson:
    """Add a contact person; `is_main` makes them the only main contact.

    `actor` None is the system itself (mail intake adding a sender's contact), not a user: no
    permission check. Raises PermissionDenied, NotFound, InvalidInput.
    """
    if actor is not None:
        require_editor(actor)
    counterparty = get_counterparty(counterparty_id)
    errors: dict[str, str] = {}
    values = _contact_values(data, errors)
    _validate_contact(values, errors)
    if errors:
        raise InvalidInput(fields=errors)
    if values.get("is_main"):
        _demote_main(counterparty.id, None)
    contact = ContactPerson(counterparty_id=counterparty.id, is_main=bool(values.pop("is_main", False)), **values)
    db.session.add(contact)
    db.session.flush()
    db.session.expire(counterparty, ["contacts"])
    return contact


def update_contact(contact_id: int, data: Mapping[str, Any], actor: User) -> ContactPerson:
    """Change the given fields of a contact person. Raises PermissionDenied, NotFound, InvalidInput."""
    require_editor(actor)
    contact = get_contact(contact_id)
    errors: dict[str, str] = {}
    changes = _contact_values(data, errors)
    values = {f: getattr(contact, f) for f in CONTACT_FIELDS}
    values.update(changes)
    _validate_contact(values, errors)
    if errors:
        raise InvalidInput(fields=errors)
    if changes.get("is_main"):
        _demote_main(contact.counterparty_id, contact.id)
    for field, value in changes.items():
        setattr(contact, field, value)
    db.session.flush()
    db.session.expire(contact.counterparty, ["contacts"])
    return contact


def remove_contact(contact_id: int, actor: User) -> int:
    """Delete a contact person; returns the counterparty id. Raises PermissionDenied, NotFound."""
    require_editor(actor)
    contact = get_contact(contact_id)
    counterparty_id = contact.counterparty_id
    db.session.delete(contact)
    db.session.flush()
    db.session.expire(contact.counterparty, ["contacts"])
    return counterparty_id
