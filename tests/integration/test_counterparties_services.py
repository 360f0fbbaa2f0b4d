"""Counterparty services: validation, optimistic locking, contacts, registry import, auto-fill, directories."""
from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from app.counterparties import registry, services
from app.counterparties.cli import import_inn_registry_command
from app.counterparties.models import ContactPerson, Counterparty, InnRegistryEntry
from app.directories import services as directories
from app.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from app.extensions import db
from tests.factories import make_user

pytestmark = pytest.mark.db

SAMPLE_CSV = Path(__file__).resolve().parent.parent / "data" / "inn_registry_sample.csv"
SBERBANK_INN = "7707083893"
ROMASHKA_INN = "7702043329"  # first row of the sample registry


def _count(model: Any) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model)) or 0


def _create(actor: Any, **data: Any) -> Counterparty:
    return services.create_counterparty({"full_name": "ООО «Тест»", **data}, actor)


# ---------------------------------------------------------------- create / update


def test_create_defaults_to_buyer_legal_entity(users):
    c = _create(users["manager1"], inn=" 7707 083 893 ", kpp="773601001", ogrn="1027700132195")
    assert (c.type, c.kind, c.inn, c.version) == ("buyer", "legal_entity", SBERBANK_INN, 1)
    assert c.created_by_id == users["manager1"].id
    assert c.search_name == "ооо «тест»"


@pytest.mark.parametrize("data,field,message", [
    ({"inn": "7707083894"}, "inn", "INN checksum is wrong."),
    ({"inn": "500100732259"}, "inn", "A legal entity's INN has 10 digits."),
    ({"kind": "sole_proprietor", "inn": SBERBANK_INN}, "inn", "A sole proprietor's INN has 12 digits."),
    ({"kpp": "12345"}, "kpp", None),
    ({"ogrn": "1027700132196"}, "ogrn", "OGRN checksum is wrong."),
    ({"full_name": "  "}, "full_name", "This field is required."),
    ({"type": "customer"}, "type", None),
    ({"email": "not-an-email"}, "email", "Enter a valid email address."),
    ({"bik": "044525225", "corr_account": "30101810400000000226"}, "corr_account", None),
    ({"colour": "red"}, "colour", "Unknown field."),
])
def test_invalid_data_is_refused_and_changes_nothing(users, data, field, message):
    before = _count(Counterparty)
    with pytest.raises(InvalidInput) as e:
        _create(users["manager1"], **data)
    assert field in e.value.fields
    if message:
        assert e.value.fields[field] == message
    assert _count(Counterparty) == before


def test_duplicate_inn_is_a_field_error(users):
    _create(users["manager1"], inn=SBERBANK_INN, short_name="Сбер")
    before = _count(Counterparty)
    with pytest.raises(InvalidInput) as e:
        _create(users["manager2"], full_name="Другая", inn=SBERBANK_INN)
    assert e.value.code == "duplicate_inn"
    assert "already exists" in e.value.fields["inn"] and "Сбер" in e.value.fields["inn"]
    assert _count(Counterparty) == before


def test_update_changes_given_fields_and_bumps_version(users):
    c = _create(users["manager1"], inn=SBERBANK_INN, phone="+7 495 000-00-00")
    db.session.commit()
    updated = services.update_counterparty(c.id, {"short_name": "Тест", "type": "partner"}, users["director"],
                                           expected_version=1)
    db.session.commit()
    assert (updated.short_name, updated.type, updated.phone, updated.version) == (
        "Тест", "partner", "+7 495 000-00-00", 2)


def test_stale_version_is_a_conflict_and_changes_nothing(users):
    c = _create(users["manager1"])
    db.session.commit()
    services.update_counterparty(c.id, {"phone": "1"}, users["manager1"], expected_version=1)
    db.session.commit()
    with pytest.raises(Conflict):
        services.update_counterparty(c.id, {"phone": "2"}, users["manager2"], expected_version=1)
    db.session.rollback()
    assert services.get_counterparty(c.id).phone == "1"


def test_changing_kind_revalidates_the_requisites(users):
    c = _create(users["manager1"], inn=SBERBANK_INN, kpp="773601001")
    with pytest.raises(InvalidInput) as e:
        services.update_counterparty(c.id, {"kind": "sole_proprietor"}, users["manager1"], expected_version=None)
    assert set(e.value.fields) == {"inn", "kpp"}


def test_only_crm_groups_may_edit(users):
    outsider = make_user(login="outsider")
    assert not services.can_edit(outsider) and not services.can_edit(users["analyst"])
    assert all(services.can_edit(users[u]) for u in ("manager1", "director", "admin"))
    with pytest.raises(PermissionDenied):
        _create(outsider)
    c = _create(users["admin"])
    with pytest.raises(PermissionDenied):
        services.update_counterparty(c.id, {"phone": "1"}, outsider, expected_version=None)


def test_get_unknown_is_not_found(users):
    with pytest.raises(NotFound):
        services.get_counterparty(999999)


# ---------------------------------------------------------------- search


def test_list_searches_names_in_any_case_and_inn_prefix(users):
    m = users["manager1"]
    _create(m, full_name="ООО «Ромашка»", inn=SBERBANK_INN)
    _create(m, full_name="Vector LLC", type="supplier")
    _create(m, full_name="Иванов Иван Иванович", kind="individual", type="partner")
    assert [c.full_name for c in services.list_counterparties(q="РОМАШ").items] == ["ООО «Ромашка»"]
    assert [c.full_name for c in services.list_counterparties(q="vector").items] == ["Vector LLC"]
    assert [c.full_name for c in services.list_counterparties(q="770708").items] == ["ООО «Ромашка»"]
    assert services.list_counterparties(q="100%").total == 0  # LIKE wildcards are escaped
    assert [c.type for c in services.list_counterparties(type_filter="buyer").items] == ["buyer"]
    assert services.list_counterparties(type_filter="all").total == 3
    names = [c.full_name for c in services.list_counterparties(sort="-name").items]
    assert names == sorted(names, reverse=True)
    page = services.list_counterparties(per_page=2, page=2, sort="created")
    assert (page.total, page.pages, len(page.items)) == (3, 2, 1)
    with pytest.raises(InvalidInput):
        services.list_counterparties(type_filter="nope")


# ---------------------------------------------------------------- contacts


def test_at_most_one_main_contact(users):
    m = users["manager1"]
    c = _create(m)
    first = services.add_contact(c.id, {"full_name": "Анна", "is_main": True}, m)
    second = services.add_contact(c.id, {"full_name": "Борис", "is_main": True, "email": "b@example.org"}, m)
    db.session.refresh(first)
    assert (first.is_main, second.is_main) == (False, True)
    services.update_contact(first.id, {"is_main": True}, m)
    db.session.refresh(second)
    assert [p.full_name for p in c.contacts if p.is_main] == ["Анна"]
    assert c.main_contact is not None and c.main_contact.id == first.id
    services.update_contact(first.id, {"position": "CEO"}, m)  # not touching is_main keeps it
    assert services.get_contact(first.id).is_main
    with pytest.raises(InvalidInput) as e:
        services.add_contact(c.id, {"full_name": "", "email": "x"}, m)
    assert set(e.value.fields) == {"full_name", "email"}
    services.remove_contact(second.id, m)
    assert [p.full_name for p in c.contacts] == ["Анна"]
    assert _count(ContactPerson) == 1


# ---------------------------------------------------------------- registry and auto-fill


def test_registry_import_from_sample_csv_is_idempotent(users):
    result = registry.import_inn_registry(SAMPLE_CSV.read_text(encoding="utf-8"))
    assert (result.created, result.updated, result.errors) == (10, 0, [])
    again = registry.import_inn_registry(SAMPLE_CSV.read_text(encoding="utf-8"))
    assert (again.created, again.updated) == (0, 10)
    entry = registry.find_registry_entry(ROMASHKA_INN)
    assert entry is not None and entry.short_name == "ООО «Ромашка»" and entry.kind == "legal_entity"


def test_registry_import_refuses_a_file_with_invalid_rows(users):
    text = ("inn;full_name;kind\n"
            f"{SBERBANK_INN};ПАО Сбербанк;legal_entity\n"
            "7707083894;Плохой ИНН;legal_entity\n"
            "500100732259;ИП Иванов;\n")
    before = _count(InnRegistryEntry)
    with pytest.raises(InvalidInput) as e:
        registry.import_inn_registry(text)
    assert "line 3" in e.value.fields["file"] and "checksum" in e.value.fields["file"]
    assert _count(InnRegistryEntry) == before
    result = registry.import_inn_registry(text, skip_invalid=True)
    assert result.created == 2 and len(result.errors) == 1
    assert registry.find_registry_entry("500100732259").kind == "sole_proprietor"  # derived from the length


def test_registry_import_needs_inn_and_name_columns(users):
    with pytest.raises(InvalidInput) as e:
        registry.import_inn_registry("name,code\nx,1\n")
    assert "inn" in e.value.message and "full_name" in e.value.message


def test_cli_imports_the_sample(app, users):
    result = app.test_cli_runner().invoke(import_inn_registry_command, [str(SAMPLE_CSV)])
    assert result.exit_code == 0, result.output
    assert "10 created" in result.output
    assert registry.find_registry_entry(ROMASHKA_INN) is not None


def test_autofill_from_the_local_registry(users):
    registry.import_inn_registry(SAMPLE_CSV.read_text(encoding="utf-8"))
    found = services.autofill(" 7702 043 329 ")
    assert found["source"] == "registry" and found["inn"] == ROMASHKA_INN
    assert found["kpp"] == "770201001" and found["ceo"] == "Иванов Иван Иванович"


def test_autofill_invalid_and_unknown_inn(users):
    with pytest.raises(InvalidInput) as e:
        services.autofill("7707083894")
    assert e.value.fields == {"inn": "INN checksum is wrong."}
    with pytest.raises(NotFound) as nf:
        services.autofill(SBERBANK_INN)
    assert nf.value.message == f"No company with INN {SBERBANK_INN} was found in the registry."


DADATA_ANSWER = {"suggestions": [{
    "value": "ПАО СБЕРБАНК", "unrestricted_value": "ПАО СБЕРБАНК",
    "data": {"inn": SBERBANK_INN, "kpp": "773601001", "ogrn": "1027700132195", "okpo": "00032537", "type": "LEGAL",
             "branch_type": "MAIN",
             "name": {"full_with_opf": "ПУБЛИЧНОЕ АКЦИОНЕРНОЕ ОБЩЕСТВО \"СБЕРБАНК РОССИИ\"",
                      "short_with_opf": "ПАО СБЕРБАНК"},
             "management": {"name": "Греф Герман Оскарович", "post": "ПРЕЗИДЕНТ"},
             "address": {"value": "г Москва, ул Вавилова, д 19",
                         "unrestricted_value": "117312, г Москва, ул Вавилова, д 19"}}}]}


class _FakeDaData(BaseHTTPRequestHandler):
    requests: list[dict[str, Any]] = []
    status = 200

    def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        type(self).requests.append({"path": self.path, "auth": self.headers.get("Authorization"), "body": body})
        answer = DADATA_ANSWER if body.get("query") == SBERBANK_INN else {"suggestions": []}
        payload = json.dumps(answer).encode()
        self.send_response(type(self).status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture()
def fake_dadata(app: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[type[_FakeDaData]]:
    server = HTTPServer(("127.0.0.1", 0), _FakeDaData)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    _FakeDaData.requests, _FakeDaData.status = [], 200
    monkeypatch.setitem(app.config, "CRM_DADATA_TOKEN", "secret-token")
    monkeypatch.setitem(app.config, "CRM_DADATA_URL", f"http://127.0.0.1:{server.server_port}/findById/party")
    monkeypatch.setitem(app.config, "CRM_DADATA_TIMEOUT", 2)
    try:
        yield _FakeDaData
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def test_autofill_from_dadata(users, fake_dadata):
    found = services.autofill(SBERBANK_INN)
    assert fake_dadata.requests == [{"path": "/findById/party", "auth": "Token secret-token",
                                     "body": {"query": SBERBANK_INN}}]
    assert found == {"inn": SBERBANK_INN, "kind": "legal_entity",
                     "full_name": "ПУБЛИЧНОЕ АКЦИОНЕРНОЕ ОБЩЕСТВО \"СБЕРБАНК РОССИИ\"", "short_name": "ПАО СБЕРБАНК",
                     "kpp": "773601001", "ogrn": "1027700132195", "okpo": "00032537",
                     "legal_address": "117312, г Москва, ул Вавилова, д 19", "ceo": "Греф Герман Оскарович",
                     "source": "dadata"}
    # The result is valid input for a new counterparty.
    data = {k: v for k, v in found.items() if k != "source"}
    assert services.create_counterparty(data, users["manager1"]).inn == SBERBANK_INN


def test_dadata_miss_falls_back_to_the_registry(users, fake_dadata):
    registry.import_inn_registry(SAMPLE_CSV.read_text(encoding="utf-8"))
    assert services.autofill(ROMASHKA_INN)["source"] == "registry"
    assert len(fake_dadata.requests) == 1


def test_dadata_failure_falls_back_and_says_so(users, fake_dadata, caplog):
    fake_dadata.status = 403
    with pytest.raises(NotFound) as e:
        services.autofill(SBERBANK_INN)
    assert "online registry is unavailable" in e.value.message
    assert "DaData lookup" in caplog.text


def test_unreachable_dadata_falls_back(users, app, monkeypatch):
    monkeypatch.setitem(app.config, "CRM_DADATA_TOKEN", "t")
    monkeypatch.setitem(app.config, "CRM_DADATA_URL", "http://127.0.0.1:9/nothing-listens-here")
    registry.import_inn_registry(SAMPLE_CSV.read_text(encoding="utf-8"))
    assert services.autofill(ROMASHKA_INN)["source"] == "registry"


# ---------------------------------------------------------------- directories


def test_directory_seed_is_idempotent_and_complete(db_session):
    directories.ensure_seed()
    assert directories.ensure_seed() == 0
    codes = {d: [e.code for e in directories.list_entries(d)] for d in directories.DIRECTORIES}
    assert codes["request_category"] == ["consult", "demonstration", "price", "demo-access", "partnership", "other"]
    assert codes["request_source"] == ["website", "email", "phone", "referral", "search", "advertising", "event",
                                       "other"]
    assert codes["request_type"] == ["deal", "partnership", "education"]
    assert codes["disqualification_reason"] == ["no_contact", "not_interested", "not_target", "duplicate",
                                                "incorrect_data", "competitor_choice", "expensive", "spam",
                                                "existing_client", "other"]
    assert codes["vat_rate"] == ["20", "10", "0", "without_vat"]
    assert codes["unit"] == ["pcs", "hour", "month", "license", "service"]
    spam = directories.find_entry("disqualification_reason", "spam")
    assert directories.label(spam, "ru") == "Спам" and directories.label(spam, "en") == "Spam"


def test_directory_add_deactivate_and_reseed_keeps_admin_changes(db_session):
    directories.ensure_seed()
    entry = directories.add_entry("request_source", "webinar", "Webinar", "Вебинар")
    assert directories.list_entries("request_source")[-1].code == "webinar"
    spam = directories.find_entry("disqualification_reason", "spam")
    directories.set_entry_active(spam.id, False)
    directories.ensure_seed()
    assert "spam" not in [e.code for e in directories.list_entries("disqualification_reason")]
    assert "spam" in [e.code for e in directories.list_entries("disqualification_reason", include_inactive=True)]
    assert not directories.is_valid_code("disqualification_reason", "spam")
    assert directories.is_valid_code("request_source", entry.code)
    with pytest.raises(InvalidInput) as e:
        directories.add_entry("request_source", "webinar", "")
    assert set(e.value.fields) == {"code", "label_en"}
    with pytest.raises(NotFound):
        directories.list_entries("no_such_directory")
