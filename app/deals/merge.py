"""Merge with Main Deal: a duplicate deal hands what it holds to the main deal and is closed as merged.

The merged deal is kept (never deleted), points at the main deal (`merged_into_id`), is read-only
(the deal kind's `closed_when`) and its process is canceled with its open tasks. Its comments and
history stay where they are; a summary comment on the main deal lists what the merged deal held.
Writes flush only; the caller commits. Raises NotFound, PermissionDenied, InvalidInput, Conflict.

Merge steps: besides fields, contacts and observers, each step moves one more kind of thing and
returns the summary lines it adds to the main deal's comment: `fn(main, merged, actor) -> [str]`.
The built-in steps move the activities, the assignments made from the deal and (when the main deal
has none) its products and services lines, and list the comments that stay. Other domains (orders,
payments, documents) add theirs with `register_merge_step(fn)` without app.deals importing them.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.orm.exc import StaleDataError

from app.activities import services as activities
from app.activities.models import COMMENT_MAX_LENGTH, Activity
from app.assignments import services as assignments
from app.auth.models import User
from app.deals.models import Deal
from app.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from app.extensions import db
from app.labels import label
from app.processes import services as processes
from app.records import services as records
from app.records.kinds import RecordKind, get_kind
from app.records.lines import record_lines
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
    steps: list[str] = field(default_factory=list)           # the merge steps' summary lines


# A merge step: (main, merged, actor) -> summary lines for the main deal's comment.
MergeStep = Callable[[Deal, Deal, User], list[str]]
_REGISTERED_STEPS: list[MergeStep] = []


def register_merge_step(step: MergeStep) -> None:
    """Run `step` in every merge after the built-in ones (once, however often it is registered).

    A step moves what its domain holds from the merged deal to the main deal (flush only) and returns
    the lines it adds to the summary comment; it may raise a CrmError, which refuses the whole merge.
    """
    if step not in _REGISTERED_STEPS:
        _REGISTERED_STEPS.append(step)


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
    for step in (*BUILT_IN_STEPS, *_REGISTERED_STEPS):
        result.steps.extend(step(main, merged, actor))
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
    text = "\n".join(lines + result.steps)
    # A comment holds COMMENT_MAX_LENGTH characters: a merged deal that held a lot is cut, not refused.
    return text if len(text) <= COMMENT_MAX_LENGTH else text[:COMMENT_MAX_LENGTH - 1] + "…"


# --------------------------------------------------------------------------- built-in merge steps

#: How many of the merged deal's comments the summary quotes (and how much of each).
SUMMARY_COMMENTS, SUMMARY_COMMENT_LENGTH = 20, 200


def _activity_label(a: Activity) -> str:
    return f"{label('activity_kind', a.kind)} “{a.subject}” ({label('activity_status', a.status).lower()})"


def move_activities_step(main: Deal, merged: Deal, actor: User) -> list[str]:
    """The merged deal's activities (planned, done, received emails) move to the main deal."""
    held = activities.list_activities("deal", merged.id)
    if not held:
        return []
    activities.move_activities("deal", merged.id, main.id)
    return [_("Activities moved here: %(items)s.", items="; ".join(_activity_label(a) for a in reversed(held)))]


def move_assignments_step(main: Deal, merged: Deal, actor: User) -> list[str]:
    """The assignments made from the merged deal now belong to the main deal (their tasks go on)."""
    moved = assignments.move_record_assignments("deal", merged.id, main.id)
    if not moved:
        return []
    return [_("Assignments moved here: %(items)s.",
              items="; ".join(f"{a.display_number} “{a.title}”" for a in reversed(moved)))]


def move_lines_step(main: Deal, merged: Deal, actor: User) -> list[str]:
    """Products and services lines move only when the main deal has none (two price lists do not mix)."""
    kind = get_kind("deal")
    theirs = record_lines(kind, merged.id)
    if not theirs.lines:
        return []
    names = "; ".join(f"{v.line.name} × {v.line.quantity.normalize():f}" for v in theirs.lines)
    if record_lines(kind, main.id).lines:
        return [_("Its products and services lines stay on %(number)s (this deal has its own): %(lines)s.",
                  number=merged.display_number, lines=names)]
    model = kind.line_model
    db.session.execute(sa.update(model).where(model.owner_column() == merged.id)
                       .values({model.owner_field: main.id}).execution_options(synchronize_session=False))
    db.session.flush()
    total = record_lines(kind, main.id).total.gross
    if total != main.amount:  # the amount follows the lines, as when lines are added
        activities.record_change(kind.name, main.id, "amount", main.amount, total, actor.id)
        main.amount = total
    return [_("Products and services lines moved here (this deal had none): %(lines)s.", lines=names)]


def list_comments_step(main: Deal, merged: Deal, actor: User) -> list[str]:
    """The merged deal's comments stay where they are; the summary quotes them."""
    held = activities.list_comments("deal", merged.id, limit=SUMMARY_COMMENTS + 1)
    if not held:
        return []
    lines = [_("Its comments stay on %(number)s:", number=merged.display_number)]
    for c in reversed(held[:SUMMARY_COMMENTS]):
        text = " ".join(c.text.split())
        text = text if len(text) <= SUMMARY_COMMENT_LENGTH else text[:SUMMARY_COMMENT_LENGTH - 1] + "…"
        lines.append(f"— {c.author.display_name if c.author else _('System')}: {text}")
    if len(held) > SUMMARY_COMMENTS:
        lines.append(_("… and more on %(number)s.", number=merged.display_number))
    return lines


BUILT_IN_STEPS: tuple[MergeStep, ...] = (move_activities_step, move_assignments_step, move_lines_step,
                                         list_comments_step)


def find_deal_id_by_number(text: str) -> int | None:
    """The id of deal "D-17" / "17" (no visibility check: the merge checks it), None when there is none."""
    digits = text.strip().upper().removeprefix("D-").strip()
    if not digits.isdigit() or len(digits) > 9:
        return None
    return db.session.scalar(sa.select(Deal.id).where(Deal.number == int(digits)))
