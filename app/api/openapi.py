"""The OpenAPI 3.1 document of `/api/v1`, built from the app's url_map and one table of operations.

Paths, methods and path parameters come from the url_map (so they cannot drift from the routes);
each endpoint's summary, query parameters, request body and responses come from `core_operations` and,
for the record kinds (leads, deals), from `record_operations`, one function per kind.
tests/integration/test_openapi.py checks that the url_map and the table name the same operations;
tests/contract/test_schemathesis.py fuzzes a live server against the document.

Request bodies reuse the card-form JSON Schemas under forms/ where they exist. Allowed imports:
domain services and models for their constants (sort orders, field lists); never a view.
"""
from __future__ import annotations

import copy
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from flask import Flask

from app.activities.models import COMMENT_MAX_LENGTH
from app.counterparties.models import FIELDS as COUNTERPARTY_FIELDS
from app.counterparties.models import TYPES as COUNTERPARTY_TYPES
from app.counterparties.services import SORTS as COUNTERPARTY_SORTS
from app.processes import services as processes
from app.records.journal import MAX_PAGE, SORT_KEYS
from app.records.kinds import RecordKind, registered_kinds
from app.tasks.services import SORTS as TASK_SORTS

API_PREFIX = "/api/v1"
Schema = dict[str, Any]
INT32_MAX = 2**31 - 1
IGNORED_METHODS = frozenset({"HEAD", "OPTIONS"})

ERROR_DESCRIPTIONS = {
    400: "Malformed request: the body is not JSON, not an object, nests too deep, a field has the wrong "
         "JSON type, or a session-authenticated write came without the CSRF token (`csrf_failed`).",
    401: "Not logged in: no session and no valid bearer token.",
    403: "Logged in, but not allowed to do this.",
    404: "Not found, or not visible to this user.",
    409: "Conflict: a stale `version`, a task already completed, an illegal status move.",
    413: "The JSON body is larger than the server accepts.",
    422: "Invalid data: `fields` maps each field to its message (also: control characters in any input).",
    429: "Too many attempts: wait and try again.",
}


# ------------------------------------------------------------------------------ schema helpers


def ref(name: str) -> Schema:
    return {"$ref": f"#/components/schemas/{name}"}


def nullable(schema: Schema) -> Schema:
    """`schema` or null (OpenAPI 3.1 is JSON Schema 2020-12: a type list, no `nullable`)."""
    if "type" in schema and isinstance(schema["type"], str):
        return {**schema, "type": [schema["type"], "null"]}
    return {"anyOf": [schema, {"type": "null"}]}


STRING: Schema = {"type": "string"}
INTEGER: Schema = {"type": "integer"}
BOOLEAN: Schema = {"type": "boolean"}
DATE_TIME: Schema = {"type": "string", "format": "date-time"}
DATE: Schema = {"type": "string", "format": "date"}
MONEY: Schema = {"type": "string", "pattern": r"^-?\d+\.\d{2}$", "description": "Decimal string, 2 places."}
LOGIN: Schema = {"type": "string", "description": "A user's login."}


def obj(properties: Mapping[str, Schema], required: Iterable[str] | None = None, strict: bool = True,
        **extra: Any) -> Schema:
    """An object schema; every property is required unless `required` says otherwise."""
    schema: Schema = {"type": "object", "properties": dict(properties),
                      "required": list(properties if required is None else required)}
    if strict:
        schema["additionalProperties"] = False
    schema.update(extra)
    return schema


def page_of(item: Schema, paged: bool = True) -> Schema:
    props: dict[str, Schema] = {"items": {"type": "array", "items": item}, "total": {"type": "integer", "minimum": 0}}
    if paged:
        props.update(page={"type": "integer", "minimum": 1}, per_page={"type": "integer", "minimum": 1, "maximum": 100})
    return obj(props)


def form_body(form_path: str, *, partial: bool = False, extra: Mapping[str, Schema] | None = None) -> Schema:
    """A card-form JSON Schema from forms/ as a request body (`partial`: PATCH, nothing required)."""
    schema = copy.deepcopy(processes.form_schema(form_path))
    schema.pop("$schema", None)
    schema.pop("$id", None)
    if partial:
        schema.pop("required", None)
    if extra:
        schema.setdefault("properties", {}).update(extra)
        if partial:
            schema["required"] = list(extra)
    return schema


# ------------------------------------------------------------------------------ components

ERROR = obj({"error": obj({
    "code": {"type": "string", "description": "Stable snake_case error code."},
    "message": {"type": "string", "description": "Human-readable, in the user's language."},
    "fields": {"type": "object", "additionalProperties": {"type": "string"},
               "description": "Field name → message (422); empty otherwise."},
})})

TASK_PROPERTIES: dict[str, Schema] = {
    "id": INTEGER, "uuid": STRING, "title": STRING, "name": STRING,
    "status": {"type": "string", "enum": ["open", "completed", "canceled"]},
    "assignee": nullable(LOGIN), "candidate_groups": {"type": "array", "items": STRING},
    "due_at": nullable(DATE_TIME), "created_at": DATE_TIME, "completed_at": nullable(DATE_TIME),
    "completed_by": nullable(LOGIN), "outcome": nullable(STRING), "process": STRING,
    "record_type": STRING, "record_id": INTEGER, "record_number": STRING, "record_title": STRING,
    "lane": nullable(STRING),
    "form": nullable({"type": "object", "description": "The task form's JSON Schema."}),
}

ASSIGNMENT = obj({
    "id": INTEGER, "number": STRING, "title": STRING, "description": STRING, "author": LOGIN,
    "executor": nullable(LOGIN), "executor_group": nullable(STRING), "reviewer": nullable(LOGIN), "due_date": DATE,
    "status": {"type": "string", "enum": ["in_progress", "in_review", "rework", "completed"]},
    "result_comment": nullable(STRING), "review_comment": nullable(STRING), "created_at": DATE_TIME,
})

ASSIGNMENT_CREATE = obj({
    "title": {"type": "string", "minLength": 1, "maxLength": 300},
    "description": {"type": "string"},
    "executor": nullable(LOGIN),
    "executor_group": nullable({"type": "string", "description": "A group id, instead of an executor."}),
    "due_date": {**DATE, "description": "Today or later (YYYY-MM-DD)."},
    "reviewer": nullable(LOGIN),
}, required=["title", "due_date"])

CONTACT_PROPERTIES: dict[str, Schema] = {
    "full_name": {"type": "string", "minLength": 1, "maxLength": 255},
    "position": nullable({"type": "string", "maxLength": 255}),
    "department": nullable({"type": "string", "maxLength": 255}),
    "phone": nullable({"type": "string", "maxLength": 50}),
    "email": nullable({"type": "string", "maxLength": 254}), "is_main": BOOLEAN,
}
CONTACT = obj({"id": INTEGER, "counterparty_id": INTEGER, **CONTACT_PROPERTIES})
CONTACT_CREATE = obj(CONTACT_PROPERTIES, required=["full_name"])
CONTACT_PATCH = obj(CONTACT_PROPERTIES, required=[])

COUNTERPARTY_PROPERTIES: dict[str, Schema] = {
    "id": INTEGER, **{f: nullable(STRING) for f in COUNTERPARTY_FIELDS},
    "type": {"type": "string", "enum": list(COUNTERPARTY_TYPES)}, "kind": STRING, "full_name": STRING,
    "display_name": STRING, "version": INTEGER, "created_at": DATE_TIME, "updated_at": DATE_TIME,
    "created_by": nullable(LOGIN),
}
COUNTERPARTY_SUMMARY = obj(COUNTERPARTY_PROPERTIES)
COUNTERPARTY = obj({**COUNTERPARTY_PROPERTIES, "contacts": {"type": "array", "items": ref("Contact")}})
AUTOFILL = obj({"inn": STRING, "kind": STRING, "full_name": STRING, "short_name": nullable(STRING),
                "kpp": nullable(STRING), "ogrn": nullable(STRING), "okpo": nullable(STRING),
                "legal_address": nullable(STRING), "ceo": nullable(STRING), "source": STRING},
               required=["inn", "full_name"], strict=False)

DIRECTORY = obj({"id": STRING, "title": STRING})
DIRECTORY_ENTRY = obj({"id": INTEGER, "directory": STRING, "code": STRING, "label": STRING, "label_en": STRING,
                       "label_ru": STRING, "sort_order": INTEGER, "is_active": BOOLEAN})

# The catalog and a deal's lines (app/catalog/api.py, app/records/lines_views.py); a decimal is a JSON number or
# a decimal string; VAT rates and units are codes of the `vat_rate` and `unit` directories.
DECIMAL_IN: Schema = {"type": ["string", "number"], "description": "A decimal number (or its string)."}
PRODUCT_WRITE: dict[str, Schema] = {
    "name": {"type": "string", "minLength": 1, "maxLength": 255},
    "type": {"type": "string", "enum": ["product", "service"]},
    "unit": {"type": "string", "description": "A code of the `unit` directory (pcs, hour, month, ...)."},
    "price": {**MONEY, "description": "Decimal string, 2 places (a number or string when sent)."},
    "vat_rate": {"type": "string", "description": "A `vat_rate` code: 20, 10, 0 or without_vat (`none`)."},
}
LINE_AMOUNTS: dict[str, Schema] = {"amount": MONEY, "vat_amount": MONEY, "amount_with_vat": MONEY}
LINE_WRITE: dict[str, Schema] = {
    "product_id": INTEGER, **PRODUCT_WRITE, "price": DECIMAL_IN, "quantity": DECIMAL_IN,
    "discount_percent": DECIMAL_IN, "version": {"type": "integer", "description": "The record's version (optional)."}}
PRODUCT_TARGETS = ("products_api.get_product", "products_api.update_product")

ME = obj({"id": INTEGER, "login": LOGIN, "full_name": STRING, "email": nullable(STRING),
          "groups": {"type": "array", "items": STRING}, "line_manager": nullable(LOGIN), "locale": STRING})

PROCESS_VERSION = obj({"id": STRING, "process_id": STRING, "version": INTEGER, "name": STRING, "file_name": STRING,
                       "deployed_at": DATE_TIME, "instances": {"type": "integer", "minimum": 0}})

TOKEN_PROPERTIES: dict[str, Schema] = {
    "id": INTEGER, "name": STRING, "user": LOGIN, "created_at": DATE_TIME, "expires_at": DATE_TIME,
    "last_used_at": nullable(DATE_TIME)}

# Planned activities and assignments made from a record (app/activities/views.py, app/assignments/views.py).
ACTIVITY_KIND = ["call", "meeting", "email"]
ACTIVITY_WRITE: dict[str, Schema] = {
    "kind": {"type": "string", "enum": ACTIVITY_KIND},
    "subject": {"type": "string", "minLength": 1, "maxLength": 300, "description": "One line."},
    "due_at": {**DATE_TIME, "description": "In the future, with its UTC offset."},
    "responsible": {**LOGIN, "description": "An active CRM Manager or the Commercial Director (default: you)."},
    "body": {"type": "string", "maxLength": 20000}}
RECORD_ASSIGNMENT_WRITE: dict[str, Schema] = {
    "title": {"type": "string", "minLength": 1, "maxLength": 300}, "description": STRING,
    "executor": {**LOGIN, "description": "The executor (or `executor_group`)."},
    "executor_group": {"type": "string", "description": "A group whose members may claim it."},
    "due_date": {**DATE, "description": "Today or later."}, "reviewer": {**LOGIN, "description": "Optional."}}

COMPONENTS: dict[str, Schema] = {
    "Token": obj(TOKEN_PROPERTIES),
    "Error": ERROR, "Task": obj(TASK_PROPERTIES),
    "Comment": obj({"id": INTEGER, "text": STRING, "author": nullable(LOGIN), "created_at": DATE_TIME}),
    "Activity": obj({
        "id": INTEGER, "record_type": STRING, "record_id": INTEGER, "kind": {"type": "string", "enum": ACTIVITY_KIND},
        "subject": STRING, "body": STRING, "due_at": nullable(DATE_TIME),
        "status": {"type": "string", "enum": ["planned", "completed", "expired", "canceled"]},
        "responsible": nullable(LOGIN), "result": nullable(STRING), "created_by": nullable(LOGIN),
        "created_at": DATE_TIME, "updated_at": DATE_TIME, "completed_at": nullable(DATE_TIME),
        "sender": nullable(STRING), "message_id": nullable(STRING), "received_at": nullable(DATE_TIME),
        "version": INTEGER}),
    "RecordAssignment": obj({
        "id": INTEGER, "number": STRING, "title": STRING, "description": STRING, "author": LOGIN,
        "executor": nullable(LOGIN), "executor_group": nullable(STRING), "reviewer": nullable(LOGIN),
        "due_date": DATE, "status": STRING, "record_type": STRING, "record_id": INTEGER, "created_at": DATE_TIME}),
    "TaskDetail": obj({**TASK_PROPERTIES, "version": nullable(INTEGER), "context": {
        "type": "array", "items": obj({"label": STRING, "value": STRING}),
        "description": "The record's key fields, as its record type summarises them."},
        "record_url": {"type": "string", "description": "The record's card page."}}),
    "Assignment": ASSIGNMENT, "Contact": CONTACT, "CounterpartySummary": COUNTERPARTY_SUMMARY,
    "Counterparty": COUNTERPARTY, "Directory": DIRECTORY, "DirectoryEntry": DIRECTORY_ENTRY, "Me": ME,
    "ProcessVersion": PROCESS_VERSION,
    "Product": obj({"id": INTEGER, **PRODUCT_WRITE, "is_active": BOOLEAN, "version": INTEGER,
                    "created_at": DATE_TIME, "updated_at": DATE_TIME}),
}


# ------------------------------------------------------------------------------ operations


@dataclass(frozen=True)
class Param:
    name: str
    schema: Schema
    description: str = ""
    required: bool = False

    def render(self) -> dict[str, Any]:
        param: dict[str, Any] = {"name": self.name, "in": "query", "required": self.required, "schema": self.schema}
        if self.description:
            param["description"] = self.description
        if self.schema.get("type") == "array":
            param.update(style="form", explode=True)
        return param


@dataclass(frozen=True)
class Op:
    """One operation: what the url_map cannot tell."""

    summary: str
    tag: str
    response: Schema | None = None  # the success body; None: no body
    status: int = 200
    body: Schema | None = None  # the JSON request body
    body_media: str = "application/json"  # multipart/form-data for uploads
    query: tuple[Param, ...] = ()
    errors: tuple[int, ...] = ()  # beyond the automatic 400 (writes), 401 (not public), 404 (path ids), 413, 422
    public: bool = False
    description: str = ""
    # OpenAPI links from the success response: target endpoint → {its path parameter: runtime expression}.
    # They tell a client (and schemathesis' stateful phase) where the ids in a response lead.
    links: Mapping[str, Mapping[str, str]] = field(default_factory=dict)


PAGE = Param("page", {"type": "integer", "minimum": 1, "default": 1}, "Page number (out-of-range values are clamped).")
PER_PAGE = Param("per_page", {"type": "integer", "minimum": 1, "maximum": 100, "default": 20},
                 "Page size, 1–100 (clamped).")
FLAG: Schema = {"type": "string", "enum": ["1", "true", "0", "false"]}


TASK_TARGETS = ("api.get_task", "api.claim_task", "api.complete_task", "api.reassign_task")
COUNTERPARTY_TARGETS = ("counterparties_api.get_counterparty", "counterparties_api.update_counterparty",
                        "counterparties_api.add_contact")
CONTACT_TARGETS = ("counterparties_api.update_contact", "counterparties_api.remove_contact")


def core_operations() -> dict[str, Op]:
    """Every non-record operation, keyed by url_map endpoint (reads the card forms: needs an app context)."""
    return {
        "api_docs.openapi": Op("This document (OpenAPI 3.1)", "Meta", {"type": "object"}, public=True),
        "api.issue_token": Op(
            "Issue an API token", "Auth", obj({"token": STRING, **TOKEN_PROPERTIES}), status=201, public=True,
            errors=(401, 429), body=obj({"login": STRING, "password": STRING, "name": {
                "type": "string", "description": "A name to recognise the token by in the list."}},
                required=["login", "password"]),
            description="Send the token as `Authorization: Bearer <token>`. 401 for a wrong login or password; "
                        "429 (with Retry-After) after too many failed attempts for a login or an address."),
        "api.list_tokens": Op("Your valid API tokens (an administrator: anyone's)", "Auth",
                              obj({"items": {"type": "array", "items": ref("Token")}}), errors=(403, 404),
                              query=(Param("user", LOGIN, "Another user's login (administrators only)."),),
                              links=links_to("api.revoke_token", token_id="$response.body#/items/0/id")),
        "api.revoke_token": Op("Revoke an API token", "Auth", None, status=204,
                               description="Your own token, or anyone's for an administrator; 404 otherwise."),
        "api.me": Op("The logged-in user", "Auth", ref("Me")),
        # ---- tasks
        "api.list_tasks": Op(
            "List tasks", "Tasks", page_of(ref("Task")), errors=(422,), query=(
                Param("scope", {"type": "string", "enum": ["current", "completed", "subordinates"],
                                "default": "current"}),
                Param("process", STRING, "Only tasks of this process id."),
                Param("sort", {"type": "string", "enum": sorted(TASK_SORTS), "default": "due"}),
                Param("overdue", FLAG, "Only overdue tasks."), PAGE, PER_PAGE),
            links=links_to(*TASK_TARGETS, task_id="$response.body#/items/0/id")),
        "api.get_task": Op("Get a task (with its form and the process `version`)", "Tasks", ref("TaskDetail"),
                           errors=(403,), links=links_to(*TASK_TARGETS, task_id="$response.body#/id")),
        "api.claim_task": Op("Claim a group task", "Tasks", ref("Task"), errors=(403, 409),
                             links=links_to(*TASK_TARGETS, task_id="$response.body#/id")),
        "api.complete_task": Op(
            "Complete a task with its form data", "Tasks", ref("Task"), errors=(403, 409, 422),
            body=obj({"data": {"type": "object", "description": "Exactly the fields the task's form declares."},
                      "version": {"type": "integer", "description": "The `version` from GET /tasks/{task_id}."}},
                     required=[])),
        "api.reassign_task": Op("Reassign a task", "Tasks", ref("Task"), errors=(403, 409, 422),
                                body=obj({"assignee": LOGIN})),
        # ---- assignments
        "api.create_assignment": Op("Create an assignment", "Assignments", ref("Assignment"), status=201,
                                    body=ASSIGNMENT_CREATE, errors=(403, 422),
                                    links=links_to("api.get_assignment", assignment_id="$response.body#/id")),
        "api.list_assignments": Op("List the assignments you take part in", "Assignments", page_of(ref("Assignment"),
                                   paged=False), query=(PAGE, PER_PAGE),
                                   links=links_to("api.get_assignment", assignment_id="$response.body#/items/0/id")),
        "api.get_assignment": Op("Get an assignment", "Assignments", ref("Assignment"), errors=(403,)),
        # ---- processes
        "api.list_processes": Op("List deployed process versions", "Processes",
                                 page_of(ref("ProcessVersion"), paged=False),
                                 errors=(403,)),
        # ---- counterparties
        "counterparties_api.list_counterparties": Op(
            "List counterparties", "Counterparties", page_of(ref("CounterpartySummary")), errors=(422,), query=(
                Param("q", STRING, "Name (any case, any alphabet) or INN prefix."),
                Param("type", {"type": "string", "enum": [*COUNTERPARTY_TYPES, "all"]}),
                Param("sort", {"type": "string", "enum": sorted(COUNTERPARTY_SORTS), "default": "name"}),
                PAGE, PER_PAGE),
            links=links_to(*COUNTERPARTY_TARGETS, counterparty_id="$response.body#/items/0/id")),
        "counterparties_api.create_counterparty": Op(
            "Create a counterparty", "Counterparties", ref("Counterparty"), status=201, errors=(403, 409, 422),
            body=form_body("crud/counterparty.schema.json"),
            links=links_to(*COUNTERPARTY_TARGETS, counterparty_id="$response.body#/id")),
        "counterparties_api.get_counterparty": Op(
            "Get a counterparty with its contacts", "Counterparties", ref("Counterparty"),
            links=links_to(*CONTACT_TARGETS, counterparty_id="$response.body#/id",
                           contact_id="$response.body#/contacts/0/id")),
        "counterparties_api.update_counterparty": Op(
            "Change a counterparty's fields", "Counterparties", ref("Counterparty"), errors=(403, 409, 422),
            body=form_body("crud/counterparty.schema.json", partial=True,
                           extra={"version": {"type": "integer", "description": "The version you read."}})),
        "counterparties_api.autofill": Op(
            "Requisites for an INN from the registry", "Counterparties", AUTOFILL, errors=(403, 404, 422),
            body=obj({"inn": STRING}), description="404 when no registry knows the INN."),
        "counterparties_api.add_contact": Op(
            "Add a contact person", "Counterparties", ref("Contact"), status=201, body=CONTACT_CREATE,
            errors=(403, 422),
            links=links_to(*CONTACT_TARGETS, counterparty_id="$response.body#/counterparty_id",
                           contact_id="$response.body#/id")),
        "counterparties_api.update_contact": Op("Change a contact person", "Counterparties", ref("Contact"),
                                                body=CONTACT_PATCH, errors=(403, 422)),
        "counterparties_api.remove_contact": Op("Remove a contact person", "Counterparties", None, status=204,
                                                errors=(403,)),
        # ---- directories
        "directories_api.list_directories": Op(
            "List directories", "Directories", page_of(ref("Directory"), paged=False),
            links=links_to("directories_api.list_entries", directory="$response.body#/items/0/id")),
        "directories_api.list_entries": Op(
            "Entries of a directory", "Directories", page_of(ref("DirectoryEntry"), paged=False),
            query=(Param("include_inactive", FLAG),)),
        # ---- products and services catalog; a deal's lines
        "products_api.list_products": Op(
            "List the catalog (active first)", "Products", page_of(ref("Product")), query=(
                Param("q", {"type": "string", "maxLength": 200}, "Search by name."),
                Param("include_inactive", FLAG), PAGE, PER_PAGE),
            links=links_to(*PRODUCT_TARGETS, product_id="$response.body#/items/0/id")),
        "products_api.create_product": Op(
            "Add a product or service to the catalog (CRM staff)", "Products", ref("Product"), status=201,
            errors=(403, 422), body=obj(PRODUCT_WRITE, required=["name", "price"]),
            links=links_to(*PRODUCT_TARGETS, product_id="$response.body#/id")),
        "products_api.get_product": Op("Get a catalog entry", "Products", ref("Product")),
        "products_api.update_product": Op(
            "Change a catalog entry (CRM staff; deal lines keep their copies)", "Products", ref("Product"),
            errors=(403, 409, 422), body=obj({**PRODUCT_WRITE, "is_active": BOOLEAN, "version": INTEGER},
                                             required=["version"])),
    }


# ------------------------------------------------------------------------------ record kinds

RECORD_OPERATIONS = ("list", "create", "get", "update", "actions", "change_status", "assign_responsible",
                     "set_observers", "list_contacts", "add_contact", "update_contact", "remove_contact",
                     "list_comments", "add_comment", "list_activities", "add_activity", "update_activity",
                     "complete_activity", "cancel_activity", "list_assignments", "add_assignment")
CONTACT_FORM = "crud/contact.schema.json"


def _kind_schemas(kind: RecordKind) -> dict[str, Schema]:
    """The record and contact objects of a kind, as `app.records.api` answers them.

    The card form's fields keep the form's types and limits (stored data passed them) and may be null;
    the shared fields are typed here. A kind's `extra_json` fields are not declared (they are allowed).
    """
    card = form_body(kind.card_form)
    props: dict[str, Schema] = {}
    for name, prop in card.get("properties", {}).items():
        # A stored directory code may have been deactivated since: any string, not today's choices.
        dropped = {"default", "oneOf", "enum", "x-directory"} if "x-directory" in prop else {"default"}
        prop = {k: v for k, v in prop.items() if k not in dropped}
        props[name] = nullable(prop) if "type" in prop else prop
    title = kind.name.title()
    props.update({
        "id": INTEGER, "number": STRING, "name": STRING, "status": {"type": "string", "enum": list(kind.status_ids)},
        "responsible": nullable(LOGIN), "observers": {"type": "array", "items": LOGIN},
        "counterparty_id": nullable(INTEGER), "amount": nullable(MONEY), "created_at": DATE_TIME,
        "updated_at": DATE_TIME, "version": INTEGER, "contacts": {"type": "array", "items": ref(f"{title}Contact")},
    })
    contact = form_body(CONTACT_FORM)
    contact_props = {"id": INTEGER, **{n: p for n, p in contact["properties"].items()}}
    return {title: obj(props, required=["id", "number", "name", "status", "responsible", "observers",
                                        "counterparty_id", "amount", "created_at", "updated_at", "version",
                                        "contacts"], strict=False),
            f"{title}Contact": obj(contact_props)}


def record_operations(kind: RecordKind) -> tuple[dict[str, Op], dict[str, Schema]]:
    """The operations of one kind's API blueprint (`<plural>_api`, app/records/api.py) and its schemas."""
    title, tag = kind.name, str(kind.plural).title()
    endpoints = {op: f"{kind.plural}_api.{op}" for op in RECORD_OPERATIONS}
    record, contact = ref(title.title()), ref(f"{title.title()}Contact")
    card = form_body(kind.card_form)
    contact_body = form_body(CONTACT_FORM)
    by_id = [endpoints[n] for n in ("get", "update", "actions", "change_status", "assign_responsible",
                                    "set_observers", "list_contacts", "add_contact")]
    by_contact = [endpoints["update_contact"], endpoints["remove_contact"]]
    record_links = {**links_to(*by_id, record_id="$response.body#/id"),
                    **links_to(*by_contact, record_id="$response.body#/id",
                               contact_id="$response.body#/contacts/0/id")}
    contact_links = links_to(*by_contact, record_id="$request.path.record_id", contact_id="$response.body#/id")
    status = {"type": "string", "enum": list(kind.status_ids)}
    filters = tuple(Param(f.arg, STRING, f"A code of the `{f.directory}` directory." if f.directory else "")
                    for f in kind.filters)
    stages = ", ".join(f"{i} = {label}" for i, (label, _ids) in enumerate(kind.stages, 1))
    stage_param = (Param("stage", {"type": "integer", "minimum": 1, "maximum": len(kind.stages)},
                         f"A sales stage by its position: {stages}."),) if kind.stages else ()
    ops = {
        "list": Op(f"List {kind.plural} (visible to you)", tag, page_of(record), errors=(422,), query=(
            Param("status", {"type": "array", "items": status}, "Any of these statuses."),
            Param("responsible", LOGIN, "A login, or `none` for unassigned."), *filters,
            Param("date_from", DATE, "Created on or after (your timezone)."), Param("date_to", DATE),
            *stage_param,
            Param("amount_min", {"type": "string", "pattern": r"^\d{1,13}(\.\d{1,2})?$"}, "Amount at least."),
            Param("amount_max", {"type": "string", "pattern": r"^\d{1,13}(\.\d{1,2})?$"}, "Amount at most."),
            Param("q", {"type": "string", "maxLength": 200}, "Search by name, company or number."),
            Param("sort", {"type": "string", "enum": [*SORT_KEYS, *(f"-{k}" for k in SORT_KEYS)],
                           "default": "-created"}),
            Param("page", {"type": "integer", "minimum": 1, "maximum": MAX_PAGE, "default": 1}), PER_PAGE),
            links=links_to(*by_id, record_id="$response.body#/items/0/id")),
        "create": Op(f"Create a {title}", tag, record, status=201, errors=(403, 422), links=record_links, body={
            **card, "properties": {**card.get("properties", {}),
                                   "contacts": {"type": "array", "items": contact_body}}}),
        "get": Op(f"Get a {title}", tag, record, links=record_links),
        "update": Op(f"Change a {title}'s card fields", tag, record, errors=(403, 409, 422),
                     body=form_body(kind.card_form, partial=True, extra={"version": {
                         "type": "integer", "description": "The version you read (409 when it changed)."}})),
        "actions": Op("Status moves allowed now, with their forms", tag, obj({
            "status": status, "items": {"type": "array", "items": obj(
                {"status": status, "label": STRING, "form": nullable({"type": "object"})})}})),
        "change_status": Op(f"Move a {title} to another status", tag, record, errors=(403, 409, 422),
                            body=obj({"status": status}, strict=False,
                                     description="Plus the fields of the move's form (see …/actions).")),
        "assign_responsible": Op("Assign the responsible person (Commercial Director, administrator)", tag, record,
                                 errors=(403, 409, 422), body=obj({"responsible": nullable(LOGIN)})),
        "set_observers": Op("Set the observers", tag, record, errors=(403, 409, 422),
                            body=obj({"observers": {"type": "array", "items": LOGIN}})),
        "list_contacts": Op(f"The {title}'s contacts", tag, page_of(contact, paged=False)),
        "add_contact": Op(f"Add a contact to a {title}", tag, contact, status=201, errors=(403, 409, 422),
                          body=contact_body, links=contact_links),
        "update_contact": Op(f"Change a {title}'s contact", tag, contact, errors=(403, 409, 422),
                             body=form_body(CONTACT_FORM, partial=True, extra={"version": {
                                 "type": "integer", "description": f"The {title}'s version (a contact is part "
                                                                   f"of its {title}; 409 when it changed)."}})),
        "remove_contact": Op(f"Remove a {title}'s contact", tag, None, status=204, errors=(403, 409)),
        "list_comments": Op(f"The {title}'s comments, newest first", tag, page_of(ref("Comment"), paged=False)),
        "add_comment": Op(f"Comment on a {title} (whoever may write it)", tag, ref("Comment"), status=201,
                          errors=(403, 422), body=obj({"text": {"type": "string", "minLength": 1,
                                                                "maxLength": COMMENT_MAX_LENGTH}})),
        "list_activities": Op(f"The {title}'s activities (planned, done, canceled, received emails), newest first",
                              tag, page_of(ref("Activity"), paged=False)),
        "add_activity": Op(f"Plan a call, meeting or email on a {title} (whoever may write it)", tag, ref("Activity"),
                           status=201, errors=(403, 422),
                           body=obj(ACTIVITY_WRITE, required=["kind", "subject", "due_at"]),
                           description="Fields other than these are refused (422)."),
        "update_activity": Op("Change a planned (or expired) activity", tag, ref("Activity"), errors=(403, 409, 422),
                              body=obj({**ACTIVITY_WRITE, "version": {"type": "integer", "description":
                                                                      "The version you read (409 when it changed)."}},
                                       required=["version"]),
                              description="A new due time makes an expired activity planned again. 409: stale "
                                          "`version`, or the activity is completed or canceled."),
        "complete_activity": Op("Complete an activity with its result", tag, ref("Activity"),
                                errors=(403, 409, 422),
                                body=obj({"result": {"type": "string", "minLength": 1, "maxLength": 10000},
                                          "version": INTEGER}, required=["result"])),
        "cancel_activity": Op("Cancel an activity", tag, ref("Activity"), errors=(403, 409),
                              body=obj({"version": INTEGER}, required=[])),
        "list_assignments": Op(f"Assignments made from the {title}", tag,
                               page_of(ref("RecordAssignment"), paged=False)),
        "add_assignment": Op(f"Create an assignment linked to the {title} (whoever may write it)", tag,
                             ref("RecordAssignment"), status=201, errors=(403, 422),
                             body=obj(RECORD_ASSIGNMENT_WRITE, required=["title", "due_date"]),
                             description="Starts the assignment process; its tasks show in the record's All Tasks "
                                         "and in the executor's Current tasks."),
    }
    return {endpoints[name]: op for name, op in ops.items()}, _kind_schemas(kind)


def line_operations(kind: RecordKind) -> tuple[dict[str, Op], dict[str, Schema]]:
    """The product and service lines of a kind with a `line_model` (app/records/lines_views.py) and their schemas."""
    bp, title, tag = f"{kind.plural}_api", kind.name.title(), str(kind.plural).title()
    owner = f"{kind.name}_id"
    targets = (f"{bp}.update_line", f"{bp}.remove_line")
    line = obj({"id": INTEGER, owner: INTEGER, "product_id": nullable(INTEGER), **PRODUCT_WRITE, "quantity": STRING,
                "discount_percent": STRING, "position": INTEGER, **LINE_AMOUNTS})
    lines = obj({"items": {"type": "array", "items": ref(f"{title}Line")}, "total": INTEGER,
                 "totals": obj(LINE_AMOUNTS), f"{kind.name}_amount": nullable(MONEY), "version": INTEGER})
    ops = {
        f"{bp}.list_lines": Op(f"A {kind.name}'s products and services lines with totals", tag, ref(f"{title}Lines")),
        f"{bp}.add_line": Op(
            "Add a line: from the catalog (`product_id`) or typed (`name`, `price`)", tag, ref(f"{title}Line"),
            status=201, errors=(403, 409, 422), body=obj(LINE_WRITE, required=[]),
            description=f"The {kind.name}'s amount becomes the lines' total with VAT. 409: the {kind.name} is "
                        "closed, or `version` (optional) is stale.",
            links=links_to(*targets, record_id=f"$response.body#/{owner}", line_id="$response.body#/id")),
        f"{bp}.update_line": Op(f"Change a line for this {kind.name}", tag, ref(f"{title}Line"),
                                errors=(403, 409, 422),
                                body=obj({k: v for k, v in LINE_WRITE.items() if k != "product_id"}, required=[])),
        f"{bp}.remove_line": Op("Remove a line", tag, None, status=204, errors=(403, 409)),
    }
    return ops, {f"{title}Line": line, f"{title}Lines": lines}


def money_operations() -> dict[str, Op]:
    """Orders and payments of a deal or an order (app/orders/api.py, app/payments/api.py)."""
    order_body = form_body("crud/order.schema.json", partial=True, extra={"copy_deal_lines": {
        "type": "boolean", "description": "Copy the deal's lines to the order (default false)."}})
    payment_body = form_body("crud/payment.schema.json", partial=True)
    prefilled = ("Fields not given come from the {parent}: {what}. You must be able to change the {parent}.")
    paid = obj({"order_id": INTEGER, "currency": STRING, "total": MONEY, "paid": MONEY, "outstanding": MONEY})
    return {
        "deal_orders_api.list_orders": Op("A deal's orders (visible to you)", "Orders",
                                          page_of(ref("Order"), paged=False)),
        "deal_orders_api.create_order": Op(
            "Create an order of a deal", "Orders", ref("Order"), status=201, errors=(403, 409, 422), body=order_body,
            description=prefilled.format(parent="deal", what="name, counterparty, company, contract, responsible; "
                                                             "currency RUB")),
        "record_payments_api.list_deal_payments": Op("A deal's payments (visible to you)", "Payments",
                                                     page_of(ref("Payment"), paged=False)),
        "record_payments_api.create_deal_payment": Op(
            "Create a payment of a deal", "Payments", ref("Payment"), status=201, errors=(403, 409, 422),
            body=payment_body, description=prefilled.format(parent="deal", what="counterparty, responsible")),
        "record_payments_api.list_order_payments": Op("An order's payments (visible to you)", "Payments",
                                                      page_of(ref("Payment"), paged=False)),
        "record_payments_api.create_order_payment": Op(
            "Create a payment of an order", "Payments", ref("Payment"), status=201, errors=(403, 409, 422),
            body=payment_body, description=prefilled.format(
                parent="order", what="its deal, counterparty, responsible, currency (a payment of an order is in "
                                     "its currency) and the outstanding amount")),
        "record_payments_api.order_paid": Op(
            "An order's paid and outstanding amounts", "Orders", paid,
            description="Paid: the amounts of its paid payments plus the part received of partially paid ones, in "
                        "the order's currency; outstanding: its total with VAT minus paid (never below zero)."),
    }


def deal_operations() -> dict[str, Op]:
    """The deal's own API routes (app/deals: merge)."""
    return {
        "deals_api.merge_deal": Op(
            "Merge a deal into a main deal", "Deals", obj({"main": ref("Deal"), "merged": ref("Deal")}),
            errors=(403, 409, 422), body=obj({"main_deal_id": INTEGER}),
            description="Both deals must be open and writable by you. Empty fields of the main deal are filled "
                        "from the merged one, its contacts copied (without duplicates), its observers and "
                        "responsible person added as observers and a summary comment left on the main deal; the "
                        "merged deal is closed as merged (`merged_into_id`, read-only) and its process canceled."),
    }


def settings_mail_operations() -> tuple[dict[str, Op], dict[str, Schema]]:
    """The Configuration journal (app/settings/api.py) and the mail intake log (app/mail/api.py)."""
    outcomes = ["created_deal", "activity", "duplicate", "ignored_automatic", "failed", "quarantined"]
    schemas: dict[str, Schema] = {
        "Setting": obj({"key": STRING, "value": {"type": "string", "description": "Secrets (passwords) masked."},
                        "description": STRING, "is_secret": BOOLEAN, "updated_at": nullable(DATE_TIME),
                        "updated_by": nullable(LOGIN)}),
        "MailLogEntry": obj({
            "id": INTEGER, "mailbox": STRING, "folder": nullable(STRING), "uid": nullable(INTEGER),
            "uidvalidity": nullable(INTEGER), "message_id": nullable(STRING), "content_hash": STRING,
            "sender": STRING, "subject": STRING, "received_at": nullable(DATE_TIME),
            "outcome": {"type": "string", "enum": outcomes}, "reason": STRING, "record_type": nullable(STRING),
            "record_id": nullable(INTEGER), "activity_id": nullable(INTEGER), "raw_size": INTEGER,
            "attempts": INTEGER, "flagged_at": nullable(DATE_TIME), "created_at": DATE_TIME, "updated_at": DATE_TIME}),
    }
    key = "A setting's key: mail-inbox-crm, mail-inbox-activity, mail-max-attachment-bytes."
    ops = {
        "settings_api.list_settings": Op("The Configuration journal (administrators)", "Settings",
                                         page_of(ref("Setting"), paged=False), errors=(403,)),
        "settings_api.get_setting": Op("A setting (administrators; passwords masked)", "Settings", ref("Setting"),
                                       errors=(403,), description=key),
        "settings_api.update_setting": Op(
            "Change a setting (administrators); applies at its next use, no restart", "Settings", ref("Setting"),
            errors=(403, 422), body=obj({"value": {"type": "string", "maxLength": 4000},
                                         "description": {"type": "string", "maxLength": 4000}}, required=["value"]),
            description=key + " A mailbox is `disabled` or imaps://host[:port][/folder]?username=…&password=…"
                              "&delete=false&unseen=false&delay=60000 (imap:// for plaintext). A value that still "
                              "carries the masked password (********) keeps the stored one for the same account."),
        "mail_api.list_log": Op(
            "The mail intake log, newest first (administrators, the Commercial Director)", "Mail",
            page_of(ref("MailLogEntry")), errors=(403, 422), query=(
                Param("outcome", {"type": "string", "enum": outcomes}),
                Param("mailbox", {"type": "string", "maxLength": 100}),
                Param("q", {"type": "string", "maxLength": 200}, "Search in sender and subject."), PAGE, PER_PAGE),
            links=links_to("mail_api.retry_entry", log_id="$response.body#/items/0/id")),
        "mail_api.retry_entry": Op(
            "Process a quarantined or failed message again from its kept raw bytes (administrators)", "Mail",
            ref("MailLogEntry"), errors=(403, 409),
            description="409 when the message is not quarantined or failed."),
    }
    return ops, schemas


def generated_document_operations() -> tuple[dict[str, Op], dict[str, Schema]]:
    """Generated documents (app/documents/generation_views.py): proposal, invoice, act."""
    document = obj({
        "id": INTEGER, "kind": {"type": "string", "enum": ["proposal", "invoice", "act"]},
        "record_type": {"type": "string", "enum": ["deal", "order"]}, "record_id": INTEGER,
        "number": {"type": "string", "description": "Sequential per kind, our legal entity and year."},
        "date": DATE, "legal_entity_id": nullable(INTEGER), "amount": MONEY,
        "render_status": {"type": "string", "enum": ["pending", "ready", "failed"]},
        "error": nullable({"type": "string", "description": "Why rendering failed (or why a ready one has no PDF)."}),
        "status": {"type": "string", "enum": ["draft", "issued", "paid", "signed", "canceled"]},
        "next_statuses": {"type": "array", "items": STRING}, "version": INTEGER, "created_by": nullable(LOGIN),
        "created_at": DATE_TIME, "rendered_at": nullable(DATE_TIME),
        "download_url": nullable({"type": "string", "description": "The .docx, once ready."}),
        "pdf_url": nullable({"type": "string", "description": "The .pdf, when LibreOffice made one."})})
    targets = links_to("generated_documents_api.get_document", "generated_documents_api.download",
                       "generated_documents_api.retry_document", "generated_documents_api.change_document_status",
                       document_id="$response.body#/id")
    version = {"type": "integer", "description": "The document's version you read (409 when it changed)."}
    rendering = ("Rendering runs in the background (`render_status` pending → ready or failed): poll "
                 "GET /documents/{document_id}. The document keeps the data it was made from.")
    ops = {
        "generated_documents_api.create_proposal": Op(
            "Generate a commercial proposal from a deal", "Documents", ref("GeneratedDocument"), status=201,
            errors=(403, 422), links=targets,
            description="Whoever may write the deal; the deal needs lines (422 `no_lines`). " + rendering),
        "generated_documents_api.create_order_document": Op(
            "Generate an invoice or an act from an order (`kind`: invoice, act)", "Documents",
            ref("GeneratedDocument"), status=201, errors=(403, 422), links=targets,
            description="Whoever may write the order, once it is approved (execution, completed); our legal "
                        "entity's requisites come from the order's contract. 404 for another kind. " + rendering),
        "generated_documents_api.list_deal_documents": Op("A deal's generated documents, newest first", "Documents",
                                                          page_of(ref("GeneratedDocument"), paged=False)),
        "generated_documents_api.list_order_documents": Op("An order's generated documents, newest first",
                                                           "Documents", page_of(ref("GeneratedDocument"), paged=False)),
        "generated_documents_api.get_document": Op("A generated document: status and download links", "Documents",
                                                   ref("GeneratedDocument")),
        "generated_documents_api.download": Op(
            "Download a ready document (.docx, or .pdf with `format=pdf`)", "Documents", None,
            query=(Param("format", {"type": "string", "enum": ["docx", "pdf"], "default": "docx"}),),
            description="The file itself (not JSON). 404 while it is not ready, or without a PDF."),
        "generated_documents_api.retry_document": Op(
            "Render a failed document again", "Documents", ref("GeneratedDocument"), errors=(403, 409),
            description="409 unless rendering failed."),
        "generated_documents_api.change_document_status": Op(
            "Change an invoice's or act's status", "Documents", ref("GeneratedDocument"), errors=(403, 409, 422),
            body=obj({"status": {"type": "string", "enum": ["issued", "paid", "signed", "canceled"]},
                      "version": version}, required=["status"]),
            description="draft → issued → paid (invoice) / signed (act), or canceled from draft or issued; "
                        "only a rendered document is issued. 409 for any other move."),
    }
    return ops, {"GeneratedDocument": document}


LEGAL_ENTITY_TEXT = ("full_name", "short_name", "inn", "kpp", "ogrn", "address", "bank_account", "bank_name", "bik",
                     "corr_account", "director_name", "chief_accountant_name")


def contract_operations() -> tuple[dict[str, Op], dict[str, Schema]]:
    """The contract's own API routes (app/contracts: agreements, the deal's contract) and our legal entities."""
    entity_props: dict[str, Schema] = {n: nullable({"type": "string", "maxLength": 1000}) for n in LEGAL_ENTITY_TEXT}
    entity_write = obj({**entity_props, "is_active": BOOLEAN})
    entity = obj({"id": INTEGER, **entity_props, "is_active": BOOLEAN, "display_name": STRING, "version": INTEGER})
    agreement_body = form_body("crud/agreement.schema.json")
    deal_link = obj({"deal_id": INTEGER, "contract_id": nullable(INTEGER), "version": INTEGER})
    version = {"type": "integer", "description": "The deal's version you read (409 when it changed)."}
    checks = ("INN (10 digits, checksum), KPP, OGRN (13 digits, checksum), BIK (9 digits) and the accounts "
              "(20 digits, control key against the BIK) are checked; 422 names the field.")
    ops = {
        "contracts_api.list_agreements": Op("A contract's additional agreements (visible to you)", "Contracts",
                                            page_of(ref("Agreement"), paged=False)),
        "contracts_api.add_agreement": Op(
            "Add an additional agreement to a contract", "Contracts", ref("Agreement"), status=201,
            errors=(403, 409, 422), body=agreement_body,
            description="Whoever may write the contract; the agreement takes the contract's counterparty and, "
                        "unless named, its responsible person."),
        "contracts_api.create_from_deal": Op(
            "Create the deal's contract, prefilled from the deal", "Contracts", ref("Contract"), status=201,
            errors=(403, 409, 422),
            body=form_body("crud/contract.schema.json", partial=True, extra={"version": version}),
            description="Counterparty, amount, name and subject come from the deal (the body may override card "
                        "fields); the deal must have a counterparty. The deal then links to the contract and the "
                        "contract's `deal_id` to the deal."),
        "contracts_api.link_deal": Op(
            "Select this contract for a deal", "Contracts", deal_link, errors=(403, 409, 422),
            body=obj({"deal_id": INTEGER, "version": version}, required=["deal_id", "version"]),
            description="The contract must belong to the deal's counterparty and be open (draft, approval, "
                        "signing, active); you must be able to write the deal and see the contract."),
        "legal_entities_api.list": Op("Our legal entities", "Legal entities", page_of(ref("LegalEntity"), paged=False),
                                      query=(Param("include_inactive", FLAG, "Also the inactive ones."),)),
        "legal_entities_api.api_get": Op("One of our legal entities", "Legal entities", ref("LegalEntity")),
        "legal_entities_api.api_create": Op("Add one of our legal entities (administrators)", "Legal entities",
                                            ref("LegalEntity"), status=201, errors=(403, 422), description=checks,
                                            body={**entity_write, "required": ["full_name", "inn"]}),
        "legal_entities_api.api_update": Op(
            "Change one of our legal entities (administrators)", "Legal entities", ref("LegalEntity"),
            errors=(403, 409, 422), description=checks,
            body=obj({**entity_props, "is_active": BOOLEAN, "version": {
                "type": "integer", "description": "The version you read (409 when it changed)."}},
                required=["version"])),
    }
    return ops, {"LegalEntity": entity}


# ------------------------------------------------------------------------------ the document

_PATH_ARG = re.compile(r"<(?:(?P<converter>\w+)(?:\([^)]*\))?:)?(?P<name>\w+)>")


def openapi_path(rule: str) -> tuple[str, list[dict[str, Any]]]:
    """`/api/v1/leads/<int:lead_id>` → (`/leads/{lead_id}`, [its path parameter])."""
    params = []
    for m in _PATH_ARG.finditer(rule):
        converter = m.group("converter") or "default"
        schema: Schema = ({"type": "integer", "minimum": 0, "maximum": INT32_MAX} if converter == "int"
                          else {"type": "string", "pattern": "^[^/]+$"})
        params.append({"name": m.group("name"), "in": "path", "required": True, "schema": schema})
    return _PATH_ARG.sub(lambda m: "{" + m.group("name") + "}", rule[len(API_PREFIX):]), params


def library_operations() -> tuple[dict[str, Op], dict[str, Schema]]:
    """The Document Library and Document Links (app/documents/api.py, /api/v1/documents/...)."""
    upload = {"type": "object", "properties": {"file": {"type": "string", "format": "binary", "description": (
        "The file (its name is made safe: the last path segment, no control characters).")}}, "required": ["file"]}
    owned: dict[str, Schema] = {"record_type": nullable(STRING), "record_id": nullable(INTEGER)}
    folder_props: dict[str, Schema] = {
        "id": INTEGER, "name": STRING, "parent_id": nullable(INTEGER), **owned, "created_by": nullable(LOGIN),
        "created_at": DATE_TIME, "updated_at": DATE_TIME, "version": INTEGER, "url": STRING}
    version = obj({"number": INTEGER, "size": INTEGER, "sha256": STRING, "content_type": STRING,
                   "uploaded_by": nullable(LOGIN), "uploaded_at": DATE_TIME, "download_url": STRING})
    file_props: dict[str, Schema] = {
        "id": INTEGER, "name": STRING, "folder_id": INTEGER, **owned, "current_version": INTEGER, "size": INTEGER,
        "content_type": STRING, "sha256": STRING, "created_by": nullable(LOGIN), "created_at": DATE_TIME,
        "updated_at": DATE_TIME, "version": INTEGER, "download_url": STRING}
    schemas: dict[str, Schema] = {
        "LibraryFolder": obj(folder_props),
        "LibraryFolderListing": obj({**folder_props, "folders": {"type": "array", "items": ref("LibraryFolder")},
                                     "files": {"type": "array", "items": ref("LibraryFileSummary")}}),
        "LibraryFileSummary": obj(file_props),
        "LibraryFile": obj({**file_props, "versions": {"type": "array", "items": ref("LibraryFileVersion")}}),
        "LibraryFileVersion": version,
        "RecordLink": obj({"id": INTEGER, "record_type": STRING, "record_id": INTEGER, "label": STRING, "url": STRING,
                           "created_at": DATE_TIME, "created_by": nullable(STRING)}),
    }
    name = {"type": "string", "minLength": 1, "maxLength": 255, "description": "No slashes or control characters."}
    version_field = {"type": "integer", "description": "The version you read (409 when it changed)."}
    record_type = {"type": "string", "description": "A record kind (lead, deal, ...), `counterparty` or `document`."}
    folder_targets = links_to("library_api.get_folder", "library_api.update_folder", "library_api.upload",
                              folder_id="$response.body#/id")
    file_targets = links_to("library_api.get_file", "library_api.update_file", "library_api.download",
                            "library_api.upload_version", file_id="$response.body#/id")
    access = ("A record's folder follows the record's visibility (404 when you do not see it); general folders "
              "are read by everyone and written by their creator, the Commercial Director and administrators.")
    too_large = "413 above the upload limit (CRM_UPLOAD_MAX_BYTES), 422 for an empty file or no usable name."
    ops = {
        "library_api.list_folders": Op(
            "The library's top-level folders you see (general and records')", "Library",
            page_of(ref("LibraryFolder"), paged=False),
            links=links_to("library_api.get_folder", folder_id="$response.body#/items/0/id")),
        "library_api.create_folder": Op(
            "Create a folder (top level: CRM staff; inside a folder you may write)", "Library",
            ref("LibraryFolderListing"), status=201, errors=(403, 404, 422), links=folder_targets,
            body=obj({"name": name, "parent_id": nullable(INTEGER)}, required=["name"])),
        "library_api.get_folder": Op("A folder with its folders and documents", "Library", ref("LibraryFolderListing"),
                                     description=access),
        "library_api.update_folder": Op(
            "Rename and/or move a folder (`parent_id` null: to the top level)", "Library", ref("LibraryFolderListing"),
            errors=(403, 409, 422),
            body=obj({"name": name, "parent_id": nullable(INTEGER), "version": version_field}, required=["version"]),
            description="409 `record_folder`: a record's own folder is named after it and stays where it is."),
        "library_api.delete_folder": Op("Delete an empty folder", "Library", None, status=204, errors=(403, 409),
                                        description="409 `folder_not_empty` while it holds folders or documents."),
        "library_api.upload": Op("Upload a document into a folder (the same name: a new version)", "Library",
                                 ref("LibraryFile"), status=201, errors=(403, 413), body=upload,
                                 body_media="multipart/form-data", description=too_large, links=file_targets),
        "library_api.get_record_folder": Op("A record's folder (404 `no_folder` while nothing was stored)", "Library",
                                            ref("LibraryFolderListing")),
        "library_api.upload_to_record": Op(
            "Upload a document into a record's folder (created on demand)", "Library", ref("LibraryFile"),
            status=201, errors=(403, 413), body=upload, body_media="multipart/form-data",
            description=f"Whoever may write the record. {too_large}", links=file_targets),
        "library_api.get_file": Op("A document with its versions (newest first)", "Library", ref("LibraryFile"),
                                   description=access),
        "library_api.update_file": Op(
            "Rename and/or move a document", "Library", ref("LibraryFile"), errors=(403, 409, 422),
            body=obj({"name": name, "folder_id": INTEGER, "version": version_field}, required=["version"])),
        "library_api.delete_file": Op("Delete a document with all its versions and links", "Library", None,
                                      status=204, errors=(403,)),
        "library_api.download": Op("Download the current version (an attachment)", "Library", None,
                                   description="The bytes as stored, `Content-Disposition: attachment` with the "
                                               "name in `filename*` (RFC 5987)."),
        "library_api.download_version": Op("Download a version by its number (an attachment)", "Library", None),
        "library_api.upload_version": Op("Upload a new version of a document (it becomes current)", "Library",
                                         ref("LibraryFileVersion"), status=201, errors=(403, 413), body=upload,
                                         body_media="multipart/form-data", description=too_large),
        "library_api.list_links": Op(
            "The links of a record or document, both ways (only the ends you see)", "Library",
            page_of(ref("RecordLink"), paged=False), errors=(404,),
            description="404 when the record or document does not exist or you do not see it.",
            query=(Param("record_type", record_type, required=True),
                   Param("record_id", {"type": "integer", "minimum": 1}, required=True))),
        "library_api.add_link": Op(
            "Link a record (or document) you may write to another you see", "Library",
            obj({"id": INTEGER, "from_type": STRING, "from_id": INTEGER, "to_type": STRING, "to_id": INTEGER,
                 "created_at": DATE_TIME}), status=201, errors=(403, 404, 409, 422),
            body=obj({"from_type": record_type, "from_id": INTEGER, "to_type": record_type, "to_id": INTEGER}),
            description="409 `already_linked` when the pair is linked already (from either end).",
            links=links_to("library_api.remove_link", link_id="$response.body#/id")),
        "library_api.remove_link": Op("Remove a link (you see both ends and may write one)", "Library", None,
                                      status=204, errors=(403,)),
    }
    return ops, schemas


def all_operations() -> tuple[dict[str, Op], dict[str, Schema]]:
    ops, schemas = core_operations(), dict(COMPONENTS)
    for kind in registered_kinds():
        kind_ops, kind_schemas = record_operations(kind)
        ops.update(kind_ops)
        schemas.update(kind_schemas)
        if kind.line_model is not None:
            kind_ops, kind_schemas = line_operations(kind)
            ops.update(kind_ops)
            schemas.update(kind_schemas)
    if "orders_api.list" in ops and "payments_api.list" in ops:
        ops.update(money_operations())
    if "deals_api.list" in ops:
        ops.update(deal_operations())
    document_ops, document_schemas = generated_document_operations()
    ops.update(document_ops)
    schemas.update(document_schemas)
    if "contracts_api.list" in ops:
        contract_ops, contract_schemas = contract_operations()
        ops.update(contract_ops)
        schemas.update(contract_schemas)
    mail_ops, mail_schemas = settings_mail_operations()
    ops.update(mail_ops)
    schemas.update(mail_schemas)
    library_ops, library_schemas = library_operations()
    ops.update(library_ops)
    schemas.update(library_schemas)
    return ops, schemas


def api_rules(app: Flask) -> list[tuple[str, str, str]]:
    """(method, rule, endpoint) of every /api/v1 route, HEAD and OPTIONS aside."""
    return sorted((method, rule.rule, rule.endpoint) for rule in app.url_map.iter_rules()
                  if rule.rule.startswith(API_PREFIX + "/") for method in (rule.methods or set()) - IGNORED_METHODS)


def _error_response(status: int) -> dict[str, Any]:
    return {"description": ERROR_DESCRIPTIONS[status],
            "content": {"application/json": {"schema": ref("Error")}}}


def links_to(*endpoints: str, **parameters: str) -> dict[str, dict[str, str]]:
    """The same parameters for several targets: `links_to("api.get_task", task_id="$response.body#/id")`."""
    return {endpoint: dict(parameters) for endpoint in endpoints}


def _operation(method: str, endpoint: str, op: Op, path_params: list[dict[str, Any]],
               described: set[str]) -> dict[str, Any]:
    operation: dict[str, Any] = {"operationId": endpoint, "summary": op.summary, "tags": [op.tag]}
    if op.description:
        operation["description"] = op.description
    parameters = path_params + [p.render() for p in op.query]
    if parameters:
        operation["parameters"] = parameters
    if op.body is not None:
        operation["requestBody"] = {"required": True, "content": {op.body_media: {"schema": op.body}}}
    success: dict[str, Any] = {"description": "OK" if op.status != 201 else "Created"}
    if op.response is not None:
        success["content"] = {"application/json": {"schema": op.response}}
    else:
        success["description"] = "Done, no content."
    links = {target.split(".")[-1]: {"operationId": target, "parameters": dict(params)}
             for target, params in op.links.items() if target in described}
    if links:
        success["links"] = links
    responses: dict[str, Any] = {str(op.status): success}
    # 422 anywhere: control characters in a path segment, a query argument or a JSON string are
    # refused before any view runs (app/web.py); a JSON body may also be too large (413).
    errors = set(op.errors) | {422}
    if method != "GET":
        errors.add(400)
    if op.body is not None:
        errors.add(413)
    if not op.public:
        errors.add(401)
    if path_params:
        errors.add(404)
    for status in sorted(errors):
        responses[str(status)] = _error_response(status)
    operation["responses"] = responses
    if op.public:
        operation["security"] = []
    return operation


def build_document(app: Flask) -> dict[str, Any]:
    """The OpenAPI 3.1 document of every /api/v1 route that has an operation in the table.

    A route without one is left out (and fails tests/integration/test_openapi.py).
    """
    ops, schemas = all_operations()
    paths: dict[str, dict[str, Any]] = {}
    rules = [(method, rule, endpoint, ops.get(f"{method} {endpoint}") or ops.get(endpoint))
             for method, rule, endpoint in api_rules(app)]
    described = {endpoint for _, _, endpoint, op in rules if op is not None}
    for method, rule, endpoint, op in rules:
        if op is None:
            continue
        path, path_params = openapi_path(rule)
        paths.setdefault(path, {})[method.lower()] = _operation(method, endpoint, op, path_params, described)
    tags = sorted({op.tag for op in ops.values()})
    return {
        "openapi": "3.1.0",
        "info": {"title": "BPMN CRM API", "version": "1",
                 "description": "JSON API of the CRM (DESIGN §6): snake_case fields, users by login, ISO 8601 "
                                "dates, money as decimal strings, lists as {items, total}, errors as "
                                "{error: {code, message, fields}}. Log in with POST /auth/token and send "
                                "`Authorization: Bearer <token>`; a browser session works too (writes need "
                                "the X-CSRFToken header)."},
        "servers": [{"url": API_PREFIX}],
        "tags": [{"name": t} for t in tags],
        "paths": dict(sorted(paths.items())),
        "components": {
            "schemas": dict(sorted(schemas.items())),
            "securitySchemes": {
                "bearerAuth": {"type": "http", "scheme": "bearer",
                               "description": "A token from POST /auth/token."},
                "cookieAuth": {"type": "apiKey", "in": "cookie", "name": app.config.get("SESSION_COOKIE_NAME")
                               or "session", "description": "The browser session (writes need X-CSRFToken)."},
            },
        },
        "security": [{"bearerAuth": []}, {"cookieAuth": []}],
    }
