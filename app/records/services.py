"""Every record kind's services: visibility, get/edit, create/update with history, responsible,
observers, the status hub (single and bulk) and the generic service tasks.

Every function takes the `RecordKind` first. Writes flush only; the caller commits; nothing here
rolls back. Raises NotFound (unknown or invisible record), PermissionDenied, InvalidInput, Conflict.
"""
from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _

from app.access.services import (
    LaneTarget,
    is_commercial_director,
    is_crm_manager,
    is_eligible_responsible,
    sees_all_records,
)
from app.activities import services as history
from app.auth.models import User
from app.auth.services import find_user_by_login
from app.counterparties import services as counterparties
from app.db import next_number
from app.errors import Conflict, CrmError, InvalidInput, NotFound, PermissionDenied
from app.extensions import db
from app.processes import services as processes
from app.processes.records import RecordInfo, RecordType
from app.records.forms import card_schema, clean_card, clean_contacts, coerce_form, transition_preparer
from app.records.kinds import RecordKind, get_kind
from app.records.models import record_observers

# --------------------------------------------------------------------------- visibility and access


def visible_filter(kind: RecordKind, user: User) -> Any:
    """The one SQL filter of the records of `kind` a user may see (card, journal, kanban, export, API)."""
    model = kind.model
    if sees_all_records(user):
        return sa.true()
    observed = sa.select(record_observers.c.record_id).where(record_observers.c.record_type == kind.name,
                                                             record_observers.c.user_id == user.id)
    rules = [model.created_by_id == user.id, model.responsible_id == user.id, model.id.in_(observed)]
    if is_crm_manager(user):  # unassigned open records: the CRM Managers may take them to work
        claimable = [model.responsible_id.is_(None), model.status.notin_(kind.terminal_statuses)]
        if kind.open_clause:
            claimable.append(kind.open_clause())
        rules.append(sa.and_(*claimable))
    return sa.or_(*rules)


def can_edit(kind: RecordKind, record: Any, user: User) -> bool:
    """Write access: the responsible person, the Commercial Director, administrators."""
    return bool(record.responsible_id == user.id or is_commercial_director(user))


def can_create(kind: RecordKind, user: User) -> bool:
    """Who creates records: CRM Managers, the Commercial Director, administrators (not an analyst or a
    user without a CRM group: their other groups give them no records)."""
    return is_crm_manager(user) or is_commercial_director(user)


def require_create(kind: RecordKind, user: User) -> None:
    if not can_create(kind, user):
        raise PermissionDenied(_("Only CRM Managers, the Commercial Director and administrators create records."))


def require_edit(kind: RecordKind, record: Any, user: User, open_only: bool = True) -> None:
    if not can_edit(kind, record, user):
        raise PermissionDenied(_("Only the responsible person, the Commercial Director or an administrator "
                                 "can change this record."))
    if open_only and kind.is_closed(record):
        raise Conflict(_("A closed record cannot be edited."), code="record_closed")


def get_record(kind: RecordKind, record_id: int, user: User) -> Any:
    """A record the user may see; otherwise NotFound (an invisible record does not exist for them)."""
    record = db.session.scalar(sa.select(kind.model).where(kind.model.id == record_id, visible_filter(kind, user)))
    if record is None:
        raise NotFound(_("%(kind)s not found.", kind=kind.title))
    return record


def find_record(kind: RecordKind, record_id: int) -> Any:
    """A record by id without a visibility check (service tasks, describe). Raises NotFound."""
    record = db.session.get(kind.model, record_id)
    if record is None:
        raise NotFound(_("%(kind)s not found.", kind=kind.title))
    return record


# --------------------------------------------------------------------------- create / update


def _responsible_user(login: str | None, field: str = "responsible") -> User | None:
    if not login:
        return None
    user = find_user_by_login(login)
    if user is None or not is_eligible_responsible(user):
        raise InvalidInput(fields={field: _("%(login)s cannot be responsible: choose an active CRM Manager or "
                                            "Commercial Director.", login=login)})
    return user


def create_record(kind: RecordKind, data: Mapping[str, Any], actor: User | None,
                  contacts: Sequence[Mapping[str, Any]] | None = None, at: datetime | None = None,
                  extra: Mapping[str, Any] | None = None) -> Any:
    """Create a record with its contacts and start its process in the same transaction.

    `data` follows the kind's card form; `data["responsible"]` is a login (empty: the CRM Manager
    group gets "Take to work"); only the Commercial Director may make someone else responsible.
    `extra` sets fields the card form does not expose (trusted callers only, e.g. a lead → deal).
    Raises PermissionDenied (the actor may not create records), InvalidInput with field errors
    (contact errors keyed `contacts.N.field`).
    """
    if actor is not None:
        require_create(kind, actor)
    errors: dict[str, str] = {}
    values = clean_card(kind, data, errors, partial=False)
    cleaned_contacts = clean_contacts(contacts or [], errors)
    responsible = None
    login = values.pop("responsible", None)
    if "responsible" not in errors and login:
        try:
            responsible = _responsible_user(login)
        except InvalidInput as e:
            errors.update(e.fields)
        if responsible is not None and actor is not None and responsible.id != actor.id \
                and not is_commercial_director(actor):
            errors["responsible"] = _("Only the Commercial Director can make someone else responsible.")
    if errors:
        raise InvalidInput(fields=errors)
    moment = at or processes.now()
    fields = {"number": next_number(db.session, kind.name), "status": kind.initial_status,
              "created_by_id": actor.id if actor else None, "responsible_id": responsible.id if responsible else None,
              "created_at": moment, "updated_at": moment, **values, **(extra or {})}
    record = kind.model(**fields)
    has_responsible = record.responsible_id is not None
    if kind.prepare_new:
        kind.prepare_new(record, moment)
    if has_responsible:
        _mark_processing_started(kind, record, moment)
    for contact in cleaned_contacts:
        record.contacts.append(kind.contact_model(**contact))
    db.session.add(record)
    db.session.flush()
    record.refresh_search_text()
    processes.start_process(kind.process_id, kind.name, record.id,
                            {**kind.start_data(record), "has_responsible": has_responsible, "status": record.status},
                            started_by_id=actor.id if actor else None, at=moment)
    return record


def update_record(kind: RecordKind, record_id: int, data: Mapping[str, Any], actor: User,
                  expected_version: Any) -> Any:
    """Edit a record's card fields (PATCH semantics) with history of the tracked fields.

    `expected_version` is required: a missing one is InvalidInput, a stale one Conflict (409).
    """
    record = get_record(kind, record_id, actor)
    require_edit(kind, record, actor)
    errors: dict[str, str] = {}
    values = clean_card(kind, {k: v for k, v in data.items() if k != "version"}, errors, partial=True)
    if errors:
        raise InvalidInput(fields=errors)
    check_version(record, expected_version)
    new_responsible = record.responsible
    if "responsible" in values:
        login = values.pop("responsible")
        if login != (record.responsible.login if record.responsible else None):
            if not is_commercial_director(actor):
                raise PermissionDenied(_("Only the Commercial Director can assign the responsible person."))
            new_responsible = _responsible_user(login)
    changes: dict[str, tuple[Any, Any]] = {}
    for field, value in values.items():
        old = getattr(record, field)
        if old != value:
            changes[field] = (old, value)
        if field == "counterparty_id":
            history.record_change(kind.name, record.id, "counterparty", _counterparty_name(old),
                                  _counterparty_name(value), actor.id)
        elif field in kind.tracked_fields:
            history.record_change(kind.name, record.id, field, old, value, actor.id)
        setattr(record, field, value)
    db.session.flush()
    db.session.expire(record, ["counterparty"])  # the relationship follows a changed counterparty_id
    record.refresh_search_text()
    if new_responsible is not record.responsible:
        _set_responsible(kind, record, new_responsible, actor)
    processes.refresh_record_titles(kind.name, record.id)
    if kind.after_update and changes:
        kind.after_update(record, changes, actor)
    db.session.flush()
    return record


def check_version(record: Any, expected_version: Any) -> None:
    """An edit names the version it changes: missing → InvalidInput, stale → Conflict (409)."""
    if expected_version is None or expected_version == "":
        raise InvalidInput(_("Reload the record and save again: the form did not say which version it edits."),
                           code="version_required", fields={"version": _("This field is required.")})
    if isinstance(expected_version, bool) or not isinstance(expected_version, int):
        raise InvalidInput(fields={"version": _("Enter a whole number.")})
    if expected_version != record.version:
        raise Conflict()


def _counterparty_name(counterparty_id: int | None) -> str | None:
    if counterparty_id is None:
        return None
    return counterparties.get_counterparty(counterparty_id).display_name


def set_counterparty(kind: RecordKind, record: Any, counterparty_id: int, actor: User) -> None:
    """Link a record to a counterparty (history row; the company name is filled when empty)."""
    counterparty = counterparties.get_counterparty(counterparty_id)
    history.record_change(kind.name, record.id, "counterparty", _counterparty_name(record.counterparty_id),
                          counterparty.display_name, actor.id)
    record.counterparty_id = counterparty.id
    if not record.company_name:
        record.company_name = counterparty.display_name
    db.session.flush()
    db.session.refresh(record, ["counterparty"])
    record.refresh_search_text()


# --------------------------------------------------------------------------- responsible, observers


def assign_responsible(kind: RecordKind, record_id: int, login: str | None, actor: User) -> Any:
    """The Commercial Director (or an admin) assigns the responsible person; cancels "Take to work".

    Raises PermissionDenied, InvalidInput (not an active CRM Manager / Commercial Director).
    """
    record = get_record(kind, record_id, actor)
    if not is_commercial_director(actor):
        raise PermissionDenied(_("Only the Commercial Director can assign the responsible person."))
    if kind.is_closed(record):
        raise Conflict(_("A closed record cannot be edited."), code="record_closed")
    _set_responsible(kind, record, _responsible_user(login), actor)
    return record


def _mark_processing_started(kind: RecordKind, record: Any, moment: datetime) -> None:
    """The first responsible person starts the processing (kept once, for the kinds that track it)."""
    field_name = kind.processing_started_field
    if field_name and getattr(record, field_name) is None:
        setattr(record, field_name, moment)


def _set_responsible(kind: RecordKind, record: Any, user: User | None, actor: User | None) -> None:
    old = record.responsible
    if (old.id if old else None) == (user.id if user else None):
        return
    record.responsible_id = user.id if user else None
    if user is not None:
        _mark_processing_started(kind, record, processes.now())
    history.record_change(kind.name, record.id, "responsible", old.display_name if old else None,
                          user.display_name if user else None, actor.id if actor else None)
    db.session.flush()
    db.session.expire(record, ["responsible"])  # the relationship follows the new responsible_id
    if user is not None:
        processes.send_record_message(kind.name, record.id, "responsible_assigned", {"login": user.login},
                                      actor.id if actor else None)
        processes.reassign_lane_tasks(kind.name, record.id, "responsible", user.id)


def set_observers(kind: RecordKind, record_id: int, logins: Sequence[str], actor: User) -> Any:
    """Replace the record's observers (read access). Raises PermissionDenied, InvalidInput."""
    record = get_record(kind, record_id, actor)
    require_edit(kind, record, actor, open_only=False)
    users: list[User] = []
    for login in logins:
        user = find_user_by_login(login) if isinstance(login, str) else None
        if user is None or not user.is_active:
            raise InvalidInput(fields={"observers": _("User %(login)s not found.", login=login)})
        if user not in users:
            users.append(user)
    db.session.execute(sa.delete(record_observers).where(record_observers.c.record_type == kind.name,
                                                         record_observers.c.record_id == record.id))
    if users:
        db.session.execute(sa.insert(record_observers),
                           [{"record_type": kind.name, "record_id": record.id, "user_id": u.id} for u in users])
    db.session.flush()
    db.session.expire(record, ["observers"])
    return record


# --------------------------------------------------------------------------- status hub


def status_actions(kind: RecordKind, record: Any, user: User) -> dict[str, str | None]:
    """The statuses this user may move the record to now, each with its transition form path (or None).

    Empty when no move is possible or the user has no write access. One workflow load for all.
    """
    if not can_edit(kind, record, user):
        return {}
    actions = processes.status_actions(kind.name, record.id)
    return {s: actions.transition_forms.get(s) for s in actions.allowed} if actions else {}


def _guard(kind: RecordKind, record: Any, next_status: str) -> None:
    guard = kind.guards.get(next_status)
    if guard is not None:
        guard(record)


def change_status(kind: RecordKind, record_id: int, next_status: str, data: Mapping[str, Any], actor: User,
                  from_form: bool = False) -> Any:
    """Move a record to `next_status` — the one service behind card, kanban, journal and API.

    `data` holds the transition form's fields: typed JSON, or raw HTML form fields when
    `from_form` (then coerced by the transition form's schema inside the same workflow load).
    Raises PermissionDenied, InvalidInput (unknown status, guard, transition form), Conflict (illegal move).
    """
    record = get_record(kind, record_id, actor)
    if not can_edit(kind, record, actor):
        raise PermissionDenied(_("Only the responsible person, the Commercial Director or an administrator "
                                 "can change this record."))
    if next_status not in kind.status_ids:
        raise InvalidInput(fields={"status": _("Unknown status %(status)s.", status=next_status)})
    _guard(kind, record, next_status)
    processes.change_record_status(kind.name, record.id, next_status, dict(data), actor.id,
                                   prepare=transition_preparer(data, from_form, actor))
    db.session.refresh(record)
    return record


def change_status_many(kind: RecordKind, record_ids: Sequence[int], next_status: str,
                       actor: User) -> dict[int, str | None]:
    """Journal bulk move: each record moves or reports why not; a failed one changes nothing."""
    results: dict[int, str | None] = {}
    for record_id in record_ids:
        try:
            with db.session.begin_nested():  # one savepoint per record: a failure undoes only its own move
                change_status(kind, record_id, next_status, {}, actor)
            results[record_id] = None
        except CrmError as e:  # this record stays as it was; the others still move
            results[record_id] = e.summary
    return results


# --------------------------------------------------------------------------- service tasks


def set_status(record_type: str, record_id: int, status: str, **fields: Any) -> dict[str, Any]:
    """`crm.set_status`: the process writes the record's status (and the kind's status fields)."""
    kind = get_kind(record_type)
    record = find_record(kind, record_id)
    actor_id = processes.current_actor_id()
    history.record_change(kind.name, record.id, "status", record.status, status, actor_id)
    record.status = status
    for name, value in fields.items():
        if name not in kind.status_fields:
            raise InvalidInput(fields={name: _("This field cannot be changed here.")})
        if value is not None:
            if name in kind.tracked_fields:
                history.record_change(kind.name, record.id, name, getattr(record, name), value, actor_id)
            setattr(record, name, value)
    db.session.flush()
    return {"status": status}


def set_responsible(record_type: str, record_id: int, login: str) -> dict[str, Any]:
    """`crm.set_responsible`: whoever took the record to work becomes its responsible person."""
    kind = get_kind(record_type)
    record = find_record(kind, record_id)
    user = find_user_by_login(login)
    if user is None:
        raise NotFound(_("User %(login)s not found.", login=login))
    old = record.responsible
    record.responsible_id = user.id
    _mark_processing_started(kind, record, processes.now())
    history.record_change(kind.name, record.id, "responsible", old.display_name if old else None,
                          user.display_name, processes.current_actor_id())
    db.session.flush()
    db.session.expire(record, ["responsible"])
    return {"responsible": user.login}


SERVICE_TASKS: dict[str, Callable[..., Any]] = {"crm.set_status": set_status, "crm.set_responsible": set_responsible}


def record_type_of(kind: RecordKind) -> RecordType:
    """The processes registry entry of a kind: task titles, lanes and the summary on task pages."""

    def describe(record_id: int) -> RecordInfo:
        record = find_record(kind, record_id)
        return RecordInfo(number=record.display_number, title=record.name, author_id=record.created_by_id,
                          lanes={"responsible": LaneTarget(user_id=record.responsible_id)})

    def summary(record_id: int) -> list[tuple[str, str]]:
        record = find_record(kind, record_id)
        pairs = [(_("Number"), record.display_number), (_("Name"), record.name),
                 (_("Status"), kind.status_label(record.status)), (_("Client"), record.client_name or "—"),
                 (_("Responsible"), record.responsible.display_name if record.responsible else _("Unassigned"))]
        if record.amount is not None:
            pairs.append((_("Amount"), f"{record.amount:,.2f}".replace(",", " ")))
        return pairs + (kind.summary(record) if kind.summary else [])

    return RecordType(name=kind.name, describe=describe, url_endpoint=f"{kind.plural}.detail", summary=summary)


__all__ = ["can_create", "require_create", "visible_filter", "can_edit", "get_record", "find_record",
           "require_edit", "create_record", "update_record", "check_version", "set_counterparty", "assign_responsible",
           "set_observers", "status_actions", "change_status", "change_status_many", "set_status",
           "set_responsible", "record_type_of",
           # re-exported for the views: the card form of a kind and the typing of an HTML card form
           "card_schema", "coerce_form"]
