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

from app.counterparties.models import FIELDS as COUNTERPARTY_FIELDS
from app.counterparties.models import TYPES as COUNTERPARTY_TYPES
from app.counterparties.services import SORTS as COUNTERPARTY_SORTS
from app.processes import services as processes
from app.tasks.services import SORTS as TASK_SORTS

API_PREFIX = "/api/v1"
Schema = dict[str, Any]
INT32_MAX = 2**31 - 1
IGNORED_METHODS = frozenset({"HEAD", "OPTIONS"})

ERROR_DESCRIPTIONS = {
    400: "Malformed request: the body is not a JSON object, a field has the wrong JSON type, or a "
         "session-authenticated write came without the CSRF token (`csrf_failed`).",
    401: "Not logged in: no session and no valid bearer token.",
    403: "Logged in, but not allowed to do this.",
    404: "Not found, or not visible to this user.",
    409: "Conflict: a stale `version`, a task already completed, an illegal status move.",
    413: "The request body is too large.",
    422: "Invalid data: `fields` maps each field to its message.",
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

ME = obj({"id": INTEGER, "login": LOGIN, "full_name": STRING, "email": nullable(STRING),
          "groups": {"type": "array", "items": STRING}, "line_manager": nullable(LOGIN), "locale": STRING})

PROCESS_VERSION = obj({"id": STRING, "process_id": STRING, "version": INTEGER, "name": STRING, "file_name": STRING,
                       "deployed_at": DATE_TIME, "instances": {"type": "integer", "minimum": 0}})

COMPONENTS: dict[str, Schema] = {
    "Error": ERROR, "Task": obj(TASK_PROPERTIES),
    "TaskDetail": obj({**TASK_PROPERTIES, "version": nullable(INTEGER), "context": {
        "type": "array", "items": obj({"label": STRING, "value": STRING}),
        "description": "The record's key fields, as its record type summarises them."},
        "record_url": {"type": "string", "description": "The record's card page."}}),
    "Assignment": ASSIGNMENT, "Contact": CONTACT, "CounterpartySummary": COUNTERPARTY_SUMMARY,
    "Counterparty": COUNTERPARTY, "Directory": DIRECTORY, "DirectoryEntry": DIRECTORY_ENTRY, "Me": ME,
    "ProcessVersion": PROCESS_VERSION,
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
    query: tuple[Param, ...] = ()
    errors: tuple[int, ...] = ()  # beyond the automatic 400 (writes), 401 (not public), 404 (path ids)
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
            "Issue an API token", "Auth", obj({"token": STRING}), status=201, public=True, errors=(401, 429),
            body=obj({"login": STRING, "password": STRING}),
            description="Send the token as `Authorization: Bearer <token>`; 401 for a wrong login or password."),
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
    }


# ------------------------------------------------------------------------------ record kinds


@dataclass(frozen=True)
class KindInfo:
    """What the document needs to know of a record kind."""

    name: str  # "lead"
    plural: str  # "leads"
    statuses: tuple[str, ...]
    sorts: tuple[str, ...]
    card_schema: Schema  # the card form (create body; PATCH makes every field optional)
    endpoints: Mapping[str, str] = field(default_factory=dict)  # operation → url_map endpoint
    id_param: str = "record_id"


RECORD_OPERATIONS = ("list", "create", "get", "update", "actions", "change_status", "assign_responsible",
                     "set_observers", "list_contacts", "add_contact", "update_contact", "remove_contact")

RECORD_CONTACT = obj({"id": INTEGER, **{k: v for k, v in CONTACT_PROPERTIES.items()}}, strict=False)


def record_schema(kind: KindInfo) -> Schema:
    """The record object: the shared fields typed, the kind's card fields as the card form types them."""
    card = {k: nullable(copy.deepcopy(v)) if "type" in v else v
            for k, v in kind.card_schema.get("properties", {}).items()}
    for v in card.values():
        v.pop("default", None)
    props = {**card, "id": INTEGER, "number": STRING, "name": STRING,
             "status": {"type": "string", "enum": list(kind.statuses)}, "responsible": nullable(LOGIN),
             "observers": {"type": "array", "items": LOGIN}, "amount": nullable(MONEY), "version": INTEGER,
             "created_at": DATE_TIME, "contacts": {"type": "array", "items": ref(f"{kind.name.title()}Contact")}}
    return obj(props, required=["id", "number", "name", "status", "responsible", "observers", "version",
                                "created_at", "contacts"], strict=False)


def record_operations(kind: KindInfo) -> tuple[dict[str, Op], dict[str, Schema]]:
    """The operations of one kind's API blueprint (`<plural>_api`) and its component schemas."""
    title, tag = kind.name, kind.plural.title()
    record = ref(title.title())
    card = copy.deepcopy(kind.card_schema)
    patch = {**card, "required": ["version"],
             "properties": {**card.get("properties", {}), "version": {"type": "integer"}}}
    contact_body = obj({k: v for k, v in CONTACT_PROPERTIES.items()}, required=["full_name"])
    endpoints = kind.endpoints or {op: f"{kind.plural}_api.{op}" for op in RECORD_OPERATIONS}
    by_id = [endpoints[n] for n in ("get", "update", "actions", "change_status", "assign_responsible",
                                    "set_observers", "list_contacts", "add_contact") if n in endpoints]
    by_contact = [endpoints[n] for n in ("update_contact", "remove_contact") if n in endpoints]
    record_links = {**links_to(*by_id, **{kind.id_param: "$response.body#/id"}),
                    **links_to(*by_contact, **{kind.id_param: "$response.body#/id",
                                               "contact_id": "$response.body#/contacts/0/id"})}
    ops = {
        "list": Op(f"List {kind.plural} (visible to you)", tag, page_of(record), errors=(422,), query=(
            Param("status", {"type": "array", "items": {"type": "string", "enum": list(kind.statuses)}}),
            Param("responsible", LOGIN), Param("category", STRING), Param("source", STRING),
            Param("date_from", DATE), Param("date_to", DATE), Param("q", STRING, "Search by name or number."),
            Param("sort", {"type": "string", "enum": list(kind.sorts)}), PAGE, PER_PAGE),
            links=links_to(*by_id, **{kind.id_param: "$response.body#/items/0/id"})),
        "create": Op(f"Create a {title}", tag, record, status=201, errors=(403, 422), body={
            **card, "properties": {**card.get("properties", {}),
                                   "contacts": {"type": "array", "items": contact_body}}}, links=record_links),
        "get": Op(f"Get a {title}", tag, record, links=record_links),
        "update": Op(f"Change a {title}'s fields", tag, record, errors=(403, 409, 422), body=patch),
        "actions": Op("Status moves allowed now, with their forms", tag, obj({
            "status": STRING, "items": {"type": "array", "items": obj(
                {"status": STRING, "label": STRING, "form": nullable({"type": "object"})},
                required=["status", "form"], strict=False)}}, required=["status", "items"], strict=False)),
        "change_status": Op(f"Move a {title} to another status", tag, record, errors=(403, 409, 422),
                            body=obj({"status": {"type": "string", "enum": list(kind.statuses)}},
                                     required=["status"], strict=False,
                                     description="Plus the fields of the transition's form, if it has one.")),
        "assign_responsible": Op("Assign the responsible person (Commercial Director, admin)", tag, record,
                                 errors=(403, 409, 422), body=obj({"responsible": nullable(LOGIN)})),
        "set_observers": Op("Set the observers", tag, record, errors=(403, 409, 422),
                            body=obj({"observers": {"type": "array", "items": LOGIN}})),
        "list_contacts": Op(f"The {title}'s contacts", tag, page_of(ref(f"{title.title()}Contact"), paged=False)),
        "add_contact": Op(f"Add a contact to a {title}", tag, ref(f"{title.title()}Contact"), status=201,
                          errors=(403, 422), body=contact_body),
        "update_contact": Op(f"Change a {title}'s contact", tag, ref(f"{title.title()}Contact"), errors=(403, 422),
                             body=obj(CONTACT_PROPERTIES, required=[])),
        "remove_contact": Op(f"Remove a {title}'s contact", tag, None, status=204, errors=(403,)),
    }
    schemas = {title.title(): record_schema(kind), f"{title.title()}Contact": RECORD_CONTACT}
    return {endpoints[name]: op for name, op in ops.items() if name in endpoints}, schemas


# Until app/records lands: the lead endpoints of app/api/views.py and the lead card as it is.
LEAD_STATUSES = ("not_processed", "interest_expressed", "paused", "disqualified", "deal")
LEAD_CARD: Schema = obj({
    "name": {"type": "string", "minLength": 1, "maxLength": 300}, "company_name": {"type": "string", "maxLength": 300},
    "counterparty_id": nullable(INTEGER), "amount": nullable({"type": "string", "pattern": r"^\d+(\.\d{1,2})?$"}),
    "users_count": nullable({"type": "integer", "minimum": 0}), "request_type": nullable(STRING),
    "request_category": nullable(STRING), "request_source": nullable(STRING),
    "description": {"type": "string", "maxLength": 20000}, "site_email": {"type": "string", "maxLength": 254},
    "site_page": {"type": "string", "maxLength": 1000}, "utm_source": {"type": "string", "maxLength": 200},
    "utm_medium": {"type": "string", "maxLength": 200}, "utm_campaign": {"type": "string", "maxLength": 200},
    "utm_content": {"type": "string", "maxLength": 200}, "utm_term": {"type": "string", "maxLength": 200},
    "ga_client_id": {"type": "string", "maxLength": 100}, "ym_client_id": {"type": "string", "maxLength": 100},
    "received_at": nullable(DATE_TIME), "responsible": nullable(LOGIN),
}, required=["name"])
LEGACY_LEAD = KindInfo(
    "lead", "leads", LEAD_STATUSES,
    ("number", "-number", "name", "-name", "created", "-created", "amount", "-amount", "status"), LEAD_CARD,
    endpoints={"list": "api.list_leads", "create": "api.create_lead", "get": "api.get_lead",
               "update": "api.update_lead", "actions": "api.lead_actions", "change_status": "api.change_lead_status"},
    id_param="lead_id")


def record_kinds() -> list[KindInfo]:
    return [LEGACY_LEAD]


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


def all_operations() -> tuple[dict[str, Op], dict[str, Schema]]:
    ops, schemas = core_operations(), dict(COMPONENTS)
    for kind in record_kinds():
        kind_ops, kind_schemas = record_operations(kind)
        ops.update(kind_ops)
        schemas.update(kind_schemas)
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
        operation["requestBody"] = {"required": True, "content": {"application/json": {"schema": op.body}}}
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
    errors = set(op.errors)
    if method != "GET":
        errors.add(400)
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
