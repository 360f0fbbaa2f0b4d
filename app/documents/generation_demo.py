"""Demo generated documents (`flask crm demo`): a commercial proposal for each demo deal with lines, an invoice
and an act for each approved demo order, rendered at once (.docx; the PDF copies come from the worker for
documents made later), so `make run` shows ready documents before the worker has started."""
from __future__ import annotations

import logging

import sqlalchemy as sa

from app.auth.models import User
from app.documents import generation
from app.errors import CrmError
from app.extensions import db
from app.records.kinds import registered_kinds

logger = logging.getLogger(__name__)


def _with_lines(record_type: str, statuses: tuple[str, ...] | None = None, limit: int = 3) -> list[int]:
    kind = next((k for k in registered_kinds() if k.name == record_type), None)
    if kind is None or kind.line_model is None:
        return []
    owner = kind.line_model.owner_column()
    query = sa.select(kind.model.id).where(kind.model.id.in_(sa.select(owner))).order_by(kind.model.id).limit(limit)
    if statuses:
        query = query.where(kind.model.status.in_(statuses))
    return list(db.session.scalars(query))


def demo_documents(director: User) -> int:
    """Proposals, invoices and acts for the demo records, rendered inline. Returns how many were made."""
    made = []
    try:
        for deal_id in _with_lines("deal", limit=2):
            made.append(generation.request_proposal(deal_id, director))
        for order_id in _with_lines("order", generation.ORDER_STATUSES_FOR_DOCUMENTS, limit=2):
            made.append(generation.request_order_document(order_id, "invoice", director))
            made.append(generation.request_order_document(order_id, "act", director))
    except CrmError as e:  # demo data of another domain changed shape: the demo still loads
        logger.warning("demo documents: %s", e)
    for document in made:
        generation.render_document(document.id, with_pdf=False)
    invoices = [d for d in made if d.kind == "invoice" and d.render_status == "ready"]
    if invoices:
        generation.change_document_status(invoices[0].id, "issued", director)
    # Rendered here: the render jobs the requests queued have nothing left to do (they find no pending document).
    return len(made)
