"""Merge with Main Deal: the page route on the `deals` blueprint and the API route on `deals_api`.

Added by the deal kind's `extend_blueprint` / `extend_api_blueprint` (app/deals/kind.py).
"""
from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, jsonify, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from app.api import json_body
from app.deals import merge
from app.errors import CrmError, PermissionDenied
from app.extensions import db
from app.records import services as records
from app.records.api import record_json
from app.records.kinds import get_kind


def add_merge_views(bp: Blueprint) -> None:
    @bp.post("/deals/<int:record_id>/merge")
    @login_required
    def merge_deal(record_id: int) -> Any:
        """The card's "Merge with Main Deal" form: the main deal by its number ("D-17" or "17")."""
        number = request.form.get("main_deal", "")
        # An unknown number is "not found" (0 is no deal's id); nothing typed is "choose the main deal".
        main_id = merge.find_deal_id_by_number(number) or (0 if number.strip() else None)
        try:
            result = merge.merge_deal(record_id, main_id, current_user)
        except PermissionDenied:
            raise  # the 403 page: nothing to show on a card the user may not change
        except CrmError as e:
            db.session.rollback()
            records.get_record(get_kind("deal"), record_id, current_user)  # an invisible deal stays a 404
            flash(e.summary, "error")
            return redirect(url_for("deals.detail", record_id=record_id, _anchor="merge"))
        db.session.commit()
        flash(_("%(merged)s was merged into %(main)s.", merged=result.merged.display_number,
                main=result.main.display_number), "success")
        return redirect(url_for("deals.detail", record_id=result.main.id))


def add_merge_api(bp: Blueprint) -> None:
    @bp.post("/<int:record_id>/merge")
    def merge_deal(record_id: int) -> Any:
        result = merge.merge_deal(record_id, json_body().get("main_deal_id"), current_user)
        kind = get_kind("deal")
        payload = {"main": record_json(kind, result.main), "merged": record_json(kind, result.merged)}
        db.session.commit()
        return jsonify(payload)


__all__ = ["add_merge_views", "add_merge_api"]
