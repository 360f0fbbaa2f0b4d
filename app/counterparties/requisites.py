"""Checks for Russian requisites: INN, KPP, OGRN/OGRNIP, OKPO, BIK and bank accounts.

Pure functions (python-stdnum for the INN and OGRN check digits); each returns a human-readable
message or None, so the service can key it by field.
"""
from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Mapping
from typing import Any

from flask_babel import gettext as _
from stdnum.ru import inn as stdnum_inn
from stdnum.ru import ogrn as stdnum_ogrn

KPP_RE = re.compile(r"^\d{4}[0-9A-Z]{2}\d{3}$")
_ACCOUNT_WEIGHTS = (7, 1, 3)


def compact(value: str | None) -> str:
    """Drop spaces and dashes people type into numbers ("7707 083 893"); fullwidth or other Unicode
    digits become ASCII (NFKC), so "７７０７…" is the same INN as "7707…" for the duplicate check."""
    return re.sub(r"[\s-]+", "", unicodedata.normalize("NFKC", value or "")).upper()


def inn_error(inn: str, kind: str | None = None) -> str | None:
    """Why `inn` is not a valid INN for `kind` (None: any kind, 10 or 12 digits), or None."""
    if not inn.isdigit():
        return _("INN must contain digits only.")
    if kind == "legal_entity" and len(inn) != 10:
        return _("A legal entity's INN has 10 digits.")
    if kind == "sole_proprietor" and len(inn) != 12:
        return _("A sole proprietor's INN has 12 digits.")
    if kind == "individual" and len(inn) != 12:
        return _("An individual's INN has 12 digits.")
    if len(inn) not in (10, 12):
        return _("An INN has 10 digits (company) or 12 digits (person).")
    if not stdnum_inn.is_valid(inn):
        return _("INN checksum is wrong.")
    return None


def kpp_error(kpp: str, kind: str | None) -> str | None:
    if kind in ("sole_proprietor", "individual"):
        return _("Only legal entities have a KPP.")
    if not KPP_RE.match(kpp):
        return _("A KPP has 9 characters: 4 digits, 2 digits or capital letters, 3 digits.")
    return None


def ogrn_error(ogrn: str, kind: str | None) -> str | None:
    if kind == "individual":
        return _("Individuals have no OGRN.")
    if not ogrn.isdigit():
        return _("OGRN must contain digits only.")
    if kind == "legal_entity" and len(ogrn) != 13:
        return _("A legal entity's OGRN has 13 digits.")
    if kind == "sole_proprietor" and len(ogrn) != 15:
        return _("A sole proprietor's OGRNIP has 15 digits.")
    if len(ogrn) not in (13, 15):
        return _("An OGRN has 13 digits (OGRNIP: 15).")
    if not stdnum_ogrn.is_valid(ogrn):
        return _("OGRN checksum is wrong.")
    return None


def okpo_error(okpo: str) -> str | None:
    if not okpo.isdigit() or len(okpo) not in (8, 10):
        return _("An OKPO code has 8 digits (legal entity) or 10 digits (sole proprietor).")
    return None


def bik_error(bik: str) -> str | None:
    if not bik.isdigit() or len(bik) != 9:
        return _("A BIK has 9 digits.")
    return None


def _account_key_ok(digits: str) -> bool:
    return sum(int(c) * _ACCOUNT_WEIGHTS[i % 3] for i, c in enumerate(digits)) % 10 == 0


def bank_account_error(account: str, bik: str | None) -> str | None:
    """A settlement account has 20 digits; with a valid BIK its control key is checked too."""
    if not account.isdigit() or len(account) != 20:
        return _("A bank account number has 20 digits.")
    if bik and bik_error(bik) is None and not _account_key_ok(bik[-3:] + account):
        return _("The account number does not match the BIK (control digit is wrong).")
    return None


def corr_account_error(account: str, bik: str | None) -> str | None:
    if not account.isdigit() or len(account) != 20:
        return _("A correspondent account number has 20 digits.")
    if bik and bik_error(bik) is None and not _account_key_ok("0" + bik[4:6] + account):
        return _("The correspondent account does not match the BIK (control digit is wrong).")
    return None


def kind_for_inn(inn: str) -> str:
    """The most likely kind for an INN: 10 digits → legal entity, 12 → sole proprietor."""
    return "legal_entity" if len(inn) == 10 else "sole_proprietor"


def check_requisites(values: Mapping[str, Any], kind: str | None, errors: dict[str, str]) -> None:
    """Add a field error for each requisite in `values` that fails its check (fields already in error,
    or empty, are skipped). `kind` is the counterparty kind the INN/KPP/OGRN rules depend on."""
    checks: dict[str, Callable[[str], str | None]] = {
        "inn": lambda v: inn_error(v, kind),
        "kpp": lambda v: kpp_error(v, kind),
        "ogrn": lambda v: ogrn_error(v, kind),
        "okpo": okpo_error,
        "bik": bik_error,
        "bank_account": lambda v: bank_account_error(v, values.get("bik")),
        "corr_account": lambda v: corr_account_error(v, values.get("bik")),
    }
    for field, check in checks.items():
        if values.get(field) and field not in errors:
            message = check(values[field])
            if message:
                errors[field] = message
