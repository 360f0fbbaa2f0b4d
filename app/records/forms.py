"""Card forms of record kinds: one JSON Schema per kind under forms/, for pages and API alike.

`clean_card` type-checks data against the schema (jsonschema, Draft 2020-12), refuses fields the
form does not declare, checks directory codes (`x-directory`), the counterparty and money, and
returns the values to set. `x-message` on a property replaces the generic error message.
"""
from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from flask_babel import gettext as _
from werkzeug.datastructures import MultiDict

from app.auth.models import User
from app.counterparties import services as counterparties
from app.directories import services as directories
from app.errors import InvalidInput, NotFound
from app.forms import form_to_data
from app.processes import services as processes
from app.records.kinds import RecordKind

NOT_EDITABLE = "This field cannot be changed here."


def card_schema(kind: RecordKind) -> dict[str, Any]:
    """The kind's card form (JSON Schema) as stored under forms/."""
    return processes.form_schema(kind.card_form)


def coerce_form(kind: RecordKind, form: MultiDict[str, str], tz_name: str) -> dict[str, Any]:
    """Typed card data from an HTML form (an emptied field clears the value). Raises InvalidInput."""
    data, errors = form_to_data(card_schema(kind), form, tz_name, empty_as_null=True)
    if errors:
        raise InvalidInput(fields=errors)
    return data


def _strip(value: Any) -> Any:
    return value.strip() if isinstance(value, str) else value


def check_directory_codes(schema: Mapping[str, Any], data: Mapping[str, Any], errors: dict[str, str]) -> None:
    """Every `x-directory` field holds an active code of its directory (or nothing)."""
    for name, prop in schema.get("properties", {}).items():
        directory = prop.get("x-directory")
        value = data.get(name)
        if directory and isinstance(value, str) and value and name not in errors \
                and not directories.is_valid_code(directory, value):
            errors[name] = _("Choose a value from the list.")


def validate(schema: Mapping[str, Any], data: Mapping[str, Any], partial: bool) -> dict[str, str]:
    """Field errors of `data` against `schema` (`required` is skipped for a partial update)."""
    if partial:
        schema = {k: v for k, v in schema.items() if k != "required"}
    props = schema.get("properties", {})
    # None clears a nullable field; a directory's `oneOf` lists only codes, so null is checked by type here.
    checked = {k: v for k, v in data.items()
               if v is not None or "null" not in (props.get(k, {}).get("type") or [])}
    errors = processes.validate_form(dict(schema), checked)
    for name in list(errors):
        message = props.get(name, {}).get("x-message")
        errors[name] = _(message) if message else _(errors[name])
    check_directory_codes(schema, data, errors)
    return errors


def clean_card(kind: RecordKind, data: Mapping[str, Any], errors: dict[str, str], partial: bool) -> dict[str, Any]:
    """Validated values of the card fields in `data`; field errors are added to `errors`."""
    schema = card_schema(kind)
    props: dict[str, Any] = schema.get("properties", {})
    for name in data:
        if name not in props:
            errors[str(name)] = _(NOT_EDITABLE)
    given = {k: _strip(v) for k, v in data.items() if k in props}
    for name, value in list(given.items()):
        if value == "" and name != "name":
            given[name] = "" if props[name].get("type") == "string" else None
    errors.update({k: v for k, v in validate(schema, given, partial).items() if k not in errors})
    values: dict[str, Any] = {}
    for name, value in given.items():
        if name in errors:
            continue
        prop = props[name]
        if value is not None and prop.get("format") == "decimal":
            value = Decimal(str(value)).quantize(Decimal("0.01"))
        elif value is not None and prop.get("format") == "date-time":
            value = datetime.fromisoformat(str(value))
        elif value is not None and prop.get("format") == "date":
            value = date.fromisoformat(str(value))
        elif name == "counterparty_id" and value is not None:
            try:
                value = counterparties.get_counterparty(int(value)).id
            except NotFound:
                errors[name] = _("Choose an existing counterparty.")
                continue
        values[name] = value
    if kind.check_card:
        kind.check_card(values, errors)
    return values


def transition_preparer(data: Mapping[str, Any], from_form: bool,
                        actor: User) -> Callable[[dict[str, Any] | None], dict[str, Any]]:
    """The status change's data once the process says which transition form applies (same load).

    HTML form fields are typed by that schema (other fields such as the CSRF token are not data);
    JSON is passed as given (the engine refuses undeclared keys). Directory codes are checked.
    """

    def prepare(schema: dict[str, Any] | None) -> dict[str, Any]:
        if schema is None:
            return {} if from_form else dict(data)
        if from_form:
            typed, errors = form_to_data(schema, MultiDict(data) if not isinstance(data, MultiDict) else data,
                                         actor.timezone)
        else:
            typed, errors = dict(data), {}
        check_directory_codes(schema, typed, errors)
        if errors:
            raise InvalidInput(fields=errors)
        return typed

    return prepare


CONTACT_FORM = "crud/contact.schema.json"


def contact_schema() -> dict[str, Any]:
    return processes.form_schema(CONTACT_FORM)


def clean_contact(data: Mapping[str, Any], errors: dict[str, str], partial: bool = False) -> dict[str, Any]:
    """Validated contact fields (strings stripped, empty → None); errors keyed by field."""
    schema = contact_schema()
    props = schema["properties"]
    for name in data:
        if name not in props:
            errors[str(name)] = _(NOT_EDITABLE)
    values: dict[str, Any] = {}
    for name, value in data.items():
        if name in props:
            value = value.strip() if isinstance(value, str) else value
            values[name] = None if value == "" and name != "full_name" else value
    errors.update({k: v for k, v in validate(schema, values, partial).items() if k not in errors})
    if not partial:
        values.setdefault("is_main", False)
    return values


def clean_contacts(contacts: Sequence[Mapping[str, Any]], errors: dict[str, str]) -> list[dict[str, Any]]:
    """A new record's contacts, with exactly one main contact (the first, unless one is marked)."""
    cleaned = []
    for i, contact in enumerate(contacts):
        contact_errors: dict[str, str] = {}
        if not isinstance(contact, Mapping):
            errors[f"contacts.{i}"] = _("Enter a valid value.")
            continue
        cleaned.append(clean_contact(contact, contact_errors))
        errors.update({f"contacts.{i}.{k}": v for k, v in contact_errors.items()})
    if cleaned and not any(c.get("is_main") for c in cleaned):
        cleaned[0]["is_main"] = True
    seen_main = False
    for c in cleaned:
        c["is_main"], seen_main = bool(c.get("is_main")) and not seen_main, seen_main or bool(c.get("is_main"))
    return cleaned
