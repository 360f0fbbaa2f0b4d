"""Counterparty hardening: a fullwidth INN is the same INN; every edit names its version; fields are text."""
from __future__ import annotations

import pytest

from tests.conftest import api_token

pytestmark = pytest.mark.db

VALID_INN = "7707083893"
FULLWIDTH_INN = "".join(chr(0xFF10 + int(d)) for d in VALID_INN)  # "７７０７０８３８９３"


def test_a_fullwidth_inn_does_not_bypass_the_duplicate_check(client, users, db_session):
    director = api_token(client, "director")
    first = client.post("/api/v1/counterparties", json={"full_name": "ПАО Сбербанк", "inn": VALID_INN},
                        headers=director)
    assert first.status_code == 201, first.get_json()
    again = client.post("/api/v1/counterparties", json={"full_name": "Сбер (дубль)", "inn": FULLWIDTH_INN},
                        headers=director)
    assert again.status_code == 422 and "inn" in again.get_json()["error"]["fields"]
    found = client.get("/api/v1/counterparties", query_string={"q": "Сбер"}, headers=director).get_json()
    assert found["total"] == 1


def test_an_edit_must_name_its_version_and_fields_are_text(client, users, db_session):
    director = api_token(client, "director")
    created = client.post("/api/v1/counterparties", json={"full_name": "ООО Тест"}, headers=director).get_json()
    url = f"/api/v1/counterparties/{created['id']}"
    unversioned = client.patch(url, json={"phone": "+7 495 000-00-00"}, headers=director)
    assert unversioned.status_code == 422 and "version" in unversioned.get_json()["error"]["fields"]
    for value in (123, ["a"], {"x": 1}, True):
        typed = client.patch(url, json={"short_name": value, "version": created["version"]}, headers=director)
        assert typed.status_code == 422 and "short_name" in typed.get_json()["error"]["fields"], value
    assert client.get(url, headers=director).get_json()["version"] == created["version"]
