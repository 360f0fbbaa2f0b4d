from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from app.access.decorators import admin_required as _admin_required
from app.directories import services
from app.errors import InvalidInput
from app.extensions import db

bp = Blueprint("directories", __name__, template_folder="templates")


admin_required = _admin_required(_l("Only administrators can manage directories."))


def _render(errors: dict[str, str] | None = None, failed_directory: str | None = None, status: int = 200) -> Any:
    directories = [(d, services.directory_title(d), services.list_entries(d, include_inactive=True))
                   for d in services.list_directories()]
    return render_template("directories/index.html", directories=directories, errors=errors or {},
                           failed_directory=failed_directory, form=request.form, locale=str(get_locale())), status


@bp.get("/admin/directories")
@admin_required
def index() -> Any:
    return _render()


@bp.post("/admin/directories/<directory>/entries")
@admin_required
def add_entry(directory: str) -> Any:
    f = request.form
    try:
        entry = services.add_entry(directory, f.get("code", ""), f.get("label_en", ""), f.get("label_ru", ""),
                                   sort_order=f.get("sort_order", type=int))
        db.session.commit()
    except InvalidInput as e:
        db.session.rollback()
        return _render(e.fields, directory, 422)
    flash(_("Entry %(code)s added.", code=entry.code), "success")
    return redirect(url_for("directories.index", _anchor=f"dir-{directory}"))


@bp.post("/admin/directories/entries/<int:entry_id>/active")
@admin_required
def set_active(entry_id: int) -> Any:
    entry = services.set_entry_active(entry_id, request.form.get("is_active") == "true")
    db.session.commit()
    flash(_("Entry %(code)s activated.", code=entry.code) if entry.is_active
          else _("Entry %(code)s deactivated.", code=entry.code), "success")
    return redirect(url_for("directories.index", _anchor=f"dir-{entry.directory}"))
