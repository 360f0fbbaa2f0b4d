"""Mail intake services: one fetched message → a deal, an Email activity, or a logged reason. Flushes only.

`ingest_message` is the rule book. Every message gets exactly one row in the intake log, claimed first
(the unique `(mailbox, dedupe_key)` key), so a message fetched again after a crash between the commit
and the IMAP flag finds its row and makes nothing new. The deal or activity is made in a savepoint: if
making it fails, the row still records `failed` with the reason, and the raw message stays in the row
for a retry (`retry_entry`) once the rules are fixed.

The mail worker (workers/mail.py) fetches, calls `ingest_message` per message, commits, then flags;
`unflagged_uids` / `mark_flagged` close the gap a crash leaves between the commit and the flag.
"""
from __future__ import annotations

import hashlib
import logging
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy.exc import IntegrityError

from app.activities import services as activities
from app.auth.models import User
from app.counterparties import services as counterparties
from app.counterparties.models import Counterparty
from app.db import utcnow
from app.documents import storage
from app.errors import Conflict, CrmError, InvalidInput, NotFound, PermissionDenied
from app.extensions import db
from app.access.services import is_admin, sees_all_records
from app.mail import form_fields, mailboxes
from app.mail.models import (ACTIVITY, CREATED_DEAL, DUPLICATE, FAILED, IGNORED_AUTOMATIC, OUTCOMES, QUARANTINED,
                             MailIntakeEntry)
from app.mail.parsing import ParsedMessage, UnparsableMessage, parse_message
from app.pagination import Page, clamp
from app.records import services as records
from app.records.kinds import RecordKind, get_kind

logger = logging.getLogger(__name__)

DEAL_KIND = "deal"
NAME_MAX, TEXT_MAX, CONTACT_MAX = 300, 20_000, 200
MARKETING_FIELDS = ("utm_source", "utm_medium", "utm_campaign", "utm_content", "utm_term", "ga_client_id",
                    "ym_client_id")
OUTCOME_LABELS: dict[str, Any] = {
    CREATED_DEAL: _l("Deal created"), ACTIVITY: _l("Added to a deal"), DUPLICATE: _l("Duplicate"),
    IGNORED_AUTOMATIC: _l("Automatic mail, ignored"), FAILED: _l("Failed"), QUARANTINED: _l("Quarantined"),
}
# Legal forms dropped when comparing company names: «ООО "Ромашка"» is "ромашка".
_LEGAL_FORMS = re.compile(r"\b(?:ооо|оао|зао|пао|ао|нао|ип|тоо|llc|ltd|inc|corp|gmbh|jsc|pjsc|ojsc|cjsc|plc|co)\b\.?")


# ------------------------------------------------------------------------------ helpers


def dedupe_key(message_id: str | None, raw: bytes) -> str:
    """`mid:<sha256 of the Message-ID>`, or `sha:<sha256 of the raw bytes>` for a message without one."""
    if message_id and message_id.strip():
        return "mid:" + hashlib.sha256(message_id.strip().encode("utf-8", "surrogateescape")).hexdigest()
    return "sha:" + hashlib.sha256(raw).hexdigest()


def _clip(value: Any, limit: int) -> str:
    text = "" if value is None else str(value).strip()
    return text[:limit]


def normalize_company(name: str) -> str:
    """A company name for comparison: case-folded, without legal forms, quotes and punctuation."""
    folded = name.casefold().replace("ё", "е")
    folded = _LEGAL_FORMS.sub(" ", folded)
    return " ".join(re.findall(r"[^\W_]+", folded))


@dataclass(frozen=True)
class IntakeRules:
    """What the administrator configured, read once per poll: form labels, category keywords, size limit."""

    labels: dict[str, str] | None  # None: the built-in labels (the directory is empty)
    category_rules: list[tuple[str, str]] | None  # None: the built-in keywords
    max_attachment_bytes: int


def load_rules() -> IntakeRules:
    """The intake rules from the directories and settings now (a change applies at the next poll)."""
    return IntakeRules(labels=form_fields.load_form_labels() or None,
                       category_rules=form_fields.load_category_rules() or None,
                       max_attachment_bytes=mailboxes.max_attachment_bytes())


def _sender(parsed: ParsedMessage) -> str:
    if parsed.from_name and parsed.from_address:
        return f"{parsed.from_name} <{parsed.from_address}>"
    return parsed.from_name or parsed.from_address


@dataclass(frozen=True)
class Ingested:
    entry: MailIntakeEntry
    is_new: bool  # False: the message was already in the log (fetched again), nothing was made


# ------------------------------------------------------------------------------ the intake


def find_entry(mailbox: str, key: str) -> MailIntakeEntry | None:
    return db.session.scalar(sa.select(MailIntakeEntry).where(MailIntakeEntry.mailbox == mailbox,
                                                              MailIntakeEntry.dedupe_key == key))


def ingest_message(mailbox: str, raw: bytes, *, uid: int | None = None, uidvalidity: int | None = None,
                   folder: str | None = None, internal_date: datetime | None = None,
                   rules: IntakeRules | None = None) -> Ingested:
    """Turn one raw message from `mailbox` (a setting key) into its outcome; returns its log entry.

    A message already in the log (same Message-ID, or the same bytes when it has none) makes nothing new:
    its entry is returned with `is_new=False` (and its UID updated, so the worker can flag it).
    Never raises for the message's content: an unreadable message is `quarantined`, an error while
    making the deal or activity is `failed`, both with the reason. Flushes; the caller commits.
    `rules`: `load_rules()` once per poll (read now when not given).
    """
    rules = rules or load_rules()
    try:
        parsed: ParsedMessage | None = parse_message(raw, rules.labels)
        unparsable = ""
    except UnparsableMessage as e:
        parsed, unparsable = None, str(e)
    key = dedupe_key(parsed.message_id if parsed else None, raw)
    existing = find_entry(mailbox, key)
    if existing is not None:
        _seen_again(existing, uid, uidvalidity, folder)
        return Ingested(existing, is_new=False)
    entry = MailIntakeEntry(
        mailbox=mailbox, folder=folder, uid=uid, uidvalidity=uidvalidity, dedupe_key=key,
        message_id=_clip(parsed.message_id, 998) or None if parsed else None,
        content_hash=hashlib.sha256(raw).hexdigest(), sender=_clip(_sender(parsed), 500) if parsed else "",
        subject=_clip(parsed.subject, 1000) if parsed else "",
        received_at=(parsed.date if parsed and parsed.date else internal_date),
        outcome=FAILED, reason="", raw=raw, raw_size=len(raw), attempts=1)
    try:
        with db.session.begin_nested():
            db.session.add(entry)
            db.session.flush()
    except IntegrityError:
        # Claimed at the same moment by another transaction (a retry racing a poll): that one wins.
        existing = find_entry(mailbox, key)
        if existing is None:
            raise
        return Ingested(existing, is_new=False)
    if parsed is None:
        entry.outcome, entry.reason = QUARANTINED, unparsable
    else:
        _process(entry, parsed, rules)
    db.session.flush()
    return Ingested(entry, is_new=True)


def _seen_again(entry: MailIntakeEntry, uid: int | None, uidvalidity: int | None, folder: str | None) -> None:
    if uid is not None and (entry.uid, entry.uidvalidity, entry.folder) != (uid, uidvalidity, folder):
        entry.uid, entry.uidvalidity, entry.folder, entry.flagged_at = uid, uidvalidity, folder, None
        db.session.flush()


def _process(entry: MailIntakeEntry, parsed: ParsedMessage, rules: IntakeRules) -> None:
    """Decide and make the outcome in a savepoint; an error leaves `failed` with the reason."""
    try:
        with db.session.begin_nested():
            _decide(entry, parsed, rules)
            db.session.flush()
    except Exception as e:  # any error of the deal/activity services: the message must still be logged
        logger.exception("mail intake: message %s of %s failed", entry.id, entry.mailbox)
        entry.outcome = FAILED
        entry.record_type = entry.record_id = entry.activity_id = None
        entry.reason = _("Could not be processed: %(error)s", error=_error_text(e))[:4000]


def _error_text(error: Exception) -> str:
    if isinstance(error, CrmError):
        return error.summary
    return f"{type(error).__name__}: {error}"


def _decide(entry: MailIntakeEntry, parsed: ParsedMessage, rules: IntakeRules) -> None:
    kind = get_kind(DEAL_KIND)
    notes: list[str] = []
    if parsed.is_automatic:
        entry.outcome, entry.reason = IGNORED_AUTOMATIC, parsed.automatic_reason_text
        return
    earlier = _same_message_elsewhere(entry)
    if earlier is not None:
        entry.outcome, entry.record_type, entry.record_id = DUPLICATE, earlier.record_type, earlier.record_id
        entry.reason = _("Already received in %(mailbox)s (log entry %(id)s).", mailbox=earlier.mailbox, id=earlier.id)
        return
    deal = _referenced_deal(kind, parsed)
    if deal is not None:
        entry.activity_id = _attach_email(kind, deal, parsed, entry)
        entry.outcome, entry.record_type, entry.record_id = ACTIVITY, kind.name, deal.id
        notes += _store_attachments(kind, deal.id, parsed, rules)
    elif entry.mailbox == mailboxes.INBOX_ACTIVITY:
        entry.outcome = QUARANTINED
        notes.append(_("The message names no deal (a number like [D-123] in the subject, or a reply to a message "
                       "of a deal)."))
    else:
        deal, deal_notes = _create_deal(kind, parsed, entry, rules)
        entry.outcome, entry.record_type, entry.record_id = CREATED_DEAL, kind.name, deal.id
        notes += deal_notes + _store_attachments(kind, deal.id, parsed, rules)
    if parsed.defects:
        notes.append(_("MIME problems: %(defects)s.", defects=", ".join(parsed.defects)))
    entry.reason = " ".join(notes)[:4000]


def _same_message_elsewhere(entry: MailIntakeEntry) -> MailIntakeEntry | None:
    """The log entry of the same Message-ID from another mailbox that became a deal or an activity."""
    if not entry.message_id:
        return None
    return db.session.scalar(sa.select(MailIntakeEntry).where(
        MailIntakeEntry.message_id == entry.message_id, MailIntakeEntry.id != entry.id,
        MailIntakeEntry.outcome.in_((CREATED_DEAL, ACTIVITY)), MailIntakeEntry.record_id.is_not(None))
        .order_by(MailIntakeEntry.id).limit(1))


def _referenced_deal(kind: RecordKind, parsed: ParsedMessage) -> Any:
    """The open or closed deal the message refers to: a reply to a logged message, else a number in the subject."""
    ids = [i for i in [parsed.in_reply_to, *parsed.references] if i]
    if ids:
        record_id = db.session.scalar(sa.select(MailIntakeEntry.record_id).where(
            MailIntakeEntry.message_id.in_(ids), MailIntakeEntry.record_type == kind.name,
            MailIntakeEntry.record_id.is_not(None)).order_by(MailIntakeEntry.id.desc()).limit(1))
        if record_id is not None:
            deal = records.find_record(kind, record_id)
            if deal is not None:
                return deal
    number = form_fields.deal_reference(parsed.subject)
    if number is not None:
        return db.session.scalar(sa.select(kind.model).where(kind.model.number == number))
    return None


def _attach_email(kind: RecordKind, deal: Any, parsed: ParsedMessage, entry: MailIntakeEntry) -> int:
    """An Email activity on the deal (also on its Activities widget); returns its id."""
    activity = activities.add_email_activity(
        kind.name, deal.id, subject=parsed.subject, body_text=parsed.text, sender=_sender(parsed),
        received_at=entry.received_at or utcnow(), message_id=parsed.message_id, actor_id=None)
    return int(activity.id)


def _store_attachments(kind: RecordKind, deal_id: int, parsed: ParsedMessage, rules: IntakeRules) -> list[str]:
    """Put the message's attachments in the deal's folder of the Document Library; notes for the skipped ones.

    An attachment over the size limit, or one the library refuses, is skipped with a note: it stays in the
    raw message kept in the log, and the message is processed all the same.
    """
    notes: list[str] = []
    for attachment in parsed.attachments:
        size = len(attachment.content)
        if size > rules.max_attachment_bytes:
            notes.append(_("Attachment %(name)s (%(size)s bytes) skipped: larger than %(limit)s bytes.",
                           name=attachment.filename, size=size, limit=rules.max_attachment_bytes))
            continue
        try:
            with db.session.begin_nested():
                storage.store_file(attachment.filename, attachment.content, attachment.content_type, None,
                                   record=(kind.name, deal_id))
        except CrmError as e:
            notes.append(_("Attachment %(name)s not stored: %(reason)s", name=attachment.filename,
                           reason=e.summary))
    return notes


# ------------------------------------------------------------------------------ a deal from a message


def _deal_values(parsed: ParsedMessage,
                 rules: IntakeRules) -> tuple[dict[str, Any], list[dict[str, Any]], dict[str, Any]]:
    """Card data, contacts and the fields the card form does not expose (marketing, received)."""
    f = parsed.form_fields
    company = _clip(f.get("company"), NAME_MAX)
    person = _clip(f.get("name"), CONTACT_MAX) or _clip(parsed.from_name, CONTACT_MAX)
    name = company or person or _clip(parsed.from_address, NAME_MAX) or _clip(parsed.subject, NAME_MAX) \
        or _("Request by email")
    users = f.get("users_count")
    description = _clip(f.get("comment"), TEXT_MAX) if parsed.is_form else _clip(parsed.text, TEXT_MAX)
    data: dict[str, Any] = {
        "name": name, "company_name": company or None, "description": description,
        "users_count": users if isinstance(users, int) and 0 <= users <= 2**31 - 1 else None,
        "request_category": form_fields.request_category(parsed.subject, rules.category_rules),
        "request_source": "website" if parsed.is_form else "email",
    }
    contacts = []
    email = _clip(f.get("email"), 254) or (parsed.from_address if not parsed.is_form else "")
    if person or email:
        contacts.append({"full_name": person or email, "position": _clip(f.get("position"), CONTACT_MAX) or None,
                         "department": _clip(f.get("department"), CONTACT_MAX) or None,
                         "phone": _clip(f.get("phone"), 50) or None, "email": email or None, "is_main": True})
    extra: dict[str, Any] = {k: _clip(f.get(k), 200) for k in MARKETING_FIELDS if f.get(k)}
    if f.get("page"):
        extra["site_page"] = _clip(f.get("page"), 1000)
    if parsed.is_form and f.get("email"):
        extra["site_email"] = _clip(f.get("email"), 254)
    extra["received_at"] = parsed.date
    return data, contacts, extra


def _create_deal(kind: RecordKind, parsed: ParsedMessage, entry: MailIntakeEntry,
                 rules: IntakeRules) -> tuple[Any, list[str]]:
    """A deal through the records machinery (its process starts: "Take to work" for the CRM Managers)."""
    data, contacts, extra = _deal_values(parsed, rules)
    extra["received_at"] = extra.get("received_at") or entry.received_at
    # Columns the deal model has (the marketing columns come with the activities work).
    extra = {k: v for k, v in extra.items() if v is not None and hasattr(kind.model, k)}
    notes: list[str] = []
    counterparty = _find_counterparty(parsed.form_fields)
    if counterparty is not None:
        data["counterparty_id"] = counterparty.id
    for _attempt in range(3):
        try:
            # create_record checks everything before it writes: a refusal leaves nothing to undo.
            deal = records.create_record(kind, data, None, contacts=contacts, extra=extra)
            break
        except InvalidInput as e:
            # A value the form does not accept (an odd phone or e-mail): drop it, say so, make the deal.
            if not e.fields or _attempt == 2:
                raise
            for field, message in e.fields.items():
                notes.append(_("%(field)s left empty: %(message)s", field=field, message=message))
                _drop_field(field, data, contacts)
    else:  # pragma: no cover - the loop always breaks or raises
        raise AssertionError("unreachable")
    if counterparty is not None:
        for contact in contacts:
            _add_counterparty_contact(counterparty, contact)
    return deal, notes


def _drop_field(field: str, data: dict[str, Any], contacts: list[dict[str, Any]]) -> None:
    parts = field.split(".")
    if parts[0] == "contacts" and len(parts) == 3 and parts[1].isdigit() and int(parts[1]) < len(contacts):
        contacts[int(parts[1])][parts[2]] = None
    elif parts[0] == "contacts" and len(parts) == 2 and parts[1].isdigit() and int(parts[1]) < len(contacts):
        contacts.pop(int(parts[1]))
    elif parts[0] == "name":
        data["name"] = _("Request by email")
    else:
        data.pop(parts[0], None)


def _find_counterparty(fields: Mapping[str, Any]) -> Counterparty | None:
    """The counterparty by INN when the form gives one, else by the company's normalized name."""
    inn = _clip(fields.get("inn"), 20)
    if inn:
        found = counterparties.find_counterparty_by_inn(inn)
        if found is not None:
            return found
    wanted = normalize_company(_clip(fields.get("company"), NAME_MAX))
    if not wanted:
        return None
    longest = max(wanted.split(), key=len)
    for candidate in counterparties.list_counterparties(q=longest, per_page=100).items:
        if wanted in (normalize_company(candidate.full_name), normalize_company(candidate.short_name or "")):
            return candidate
    return None


def _add_counterparty_contact(counterparty: Counterparty, contact: Mapping[str, Any]) -> None:
    """Add the deal's contact to the counterparty unless it has them already (same e-mail, or same name).

    A contact the client card would refuse (e.g. a malformed phone) stays on the deal only: the deal
    is what the message is for, and it must not fail over the client's address book.
    """
    email = (contact.get("email") or "").casefold()
    name = (contact.get("full_name") or "").casefold()
    for existing in counterparty.contacts:
        if (email and (existing.email or "").casefold() == email) or (name and existing.full_name.casefold() == name):
            return
    values = {k: contact.get(k) for k in ("full_name", "position", "department", "phone", "email") if contact.get(k)}
    try:
        with db.session.begin_nested():
            counterparties.add_contact(counterparty.id, values, None)
    except InvalidInput as e:
        logger.info("contact %r not added to counterparty %s: %s", values.get("full_name"), counterparty.id,
                    e.summary)


# ------------------------------------------------------------------------------ flags and UIDs


def unflagged_uids(mailbox: str, folder: str, uidvalidity: int | None) -> list[int]:
    """UIDs of messages of this folder committed but not flagged yet (a crash came in between)."""
    return sorted(u for u in db.session.scalars(sa.select(MailIntakeEntry.uid).where(
        MailIntakeEntry.mailbox == mailbox, MailIntakeEntry.folder == folder,
        MailIntakeEntry.uidvalidity == uidvalidity, MailIntakeEntry.flagged_at.is_(None),
        MailIntakeEntry.uid.is_not(None))) if u is not None)


def mark_flagged(mailbox: str, folder: str, uidvalidity: int | None, uids: Sequence[int]) -> int:
    """Record that these messages were flagged on the server. Returns the number of rows."""
    if not uids:
        return 0
    result = db.session.execute(sa.update(MailIntakeEntry).where(
        MailIntakeEntry.mailbox == mailbox, MailIntakeEntry.folder == folder,
        MailIntakeEntry.uidvalidity == uidvalidity, MailIntakeEntry.uid.in_(list(uids)))
        .values(flagged_at=utcnow()).execution_options(synchronize_session=False))
    return int(getattr(result, "rowcount", 0) or 0)


def last_uid(mailbox: str, folder: str, uidvalidity: int | None) -> int | None:
    """The highest UID of this folder in the log: the next poll (reading all mail) starts above it."""
    return db.session.scalar(sa.select(sa.func.max(MailIntakeEntry.uid)).where(
        MailIntakeEntry.mailbox == mailbox, MailIntakeEntry.folder == folder,
        MailIntakeEntry.uidvalidity == uidvalidity))


# ------------------------------------------------------------------------------ the log journal


def can_view_log(user: User) -> bool:
    """Administrators and whoever sees all records (the Commercial Director)."""
    return is_admin(user) or sees_all_records(user)


def require_log_viewer(user: User) -> None:
    if not can_view_log(user):
        raise PermissionDenied(_("Only administrators and the Commercial Director can view the mail intake log."))


def list_entries(actor: User, outcome: str | None = None, mailbox: str | None = None, q: str | None = None,
                 page: int = 1, per_page: int = 50) -> Page[MailIntakeEntry]:
    """The intake log, newest first, filtered by outcome, mailbox and a search in sender and subject.

    Raises PermissionDenied, InvalidInput (an unknown outcome).
    """
    require_log_viewer(actor)
    where: list[Any] = []
    if outcome:
        if outcome not in OUTCOMES:
            raise InvalidInput(fields={"outcome": _("Choose one of: %(list)s.", list=", ".join(OUTCOMES))})
        where.append(MailIntakeEntry.outcome == outcome)
    if mailbox:
        where.append(MailIntakeEntry.mailbox == mailbox)
    text = (q or "").strip()
    if text:
        where.append(sa.or_(MailIntakeEntry.sender.contains(text, autoescape=True),
                            MailIntakeEntry.subject.contains(text, autoescape=True)))
    page, per_page = clamp(page, per_page)
    total = db.session.scalar(sa.select(sa.func.count()).select_from(MailIntakeEntry).where(*where)) or 0
    items = list(db.session.scalars(sa.select(MailIntakeEntry).where(*where)
                                    .order_by(MailIntakeEntry.created_at.desc(), MailIntakeEntry.id.desc())
                                    .limit(per_page).offset((page - 1) * per_page)))
    return Page(items=items, total=total, page=page, per_page=per_page)


def get_entry(entry_id: int, actor: User) -> MailIntakeEntry:
    """Raises PermissionDenied, NotFound."""
    require_log_viewer(actor)
    entry = db.session.get(MailIntakeEntry, entry_id)
    if entry is None:
        raise NotFound(_("Log entry not found."))
    return entry


def retry_entry(entry_id: int, actor: User) -> MailIntakeEntry:
    """Process a quarantined or failed message again from its kept raw bytes (after the rules were fixed).

    Administrators only. Raises PermissionDenied, NotFound, Conflict (the entry is not retryable).
    """
    if not is_admin(actor):
        raise PermissionDenied(_("Only administrators can retry messages."))
    entry = get_entry(entry_id, actor)
    if not entry.is_retryable:
        raise Conflict(_("Only quarantined or failed messages can be retried."))
    try:
        rules = load_rules()
        parsed = parse_message(entry.raw, rules.labels)
    except UnparsableMessage as e:
        entry.attempts += 1
        entry.reason = str(e)
        db.session.flush()
        return entry
    entry.attempts += 1
    entry.outcome, entry.reason = FAILED, ""
    entry.record_type = entry.record_id = entry.activity_id = None
    _process(entry, parsed, rules)
    db.session.flush()
    return entry


# ------------------------------------------------------------------------------ the deal card


def parsed_entry(entry: MailIntakeEntry) -> ParsedMessage | None:
    """The entry's kept message, parsed for display (sanitized HTML); None when it cannot be read."""
    try:
        return parse_message(entry.raw)
    except UnparsableMessage:
        return None


def original_messages(record_type: str, record_id: int) -> list[tuple[MailIntakeEntry, ParsedMessage | None]]:
    """The messages a record was made from or given (newest first), parsed for display (sanitized HTML).

    The caller has checked that the user may see the record.
    """
    entries = db.session.scalars(sa.select(MailIntakeEntry).where(
        MailIntakeEntry.record_type == record_type, MailIntakeEntry.record_id == record_id,
        MailIntakeEntry.outcome.in_((CREATED_DEAL, ACTIVITY)))
        .order_by(MailIntakeEntry.id.desc()).limit(20))
    return [(entry, parsed_entry(entry)) for entry in entries]
