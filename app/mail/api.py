"""GET /api/v1/mail/log (the intake log, paginated) and POST /api/v1/mail/log/<id>/retry."""
from __future__ import annotations

from typing import Any

from flask import Blueprint, jsonify, request
from flask_login import current_user

from app.api import authenticate_request, iso
from app.extensions import db
from app.mail import intake
from app.mail.models import MailIntakeEntry

bp = Blueprint("mail_api", __name__, url_prefix="/api/v1")
bp.before_request(authenticate_request)


def entry_json(entry: MailIntakeEntry) -> dict[str, Any]:
    return {"id": entry.id, "mailbox": entry.mailbox, "folder": entry.folder, "uid": entry.uid,
            "uidvalidity": entry.uidvalidity, "message_id": entry.message_id, "content_hash": entry.content_hash,
            "sender": entry.sender, "subject": entry.subject, "received_at": iso(entry.received_at),
            "outcome": entry.outcome, "reason": entry.reason, "record_type": entry.record_type,
            "record_id": entry.record_id, "activity_id": entry.activity_id, "raw_size": entry.raw_size,
            "attempts": entry.attempts, "flagged_at": iso(entry.flagged_at), "created_at": iso(entry.created_at),
            "updated_at": iso(entry.updated_at)}


@bp.get("/mail/log")
def list_log() -> Any:
    page = intake.list_entries(current_user, outcome=request.args.get("outcome") or None,
                               mailbox=request.args.get("mailbox") or None, q=request.args.get("q"),
                               page=request.args.get("page", 1, type=int),
                               per_page=request.args.get("per_page", 50, type=int))
    return jsonify({"items": [entry_json(e) for e in page.items], "total": page.total, "page": page.page,
                    "per_page": page.per_page})


@bp.post("/mail/log/<int:log_id>/retry")
def retry_entry(log_id: int) -> Any:
    entry = intake.retry_entry(log_id, current_user)
    db.session.commit()
    return jsonify(entry_json(entry))
