"""Merge with Main Deal: a duplicate deal hands what it holds to the main deal and is closed as merged.

The merged deal is kept (never deleted), points at the main deal (`merged_into_id`), is read-only
(the deal kind's `closed_when`) and its process is canceled with its open tasks. Its comments and
history stay where they are; a summary comment on the main deal lists what the merged deal held.
Writes flush only; the caller commits. Raises NotFound, PermissionDenied, InvalidInput, Conflict.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.orm.exc import StaleDataError

from app.activities import services as activities
from app.auth.models import User
from app.deals.models import Deal
from app.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from app.extensions import db
from app.processes import services as processes
from app.records import services as records
from app.records.kinds import RecordKind, get_kind
from app.records.models import record_observers

# The card fields a merge fills on the main deal when they are empty there (the name always stays).
MERGED_FIELDS = ("company_name", "counterparty_id", "amount", "users_count", "request_category", "request_source",
                 "description")


@dataclass
class MergeResult:
    main: Deal
    merged: Deal
    fields: list[str] = field(default_factory=list)          # taken from the merged deal
    contacts_moved: list[str] = field(default_factory=list)  # copied to the main deal
    contacts_kept: list[str] = field(default_factory=list)   # already on the main deal
    observers_added: list[str] = field(default_factory=list)


def is_merged(deal: Deal) -> bool:
    """The deal kind's `closed_when`: a merged deal is closed whatever its status."""
    return deal.merged_into_id is not None


def _empty(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _digits(phone: str | None) -> str:
    """A phone's digits; a Russian 8XXXXXXXXXX is +7XXXXXXXXXX."""
    digits = "".join(ch for ch in phone or "" if ch.isdigit())
    return "7" + digits[1:] if len(digits) == 11 and digits.startswith("8") else digits


def _same_person(a: Any, b: Any) -> bool:
    """The same full name and the same phone (digits) or e-mail; a name alone when `b` has neither."""
    if a.full_name.strip().casefold() != b.full_name.strip().casefold():
        return False
    if not _digits(b.phone) and not (b.email or "").strip():
        return True
    same_phone = bool(_digits(b.phone)) and _digits(a.phone) == _digits(b.phone)
    same_email = bool((b.email or "").strip()) and (a.email or "").strip().casefold() == b.email.strip().casefold()
    return same_phone or same_email


def _contact_label(c: Any) -> str:
    reach = ", ".join(v for v in (c.phone, c.email) if v)
    return f"{c.full_name} ({reach})" if reach else str(c.full_name)


def _main_deal(kind: RecordKind, main_id: Any, merged: Deal, actor: User) -> Deal:
    if isinstance(main_id, bool) or not isinstance(main_id, int):
        raise InvalidInput(fields={"main_deal_id": _("Choose the main deal.")})
    if main_id == merged.id:
        raise InvalidInput(_("A deal cannot be merged into itself."), code="merge_into_itself",
                           fields={"main_deal_id": _("A deal cannot be merged into itself.")})
    try:
        main: Deal = records.get_record(kind, main_id, actor)
    except NotFound as e:
        raise NotFound(_("The main deal was not found.")) from e
    if not records.can_edit(kind, main, actor):
        raise PermissionDenied(_("You cannot change the main deal %(number)s.", number=main.display_number))
    if main.merged_into_id is not None:
        raise Conflict(_("%(number)s is itself merged into another deal: merge into that one.",
                         number=main.display_number), code="deal_merged")
    if kind.is_closed(main):
        raise Conflict(_("%(number)s is closed: a deal cannot be merged into a closed deal.",
                         number=main.display_number), code="record_closed")
    return main


def merge_deal(merged_id: int, main_id: Any, actor: User) -> MergeResult:
    """Merge deal `merged_id` into the main deal `main_id`; both must be open and writable by `actor`.

    Fills the main deal's empty fields, copies the contact persons it lacks, adds the merged deal's
    observers (and its responsible person) as observers, leaves a summary comment on the main deal,
    closes the merged deal as merged and cancels its process and open tasks.
    Raises NotFound (either deal invisible), PermissionDenied (not writable), InvalidInput (no main
    deal, itself), Conflict (already merged, main deal merged or closed, a concurrent change).
    """
    kind = get_kind("deal")
    merged: Deal = records.get_record(kind, merged_id, actor)
    if not records.can_edit(kind, merged, actor):
        raise PermissionDenied(_("Only the responsible person, the Commercial Director or an administrator "
                                 "can change this record."))
    if merged.merged_into_id is not None:
        raise Conflict(_("%(number)s has already been merged into another deal.", number=merged.display_number),
                       code="deal_merged")
    if kind.is_closed(merged):
        raise Conflict(_("A closed record cannot be edited."), code="record_closed")
    main = _main_deal(kind, main_id, merged, actor)
    result = MergeResult(main=main, merged=merged)
    _take_fields(kind, main, merged, actor, result)
    _copy_contacts(kind, main, merged, result)
    _add_observers(kind, main, merged, result)
    moment = processes.now()
    merged.merged_into_id = main.id
    merged.updated_at = moment
    main.updated_at = moment
    try:
        db.session.flush()
    except StaleDataError as e:  # either deal changed under us: the caller rolls the merge back
        raise Conflict() from e
    main.refresh_search_text()
    db.session.expire(main, ["counterparty", "observers"])
    activities.add_comment(kind.name, main.id, _summary(kind, result), actor.id, at=moment)
    processes.cancel_record_process(kind.name, merged.id, actor.id, at=moment)
    db.session.flush()
    return result


def _take_fields(kind: RecordKind, main: Deal, merged: Deal, actor: User, result: MergeResult) -> None:
    for name in MERGED_FIELDS:
        value = getattr(merged, name)
        if _empty(getattr(main, name)) and not _empty(value):
            if name == "counterparty_id":
                records.set_counterparty(kind, main, value, actor)
            else:
                if name in kind.tracked_fields:
                    activities.record_change(kind.name, main.id, name, getattr(main, name), value, actor.id)
                setattr(main, name, value)
            result.fields.append(name)


def _copy_contacts(kind: RecordKind, main: Deal, merged: Deal, result: MergeResult) -> None:
    has_main = any(c.is_main for c in main.contacts)
    for contact in merged.contacts:
        if any(_same_person(existing, contact) for existing in main.contacts):
            result.contacts_kept.append(_contact_label(contact))
            continue
        values = {**contact.contact_values(), "is_main": not has_main}
        has_main = True
        main.contacts.append(kind.contact_model(**values))
        result.contacts_moved.append(_contact_label(contact))


def _add_observers(kind: RecordKind, main: Deal, merged: Deal, result: MergeResult) -> None:
    """The merged deal's observers, and its responsible person, keep read access through the main deal."""
    present = {u.id for u in main.observers} | {main.responsible_id}
    people = list(merged.observers) + ([merged.responsible] if merged.responsible else [])
    for user in people:
        if user.id in present:
            continue
        present.add(user.id)
        db.session.execute(sa.insert(record_observers).values(record_type=kind.name, record_id=main.id,
                                                              user_id=user.id))
        result.observers_added.append(user.display_name)


def _money(value: Decimal | None) -> str:
    return "—" if value is None else f"{value:,.2f}".replace(",", " ")


def _summary(kind: RecordKind, result: MergeResult) -> str:
    merged = result.merged
    titles = records.card_schema(kind)["properties"]
    lines = [_("Deal %(number)s “%(name)s” was merged into this deal.", number=merged.display_number,
               name=merged.name),
             _("Its status: %(status)s.", status=kind.status_label(merged.status)),
             _("Its amount: %(amount)s.", amount=_money(merged.amount)),
             _("Its client: %(client)s.", client=merged.client_name or "—")]
    if result.fields:
        lines.append(_("Fields taken from it: %(fields)s.",
                       fields=", ".join(_(titles[n]["title"]) if n in titles else n for n in result.fields)))
    if result.contacts_moved:
        lines.append(_("Contacts moved here: %(contacts)s.", contacts="; ".join(result.contacts_moved)))
    if result.contacts_kept:
        lines.append(_("Contacts already here: %(contacts)s.", contacts="; ".join(result.contacts_kept)))
    if result.observers_added:
        lines.append(_("New observers: %(people)s.", people=", ".join(result.observers_added)))
    return "\n".join(lines)


def find_deal_id_by_number(text: str) -> int | None:
    """The id of deal "D-17" / "17" (no visibility check: the merge checks it), None when there is none."""
    digits = text.strip().upper().removeprefix("D-").strip()
    if not digits.isdigit() or len(digits) > 9:
        return None
    return db.session.scalar(sa.select(Deal.id).where(Deal.number == int(digits)))
