"""Document Links (issue 9 §7): a link between two records of any kinds (a deal and an order, a
contract and a payment, ...) or between a record and a library document, shown on both cards.

Rules: whoever may write the record (or document) a link is made from links it to anything they can
see; a link is shown only when the user sees its other end (records through their visibility,
documents through their folder's); a link is removed by whoever sees both ends and may write one of
them. The same pair is linked once, whichever card it was made from (Conflict otherwise).
Writes flush only. Raises NotFound, PermissionDenied, InvalidInput, Conflict.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from flask import url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy.exc import IntegrityError

from app.auth.models import User
from app.documents import library
from app.documents.models import DOCUMENT, DocumentFile, RecordLink
from app.documents.owners import find_owner, list_owners
from app.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from app.extensions import db

DOCUMENT_TITLE = _l("Document")


@dataclass(frozen=True)
class LinkView:
    """A link as one card shows it: the other end."""

    id: int
    type: str
    type_title: Any
    record_id: int
    label: str
    url: str
    created_at: datetime
    created_by: str | None


def link_types() -> list[tuple[str, Any]]:
    """What a record can be linked to: every record kind, clients, library documents."""
    return [(o.type, o.title) for o in list_owners()] + [(DOCUMENT, DOCUMENT_TITLE)]


def _check_type(record_type: Any, field: str) -> str:
    if not isinstance(record_type, str) or (record_type != DOCUMENT and find_owner(record_type) is None):
        raise InvalidInput(fields={field: _("Choose what to link.")})
    return record_type


def _visible_end(record_type: str, record_id: int, user: User) -> Any:
    """The record or document (NotFound when the user does not see it)."""
    if record_type == DOCUMENT:
        return library.get_file(record_id, user)
    owner = find_owner(record_type)
    if owner is None:
        raise NotFound()
    return owner.get_visible(record_id, user)


def _can_write_end(record_type: str, end: Any, user: User) -> bool:
    if record_type == DOCUMENT:
        return library.can_write_file(end, user)
    owner = find_owner(record_type)
    return owner is not None and owner.can_write(end, user)


def find_by_reference(record_type: str, reference: Any) -> int:
    """The id of the record a person named by its number ("D-17", "17"; a client by INN; a document by
    its id). InvalidInput (`reference`) when there is none; the visibility check comes later."""
    text = reference.strip() if isinstance(reference, str) else ""
    if record_type == DOCUMENT:
        digits = text.lstrip("#")
        if digits.isdigit() and len(digits) <= 9:
            return int(digits)
    else:
        owner = find_owner(record_type)
        found = owner.by_number(text) if owner and text else None
        if found is not None:
            return int(found.id)
    raise InvalidInput(fields={"reference": _("Nothing found with this number.")})


def add_link(from_type: Any, from_id: int, to_type: Any, to_id: int, actor: User) -> RecordLink:
    """Link (from_type, from_id), which the actor may write, to (to_type, to_id), which they see.

    Raises NotFound (either end unknown or invisible), PermissionDenied (the first end not writable),
    InvalidInput (an unknown type, a link to itself), Conflict (`already_linked`).
    """
    from_type = _check_type(from_type, "from_type")
    to_type = _check_type(to_type, "to_type")
    if (from_type, from_id) == (to_type, to_id):
        raise InvalidInput(fields={"reference": _("A record cannot be linked to itself.")})
    source = _visible_end(from_type, from_id, actor)
    if not _can_write_end(from_type, source, actor):
        raise PermissionDenied(_("Only whoever may change this record links it."))
    _visible_end(to_type, to_id, actor)
    first, second = sorted([(from_type, from_id), (to_type, to_id)])
    link = RecordLink(from_type=first[0], from_id=first[1], to_type=second[0], to_id=second[1],
                      created_by_id=actor.id)
    try:
        with db.session.begin_nested():
            db.session.add(link)
    except IntegrityError as e:
        raise Conflict(_("These are linked already."), code="already_linked") from e
    return link


def remove_link(link_id: int, actor: User) -> None:
    """Remove a link whose both ends the actor sees and one of which they may write."""
    link = db.session.get(RecordLink, link_id)
    if link is None:
        raise NotFound(_("Link not found."))
    ends = [(link.from_type, link.from_id), (link.to_type, link.to_id)]
    try:
        records = [(t, _visible_end(t, i, actor)) for t, i in ends]
    except NotFound as e:
        raise NotFound(_("Link not found.")) from e
    if not any(_can_write_end(t, r, actor) for t, r in records):
        raise PermissionDenied(_("Only whoever may change one of the linked records removes the link."))
    db.session.delete(link)
    db.session.flush()


def get_link(link_id: int, actor: User) -> RecordLink:
    link = db.session.get(RecordLink, link_id)
    if link is None:
        raise NotFound(_("Link not found."))
    try:
        for record_type, record_id in ((link.from_type, link.from_id), (link.to_type, link.to_id)):
            _visible_end(record_type, record_id, actor)
    except NotFound as e:
        raise NotFound(_("Link not found.")) from e
    return link


def list_visible_links(record_type: Any, record_id: int, user: User) -> list[LinkView]:
    """The links of a record or document the user sees (NotFound otherwise), as `list_links`."""
    _visible_end(_check_type(record_type, "record_type"), record_id, user)
    return list_links(record_type, record_id, user)


def list_links(record_type: str, record_id: int, user: User) -> list[LinkView]:
    """The links of a record or document, both ways, whose other end the user sees (newest first).

    The caller has checked that the user sees (record_type, record_id) itself."""
    rows = list(db.session.scalars(sa.select(RecordLink).where(sa.or_(
        sa.and_(RecordLink.from_type == record_type, RecordLink.from_id == record_id),
        sa.and_(RecordLink.to_type == record_type, RecordLink.to_id == record_id)))
        .order_by(RecordLink.created_at.desc(), RecordLink.id.desc())))
    others: dict[str, set[int]] = {}
    for link in rows:
        other_type, other_id = link.other_end(record_type, record_id)
        others.setdefault(other_type, set()).add(other_id)
    labels: dict[tuple[str, int], tuple[Any, str, str]] = {}
    for other_type, ids in others.items():
        if other_type == DOCUMENT:
            for file_id in library.visible_file_ids(sorted(ids), user):
                document = db.session.get(DocumentFile, file_id)
                if document is not None:
                    labels[(DOCUMENT, file_id)] = (DOCUMENT_TITLE, document.name,
                                                   url_for("library.file_detail", file_id=file_id))
            continue
        owner = find_owner(other_type)
        if owner is None:
            continue
        for other_id in owner.visible_ids(ids, user):
            labels[(other_type, other_id)] = (owner.title, owner.label(owner.find(other_id)), owner.url(other_id))
    views = []
    for link in rows:
        end = link.other_end(record_type, record_id)
        if end in labels:
            title, label, url = labels[end]
            views.append(LinkView(id=link.id, type=end[0], type_title=title, record_id=end[1], label=label, url=url,
                                  created_at=link.created_at,
                                  created_by=link.created_by.display_name if link.created_by else None))
    return views
