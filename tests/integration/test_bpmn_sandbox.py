"""Issue 6 item 3 over HTTP: only analysts and administrators deploy, and a BPMN file whose script runs
arbitrary Python is refused with its element id (nothing stored, nothing written)."""
from __future__ import annotations

import io
from pathlib import Path

import pytest
import sqlalchemy as sa

from tests.conftest import ROOT, login

pytestmark = pytest.mark.db

DATA = ROOT / "tests" / "data"


def _upload(client, xml: bytes, name: str):
    return client.post("/processes/deploy", data={"file": (io.BytesIO(xml), name)},
                       content_type="multipart/form-data")


def _versions(db_session, process_id: str) -> int:
    from app.processes.models import ProcessVersion

    return db_session.scalar(sa.select(sa.func.count()).select_from(ProcessVersion)
                             .where(ProcessVersion.process_id == process_id))


@pytest.mark.parametrize("user", ["manager1", "director"])
def test_crm_users_cannot_deploy_or_see_processes(client, users, db_session, user):
    login(client, user)
    xml = (DATA / "sandbox_endless_loop.bpmn").read_bytes()
    assert _upload(client, xml, "sandbox_endless_loop.bpmn").status_code == 403
    assert client.post("/processes/deploy").status_code == 403
    assert client.get("/processes").status_code == 403
    assert _versions(db_session, "sandbox_endless_loop") == 0


def test_anonymous_cannot_deploy(client, users, db_session):
    response = _upload(client, (DATA / "sandbox_endless_loop.bpmn").read_bytes(), "x.bpmn")
    assert response.status_code in (302, 401)
    assert _versions(db_session, "sandbox_endless_loop") == 0


def test_analyst_upload_of_a_file_writing_script_is_refused_with_the_element_id(
        client, users, db_session, tmp_path: Path):
    probe = tmp_path / "written-by-bpmn.txt"
    script = f"Path({str(probe)!r})".encode()
    xml = (DATA / "sandbox_write_file.bpmn").read_bytes().replace(b"Path(probe_path)", script)
    login(client, "analyst")
    response = _upload(client, xml, "sandbox_write_file.bpmn")
    assert response.status_code == 302
    page = client.get("/processes").get_data(as_text=True)
    assert "sandbox_write_file.bpmn:14 [element write_file]" in page and "__import__" in page
    assert _versions(db_session, "sandbox_write_file") == 0
    assert not probe.exists()


def test_analyst_can_still_deploy_a_safe_file(client, users, db_session):
    login(client, "analyst")
    xml = (DATA / "sandbox_endless_loop.bpmn").read_bytes().replace(b"while True:\n    pass", b"x = amount * 2")
    assert _upload(client, xml, "sandbox_endless_loop.bpmn").status_code == 302
    assert _versions(db_session, "sandbox_endless_loop") == 1
