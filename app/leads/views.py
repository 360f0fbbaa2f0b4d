"""The lead's own pages on top of the records machinery: "Create Counterparty" and linking an
existing client. Added to the `leads` blueprint that `app.records.views` builds for the kind."""
from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from app.counterparties import services as counterparties
from app.errors import CrmError, InvalidInput
from app.extensions import db
from app.leads import services


def add_lead_views(bp: Blueprint) -> None:
    @bp.route("/leads/<int:record_id>/counterparty", methods=["GET", "POST"])
    @login_required
    def create_counterparty(record_id: int) -> Any:
        """Create Counterparty from a lead: prefilled from the lead; the new counterparty is set on it."""
        lead = services.editable_lead(record_id, current_user)
        errors: dict[str, str] = {}
        existing = None
        values: dict[str, Any] = services.counterparty_prefill(lead)
        if request.method == "POST":
            values = {k: v for k, v in request.form.to_dict().items() if k not in ("csrf_token", "action")}
            if request.form.get("action") == "autofill":
                try:
                    values.update({k: v for k, v in counterparties.autofill(values.get("inn", "")).items() if v})
                    flash(_("Requisites filled in from the registry."), "success")
                except CrmError as e:
                    errors = e.fields or {"inn": e.message}
            else:
                try:
                    services.create_counterparty_for_lead(record_id, values, current_user)
                    db.session.commit()
                    flash(_("Counterparty created and set on the lead."), "success")
                    return redirect(url_for("leads.detail", record_id=record_id))
                except services.CounterpartyExists as e:
                    db.session.rollback()
                    errors, existing = e.fields, counterparties.get_counterparty(e.existing_id)
                except InvalidInput as e:
                    db.session.rollback()
                    errors = e.fields or {"": e.message}
        return render_template("leads/counterparty_form.html", lead=lead, values=values, errors=errors,
                               existing=existing), (422 if errors else 200)

    @bp.post("/leads/<int:record_id>/counterparty/link")
    @login_required
    def link_counterparty(record_id: int) -> Any:
        """Link an existing client to the lead (offered when "Create Counterparty" finds its INN)."""
        raw = request.form.get("counterparty_id", "")
        if not raw.isdigit() or len(raw) > 9:
            raise InvalidInput(fields={"counterparty_id": _("Choose an existing counterparty.")})
        lead = services.link_counterparty(record_id, int(raw), current_user)
        db.session.commit()
        flash(_("%(name)s is now the lead's counterparty.", name=lead.client_name), "success")
        return redirect(url_for("leads.detail", record_id=record_id))
