"""`RecordKind`: the declaration that makes a model a CRM record (lead, deal, ...).

A kind names its model, contacts, process, statuses, card form, tracked fields, journal
columns/filters/sorts/export columns, guards, card widgets and service tasks. The machinery in
`app.records` (services, journal, views, API, templates) works from this declaration alone.
Imports no record domain; the domains import this module and register their kind in the factory.
"""
from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from flask import Flask, current_app
from flask_babel import lazy_gettext as _l

from app.labels import label

# A guard: (record) -> None, or raises InvalidInput with a clear message when the move is not possible.
Guard = Callable[[Any], None]


@dataclass(frozen=True)
class StatusSpec:
    """One status of a kind: its id, badge colour, sales stage and whether the record is closed in it."""

    id: str
    color: str = "secondary"
    stage: str | None = None
    is_terminal: bool = False
    # Offered as a target in the journal's bulk move (a status with a transition form is not).
    bulk_target: bool = True


@dataclass(frozen=True)
class ExportColumn:
    title: Any  # a lazy string
    value: Callable[[Any], Any]


@dataclass(frozen=True)
class Filter:
    """A journal filter: a request arg, the model column it compares with, and its directory."""

    arg: str
    column: str
    directory: str | None = None
    title: Any = None


@dataclass(frozen=True)
class RecordKind:
    name: str                       # "lead": record_type of processes, tasks and history rows
    plural: str                     # "leads": URLs, blueprint names, API paths
    title: Any                      # lazy "Lead"
    title_plural: Any               # lazy "Leads"
    model: Any
    contact_model: Any
    process_id: str
    statuses: tuple[StatusSpec, ...]
    card_form: str                  # JSON Schema path under forms/ ("crud/lead.schema.json")
    tracked_fields: tuple[str, ...]  # history rows for these (besides status and responsible)
    start_data: Callable[[Any], dict[str, Any]]  # the process's start data for a new record
    filters: tuple[Filter, ...] = ()
    export_columns: tuple[ExportColumn, ...] = ()
    journal_columns: tuple[str, ...] = ("number", "name", "status", "client", "contact", "responsible", "amount",
                                        "created")
    sum_column: str = "amount"
    guards: Mapping[str, Guard] = field(default_factory=dict)
    # Templates included in the card: main column and side column (after the shared widgets).
    main_widgets: tuple[str, ...] = ()
    side_widgets: tuple[str, ...] = ()
    service_tasks: Mapping[str, Callable[..., Any]] = field(default_factory=dict)
    # Fields a status service task may write besides the status (e.g. the disqualification reason).
    status_fields: tuple[str, ...] = ()
    # Quick create: who becomes responsible when the form does not say.
    quick_create_responsible_self: bool = True
    # Extra API/JSON fields: (record) -> dict merged into the record's JSON.
    extra_json: Callable[[Any], dict[str, Any]] | None = None
    # Summary fields shown on the tasks of this kind: (record) -> [(label, value)].
    summary: Callable[[Any], list[tuple[str, str]]] | None = None
    # The column that keeps when the record first got a responsible person ("start of processing").
    processing_started_field: str | None = None
    # Fills kind-specific defaults of a new record before it is saved: (record, moment) -> None.
    prepare_new: Callable[[Any, Any], None] | None = None
    # Adds the kind's own verbs to its page blueprint (e.g. "Create Counterparty" from a lead).
    extend_blueprint: Callable[[Any], None] | None = None
    # Adds the kind's own routes to its API blueprint ("<plural>_api" under /api/v1/<plural>).
    extend_api_blueprint: Callable[[Any], None] | None = None
    # Card tabs besides "main" (the usual card): ((tab id, lazy title, (template, ...)), ...).
    tabs: tuple[tuple[str, Any, tuple[str, ...]], ...] = ()
    # Templates shown in the Properties widget, under the card form (e.g. "Create Counterparty").
    properties_widgets: tuple[str, ...] = ()
    # History fields whose values are directory codes: field -> directory.
    history_directories: Mapping[str, str] = field(default_factory=dict)
    # Templates shown beside the card's title (e.g. the link to the deal a lead became).
    header_widgets: tuple[str, ...] = ()
    # Labels of actions that say more than the target status ("Convert to deal").
    action_labels: Mapping[str, Any] = field(default_factory=dict)
    # Old API field names still accepted in a status change body ({"reason": …}).
    status_aliases: Mapping[str, str] = field(default_factory=dict)
    # Where the card goes after a status change, with the message: (record) -> (url, message) | None.
    after_status_url: Callable[[Any], tuple[str, str] | None] | None = None
    # Messages in the kind's words, by key: "created" (%(number)s), "not_created" (%(errors)s).
    messages: Mapping[str, Any] = field(default_factory=dict)
    # "N records moved." in the kind's words, with plural forms: (n) -> message.
    moved_message: Callable[[int], str] = lambda n: str(n)
    # Closed (read-only) whatever its status, e.g. a deal merged into another: (record) -> bool.
    closed_when: Callable[[Any], bool] | None = None
    # The same as SQL, for lists: () -> a clause true for records that are NOT closed by `closed_when`
    # (closed ones are never claimable and stay off the kanban).
    open_clause: Callable[[], Any] | None = None
    # The kind whose card creates these records (an additional agreement is made on its contract's card):
    # its journal offers no "New", and /<plural>/new and the quick create say where to create one.
    created_on: str | None = None
    # Named choice lists of the kind's card form (`x-options`): name -> (current value) -> [{const, title}].
    field_options: Mapping[str, Callable[[Any], list[dict[str, Any]]]] = field(default_factory=dict)
    # The kind's own checks of cleaned card values (e.g. a foreign key exists): (values, errors) -> None,
    # adding field errors to `errors`.
    check_card: Callable[[dict[str, Any], dict[str, str]], None] | None = None
    # Product and service lines (a model on `LineMixin`): the card's lines tab, /<plural>/<id>/lines pages and
    # API (app.records.lines_views); the record's amount follows the lines' total with VAT.
    line_model: Any = None
    # Called after a card edit changed fields: (record, {field: (old, new)}, actor) -> None (e.g. a payment's new
    # planned date tells its process to move the due timer). Flushes only, like the edit.
    after_update: Callable[[Any, Mapping[str, tuple[Any, Any]], Any], None] | None = None

    @property
    def status_ids(self) -> tuple[str, ...]:
        return tuple(s.id for s in self.statuses)

    @property
    def stages(self) -> list[tuple[Any, tuple[str, ...]]]:
        """The sales stages in order, each with its statuses (statuses without a stage are left out)."""
        grouped: dict[str, tuple[Any, tuple[str, ...]]] = {}  # by the stage's text: each lazy label read once
        for spec in self.statuses:
            if spec.stage is not None:
                label, ids = grouped.setdefault(str(spec.stage), (spec.stage, ()))
                grouped[str(spec.stage)] = (label, ids + (spec.id,))
        return list(grouped.values())

    @property
    def terminal_statuses(self) -> tuple[str, ...]:
        return tuple(s.id for s in self.statuses if s.is_terminal)

    @property
    def status_vocabulary(self) -> str:
        return f"{self.name}_status"

    def status(self, status_id: str) -> StatusSpec:
        return next((s for s in self.statuses if s.id == status_id), StatusSpec(status_id))

    def status_label(self, status_id: str | None) -> str:
        return label(self.status_vocabulary, status_id)

    def message(self, key: str, default: Any, **values: Any) -> str:
        """A flash message in the kind's words (its `messages`), else the generic `default`."""
        return str(self.messages.get(key, default)) % values

    def action_label(self, status_id: str) -> str:
        custom = self.action_labels.get(status_id)
        return str(custom) if custom is not None else self.status_label(status_id)

    @property
    def initial_status(self) -> str:
        return self.statuses[0].id

    def is_closed(self, record: Any) -> bool:
        return record.status in self.terminal_statuses or bool(self.closed_when and self.closed_when(record))

    def column(self, name: str) -> Any:
        return getattr(self.model, name)


def _main_contact(field_name: str) -> Callable[[Any], Any]:
    return lambda r: getattr(r.main_contact, field_name) if r.main_contact else ""


def _directory_value(field_name: str, directory: str) -> Callable[[Any], Any]:
    # Local import: directories are a domain service; this module is imported by the factory early.
    from app.directories.services import code_label

    return lambda r: code_label(directory, getattr(r, field_name)) if getattr(r, field_name) else ""


# The journal's export columns any kind may pick by name (`export_columns(...)`).
_EXPORT_COLUMNS: dict[str, tuple[Any, Callable[[Any], Any]]] = {
    "number": (_l("Number"), lambda r: r.display_number),
    "name": (_l("Name"), lambda r: r.name),
    "status": (_l("Status"), lambda r: label(f"{r.__record_type__}_status", r.status)),
    "responsible": (_l("Responsible"), lambda r: r.responsible.display_name if r.responsible else ""),
    "client": (_l("Company"), lambda r: r.client_name),
    "contact_name": (_l("Contact person"), _main_contact("full_name")),
    "contact_phone": (_l("Phone"), _main_contact("phone")),
    "contact_email": (_l("Email"), _main_contact("email")),
    "amount": (_l("Amount"), lambda r: r.amount),
    "users_count": (_l("Number of users"), lambda r: r.users_count),
    "request_category": (_l("Request category"), _directory_value("request_category", "request_category")),
    "request_source": (_l("Request source"), _directory_value("request_source", "request_source")),
    "created": (_l("Created"), lambda r: r.created_at),
}

# Journal filters on the request's category and source directories, for kinds that have those fields.
REQUEST_FILTERS = (Filter("category", "request_category", "request_category", _l("Category")),
                   Filter("source", "request_source", "request_source", _l("Source")))


def export_columns(*names: str, extra: tuple[ExportColumn, ...] = ()) -> tuple[ExportColumn, ...]:
    """The named standard export columns, in order, then the kind's own `extra` ones."""
    return tuple(ExportColumn(*_EXPORT_COLUMNS[n]) for n in names) + extra


def money(value: Decimal | None) -> str | None:
    """Money as a decimal string with two places (API), None for no amount."""
    return None if value is None else f"{value:.2f}"


def register_kinds(app: Flask, kinds: tuple[RecordKind, ...]) -> None:
    app.extensions["crm_record_kinds"] = {k.name: k for k in kinds}


def registered_kinds() -> list[RecordKind]:
    kinds: dict[str, RecordKind] = current_app.extensions.get("crm_record_kinds", {})
    return list(kinds.values())


def get_kind(name: str) -> RecordKind:
    kinds: dict[str, RecordKind] = current_app.extensions["crm_record_kinds"]
    return kinds[name]
