"""The authorization matrix: for every route of the app, the expected outcome per method and role.

One row per (endpoint, method), one column per role. `test_authz_matrix.py` calls every cell and
checks the outcome; a route without a row, or a row without a route, fails the test, so a new route
cannot ship unreviewed.

Roles (columns, always in this order):
    anon      not logged in
    own       manager1 (CRM Manager) on manager1's records and tasks
    other     manager1 on manager2's records and tasks
    director  the Commercial Director (line manager of both managers, author of their assignments)
    admin     an administrator
    analyst   a process analyst (no other group)
    observer  a CRM Manager who observes manager2's lead and deal
    nocrm     an active user with no group at all
Every role except `own` works on manager2's records ("other's" records).

Outcomes:
    AUTH      the route needs a login: a 302 to /login for a page, 401 for the API
    LOGIN     a 302 to /login whatever the kind of route
    OK        2xx
    REDIRECT  3xx elsewhere than /login
    ALLOWED   authorized: 2xx, 3xx (not to /login), 409 or 422 (the request bodies are minimal, so an
              allowed write may be refused for its content; authorization is what is tested)
    an int    exactly that status (403, 404, 409, 401 ...)
A refused write (AUTH/401/403/404), and any write of an anonymous caller, must change nothing in the
database; `Cell(..., unchanged=True)` asks the same of a write answered otherwise (a bulk action that
reports per-record failures).

Known defects: `Cell(expected, bug="who: what")` keeps the CORRECT expectation of a cell the current
code gets wrong; the test runs those cells as strict xfail, so fixing the code turns them red until
the marker is removed.
"""
from __future__ import annotations

from dataclasses import dataclass

ROLES = ("anon", "own", "other", "director", "admin", "analyst", "observer", "nocrm")

AUTH = "auth"
LOGIN = "login"
OK = "ok"
REDIRECT = "redirect"
ALLOWED = "allowed"


@dataclass(frozen=True)
class Cell:
    expected: int | str
    unchanged: bool = False
    bug: str | None = None


Row = dict[str, Cell]


def R(*cells: int | str | Cell) -> Row:  # noqa: N802  (a table constructor reads best short)
    """A row in ROLES order: anon, own, other, director, admin, analyst, observer, nocrm."""
    assert len(cells) == len(ROLES), cells
    return {role: c if isinstance(c, Cell) else Cell(c) for role, c in zip(ROLES, cells)}


def override(row: Row, **cells: int | str | Cell) -> Row:
    """A profile with some cells changed (named by role)."""
    assert set(cells) <= set(ROLES), cells
    return {**row, **{role: c if isinstance(c, Cell) else Cell(c) for role, c in cells.items()}}


def bug(expected: int | str, reason: str) -> Cell:
    return Cell(expected, bug=reason)


# ------------------------------------------------------------------------------------------ profiles
#                        anon  own      other    director admin    analyst  observer nocrm
PUBLIC = R(OK, OK, OK, OK, OK, OK, OK, OK)
SIGNED_IN = R(AUTH, OK, OK, OK, OK, OK, OK, OK)
SIGNED_IN_WRITE = R(AUTH, ALLOWED, ALLOWED, ALLOWED, ALLOWED, ALLOWED, ALLOWED, ALLOWED)
ADMIN = R(AUTH, 403, 403, 403, OK, 403, 403, 403)
ADMIN_WRITE = R(AUTH, 403, 403, 403, ALLOWED, 403, 403, 403)
ANALYST = R(AUTH, 403, 403, 403, OK, OK, 403, 403)
ANALYST_WRITE = R(AUTH, 403, 403, 403, ALLOWED, ALLOWED, 403, 403)
# CRM staff: CRM Managers, the Commercial Director, administrators (clients, creating records).
CRM = R(AUTH, OK, OK, OK, OK, 403, OK, 403)
CRM_WRITE = R(AUTH, ALLOWED, ALLOWED, ALLOWED, ALLOWED, 403, ALLOWED, 403)
# A lead or deal: seen by its responsible, observers, the director and admins; invisible (404) to others.
RECORD_READ = R(AUTH, OK, 404, OK, OK, 404, OK, 404)
# Written by its responsible, the Commercial Director and admins; an observer reads only (403).
RECORD_WRITE = R(AUTH, ALLOWED, 404, ALLOWED, ALLOWED, 404, 403, 404)
# Assigning the responsible person: the Commercial Director and admins only (issue 6 #2).
RECORD_ASSIGN = R(AUTH, 403, 404, ALLOWED, ALLOWED, 404, 403, 404)
# A task: seen by its assignee, the assignee's line manager, the process's author and admins.
TASK_READ = R(AUTH, OK, 404, OK, OK, 404, 404, 404)
TASK_CLAIM = R(AUTH, ALLOWED, 404, 409, 409, 404, 404, 404)  # the task is taken already: 409
TASK_COMPLETE = R(AUTH, ALLOWED, 404, 403, 403, 404, 404, 404)
TASK_REASSIGN = R(AUTH, 403, 404, ALLOWED, ALLOWED, 404, 404, 404)
ASSIGNMENT_READ = TASK_READ
# An API token: its owner and administrators revoke it; to anyone else it does not exist.
TOKEN_REVOKE = R(AUTH, ALLOWED, 404, 404, ALLOWED, 404, 404, 404)

# DESIGN §4: the analyst has "no access to records beyond what their other groups give", so an analyst
# or a user with no CRM group creates no leads or deals (403); clients already need a CRM group too.


def record_pages(plural: str) -> dict[str, dict[str, Row]]:
    """The pages of one record kind (blueprint named by the plural)."""
    create_refused = override(CRM_WRITE, analyst=403, nocrm=403)
    return {
        f"{plural}.index": {"GET": SIGNED_IN},
        f"{plural}.kanban": {"GET": SIGNED_IN},
        f"{plural}.kanban_cards": {"GET": SIGNED_IN},
        f"{plural}.export": {"GET": SIGNED_IN},
        f"{plural}.new": {"GET": override(CRM, analyst=403, nocrm=403),
                          "POST": create_refused},
        f"{plural}.quick_create": {"POST": create_refused},
        f"{plural}.detail": {"GET": RECORD_READ},
        f"{plural}.update": {"POST": RECORD_WRITE},
        f"{plural}.change_status": {"POST": override(RECORD_WRITE, observer=403)},
        # Bulk move: the page answers with a redirect and a per-record report; refused records stay.
        f"{plural}.change_status_many": {"POST": R(AUTH, ALLOWED, Cell(REDIRECT, unchanged=True), ALLOWED, ALLOWED,
                                                   Cell(REDIRECT, unchanged=True), Cell(REDIRECT, unchanged=True),
                                                   Cell(REDIRECT, unchanged=True))},
        f"{plural}.assign_responsible": {"POST": RECORD_ASSIGN},
        f"{plural}.set_observers": {"POST": RECORD_WRITE},
        f"{plural}.add_contact": {"POST": RECORD_WRITE},
        f"{plural}.update_contact": {"POST": RECORD_WRITE},
        # Comments: written by whoever may write the record (an observer reads them only).
        f"{plural}.add_comment": {"POST": RECORD_WRITE},
        # Planned activities and "Create Assignment" from the card: written by whoever may write the record.
        f"{plural}.add_activity": {"POST": RECORD_WRITE},
        f"{plural}.complete_activity": {"POST": RECORD_WRITE},
        f"{plural}.cancel_activity": {"POST": RECORD_WRITE},
        f"{plural}.add_assignment": {"POST": RECORD_WRITE},
    }


def record_api(plural: str) -> dict[str, dict[str, Row]]:
    """The JSON API of one record kind (blueprint "<plural>_api" under /api/v1/<plural>)."""
    bp = f"{plural}_api"
    return {
        f"{bp}.list": {"GET": SIGNED_IN},
        f"{bp}.create": {"POST": override(CRM_WRITE, analyst=403, nocrm=403)},
        f"{bp}.get": {"GET": RECORD_READ},
        f"{bp}.update": {"PATCH": RECORD_WRITE},
        f"{bp}.actions": {"GET": RECORD_READ},
        f"{bp}.change_status": {"POST": RECORD_WRITE},
        f"{bp}.assign_responsible": {"POST": RECORD_ASSIGN},
        f"{bp}.set_observers": {"PUT": RECORD_WRITE},
        f"{bp}.list_contacts": {"GET": RECORD_READ},
        f"{bp}.add_contact": {"POST": RECORD_WRITE},
        f"{bp}.update_contact": {"PATCH": RECORD_WRITE},
        f"{bp}.remove_contact": {"DELETE": RECORD_WRITE},
        f"{bp}.list_comments": {"GET": RECORD_READ},
        f"{bp}.add_comment": {"POST": RECORD_WRITE},
        f"{bp}.list_activities": {"GET": RECORD_READ},
        f"{bp}.add_activity": {"POST": RECORD_WRITE},
        f"{bp}.update_activity": {"PATCH": RECORD_WRITE},
        f"{bp}.complete_activity": {"POST": RECORD_WRITE},
        f"{bp}.cancel_activity": {"POST": RECORD_WRITE},
        f"{bp}.list_assignments": {"GET": RECORD_READ},
        f"{bp}.add_assignment": {"POST": RECORD_WRITE},
    }


# ------------------------------------------------------------------------------------------ the table
MATRIX: dict[str, dict[str, Row]] = {
    # --- sign-in, users (admin) ------------------------------------------------------------------
    "static": {"GET": PUBLIC},
    "favicon": {"GET": R(REDIRECT, REDIRECT, REDIRECT, REDIRECT, REDIRECT, REDIRECT, REDIRECT, REDIRECT)},
    #                                   anon      own       other     director  admin     analyst   observer  nocrm
    "auth.login": {"GET": R(OK, REDIRECT, REDIRECT, REDIRECT, REDIRECT, REDIRECT, REDIRECT, REDIRECT),
                   "POST": R(401, 401, 401, 401, 401, 401, 401, 401)},  # wrong password, whoever asks
    "auth.logout": {"POST": R(LOGIN, LOGIN, LOGIN, LOGIN, LOGIN, LOGIN, LOGIN, LOGIN)},
    "auth.home": {"GET": R(REDIRECT, REDIRECT, REDIRECT, REDIRECT, REDIRECT, REDIRECT, REDIRECT, REDIRECT)},
    "auth.users": {"GET": ADMIN},
    "auth.new_user": {"GET": ADMIN, "POST": ADMIN_WRITE},
    "auth.edit_user": {"GET": ADMIN, "POST": ADMIN_WRITE},
    "api.issue_token": {"POST": R(401, 401, 401, 401, 401, 401, 401, 401)},  # wrong password, whoever asks
    "api.me": {"GET": SIGNED_IN},
    # Own profile and API tokens; someone else's token is revoked by an administrator only (404 to others).
    "auth.profile": {"GET": SIGNED_IN},
    "auth.change_password": {"POST": SIGNED_IN_WRITE},
    "auth.save_settings": {"POST": SIGNED_IN_WRITE},
    "auth.create_token": {"POST": SIGNED_IN_WRITE},
    "auth.revoke_token": {"POST": TOKEN_REVOKE},
    "api.list_tokens": {"GET": SIGNED_IN},
    "api.revoke_token": {"DELETE": TOKEN_REVOKE},
    # The API contract describes routes and schemas, never data: public.
    "api_docs.openapi": {"GET": PUBLIC},
    "api_docs.index": {"GET": PUBLIC},

    # --- tasks, board, assignments ---------------------------------------------------------------
    # The sales dashboard: everyone signed in; its figures follow record visibility (test_dashboard.py).
    "dashboard.index": {"GET": SIGNED_IN},
    "tasks.current": {"GET": SIGNED_IN},
    "tasks.completed": {"GET": SIGNED_IN},
    "tasks.subordinates": {"GET": SIGNED_IN},
    "tasks.board": {"GET": SIGNED_IN},
    "tasks.detail": {"GET": TASK_READ},
    "tasks.claim": {"POST": TASK_CLAIM},
    "tasks.complete": {"POST": TASK_COMPLETE},
    "tasks.reassign": {"POST": TASK_REASSIGN},
    "api.list_tasks": {"GET": SIGNED_IN},
    "api.get_task": {"GET": TASK_READ},
    "api.claim_task": {"POST": TASK_CLAIM},
    "api.complete_task": {"POST": TASK_COMPLETE},
    "api.reassign_task": {"POST": TASK_REASSIGN},
    "assignments.index": {"GET": SIGNED_IN},
    "assignments.new": {"GET": SIGNED_IN, "POST": SIGNED_IN_WRITE},
    "assignments.detail": {"GET": ASSIGNMENT_READ},
    "api.list_assignments": {"GET": SIGNED_IN},
    "api.create_assignment": {"POST": SIGNED_IN_WRITE},
    "api.get_assignment": {"GET": ASSIGNMENT_READ},

    # --- processes (analysts and admins) ---------------------------------------------------------
    "processes.index": {"GET": ANALYST},
    "processes.deploy": {"POST": ANALYST_WRITE},
    "processes.version": {"GET": ANALYST},
    "processes.version_xml": {"GET": ANALYST},
    "api.list_processes": {"GET": ANALYST},

    # --- clients (counterparties): every user reads, CRM staff edit -------------------------------
    "counterparties.index": {"GET": SIGNED_IN},
    "counterparties.detail": {"GET": SIGNED_IN},
    "counterparties.new": {"GET": CRM, "POST": CRM_WRITE},
    "counterparties.edit": {"GET": CRM, "POST": CRM_WRITE},
    "counterparties.autofill": {"POST": CRM_WRITE},
    "counterparties.add_contact": {"POST": CRM_WRITE},
    "counterparties.edit_contact": {"GET": CRM, "POST": CRM_WRITE},
    "counterparties.remove_contact": {"POST": CRM_WRITE},
    "counterparties_api.list_counterparties": {"GET": SIGNED_IN},
    "counterparties_api.get_counterparty": {"GET": SIGNED_IN},
    "counterparties_api.create_counterparty": {"POST": CRM_WRITE},
    "counterparties_api.update_counterparty": {"PATCH": CRM_WRITE},
    "counterparties_api.autofill": {"POST": override(CRM_WRITE, analyst=403, nocrm=403)},
    "counterparties_api.add_contact": {"POST": CRM_WRITE},
    "counterparties_api.update_contact": {"PATCH": CRM_WRITE},
    "counterparties_api.remove_contact": {"DELETE": CRM_WRITE},

    # --- directories: admins edit, every user reads through the API -------------------------------
    "directories.index": {"GET": ADMIN},
    "directories.add_entry": {"POST": ADMIN_WRITE},
    "directories.set_active": {"POST": ADMIN_WRITE},
    "directories_api.list_directories": {"GET": SIGNED_IN},
    "directories_api.list_entries": {"GET": SIGNED_IN},

    # --- leads and deals (app/records: the same machinery for every kind) -------------------------
    **record_pages("leads"),
    **record_pages("deals"),
    "leads.create_counterparty": {"GET": override(RECORD_WRITE, observer=403),
                                  "POST": RECORD_WRITE},
    "leads.link_counterparty": {"POST": RECORD_WRITE},
    **record_api("leads"),
    **record_api("deals"),
    # A deal's products and services lines: read with the deal, written by whoever writes it (issue 8 #3).
    "deals.add_line": {"POST": RECORD_WRITE},
    "deals.edit_line": {"GET": RECORD_WRITE, "POST": RECORD_WRITE},
    "deals_api.list_lines": {"GET": RECORD_READ},
    "deals_api.add_line": {"POST": RECORD_WRITE},
    "deals_api.update_line": {"PATCH": RECORD_WRITE},
    "deals_api.remove_line": {"DELETE": RECORD_WRITE},
    # The products and services catalog: every user reads, CRM staff edit.
    "catalog.index": {"GET": SIGNED_IN},
    "catalog.new": {"GET": CRM, "POST": CRM_WRITE},
    "catalog.edit": {"GET": CRM, "POST": CRM_WRITE},
    "catalog.set_active": {"POST": CRM_WRITE},
    "products_api.list_products": {"GET": SIGNED_IN},
    "products_api.get_product": {"GET": SIGNED_IN},
    "products_api.create_product": {"POST": CRM_WRITE},
    "products_api.update_product": {"PATCH": CRM_WRITE},
    # --- contracts and additional agreements (record kinds), our legal entities (issue 9) ----------
    **record_pages("contracts"),
    **record_pages("agreements"),
    # Additional agreements are created on their contract's card: /agreements/new sends CRM users to the
    # journal with a message saying so (RecordKind.created_on).
    "agreements.new": {"GET": R(AUTH, REDIRECT, REDIRECT, REDIRECT, REDIRECT, 403, REDIRECT, 403),
                       "POST": override(CRM_WRITE, analyst=403, nocrm=403)},
    **record_api("contracts"),
    **record_api("agreements"),
    # An agreement is added from its contract by whoever writes the contract; listed with the contract.
    "contracts.add_agreement": {"POST": RECORD_WRITE},
    "contracts_api.add_agreement": {"POST": RECORD_WRITE},
    "contracts_api.list_agreements": {"GET": RECORD_READ},
    # The deal card's Contract widget: select / create / unlink, by whoever writes the deal (and sees the
    # contract it selects).
    "contracts.deal_contract": {"POST": RECORD_WRITE},
    "contracts_api.create_from_deal": {"POST": RECORD_WRITE},
    "contracts_api.link_deal": {"POST": RECORD_WRITE},
    # Our legal entities: every signed-in user reads, administrators edit.
    "legal_entities.index": {"GET": SIGNED_IN},
    "legal_entities.detail": {"GET": SIGNED_IN},
    "legal_entities.new": {"GET": ADMIN, "POST": ADMIN_WRITE},
    "legal_entities.edit": {"GET": ADMIN, "POST": ADMIN_WRITE},
    "legal_entities_api.list": {"GET": SIGNED_IN},
    "legal_entities_api.api_get": {"GET": SIGNED_IN},
    "legal_entities_api.api_create": {"POST": ADMIN_WRITE},
    "legal_entities_api.api_update": {"PATCH": ADMIN_WRITE},
    # --- orders and payments (record kinds; issue 9) ---------------------------------------------------
    **record_pages("orders"),
    **record_pages("payments"),
    **record_api("orders"),
    **record_api("payments"),
    # An order's lines: read with the order, written by whoever writes it (like a deal's).
    "orders.add_line": {"POST": RECORD_WRITE},
    "orders.edit_line": {"GET": RECORD_WRITE, "POST": RECORD_WRITE},
    "orders_api.list_lines": {"GET": RECORD_READ},
    "orders_api.add_line": {"POST": RECORD_WRITE},
    "orders_api.update_line": {"PATCH": RECORD_WRITE},
    "orders_api.remove_line": {"DELETE": RECORD_WRITE},
    # Orders and payments made from a deal or an order: by whoever writes it; listed to whoever reads it.
    "orders.new_for_deal": {"GET": RECORD_WRITE, "POST": RECORD_WRITE},
    "payments.new_for_deal": {"GET": RECORD_WRITE, "POST": RECORD_WRITE},
    "payments.new_for_order": {"GET": RECORD_WRITE, "POST": RECORD_WRITE},
    "deal_orders_api.list_orders": {"GET": RECORD_READ},
    "deal_orders_api.create_order": {"POST": RECORD_WRITE},
    "record_payments_api.list_deal_payments": {"GET": RECORD_READ},
    "record_payments_api.create_deal_payment": {"POST": RECORD_WRITE},
    "record_payments_api.list_order_payments": {"GET": RECORD_READ},
    "record_payments_api.create_order_payment": {"POST": RECORD_WRITE},
    "record_payments_api.order_paid": {"GET": RECORD_READ},
    # Merge with Main Deal: both deals writable by the caller (the merged one is checked first).
    "deals.merge_deal": {"POST": RECORD_WRITE},
    "deals_api.merge_deal": {"POST": RECORD_WRITE},
    # Generated documents: a proposal from a deal, an invoice or act from an order. Read with the record; made,
    # retried and moved by whoever writes it (an observer reads only). The world's orders are not approved yet:
    # an allowed invoice or act request is refused for that (422).
    "generated_documents.generate_proposal": {"POST": RECORD_WRITE},
    "generated_documents.generate_order_document": {"POST": RECORD_WRITE},
    "generated_documents.list_fragment": {"GET": RECORD_READ},
    "generated_documents.preview": {"GET": RECORD_READ},
    "generated_documents.download": {"GET": RECORD_READ},
    "generated_documents.retry": {"POST": RECORD_WRITE},
    "generated_documents.change_status": {"POST": RECORD_WRITE},
    "generated_documents_api.create_proposal": {"POST": RECORD_WRITE},
    "generated_documents_api.create_order_document": {"POST": RECORD_WRITE},
    "generated_documents_api.list_deal_documents": {"GET": RECORD_READ},
    "generated_documents_api.list_order_documents": {"GET": RECORD_READ},
    "generated_documents_api.get_document": {"GET": RECORD_READ},
    "generated_documents_api.download": {"GET": RECORD_READ},
    "generated_documents_api.retry_document": {"POST": RECORD_WRITE},
    "generated_documents_api.change_document_status": {"POST": RECORD_WRITE},

    # --- the Document Library and Document Links (app/documents) -----------------------------------
    # A record's folder, its documents and its links follow the record (the matrix's folder is the deal's,
    # its link joins the manager's lead and deal). The writers' cells get 409/422 for the minimal bodies
    # (a record's folder is not renamed, a folder with a document is not deleted, no file in an upload).
    "library.index": {"GET": SIGNED_IN},
    "library.folder": {"GET": RECORD_READ},
    "library.create_folder": {"POST": RECORD_WRITE},
    "library.update_folder": {"POST": RECORD_WRITE},
    "library.delete_folder": {"POST": RECORD_WRITE},
    "library.upload": {"POST": RECORD_WRITE},
    "library.record_folder": {"GET": R(AUTH, REDIRECT, 404, REDIRECT, REDIRECT, 404, REDIRECT, 404)},
    "library.upload_to_record": {"POST": RECORD_WRITE},
    "library.file_detail": {"GET": RECORD_READ},
    "library.download": {"GET": RECORD_READ},
    "library.download_version": {"GET": RECORD_READ},
    "library.update_file": {"POST": RECORD_WRITE},
    "library.upload_version": {"POST": RECORD_WRITE},
    "library.delete_file": {"POST": RECORD_WRITE},
    "library.add_link": {"POST": RECORD_WRITE},
    "library.remove_link": {"POST": RECORD_WRITE},
    "library_api.list_folders": {"GET": SIGNED_IN},
    "library_api.create_folder": {"POST": RECORD_WRITE},
    "library_api.get_folder": {"GET": RECORD_READ},
    "library_api.update_folder": {"PATCH": RECORD_WRITE},
    "library_api.delete_folder": {"DELETE": RECORD_WRITE},
    "library_api.upload": {"POST": RECORD_WRITE},
    "library_api.get_record_folder": {"GET": RECORD_READ},
    "library_api.upload_to_record": {"POST": RECORD_WRITE},
    "library_api.get_file": {"GET": RECORD_READ},
    "library_api.update_file": {"PATCH": RECORD_WRITE},
    "library_api.delete_file": {"DELETE": RECORD_WRITE},
    "library_api.download": {"GET": RECORD_READ},
    "library_api.download_version": {"GET": RECORD_READ},
    "library_api.upload_version": {"POST": RECORD_WRITE},
    # Without ?record_type=&record_id= (the matrix sends no query): 422 for everyone signed in.
    "library_api.list_links": {"GET": R(AUTH, 422, 422, 422, 422, 422, 422, 422)},
    "library_api.add_link": {"POST": RECORD_WRITE},
    "library_api.remove_link": {"DELETE": RECORD_WRITE},
    # --- Configuration (settings) and mail intake (issue 10) ------------------------------------------
    "settings.index": {"GET": ADMIN},
    "settings.update": {"POST": ADMIN_WRITE},
    "settings.check": {"POST": ADMIN_WRITE},
    "settings_api.list_settings": {"GET": ADMIN},
    "settings_api.get_setting": {"GET": ADMIN},
    "settings_api.update_setting": {"PUT": ADMIN_WRITE},
    # The intake log: administrators and the Commercial Director read it; administrators retry.
    "mail.log": {"GET": R(AUTH, 403, 403, OK, OK, 403, 403, 403)},
    "mail.entry": {"GET": R(AUTH, 403, 403, OK, OK, 403, 403, 403)},
    "mail.raw": {"GET": R(AUTH, 403, 403, OK, OK, 403, 403, 403)},
    "mail.retry": {"POST": ADMIN_WRITE},
    "mail_api.list_log": {"GET": R(AUTH, 403, 403, OK, OK, 403, 403, 403)},
    "mail_api.retry_entry": {"POST": ADMIN_WRITE},
}
