"""The records a library folder or a link can belong to: every registered record kind (lead, deal,
order, ...) and clients (counterparties), each with its own visibility and write rules.

One adapter per record type, so the library and the links never ask "which kind is this": a record
kind follows `app.records.services` (visible_filter, can_edit); a client is read by everyone signed in
and written by CRM staff (`app.counterparties.services.can_edit`).
"""
from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from flask import url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from app.auth.models import User
from app.counterparties import services as counterparties
from app.counterparties.models import Counterparty
from app.errors import NotFound
from app.extensions import db
from app.records import services as records
from app.records.kinds import RecordKind, get_kind, registered_kinds

COUNTERPARTY = "counterparty"


@dataclass(frozen=True)
class Owner:
    """How to find, check and show the records of one type."""

    type: str
    title: Any  # lazy "Deal"
    # The record without a visibility check (trusted callers); NotFound when it does not exist.
    find: Callable[[int], Any]
    # The ids among `ids` that `user` may see.
    visible_ids: Callable[[Collection[int], User], set[int]]
    can_write: Callable[[Any, User], bool]
    label: Callable[[Any], str]  # "D-17 Supply of licenses"
    endpoint: str  # the card's endpoint (record_id=...)
    # A record by its number as people type it ("D-17", "17"); None when there is none.
    by_number: Callable[[str], Any]
    # The ids `user` may see, as a SELECT (for lists that must not load every id).
    visible_query: Callable[[User], Any]

    def get_visible(self, record_id: int, user: User) -> Any:
        """The record when `user` may see it; NotFound otherwise (an invisible record does not exist)."""
        if record_id not in self.visible_ids([record_id], user):
            raise NotFound(_("%(kind)s not found.", kind=self.title))
        return self.find(record_id)

    def url(self, record_id: int) -> str:
        return url_for(self.endpoint, record_id=record_id)


def _kind_owner(kind: RecordKind) -> Owner:
    model = kind.model

    def visible_ids(ids: Collection[int], user: User) -> set[int]:
        if not ids:
            return set()
        rows: list[int] = list(db.session.scalars(sa.select(model.id).where(model.id.in_(list(ids)),
                                                                            records.visible_filter(kind, user))))
        return set(rows)

    def by_number(text: str) -> Any:
        digits = text.strip().upper().removeprefix(f"{model.number_prefix}-")
        if not digits.isdigit() or len(digits) > 9:
            return None
        return db.session.scalar(sa.select(model).where(model.number == int(digits)))

    return Owner(type=kind.name, title=kind.title, find=lambda record_id: records.find_record(kind, record_id),
                 visible_ids=visible_ids, can_write=lambda record, user: records.can_edit(kind, record, user),
                 label=lambda r: f"{r.display_number} {r.name}", endpoint=f"{kind.plural}.detail", by_number=by_number,
                 visible_query=lambda user: sa.select(model.id).where(records.visible_filter(kind, user)))


def _counterparty_owner() -> Owner:
    def visible_ids(ids: Collection[int], user: User) -> set[int]:
        if not ids:
            return set()
        return set(db.session.scalars(sa.select(Counterparty.id).where(Counterparty.id.in_(list(ids)))))

    def by_number(text: str) -> Any:
        text = text.strip()
        return counterparties.find_counterparty_by_inn(text) if text.isdigit() else None

    return Owner(type=COUNTERPARTY, title=_l("Client"), find=counterparties.get_counterparty, visible_ids=visible_ids,
                 can_write=lambda record, user: counterparties.can_edit(user), label=lambda c: str(c.display_name),
                 endpoint="counterparties.detail", by_number=by_number,
                 visible_query=lambda user: sa.select(Counterparty.id))


def list_owners() -> list[Owner]:
    """Every record type, record kinds first (in their registration order), then clients."""
    return [_kind_owner(k) for k in registered_kinds()] + [_counterparty_owner()]


def find_owner(record_type: str) -> Owner | None:
    if record_type == COUNTERPARTY:
        return _counterparty_owner()
    if any(k.name == record_type for k in registered_kinds()):
        return _kind_owner(get_kind(record_type))
    return None


def get_owner(record_type: str) -> Owner:
    """The adapter of a record type; NotFound for a type that is not one."""
    owner = find_owner(record_type)
    if owner is None:
        raise NotFound(_("Unknown record type."), code="unknown_record_type")
    return owner
