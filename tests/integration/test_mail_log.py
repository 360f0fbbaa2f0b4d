"""The mail intake log (page and API) and the deal card's Email Message widget, through HTTP as each role."""
from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Any

import pytest
from flask.testing import FlaskClient

from app.extensions import db
from app.mail import intake
from app.mail.mailboxes import INBOX_CRM
from app.settings.models import Setting
from tests.conftest import api_token, login
from tests.integration.test_mail_intake import form_mail

pytestmark = pytest.mark.db

CORPUS = Path(__file__).resolve().parents[1] / "data" / "mail"


@pytest.fixture(autouse=True)
def directories(db_session: Any) -> None:
    from app.directories.services import ensure_seed

    ensure_seed()


@pytest.fixture
def logged(db_session: Any, users: dict[str, Any]) -> dict[str, Any]:
    """A deal from a form, a deal from an HTML mail with a script and remote images, a quarantined input."""
    made = {
        "form": intake.ingest_message(INBOX_CRM, form_mail("<log-form@x>"), uid=1, uidvalidity=1, folder="INBOX").entry,
        "html": intake.ingest_message(INBOX_CRM, (CORPUS / "26_html_script_remote_images.eml").read_bytes(),
                                      uid=2, uidvalidity=1, folder="INBOX").entry,
        "bad": intake.ingest_message(INBOX_CRM, b"\x00 garbage", uid=3, uidvalidity=1, folder="INBOX").entry,
    }
    db.session.commit()
    return made


def test_the_director_reads_the_log_and_filters_it(client: FlaskClient, logged: dict[str, Any]) -> None:
    headers = api_token(client, "director")
    body = client.get("/api/v1/mail/log?per_page=2", headers=headers).get_json()
    assert body["total"] == 3 and len(body["items"]) == 2 and body["page"] == 1
    quarantined = client.get("/api/v1/mail/log?outcome=quarantined", headers=headers).get_json()
    assert [i["id"] for i in quarantined["items"]] == [logged["bad"].id]
    assert quarantined["items"][0]["reason"]
    assert client.get("/api/v1/mail/log?outcome=nonsense", headers=headers).status_code == 422
    login(client, "director")
    page = client.get("/mail/log").get_data(as_text=True)
    assert page.count('data-testid="mail-log-row"') == 3 and "Retry" not in page  # retrying is for admins
    entry = client.get(f"/mail/log/{logged['form'].id}").get_data(as_text=True)
    assert "Deal created" in entry and "&lt;log-form@x&gt;" in entry and "Нужна CRM для отдела продаж" in entry


@pytest.mark.parametrize("role", ["manager1", "analyst"])
def test_other_roles_cannot_read_the_log_or_its_messages(client: FlaskClient, logged: dict[str, Any],
                                                         role: str) -> None:
    headers = api_token(client, role)
    assert client.get("/api/v1/mail/log", headers=headers).status_code == 403
    assert client.post(f"/api/v1/mail/log/{logged['bad'].id}/retry", headers=headers).status_code == 403
    login(client, role)
    entry_id = logged["form"].id
    for url in ("/mail/log", f"/mail/log/{entry_id}", f"/mail/log/{entry_id}/raw"):
        response = client.get(url)
        assert response.status_code == 403 and "Ромашка" not in response.get_data(as_text=True)


def test_only_administrators_retry(client: FlaskClient, logged: dict[str, Any]) -> None:
    entry = logged["bad"]
    assert client.post(f"/api/v1/mail/log/{entry.id}/retry",
                       headers=api_token(client, "director")).status_code == 403
    login(client, "admin")
    response = client.post(f"/mail/log/{entry.id}/retry")
    assert response.status_code == 302
    db.session.refresh(entry)
    assert entry.attempts == 2 and entry.outcome == "quarantined"  # still not mail: quarantined again


def test_the_raw_message_downloads_as_eml(client: FlaskClient, logged: dict[str, Any]) -> None:
    login(client, "director")
    response = client.get(f"/mail/log/{logged['form'].id}/raw")
    assert response.status_code == 200 and response.mimetype == "message/rfc822"
    assert "attachment" in response.headers["Content-Disposition"]
    assert response.data == form_mail("<log-form@x>")


def test_the_deal_card_shows_the_original_email_sanitized(client: FlaskClient, logged: dict[str, Any]) -> None:
    login(client, "director")
    card = client.get(f"/deals/{logged['html'].record_id}").get_data(as_text=True)
    start = card.index('data-testid="email-widget"')
    widget = card[start:card.index("</section>", start)]
    assert 'data-testid="email-html"' in widget
    assert "<script" not in widget.lower() and "onerror" not in widget.lower()
    assert 'src="http' not in widget and "src='http" not in widget  # no remote images loaded
    form_card = client.get(f"/deals/{logged['form'].record_id}").get_data(as_text=True)
    assert 'data-testid="email-text"' in form_card and "Нужна CRM для отдела продаж" in form_card
    # Who does not see the deal (a new one is unassigned: CRM Managers may claim it) does not see its email.
    login(client, "analyst")
    assert client.get(f"/deals/{logged['form'].record_id}").status_code == 404


@pytest.mark.imap
@pytest.mark.redis
def test_a_poll_that_cannot_log_in_says_so_without_the_password(
        client: FlaskClient, users: dict[str, Any], caplog: pytest.LogCaptureFixture) -> None:
    if not (os.environ.get("CRM_TEST_IMAP_PORT") and os.environ.get("CRM_TEST_REDIS_URL")):
        pytest.skip("needs the Dovecot and Redis of `python tests/services.py up`")
    from workers import mail as mail_jobs

    secret = "Wrong-Secret-42"
    db.session.add(Setting(key=INBOX_CRM, description="", value=(
        f"imap://{os.environ['CRM_TEST_IMAP_HOST']}:{os.environ['CRM_TEST_IMAP_PORT']}"
        f"?username={os.environ['CRM_TEST_IMAP_USER'].replace('@', '%40')}&password={secret}")))
    db.session.commit()
    caplog.set_level(logging.DEBUG)

    assert mail_jobs.poll_mailbox(INBOX_CRM) == 0

    assert "refused the login" in caplog.text and secret not in caplog.text


def test_demo_has_the_mailboxes_disabled_and_a_few_log_rows(client: FlaskClient, users: dict[str, Any]) -> None:
    from app.mail.demo import demo_mail

    demo_mail()
    db.session.commit()
    headers = api_token(client, "admin")
    for key in ("mail-inbox-crm", "mail-inbox-activity"):
        assert client.get(f"/api/v1/settings/{key}", headers=headers).get_json()["value"] == "disabled"
    outcomes = sorted(i["outcome"] for i in client.get("/api/v1/mail/log", headers=headers).get_json()["items"])
    assert outcomes == ["created_deal", "ignored_automatic", "quarantined"]
