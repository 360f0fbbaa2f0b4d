"""Contact persons of any record kind: validated by forms/crud/contact.schema.json, one main contact.

Writes flush only. Raises NotFound, PermissionDenied, InvalidInput, Conflict.
"""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask_babel import gettext as _

from app.auth.models import User
from app.errors import InvalidInput, NotFound
from app.extensions import db
from app.processes import services as processes
from app.records.forms import clean_contact
from app.records.kinds import RecordKind
from app.records.services import check_version, get_record, require_edit


def add_contact(kind: RecordKind, record_id: int, data: Mapping[str, Any], actor: User) -> Any:
    record = get_record(kind, record_id, actor)
    require_edit(kind, record, actor)
    errors: dict[str, str] = {}
    values = clean_contact(data, errors)
    if errors:
        raise InvalidInput(fields=errors)
    if not record.contacts:
        values["is_main"] = True
    if values["is_main"]:
        for c in record.contacts:
            c.is_main = False
    contact = kind.contact_model(**values)
    record.contacts.append(contact)
    _touch(record)
    return contact


def _touch(record: Any) -> None:
    """A contact change is a change of its record: new search text, updated_at and row version."""
    db.session.flush()
    record.refresh_search_text()
    record.updated_at = processes.now()
    db.session.flush()


def _contact_of(record: Any, contact_id: int) -> Any:
    contact = next((c for c in record.contacts if c.id == contact_id), None)
    if contact is None:
        raise NotFound(_("Contact not found."))
    return contact


def update_contact(kind: RecordKind, record_id: int, contact_id: int, data: Mapping[str, Any], actor: User,
                   expected_version: Any) -> Any:
    """Change the given fields of a contact; `is_main` makes it the only main contact.

    Contacts are part of their record: `expected_version` is the record's version (required; a
    stale one is Conflict), and every contact change bumps it.
    """
    record = get_record(kind, record_id, actor)
    require_edit(kind, record, actor)
    contact = _contact_of(record, contact_id)
    errors: dict[str, str] = {}
    values = clean_contact(data, errors, partial=True)
    if errors:
        raise InvalidInput(fields=errors)
    check_version(record, expected_version)
    if values.get("is_main"):
        for c in record.contacts:
            c.is_main = c.id == contact.id
    elif "is_main" in values and contact.is_main:
        values["is_main"] = True  # one contact is always main; choose another main to change it
    for k, v in values.items():
        setattr(contact, k, v)
    _touch(record)
    return contact


def remove_contact(kind: RecordKind, record_id: int, contact_id: int, actor: User) -> None:
    record = get_record(kind, record_id, actor)
    require_edit(kind, record, actor)
    contact = _contact_of(record, contact_id)
    record.contacts.remove(contact)
    if contact.is_main and record.contacts:
        record.contacts[0].is_main = True
    _touch(record)
