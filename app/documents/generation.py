"""Generated documents: a commercial proposal from a deal, an invoice and an act from an order.

Requesting a document (`request_proposal`, `request_order_document`) checks that the actor may write the
record, allocates the number (sequential per kind, legal entity and year: `app.db.next_number`, safe under
concurrency on SQLite and PostgreSQL), and takes the template's context from the record NOW, stored as JSON
on the document. The render job works from that snapshot alone: a retry renders the same document, an
invoice keeps the lines and requisites it was issued with when the order changes later, and the worker never
needs the deal or order code. The render job (`RENDER_DOCUMENT` on the `documents` queue) is enqueued after
the commit; `render_document` is its body: idempotent (only a pending document renders), it stores the .docx
(and a .pdf when LibreOffice is there) in the record's folder of the Document Library and marks the document
ready, or failed with the reason. `retry_document` puts a failed one back in the queue.

Status of an invoice or act: draft → issued → paid (invoice) / signed (act), or canceled
(`change_document_status`). Reading a document needs read access to its record (else NotFound); every
write needs write access to it (PermissionDenied), closed records included: an act is made for a completed
order. Services flush only; the caller commits.
"""
from __future__ import annotations

import logging
import os
import re
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_pgettext as _p
from sqlalchemy.orm.exc import StaleDataError

from app import jobs
from app.auth.models import User
from app.catalog import services as catalog
from app.contracts import legal_entities
from app.contracts import services as contracts
from app.contracts.models import LegalEntity
from app.db import next_number
from app.directories import services as directories
from app.directories.services import code_label
from app.documents import rendering, storage
from app.documents.generation_models import (ERROR_MAX, KIND_RECORD_TYPE, STATUSES, GeneratedDocument,
                                             numbering_counter)
from app.errors import Conflict, InvalidInput, NotFound
from app.extensions import db
from app.processes.services import now
from app.records import lines as record_lines
from app.records import services as records
from app.records.kinds import RecordKind, registered_kinds

logger = logging.getLogger(__name__)

KIND_LABELS = {"proposal": _p("document kind", "Commercial proposal"), "invoice": _p("document kind", "Invoice"),
               "act": _p("document kind", "Act")}
STATUS_LABELS = {"draft": _p("document status", "Draft"), "issued": _p("document status", "Issued"),
                 "paid": _p("document status", "Paid"), "signed": _p("document status", "Signed"),
                 "canceled": _p("document status", "Canceled")}
RENDER_LABELS = {"pending": _p("render status", "Rendering…"), "ready": _p("render status", "Ready"),
                 "failed": _p("render status", "Failed")}
#: Order statuses in which invoices and acts are made: after the Commercial Director approved the order.
ORDER_STATUSES_FOR_DOCUMENTS = ("execution", "completed")
#: Days an invoice is payable and a proposal is valid.
PAY_WITHIN_DAYS = 5
VALID_FOR_DAYS = 30
#: A pending document untouched this long is re-enqueued by the clock's scan (its job was lost with Redis).
STALE_PENDING = timedelta(minutes=2)
CURRENCY_NAMES = {"RUB": "руб."}
WITHOUT_VAT_LABEL = "Без налога (НДС)"


def kind_label(kind: str) -> str:
    return str(KIND_LABELS.get(kind, kind))


def status_label(status: str) -> str:
    return str(STATUS_LABELS.get(status, status))


def render_label(render_status: str) -> str:
    return str(RENDER_LABELS.get(render_status, render_status))


def record_kind(record_type: str) -> RecordKind:
    """The kind documents are made from; NotFound when no such kind is registered (orders not installed)."""
    kind = next((k for k in registered_kinds() if k.name == record_type), None)
    if kind is None:
        raise NotFound(_("No such document."))
    return kind


def _today() -> date:
    return now().astimezone(ZoneInfo(current_app.config["CRM_TIMEZONE"])).date()


# --------------------------------------------------------------------------- the context


def _supplier(entity: LegalEntity | None) -> dict[str, str]:
    if entity is None:
        return {k: "" for k in ("name", "inn", "kpp", "ogrn", "address", "bank", "bik", "account", "corr_account",
                                "director", "chief_accountant", "phone", "email")}
    return {"name": entity.full_name, "inn": entity.inn, "kpp": entity.kpp or "", "ogrn": entity.ogrn or "",
            "address": entity.address or "", "bank": entity.bank_name or "", "bik": entity.bik or "",
            "account": entity.bank_account or "", "corr_account": entity.corr_account or "",
            "director": entity.director_name or "", "chief_accountant": entity.chief_accountant_name or "",
            "phone": "", "email": ""}


def _customer(record: Any) -> dict[str, str]:
    client = record.counterparty
    if client is None:
        return {"name": record.company_name or "", "inn": "", "kpp": "", "address": ""}
    return {"name": client.full_name, "inn": client.inn or "", "kpp": client.kpp or "",
            "address": client.legal_address or ""}


def _vat_label(views: Sequence[record_lines.LineView]) -> str:
    rates = {v.line.vat_rate for v in views}
    if not rates or rates == {catalog.WITHOUT_VAT}:
        return WITHOUT_VAT_LABEL
    if len(rates) == 1:
        return f"НДС {rendering.format_quantity(catalog.vat_percent(rates.pop()) or Decimal(0))}%"
    return "НДС"


def unit_name(code: str) -> str:
    """The unit's Russian name: the `unit` directory's entry, else its seed (a fresh database), else the code."""
    label = code_label("unit", code, locale="ru")
    if label == code:
        seed = {c: ru for c, _en, ru in directories.DIRECTORIES["unit"].seed}
        label = seed.get(code) or code
    return label


def lines_context(current: record_lines.RecordLines) -> dict[str, Any]:
    """The lines table and totals as the templates show them (Russian number format, unit names)."""
    rows = []
    for no, view in enumerate(current.lines, start=1):
        line, amounts = view.line, view.amounts
        rate = catalog.vat_percent(line.vat_rate)
        rows.append({"no": no, "name": line.name, "quantity": rendering.format_quantity(Decimal(line.quantity)),
                     "unit": unit_name(line.unit),
                     "price": rendering.format_money(Decimal(line.price)),
                     "discount": rendering.format_quantity(Decimal(line.discount_percent)),
                     "vat_rate": WITHOUT_VAT_LABEL if line.vat_rate == catalog.WITHOUT_VAT
                     else f"{rendering.format_quantity(rate or Decimal(0))}%",
                     "net": rendering.format_money(amounts.net), "vat": rendering.format_money(amounts.vat),
                     "gross": rendering.format_money(amounts.gross)})
    total = current.total
    return {"lines": rows,
            "totals": {"net": rendering.format_money(total.net), "vat": rendering.format_money(total.vat),
                       "gross": rendering.format_money(total.gross), "vat_label": _vat_label(current.lines),
                       "count": len(rows), "words": rendering.amount_in_words(total.gross),
                       "amount": f"{total.gross:.2f}"}}


def _currency(record: Any) -> str:
    code = getattr(record, "currency", None) or "RUB"
    return CURRENCY_NAMES.get(code, code)


def _ru_date(value: date) -> str:
    return value.strftime("%d.%m.%Y")


def _basis(record: Any, contract: Any) -> str:
    if contract is not None and contract.contract_number:
        when = f" от {_ru_date(contract.contract_date)}" if contract.contract_date else ""
        return f"Договор № {contract.contract_number}{when}"
    if contract is not None:
        return f"Договор {contract.display_number}"
    return f"Заказ {record.display_number}"


def _responsible(record: Any) -> dict[str, str]:
    user = record.responsible
    if user is None:
        return {"name": "", "position": "", "phone": "", "email": ""}
    return {"name": user.full_name or user.login, "position": getattr(user, "position", None) or "Менеджер",
            "phone": getattr(user, "phone", None) or "", "email": user.email or ""}


# --------------------------------------------------------------------------- requesting


@dataclass(frozen=True)
class _Prepared:
    kind: str
    record: Any
    legal_entity: LegalEntity | None
    context: dict[str, Any]
    amount: Decimal


def _writable(record_type: str, record_id: int, actor: User) -> Any:
    """The record, visible to and writable by the actor (closed ones too). Raises NotFound, PermissionDenied."""
    kind = record_kind(record_type)
    record = records.get_record(kind, record_id, actor)
    records.require_edit(kind, record, actor, open_only=False)
    return record


def _lines_or_refuse(record_type: str, record_id: int) -> record_lines.RecordLines:
    current = record_lines.record_lines(record_kind(record_type), record_id)
    if not current.lines:
        raise InvalidInput(_("Add products or services first: the document lists them."), code="no_lines")
    return current


def _create(prepared: _Prepared, actor: User, today: date) -> GeneratedDocument:
    entity_id = prepared.legal_entity.id if prepared.legal_entity else None
    number = next_number(db.session, numbering_counter(prepared.kind, entity_id, today.year))
    context = {**prepared.context, "number": str(number), "date": _ru_date(today)}
    document = GeneratedDocument(
        kind=prepared.kind, record_type=KIND_RECORD_TYPE[prepared.kind], record_id=prepared.record.id,
        legal_entity_id=entity_id, year=today.year, number=number, document_date=today, amount=prepared.amount,
        context=context, render_status="pending", status="draft", attempts=0, created_by_id=actor.id)
    db.session.add(document)
    db.session.flush()
    _enqueue(document)
    return document


def _enqueue(document: GeneratedDocument) -> None:
    # The scoped session's current Session: its after_commit publishes the job.
    jobs.enqueue_after_commit(db.session(), jobs.RENDER_DOCUMENT, document.id, queue=jobs.QUEUE_DOCUMENTS,
                              job_id=render_job_id(document.id))


def render_job_id(document_id: int) -> str:
    return f"render-document-{document_id}"


def request_proposal(deal_id: int, actor: User, today: date | None = None) -> GeneratedDocument:
    """A commercial proposal for a deal: its client, our legal entity (the deal's contract's, else the default
    one), its lines, totals, VAT, the amount in words and the responsible person's signature. Numbered per
    legal entity and year. Enqueues the render job after commit. Flushes.
    Raises NotFound, PermissionDenied, InvalidInput (no lines)."""
    deal = _writable("deal", deal_id, actor)
    current = _lines_or_refuse("deal", deal_id)
    contract = contracts.deal_contract(deal)
    entity = (contract.legal_entity if contract is not None and contract.legal_entity is not None
              else legal_entities.default_legal_entity())
    today = today or _today()
    context = {"kind": "proposal", "title": deal.name, "deal": deal.display_number, "supplier": _supplier(entity),
               "customer": _customer(deal), "currency": _currency(deal), "responsible": _responsible(deal),
               "valid_until": _ru_date(today + timedelta(days=VALID_FOR_DAYS)), **lines_context(current)}
    return _create(_Prepared("proposal", deal, entity, context, current.total.gross), actor, today)


def request_order_document(order_id: int, kind: str, actor: User, today: date | None = None) -> GeneratedDocument:
    """An invoice or an act for an order approved by the Commercial Director (execution or completed): our legal
    entity's requisites from the order's contract (else the default legal entity), the payer, the lines, totals,
    VAT and the amount in words. Numbered per kind, legal entity and year. Enqueues the render job after commit.
    Raises NotFound (also for an unknown kind), PermissionDenied, InvalidInput (not approved yet, no lines, no
    legal entity of ours)."""
    if kind not in ("invoice", "act"):
        raise NotFound(_("No such document."))
    order = _writable("order", order_id, actor)
    if order.status not in ORDER_STATUSES_FOR_DOCUMENTS:
        raise InvalidInput(_("Invoices and acts are made once the order is approved."), code="order_not_approved")
    current = _lines_or_refuse("order", order_id)
    contract = contracts.get_contract(order.contract_id) if getattr(order, "contract_id", None) else None
    entity = (contract.legal_entity if contract is not None and contract.legal_entity is not None
              else legal_entities.default_legal_entity())
    if entity is None:
        raise InvalidInput(_("Add our legal entity first: its requisites go on the document."),
                           code="no_legal_entity")
    today = today or _today()
    context = {"kind": kind, "supplier": _supplier(entity), "customer": _customer(order),
               "basis": _basis(order, contract), "order": order.display_number, "currency": _currency(order),
               "pay_until": _ru_date(today + timedelta(days=PAY_WITHIN_DAYS)), **lines_context(current)}
    return _create(_Prepared(kind, order, entity, context, current.total.gross), actor, today)


# --------------------------------------------------------------------------- reading


def list_documents(record_type: str, record_id: int) -> list[GeneratedDocument]:
    """The documents of a record already checked visible (the card), newest first."""
    return list(db.session.scalars(
        sa.select(GeneratedDocument).where(GeneratedDocument.record_type == record_type,
                                           GeneratedDocument.record_id == record_id)
        .order_by(GeneratedDocument.created_at.desc(), GeneratedDocument.id.desc())))


def list_record_documents(record_type: str, record_id: int, actor: User) -> list[GeneratedDocument]:
    """The documents of a record the actor may see. Raises NotFound."""
    records.get_record(record_kind(record_type), record_id, actor)
    return list_documents(record_type, record_id)


def get_document(document_id: int, actor: User) -> GeneratedDocument:
    """A document whose record the actor may see; NotFound otherwise."""
    document = db.session.get(GeneratedDocument, document_id)
    if document is None:
        raise NotFound(_("Document not found."))
    try:
        records.get_record(record_kind(document.record_type), document.record_id, actor)
    except NotFound:
        raise NotFound(_("Document not found.")) from None
    return document


def can_write(document: GeneratedDocument, actor: User) -> bool:
    kind = record_kind(document.record_type)
    record = records.find_record(kind, document.record_id)
    return record is not None and records.can_edit(kind, record, actor)


def open_document_file(document_id: int, actor: User, fmt: str = "docx") -> storage.StoredContent:
    """The .docx (or .pdf) of a ready document the actor may see. Raises NotFound (also: not rendered yet,
    no PDF)."""
    document = get_document(document_id, actor)
    file_id = document.file_id if fmt == "docx" else document.pdf_file_id if fmt == "pdf" else None
    if file_id is None or document.render_status != "ready":
        raise NotFound(_("The document's file is not ready."), code="file_not_ready")
    return storage.open_file(file_id)


# --------------------------------------------------------------------------- writing


def _writable_document(document_id: int, actor: User, expected_version: Any = None) -> GeneratedDocument:
    document = get_document(document_id, actor)
    _writable(document.record_type, document.record_id, actor)
    if expected_version is not None:
        records.check_version(document, expected_version)
    return document


def retry_document(document_id: int, actor: User, expected_version: Any = None) -> GeneratedDocument:
    """Render a failed document again (the same number and context). Enqueues the render job after commit.
    Raises NotFound, PermissionDenied, Conflict (not failed)."""
    document = _writable_document(document_id, actor, expected_version)
    if document.render_status != "failed":
        raise Conflict(_("Only a document whose rendering failed can be rendered again."), code="not_failed")
    document.render_status = "pending"
    document.error = None
    document.attempts = 0
    db.session.flush()
    _enqueue(document)
    return document


def change_document_status(document_id: int, status: str, actor: User, expected_version: Any = None
                           ) -> GeneratedDocument:
    """Move an invoice or act: draft → issued → paid (invoice) / signed (act), or to canceled from draft or
    issued. Only a rendered document is issued. Raises NotFound, PermissionDenied, InvalidInput (unknown status),
    Conflict (a move the document's kind and status do not allow, not rendered yet, stale version)."""
    document = _writable_document(document_id, actor, expected_version)  # who may, before what they sent
    if status not in STATUSES:
        raise InvalidInput(fields={"status": _("Choose a document status.")})
    if status not in document.next_statuses:
        raise Conflict(_("A %(kind)s cannot move from %(old)s to %(new)s.", kind=kind_label(document.kind).lower(),
                         old=status_label(document.status), new=status_label(status)), code="illegal_status_move")
    if status != "canceled" and document.render_status != "ready":
        raise Conflict(_("The document is not rendered yet."), code="not_ready")
    document.status = status
    db.session.flush()
    return document


# --------------------------------------------------------------------------- rendering (the job's body)


def soffice_profile_dir(worker: str | None = None) -> Path:
    """The LibreOffice profile of this worker: one per worker process (conversions sharing a profile at the same
    time fail silently), kept between its jobs so LibreOffice starts warm."""
    name = re.sub(r"[^A-Za-z0-9_.-]", "_", worker or str(os.getpid()))[:100]
    return Path(tempfile.gettempdir()) / "crm-soffice" / name


def render_document(document_id: int, worker: str | None = None, final_attempt: bool = True,
                    with_pdf: bool = True) -> bool:
    """Render a pending document: the .docx from its context, stored in the record's library folder, a .pdf
    beside it when LibreOffice is installed (CRM_SOFFICE; a failed conversion is noted, the .docx stays ready),
    then ready. Idempotent: anything but a pending document is left alone (False).

    A template or data error marks it failed with the reason at once (retrying cannot help). Any other error
    (disk full, a storage or database problem) is re-raised for the job to retry, unless `final_attempt`: then
    the reason is recorded and the document is failed (the card offers Retry). Returns True when it did
    something. Flushes."""
    document = db.session.get(GeneratedDocument, document_id)
    if document is None or document.render_status != "pending":
        return False
    document.attempts += 1
    try:
        content = rendering.render_docx(document.kind, document.context)
    except rendering.RenderError as e:
        logger.warning("document %s cannot be rendered: %s", document_id, e)
        _fail(document, str(e))
        return True
    try:
        with db.session.begin_nested():
            _store(document, content, worker, with_pdf)
    except Exception as e:
        if not final_attempt:
            raise
        logger.error("document %s failed after its last attempt: %s: %s", document_id, type(e).__name__, e)
        _fail(document, f"{type(e).__name__}: {e}")
    return True


def _store(document: GeneratedDocument, content: bytes, worker: str | None, with_pdf: bool) -> None:
    record = (document.record_type, document.record_id)
    stored = storage.store_file(document.file_name, content, rendering.DOCX_TYPE, document.created_by_id,
                                record=record)
    document.file_id = stored.id
    document.error = None
    soffice = rendering.find_soffice(str(current_app.config.get("CRM_SOFFICE", "auto"))) if with_pdf else None
    if soffice is not None:
        try:
            pdf = rendering.convert_to_pdf(content, soffice, soffice_profile_dir(worker))
        except rendering.PdfError as e:
            logger.warning("document %s: no PDF: %s", document.id, e)
            document.error = _("PDF conversion failed: %(reason)s", reason=str(e))[:ERROR_MAX]
        else:
            pdf_file = storage.store_file(document.file_name[:-len(".docx")] + ".pdf", pdf, rendering.PDF_TYPE,
                                          document.created_by_id, record=record)
            document.pdf_file_id = pdf_file.id
    document.render_status = "ready"
    document.rendered_at = now()
    _flush(document)


def _fail(document: GeneratedDocument, reason: str) -> None:
    document.render_status = "failed"
    document.error = reason[:ERROR_MAX] or _("Unknown error.")
    _flush(document)


def _flush(document: GeneratedDocument) -> None:
    try:
        db.session.flush()
    except StaleDataError as e:  # rendered by another worker at the same moment: its result stands
        raise Conflict(_("The document was changed by someone else.")) from e


def move_deal_documents(main: Any, merged: Any, actor: User) -> list[str]:
    """A merge step: the merged deal's proposals belong to the main deal now (their files move with the deal's
    library folder). One summary line for the main deal's comment, or none. Flushes."""
    moved = list(db.session.scalars(sa.select(GeneratedDocument).where(
        GeneratedDocument.record_type == "deal", GeneratedDocument.record_id == merged.id)
        .order_by(GeneratedDocument.id)))
    for document in moved:
        document.record_id = main.id
    db.session.flush()
    if not moved:
        return []
    return [_("Proposals moved: %(numbers)s", numbers=", ".join(f"№ {d.display_number}" for d in moved))]


def list_stale_pending_ids(moment: datetime, limit: int) -> list[int]:
    """Pending documents untouched for STALE_PENDING: their render job was lost (Redis restarted empty)."""
    return list(db.session.scalars(
        sa.select(GeneratedDocument.id).where(GeneratedDocument.render_status == "pending",
                                              GeneratedDocument.updated_at < moment - STALE_PENDING)
        .order_by(GeneratedDocument.id).limit(limit)))


def touch_pending(document_ids: Sequence[int], moment: datetime) -> None:
    """Mark re-enqueued documents as handled now, so the next scan waits STALE_PENDING again. Flushes."""
    if document_ids:
        db.session.execute(sa.update(GeneratedDocument).where(GeneratedDocument.id.in_(document_ids),
                                                              GeneratedDocument.render_status == "pending")
                           .values(updated_at=moment), execution_options={"synchronize_session": False})
