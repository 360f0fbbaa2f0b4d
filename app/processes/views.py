from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from app.access.services import is_analyst
from app.errors import CrmError, PermissionDenied
from app.extensions import db
from app.processes import services

bp = Blueprint("processes", __name__, template_folder="templates")


def _require_analyst() -> None:
    if not is_analyst(current_user):
        raise PermissionDenied(_("Only process analysts and administrators can manage processes."))


@bp.get("/processes")
@login_required
def index() -> Any:
    _require_analyst()
    return render_template("processes/index.html", versions=services.list_versions(),
                           counts=services.count_instances_by_version())


@bp.post("/processes/deploy")
@login_required
def deploy() -> Any:
    _require_analyst()
    upload = request.files.get("file")
    try:
        if upload is not None and upload.filename:
            versions = services.deploy_file(upload.read(), upload.filename, current_user.id)
        else:
            versions = services.deploy_directory(current_user.id).deployed
        db.session.commit()
    except CrmError as e:
        db.session.rollback()
        flash(e.message, "error")
        return redirect(url_for("processes.index"))
    if versions:
        flash(_("Deployed: %(list)s.", list=", ".join(f"{v.process_id} v{v.version}" for v in versions)), "success")
    else:
        flash(_("Nothing changed: every file is already deployed."), "info")
    return redirect(url_for("processes.index"))


@bp.get("/processes/<version_id>")
@login_required
def version(version_id: str) -> Any:
    _require_analyst()
    return render_template("processes/version.html", version=services.get_version(version_id))


@bp.get("/processes/<version_id>.bpmn")
@login_required
def version_xml(version_id: str) -> Any:
    _require_analyst()
    v = services.get_version(version_id)
    return Response(v.xml, mimetype="application/xml",
                    headers={"Content-Disposition": f"inline; filename={v.process_id}-v{v.version}.bpmn"})
