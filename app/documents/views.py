"""The Document Library pages (/documents/library/...), Document Links (/documents/links) and the
card widget every record kind shows (documents/_links.html through `record_documents`).

Each view parses the request, calls one service of `app.documents.library` or `.links`, commits once
and renders, redirects or sends the file. Uploads are refused above CRM_UPLOAD_MAX_BYTES before the
body is read (413).
"""
from __future__ import annotations

from typing import Any
from urllib.parse import quote

from flask import Blueprint, Response, flash, jsonify, redirect, render_template, request, send_file, url_for
from flask.blueprints import BlueprintSetupState
from flask_babel import gettext as _
from flask_login import current_user, login_required
from flask_sqlalchemy.session import Session
from werkzeug.exceptions import RequestEntityTooLarge

from app.deals.merge import register_merge_step
from app.documents import library, links, storage
from app.documents.models import DOCUMENT, DocumentFile, Folder
from app.documents.owners import find_owner, get_owner
from app.errors import Conflict, InvalidInput, error_body, wants_json
from app.extensions import db

bp = Blueprint("library", __name__, template_folder="templates")
# Room for the multipart envelope and the form's other fields around the file itself.
MULTIPART_MARGIN = 64 * 1024


@bp.record_once
def _install(state: BlueprintSetupState) -> None:
    # Flask-SQLAlchemy builds every session from this class (tests' savepoint sessions subclass it).
    storage.install_storage_hooks(Session)
    # Merging deals moves the merged deal's documents to the main deal's folder.
    register_merge_step(library.move_record_documents)


def limit_upload_body(endpoint: str | None, values: dict[str, Any] | None) -> None:
    """Refuse a body larger than the upload limit before anything parses it (413).

    A URL value preprocessor runs before the app's before_request hooks, the first of which reads
    the form (app.web's input checks): the limit must be in place by then.
    """
    request.max_content_length = storage.upload_limit() + MULTIPART_MARGIN


bp.url_value_preprocessor(limit_upload_body)


def too_large_response(_error: Exception) -> Any:
    message = _("The file is larger than %(limit)s, the largest upload allowed.",
                limit=storage.human_size(storage.upload_limit()))
    db.session.rollback()
    if wants_json():
        return jsonify(error_body("too_large", message, {"file": _("The file is too large.")})), 413
    return render_template("error.html", status=413, code="too_large", message=message, fields={}), 413


bp.register_error_handler(RequestEntityTooLarge, too_large_response)


def _int_arg(name: str) -> int | None:
    raw = request.form.get(name, "")
    return int(raw) if raw.isdigit() and len(raw) < 10 else None


def _version() -> Any:
    raw = request.form.get("version", "")
    return int(raw) if raw.isdigit() and len(raw) < 10 else raw or None


def read_upload(field: str = "file") -> tuple[str, bytes, str | None]:
    """The uploaded file of a multipart form: (client's file name, bytes, declared type).

    InvalidInput when there is none; UploadTooLarge when it is above the limit (read one byte past it,
    never the whole of a larger stream)."""
    upload = request.files.get(field)
    if upload is None or not upload.filename:
        raise InvalidInput(_("Choose a file to upload."), code="file_required",
                           fields={field: _("Choose a file to upload.")})
    content = upload.stream.read(storage.upload_limit() + 1)
    storage.check_content(content, field)
    return upload.filename, content, upload.mimetype or None


def download_response(content: storage.StoredContent) -> Response:
    """The file as an attachment (never shown inline), its name in RFC 5987 `filename*` too."""
    response = send_file(content.path, mimetype=content.content_type, as_attachment=True,
                         download_name=content.name, etag=content.sha256, max_age=0, conditional=True)
    ascii_name = content.name.encode("ascii", "replace").decode("ascii").replace("?", "_").replace('"', "_")
    response.headers["Content-Disposition"] = (f"attachment; filename=\"{ascii_name}\"; "
                                               f"filename*=UTF-8''{quote(content.name, safe='')}")
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "private, no-cache"
    return response


# --------------------------------------------------------------------------- pages: folders


@bp.get("/documents/library")
@login_required
def index() -> Any:
    return render_template("documents/library.html", roots=library.list_roots(current_user), folder=None,
                           can_create_root=library.can_create_root(current_user))


def _folder_page(folder: Folder, errors: dict[str, str] | None = None, status: int = 200, message: str = "") -> Any:
    return render_template(
        "documents/library_folder.html", folder=folder, crumbs=library.breadcrumbs(folder),
        subfolders=library.list_subfolders(folder), files=library.list_files(folder),
        can_write=library.can_write_folder(folder, current_user), errors=errors or {}, error_message=message,
        record_owner=find_owner(folder.record_type) if folder.record_type else None,
        targets=library.move_targets(folder, current_user)), status


@bp.get("/documents/library/folders/<int:folder_id>")
@login_required
def folder(folder_id: int) -> Any:
    return _folder_page(library.get_folder(folder_id, current_user))


@bp.post("/documents/library/folders")
@login_required
def create_folder() -> Any:
    parent_id = _int_arg("parent_id")
    try:
        created = library.create_folder(request.form.get("name", ""), parent_id, current_user)
    except InvalidInput as e:
        db.session.rollback()
        flash(e.summary, "error")
        return redirect(url_for("library.folder", folder_id=parent_id) if parent_id else url_for("library.index"))
    db.session.commit()
    flash(_("Folder %(name)s created.", name=created.name), "success")
    return redirect(url_for("library.folder", folder_id=created.id))


@bp.post("/documents/library/folders/<int:folder_id>")
@login_required
def update_folder(folder_id: int) -> Any:
    data: dict[str, Any] = {}
    if "name" in request.form:
        data["name"] = request.form["name"]
    if "parent_id" in request.form:
        data["parent_id"] = _int_arg("parent_id")
    try:
        library.update_folder(folder_id, data, current_user, _version())
    except InvalidInput as e:
        db.session.rollback()
        flash(e.summary, "error")
        return redirect(url_for("library.folder", folder_id=folder_id))
    db.session.commit()
    flash(_("Saved."), "success")
    return redirect(url_for("library.folder", folder_id=folder_id))


@bp.post("/documents/library/folders/<int:folder_id>/delete")
@login_required
def delete_folder(folder_id: int) -> Any:
    parent_id = library.get_folder(folder_id, current_user).parent_id
    library.delete_folder(folder_id, current_user)
    db.session.commit()
    flash(_("Folder deleted."), "success")
    return redirect(url_for("library.folder", folder_id=parent_id) if parent_id else url_for("library.index"))


@bp.post("/documents/library/folders/<int:folder_id>/files")
@login_required
def upload(folder_id: int) -> Any:
    library.writable_folder(folder_id, current_user)  # 404/403 before the body is read
    try:
        name, content, content_type = read_upload()
        document = library.upload_file(name, content, content_type, current_user, folder_id=folder_id)
    except (InvalidInput, storage.UploadTooLarge) as e:
        db.session.rollback()
        return _folder_page(library.get_folder(folder_id, current_user), e.fields, e.status, e.message)
    db.session.commit()
    flash(_("%(name)s uploaded (version %(n)s).", name=document.name, n=document.current_version), "success")
    return redirect(url_for("library.folder", folder_id=folder_id))


@bp.get("/documents/library/records/<record_type>/<int:record_id>")
@login_required
def record_folder(record_type: str, record_id: int) -> Any:
    """A record's folder: the folder when it exists, else an empty page whose upload creates it."""
    found = library.find_record_folder(record_type, record_id, current_user)
    if found is not None:
        return redirect(url_for("library.folder", folder_id=found.id))
    owner = get_owner(record_type)
    record = owner.find(record_id)
    return render_template("documents/library_record.html", owner=owner, record=record, record_id=record_id,
                           can_write=owner.can_write(record, current_user), errors={}, error_message="")


@bp.post("/documents/library/records/<record_type>/<int:record_id>/files")
@login_required
def upload_to_record(record_type: str, record_id: int) -> Any:
    library.check_record_writable(record_type, record_id, current_user)
    try:
        name, content, content_type = read_upload()
        document = library.upload_file(name, content, content_type, current_user, record=(record_type, record_id))
    except (InvalidInput, storage.UploadTooLarge) as e:
        db.session.rollback()
        owner = get_owner(record_type)
        record = owner.get_visible(record_id, current_user)
        return render_template("documents/library_record.html", owner=owner, record=record, record_id=record_id,
                               can_write=owner.can_write(record, current_user), errors=e.fields,
                               error_message=e.message), e.status
    db.session.commit()
    flash(_("%(name)s uploaded (version %(n)s).", name=document.name, n=document.current_version), "success")
    return redirect(url_for("library.folder", folder_id=document.folder_id))


# --------------------------------------------------------------------------- pages: documents


def _file_page(document: DocumentFile, errors: dict[str, str] | None = None, status: int = 200,
               message: str = "") -> Any:
    return render_template(
        "documents/library_file.html", document=document, crumbs=library.breadcrumbs(document.folder),
        can_write=library.can_write_file(document, current_user), errors=errors or {}, error_message=message,
        links=links.list_links(DOCUMENT, document.id, current_user), link_types=links.link_types(),
        targets=library.move_targets(document.folder, current_user, include_self=True)), status


@bp.get("/documents/library/files/<int:file_id>")
@login_required
def file_detail(file_id: int) -> Any:
    return _file_page(library.get_file(file_id, current_user))


@bp.get("/documents/library/files/<int:file_id>/download")
@login_required
def download(file_id: int) -> Any:
    return download_response(library.open_download(file_id, current_user))


@bp.get("/documents/library/files/<int:file_id>/versions/<int:number>/download")
@login_required
def download_version(file_id: int, number: int) -> Any:
    return download_response(library.open_download(file_id, current_user, number))


@bp.post("/documents/library/files/<int:file_id>")
@login_required
def update_file(file_id: int) -> Any:
    data: dict[str, Any] = {}
    if "name" in request.form:
        data["name"] = request.form["name"]
    if "folder_id" in request.form:
        data["folder_id"] = _int_arg("folder_id")
    try:
        library.update_file(file_id, data, current_user, _version())
    except InvalidInput as e:
        db.session.rollback()
        return _file_page(library.get_file(file_id, current_user), e.fields, 422, e.summary)
    db.session.commit()
    flash(_("Saved."), "success")
    return redirect(url_for("library.file_detail", file_id=file_id))


@bp.post("/documents/library/files/<int:file_id>/versions")
@login_required
def upload_version(file_id: int) -> Any:
    library.writable_file(file_id, current_user)
    try:
        _name, content, content_type = read_upload()
        version = library.upload_version(file_id, content, content_type, current_user)
    except (InvalidInput, storage.UploadTooLarge) as e:
        db.session.rollback()
        return _file_page(library.get_file(file_id, current_user), e.fields, e.status, e.message)
    db.session.commit()
    flash(_("Version %(n)s uploaded.", n=version.number), "success")
    return redirect(url_for("library.file_detail", file_id=file_id))


@bp.post("/documents/library/files/<int:file_id>/delete")
@login_required
def delete_file(file_id: int) -> Any:
    folder_id = library.get_file(file_id, current_user).folder_id
    library.delete_file(file_id, current_user)
    db.session.commit()
    flash(_("Document deleted."), "success")
    return redirect(url_for("library.folder", folder_id=folder_id))


# --------------------------------------------------------------------------- links


def _end_url(record_type: str, record_id: int | None) -> str:
    if record_id is None:
        return url_for("library.index")
    if record_type == DOCUMENT:
        return url_for("library.file_detail", file_id=record_id)
    owner = find_owner(record_type)
    return owner.url(record_id) + "#links" if owner else url_for("library.index")


@bp.post("/documents/links")
@login_required
def add_link() -> Any:
    from_type, from_id = request.form.get("from_type", ""), _int_arg("from_id")
    to_type = request.form.get("to_type", "")
    try:
        if from_id is None:
            raise InvalidInput(fields={"from_id": _("Choose what to link.")})
        to_id = links.find_by_reference(to_type, request.form.get("reference", ""))
        links.add_link(from_type, from_id, to_type, to_id, current_user)
    except (InvalidInput, Conflict) as e:
        db.session.rollback()
        flash(e.summary, "error")
        return redirect(_end_url(from_type, from_id))
    db.session.commit()
    flash(_("Linked."), "success")
    return redirect(_end_url(from_type, from_id))


@bp.post("/documents/links/<int:link_id>/delete")
@login_required
def remove_link(link_id: int) -> Any:
    back_type, back_id = request.form.get("back_type", ""), _int_arg("back_id")
    link = links.get_link(link_id, current_user)
    ends = {(link.from_type, link.from_id), (link.to_type, link.to_id)}
    links.remove_link(link_id, current_user)
    db.session.commit()
    flash(_("Link removed."), "success")
    return redirect(_end_url(back_type, back_id) if (back_type, back_id) in ends else url_for("library.index"))


# --------------------------------------------------------------------------- the card widget


@bp.app_template_global()
def record_documents(record_type: str, record_id: int) -> dict[str, Any]:
    """What the card's Documents and Links widget shows: the record's folder and files, its links."""
    found = library.find_record_folder(record_type, record_id, current_user)
    owner = get_owner(record_type)
    return {
        "folder": found,
        "files": library.list_files(found)[:10] if found else [],
        "file_count": library.count_files(found) if found else 0,
        "links": links.list_links(record_type, record_id, current_user),
        "link_types": [(t, title) for t, title in links.link_types()],
        "can_write": owner.can_write(owner.find(record_id), current_user),
    }


@bp.app_template_global()
def human_size(size: int) -> str:
    return storage.human_size(size)


@bp.app_template_global()
def upload_limit_text() -> str:
    return storage.human_size(storage.upload_limit())
