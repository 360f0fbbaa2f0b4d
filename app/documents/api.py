"""The Document Library and Document Links JSON API: /api/v1/documents/{folders,files,records,links}.

Its own blueprint, exempt from CSRF like `app.api`; session-authenticated writes are checked by
`authenticate_request`. Uploads are multipart/form-data (field `file`); everything else is JSON. A JSON
body names only the fields an operation declares (422 `unknown_field` otherwise) with their JSON
types (422 per field). Downloads are attachments (app.documents.views.download_response).
"""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import Blueprint, jsonify, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.exceptions import RequestEntityTooLarge

from app.api import authenticate_request, iso, json_body
from app.documents import library, links
from app.documents.models import DocumentFile, FileVersion, Folder
from app.documents.views import download_response, limit_upload_body, read_upload, too_large_response
from app.errors import InvalidInput, NotFound
from app.extensions import db

bp = Blueprint("library_api", __name__, url_prefix="/api/v1/documents")
bp.url_value_preprocessor(limit_upload_body)
bp.before_request(authenticate_request)
bp.register_error_handler(RequestEntityTooLarge, too_large_response)

_ID = (int,)
_NULLABLE_ID = (int, type(None))


def _body(allowed: Mapping[str, tuple[type, ...]], required: tuple[str, ...] = ()) -> dict[str, Any]:
    """The JSON object with only `allowed` fields of the allowed JSON types (bool is not an int)."""
    body = json_body()
    errors: dict[str, str] = {}
    for key, value in body.items():
        if key not in allowed:
            errors[key] = _("Unknown field.")
        elif isinstance(value, bool) or not isinstance(value, allowed[key]):
            errors[key] = _("Wrong type.")
    for key in required:
        if key not in body:
            errors[key] = _("This field is required.")
    if errors:
        unknown = any(key not in allowed for key in errors)
        raise InvalidInput(code="unknown_field" if unknown else "invalid_input", fields=errors)
    return body


def _login(user: Any) -> str | None:
    return user.login if user is not None else None


def folder_json(folder: Folder) -> dict[str, Any]:
    return {"id": folder.id, "name": folder.name, "parent_id": folder.parent_id, "record_type": folder.record_type,
            "record_id": folder.record_id, "created_by": _login(folder.created_by),
            "created_at": iso(folder.created_at), "updated_at": iso(folder.updated_at), "version": folder.version,
            "url": url_for("library.folder", folder_id=folder.id)}


def version_json(document: DocumentFile, version: FileVersion) -> dict[str, Any]:
    return {"number": version.number, "size": version.size, "sha256": version.sha256,
            "content_type": version.content_type, "uploaded_by": _login(version.uploaded_by),
            "uploaded_at": iso(version.uploaded_at),
            "download_url": url_for("library_api.download_version", file_id=document.id, number=version.number)}


def file_json(document: DocumentFile, with_versions: bool = True) -> dict[str, Any]:
    current = document.current
    payload = {"id": document.id, "name": document.name, "folder_id": document.folder_id,
               "record_type": document.record_type, "record_id": document.record_id,
               "current_version": document.current_version, "size": current.size,
               "content_type": current.content_type, "sha256": current.sha256,
               "created_by": _login(document.created_by), "created_at": iso(document.created_at),
               "updated_at": iso(document.updated_at), "version": document.version,
               "download_url": url_for("library_api.download", file_id=document.id)}
    if with_versions:
        payload["versions"] = [version_json(document, v) for v in document.versions]
    return payload


def _folder_listing(folder: Folder) -> dict[str, Any]:
    return {**folder_json(folder), "folders": [folder_json(f) for f in library.list_subfolders(folder)],
            "files": [file_json(f, with_versions=False) for f in library.list_files(folder)]}


# --------------------------------------------------------------------------- folders


@bp.get("/folders")
def list_folders() -> Any:
    roots = library.list_roots(current_user)
    folders = roots.general + [f for group in roots.records for f in group.folders]  # the top level only
    items = [folder_json(f) for f in folders]
    return jsonify({"items": items, "total": len(items)})


@bp.post("/folders")
def create_folder() -> Any:
    body = _body({"name": (str,), "parent_id": _NULLABLE_ID}, required=("name",))
    folder = library.create_folder(body["name"], body.get("parent_id"), current_user)
    db.session.commit()
    return jsonify(_folder_listing(folder)), 201


@bp.get("/folders/<int:folder_id>")
def get_folder(folder_id: int) -> Any:
    return jsonify(_folder_listing(library.get_folder(folder_id, current_user)))


@bp.patch("/folders/<int:folder_id>")
def update_folder(folder_id: int) -> Any:
    body = _body({"name": (str,), "parent_id": _NULLABLE_ID, "version": _ID}, required=("version",))
    version = body.pop("version")
    folder = library.update_folder(folder_id, body, current_user, version)
    db.session.commit()
    return jsonify(_folder_listing(folder))


@bp.delete("/folders/<int:folder_id>")
def delete_folder(folder_id: int) -> Any:
    library.delete_folder(folder_id, current_user)
    db.session.commit()
    return "", 204


@bp.post("/folders/<int:folder_id>/files")
def upload(folder_id: int) -> Any:
    library.writable_folder(folder_id, current_user)  # 404/403 before the body is read
    name, content, content_type = read_upload()
    document = library.upload_file(name, content, content_type, current_user, folder_id=folder_id)
    db.session.commit()
    return jsonify(file_json(document)), 201


@bp.get("/records/<record_type>/<int:record_id>/folder")
def get_record_folder(record_type: str, record_id: int) -> Any:
    """The record's folder, or 404 `no_folder` while nothing was stored for it."""
    found = library.find_record_folder(record_type, record_id, current_user)
    if found is None:
        raise NotFound(_("Nothing was stored for this record yet."), code="no_folder")
    return jsonify(_folder_listing(found))


@bp.post("/records/<record_type>/<int:record_id>/files")
def upload_to_record(record_type: str, record_id: int) -> Any:
    library.check_record_writable(record_type, record_id, current_user)
    name, content, content_type = read_upload()
    document = library.upload_file(name, content, content_type, current_user, record=(record_type, record_id))
    db.session.commit()
    return jsonify(file_json(document)), 201


# --------------------------------------------------------------------------- files


@bp.get("/files/<int:file_id>")
def get_file(file_id: int) -> Any:
    return jsonify(file_json(library.get_file(file_id, current_user)))


@bp.patch("/files/<int:file_id>")
def update_file(file_id: int) -> Any:
    body = _body({"name": (str,), "folder_id": _ID, "version": _ID}, required=("version",))
    version = body.pop("version")
    document = library.update_file(file_id, body, current_user, version)
    db.session.commit()
    return jsonify(file_json(document))


@bp.delete("/files/<int:file_id>")
def delete_file(file_id: int) -> Any:
    library.delete_file(file_id, current_user)
    db.session.commit()
    return "", 204


@bp.get("/files/<int:file_id>/content")
def download(file_id: int) -> Any:
    return download_response(library.open_download(file_id, current_user))


@bp.get("/files/<int:file_id>/versions/<int:number>/content")
def download_version(file_id: int, number: int) -> Any:
    return download_response(library.open_download(file_id, current_user, number))


@bp.post("/files/<int:file_id>/versions")
def upload_version(file_id: int) -> Any:
    library.writable_file(file_id, current_user)
    _name, content, content_type = read_upload()
    version = library.upload_version(file_id, content, content_type, current_user)
    db.session.commit()
    document = library.get_file(file_id, current_user)
    return jsonify(version_json(document, version)), 201


# --------------------------------------------------------------------------- links


def link_json(view: links.LinkView) -> dict[str, Any]:
    return {"id": view.id, "record_type": view.type, "record_id": view.record_id, "label": view.label,
            "url": view.url, "created_at": iso(view.created_at), "created_by": view.created_by}


@bp.get("/links")
def list_links() -> Any:
    record_type = request.args.get("record_type", "")
    raw_id = request.args.get("record_id", "")
    if not raw_id.isdigit() or len(raw_id) > 9:
        raise InvalidInput(fields={"record_id": _("Enter a whole number.")})
    items = [link_json(v) for v in links.list_visible_links(record_type, int(raw_id), current_user)]
    return jsonify({"items": items, "total": len(items)})


@bp.post("/links")
def add_link() -> Any:
    body = _body({"from_type": (str,), "from_id": _ID, "to_type": (str,), "to_id": _ID},
                 required=("from_type", "from_id", "to_type", "to_id"))
    link = links.add_link(body["from_type"], body["from_id"], body["to_type"], body["to_id"], current_user)
    db.session.commit()
    return jsonify({"id": link.id, "from_type": link.from_type, "from_id": link.from_id, "to_type": link.to_type,
                    "to_id": link.to_id, "created_at": iso(link.created_at)}), 201


@bp.delete("/links/<int:link_id>")
def remove_link(link_id: int) -> Any:
    links.remove_link(link_id, current_user)
    db.session.commit()
    return "", 204
