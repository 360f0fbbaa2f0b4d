"""Issue 6 item 14: every schema the API serves has its `x-directory` fields resolved to choices
(`oneOf` const/title in the user's language), and the server validates with that same schema."""
from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from tests.conftest import ROOT, api_token, login

pytestmark = pytest.mark.db

DATA = ROOT / "tests" / "data"
SAMPLE_FORM = "test_samples/directory_choice.schema.json"


@pytest.fixture()
def seeded(users, db_session):
    from app.directories.services import ensure_seed

    ensure_seed()
    users["manager1"].locale = "ru"
    db_session.commit()
    return users


@pytest.fixture()
def sample_forms(app, tmp_path, monkeypatch) -> Path:
    """The repo's forms plus the sample form with an x-directory field (no task form has one yet)."""
    forms = tmp_path / "forms"
    shutil.copytree(Path(app.config["FORMS_DIR"]), forms)
    (forms / "test_samples").mkdir()
    shutil.copy(DATA / "forms" / "directory_choice.schema.json", forms / SAMPLE_FORM)
    monkeypatch.setitem(app.config, "FORMS_DIR", str(forms))
    monkeypatch.setattr(app.extensions["crm_engine"], "forms_dir", forms)
    return forms


def _choice_task(users: dict[str, Any], db_session: Any) -> Any:
    """A `choose_reason` task (form with x-directory) for manager1, on an assignment record."""
    from app.processes import services as processes
    from app.tasks.models import HumanTask
    from tests.factories import make_assignment

    assignment = make_assignment(users["director"], executor="manager1")
    xml = (DATA / "directory_form_sample.bpmn").read_bytes()
    processes.deploy_file(xml, "directory_form_sample.bpmn", users["analyst"].id)
    processes.start_process("directory_form_sample", "assignment", assignment.id, {}, users["director"].id)
    db_session.commit()
    return db_session.scalar(sa.select(HumanTask).where(HumanTask.task_name == "choose_reason"))


def test_task_form_has_directory_choices_in_the_users_language_and_refuses_other_codes(
        client, seeded, db_session, sample_forms):
    task = _choice_task(seeded, db_session)
    assert task is not None and task.form_path == SAMPLE_FORM
    m1 = api_token(client, "manager1")

    body = client.get(f"/api/v1/tasks/{task.id}", headers=m1).get_json()
    reason = body["form"]["properties"]["reason"]
    assert reason["x-directory"] == "disqualification_reason"
    assert {"const": "spam", "title": "Спам"} in reason["oneOf"]
    assert {"const": "no_contact", "title": "Нет связи"} in reason["oneOf"]
    listed = client.get("/api/v1/tasks", headers=m1).get_json()["items"]
    assert {"const": "spam", "title": "Спам"} in next(t for t in listed if t["id"] == task.id)["form"][
        "properties"]["reason"]["oneOf"]

    bad = client.post(f"/api/v1/tasks/{task.id}/complete", json={"data": {"reason": "bogus"}}, headers=m1)
    assert bad.status_code == 422, bad.get_json()
    assert bad.get_json()["error"]["fields"] == {"reason": "Select a valid choice."}
    assert client.get(f"/api/v1/tasks/{task.id}", headers=m1).get_json()["status"] == "open"

    ok = client.post(f"/api/v1/tasks/{task.id}/complete", json={"data": {"reason": "spam"}}, headers=m1)
    assert ok.status_code == 200, ok.get_json()


def test_a_deactivated_directory_entry_is_no_longer_a_valid_choice(client, seeded, db_session, sample_forms):
    from app.directories.services import find_entry, set_entry_active

    task = _choice_task(seeded, db_session)
    set_entry_active(find_entry("disqualification_reason", "spam").id, False)
    db_session.commit()
    m1 = api_token(client, "manager1")
    codes = [o["const"] for o in client.get(f"/api/v1/tasks/{task.id}", headers=m1).get_json()["form"]["properties"][
        "reason"]["oneOf"]]
    assert "spam" not in codes and "no_contact" in codes
    bad = client.post(f"/api/v1/tasks/{task.id}/complete", json={"data": {"reason": "spam"}}, headers=m1)
    assert bad.status_code == 422


def test_task_page_renders_the_resolved_choices_as_a_select(client, seeded, db_session, sample_forms):
    task = _choice_task(seeded, db_session)
    login(client, "manager1")
    page = client.get(f"/tasks/{task.id}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert '<select class="form-select' in html and 'name="reason"' in html
    assert '<option value="spam"' in html and "Спам" in html

    bad = client.post(f"/tasks/{task.id}/complete", data={"reason": "bogus"})
    assert bad.status_code == 422
    assert "Выберите допустимое значение." in bad.get_data(as_text=True) or \
        "Select a valid choice." in bad.get_data(as_text=True)


def _lead_reasons(client: Any, user: str) -> tuple[int, dict[str, str], list[dict[str, str]]]:
    director = api_token(client, "director")
    created = client.post("/api/v1/leads", json={"name": "CRM", "company_name": "Romashka", "responsible": "manager1"},
                          headers=director)
    assert created.status_code == 201, created.get_json()
    lead_id = created.get_json()["id"]
    headers = director if user == "director" else api_token(client, user)
    items = client.get(f"/api/v1/leads/{lead_id}/actions", headers=headers).get_json()["items"]
    form = next(a for a in items if a["status"] == "disqualified")["form"]
    return lead_id, headers, form["properties"]["disqualification_reason"]["oneOf"]


# One language per test: Flask-Babel caches the locale in the app context, which the test client
# shares between the requests of one test.
def test_lead_actions_serve_the_disqualification_reasons_in_russian(client, seeded, db_session):
    lead_id, m1, reasons = _lead_reasons(client, "manager1")
    assert {"const": "spam", "title": "Спам"} in reasons

    bad = client.post(f"/api/v1/leads/{lead_id}/status",
                      json={"status": "disqualified", "disqualification_reason": "bogus"}, headers=m1)
    assert bad.status_code == 422
    assert "disqualification_reason" in bad.get_json()["error"]["fields"]


def test_lead_actions_serve_the_disqualification_reasons_in_english(client, seeded, db_session):
    _lead_id, _headers, reasons = _lead_reasons(client, "director")
    assert {"const": "spam", "title": "Spam"} in reasons
