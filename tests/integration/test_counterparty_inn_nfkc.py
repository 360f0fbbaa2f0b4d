"""Fullwidth (or other Unicode) digits in an INN are the same INN: the duplicate check sees through them."""
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
