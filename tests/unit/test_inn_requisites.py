"""INN, KPP, OGRN/OGRNIP, OKPO, BIK and bank account checks (pure functions, no app, no database)."""
from __future__ import annotations

import pytest
from stdnum.ru import inn as stdnum_inn
from stdnum.ru import ogrn as stdnum_ogrn

from app.counterparties import requisites as r

SBERBANK_INN = "7707083893"  # legal entity, 10 digits
PERSON_INN = "500100732259"  # person, 12 digits
SBERBANK_OGRN = "1027700132195"
OGRNIP = "318165787133156"  # from tests/data/inn_registry_sample.csv


def test_sample_numbers_are_valid_according_to_stdnum():
    assert stdnum_inn.is_valid(SBERBANK_INN) and stdnum_inn.is_valid(PERSON_INN)
    assert stdnum_ogrn.is_valid(SBERBANK_OGRN) and stdnum_ogrn.is_valid(OGRNIP)


@pytest.mark.parametrize("inn,kind", [(SBERBANK_INN, "legal_entity"), (PERSON_INN, "sole_proprietor"),
                                      (PERSON_INN, "individual"), (SBERBANK_INN, None), (PERSON_INN, None)])
def test_valid_inn(inn, kind):
    assert r.inn_error(inn, kind) is None


@pytest.mark.parametrize("inn,kind,message", [
    ("7707083894", "legal_entity", "INN checksum is wrong."),
    ("500100732250", "sole_proprietor", "INN checksum is wrong."),
    (PERSON_INN, "legal_entity", "A legal entity's INN has 10 digits."),
    (SBERBANK_INN, "sole_proprietor", "A sole proprietor's INN has 12 digits."),
    (SBERBANK_INN, "individual", "An individual's INN has 12 digits."),
    ("77070838", None, "An INN has 10 digits (company) or 12 digits (person)."),
    ("77070838AB", "legal_entity", "INN must contain digits only."),
])
def test_invalid_inn_messages(inn, kind, message):
    assert r.inn_error(inn, kind) == message


def test_compact_drops_spaces_and_dashes():
    assert r.compact(" 7707 083-893 ") == SBERBANK_INN
    assert r.compact(None) == ""


@pytest.mark.parametrize("ogrn,kind,expected", [
    (SBERBANK_OGRN, "legal_entity", None),
    (OGRNIP, "sole_proprietor", None),
    ("1027700132196", "legal_entity", "OGRN checksum is wrong."),
    (OGRNIP, "legal_entity", "A legal entity's OGRN has 13 digits."),
    (SBERBANK_OGRN, "sole_proprietor", "A sole proprietor's OGRNIP has 15 digits."),
    (SBERBANK_OGRN, "individual", "Individuals have no OGRN."),
    ("10277001321X5", "legal_entity", "OGRN must contain digits only."),
])
def test_ogrn(ogrn, kind, expected):
    assert r.ogrn_error(ogrn, kind) == expected


@pytest.mark.parametrize("kpp,kind,ok", [("773601001", "legal_entity", True), ("7736AB001", "legal_entity", True),
                                         ("77360100", "legal_entity", False), ("7736ab001", "legal_entity", False),
                                         ("773601001", "sole_proprietor", False)])
def test_kpp(kpp, kind, ok):
    assert (r.kpp_error(kpp, kind) is None) is ok


def test_okpo_and_bik():
    assert r.okpo_error("00032537") is None and r.okpo_error("0098393010") is None
    assert r.okpo_error("123") is not None
    assert r.bik_error("044525225") is None and r.bik_error("04452522") is not None


def test_bank_accounts_are_checked_against_the_bik():
    bik = "044525225"
    assert r.corr_account_error("30101810400000000225", bik) is None
    assert "does not match" in (r.corr_account_error("30101810400000000226", bik) or "")
    assert r.bank_account_error("40702810938000000001", bik) is None
    assert "does not match" in (r.bank_account_error("40702810838000000001", bik) or "")
    # Without a BIK only the length is checked.
    assert r.bank_account_error("40702810838000000001", None) is None
    assert r.bank_account_error("4070281083800000000", None) == "A bank account number has 20 digits."


def test_kind_for_inn():
    assert r.kind_for_inn(SBERBANK_INN) == "legal_entity"
    assert r.kind_for_inn(PERSON_INN) == "sole_proprietor"
