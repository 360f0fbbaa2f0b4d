"""The Document Library for people: who reads and writes what, and the verbs of the library pages and
API (folders, upload, download, rename, move, delete, versions).

Access (DESIGN §4: every document download goes through the records' visibility):
- A record's folder and everything in it follow the record: whoever sees the record (its
  responsible, observers, the Commercial Director, ...; a client: everyone signed in) reads; whoever
  may write the record (a client: CRM staff) uploads, renames, moves and deletes. An invisible
  record's folder, subfolder or file does not exist for the user (NotFound, 404).
- General folders: everyone signed in reads. A top-level folder is created by CRM staff (CRM
  Managers, the Commercial Director, administrators); a general folder is written by its creator,
  the Commercial Director and administrators; a file also by whoever uploaded it.
- A folder that is not empty is not deleted (Conflict): its contents are moved or deleted first,
  so one click never takes a tree of documents with it. A record's own folder is named after the
  record: it is not renamed or moved.

Writes flush only; the caller commits. Raises NotFound, PermissionDenied, InvalidInput, Conflict,
storage.UploadTooLarge.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.orm import selectinload

from app.access.services import is_commercial_director, is_crm_manager
from app.auth.models import User
from app.db import utcnow
from app.documents import storage
from app.documents.models import DOCUMENT, DocumentFile, FileVersion, Folder, RecordLink, name_key
from app.documents.owners import Owner, get_owner, list_owners
from app.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from app.extensions import db
from app.records.services import check_version

# --------------------------------------------------------------------------- access


def _record_of(folder_or_file: Folder | DocumentFile) -> tuple[Owner, int] | None:
    if folder_or_file.record_type is None or folder_or_file.record_id is None:
        return None
    return get_owner(folder_or_file.record_type), folder_or_file.record_id


def can_read(item: Folder | DocumentFile, user: User) -> bool:
    record = _record_of(item)
    if record is None:
        return True
    owner, record_id = record
    return bool(owner.visible_ids([record_id], user))


def can_write_folder(folder: Folder, user: User) -> bool:
    record = _record_of(folder)
    if record is None:
        return folder.created_by_id == user.id or is_commercial_director(user)
    owner, record_id = record
    return bool(owner.visible_ids([record_id], user)) and owner.can_write(owner.find(record_id), user)


def can_write_file(document: DocumentFile, user: User) -> bool:
    if can_write_folder(document.folder, user):
        return True
    return document.record_type is None and document.created_by_id == user.id


def can_create_root(user: User) -> bool:
    return is_crm_manager(user) or is_commercial_director(user)


def _denied() -> PermissionDenied:
    return PermissionDenied(_("You may not change this folder or document."))


# --------------------------------------------------------------------------- reading


def get_folder(folder_id: int, user: User) -> Folder:
    """A folder the user may see; NotFound otherwise."""
    folder = db.session.get(Folder, folder_id)
    if folder is None or not can_read(folder, user):
        raise NotFound(_("Folder not found."))
    return folder


def get_file(file_id: int, user: User) -> DocumentFile:
    """A document the user may see (with its versions); NotFound otherwise."""
    document = db.session.scalar(sa.select(DocumentFile).where(DocumentFile.id == file_id)
                                 .options(selectinload(DocumentFile.versions).selectinload(FileVersion.uploaded_by)))
    if document is None or not can_read(document, user):
        raise NotFound(_("Document not found."))
    return document


def open_download(file_id: int, user: User, number: int | None = None) -> storage.StoredContent:
    """The current version of a visible document (or version `number`). Raises NotFound."""
    document = get_file(file_id, user)
    wanted = document.current_version if number is None else number
    version = next((v for v in document.versions if v.number == wanted), None)
    if version is None:
        raise NotFound(_("Version not found."))
    return storage.open_version(version, document.name)


# Record folders listed per record type on the library's first page (the rest open from their cards).
RECORD_FOLDERS_SHOWN = 100


@dataclass
class RecordFolders:
    """The record folders a user sees, of one record type (the first RECORD_FOLDERS_SHOWN, newest first)."""

    owner: Owner
    folders: list[Folder]
    total: int


@dataclass
class Roots:
    general: list[Folder]  # the top-level general folders
    records: list[RecordFolders] = field(default_factory=list)
    # Every general folder's subfolders, by parent id: the tree below the top level.
    children: dict[int, list[Folder]] = field(default_factory=dict)


def list_roots(user: User) -> Roots:
    """The library's top level: the tree of general folders and, per record type, the record folders the
    user sees (the visibility filter in SQL, never every record folder loaded)."""
    general = list(db.session.scalars(sa.select(Folder).where(Folder.record_type.is_(None))
                                      .order_by(Folder.name_key)))
    roots = Roots(general=[f for f in general if f.parent_id is None])
    for folder in general:
        if folder.parent_id is not None:
            roots.children.setdefault(folder.parent_id, []).append(folder)
    for owner in list_owners():
        visible = sa.and_(Folder.parent_id.is_(None), Folder.record_type == owner.type,
                          Folder.record_id.in_(owner.visible_query(user)))
        total = int(db.session.scalar(sa.select(sa.func.count(Folder.id)).where(visible)) or 0)
        if total:
            folders = list(db.session.scalars(sa.select(Folder).where(visible).order_by(Folder.id.desc())
                                              .limit(RECORD_FOLDERS_SHOWN)))
            roots.records.append(RecordFolders(owner=owner, folders=folders, total=total))
    return roots


def list_subfolders(folder: Folder) -> list[Folder]:
    return list(db.session.scalars(sa.select(Folder).where(Folder.parent_id == folder.id).order_by(Folder.name_key)))


def list_files(folder: Folder) -> list[DocumentFile]:
    return list(db.session.scalars(sa.select(DocumentFile).where(DocumentFile.folder_id == folder.id)
                                   .options(selectinload(DocumentFile.versions))
                                   .order_by(DocumentFile.name_key)))


def breadcrumbs(folder: Folder) -> list[Folder]:
    """The folders from the top of the tree down to `folder` (itself included)."""
    chain = [folder]
    seen = {folder.id}
    while chain[0].parent_id is not None and chain[0].parent_id not in seen:
        parent = db.session.get(Folder, chain[0].parent_id)
        if parent is None:
            break
        seen.add(parent.id)
        chain.insert(0, parent)
    return chain


def find_record_folder(record_type: str, record_id: int, user: User) -> Folder | None:
    """The folder of a record the user sees (None when it has none yet). Raises NotFound."""
    get_owner(record_type).get_visible(record_id, user)
    return storage.find_record_folder(record_type, record_id)


def move_targets(folder: Folder, user: User, include_self: bool = False) -> list[tuple[int, str]]:
    """Where a folder (or, with `include_self`, a document of it) can be moved: the general folders
    and the folders of the same record that the user may write, as ("id", "A / B / C"), outside the
    folder's own subtree."""
    same_record = (Folder.record_type.is_(None) if folder.record_type is None
                   else sa.and_(Folder.record_type == folder.record_type, Folder.record_id == folder.record_id))
    candidates = {f.id: f for f in db.session.scalars(sa.select(Folder).where(
        sa.or_(Folder.record_type.is_(None), same_record)))}
    excluded = set() if include_self else set(_subtree_ids(folder))
    writable_record = folder.record_type is not None and can_write_folder(folder, user)

    def path(f: Folder) -> str:
        parts, seen = [f.name], {f.id}
        while f.parent_id in candidates and f.parent_id not in seen:
            f = candidates[f.parent_id]
            seen.add(f.id)
            parts.insert(0, f.name)
        return " / ".join(parts)

    targets = [(f.id, path(f)) for f in candidates.values() if f.id not in excluded and (
        writable_record if f.record_type is not None else can_write_folder(f, user))]
    return sorted(targets, key=lambda t: t[1].casefold())


def count_files(folder: Folder) -> int:
    return int(db.session.scalar(sa.select(sa.func.count(DocumentFile.id))
                                 .where(DocumentFile.folder_id == folder.id)) or 0)


# --------------------------------------------------------------------------- folders


def _check_sibling_name(parent_id: int | None, name: str, record_type: str | None, exclude_id: int | None = None,
                        field_name: str = "name") -> None:
    query = sa.select(Folder.id).where(Folder.name_key == name_key(name))
    if parent_id is None:
        query = query.where(Folder.parent_id.is_(None), Folder.record_type.is_(None) if record_type is None
                            else Folder.record_type == record_type)
    else:
        query = query.where(Folder.parent_id == parent_id)
    if exclude_id is not None:
        query = query.where(Folder.id != exclude_id)
    if db.session.scalar(query.limit(1)) is not None:
        raise InvalidInput(fields={field_name: _("A folder with this name already exists here.")})


def create_folder(name: Any, parent_id: int | None, actor: User) -> Folder:
    """A new folder at the top (CRM staff) or in a folder the actor may write.

    Raises InvalidInput (name; the same name among its siblings), NotFound (parent), PermissionDenied.
    """
    clean = storage.clean_name(name)
    if parent_id is None:
        if not can_create_root(actor):
            raise PermissionDenied(_("Only CRM Managers, the Commercial Director and administrators create "
                                     "top-level folders."))
        parent = None
    else:
        parent = get_folder(parent_id, actor)
        if not can_write_folder(parent, actor):
            raise _denied()
    _check_sibling_name(parent_id, clean, None)
    folder = Folder(parent_id=parent_id, name=clean, name_key=name_key(clean),
                    record_type=parent.record_type if parent else None, record_id=parent.record_id if parent else None,
                    created_by_id=actor.id)
    db.session.add(folder)
    db.session.flush()
    return folder


def ensure_record_folder(record_type: str, record_id: int, actor: User) -> Folder:
    """The folder of a record the actor may write, created on demand. Raises NotFound, PermissionDenied."""
    check_record_writable(record_type, record_id, actor)
    return storage.record_folder(record_type, record_id, actor.id)


def _subtree_ids(folder: Folder) -> list[int]:
    ids = [folder.id]
    frontier = [folder.id]
    while frontier:
        frontier = list(db.session.scalars(sa.select(Folder.id).where(Folder.parent_id.in_(frontier))))
        ids.extend(frontier)
    return ids


def update_folder(folder_id: int, data: Mapping[str, Any], actor: User, expected_version: Any) -> Folder:
    """Rename (`name`) and/or move (`parent_id`: a folder id, or None for the top) a folder.

    A record's own folder is neither renamed nor moved (Conflict); a folder does not move into itself
    or below itself (InvalidInput); moving into another record's folder makes its contents that
    record's. Raises NotFound, PermissionDenied, InvalidInput, Conflict (stale version).
    """
    folder = get_folder(folder_id, actor)
    if not can_write_folder(folder, actor):
        raise _denied()
    name = storage.clean_name(data["name"]) if "name" in data else folder.name
    check_version(folder, expected_version)
    if folder.is_record_root:
        raise Conflict(_("A record's folder is named after the record: it is not renamed or moved."),
                       code="record_folder")
    parent_id = folder.parent_id
    target: Folder | None = None
    if "parent_id" in data:
        parent_id = data["parent_id"]
        if parent_id is not None:
            target = get_folder(parent_id, actor)
            if target.id in _subtree_ids(folder):
                raise InvalidInput(fields={"parent_id": _("A folder cannot be moved into itself.")})
            if not can_write_folder(target, actor):
                raise _denied()
        elif not can_create_root(actor):
            raise _denied()
    _check_sibling_name(parent_id, name, None, exclude_id=folder.id)
    folder.name, folder.name_key, folder.updated_at = name, name_key(name), utcnow()
    if parent_id != folder.parent_id:
        folder.parent_id = parent_id
        record = (target.record_type, target.record_id) if target is not None else (None, None)
        if record != (folder.record_type, folder.record_id):
            subtree = _subtree_ids(folder)
            db.session.execute(sa.update(Folder).where(Folder.id.in_(subtree))
                               .values(record_type=record[0], record_id=record[1]))
            db.session.execute(sa.update(DocumentFile).where(DocumentFile.folder_id.in_(subtree))
                               .values(record_type=record[0], record_id=record[1]))
    db.session.flush()
    db.session.refresh(folder)
    return folder


def delete_folder(folder_id: int, actor: User) -> None:
    """Delete an empty folder. Raises NotFound, PermissionDenied, Conflict (`folder_not_empty`)."""
    folder = get_folder(folder_id, actor)
    if not can_write_folder(folder, actor):
        raise _denied()
    has_children = db.session.scalar(sa.select(Folder.id).where(Folder.parent_id == folder.id).limit(1))
    if has_children is not None or count_files(folder):
        raise Conflict(_("The folder is not empty: move or delete its folders and documents first."),
                       code="folder_not_empty")
    db.session.delete(folder)
    db.session.flush()


# --------------------------------------------------------------------------- files


def writable_folder(folder_id: int, actor: User) -> Folder:
    """A folder the actor may write (checked before an upload's body is read). NotFound, PermissionDenied."""
    return _writable_target(folder_id, None, actor)


def writable_file(file_id: int, actor: User) -> DocumentFile:
    """A document the actor may write (checked before an upload's body is read). NotFound, PermissionDenied."""
    document = get_file(file_id, actor)
    if not can_write_file(document, actor):
        raise _denied()
    return document


def check_record_writable(record_type: str, record_id: int, actor: User) -> None:
    """NotFound unless the actor sees the record, PermissionDenied unless they may write it."""
    owner = get_owner(record_type)
    if not owner.can_write(owner.get_visible(record_id, actor), actor):
        raise _denied()


def _writable_target(folder_id: int | None, record: tuple[str, int] | None, actor: User) -> Folder:
    if folder_id is not None:
        folder = get_folder(folder_id, actor)
        if not can_write_folder(folder, actor):
            raise _denied()
        return folder
    if record is not None:
        return ensure_record_folder(record[0], record[1], actor)
    raise InvalidInput(_("Choose a folder for the file."), fields={"folder_id": _("Choose a folder for the file.")})


def upload_file(name: Any, content: bytes, content_type: str | None, actor: User, folder_id: int | None = None,
                record: tuple[str, int] | None = None) -> DocumentFile:
    """Upload into a folder (or a record's folder, created on demand) the actor may write; the same
    name there becomes a new version of that document. Raises NotFound, PermissionDenied,
    InvalidInput, UploadTooLarge."""
    folder = _writable_target(folder_id, record, actor)
    return storage.store_file(name if isinstance(name, str) else "", content, content_type, actor.id,
                              folder_id=folder.id)


def upload_version(file_id: int, content: bytes, content_type: str | None, actor: User) -> FileVersion:
    """A new version of a document the actor may write (it becomes the current one)."""
    document = writable_file(file_id, actor)
    return storage.add_version(document, content, storage.clean_content_type(content_type, document.name), actor.id)


def _check_file_name(folder_id: int, name: str, exclude_id: int) -> None:
    clash = db.session.scalar(sa.select(DocumentFile.id).where(DocumentFile.folder_id == folder_id,
                                                               DocumentFile.name_key == name_key(name),
                                                               DocumentFile.id != exclude_id).limit(1))
    if clash is not None:
        raise InvalidInput(fields={"name": _("A document with this name already exists in that folder.")})


def update_file(file_id: int, data: Mapping[str, Any], actor: User, expected_version: Any) -> DocumentFile:
    """Rename (`name`) and/or move (`folder_id`) a document. A move into another record's folder
    makes it that record's document. Raises NotFound, PermissionDenied, InvalidInput, Conflict."""
    document = get_file(file_id, actor)
    if not can_write_file(document, actor):
        raise _denied()
    name = storage.clean_name(data["name"]) if "name" in data else document.name
    check_version(document, expected_version)
    folder = document.folder
    if "folder_id" in data and data["folder_id"] != document.folder_id:
        if data["folder_id"] is None:
            raise InvalidInput(fields={"folder_id": _("Choose a folder for the file.")})
        folder = get_folder(data["folder_id"], actor)
        if not can_write_folder(folder, actor):
            raise _denied()
    _check_file_name(folder.id, name, document.id)
    document.name, document.name_key = name, name_key(name)
    document.folder_id, document.record_type, document.record_id = folder.id, folder.record_type, folder.record_id
    document.updated_at = utcnow()
    db.session.flush()
    db.session.refresh(document)
    return document


def delete_file(file_id: int, actor: User) -> None:
    """Delete a document with all its versions and its links; the files on disk go after the commit."""
    document = get_file(file_id, actor)
    if not can_write_file(document, actor):
        raise _denied()
    keys = [v.storage_key for v in document.versions]
    db.session.execute(sa.delete(RecordLink).where(sa.or_(
        sa.and_(RecordLink.from_type == DOCUMENT, RecordLink.from_id == document.id),
        sa.and_(RecordLink.to_type == DOCUMENT, RecordLink.to_id == document.id))))
    db.session.delete(document)
    db.session.flush()
    storage.discard_after_commit(keys)


def visible_file_ids(ids: list[int], user: User) -> set[int]:
    """The documents among `ids` the user may see (the links' filter)."""
    if not ids:
        return set()
    rows = db.session.execute(sa.select(DocumentFile.id, DocumentFile.record_type, DocumentFile.record_id)
                              .where(DocumentFile.id.in_(ids))).all()
    visible: set[int] = set()
    by_type: dict[str, list[tuple[int, int]]] = {}
    for file_id, record_type, record_id in rows:
        if record_type is None or record_id is None:
            visible.add(file_id)
        else:
            by_type.setdefault(record_type, []).append((file_id, record_id))
    for record_type, pairs in by_type.items():
        seen = get_owner(record_type).visible_ids({r for _f, r in pairs}, user)
        visible.update(f for f, r in pairs if r in seen)
    return visible


# --------------------------------------------------------------------------- merging records


def _free_name(taken: set[str], name: str, suffix: str) -> str:
    """`name`, or "name (suffix).ext" when a sibling has it already (case-insensitive)."""
    if name_key(name) not in taken:
        return name
    stem, dot, ext = name.rpartition(".")
    base, extension = (stem, dot + ext) if dot and stem else (name, "")
    for n in range(1, 1000):
        candidate = f"{base} ({suffix}{'' if n == 1 else f' {n}'}){extension}"[-storage.MAX_NAME_LENGTH:]
        if name_key(candidate) not in taken:
            return candidate
    raise Conflict(_("Too many documents of the same name."), code="name_taken")


def move_record_documents(main: Any, merged: Any, actor: User) -> list[str]:
    """A merge step: the merged record's folder contents go to the main record's folder (created on
    demand); a name the main folder has already gets the merged record's number. Flushes; one summary
    line, or none when the merged record had no documents."""
    record_type = type(main).__record_type__
    source = storage.find_record_folder(record_type, merged.id)
    if source is None:
        return []
    files = list(db.session.scalars(sa.select(DocumentFile).where(DocumentFile.folder_id == source.id)))
    folders = list(db.session.scalars(sa.select(Folder).where(Folder.parent_id == source.id)))
    if not files and not folders:
        return []
    target = storage.record_folder(record_type, main.id, actor.id)
    suffix = merged.display_number
    taken_files = set(db.session.scalars(sa.select(DocumentFile.name_key).where(DocumentFile.folder_id == target.id)))
    for document in files:
        document.name = _free_name(taken_files, document.name, suffix)
        document.name_key = name_key(document.name)
        taken_files.add(document.name_key)
        document.folder_id, document.record_id = target.id, main.id
    taken_folders = set(db.session.scalars(sa.select(Folder.name_key).where(Folder.parent_id == target.id)))
    for folder in folders:
        folder.name = _free_name(taken_folders, folder.name, suffix)
        folder.name_key = name_key(folder.name)
        taken_folders.add(folder.name_key)
        folder.parent_id = target.id
        subtree = _subtree_ids(folder)
        db.session.execute(sa.update(Folder).where(Folder.id.in_(subtree)).values(record_id=main.id))
        db.session.execute(sa.update(DocumentFile).where(DocumentFile.folder_id.in_(subtree))
                           .values(record_id=main.id))
    db.session.flush()
    db.session.delete(source)
    db.session.flush()
    return [_("Documents moved to the main deal's folder: %(n)s", n=len(files) + len(folders))]
