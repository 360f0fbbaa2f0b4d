"""The Configuration journal (/admin/settings): administrators see and change settings, secrets masked."""
from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from app.access.decorators import admin_required as _admin_required
from app.errors import InvalidInput
from app.extensions import db
from app.settings import services

bp = Blueprint("settings", __name__, template_folder="templates")

admin_required = _admin_required(_l("Only administrators can view and change the configuration."))


@bp.app_template_global("mask_setting")
def mask_setting(key: str, value: str) -> str:
    """A submitted value shown again after an error: secrets masked like the stored ones."""
    return services.shown_value(key, value)


def _render(errors: dict[str, str] | None = None, failed_key: str | None = None, status: int = 200) -> Any:
    return render_template("settings/index.html", settings=services.list_settings(current_user),
                           errors=errors or {}, failed_key=failed_key, form=request.form), status


@bp.get("/admin/settings")
@admin_required
def index() -> Any:
    return _render()


@bp.post("/admin/settings/<key>")
@admin_required
def update(key: str) -> Any:
    try:
        services.update_setting(key, request.form.get("value", ""), current_user,
                                description=request.form.get("description"))
        db.session.commit()
    except InvalidInput as e:
        db.session.rollback()
        return _render(e.fields, key, 422)
    flash(_("Setting %(key)s saved: it applies from the next use, no restart needed.", key=key), "success")
    return redirect(url_for("settings.index", _anchor=f"setting-{key}"))


@bp.post("/admin/settings/<key>/check")
@admin_required
def check(key: str) -> Any:
    try:
        flash(services.check_setting(key, current_user), "success")
    except services.SettingCheckFailed as e:
        flash(_("Check of %(key)s failed: %(reason)s", key=key, reason=str(e)), "danger")
    return redirect(url_for("settings.index", _anchor=f"setting-{key}"))
