"""Mail intake pages: the intake log journal, an entry with its message, the raw download and retry.

Also registers, with the blueprint, the mail settings (Configuration journal), the navbar flag for the
log and the `record_emails` template global the deal card's Email Message widget reads.
"""
from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, flash, redirect, render_template, request, url_for
from flask.blueprints import BlueprintSetupState
from flask_babel import gettext as _
from flask_login import current_user, login_required

from app.mail import intake, mailboxes
from app.mail.models import OUTCOMES
from app.extensions import db
from app.settings.services import register_settings

bp = Blueprint("mail", __name__, template_folder="templates")


@bp.record_once
def _register_settings(state: BlueprintSetupState) -> None:
    register_settings(state.app, mailboxes.SETTINGS)  # type: ignore[arg-type]  # the app is a Flask


@bp.app_context_processor
def _nav() -> dict[str, Any]:
    signed_in = bool(getattr(current_user, "is_authenticated", False))
    return {"nav_mail_log": signed_in and intake.can_view_log(current_user)}


@bp.app_template_global()
def record_emails(record_type: str, record_id: int) -> list[Any]:
    """The messages a record came from or was given, for its card (the card checked visibility)."""
    return intake.original_messages(record_type, record_id)


@bp.get("/mail/log")
@login_required
def log() -> Any:
    page = intake.list_entries(current_user, outcome=request.args.get("outcome") or None,
                               mailbox=request.args.get("mailbox") or None, q=request.args.get("q"),
                               page=request.args.get("page", 1, type=int),
                               per_page=request.args.get("per_page", 50, type=int))
    return render_template("mail/log.html", page=page, outcomes=OUTCOMES, mailboxes=mailboxes.MAILBOXES,
                           args=request.args)


@bp.get("/mail/log/<int:log_id>")
@login_required
def entry(log_id: int) -> Any:
    item = intake.get_entry(log_id, current_user)
    return render_template("mail/entry.html", entry=item, message=intake.parsed_entry(item))


@bp.get("/mail/log/<int:log_id>/raw")
@login_required
def raw(log_id: int) -> Any:
    item = intake.get_entry(log_id, current_user)
    return Response(item.raw, mimetype="message/rfc822",
                    headers={"Content-Disposition": f'attachment; filename="message-{item.id}.eml"',
                             "X-Content-Type-Options": "nosniff"})


@bp.post("/mail/log/<int:log_id>/retry")
@login_required
def retry(log_id: int) -> Any:
    item = intake.retry_entry(log_id, current_user)
    db.session.commit()
    flash(_("Message processed again: %(outcome)s.", outcome=outcome_label(item.outcome)),
          "success" if not item.is_retryable else "warning")
    return redirect(url_for("mail.entry", log_id=item.id))


@bp.app_template_global("mail_outcome_label")
def outcome_label(outcome: str) -> str:
    return str(intake.OUTCOME_LABELS.get(outcome, outcome))
