"""The local INN registry (CSV import) and auto-fill of requisites by INN.

Providers, in order: a DaData-compatible HTTP service when `CRM_DADATA_TOKEN` is configured
(`CRM_DADATA_URL`, `CRM_DADATA_TIMEOUT` override the endpoint and timeout), then the local
`InnRegistryEntry` table. A provider that fails (network, HTTP error, bad JSON) is logged and skipped.

Side effects: `import_inn_registry` flushes; the caller commits. Raises InvalidInput, NotFound.
"""
from __future__ import annotations

import csv
import io
import json
import logging
import urllib.error
import urllib.request
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _

from app.counterparties import requisites
from app.counterparties.models import KINDS, InnRegistryEntry
from app.errors import InvalidInput, NotFound
from app.extensions import db

logger = logging.getLogger(__name__)

DADATA_URL = "https://suggestions.dadata.ru/suggestions/api/4_1/rs/findById/party"
REGISTRY_COLUMNS = ("inn", "kind", "full_name", "short_name", "kpp", "ogrn", "okpo", "legal_address", "ceo")
# The requisites auto-fill returns (and overwrites on the form), besides "source".
AUTOFILL_FIELDS = ("inn", "kind", "full_name", "short_name", "kpp", "ogrn", "okpo", "legal_address", "ceo")


# ---------------------------------------------------------------- CSV import


@dataclass
class RegistryImportResult:
    created: int = 0
    updated: int = 0
    errors: list[str] = field(default_factory=list)  # "line N: message", rows skipped


def _row_values(row: dict[str, Any]) -> dict[str, str | None]:
    values: dict[str, str | None] = {}
    for column in REGISTRY_COLUMNS:
        raw = (row.get(column) or "").strip()
        if column in ("inn", "kpp", "ogrn", "okpo"):
            raw = requisites.compact(raw)
        values[column] = raw or None
    return values


def _row_error(values: dict[str, str | None]) -> str | None:
    inn = values["inn"]
    if not inn:
        return _("The INN is empty.")
    kind = values["kind"] or requisites.kind_for_inn(inn)
    if kind not in KINDS:
        return _("Unknown kind %(kind)s (use legal_entity, sole_proprietor or individual).", kind=kind)
    values["kind"] = kind
    message = requisites.inn_error(inn, kind)
    if message:
        return f"INN {inn}: {message}"
    if not values["full_name"]:
        return _("The full name is empty.")
    for column, check in (("kpp", requisites.kpp_error), ("ogrn", requisites.ogrn_error)):
        if values[column]:
            message = check(values[column] or "", kind)
            if message:
                return message
    if values["okpo"] and (message := requisites.okpo_error(values["okpo"])):
        return message
    return None


def _sniff_dialect(sample: str) -> type[csv.Dialect] | csv.Dialect:
    try:
        return csv.Sniffer().sniff(sample.splitlines()[0] if sample else "", delimiters=",;\t")
    except csv.Error:
        return csv.excel


def import_inn_registry(lines: Iterable[str] | str, skip_invalid: bool = False) -> RegistryImportResult:
    """Insert or update registry entries from CSV text (header row; `,` `;` or tab separated).

    Columns: inn, full_name (required), kind (derived from the INN length when empty), short_name,
    kpp, ogrn, okpo, legal_address, ceo; other columns are ignored. Every row is validated (INN and
    OGRN check digits). With any invalid row nothing is imported and InvalidInput lists the lines,
    unless `skip_invalid`, which imports the valid rows and reports the others in `errors`.
    """
    text = lines if isinstance(lines, str) else "".join(lines)
    text = text.lstrip("\ufeff")
    reader = csv.DictReader(io.StringIO(text), dialect=_sniff_dialect(text[:4096]))
    header = [(h or "").strip().lower() for h in (reader.fieldnames or [])]
    missing = [c for c in ("inn", "full_name") if c not in header]
    if missing:
        raise InvalidInput(_("The CSV file needs the columns %(columns)s.", columns=", ".join(missing)),
                           fields={"file": _("Missing columns: %(columns)s.", columns=", ".join(missing))})
    reader.fieldnames = header
    result = RegistryImportResult()
    rows: dict[str, dict[str, str | None]] = {}
    for row in reader:
        line = reader.line_num
        if not any((v or "").strip() for v in row.values() if isinstance(v, str)):
            continue
        values = _row_values(row)
        message = _row_error(values)
        if message is None and values["inn"] in rows:
            message = _("INN %(inn)s appears twice in the file.", inn=values["inn"])
        if message:
            result.errors.append(_("line %(line)s: %(message)s", line=line, message=message))
            continue
        rows[str(values["inn"])] = values
    if result.errors and not skip_invalid:
        raise InvalidInput(_("The registry file has invalid rows; nothing was imported."),
                           fields={"file": "\n".join(result.errors)})
    query = sa.select(InnRegistryEntry).where(InnRegistryEntry.inn.in_(list(rows)))
    existing = {e.inn: e for e in db.session.scalars(query)} if rows else {}
    for inn, values in rows.items():
        entry = existing.get(inn)
        if entry is None:
            db.session.add(InnRegistryEntry(**values))
            result.created += 1
        else:
            for column, value in values.items():
                setattr(entry, column, value)
            result.updated += 1
    db.session.flush()
    return result


def find_registry_entry(inn: str) -> InnRegistryEntry | None:
    return db.session.scalar(sa.select(InnRegistryEntry).where(InnRegistryEntry.inn == requisites.compact(inn)))


# ---------------------------------------------------------------- auto-fill


class ProviderUnavailable(Exception):
    """The online registry could not answer (network, HTTP error, malformed answer)."""


def _from_registry(inn: str) -> dict[str, Any] | None:
    entry = find_registry_entry(inn)
    if entry is None:
        return None
    return {**{f: getattr(entry, f) for f in AUTOFILL_FIELDS}, "source": "registry"}


def _map_dadata(inn: str, answer: Any) -> dict[str, Any] | None:
    suggestions = answer.get("suggestions") if isinstance(answer, dict) else None
    if not isinstance(suggestions, list):
        raise ProviderUnavailable("the answer has no suggestions list")
    if not suggestions:
        return None
    # findById returns the head office and its branches; the head office carries the requisites.
    best = next((s for s in suggestions if (s.get("data") or {}).get("branch_type") == "MAIN"), suggestions[0])
    data = best.get("data") or {}
    name = data.get("name") or {}
    address = data.get("address") or {}
    management = data.get("management") or {}
    kind = "legal_entity" if data.get("type") == "LEGAL" else "sole_proprietor"
    return {
        "inn": data.get("inn") or inn,
        "kind": kind,
        "full_name": name.get("full_with_opf") or best.get("unrestricted_value") or best.get("value"),
        "short_name": name.get("short_with_opf") or best.get("value"),
        "kpp": data.get("kpp") if kind == "legal_entity" else None,
        "ogrn": data.get("ogrn"),
        "okpo": data.get("okpo"),
        "legal_address": address.get("unrestricted_value") or address.get("value"),
        "ceo": management.get("name") if kind == "legal_entity" else None,
        "source": "dadata",
    }


def _from_dadata(inn: str, token: str) -> dict[str, Any] | None:
    cfg = current_app.config
    request = urllib.request.Request(
        cfg.get("CRM_DADATA_URL") or DADATA_URL, data=json.dumps({"query": inn}).encode(), method="POST",
        headers={"Content-Type": "application/json", "Accept": "application/json", "Authorization": f"Token {token}"})
    try:
        with urllib.request.urlopen(request, timeout=float(cfg.get("CRM_DADATA_TIMEOUT") or 5)) as response:
            answer = json.loads(response.read().decode("utf-8"))
    except (urllib.error.URLError, OSError, ValueError) as e:
        raise ProviderUnavailable(str(e)) from e
    return _map_dadata(inn, answer)


def autofill(inn: str) -> dict[str, Any]:
    """Requisites for `inn` ({inn, kind, full_name, short_name, kpp, ogrn, okpo, legal_address, ceo, source}).

    Raises InvalidInput (fields={"inn": ...}) for an invalid INN, NotFound when no provider knows it.
    """
    inn = requisites.compact(inn)
    if not inn:
        raise InvalidInput(fields={"inn": _("Enter the INN to fill in the requisites.")})
    message = requisites.inn_error(inn)
    if message:
        raise InvalidInput(fields={"inn": message})
    token = current_app.config.get("CRM_DADATA_TOKEN")
    unavailable = False
    if token:
        try:
            found = _from_dadata(inn, str(token))
            if found is not None:
                return found
        except ProviderUnavailable as e:
            logger.warning("DaData lookup for INN %s failed, falling back to the local registry: %s", inn, e)
            unavailable = True
    found = _from_registry(inn)
    if found is not None:
        return found
    if unavailable:
        raise NotFound(_("No company with INN %(inn)s was found in the local registry, and the online registry "
                         "is unavailable. Fill in the requisites by hand.", inn=inn), code="inn_not_found")
    raise NotFound(_("No company with INN %(inn)s was found in the registry.", inn=inn), code="inn_not_found")
