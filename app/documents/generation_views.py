"""Generated documents on the cards (the Documents tab of deals and orders) and in the API.

Pages (blueprint `generated_documents`):
    POST /deals/<id>/documents/proposal          "Generate Proposal"
    POST /orders/<id>/documents/<invoice|act>    "Invoice", "Act"
    GET  /documents/generated/<record_type>/<id>/list   the tab's list (the card polls it while one is pending)
    GET  /documents/generated/<id>/preview       the document as a page
    GET  /documents/generated/<id>/download      ?format=docx|pdf
    POST /documents/generated/<id>/retry         render a failed one again
    POST /documents/generated/<id>/status        draft → issued → paid/signed, or canceled
API (blueprint `generated_documents_api`, /api/v1): POST deals/<id>/documents/proposal,
POST orders/<id>/documents/<kind>, GET deals|orders/<id>/documents, GET documents/<id> (status + download
links), GET documents/<id>/download, POST documents/<id>/retry, POST documents/<id>/status. The Document
Library's own API lives beside it under /api/v1/documents/{folders,files,links}.
"""
from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, jsonify, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from markupsafe import Markup
from flask_login import current_user, login_required

from app.api import authenticate_request, iso, json_body
from app.deals.merge import register_merge_step
from app.documents import generation
from app.documents.generation_models import GeneratedDocument
from app.errors import BadRequest, Conflict, InvalidInput, NotFound
from app.extensions import db
from app.records import services as records
from app.records.kinds import money

bp = Blueprint("generated_documents", __name__, template_folder="templates")
api_bp = Blueprint("generated_documents_api", __name__, url_prefix="/api/v1")
api_bp.before_request(authenticate_request)

RECORD_TYPES = ("deal", "order")


def _tab(record: Any, kind_name: str) -> dict[str, Any]:
    """What the Documents tab shows: the record's documents, and whether the user may generate/change them."""
    kind = generation.record_kind(kind_name)
    return {"documents": generation.list_documents(kind_name, record.id),
            "can_write": records.can_edit(kind, record, current_user),
            "actions": ("proposal",) if kind_name == "deal" else ("invoice", "act")}


@bp.record_once
def _register_helpers(state: Any) -> None:
    # Merging deals moves the merged deal's proposals to the main deal (registered once, with the pages).
    register_merge_step(generation.move_deal_documents)
    app = state.app
    app.add_template_global(_tab, "generated_documents_tab")
    app.add_template_global(generation.kind_label, "document_kind_label")
    app.add_template_global(generation.status_label, "document_status_label")
    app.add_template_global(generation.render_label, "document_render_label")
    app.add_template_global(_order_widget, "order_documents_widget")


def _order_widget(record: Any) -> Markup:
    """The widget for a card whose Documents tab asks for it by this name (the order card's placeholder)."""
    return Markup(render_template("documents/_generated.html", record=record,
                                  kind=generation.record_kind("order")))


def _card_url(record_type: str, record_id: int) -> str:
    return url_for(f"{generation.record_kind(record_type).plural}.detail", record_id=record_id) + "#tab-documents"


def _generate(record_type: str, record_id: int, kind: str) -> Any:
    try:
        if record_type == "deal":
            document = generation.request_proposal(record_id, current_user)
        else:
            document = generation.request_order_document(record_id, kind, current_user)
    except (InvalidInput, Conflict) as e:
        db.session.rollback()
        flash(e.summary, "danger")
        return redirect(_card_url(record_type, record_id))
    db.session.commit()
    flash(_("%(kind)s № %(number)s is being prepared.", kind=generation.kind_label(document.kind),
            number=document.display_number), "success")
    return redirect(_card_url(record_type, record_id))


@bp.post("/deals/<int:record_id>/documents/proposal")
@login_required
def generate_proposal(record_id: int) -> Any:
    return _generate("deal", record_id, "proposal")


@bp.post("/orders/<int:record_id>/documents/<kind>")
@login_required
def generate_order_document(record_id: int, kind: str) -> Any:
    if kind not in ("invoice", "act"):
        raise NotFound(_("No such document."))
    return _generate("order", record_id, kind)


@bp.get("/documents/generated/<record_type>/<int:record_id>/list")
@login_required
def list_fragment(record_type: str, record_id: int) -> Any:
    """The tab's list alone: the card's script (static/generated_documents.js) polls it while one is pending."""
    if record_type not in RECORD_TYPES:
        raise NotFound(_("No such document."))
    record = records.get_record(generation.record_kind(record_type), record_id, current_user)
    return render_template("documents/_generated_list.html", record=record, kind_name=record_type,
                           tab=_tab(record, record_type))


@bp.get("/documents/generated/<int:document_id>/preview")
@login_required
def preview(document_id: int) -> Any:
    document = generation.get_document(document_id, current_user)
    return render_template("documents/generated_preview.html", document=document, c=document.context,
                           card_url=_card_url(document.record_type, document.record_id))


def _send(document_id: int) -> Any:
    fmt = request.args.get("format", "docx")
    if fmt not in ("docx", "pdf"):
        raise NotFound(_("No such format."))
    stored = generation.open_document_file(document_id, current_user, fmt)
    return send_file(stored.path, mimetype=stored.content_type, as_attachment=True, download_name=stored.name,
                     max_age=0)


@bp.get("/documents/generated/<int:document_id>/download")
@login_required
def download(document_id: int) -> Any:
    return _send(document_id)


def _back(document: GeneratedDocument) -> Any:
    return redirect(_card_url(document.record_type, document.record_id))


def _form_version() -> int | None:
    raw = request.form.get("version", "")
    return int(raw) if raw.isdigit() and len(raw) < 10 else None


@bp.post("/documents/generated/<int:document_id>/retry")
@login_required
def retry(document_id: int) -> Any:
    document = generation.get_document(document_id, current_user)
    try:
        generation.retry_document(document_id, current_user)
    except Conflict as e:
        db.session.rollback()
        flash(e.summary, "danger")
        return _back(document)
    db.session.commit()
    flash(_("The document is being prepared again."), "success")
    return _back(document)


@bp.post("/documents/generated/<int:document_id>/status")
@login_required
def change_status(document_id: int) -> Any:
    document = generation.get_document(document_id, current_user)
    try:
        generation.change_document_status(document_id, request.form.get("status", ""), current_user,
                                          _form_version())
    except (InvalidInput, Conflict) as e:
        db.session.rollback()
        flash(e.summary, "danger")
        return _back(document)
    db.session.commit()
    flash(_("Saved."), "success")
    return _back(document)


# --------------------------------------------------------------------------- API


def document_json(d: GeneratedDocument) -> dict[str, Any]:
    ready = d.render_status == "ready"
    return {"id": d.id, "kind": d.kind, "record_type": d.record_type, "record_id": d.record_id,
            "number": d.display_number, "date": d.document_date.isoformat(), "legal_entity_id": d.legal_entity_id,
            "amount": money(d.amount), "render_status": d.render_status, "error": d.error, "status": d.status,
            "next_statuses": list(d.next_statuses), "version": d.version,
            "created_by": d.created_by.login if d.created_by else None, "created_at": iso(d.created_at),
            "rendered_at": iso(d.rendered_at),
            "download_url": url_for("generated_documents_api.download", document_id=d.id)
            if ready and d.file_id else None,
            "pdf_url": url_for("generated_documents_api.download", document_id=d.id, format="pdf")
            if ready and d.pdf_file_id else None}


def _created(document: GeneratedDocument) -> Any:
    db.session.commit()
    response = jsonify(document_json(document))
    response.status_code = 201
    response.headers["Location"] = url_for("generated_documents_api.get_document", document_id=document.id)
    return response


@api_bp.post("/deals/<int:deal_id>/documents/proposal")
def create_proposal(deal_id: int) -> Any:
    return _created(generation.request_proposal(deal_id, current_user))


@api_bp.post("/orders/<int:order_id>/documents/<kind>")
def create_order_document(order_id: int, kind: str) -> Any:
    return _created(generation.request_order_document(order_id, kind, current_user))


def _list(record_type: str, record_id: int) -> Any:
    items = generation.list_record_documents(record_type, record_id, current_user)
    return jsonify({"items": [document_json(d) for d in items], "total": len(items)})


@api_bp.get("/deals/<int:deal_id>/documents")
def list_deal_documents(deal_id: int) -> Any:
    return _list("deal", deal_id)


@api_bp.get("/orders/<int:order_id>/documents")
def list_order_documents(order_id: int) -> Any:
    return _list("order", order_id)


@api_bp.get("/documents/<int:document_id>")
def get_document(document_id: int) -> Any:
    return jsonify(document_json(generation.get_document(document_id, current_user)))


@api_bp.get("/documents/<int:document_id>/download", endpoint="download")
def api_download(document_id: int) -> Any:
    return _send(document_id)


def _body_version(body: dict[str, Any]) -> int | None:
    version = body.get("version")
    if version is not None and (isinstance(version, bool) or not isinstance(version, int)):
        raise BadRequest(_("`version` must be an integer."), code="malformed_json")
    return version


@api_bp.post("/documents/<int:document_id>/retry")
def retry_document(document_id: int) -> Any:
    body = json_body() if request.get_data() else {}
    document = generation.retry_document(document_id, current_user, _body_version(body))
    payload = document_json(document)
    db.session.commit()
    return jsonify(payload)


@api_bp.post("/documents/<int:document_id>/status")
def change_document_status(document_id: int) -> Any:
    body = json_body()
    status = body.get("status")
    document = generation.change_document_status(document_id, status if isinstance(status, str) else "",
                                                 current_user, _body_version(body))
    payload = document_json(document)
    db.session.commit()
    return jsonify(payload)
