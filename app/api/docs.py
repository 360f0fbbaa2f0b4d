"""The API contract, served: `GET /api/v1/openapi.json` (OpenAPI 3.1) and `GET /api/docs` (a page for people).

Both are public: the document describes the routes and their schemas, never data (no directory
entries, no users). The page is rendered on the server from the same document, without JavaScript.
"""
from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, jsonify, render_template

from app.api.openapi import build_document

bp = Blueprint("api_docs", __name__, template_folder="templates")

METHOD_ORDER = {"get": 0, "post": 1, "put": 2, "patch": 3, "delete": 4}


@bp.get("/api/v1/openapi.json")
def openapi() -> Any:
    return jsonify(build_document(current_app))


@bp.get("/api/docs")
def index() -> Any:
    document = build_document(current_app)
    return render_template("api/docs.html", document=document, sections=_sections(document),
                           schemas=[(name, _fields(schema, document)) for name, schema
                                    in document["components"]["schemas"].items()])


def _sections(document: dict[str, Any]) -> list[tuple[str, list[dict[str, Any]]]]:
    """Operations grouped by tag, in path order, as rows the template prints."""
    by_tag: dict[str, list[dict[str, Any]]] = {t["name"]: [] for t in document["tags"]}
    for path, item in document["paths"].items():
        for method, op in sorted(item.items(), key=lambda kv: METHOD_ORDER.get(kv[0], 9)):
            body = op.get("requestBody", {}).get("content", {}).get("application/json", {}).get("schema")
            by_tag.setdefault(op["tags"][0], []).append({
                "id": op["operationId"], "method": method.upper(), "path": path, "summary": op["summary"],
                "description": op.get("description", ""), "public": op.get("security") == [],
                "parameters": [{"name": p["name"], "in": p["in"], "type": type_label(p["schema"]),
                                "required": p.get("required", False), "description": p.get("description", "")}
                               for p in op.get("parameters", [])],
                "body": _fields(body, document) if body is not None else None,
                "body_type": type_label(body) if body is not None else "",
                "responses": [_response(status, r, document) for status, r in op["responses"].items()],
            })
    return [(tag, ops) for tag, ops in by_tag.items() if ops]


def _response(status: str, response: dict[str, Any], document: dict[str, Any]) -> dict[str, Any]:
    schema = response.get("content", {}).get("application/json", {}).get("schema")
    inline = schema is not None and "$ref" not in schema and "items" not in schema.get("properties", {})
    return {"status": status, "description": response["description"],
            "type": type_label(schema) if schema is not None else "",
            "fields": _fields(schema, document) if inline and schema.get("properties") else []}


def _resolve(schema: dict[str, Any], document: dict[str, Any]) -> dict[str, Any]:
    ref = schema.get("$ref")
    if isinstance(ref, str) and ref.startswith("#/components/schemas/"):
        return dict(document["components"]["schemas"][ref.rsplit("/", 1)[1]])
    return schema


def _fields(schema: dict[str, Any], document: dict[str, Any]) -> list[dict[str, Any]]:
    """The top-level fields of an object schema (a reference is followed once)."""
    schema = _resolve(schema, document)
    required = set(schema.get("required", []))
    return [{"name": name, "type": type_label(prop), "required": name in required,
             "description": prop.get("description") or prop.get("title") or ""}
            for name, prop in schema.get("properties", {}).items()]


def type_label(schema: dict[str, Any]) -> str:
    """A short human reading of a JSON Schema: `string (date-time) | null`, `array of Task`, `buyer | supplier`."""
    if "$ref" in schema:
        return str(schema["$ref"]).rsplit("/", 1)[1]
    if "oneOf" in schema and all("const" in s for s in schema["oneOf"]):
        return " | ".join(str(s["const"]) for s in schema["oneOf"])
    props = schema.get("properties", {})
    if set(props) >= {"items", "total"}:
        return f"list of {type_label(props['items'].get('items', {}))}"
    if "enum" in schema:
        return " | ".join(str(v) for v in schema["enum"])
    if "anyOf" in schema:
        return " | ".join(type_label(s) for s in schema["anyOf"])
    types = schema.get("type", "any")
    labels = []
    for t in types if isinstance(types, list) else [types]:
        if t == "array":
            labels.append(f"array of {type_label(schema.get('items', {}))}")
        elif t == "string" and schema.get("format"):
            labels.append(f"string ({schema['format']})")
        else:
            labels.append(str(t))
    return " | ".join(labels)
