"""A deal's products and services lines (issue 8 #3): list, add (from the catalog or typed), change, remove,
and the money math.

Amounts are `Decimal`, rounded to kopecks with ROUND_HALF_UP at each step a document shows:
    without VAT = price × quantity × (1 − discount/100)    (rounded)
    VAT         = without VAT × rate/100                  (rounded; 0 "without VAT")
    with VAT    = without VAT + VAT
Totals are the sums of the rounded line amounts. While a deal has lines its amount is their total
WITH VAT (what the customer pays), with a history row when it changes.

Every write checks the deal is visible (else NotFound) and editable by the actor (PermissionDenied),
refuses a closed deal (Conflict), and bumps the deal's version so a card open elsewhere gets 409.
Writes flush only; the caller commits.
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
from app.deals.models import Deal, DealLine
from app.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from app.extensions import db
from app.processes.services import now
from app.records import services as records
from app.records.kinds import RecordKind, get_kind

CENT = Decimal("0.01")
HUNDRED = Decimal(100)
QUANTITY_MAX = Decimal("999999999.999")
AMOUNT_MAX = Decimal("9999999999999.99")  # the deal's amount column, Numeric(15, 2)
MAX_LINES = 200
LINE_FIELDS = ("name", "type", "unit", "price", "vat_rate", "quantity", "discount_percent")


@dataclass(frozen=True)
class Amounts:
    net: Decimal    # without VAT
    vat: Decimal
    gross: Decimal  # with VAT


@dataclass(frozen=True)
class LineView:
    line: DealLine
    amounts: Amounts


@dataclass(frozen=True)
class DealLines:
    lines: list[LineView]
    total: Amounts


def line_amounts(price: Decimal, quantity: Decimal, discount_percent: Decimal, vat_rate: str) -> Amounts:
    """One line's amounts, each rounded to kopecks (half up)."""
    net = (price * quantity * (HUNDRED - discount_percent) / HUNDRED).quantize(CENT, ROUND_HALF_UP)
    rate = catalog.vat_percent(vat_rate) or Decimal(0)
    vat = (net * rate / HUNDRED).quantize(CENT, ROUND_HALF_UP)
    return Amounts(net, vat, net + vat)


def _amounts_of(line: DealLine) -> Amounts:
    return line_amounts(Decimal(line.price), Decimal(line.quantity), Decimal(line.discount_percent), line.vat_rate)


def _summed(parts: list[Amounts]) -> Amounts:
    zero = Decimal("0.00")
    return Amounts(sum((a.net for a in parts), zero), sum((a.vat for a in parts), zero),
                   sum((a.gross for a in parts), zero))


# --------------------------------------------------------------------------- access


def _kind() -> RecordKind:
    return get_kind("deal")


def editable_deal(deal_id: int, actor: User) -> Deal:
    kind = _kind()
    deal: Deal = records.get_record(kind, deal_id, actor)
    if not records.can_edit(kind, deal, actor):
        raise PermissionDenied(_("Only the responsible person, the Commercial Director or an administrator "
                                 "can change this record."))
    if kind.is_closed(deal):
        raise Conflict(_("A closed record cannot be edited."), code="record_closed")
    return deal


def _check_version(deal: Deal, data: Mapping[str, Any]) -> None:
    """A write may name the deal's version it was made on (the pages do): 409 when it changed since."""
    if data.get("version") not in (None, ""):
        version = data["version"]
        if isinstance(version, str) and version.isdigit() and len(version) < 10:
            version = int(version)
        records.check_version(deal, version)


# --------------------------------------------------------------------------- reading


def _lines_of(deal_id: int) -> list[DealLine]:
    return list(db.session.scalars(sa.select(DealLine).where(DealLine.deal_id == deal_id)
                                   .order_by(DealLine.position, DealLine.id)))


def list_lines(deal_id: int, actor: User) -> DealLines:
    """The lines of a deal the actor may see, with their amounts and the totals. Raises NotFound."""
    records.get_record(_kind(), deal_id, actor)
    return deal_lines(deal_id)


def deal_lines(deal_id: int) -> DealLines:
    """The lines and totals of a deal already checked visible (the card)."""
    views = [LineView(line, _amounts_of(line)) for line in _lines_of(deal_id)]
    return DealLines(views, _summed([v.amounts for v in views]))


def get_line(deal_id: int, line_id: int) -> DealLine:
    line = db.session.get(DealLine, line_id)
    if line is None or line.deal_id != deal_id:
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


def _check_amounts(deal_id: int, changed: DealLine | None, values: Mapping[str, Any], errors: dict[str, str]) -> None:
    """The line's and the deal's amounts must fit the deal's amount column."""
    candidate = Amounts(Decimal(0), Decimal(0), Decimal(0))
    if not errors:
        def value(field: str) -> Any:
            return values[field] if field in values else getattr(changed, field)

        candidate = line_amounts(value("price"), value("quantity"), value("discount_percent"), value("vat_rate"))
    others = [_amounts_of(line) for line in _lines_of(deal_id) if changed is None or line.id != changed.id]
    if candidate.gross > AMOUNT_MAX or _summed([*others, candidate]).gross > AMOUNT_MAX:
        errors["quantity"] = _("The amount is too large.")


def _after_change(deal: Deal, actor: User) -> None:
    """The deal's amount follows its lines (when it has any); its version moves on either way."""
    db.session.flush()
    current = deal_lines(deal.id)
    if current.lines and current.total.gross != deal.amount:
        history.record_change(_kind().name, deal.id, "amount", deal.amount, current.total.gross, actor.id)
        deal.amount = current.total.gross
    deal.updated_at = now()
    db.session.flush()


def add_line(deal_id: int, data: Mapping[str, Any], actor: User) -> DealLine:
    """Add a line: from a catalog product (`product_id`: its values, any given field overrides them) or typed
    (`name` and `price` required). `quantity` defaults to 1, `discount_percent` to 0.
    Raises NotFound, PermissionDenied, Conflict (closed, stale `version`), InvalidInput."""
    deal = editable_deal(deal_id, actor)
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
    if len(_lines_of(deal_id)) >= MAX_LINES:
        errors[""] = _("A deal has at most %(n)s lines.", n=MAX_LINES)
    _check_amounts(deal_id, None, values, errors)
    if errors:
        raise InvalidInput(fields=errors)
    _check_version(deal, data)
    position = db.session.scalar(sa.select(sa.func.max(DealLine.position)).where(DealLine.deal_id == deal_id))
    line = DealLine(deal_id=deal_id, product_id=product.id if product else None, position=(position or 0) + 1,
                    created_at=now(), **values)
    db.session.add(line)
    _after_change(deal, actor)
    return line


def update_line(deal_id: int, line_id: int, data: Mapping[str, Any], actor: User) -> DealLine:
    """Change a line for this deal (PATCH: name, type, unit, price, VAT rate, quantity, discount %)."""
    deal = editable_deal(deal_id, actor)
    line = get_line(deal_id, line_id)
    errors: dict[str, str] = {}
    if "product_id" in data:
        errors["product_id"] = _("A line's product cannot be changed: add another line.")
    values = _clean(data, errors, partial=True)
    _check_amounts(deal_id, line, values, errors)
    if errors:
        raise InvalidInput(fields=errors)
    _check_version(deal, data)
    for field, value in values.items():
        setattr(line, field, value)
    _after_change(deal, actor)
    return line


def remove_line(deal_id: int, line_id: int, actor: User, data: Mapping[str, Any] | None = None) -> None:
    """Remove a line; the amount follows the remaining lines (it stays as it was when none remain)."""
    deal = editable_deal(deal_id, actor)
    line = get_line(deal_id, line_id)
    _check_version(deal, data or {})
    db.session.delete(line)
    _after_change(deal, actor)
