"""The Document Library (issue 9 §6): folders, upload/download, versions, rename/move/delete, a record's
folder on demand, and the attacker's pass (invisible records, traversal names, huge uploads, undeclared
fields, wrong types, CSRF) — through HTTP, pages and /api/v1/documents alike."""
from __future__ import annotations

import io
import os
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from app.documents.models import DocumentFile, FileVersion, Folder
from app.extensions import db
from tests.conftest import api_token, login
from tests.factories import make_record

pytestmark = pytest.mark.db

API = "/api/v1/documents"
PDF = b"%PDF-1.4\n" + bytes(range(256)) * 40 + b"\n%%EOF\n"  # every byte value, NUL included


@pytest.fixture()
def world(users: dict[str, Any]) -> dict[str, Any]:
    """manager1's deal and manager2's deal (the director creates both)."""
    director = users["director"]
    mine = make_record("deal", director, name="Deal of manager1", responsible="manager1")
    theirs = make_record("deal", director, name="Deal of manager2", responsible="manager2")
    db.session.commit()
    return {**users, "mine": mine.id, "theirs": theirs.id}


def _upload(client: FlaskClient, url: str, content: bytes, name: str = "offer.pdf", headers: Any = None,
            content_type: str = "application/pdf", **form: str) -> Any:
    data = {"file": (io.BytesIO(content), name, content_type), **form}
    return client.post(url, data=data, headers=headers or {}, content_type="multipart/form-data")


def _stored_files(app: Flask) -> set[Path]:
    base = Path(app.config["CRM_DOCUMENTS_DIR"])
    return {p for p in base.rglob("*") if p.is_file()} if base.exists() else set()


def _document(file_id: int) -> DocumentFile:
    document = db.session.get(DocumentFile, file_id)
    assert document is not None
    return document


def _counts() -> tuple[int, int, int]:
    return (db.session.scalar(sa.select(sa.func.count(Folder.id))) or 0,
            db.session.scalar(sa.select(sa.func.count(DocumentFile.id))) or 0,
            db.session.scalar(sa.select(sa.func.count(FileVersion.id))) or 0)


# --------------------------------------------------------------------------- round trips


def test_upload_and_download_the_same_bytes_through_the_api(app: Flask, client: FlaskClient,
                                                            world: dict[str, Any]) -> None:
    h = api_token(client, "manager1")
    created = _upload(client, f"{API}/records/deal/{world['mine']}/files", PDF, name="Коммерческое предложение.pdf",
                      headers=h)
    assert created.status_code == 201, created.get_json()
    body = created.get_json()
    assert body["name"] == "Коммерческое предложение.pdf" and body["current_version"] == 1
    assert body["record_type"] == "deal" and body["record_id"] == world["mine"]
    assert body["size"] == len(PDF) and body["content_type"] == "application/pdf"

    download = client.get(body["download_url"], headers=h)
    assert download.status_code == 200
    assert download.data == PDF
    disposition = download.headers["Content-Disposition"]
    assert disposition.startswith("attachment;")
    assert f"filename*=UTF-8''{quote('Коммерческое предложение.pdf', safe='')}" in disposition
    assert download.headers["X-Content-Type-Options"] == "nosniff"
    assert download.headers["Content-Type"] == "application/pdf"

    # The record's folder was created on demand, named after the deal, and the card links to it.
    folder = client.get(f"{API}/records/deal/{world['mine']}/folder", headers=h).get_json()
    assert folder["name"].startswith("D-") and "Deal of manager1" in folder["name"]
    assert [f["id"] for f in folder["files"]] == [body["id"]]
    login(client, "manager1")
    card = client.get(f"/deals/{world['mine']}").get_data(as_text=True)
    assert "Коммерческое предложение.pdf" in card and f"/documents/library/records/deal/{world['mine']}" in card


def test_pages_create_folder_upload_download_rename_move_delete(app: Flask, client: FlaskClient,
                                                                world: dict[str, Any]) -> None:
    login(client, "manager1")
    created = client.post("/documents/library/folders", data={"name": "Templates"})
    assert created.status_code == 302
    folder_id = db.session.scalar(sa.select(Folder.id).where(Folder.name == "Templates"))
    archive = client.post("/documents/library/folders", data={"name": "Archive"})
    assert archive.status_code == 302
    archive_id = db.session.scalar(sa.select(Folder.id).where(Folder.name == "Archive"))

    uploaded = _upload(client, f"/documents/library/folders/{folder_id}/files", b"hello, world", name="note.txt",
                       content_type="text/plain")
    assert uploaded.status_code == 302
    page = client.get(f"/documents/library/folders/{folder_id}").get_data(as_text=True)
    assert "note.txt" in page
    file_id = int(db.session.scalar(sa.select(DocumentFile.id).where(DocumentFile.name == "note.txt")) or 0)
    download = client.get(f"/documents/library/files/{file_id}/download")
    assert download.data == b"hello, world" and "attachment" in download.headers["Content-Disposition"]

    version = _document(file_id).version
    renamed = client.post(f"/documents/library/files/{file_id}", data={"name": "readme.txt", "version": version})
    assert renamed.status_code == 302
    stale = client.post(f"/documents/library/files/{file_id}", data={"name": "again.txt", "version": version})
    assert stale.status_code == 409
    db.session.expire_all()
    document = _document(file_id)
    assert document.name == "readme.txt"
    moved = client.post(f"/documents/library/files/{file_id}", data={"folder_id": archive_id,
                                                                     "version": document.version})
    assert moved.status_code == 302
    db.session.expire_all()
    assert _document(file_id).folder_id == archive_id

    # A folder that is not empty is refused; once empty, it goes.
    refused = client.post(f"/documents/library/folders/{archive_id}/delete")
    assert refused.status_code == 409
    assert client.post(f"/documents/library/files/{file_id}/delete").status_code == 302
    assert client.post(f"/documents/library/folders/{archive_id}/delete").status_code == 302
    db.session.expire_all()
    assert db.session.get(Folder, archive_id) is None and db.session.get(DocumentFile, file_id) is None
    assert client.get(f"/documents/library/files/{file_id}/download").status_code == 404


def test_the_same_name_is_a_new_version_and_old_versions_download(app: Flask, client: FlaskClient,
                                                                  world: dict[str, Any]) -> None:
    h = api_token(client, "manager1")
    url = f"{API}/records/deal/{world['mine']}/files"
    first = _upload(client, url, b"version one", name="Contract.docx", headers=h).get_json()
    second = _upload(client, url, b"version two", name="contract.DOCX", headers=h).get_json()
    assert second["id"] == first["id"] and second["current_version"] == 2 and second["name"] == "Contract.docx"
    third = client.post(f"{API}/files/{first['id']}/versions", headers=h, content_type="multipart/form-data",
                        data={"file": (io.BytesIO(b"version three"), "whatever.bin")})
    assert third.status_code == 201 and third.get_json()["number"] == 3
    detail = client.get(f"{API}/files/{first['id']}", headers=h).get_json()
    assert [v["number"] for v in detail["versions"]] == [3, 2, 1]
    assert client.get(f"{API}/files/{first['id']}/content", headers=h).data == b"version three"
    assert client.get(f"{API}/files/{first['id']}/versions/1/content", headers=h).data == b"version one"
    assert client.get(f"{API}/files/{first['id']}/versions/2/content", headers=h).data == b"version two"
    assert client.get(f"{API}/files/{first['id']}/versions/9/content", headers=h).status_code == 404
    login(client, "manager1")
    page = client.get(f"/documents/library/files/{first['id']}").get_data(as_text=True)
    assert page.count('data-testid="version-row"') == 3


def test_api_folders_rename_move_delete(app: Flask, client: FlaskClient, world: dict[str, Any]) -> None:
    h = api_token(client, "manager1")
    a = client.post(f"{API}/folders", json={"name": "Projects"}, headers=h).get_json()
    b = client.post(f"{API}/folders", json={"name": "2026", "parent_id": a["id"]}, headers=h).get_json()
    assert b["parent_id"] == a["id"]
    same = client.post(f"{API}/folders", json={"name": "projects"}, headers=h)
    assert same.status_code == 422 and "name" in same.get_json()["error"]["fields"]
    into_itself = client.patch(f"{API}/folders/{a['id']}", json={"parent_id": b["id"], "version": a["version"]},
                               headers=h)
    assert into_itself.status_code == 422
    renamed = client.patch(f"{API}/folders/{b['id']}", headers=h,
                           json={"name": "2027", "parent_id": None, "version": b["version"]})
    assert renamed.status_code == 200 and renamed.get_json()["name"] == "2027"
    assert renamed.get_json()["parent_id"] is None
    not_empty = _upload(client, f"{API}/folders/{b['id']}/files", b"x", name="x.txt", headers=h)
    assert not_empty.status_code == 201
    refused = client.delete(f"{API}/folders/{b['id']}", headers=h)
    assert refused.status_code == 409 and refused.get_json()["error"]["code"] == "folder_not_empty"
    assert client.delete(f"{API}/files/{not_empty.get_json()['id']}", headers=h).status_code == 204
    assert client.delete(f"{API}/folders/{b['id']}", headers=h).status_code == 204
    names = [f["name"] for f in client.get(f"{API}/folders", headers=h).get_json()["items"]]
    assert "Projects" in names and "2027" not in names


def test_deleted_versions_leave_the_disk_after_the_commit(app: Flask, client: FlaskClient,
                                                          world: dict[str, Any]) -> None:
    h = api_token(client, "manager1")
    before = _stored_files(app)
    created = _upload(client, f"{API}/records/deal/{world['mine']}/files", b"to be deleted", headers=h).get_json()
    written = _stored_files(app) - before
    assert len(written) == 1 and next(iter(written)).read_bytes() == b"to be deleted"
    assert client.delete(f"{API}/files/{created['id']}", headers=h).status_code == 204
    assert _stored_files(app) == before


# --------------------------------------------------------------------------- who sees and writes what


def test_another_managers_record_folder_does_not_exist_for_me(app: Flask, client: FlaskClient,
                                                              world: dict[str, Any]) -> None:
    owner = api_token(client, "manager2")
    stored = _upload(client, f"{API}/records/deal/{world['theirs']}/files", b"secret terms", name="terms.txt",
                     headers=owner).get_json()
    folder_id = stored["folder_id"]
    h = api_token(client, "manager1")
    assert client.get(f"{API}/folders/{folder_id}", headers=h).status_code == 404
    assert client.get(f"{API}/files/{stored['id']}", headers=h).status_code == 404
    assert client.get(f"{API}/files/{stored['id']}/content", headers=h).status_code == 404
    assert client.get(f"{API}/files/{stored['id']}/versions/1/content", headers=h).status_code == 404
    assert client.get(f"{API}/records/deal/{world['theirs']}/folder", headers=h).status_code == 404
    before = _counts()
    assert _upload(client, f"{API}/records/deal/{world['theirs']}/files", b"x", headers=h).status_code == 404
    assert _upload(client, f"{API}/folders/{folder_id}/files", b"x", headers=h).status_code == 404
    assert client.patch(f"{API}/files/{stored['id']}", json={"name": "mine.txt", "version": 1},
                        headers=h).status_code == 404
    assert client.delete(f"{API}/files/{stored['id']}", headers=h).status_code == 404
    assert client.post(f"{API}/folders", json={"name": "inside", "parent_id": folder_id},
                       headers=h).status_code == 404
    assert _counts() == before
    listing = client.get(f"{API}/folders", headers=h).get_json()
    assert folder_id not in [f["id"] for f in listing["items"]]
    login(client, "manager1")
    assert client.get(f"/documents/library/folders/{folder_id}").status_code == 404
    assert client.get(f"/documents/library/files/{stored['id']}/download").status_code == 404
    assert "terms.txt" not in client.get("/documents/library").get_data(as_text=True)
    # The director sees every deal, so every deal's folder.
    director = api_token(client, "director")
    assert client.get(f"{API}/files/{stored['id']}/content", headers=director).data == b"secret terms"


def test_observers_read_a_record_folder_but_do_not_write_it(app: Flask, client: FlaskClient,
                                                            users: dict[str, Any]) -> None:
    deal = make_record("deal", users["director"], responsible="manager2", observers=["manager1"])
    db.session.commit()
    stored = _upload(client, f"{API}/records/deal/{deal.id}/files", b"terms", headers=api_token(client, "manager2"))
    h = api_token(client, "manager1")
    file_id = stored.get_json()["id"]
    assert client.get(f"{API}/files/{file_id}/content", headers=h).data == b"terms"
    assert _upload(client, f"{API}/records/deal/{deal.id}/files", b"mine", headers=h).status_code == 403
    assert client.delete(f"{API}/files/{file_id}", headers=h).status_code == 403


def test_general_folders_are_read_by_all_and_written_by_their_creator_and_the_director(
        app: Flask, client: FlaskClient, users: dict[str, Any]) -> None:
    creator = api_token(client, "manager1")
    folder = client.post(f"{API}/folders", json={"name": "Price lists"}, headers=creator).get_json()
    stored = _upload(client, f"{API}/folders/{folder['id']}/files", b"prices", name="prices.csv", headers=creator)
    file_id = stored.get_json()["id"]
    other = api_token(client, "manager2")
    assert client.get(f"{API}/files/{file_id}/content", headers=other).data == b"prices"
    assert _upload(client, f"{API}/folders/{folder['id']}/files", b"x", headers=other).status_code == 403
    assert client.patch(f"{API}/folders/{folder['id']}", json={"name": "Mine", "version": folder["version"]},
                        headers=other).status_code == 403
    analyst = api_token(client, "analyst")
    assert client.get(f"{API}/files/{file_id}/content", headers=analyst).status_code == 200
    assert client.post(f"{API}/folders", json={"name": "Analyst's"}, headers=analyst).status_code == 403
    director = api_token(client, "director")
    assert _upload(client, f"{API}/folders/{folder['id']}/files", b"y", name="y.txt", headers=director).status_code \
        == 201


# --------------------------------------------------------------------------- the attacker's pass


def test_traversal_names_are_reduced_to_a_safe_name_and_never_reach_the_disk(
        app: Flask, client: FlaskClient, world: dict[str, Any]) -> None:
    h = api_token(client, "manager1")
    url = f"{API}/records/deal/{world['mine']}/files"
    before = _stored_files(app)
    stored = _upload(client, url, b"root:x:0:0", name="../../etc/passwd", headers=h)
    assert stored.status_code == 201 and stored.get_json()["name"] == "passwd"
    windows = _upload(client, url, b"x", name="..\\..\\boot.ini", headers=h).get_json()
    assert windows["name"] == "boot.ini"
    dots = _upload(client, url, b"x", name="../..", headers=h)
    assert dots.status_code == 422 and _upload(client, url, b"x", name="a<b>:c?.txt", headers=h).get_json()[
        "name"] == "a_b__c_.txt"
    base = Path(app.config["CRM_DOCUMENTS_DIR"]).resolve()
    for path in _stored_files(app) - before:
        assert base in path.resolve().parents and path.name not in ("passwd", "boot.ini")
    # A rename may not sneak a path in either.
    file_id = stored.get_json()["id"]
    for bad in ("../../etc/shadow", "a/b", "a\\b", "..", ""):
        refused = client.patch(f"{API}/files/{file_id}", json={"name": bad, "version": stored.get_json()["version"]},
                               headers=h)
        assert refused.status_code == 422, bad
        assert "name" in refused.get_json()["error"]["fields"]


def test_control_characters_in_names_are_refused_and_nothing_is_stored(
        app: Flask, client: FlaskClient, world: dict[str, Any]) -> None:
    h = api_token(client, "manager1")
    before, files = _counts(), _stored_files(app)
    for name in ("evil\x00.pdf", "line\x07bell.txt"):
        refused = _upload(client, f"{API}/records/deal/{world['mine']}/files", b"x", name=name, headers=h)
        assert refused.status_code == 422, name
    folder = client.post(f"{API}/folders", json={"name": "bad\x00name"}, headers=h)
    assert folder.status_code == 422
    assert _counts() == before and _stored_files(app) == files


def test_too_large_and_empty_uploads_are_refused_with_nothing_stored(
        app: Flask, client: FlaskClient, world: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(app.config, "CRM_UPLOAD_MAX_BYTES", 1000)
    h = api_token(client, "manager1")
    url = f"{API}/records/deal/{world['mine']}/files"
    before, files = _counts(), _stored_files(app)
    just_over = _upload(client, url, b"x" * 1001, headers=h)
    assert just_over.status_code == 413 and just_over.get_json()["error"]["code"] == "too_large"
    huge = _upload(client, url, os.urandom(200_000), headers=h)  # refused before the body is parsed
    assert huge.status_code == 413 and "1000 bytes" in huge.get_json()["error"]["message"]
    empty = _upload(client, url, b"", headers=h)
    assert empty.status_code == 422 and empty.get_json()["error"]["code"] == "empty_file"
    no_file = client.post(url, data={}, headers=h, content_type="multipart/form-data")
    assert no_file.status_code == 422 and "file" in no_file.get_json()["error"]["fields"]
    assert _counts() == before and _stored_files(app) == files
    assert _upload(client, url, b"x" * 1000, headers=h).status_code == 201
    # The page says so too.
    login(client, "manager1")
    page = _upload(client, f"/documents/library/records/deal/{world['mine']}/files", b"x" * 1001)
    assert page.status_code == 413 and "larger than 1000 bytes" in page.get_data(as_text=True)


def test_undeclared_fields_and_wrong_types_are_refused(app: Flask, client: FlaskClient,
                                                       world: dict[str, Any]) -> None:
    h = api_token(client, "manager1")
    before = _counts()
    extra = client.post(f"{API}/folders", json={"name": "Ok", "record_type": "deal", "record_id": world["theirs"]},
                        headers=h)
    assert extra.status_code == 422 and extra.get_json()["error"]["code"] == "unknown_field"
    assert set(extra.get_json()["error"]["fields"]) == {"record_type", "record_id"}
    bodies: list[dict[str, Any]] = [{"name": 5}, {"name": "Ok", "parent_id": "1"}, {"name": "Ok", "parent_id": True},
                                    {"name": None}, {}]
    for body in bodies:
        refused = client.post(f"{API}/folders", json=body, headers=h)
        assert refused.status_code == 422, body
    assert client.post(f"{API}/folders", data="[1]", headers={**h, "Content-Type": "application/json"}) \
        .status_code == 400
    assert _counts() == before
    stored = _upload(client, f"{API}/records/deal/{world['mine']}/files", b"x", headers=h).get_json()
    patches: list[dict[str, Any]] = [{"name": "y", "version": "1"}, {"name": "y"},
                                     {"name": "y", "version": 1, "record_id": 1}, {"folder_id": None, "version": 1}]
    for body in patches:
        assert client.patch(f"{API}/files/{stored['id']}", json=body, headers=h).status_code == 422, body


def test_session_writes_need_the_csrf_token(app: Flask, client: FlaskClient, world: dict[str, Any],
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    login(client, "manager1")
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", True)
    before = _counts()
    api = _upload(client, f"{API}/records/deal/{world['mine']}/files", b"x")
    assert api.status_code == 400 and api.get_json()["error"]["code"] == "csrf_failed"
    page = _upload(client, f"/documents/library/records/deal/{world['mine']}/files", b"x")
    assert page.status_code == 400
    assert client.post("/documents/library/folders", data={"name": "x"}).status_code == 400
    assert _counts() == before


def test_a_record_folder_is_not_renamed_moved_or_shown_to_anonymous(app: Flask, client: FlaskClient,
                                                                    world: dict[str, Any]) -> None:
    h = api_token(client, "manager1")
    stored = _upload(client, f"{API}/records/deal/{world['mine']}/files", b"x", headers=h).get_json()
    folder = client.get(f"{API}/folders/{stored['folder_id']}", headers=h).get_json()
    refused = client.patch(f"{API}/folders/{folder['id']}", json={"name": "Renamed", "version": folder["version"]},
                           headers=h)
    assert refused.status_code == 409 and refused.get_json()["error"]["code"] == "record_folder"
    assert client.get(f"{API}/files/{stored['id']}/content").status_code == 401
    anonymous = client.get(f"/documents/library/files/{stored['id']}/download")
    assert anonymous.status_code == 302 and "/login" in anonymous.headers["Location"]


def test_merging_deals_moves_the_merged_deals_documents(app: Flask, client: FlaskClient,
                                                        world: dict[str, Any]) -> None:
    h = api_token(client, "manager1")
    director = world["director"]
    duplicate = make_record("deal", director, name="Duplicate deal", responsible="manager1")
    db.session.commit()
    for deal_id, name, content in ((world["mine"], "offer.pdf", b"main offer"), (duplicate.id, "offer.pdf", b"dup"),
                                   (duplicate.id, "scan.png", b"scan")):
        assert _upload(client, f"{API}/records/deal/{deal_id}/files", content, name=name, headers=h).status_code == 201
    merged = client.post(f"/api/v1/deals/{duplicate.id}/merge", json={"main_deal_id": world["mine"]}, headers=h)
    assert merged.status_code == 200, merged.get_json()
    folder = client.get(f"{API}/records/deal/{world['mine']}/folder", headers=h).get_json()
    names = sorted(f["name"] for f in folder["files"])
    assert names == ["offer (D-%s).pdf" % duplicate.number, "offer.pdf", "scan.png"]
    assert all(f["record_id"] == world["mine"] for f in folder["files"])
    assert client.get(f"{API}/records/deal/{duplicate.id}/folder", headers=h).status_code == 404
    comments = client.get(f"/api/v1/deals/{world['mine']}/comments", headers=h).get_json()["items"]
    assert any("Documents moved" in c["text"] for c in comments)


def test_the_library_page_shows_the_tree_and_the_record_folders_one_sees(app: Flask, client: FlaskClient,
                                                                         world: dict[str, Any]) -> None:
    h = api_token(client, "manager1")
    top = client.post(f"{API}/folders", json={"name": "Projects"}, headers=h).get_json()
    year = client.post(f"{API}/folders", json={"name": "Year 2026", "parent_id": top["id"]}, headers=h).get_json()
    client.post(f"{API}/folders", json={"name": "First quarter", "parent_id": year["id"]}, headers=h)
    _upload(client, f"{API}/records/deal/{world['mine']}/files", b"x", headers=h)
    _upload(client, f"{API}/records/deal/{world['theirs']}/files", b"x", headers=api_token(client, "manager2"))
    login(client, "manager1")
    page = client.get("/documents/library").get_data(as_text=True)
    assert page.count('data-testid="tree-folder"') == 2
    assert page.index("Projects") < page.index("Year 2026") < page.index("First quarter")
    assert "Deal of manager1" in page and "Deal of manager2" not in page


def test_a_version_racing_another_upload_is_a_conflict_and_leaves_no_file(app: Flask, world: dict[str, Any]) -> None:
    from app.documents import storage
    from app.errors import Conflict

    document = storage.store_file("race.txt", b"one", "text/plain", world["manager1"].id,
                                  record=("deal", world["mine"]))
    db.session.commit()
    before = _stored_files(app)
    # Another transaction stored a version meanwhile: the row's version moved on behind this session.
    db.session.execute(sa.update(DocumentFile).where(DocumentFile.id == document.id)
                       .values(version=DocumentFile.version + 1).execution_options(synchronize_session=False))
    with pytest.raises(Conflict):
        storage.add_version(document, b"two", "text/plain", world["manager1"].id)
    db.session.rollback()
    assert _stored_files(app) == before
    assert [v.number for v in _document(document.id).versions] == [1]


def test_a_multipart_part_without_a_readable_name_is_no_server_error(app: Flask, client: FlaskClient,
                                                                     world: dict[str, Any]) -> None:
    h = api_token(client, "manager1")
    body = (b'--B\r\nContent-Disposition: form-data; name="broken\\"\r\n\r\nx\r\n'
            b'--B\r\nContent-Disposition: form-data; name="file"; filename="a.txt"\r\n\r\nhello\r\n--B--\r\n')
    response = client.post(f"{API}/records/deal/{world['mine']}/files", data=body,
                           headers={**h, "Content-Type": "multipart/form-data; boundary=B"})
    assert response.status_code == 201, response.get_data(as_text=True)
    assert client.get(response.get_json()["download_url"], headers=h).data == b"hello"
