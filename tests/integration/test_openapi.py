"""The OpenAPI document of /api/v1 matches the routes, is valid, and is served to programs and people.

tests/contract/test_schemathesis.py checks the live responses against it.
"""
from __future__ import annotations

import json
import re
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from jsonschema import Draft202012Validator

from tests.conftest import ROOT

ARG = re.compile(r"<(?:\w+(?:\([^)]*\))?:)?(\w+)>")


def _document(app: Flask) -> dict[str, Any]:
    from app.api.openapi import build_document

    with app.test_request_context():
        return build_document(app)


def _routes(app: Flask) -> set[tuple[str, str]]:
    """(METHOD, /api/v1 path in OpenAPI syntax) of every route the app serves, HEAD/OPTIONS aside."""
    return {(method, ARG.sub(r"{\1}", rule.rule)) for rule in app.url_map.iter_rules()
            if rule.rule.startswith("/api/v1/") for method in (rule.methods or set()) - {"HEAD", "OPTIONS"}}


def _operations(document: dict[str, Any]) -> set[tuple[str, str]]:
    base = document["servers"][0]["url"]
    return {(method.upper(), base + path) for path, item in document["paths"].items() for method in item}


def test_every_api_route_has_an_operation_and_every_operation_a_route(app: Flask) -> None:
    document = _document(app)
    routes, operations = _routes(app), _operations(document)
    assert routes - operations == set(), "routes without an operation: describe them in app/api/openapi.py"
    assert operations - routes == set(), "operations without a route"
    assert len(routes) > 25


def test_the_operation_table_has_no_stale_entries(app: Flask) -> None:
    """Every described endpoint exists: a renamed or removed view cannot leave its description behind."""
    from app.api.openapi import all_operations, api_rules

    with app.test_request_context():
        ops, _ = all_operations()
    endpoints = {endpoint for _, _, endpoint in api_rules(app)}
    stale = sorted(key for key in ops if key.split(" ")[-1] not in endpoints)
    assert stale == []


def _walk(node: Any) -> Any:
    if isinstance(node, dict):
        yield node
        for value in node.values():
            yield from _walk(value)
    elif isinstance(node, list):
        for value in node:
            yield from _walk(value)


def test_document_is_openapi_3_1_with_valid_schemas_and_resolvable_refs(app: Flask) -> None:
    document = _document(app)
    assert document["openapi"] == "3.1.0"
    schemas = document["components"]["schemas"]
    for node in _walk(document):
        ref = node.get("$ref")
        if isinstance(ref, str):
            assert ref.startswith("#/components/schemas/") and ref.rsplit("/", 1)[1] in schemas, ref
    for name, schema in schemas.items():
        Draft202012Validator.check_schema(schema)
    operation_ids = []
    for path, item in document["paths"].items():
        for method, op in item.items():
            operation_ids.append(op["operationId"])
            where = f"{method.upper()} {path}"
            assert op["responses"], where
            body = op.get("requestBody", {}).get("content", {}).get("application/json", {}).get("schema")
            if body is not None:
                Draft202012Validator.check_schema(body)
            public = op.get("security") == []
            assert ("401" in op["responses"]) != public or op["operationId"] == "api.issue_token", where
            if "{" in path:
                assert "404" in op["responses"], where
            for status, response in op["responses"].items():
                if status.startswith(("4", "5")):
                    assert response["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/Error"}
    assert len(operation_ids) == len(set(operation_ids))
    path_params = {op["operationId"]: {p["name"] for p in op.get("parameters", []) if p["in"] == "path"}
                   for item in document["paths"].values() for op in item.values()}
    links = [link for node in _walk(document) for link in (node.get("links") or {}).values()]
    assert len(links) > 10
    for link in links:
        assert set(link["parameters"]) == path_params[link["operationId"]], link
    assert set(document["components"]["securitySchemes"]) == {"bearerAuth", "cookieAuth"}


def test_card_form_schema_is_the_request_body(app: Flask) -> None:
    document = _document(app)
    form = json.loads((ROOT / "forms" / "crud" / "counterparty.schema.json").read_text(encoding="utf-8"))
    create = document["paths"]["/counterparties"]["post"]["requestBody"]["content"]["application/json"]["schema"]
    assert create["properties"] == form["properties"] and create["required"] == form["required"]
    patch = document["paths"]["/counterparties/{counterparty_id}"]["patch"]
    patch_body = patch["requestBody"]["content"]["application/json"]["schema"]
    assert set(patch_body["properties"]) == set(form["properties"]) | {"version"}
    assert patch_body["required"] == ["version"]


def test_openapi_json_is_public(client: FlaskClient) -> None:
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    body = response.get_json()
    assert body["openapi"] == "3.1.0"
    assert body["paths"]["/auth/token"]["post"]["security"] == []
    assert "bearerAuth" in body["components"]["securitySchemes"]


def test_docs_page_lists_every_operation_with_its_parameters_and_fields(app: Flask, client: FlaskClient) -> None:
    document = _document(app)
    response = client.get("/api/docs")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    for path, item in document["paths"].items():
        for op in item.values():
            assert f'data-operation-id="{op["operationId"]}"' in html, op["operationId"]
            assert f"<code class=\"ms-1\">{path}</code>" in html
    # A query parameter, a request-body field of the card form and an error status are shown.
    assert "<code>per_page</code>" in html and "<code>inn</code>" in html and "<strong>422</strong>" in html
    assert "<script" not in html.split("</main>")[0].split("<main")[-1]


def test_docs_page_is_translated(client: FlaskClient) -> None:
    response = client.get("/api/docs", headers={"Accept-Language": "ru"})
    assert response.status_code == 200
    assert "Справочник API" in response.get_data(as_text=True)


@pytest.mark.parametrize("method", ["GET", "PATCH", "DELETE"])
def test_an_id_beyond_32_bits_is_404_for_every_method(client: FlaskClient, users: dict[str, Any],
                                                      method: str) -> None:
    from tests.conftest import api_token

    headers = api_token(client, "admin")
    response = client.open(f"/api/v1/counterparties/1/contacts/{2**31}", method=method, headers=headers, json={})
    assert response.status_code == 404, response.get_data(as_text=True)
    assert response.get_json()["error"]["code"] == "not_found"
