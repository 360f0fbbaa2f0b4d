"""Where the library's bytes live: files on disk under CRM_DOCUMENTS_DIR, rows in the database.

The one module that writes and reads document files, for the library pages, the generated documents
(app.documents.generation) and mail intake (attachments):

    store_file(name, content, content_type, actor_id, folder_id=None, record=None) -> DocumentFile
    record_folder(record_type, record_id) -> Folder        (a record's folder, created on demand)
    open_file(file_id, number=None) -> StoredContent      (the path, name, type of a version)

These are trusted calls: they check no user's permission (app.documents.library does, for people).
A version's bytes go to a random key (`ab/ab12…`, never derived from the name, so a name cannot
reach outside the directory), written to a temporary file and renamed into place. A version written
by a transaction that rolls back is removed; a deleted version's file is removed only after the
deleting transaction commits (the hooks installed by `install_storage_hooks`).

Raises InvalidInput (bad or empty name, empty content, a folder of another record), UploadTooLarge
(413, above CRM_UPLOAD_MAX_BYTES) and NotFound (unknown folder, file, version or record).
"""
from __future__ import annotations

import hashlib
import logging
import mimetypes
import os
import re
import secrets
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from app.db import utcnow
from app.documents.models import DocumentFile, FileVersion, Folder, name_key
from app.documents.owners import get_owner
from app.errors import Conflict, CrmError, InvalidInput, NotFound
from app.extensions import db

logger = logging.getLogger(__name__)

Record = tuple[str, int]
MAX_NAME_LENGTH = 255
_WRITTEN = "crm_documents_written"  # session.info: paths written by this transaction (removed on rollback)
_DISCARDED = "crm_documents_discarded"  # session.info: paths of deleted versions (removed after commit)
# Every control character (C0, DEL, C1) and the characters Windows refuses in a file name.
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
_RESERVED = re.compile(r'[<>:"|?*]')
_CONTENT_TYPE = re.compile(r"^[a-z0-9][a-z0-9!#$&^_.+-]{0,62}/[a-z0-9][a-z0-9!#$&^_.+-]{0,62}$")


class UploadTooLarge(CrmError):
    status = 413
    code = "too_large"
    default_message = _l("The upload is too large.")


@dataclass(frozen=True)
class StoredContent:
    """One version's bytes on disk and what a download says about them."""

    path: Path
    name: str
    content_type: str
    size: int
    sha256: str
    number: int


# --------------------------------------------------------------------------- names and limits


def upload_limit() -> int:
    return int(current_app.config["CRM_UPLOAD_MAX_BYTES"])


def documents_dir() -> Path:
    return Path(current_app.config["CRM_DOCUMENTS_DIR"])


def clean_name(raw: Any, field: str = "name") -> str:
    """A folder or file name as a person typed it: refused (InvalidInput on `field`) when it is empty,
    "." or "..", contains a slash, a backslash or a control character, or is longer than 255."""
    if not isinstance(raw, str):
        raise InvalidInput(fields={field: _("Enter a name.")})
    name = unicodedata.normalize("NFC", raw).strip()
    if not name or name in (".", ".."):
        raise InvalidInput(fields={field: _("Enter a name.")})
    if "/" in name or "\\" in name or _CONTROL.search(name):
        raise InvalidInput(fields={field: _("A name cannot contain slashes or control characters.")})
    if len(name) > MAX_NAME_LENGTH:
        raise InvalidInput(fields={field: _("A name is at most %(n)s characters long.", n=MAX_NAME_LENGTH)})
    return name


def safe_file_name(raw: Any, field: str = "file") -> str:
    """The name an uploaded file is stored under: only the last path segment of what the client sent
    ("../../etc/passwd" is "passwd"), without control characters, with _ for the characters Windows
    refuses, without leading or trailing dots and spaces, at most 255 characters (the extension kept).
    InvalidInput on `field` when nothing is left."""
    name = unicodedata.normalize("NFC", raw if isinstance(raw, str) else "")
    name = name.replace("\\", "/").rsplit("/", 1)[-1]
    name = _RESERVED.sub("_", _CONTROL.sub("", name)).strip(" .")
    if not name:
        raise InvalidInput(_("The file has no usable name."), code="bad_file_name",
                           fields={field: _("The file has no usable name.")})
    if len(name) > MAX_NAME_LENGTH:
        stem, dot, ext = name.rpartition(".")
        if dot and 0 < len(ext) <= 16:
            name = stem[:MAX_NAME_LENGTH - len(ext) - 1].rstrip(" .") + "." + ext
        else:
            name = name[:MAX_NAME_LENGTH].rstrip(" .")
    return name


def clean_content_type(raw: Any, name: str) -> str:
    """A plain `type/subtype` (parameters dropped, lower case), else the type the name suggests, else
    application/octet-stream."""
    value = raw.split(";", 1)[0].strip().lower() if isinstance(raw, str) else ""
    if _CONTENT_TYPE.match(value) and value != "application/octet-stream":
        return value
    guessed = mimetypes.guess_type(name, strict=False)[0]
    return guessed or "application/octet-stream"


def check_content(content: bytes, field: str = "file") -> None:
    """Refuse empty content (InvalidInput) and content above CRM_UPLOAD_MAX_BYTES (UploadTooLarge)."""
    limit = upload_limit()
    if len(content) > limit:
        raise UploadTooLarge(_("The file is larger than %(limit)s, the largest upload allowed.",
                               limit=human_size(limit)), fields={field: _("The file is too large.")})
    if not content:
        raise InvalidInput(_("The file is empty."), code="empty_file", fields={field: _("The file is empty.")})


def human_size(size: int) -> str:
    """1536 → "1.5 KB", 20971520 → "20 MB" (binary units, as file managers show them)."""
    for unit, scale in (("GB", 1024 ** 3), ("MB", 1024 ** 2), ("KB", 1024)):
        if size >= scale:
            value = size / scale
            return _("%(n)s %(unit)s", n=f"{value:.0f}" if value >= 10 or value == int(value) else f"{value:.1f}",
                     unit=unit)
    return _("%(n)s bytes", n=size)


# --------------------------------------------------------------------------- folders of records


def find_record_folder(record_type: str, record_id: int) -> Folder | None:
    return db.session.scalar(sa.select(Folder).where(Folder.parent_id.is_(None), Folder.record_type == record_type,
                                                     Folder.record_id == record_id))


def record_folder(record_type: str, record_id: int, actor_id: int | None = None) -> Folder:
    """The folder of a record (any record kind, or a client), created on demand and named after it.

    No visibility check (trusted callers). Two transactions creating it at once get the same folder
    (the loser of the unique index re-reads it). Raises NotFound for an unknown type or record.
    """
    folder = find_record_folder(record_type, record_id)
    if folder is not None:
        return folder
    owner = get_owner(record_type)
    record = owner.find(record_id)
    name = owner.label(record)[:MAX_NAME_LENGTH]
    folder = Folder(name=name, name_key=name_key(name), record_type=record_type, record_id=record_id,
                    created_by_id=actor_id)
    try:
        with db.session.begin_nested():
            db.session.add(folder)
    except IntegrityError:
        existing = find_record_folder(record_type, record_id)
        if existing is None:
            raise
        return existing
    return folder


# --------------------------------------------------------------------------- storing


def store_file(name: str, content: bytes, content_type: str | None, actor_id: int | None,
               folder_id: int | None = None, record: Record | None = None) -> DocumentFile:
    """Store `content` as the file `name` of a folder (or of a record's folder, created on demand).

    A file of the same name (case-insensitive) in that folder gets a new version, which becomes its
    current one; otherwise a new file with version 1. The name is made safe (`safe_file_name`), the
    content type plain (`clean_content_type`). Flushes; the bytes are on disk before this returns
    and are removed again if the transaction rolls back.
    Raises InvalidInput (no folder, a folder of another record, empty content or no usable name),
    UploadTooLarge, NotFound (unknown folder or record).
    """
    safe = safe_file_name(name)
    check_content(content)
    folder = _target_folder(folder_id, record, actor_id)
    existing = db.session.scalar(sa.select(DocumentFile).where(DocumentFile.folder_id == folder.id,
                                                               DocumentFile.name_key == name_key(safe)))
    if existing is None:
        document = DocumentFile(folder_id=folder.id, name=safe, name_key=name_key(safe), current_version=0,
                                record_type=folder.record_type, record_id=folder.record_id, created_by_id=actor_id)
        try:
            with db.session.begin_nested():
                db.session.add(document)
        except IntegrityError:  # the same name was stored at the same moment: add a version to it
            found = db.session.scalar(sa.select(DocumentFile).where(DocumentFile.folder_id == folder.id,
                                                                    DocumentFile.name_key == name_key(safe)))
            if found is None:
                raise
            document = found
    else:
        document = existing
    add_version(document, content, clean_content_type(content_type, safe), actor_id)
    return document


def add_version(document: DocumentFile, content: bytes, content_type: str, actor_id: int | None) -> FileVersion:
    """Write `content` as the next version of `document` and make it current. Flushes.

    The file row's version counter moves too, so two uploads racing for the same number meet a
    Conflict (409, `version_race`) instead of a duplicate. Raises InvalidInput (empty), UploadTooLarge.
    """
    check_content(content)
    key, digest = _write_blob(content)
    number = int(db.session.scalar(sa.select(sa.func.coalesce(sa.func.max(FileVersion.number), 0))
                                   .where(FileVersion.file_id == document.id)) or 0) + 1
    version = FileVersion(file_id=document.id, number=number, storage_key=key, size=len(content), sha256=digest,
                          content_type=content_type, uploaded_by_id=actor_id, uploaded_at=utcnow())
    db.session.add(version)
    document.current_version = number
    document.updated_at = utcnow()
    try:
        db.session.flush()
    except (StaleDataError, IntegrityError) as e:  # another upload of this document won the race
        raise Conflict(_("Someone uploaded a version of this document at the same moment: upload again."),
                       code="version_race") from e
    db.session.expire(document, ["versions"])
    return version


def _target_folder(folder_id: int | None, record: Record | None, actor_id: int | None) -> Folder:
    if folder_id is None:
        if record is None:
            raise InvalidInput(_("Choose a folder for the file."), code="folder_required",
                               fields={"folder_id": _("Choose a folder for the file.")})
        return record_folder(record[0], record[1], actor_id)
    folder = db.session.get(Folder, folder_id)
    if folder is None:
        raise NotFound(_("Folder not found."))
    if record is not None and (folder.record_type, folder.record_id) != record:
        raise InvalidInput(_("The folder belongs to another record."), code="folder_of_another_record",
                           fields={"folder_id": _("The folder belongs to another record.")})
    return folder


def _blob_path(key: str) -> Path:
    base = documents_dir().resolve()
    path = (base / key).resolve()
    if base not in path.parents:  # keys are ours ("ab/ab12…"); this only guards against a corrupted row
        raise NotFound(_("File not found."))
    return path


def _write_blob(content: bytes) -> tuple[str, str]:
    """Write the bytes under a new random key (temporary file, fsync, rename): (key, sha256)."""
    token = secrets.token_hex(16)
    key = f"{token[:2]}/{token}"
    final = _blob_path(key)
    tmp_dir = documents_dir() / "tmp"
    tmp_dir.mkdir(parents=True, exist_ok=True)
    final.parent.mkdir(parents=True, exist_ok=True)
    tmp = tmp_dir / f"{token}.part"
    try:
        with open(tmp, "xb") as out:
            out.write(content)
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, final)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    db.session.info.setdefault(_WRITTEN, []).append(final)
    return key, hashlib.sha256(content).hexdigest()


# --------------------------------------------------------------------------- reading and removing


def open_version(version: FileVersion, name: str) -> StoredContent:
    """Where a version's bytes are, for a download. NotFound when the file is missing on disk."""
    path = _blob_path(version.storage_key)
    if not path.is_file():
        logger.error("document file missing on disk: version %s key %s", version.id, version.storage_key)
        raise NotFound(_("The file's content is missing."), code="content_missing")
    return StoredContent(path=path, name=name, content_type=version.content_type, size=version.size,
                         sha256=version.sha256, number=version.number)


def open_file(file_id: int, number: int | None = None) -> StoredContent:
    """A file's current version (or version `number`) without a visibility check (trusted callers).

    Raises NotFound (unknown file or version, content missing on disk)."""
    document = db.session.get(DocumentFile, file_id)
    if document is None:
        raise NotFound(_("File not found."))
    wanted = document.current_version if number is None else number
    version = next((v for v in document.versions if v.number == wanted), None)
    if version is None:
        raise NotFound(_("Version not found."))
    return open_version(version, document.name)


def discard_after_commit(keys: Iterable[str]) -> None:
    """Remove these versions' files once the deleting transaction has committed (never before: a
    rollback must find them still there)."""
    db.session.info.setdefault(_DISCARDED, []).extend(_blob_path(k) for k in keys)


def _remove_blobs(paths: Iterable[Path]) -> None:
    for path in paths:
        try:
            path.unlink(missing_ok=True)
        except OSError:
            logger.exception("could not remove document file %s", path)


def install_storage_hooks(session_class: Any) -> None:
    """Remove the files a rolled-back transaction wrote and those a committed one deleted."""
    if sa.event.contains(session_class, "after_commit", _after_commit):
        return
    sa.event.listen(session_class, "after_commit", _after_commit)
    sa.event.listen(session_class, "after_soft_rollback", _after_soft_rollback)


def _after_commit(session: Session) -> None:
    session.info.pop(_WRITTEN, None)
    discarded = session.info.pop(_DISCARDED, [])
    if discarded:
        _remove_blobs(discarded)


def _after_soft_rollback(session: Session, previous_transaction: Any) -> None:
    if previous_transaction.parent is not None:  # a savepoint: the outer transaction goes on
        return
    session.info.pop(_DISCARDED, None)
    written = session.info.pop(_WRITTEN, [])
    if written:
        _remove_blobs(written)
