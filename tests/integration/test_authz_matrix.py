"""The authorization matrix (issue 6): every route of the app, called as every role, against one table.

The table is `authz_table.MATRIX`. The world (users, records, tasks, ...) is built once for the module
inside an outer transaction; every cell runs inside its own SAVEPOINT that is rolled back afterwards,
so an allowed write never changes what the next cell sees, whatever the order. Sessions and API
tokens are created once per role; each cell uses a fresh test client carrying that role's cookie
(pages) or bearer token (/api/). CSRF is off (the default test app): this tests authorization.
"""
from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from tests.conftest import _connection_bound_session_class
from tests.factories import make_assignment, make_record, make_standard_users, make_user
from tests.integration.authz_table import ALLOWED, AUTH, LOGIN, MATRIX, OK, REDIRECT, ROLES, Cell

pytestmark = pytest.mark.db

SKIPPED_METHODS = {"HEAD", "OPTIONS"}
REFUSALS = {AUTH, 401, 403, 404}
# Columns a request may touch without changing anything a user owns (token bookkeeping, sign-in times).
VOLATILE_COLUMNS = {"last_used_at", "last_seen_at", "last_login_at"}
VALID_INN = "7707083893"
REGISTRY_INN = "7702043329"  # in app/demo_data/inn_registry.csv: auto-fill finds it
# What each role may not see, by the names the world gives it: no response (list, board, export, error
# page, re-rendered form) may show them. The director and admins see every record and assignment here.
_MINE = ("Lead of manager1", "Deal of manager1", "Assignment of manager1", "Contract of manager1",
         "Agreement of manager1")
_THEIRS = ("Lead of manager2", "Deal of manager2", "Assignment of manager2", "Contract of manager2",
           "Agreement of manager2")
HIDDEN_FROM = {"anon": _MINE + _THEIRS, "own": _THEIRS, "other": _THEIRS, "director": (), "admin": (),
               "analyst": _MINE + _THEIRS, "nocrm": _MINE + _THEIRS,
               "observer": _MINE + ("Assignment of manager2",)}
ROLE_LOGIN = {"own": "manager1", "other": "manager1", "director": "director", "admin": "admin",
              "analyst": "analyst", "observer": "observer", "nocrm": "nobody"}


# ------------------------------------------------------------------------------------------ the world


@dataclass
class Target:
    """The records one role works on: manager1's ("own") or manager2's ("other's")."""

    lead: int
    lead_contact: int
    deal: int
    deal_contact: int
    task: int
    assignment: int
    user: int
    token: int  # an API token of the manager's (not the one the role signs in with)
    document: int = 0  # a generated proposal of the deal
    folder: int = 0  # the deal's folder in the Document Library, its document, the lead ↔ deal link
    file: int = 0
    link: int = 0
    # A second document, the one the delete cells take: a delete's commit removes the file from the disk,
    # which the cell's rollback does not bring back, and the download cells need theirs.
    spare_file: int = 0
    contract: int = 0
    contract_contact: int = 0
    agreement: int = 0
    agreement_contact: int = 0
    order: int = 0  # an order of the deal (with a copy of its line), observed like the deal
    order_contact: int = 0
    payment: int = 0  # a payment of the order, observed like the deal
    payment_contact: int = 0


@dataclass
class World:
    own: Target
    other: Target
    counterparty: int
    counterparty_contact: int
    directory: str
    entry: int
    process_version: str
    legal_entity: int = 0
    sessions: dict[str, str] = field(default_factory=dict)  # role → session cookie value
    tokens: dict[str, str] = field(default_factory=dict)  # role → API bearer token
    connection: sa.Connection | None = None  # the module's connection: each cell is a savepoint on it

    def target(self, role: str) -> Target:
        return self.own if role == "own" else self.other


def _make_record(kind_name: str, actor: Any, responsible: str, observers: list[str]) -> tuple[int, int]:
    """A lead or deal with one contact, responsible `responsible`, observed by `observers`: (id, contact id)."""
    record = make_record(kind_name, actor, name=f"{kind_name.title()} of {responsible}", company_name="Romashka",
                         amount="100.00", responsible=responsible, observers=observers,
                         contacts=[{"full_name": "Olga Smirnova", "phone": "+7 495 100-20-30",
                                    "email": "olga@romashka.example"}])
    return record.id, record.contacts[0].id


def _open_task_of(assignment_id: int) -> int:
    from app.tasks.models import HumanTask

    return int(_scalar(sa.select(HumanTask.id).where(
        HumanTask.record_type == "assignment", HumanTask.record_id == assignment_id, HumanTask.status == "open")))


def _scalar(statement: Any) -> Any:
    from app.extensions import db

    value = db.session.scalar(statement)
    assert value is not None, statement
    return value


def _issue_token(user: Any) -> tuple[int, str]:
    """A new API token of `user`: (id, plain token)."""
    from app.auth.models import ApiToken
    from app.auth.services import issue_token

    issued: Any = issue_token(user)
    if isinstance(issued, tuple):  # (token, plain) since tokens are listed and revoked
        return int(issued[0].id), str(issued[1])
    return int(_scalar(sa.select(sa.func.max(ApiToken.id)))), str(issued)


def _add_lines(director: Any, targets: dict[str, Target]) -> None:
    """A catalog product and a line of it on each manager's deal (the lines' and products' routes)."""
    from app.catalog.services import create_product
    from app.records.kinds import get_kind
    from app.records.lines import add_line

    product = create_product({"name": "CRM license", "price": "1000.00"}, director)
    for target in targets.values():
        add_line(get_kind("deal"), target.deal, {"product_id": product.id}, director)


def _plan_activities(actor: Any) -> None:
    """A planned activity on every record of every kind: the activity routes' <activity_id>."""
    from app.activities.services import add_activity
    from app.extensions import db
    from app.records.kinds import registered_kinds

    for kind in registered_kinds():
        ids: list[int] = list(db.session.scalars(sa.select(kind.model.id)))
        for record_id in ids:
            add_activity(kind.name, record_id, {"kind": "call", "subject": "Call the client",
                                                "due_at": "2099-01-01T10:00:00+03:00"}, actor.id)


def _add_orders(director: Any, targets: dict[str, Target]) -> None:
    """An order of each manager's deal (its lines copied) and a payment of it, each with a contact, observed like the
    deal (the order and payment routes)."""
    from app.orders.services import create_order_for_deal
    from app.payments.services import create_payment_for
    from app.records.contacts import add_contact
    from app.records.kinds import get_kind
    from app.records.services import set_observers

    for key, target in targets.items():
        observers = ["observer"] if key == "other" else []
        order = create_order_for_deal(target.deal, {}, director, copy_deal_lines=True)
        payment = create_payment_for({"amount": "100.00"}, director, order_id=order.id)
        for kind, record in (("order", order), ("payment", payment)):
            set_observers(get_kind(kind), record.id, observers, director)
            contact = add_contact(get_kind(kind), record.id, {"full_name": "Olga Smirnova"}, director)
            setattr(target, kind, record.id)
            setattr(target, f"{kind}_contact", contact.id)


def _add_contracts(director: Any, admin: Any, targets: dict[str, Target], counterparty_id: int) -> int:
    """Our legal entity, and a contract and an additional agreement (each with a contact) of each manager's,
    observed like their lead and deal. Returns the legal entity's id."""
    from app.contracts.legal_entities import create_legal_entity
    from app.contracts.services import create_agreement
    from app.records.contacts import add_contact
    from app.records.kinds import get_kind
    from app.records.services import set_observers

    entity = create_legal_entity({"full_name": "ООО Наша компания", "inn": "7736050003"}, admin)
    for key, target in targets.items():
        manager = "manager1" if key == "own" else "manager2"
        observers = ["observer"] if key == "other" else []
        contract = make_record("contract", director, name=f"Contract of {manager}", counterparty_id=counterparty_id,
                               responsible=manager, observers=observers, contacts=[{"full_name": "Olga Smirnova"}])
        agreement = create_agreement(contract.id, {"name": f"Agreement of {manager}"}, director)
        set_observers(get_kind("agreement"), agreement.id, observers, director)
        target.contract, target.contract_contact = contract.id, contract.contacts[0].id
        target.agreement = agreement.id
        target.agreement_contact = add_contact(get_kind("agreement"), agreement.id, {"full_name": "Olga Smirnova"},
                                               director).id
    return int(entity.id)


def _add_documents(director: Any, targets: dict[str, Target]) -> None:
    """A document in each manager's deal folder, and a link between the manager's lead and deal."""
    from app.documents import links, storage

    for target in targets.values():
        document = storage.store_file("Terms.txt", b"terms", "text/plain", director.id, record=("deal", target.deal))
        target.folder, target.file = document.folder_id, document.id
        target.spare_file = storage.store_file("Spare.txt", b"spare", "text/plain", director.id,
                                               record=("deal", target.deal)).id
        target.link = links.add_link("deal", target.deal, "lead", target.lead, director).id


def _add_generated_documents(director: Any, targets: dict[str, Target]) -> None:
    """A commercial proposal of each manager's deal, rendered (.docx only), for the generated documents' routes."""
    from flask import current_app

    from app.documents.generation import render_document, request_proposal

    saved = current_app.config["CRM_SOFFICE"]
    current_app.config["CRM_SOFFICE"] = "off"
    try:
        for target in targets.values():
            target.document = request_proposal(target.deal, director).id
            render_document(target.document)
    finally:
        current_app.config["CRM_SOFFICE"] = saved


def _build_world(app: Flask) -> World:
    from app.counterparties.registry import import_inn_registry
    from app.counterparties.services import add_contact, create_counterparty
    from app.directories.models import DirectoryEntry
    from app.directories.services import ensure_seed
    from app.extensions import db
    from app.processes.services import latest_version

    ensure_seed()
    import_inn_registry((Path(app.root_path) / "demo_data" / "inn_registry.csv").read_text(encoding="utf-8"))
    cfg = app.config
    cast = make_standard_users()
    cast["observer"] = make_user(login="observer", full_name="Oleg Observer", group_ids=[cfg["CRM_GROUP_CRM_MANAGER"]],
                                 line_manager_login="director")
    cast["nobody"] = make_user(login="nobody", full_name="Nina Nobody", group_ids=[])
    director = cast["director"]
    targets = {}
    for key, manager in (("own", "manager1"), ("other", "manager2")):
        observers = ["observer"] if key == "other" else []
        lead, lead_contact = _make_record("lead", director, manager, observers)
        deal, deal_contact = _make_record("deal", director, manager, observers)
        assignment = make_assignment(director, executor=manager, title=f"Assignment of {manager}").id
        targets[key] = Target(lead=lead, lead_contact=lead_contact, deal=deal, deal_contact=deal_contact,
                              task=_open_task_of(assignment), assignment=assignment, user=cast[manager].id,
                              token=_issue_token(cast[manager])[0])
    _add_lines(director, targets)
    _add_generated_documents(director, targets)
    _add_orders(director, targets)
    _add_documents(director, targets)
    from app.mail.intake import ingest_message

    ingest_message("mail-inbox-crm", b"not an email message", uid=1, uidvalidity=1, folder="INBOX")
    client = create_counterparty({"full_name": "ПАО Сбербанк", "short_name": "Сбербанк", "inn": VALID_INN,
                                  "kpp": "773601001"}, director)
    client_contact = add_contact(client.id, {"full_name": "Ivan Petrov"}, director)
    legal_entity = _add_contracts(director, cast["admin"], targets, client.id)
    entry = _scalar(sa.select(DirectoryEntry.id).where(DirectoryEntry.directory == "request_source")
                    .order_by(DirectoryEntry.id).limit(1))
    world = World(own=targets["own"], other=targets["other"], counterparty=client.id,
                  counterparty_contact=client_contact.id, directory="request_source", entry=entry,
                  process_version=latest_version("assignment").id, legal_entity=legal_entity)
    _plan_activities(director)
    for role, login in ROLE_LOGIN.items():
        world.tokens[role] = _issue_token(cast[login])[1]
    db.session.commit()
    for role, login in ROLE_LOGIN.items():
        browser = app.test_client()
        response = browser.post("/login", data={"login": login, "password": "demo"})
        assert response.status_code == 302, (login, response.status_code)
        cookie = browser.get_cookie(app.config["SESSION_COOKIE_NAME"])
        assert cookie is not None, login
        world.sessions[role] = cookie.value
    db.session.commit()
    return world


@pytest.fixture(scope="module")
def world(app: Flask) -> Iterator[World]:
    """The world, in a transaction of the module's own (the `db_session` recipe, module-wide)."""
    from app.extensions import db

    with app.app_context():
        connection = db.engine.connect()
        outer = connection.begin()
        original = db.session
        db.session = db._make_scoped_session({"class_": _connection_bound_session_class(), "bind": connection,
                                              "join_transaction_mode": "create_savepoint"})
        try:
            built = _build_world(app)
            built.connection = connection
            yield built
        finally:
            db.session.remove()
            db.session = original
            outer.rollback()
            connection.close()
            app.extensions.pop("crm_published_jobs", None)


@pytest.fixture()
def cell(app: Flask, world: World) -> Iterator[World]:
    """One cell: a SAVEPOINT around the request, rolled back afterwards (the test app does not throttle)."""
    from app.extensions import db

    db.session.rollback()  # the session's own savepoint, if any, must not enclose ours
    assert world.connection is not None
    savepoint = world.connection.begin_nested()
    try:
        yield world
    finally:
        db.session.rollback()
        savepoint.rollback()
        db.session.expire_all()
        app.extensions.pop("crm_published_jobs", None)


# ------------------------------------------------------------------------------------------ requests


def _version(kind: str, record_id: int) -> int:
    from app.records.kinds import get_kind

    model = get_kind(kind).model
    return int(_scalar(sa.select(model.version).where(model.id == record_id)))


def _counterparty_version(world: World) -> int:
    from app.counterparties.models import Counterparty

    return int(_scalar(sa.select(Counterparty.version).where(Counterparty.id == world.counterparty)))


def _user_version(user_id: int) -> int:
    from app.auth.models import User

    return int(_scalar(sa.select(User.version).where(User.id == user_id)))


Body = Callable[[World, Target], dict[str, Any]]

# Bodies: enough for an allowed write to get past the syntax checks to the authorization, and for a
# refused one to be a real attempt (someone else's lead to the observer, a group to oneself, ...).
RECORD_BODIES: dict[str, Body] = {
    "update": lambda w, t: {"name": "Hijacked", "version": 0},
    "change_status": lambda w, t: {"status": "paused"},
    "assign_responsible": lambda w, t: {"responsible": "observer"},
    "set_observers": lambda w, t: {"observers": ["nobody"]},
    "add_contact": lambda w, t: {"full_name": "Intruder"},
    "create_counterparty": lambda w, t: {"full_name": "ООО Ромашка", "inn": "7736050003", "kind": "legal_entity",
                                         "type": "buyer"},
    "link_counterparty": lambda w, t: {"counterparty_id": w.counterparty},
    # A valid new record: a refused creator must really be refused, not only fail validation.
    "create": lambda w, t: {"name": "Created by the matrix"},
    "new": lambda w, t: {"name": "Created by the matrix"},
    "quick_create": lambda w, t: {"name": "Created by the matrix"},
    "add_line": lambda w, t: {"name": "Intruder", "price": "1"},
    "add_activity": lambda w, t: {"kind": "call", "subject": "Intruder", "due_at": "2099-01-01T10:00:00+03:00"},
    "complete_activity": lambda w, t: {"result": "Intruder"},
    "add_assignment": lambda w, t: {"title": "Intruder", "executor": "observer", "due_date": "2099-01-01"},
    "update_line": lambda w, t: {"price": "1"},
    "edit_line": lambda w, t: {"price": "1"},
}


def _activity_version(kind: str, record_id: int) -> int:
    from app.activities.models import Activity

    return int(_scalar(sa.select(Activity.version).where(Activity.record_type == kind, Activity.record_id == record_id)
                       .order_by(Activity.id).limit(1)))


def _record_body(kind: str, verb: str) -> Body | None:
    if verb == "update":
        return lambda w, t: {"name": "Hijacked", "version": _version(kind, getattr(t, kind))}
    if verb == "change_status_many":
        return lambda w, t: {"ids": [str(getattr(t, kind))], "status": "paused"}
    if verb == "update_activity":  # an activity edit names the activity's version
        return lambda w, t: {"subject": "Hijacked", "version": _activity_version(kind, getattr(t, kind))}
    if verb == "update_contact":  # a contact edit names its record's version
        return lambda w, t: {"full_name": "Intruder", "is_main": True, "version": _version(kind, getattr(t, kind))}
    return RECORD_BODIES.get(verb)


BODIES: dict[str, Body] = {
    "auth.login": lambda w, t: {"login": "manager1", "password": "wrong"},
    "api.issue_token": lambda w, t: {"login": "manager1", "password": "wrong"},
    "auth.new_user": lambda w, t: {"login": "intruder", "full_name": "Intruder", "password": "secret",
                                   "groups": ["crm-admin"], "is_active": "on", "locale": "en"},
    "auth.edit_user": lambda w, t: {"full_name": "Promoted", "groups": ["crm-admin"], "is_active": "on",
                                    "locale": "en", "version": str(_user_version(t.user))},
    "tasks.reassign": lambda w, t: {"assignee": "observer"},
    "api.reassign_task": lambda w, t: {"assignee": "observer"},
    "api.complete_task": lambda w, t: {"data": {}},
    "directories.add_entry": lambda w, t: {"code": "intruder", "label_en": "Intruder", "label_ru": "Чужой"},
    "directories.set_active": lambda w, t: {"is_active": "false"},
    "counterparties.edit": lambda w, t: {"full_name": "Hijacked", "kind": "legal_entity", "type": "buyer",
                                         "version": str(_counterparty_version(w))},
    "counterparties.autofill": lambda w, t: {"inn": REGISTRY_INN},
    "counterparties.add_contact": lambda w, t: {"full_name": "Intruder"},
    "counterparties.edit_contact": lambda w, t: {"full_name": "Intruder"},
    "counterparties.new": lambda w, t: {"full_name": "New client", "kind": "legal_entity", "type": "buyer"},
    "counterparties_api.create_counterparty": lambda w, t: {"full_name": "New client", "kind": "legal_entity",
                                                            "type": "buyer"},
    "counterparties_api.update_counterparty": lambda w, t: {"short_name": "Hijacked",
                                                            "version": _counterparty_version(w)},
    "counterparties_api.autofill": lambda w, t: {"inn": REGISTRY_INN},
    "counterparties_api.add_contact": lambda w, t: {"full_name": "Intruder"},
    "counterparties_api.update_contact": lambda w, t: {"full_name": "Intruder"},
    "catalog.new": lambda w, t: {"name": "Intruder", "type": "product", "unit": "pcs", "price": "1", "vat_rate": "20"},
    "catalog.edit": lambda w, t: {"name": "Intruder", "type": "product", "unit": "pcs", "price": "1", "vat_rate": "20",
                                  "version": "1"},
    "catalog.set_active": lambda w, t: {"is_active": "false", "version": "1"},
    "products_api.create_product": lambda w, t: {"name": "Intruder", "price": "1"},
    "products_api.update_product": lambda w, t: {"price": "1", "version": 1},
    # A proposal has no status moves: an allowed caller gets 409, which still proves the authorization.
    "generated_documents.change_status": lambda w, t: {"status": "canceled"},
    "generated_documents_api.change_document_status": lambda w, t: {"status": "canceled"},
    "library.create_folder": lambda w, t: {"name": "Intruder", "parent_id": t.folder},
    "library_api.create_folder": lambda w, t: {"name": "Intruder", "parent_id": t.folder},
    "library.update_folder": lambda w, t: {"name": "Hijacked", "version": _library_version("folder", t.folder)},
    "library_api.update_folder": lambda w, t: {"name": "Hijacked", "version": _library_version("folder", t.folder)},
    "library.update_file": lambda w, t: {"name": "Hijacked.txt", "version": _library_version("file", t.file)},
    "library_api.update_file": lambda w, t: {"name": "Hijacked.txt", "version": _library_version("file", t.file)},
    "library.add_link": lambda w, t: {"from_type": "deal", "from_id": t.deal, "to_type": "lead",
                                      "reference": str(_lead_number(t.lead))},
    "library_api.add_link": lambda w, t: {"from_type": "deal", "from_id": t.deal, "to_type": "lead", "to_id": t.lead},
    "library.remove_link": lambda w, t: {"back_type": "deal", "back_id": t.deal},
    "contracts.deal_contract": lambda w, t: {"action": "unlink", "version": _version("deal", t.deal)},
    "contracts_api.create_from_deal": lambda w, t: {"version": _version("deal", t.deal)},
    "contracts_api.link_deal": lambda w, t: {"deal_id": t.deal, "version": _version("deal", t.deal)},
    "contracts.add_agreement": lambda w, t: {"name": "Intruder"},
    "contracts_api.add_agreement": lambda w, t: {"name": "Intruder"},
    "legal_entities.new": lambda w, t: {"full_name": "Intruder", "inn": "7707083893"},
    "legal_entities.edit": lambda w, t: {"full_name": "Hijacked", "inn": "7736050003", "version": "1"},
    "legal_entities_api.api_create": lambda w, t: {"full_name": "Intruder", "inn": "7707083893"},
    "legal_entities_api.api_update": lambda w, t: {"short_name": "Hijacked", "version": 1},
}


def _library_version(what: str, item_id: int) -> int:
    from app.documents.models import DocumentFile, Folder

    model = Folder if what == "folder" else DocumentFile
    return int(_scalar(sa.select(model.version).where(model.id == item_id)))


def _lead_number(lead_id: int) -> int:
    from app.records.kinds import get_kind

    model = get_kind("lead").model
    return int(_scalar(sa.select(model.number).where(model.id == lead_id)))


def _body(endpoint: str, world: World, target: Target) -> dict[str, Any]:
    blueprint, _, verb = endpoint.partition(".")
    kind = {"leads": "lead", "leads_api": "lead", "deals": "deal", "deals_api": "deal", "contracts": "contract",
            "contracts_api": "contract", "agreements": "agreement", "agreements_api": "agreement",
            "orders": "order", "orders_api": "order", "payments": "payment", "payments_api": "payment"}.get(blueprint)
    make = BODIES.get(endpoint) or (_record_body(kind, verb) if kind else None)
    return make(world, target) if make else {}


def _path_values(endpoint: str, arguments: set[str], world: World, target: Target) -> dict[str, Any]:
    blueprint = endpoint.partition(".")[0]
    owner = {"leads": "lead", "leads_api": "lead", "deals": "deal", "deals_api": "deal",
             "assignments": "assignment", "counterparties": "counterparty",
             "counterparties_api": "counterparty", "contracts": "contract", "contracts_api": "contract",
             "agreements": "agreement", "agreements_api": "agreement", "orders": "order", "orders_api": "order",
             "payments": "payment", "payments_api": "payment"}.get(blueprint)
    if blueprint in ("library", "library_api"):  # the Document Library's routes name the manager's deal
        owner = "deal"
    records = {"lead": target.lead, "deal": target.deal, "assignment": target.assignment,
               "counterparty": world.counterparty, "contract": target.contract, "agreement": target.agreement,
               "order": target.order, "payment": target.payment}
    contacts = {"lead": target.lead_contact, "deal": target.deal_contact, "counterparty": world.counterparty_contact,
                "contract": target.contract_contact, "agreement": target.agreement_contact,
                "order": target.order_contact, "payment": target.payment_contact}
    known: dict[str, Any] = {
        "lead_id": target.lead, "task_id": target.task, "token_id": target.token, "assignment_id": target.assignment,
        "user_id": target.user, "document_id": target.document, "kind": "invoice", "record_type": "deal",
        "order_id": target.order,
        "counterparty_id": world.counterparty, "directory": world.directory, "entry_id": world.entry,
        "version_id": world.process_version, "status": "not_processed", "fmt": "csv", "filename": "crm.css",
        "deal_id": target.deal, "legal_entity_id": world.legal_entity,
    }
    known.update(folder_id=target.folder, file_id=target.spare_file if endpoint.endswith(".delete_file") else
                 target.file, link_id=target.link, number=1, record_type="deal")
    if "line_id" in arguments or "product_id" in arguments:  # a deal's line and its catalog product
        from app.deals.models import DealLine

        line = _scalar(sa.select(DealLine).where(DealLine.deal_id == target.deal).limit(1))
        known.update(line_id=line.id, product_id=line.product_id)
        if owner == "order":  # an order's line (a copy of the deal's)
            from app.orders.models import OrderLine

            known["line_id"] = _scalar(sa.select(OrderLine.id).where(OrderLine.order_id == target.order).limit(1))
    if "log_id" in arguments:  # the mail intake log's entry (a quarantined message, retryable)
        from app.mail.models import MailIntakeEntry

        known["log_id"] = _scalar(sa.select(MailIntakeEntry.id).order_by(MailIntakeEntry.id).limit(1))
    known["key"] = "mail-inbox-crm"  # a setting (Configuration)
    if owner in records:
        known["record_id"] = records[owner]
    if blueprint == "generated_documents":  # a deal's proposal, an order's invoice
        known["record_id"] = target.order if endpoint.endswith("order_document") else target.deal
    if owner in ("order", "payment"):  # a status of the kind (a kanban column)
        known["status"] = {"order": "placement", "payment": "draft"}[owner]
    known.setdefault("order_id", target.order)  # the manager's order (its payments)
    if owner in ("contract", "agreement"):  # a kanban column of the kind's own (its first status)
        from app.records.kinds import get_kind

        known["status"] = get_kind(owner).initial_status
    if owner in contacts:
        known["contact_id"] = contacts[owner]
    if "activity_id" in arguments:  # the activity planned on the record (see _plan_activities)
        from app.activities.models import Activity

        known["activity_id"] = _scalar(sa.select(Activity.id).where(Activity.record_type == owner,
                                                                    Activity.record_id == known["record_id"])
                                       .order_by(Activity.id).limit(1))
    missing = arguments - set(known)
    assert not missing, f"add a fixture value for {sorted(missing)} of {endpoint} in _path_values"
    return {name: known[name] for name in arguments}


def _call(app: Flask, world: World, endpoint: str, method: str, role: str) -> Any:
    rules = [r for r in app.url_map.iter_rules() if r.endpoint == endpoint and method in (r.methods or ())]
    assert rules, f"{method} {endpoint} is in the table but not in the app's url_map"
    rule = rules[0]
    target = world.target(role)
    path = app.url_map.bind("localhost").build(endpoint, _path_values(endpoint, set(rule.arguments), world, target),
                                               method=method)
    is_api = path.startswith("/api/")
    client: FlaskClient = app.test_client()
    headers = {}
    if role != "anon":
        if is_api:
            headers["Authorization"] = f"Bearer {world.tokens[role]}"
        else:
            client.set_cookie(app.config["SESSION_COOKIE_NAME"], world.sessions[role])
    body = _body(endpoint, world, target) if method != "GET" else {}
    if method in ("GET", "DELETE"):
        return client.open(path, method=method, headers=headers), is_api
    if is_api:
        return client.open(path, method=method, json=body, headers=headers), is_api
    form = {k: [str(v) for v in value] if isinstance(value, list) else "on" if value is True else str(value)
            for k, value in body.items()}
    return client.open(path, method=method, data=form, headers=headers), is_api


# ------------------------------------------------------------------------------------------ outcomes


def _to_login(response: Any) -> bool:
    return 300 <= response.status_code < 400 and urlparse(response.headers.get("Location", "")).path == "/login"


def matches(expected: int | str, response: Any, is_api: bool) -> bool:
    status = response.status_code
    if expected == AUTH:
        return status == 401 if is_api else _to_login(response)
    if expected == LOGIN:
        return _to_login(response)
    if expected == OK:
        return 200 <= status < 300
    if expected == REDIRECT:
        return 300 <= status < 400 and not _to_login(response)
    if expected == ALLOWED:
        return 200 <= status < 300 or (300 <= status < 400 and not _to_login(response)) or status in (409, 422)
    return status == expected


def database_state() -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table (volatile bookkeeping columns left out), to prove nothing changed."""
    from app.extensions import db

    state = {}
    for table in db.metadata.sorted_tables:
        columns = [c for c in table.columns if c.name not in VOLATILE_COLUMNS]
        order = list(table.primary_key.columns) or columns
        state[table.name] = [tuple(row) for row in db.session.execute(sa.select(*columns).order_by(*order))]
    return state


def _changed_tables(before: dict[str, Any], after: dict[str, Any]) -> list[str]:
    return sorted(name for name in before.keys() | after.keys() if before.get(name) != after.get(name))


# ------------------------------------------------------------------------------------------ the tests


def _cells() -> Iterator[Any]:
    for endpoint, methods in sorted(MATRIX.items()):
        for method, row in sorted(methods.items()):
            for role in ROLES:
                expectation = row[role]
                marks = [pytest.mark.xfail(strict=True, reason=expectation.bug)] if expectation.bug else []
                yield pytest.param(endpoint, method, role, expectation, id=f"{endpoint}-{method}-{role}", marks=marks)


@pytest.mark.parametrize(("endpoint", "method", "role", "expectation"), list(_cells()))
def test_cell(app: Flask, cell: World, endpoint: str, method: str, role: str, expectation: Cell) -> None:
    write = method != "GET"
    must_not_change = write and (expectation.expected in REFUSALS or role == "anon" or expectation.unchanged)
    before = database_state() if must_not_change else None
    response, is_api = _call(app, cell, endpoint, method, role)
    where = f"{method} {endpoint} as {role}"
    assert response.status_code < 500, f"{where}: {response.status_code} {response.get_data(as_text=True)[:500]}"
    assert matches(expectation.expected, response, is_api), (
        f"{where}: expected {expectation.expected}, got {response.status_code} "
        f"{response.headers.get('Location', '')} {response.get_data(as_text=True)[:300]}")
    # A download (a .docx) is bytes: undecodable bytes cannot spell a name either.
    text = response.get_data().decode("utf-8", "replace")
    leaked = [name for name in HIDDEN_FROM[role] if name in text]
    assert not leaked, f"{where}: the response shows {leaked}, which {role} may not see"
    if before is not None:
        changed = _changed_tables(before, database_state())
        assert not changed, f"{where} was refused ({response.status_code}) but changed {changed}"


def _routes(app: Flask) -> set[tuple[str, str]]:
    return {(rule.endpoint, method) for rule in app.url_map.iter_rules()
            for method in (rule.methods or set()) - SKIPPED_METHODS}


def test_every_route_has_a_row(app: Flask) -> None:
    rows = {(endpoint, method) for endpoint, methods in MATRIX.items() for method in methods}
    unreviewed = sorted(_routes(app) - rows)
    assert not unreviewed, f"routes without a row in tests/integration/authz_table.py: {unreviewed}"


def test_every_row_has_a_route(app: Flask) -> None:
    rows = {(endpoint, method) for endpoint, methods in MATRIX.items() for method in methods}
    stale = sorted(rows - _routes(app))
    assert not stale, f"rows in tests/integration/authz_table.py for routes the app does not have: {stale}"


def test_every_row_names_every_role() -> None:
    for endpoint, methods in MATRIX.items():
        for method, row in methods.items():
            assert tuple(row) == ROLES or set(row) == set(ROLES), (endpoint, method, sorted(row))
