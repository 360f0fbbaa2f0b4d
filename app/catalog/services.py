"""The catalog's services: who edits it, list/search, create, update, deactivate, and the value rules
(price, VAT rate, unit) deal lines share.

Writes flush only; the caller commits. Raises NotFound, PermissionDenied, InvalidInput, Conflict.
"""
from __future__ import annotations

from collections.abc import Callable, Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

import sqlalchemy as sa
from flask_babel import get_locale
from flask_babel import gettext as _

from app.access.services import is_commercial_director, is_crm_manager
from app.auth.models import User
from app.catalog.models import TYPES, Product
from app.directories import services as directories
from app.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from app.extensions import db
from app.pagination import Page, clamp

NAME_MAX = 255
MONEY_MAX = Decimal("999999999999.99")  # Numeric(15, 2) with room for a total of several lines
WITHOUT_VAT = "without_vat"
# API spellings of "without VAT" besides the directory's own code.
VAT_ALIASES = {"none": WITHOUT_VAT, "": WITHOUT_VAT}
FIELDS = ("name", "type", "unit", "price", "vat_rate")


# --------------------------------------------------------------------------- access


def can_edit(user: User) -> bool:
    """CRM Managers, the Commercial Director and administrators edit the catalog; everyone signed in reads."""
    return is_crm_manager(user) or is_commercial_director(user)


def require_editor(user: User) -> None:
    if not can_edit(user):
        raise PermissionDenied(_("Only CRM Managers, the Commercial Director and administrators edit the catalog."))


# --------------------------------------------------------------------------- value rules


def parse_decimal(value: Any, field: str, errors: dict[str, str], *, places: int, maximum: Decimal,
                  minimum: Decimal = Decimal(0), allow_min: bool = True) -> Decimal | None:
    """A JSON number or a decimal string ("1 000,50" too) → Decimal within [minimum, maximum] with at most
    `places` decimal places; otherwise an error in `errors[field]` and None."""
    if isinstance(value, bool) or not isinstance(value, (int, float, str, Decimal)):
        errors[field] = _("Enter a number.")
        return None
    text = str(value).strip().replace("\u00a0", "").replace(" ", "").replace(",", ".")
    if len(text) > 40:
        errors[field] = _("Enter a number.")
        return None
    try:
        number = Decimal(text)
    except InvalidOperation:
        errors[field] = _("Enter a number.")
        return None
    if not number.is_finite():
        errors[field] = _("Enter a number.")
        return None
    if number < minimum or (number == minimum and not allow_min) or number > maximum:
        errors[field] = _("Enter a number from %(low)s to %(high)s.", low=minimum, high=maximum) if allow_min else \
            _("Enter a number greater than %(low)s and at most %(high)s.", low=minimum, high=maximum)
        return None
    exponent = number.as_tuple().exponent
    if isinstance(exponent, int) and exponent < -places:
        errors[field] = _("Use at most %(places)s decimal places.", places=places)
        return None
    return number.quantize(Decimal(1).scaleb(-places))


def _code_allowed(directory: str, code: str) -> bool:
    """An active entry of the directory; before the directories are seeded, one of its seed codes."""
    entry = directories.find_entry(directory, code)
    if entry is not None:
        return bool(entry.is_active)
    known = directories.DIRECTORIES.get(directory)
    return known is not None and code in {c for c, _en, _ru in known.seed}


def clean_vat_rate(value: Any, errors: dict[str, str], field: str = "vat_rate") -> str | None:
    if not isinstance(value, str):
        errors[field] = _("Choose a VAT rate.")
        return None
    code = VAT_ALIASES.get(value.strip(), value.strip())
    if not _code_allowed("vat_rate", code) or vat_percent(code) is None:
        errors[field] = _("Choose a VAT rate.")
        return None
    return code


def vat_percent(code: str) -> Decimal | None:
    """The rate in percent of a VAT code ("20" → 20, "without_vat" → 0); None for a code that is no rate."""
    if code == WITHOUT_VAT:
        return Decimal(0)
    try:
        rate = Decimal(code)
    except InvalidOperation:
        return None
    return rate if rate.is_finite() and Decimal(0) <= rate <= Decimal(100) else None


def clean_unit(value: Any, errors: dict[str, str], field: str = "unit") -> str | None:
    if not isinstance(value, str) or not _code_allowed("unit", value.strip()):
        errors[field] = _("Choose a unit.")
        return None
    return value.strip()


def clean_name(value: Any, errors: dict[str, str], field: str = "name") -> str | None:
    if not isinstance(value, str) or not value.strip():
        errors[field] = _("This field is required.")
        return None
    if len(value.strip()) > NAME_MAX:
        errors[field] = _("Use at most %(n)s characters.", n=NAME_MAX)
        return None
    return value.strip()


def clean_type(value: Any, errors: dict[str, str], field: str = "type") -> str | None:
    if value not in TYPES:
        errors[field] = _("Choose product or service.")
        return None
    return str(value)


def clean_item(data: Mapping[str, Any], errors: dict[str, str], partial: bool) -> dict[str, Any]:
    """The name, type, unit, price and VAT rate in `data` (all required unless `partial`), cleaned."""
    cleaners: dict[str, Callable[[Any, dict[str, str]], Any]] = {
        "name": clean_name, "type": clean_type, "unit": clean_unit, "vat_rate": clean_vat_rate,
        "price": lambda v, e: parse_decimal(v, "price", e, places=2, maximum=MONEY_MAX),
    }
    values: dict[str, Any] = {}
    for field, clean in cleaners.items():
        if field not in data:
            if not partial:
                errors[field] = _("This field is required.")
            continue
        value = clean(data[field], errors)
        if field not in errors:
            values[field] = value
    return values


# --------------------------------------------------------------------------- reading


def get_product(product_id: int) -> Product:
    product = db.session.get(Product, product_id)
    if product is None:
        raise NotFound(_("Product not found."))
    return product


def list_products(q: str | None = None, include_inactive: bool = False, page: int = 1,
                  per_page: int = 20) -> Page[Product]:
    """Search by name (any alphabet, case-insensitive), active first, by name; paged."""
    where: list[Any] = []
    if not include_inactive:
        where.append(Product.is_active.is_(True))
    text = (q or "").strip().lower()
    if text:
        where.append(Product.search_name.contains(text, autoescape=True))
    page, per_page = clamp(page, per_page)
    total = db.session.scalar(sa.select(sa.func.count()).select_from(Product).where(*where)) or 0
    items = list(db.session.scalars(sa.select(Product).where(*where)
                                    .order_by(Product.is_active.desc(), Product.search_name, Product.id)
                                    .limit(per_page).offset((page - 1) * per_page)))
    return Page(items=items, total=total, page=page, per_page=per_page)


def active_products(limit: int = 500) -> list[Product]:
    """The catalog a deal's line is picked from."""
    return list(db.session.scalars(sa.select(Product).where(Product.is_active.is_(True))
                                   .order_by(Product.search_name, Product.id).limit(limit)))


# --------------------------------------------------------------------------- writing


def _unknown(data: Mapping[str, Any], known: tuple[str, ...]) -> dict[str, str]:
    return {name: _("Unknown field.") for name in sorted(set(data) - set(known))}


def create_product(data: Mapping[str, Any], actor: User) -> Product:
    """A new catalog entry; `type` defaults to product, `unit` to pcs, `vat_rate` to 20. Raises
    PermissionDenied, InvalidInput (field errors)."""
    require_editor(actor)
    errors = _unknown(data, FIELDS)
    values = clean_item({"type": "product", "unit": "pcs", "vat_rate": "20", **data}, errors, partial=False)
    if errors:
        raise InvalidInput(fields=errors)
    product = Product(**values, search_name=values["name"].lower(), is_active=True)
    db.session.add(product)
    db.session.flush()
    return product


def update_product(product_id: int, data: Mapping[str, Any], actor: User, expected_version: Any) -> Product:
    """Change a catalog entry (PATCH semantics, `is_active` too). Existing deal lines keep their copies.

    `expected_version` is required (409 when stale)."""
    require_editor(actor)
    product = get_product(product_id)
    errors = _unknown(data, (*FIELDS, "is_active"))
    values = clean_item(data, errors, partial=True)
    if "is_active" in data:
        if not isinstance(data["is_active"], bool):
            errors["is_active"] = _("Give true or false.")
        else:
            values["is_active"] = data["is_active"]
    if expected_version is None or isinstance(expected_version, bool) or not isinstance(expected_version, int):
        errors["version"] = _("This field is required.")
    if errors:
        raise InvalidInput(fields=errors)
    if expected_version != product.version:
        raise Conflict()
    for field, value in values.items():
        setattr(product, field, value)
    if "name" in values:
        product.search_name = values["name"].lower()
    db.session.flush()
    return product


def choices(directory: str) -> list[tuple[str, str]]:
    """(code, label) of a directory's active entries in the user's language; its seed before it is seeded."""
    locale = str(get_locale() or "en")
    entries = directories.list_entries(directory)
    if entries:
        return [(e.code, e.label(locale)) for e in entries]
    seed = directories.DIRECTORIES[directory].seed
    return [(code, ru if locale.startswith("ru") else en) for code, en, ru in seed]
