"""Product and service lines of any record kind that declares a `line_model` (a deal's, an order's): list,
add (from the catalog or typed), change, remove, copy from another record, and the money math.

Amounts are `Decimal`, rounded to kopecks with ROUND_HALF_UP at each step a document shows:
    without VAT = price × quantity × (1 − discount/100)    (rounded)
    VAT         = without VAT × rate/100                  (rounded; 0 "without VAT")
    with VAT    = without VAT + VAT
Totals are the sums of the rounded line amounts. While a record has lines its amount is their total
WITH VAT (what the customer pays), with a history row when it changes.

Every write checks the record is visible (else NotFound) and editable by the actor (PermissionDenied),
refuses a closed record (Conflict), and bumps the record's version so a card open elsewhere gets 409.
Writes flush only; the caller commits. Imports no record domain: the kind says which model holds the lines.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _

from app.activities import services as history
from app.auth.models import User
from app.catalog import services as catalog
from app.catalog.models import Product
from app.errors import InvalidInput, NotFound
from app.extensions import db
from app.processes.services import now
from app.records import services as records
from app.records.kinds import RecordKind

CENT = Decimal("0.01")
HUNDRED = Decimal(100)
QUANTITY_MAX = Decimal("999999999.999")
AMOUNT_MAX = Decimal("9999999999999.99")  # the record's amount column, Numeric(15, 2)
MAX_LINES = 200
LINE_FIELDS = ("name", "type", "unit", "price", "vat_rate", "quantity", "discount_percent")


@dataclass(frozen=True)
class Amounts:
    net: Decimal    # without VAT
    vat: Decimal
    gross: Decimal  # with VAT


@dataclass(frozen=True)
class LineView:
    line: Any  # a model on LineMixin
    amounts: Amounts


@dataclass(frozen=True)
class RecordLines:
    lines: list[LineView]
    total: Amounts


def line_amounts(price: Decimal, quantity: Decimal, discount_percent: Decimal, vat_rate: str) -> Amounts:
    """One line's amounts, each rounded to kopecks (half up)."""
    net = (price * quantity * (HUNDRED - discount_percent) / HUNDRED).quantize(CENT, ROUND_HALF_UP)
    rate = catalog.vat_percent(vat_rate) or Decimal(0)
    vat = (net * rate / HUNDRED).quantize(CENT, ROUND_HALF_UP)
    return Amounts(net, vat, net + vat)


def amounts_of(line: Any) -> Amounts:
    return line_amounts(Decimal(line.price), Decimal(line.quantity), Decimal(line.discount_percent), line.vat_rate)


def _summed(parts: list[Amounts]) -> Amounts:
    zero = Decimal("0.00")
    return Amounts(sum((a.net for a in parts), zero), sum((a.vat for a in parts), zero),
                   sum((a.gross for a in parts), zero))


# --------------------------------------------------------------------------- access


def _model(kind: RecordKind) -> Any:
    if kind.line_model is None:
        raise NotFound(_("Line not found."))
    return kind.line_model


def editable_record(kind: RecordKind, record_id: int, actor: User) -> Any:
    """The record, visible and writable by the actor and open. Raises NotFound, PermissionDenied, Conflict."""
    record = records.get_record(kind, record_id, actor)
    records.require_edit(kind, record, actor)
    return record


def _check_version(record: Any, data: Mapping[str, Any]) -> None:
    """A write may name the record's version it was made on (the pages do): 409 when it changed since."""
    if data.get("version") not in (None, ""):
        version = data["version"]
        if isinstance(version, str) and version.isdigit() and len(version) < 10:
            version = int(version)
        records.check_version(record, version)


# --------------------------------------------------------------------------- reading


def _lines_of(kind: RecordKind, record_id: int) -> list[Any]:
    model = _model(kind)
    return list(db.session.scalars(sa.select(model).where(model.owner_column() == record_id)
                                   .order_by(model.position, model.id)))


def list_lines(kind: RecordKind, record_id: int, actor: User) -> RecordLines:
    """The lines of a record the actor may see, with their amounts and the totals. Raises NotFound."""
    records.get_record(kind, record_id, actor)
    return record_lines(kind, record_id)


def record_lines(kind: RecordKind, record_id: int) -> RecordLines:
    """The lines and totals of a record already checked visible (the card, a document)."""
    views = [LineView(line, amounts_of(line)) for line in _lines_of(kind, record_id)]
    return RecordLines(views, _summed([v.amounts for v in views]))


def get_line(kind: RecordKind, record_id: int, line_id: int) -> Any:
    line = db.session.get(_model(kind), line_id)
    if line is None or line.owner_id != record_id:
        raise NotFound(_("Line not found."))
    return line


# --------------------------------------------------------------------------- writing


def _clean(data: Mapping[str, Any], errors: dict[str, str], partial: bool) -> dict[str, Any]:
    unknown = set(data) - set(LINE_FIELDS) - {"product_id", "version"}
    for name in sorted(unknown):
        errors[name] = _("Unknown field.")
    values = catalog.clean_item({k: v for k, v in data.items() if k in catalog.FIELDS}, errors, partial=partial)
    if "quantity" in data:
        quantity = catalog.parse_decimal(data["quantity"], "quantity", errors, places=3, maximum=QUANTITY_MAX,
                                         allow_min=False)
        if quantity is not None:
            values["quantity"] = quantity
    if "discount_percent" in data:
        discount = catalog.parse_decimal(data["discount_percent"], "discount_percent", errors, places=2,
                                         maximum=HUNDRED)
        if discount is not None:
            values["discount_percent"] = discount
    return values


def _check_amounts(kind: RecordKind, record_id: int, changed: Any, values: Mapping[str, Any],
                   errors: dict[str, str]) -> None:
    """The line's and the record's amounts must fit the record's amount column."""
    candidate = Amounts(Decimal(0), Decimal(0), Decimal(0))
    if not errors:
        def value(field: str) -> Any:
            return values[field] if field in values else getattr(changed, field)

        candidate = line_amounts(value("price"), value("quantity"), value("discount_percent"), value("vat_rate"))
    others = [amounts_of(line) for line in _lines_of(kind, record_id) if changed is None or line.id != changed.id]
    if candidate.gross > AMOUNT_MAX or _summed([*others, candidate]).gross > AMOUNT_MAX:
        errors["quantity"] = _("The amount is too large.")


def _after_change(kind: RecordKind, record: Any, actor: User) -> None:
    """The record's amount follows its lines (when it has any); its version moves on either way."""
    db.session.flush()
    current = record_lines(kind, record.id)
    if current.lines and current.total.gross != record.amount:
        history.record_change(kind.name, record.id, "amount", record.amount, current.total.gross, actor.id)
        record.amount = current.total.gross
    record.updated_at = now()
    db.session.flush()


def _next_position(kind: RecordKind, record_id: int) -> int:
    model = _model(kind)
    position = db.session.scalar(sa.select(sa.func.max(model.position)).where(model.owner_column() == record_id))
    return (position or 0) + 1


def add_line(kind: RecordKind, record_id: int, data: Mapping[str, Any], actor: User) -> Any:
    """Add a line: from a catalog product (`product_id`: its values, any given field overrides them) or typed
    (`name` and `price` required). `quantity` defaults to 1, `discount_percent` to 0.
    Raises NotFound, PermissionDenied, Conflict (closed, stale `version`), InvalidInput."""
    model = _model(kind)
    record = editable_record(kind, record_id, actor)
    errors: dict[str, str] = {}
    base: dict[str, Any] = {"type": "product", "unit": "pcs", "vat_rate": "20", "quantity": "1",
                            "discount_percent": "0"}
    product: Product | None = None
    raw_product = data.get("product_id")
    if raw_product not in (None, ""):
        if isinstance(raw_product, bool) or not isinstance(raw_product, int):
            errors["product_id"] = _("Choose a product from the catalog.")
        else:
            product = db.session.get(Product, raw_product)
            if product is None or not product.is_active:
                errors["product_id"] = _("Choose a product from the catalog.")
            else:
                base.update(name=product.name, type=product.type, unit=product.unit, price=product.price,
                            vat_rate=product.vat_rate)
    values = _clean({**base, **{k: v for k, v in data.items() if v not in (None, "")}}, errors, partial=False)
    if len(_lines_of(kind, record_id)) >= MAX_LINES:
        errors[""] = _("A record has at most %(n)s lines.", n=MAX_LINES)
    _check_amounts(kind, record_id, None, values, errors)
    if errors:
        raise InvalidInput(fields=errors)
    _check_version(record, data)
    line = model(product_id=product.id if product else None, position=_next_position(kind, record_id),
                 created_at=now(), **{model.owner_field: record_id}, **values)
    db.session.add(line)
    _after_change(kind, record, actor)
    return line


def update_line(kind: RecordKind, record_id: int, line_id: int, data: Mapping[str, Any], actor: User) -> Any:
    """Change a line for this record (PATCH: name, type, unit, price, VAT rate, quantity, discount %)."""
    record = editable_record(kind, record_id, actor)
    line = get_line(kind, record_id, line_id)
    errors: dict[str, str] = {}
    if "product_id" in data:
        errors["product_id"] = _("A line's product cannot be changed: add another line.")
    values = _clean(data, errors, partial=True)
    _check_amounts(kind, record_id, line, values, errors)
    if errors:
        raise InvalidInput(fields=errors)
    _check_version(record, data)
    for field, value in values.items():
        setattr(line, field, value)
    _after_change(kind, record, actor)
    return line


def remove_line(kind: RecordKind, record_id: int, line_id: int, actor: User,
                data: Mapping[str, Any] | None = None) -> None:
    """Remove a line; the amount follows the remaining lines (it stays as it was when none remain)."""
    record = editable_record(kind, record_id, actor)
    line = get_line(kind, record_id, line_id)
    _check_version(record, data or {})
    db.session.delete(line)
    _after_change(kind, record, actor)


def copy_lines(source_kind: RecordKind, source_id: int, kind: RecordKind, record_id: int, actor: User) -> int:
    """Copy the lines of one record (e.g. a deal) to another (e.g. its new order), after the ones it has:
    the same product, name, type, unit, price, discount, quantity and VAT rate, then changed independently.

    The caller has checked the source visible; the target must be writable. Returns how many were copied.
    Raises NotFound, PermissionDenied, Conflict, InvalidInput (too many lines or too large an amount).
    """
    model = _model(kind)
    record = editable_record(kind, record_id, actor)
    source = _lines_of(source_kind, source_id)
    if not source:
        return 0
    errors: dict[str, str] = {}
    if len(_lines_of(kind, record_id)) + len(source) > MAX_LINES:
        errors[""] = _("A record has at most %(n)s lines.", n=MAX_LINES)
    total = _summed([*(amounts_of(line) for line in _lines_of(kind, record_id)), *(amounts_of(s) for s in source)])
    if total.gross > AMOUNT_MAX:
        errors["quantity"] = _("The amount is too large.")
    if errors:
        raise InvalidInput(fields=errors)
    position = _next_position(kind, record_id)
    for offset, line in enumerate(source):
        db.session.add(model(product_id=line.product_id, position=position + offset, created_at=now(),
                             **{model.owner_field: record_id}, **{f: getattr(line, f) for f in LINE_FIELDS}))
    _after_change(kind, record, actor)
    return len(source)
