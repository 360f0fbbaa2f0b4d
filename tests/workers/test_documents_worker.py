"""Generated documents through the real pieces: a proposal requested and committed, its render job published
to Redis after the commit, and a real forking RQ worker on the `documents` queue rendering it into the Document
Library (with the PDF when LibreOffice is installed); a lost job comes back through the clock's scan."""
from __future__ import annotations

import io
from datetime import timedelta
from pathlib import Path
from typing import Any

import docx
import pytest
import sqlalchemy as sa
from flask import Flask
from redis import Redis
from rq import Queue

from app import jobs as names
from app.documents import generation, rendering
from app.documents.generation_models import GeneratedDocument
from app.extensions import db
from tests.factories import make_record, make_standard_users

pytestmark = [pytest.mark.db, pytest.mark.redis]


def _proposal(app: Flask, documents_dir: Path, soffice: str) -> int:
    """A deal with two lines and a proposal requested for it, committed (the job goes to Redis)."""
    from app.catalog.services import create_product
    from app.processes import services as processes
    from app.records import lines
    from app.records.kinds import get_kind

    app.config.update(CRM_DOCUMENTS_DIR=str(documents_dir), CRM_SOFFICE=soffice)
    with app.app_context():
        from app.auth.services import default_groups, ensure_groups

        ensure_groups(default_groups(app.config))
        processes.deploy_directory()
        director = make_standard_users()["director"]
        deal = make_record("deal", director, name="Поставка", company_name="АО «Ромашка»", responsible="manager1")
        product = create_product({"name": "Лицензия", "price": "1500.00", "vat_rate": "20"}, director)
        lines.add_line(get_kind("deal"), deal.id, {"product_id": product.id, "quantity": "3"}, director)
        document = generation.request_proposal(deal.id, director)
        db.session.commit()
        return document.id


def _document(app: Flask, document_id: int) -> GeneratedDocument:
    with app.app_context():
        document = db.session.get(GeneratedDocument, document_id)
        assert document is not None
        db.session.expunge(document)
        return document


def _docx_text(app: Flask, file_id: int) -> str:
    from app.documents import storage

    with app.app_context():
        stored = storage.open_file(file_id)
        document = docx.Document(io.BytesIO(stored.path.read_bytes()))
    return "\n".join([p.text for p in document.paragraphs] +
                     [c.text for t in document.tables for r in t.rows for c in r.cells])


def test_the_worker_renders_a_requested_proposal(
        worker_app: Flask, redis_conn: Redis, run_worker: Any, tmp_path: Path) -> None:
    soffice = "auto" if rendering.find_soffice() else "off"
    document_id = _proposal(worker_app, tmp_path / "documents", soffice)
    queued = Queue(names.QUEUE_DOCUMENTS, connection=redis_conn)
    assert queued.job_ids == [generation.render_job_id(document_id)]  # published after the commit
    assert _document(worker_app, document_id).render_status == "pending"

    run_worker(names.QUEUE_DOCUMENTS)

    document = _document(worker_app, document_id)
    assert (document.render_status, document.error, document.attempts) == ("ready", None, 1)
    assert document.file_id is not None
    text = _docx_text(worker_app, document.file_id)
    # 3 × 1500 = 4500 without VAT, VAT 20% 900, 5400 with VAT.
    assert f"Коммерческое предложение № {document.number}" in text
    assert "4\u00a0500,00" in text and "НДС 20%: 900,00" in text and "Итого с НДС: 5\u00a0400,00" in text
    assert "Пять тысяч четыреста рублей 00 копеек" in text
    if soffice == "auto":
        from app.documents import storage

        with worker_app.app_context():
            assert document.pdf_file_id is not None
            pdf = storage.open_file(document.pdf_file_id)
            assert pdf.name.endswith(".pdf") and pdf.path.read_bytes().startswith(b"%PDF-")
    else:  # pragma: no cover - only without LibreOffice
        assert document.pdf_file_id is None


def test_a_document_whose_template_fails_is_failed_with_the_reason(
        worker_app: Flask, redis_conn: Redis, run_worker: Any, tmp_path: Path) -> None:
    document_id = _proposal(worker_app, tmp_path / "documents", "off")
    with worker_app.app_context():
        document = db.session.get(GeneratedDocument, document_id)
        assert document is not None
        document.context = {k: v for k, v in document.context.items() if k != "totals"}
        db.session.commit()

    run_worker(names.QUEUE_DOCUMENTS)

    document = _document(worker_app, document_id)
    assert document.render_status == "failed" and "totals" in (document.error or "")
    assert document.file_id is None


def test_a_lost_render_job_comes_back_through_the_clocks_scan(worker_app: Flask, redis_conn: Redis,
                                                              run_worker: Any, tmp_path: Path) -> None:
    from workers.clock import PERIODIC_JOBS

    document_id = _proposal(worker_app, tmp_path / "documents", "off")
    redis_conn.flushdb()  # Redis restarted empty: the job is gone, the document stays pending
    with worker_app.app_context():
        db.session.execute(sa.update(GeneratedDocument).values(
            updated_at=generation.now() - generation.STALE_PENDING - timedelta(seconds=1)))
        db.session.commit()
    assert (names.ENQUEUE_PENDING_DOCUMENTS, "enqueue-pending-documents", names.QUEUE_DOCUMENTS) in PERIODIC_JOBS
    Queue(names.QUEUE_DOCUMENTS, connection=redis_conn).enqueue(names.ENQUEUE_PENDING_DOCUMENTS)

    run_worker(names.QUEUE_DOCUMENTS)  # the scan enqueues the render job; the same burst runs it

    assert _document(worker_app, document_id).render_status == "ready"
