"""Input that used to give a 500 (issue 6, item 12), sent the way an attacker or a broken client would:
huge page numbers on every list, deeply nested or oversized JSON, control characters in any field.
"""
from __future__ import annotations

import json

import pytest
import sqlalchemy as sa

from tests.conftest import api_token, login

pytestmark = pytest.mark.db

HUGE = "99999999999999999999"  # 20 digits: beyond a 64-bit integer


def _deep(levels: int, leaf: str = "1") -> str:
    return "[" * levels + leaf + "]" * levels


# ------------------------------------------------------------------------------------------ paging

PAGES = ["/tasks", "/tasks/completed", "/tasks/subordinates", "/counterparties", "/assignments"]
API_LISTS = [("/api/v1/tasks", {}), ("/api/v1/tasks", {"scope": "completed"}),
             ("/api/v1/tasks", {"scope": "subordinates"}), ("/api/v1/counterparties", {}), ("/api/v1/assignments", {})]


@pytest.mark.parametrize("path", PAGES)
@pytest.mark.parametrize("params", [{"page": HUGE}, {"per_page": HUGE}, {"page": "-" + HUGE},
                                    {"page": HUGE, "per_page": HUGE}])
def test_pages_with_huge_paging_numbers(client, users, path, params):
    login(client, "director")
    response = client.get(path, query_string=params)
    assert response.status_code == 200, response.get_data(as_text=True)[:500]


@pytest.mark.parametrize("path, base", API_LISTS)
@pytest.mark.parametrize("params", [{"page": HUGE}, {"per_page": HUGE}, {"page": HUGE, "per_page": HUGE}])
def test_api_lists_with_huge_paging_numbers(client, users, path, base, params):
    headers = api_token(client, "director")
    response = client.get(path, query_string={**base, **params}, headers=headers)
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert body["items"] == []
    assert body.get("page", 1) <= 10**6 and body.get("per_page", 1) <= 100


def test_clamp_keeps_offsets_in_range():
    from app.pagination import MAX_PAGE, clamp, clamp_offset

    assert clamp(10**20, 10**20) == (MAX_PAGE, 100)
    assert clamp(-10**20, -5) == (1, 1)
    assert (clamp(10**20, 100)[0] - 1) * 100 < 2**31
    assert clamp_offset(10**20) < 2**31 and clamp_offset(-3) == 0


# -------------------------------------------------------------------------------------------- JSON


def test_anonymous_token_request_nested_1000_levels_is_400(client):
    response = client.post("/api/v1/auth/token", data=_deep(1000), content_type="application/json")
    assert response.status_code == 400, response.get_data(as_text=True)[:300]
    body = response.get_json()
    assert body["error"]["code"] == "malformed_json"


def test_nested_objects_in_a_field_are_400(client, users):
    headers = api_token(client, "director")
    nested = '{"title": "x", "executor": ' + '{"a":' * 100 + "1" + "}" * 100 + "}"
    response = client.post("/api/v1/assignments", data=nested, content_type="application/json", headers=headers)
    assert response.status_code == 400 and response.get_json()["error"]["code"] == "malformed_json"


def test_json_within_the_depth_limit_and_brackets_in_strings_are_fine(client, users):
    """Depth counts arrays/objects, not brackets inside strings: a wrong password stays a 401."""
    body = json.dumps({"login": "[" * 5000 + "{" * 5000, "password": "]]]]"})
    response = client.post("/api/v1/auth/token", data=body, content_type="application/json")
    assert response.status_code == 401, response.get_json()
    assert response.get_json()["error"]["code"] == "invalid_credentials"


def test_page_endpoint_taking_json_is_guarded_too(client, users):
    """The board's drag-to-reassign posts JSON to a page endpoint: the same limits apply."""
    login(client, "director")
    response = client.post("/tasks/1/reassign", data='{"assignee": ' + _deep(500, '"x"') + "}",
                           content_type="application/json")
    assert response.status_code == 400, response.get_data(as_text=True)[:300]


def test_oversized_json_is_413(client, users):
    headers = api_token(client, "director")
    body = json.dumps({"title": "x" * (1024 * 1024 + 10), "executor": "manager1"})
    response = client.post("/api/v1/assignments", data=body, content_type="application/json", headers=headers)
    assert response.status_code == 413, response.get_data(as_text=True)[:300]
    assert response.get_json()["error"]["code"] == "too_large"


def test_json_that_is_not_json_is_400_not_500(client):
    for raw in (b"\xff\xfe{", b"{\"login\": ", b"[1, 2", b"NaN-ish"):
        response = client.post("/api/v1/auth/token", data=raw, content_type="application/json")
        assert response.status_code == 400, (raw, response.get_data(as_text=True)[:200])
        assert response.get_json()["error"]["code"] == "malformed_json"


# ------------------------------------------------------------------------------ control characters


def _counterparty_count(name_part: str) -> int:
    from app.counterparties.models import Counterparty
    from app.extensions import db

    return db.session.scalar(sa.select(sa.func.count()).select_from(Counterparty)
                             .where(Counterparty.full_name.contains(name_part))) or 0


@pytest.mark.parametrize("bad", ["\x00", "\x1b[31m", "\x7f", "\x08"])
def test_control_character_in_a_counterparty_form_is_422(client, users, bad):
    login(client, "director")
    response = client.post("/counterparties/new", data={"type": "buyer", "kind": "legal_entity",
                                                        "full_name": f"Nul{bad}Corp"})
    assert response.status_code == 422, response.get_data(as_text=True)[:300]
    page = response.get_data(as_text=True)
    assert "full_name" in page
    assert _counterparty_count("Corp") == 0


def test_control_character_in_json_string_is_422_with_the_field(client, users):
    headers = api_token(client, "director")
    response = client.post("/api/v1/counterparties", json={"full_name": "Nul\x00Corp", "type": "buyer"},
                           headers=headers)
    assert response.status_code == 422, response.get_json()
    assert "full_name" in response.get_json()["error"]["fields"]
    assert _counterparty_count("Corp") == 0
    nested = client.post("/api/v1/assignments", json={"title": "ok", "executor": "manager1",
                                                      "extra": {"notes": ["fine", "bad\x01"]}}, headers=headers)
    assert nested.status_code == 422
    assert list(nested.get_json()["error"]["fields"]) == ["extra.notes.1"]


def test_control_character_in_query_or_url_is_422(client, users):
    headers = api_token(client, "director")
    assert client.get("/api/v1/counterparties", query_string={"q": "a\x00b"}, headers=headers).status_code == 422
    assert client.get("/api/v1/directories/lead_source%00", headers=headers).status_code == 422
    login(client, "director")
    assert client.get("/counterparties", query_string={"q": "\x00"}).status_code == 422


def test_tab_newline_and_carriage_return_are_text(client, users):
    headers = api_token(client, "director")
    response = client.post("/api/v1/counterparties", json={"full_name": "Tab\tLine\r\nCorp", "type": "buyer"},
                           headers=headers)
    assert response.status_code != 422 or "full_name" not in response.get_json()["error"]["fields"], \
        response.get_json()


def test_control_character_in_a_lead_name_is_refused(client, users):
    """The issue's case: a NUL byte in a lead name must be impossible to store (it broke the XLSX export)."""
    headers = api_token(client, "director")
    response = client.post("/api/v1/leads", json={"name": "Lead\x00name"}, headers=headers)
    assert response.status_code == 422, response.get_json()
    login(client, "director")
    page = client.post("/leads/quick", data={"name": "Quick\x00lead"})
    assert page.status_code == 422


# ---------------------------------------------------------------- numbers no integer column holds


def test_twenty_digit_numbers_in_form_fields_are_422_not_500(client, users):
    """Fields parsed with `type=int` and stored or looked up as-is: the database cannot take the number."""
    login(client, "admin")
    entry = client.post("/admin/directories/request_source/entries",
                        data={"code": "huge-order", "label_en": "Huge", "label_ru": "Огромный", "sort_order": HUGE})
    assert entry.status_code == 422, entry.get_data(as_text=True)[:300]
    autofill = client.post("/counterparties/autofill", data={"counterparty_id": HUGE, "inn": "7707083893"})
    assert autofill.status_code in (404, 422), autofill.get_data(as_text=True)[:300]
    # The session is usable again afterwards (the failed flush was rolled back).
    assert client.get("/admin/directories").status_code == 200
