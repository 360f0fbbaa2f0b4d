"""The Configuration journal and the mailbox settings, through HTTP as each role would use them.

Secrets: the IMAP password is never in a page, an API answer or a log line, whoever asks; a value that
still carries the mask keeps the stored password only for the same account. The "Check connection"
button talks to the real Dovecot of tests/services.py (skipped without it).
"""
from __future__ import annotations

import logging
import os
from typing import Any

import pytest
from flask.testing import FlaskClient

from app.extensions import db
from app.mail import imap
from app.mail.mailboxes import INBOX_ACTIVITY, INBOX_CRM, get_mailbox
from app.settings.models import Setting
from tests.conftest import api_token, login

pytestmark = pytest.mark.db

SECRET = "s3cr3t&p@ss/wörd"
URL = ("imaps://imap.example.org:993/INBOX.Sales?username=sales%40example.org&password=s3cr3t%26p%40ss%2Fw%C3%B6rd"
       "&delete=true&unseen=true&delay=30000")


# ------------------------------------------------------------------------------ the address


def test_an_imap_url_is_read_with_its_options() -> None:
    mailbox = imap.parse_mailbox_url(URL)
    assert mailbox is not None
    assert (mailbox.scheme, mailbox.host, mailbox.port, mailbox.folder) == ("imaps", "imap.example.org", 993,
                                                                            "INBOX.Sales")
    assert (mailbox.username, mailbox.password) == ("sales@example.org", SECRET)
    assert (mailbox.delete, mailbox.unseen, mailbox.delay_ms, mailbox.use_ssl) == (True, True, 30000, True)
    assert SECRET not in repr(mailbox) and "s3cr3t" not in mailbox.display
    plain = imap.parse_mailbox_url("imap://127.0.0.1?username=u&password=p")
    assert plain is not None and (plain.port, plain.use_ssl, plain.folder, plain.delete, plain.unseen) == (
        143, False, "INBOX", False, False)
    assert imap.parse_mailbox_url("disabled") is None


@pytest.mark.parametrize(("value", "words"), [
    ("http://imap.example.org?username=u&password=p", "imaps://"),
    ("imaps://?username=u&password=p", "server name is missing"),
    ("imaps://imap.example.org:99999?username=u&password=p", "port"),
    ("imaps://imap.example.org?password=p", "username is missing"),
    ("imaps://imap.example.org?username=u", "password is missing"),
    ("imaps://imap.example.org?username=u&password=p&delete=maybe", "delete must be true or false"),
    ("imaps://imap.example.org?username=u&password=p&delay=soon", "delay is how often"),
    ("imaps://imap.example.org?username=u&password=p&dleay=5", "Unknown parameter"),
    ("imaps://u:p@imap.example.org", "after the server name"),
])
def test_a_bad_address_is_explained_in_words(value: str, words: str) -> None:
    with pytest.raises(imap.MailboxUrlError, match=words):
        imap.parse_mailbox_url(value)


def test_masking_hides_every_password_form() -> None:
    assert SECRET not in imap.mask_mailbox_url(URL) and "s3cr3t" not in imap.mask_mailbox_url(URL)
    assert "password=********" in imap.mask_mailbox_url(URL)
    assert "hunter2" not in imap.mask_mailbox_url("imaps://bob:hunter2@host?x=1")


# ------------------------------------------------------------------------------ the journal and its API


def test_admin_sets_a_mailbox_and_never_sees_the_password_again(
        client: FlaskClient, users: dict[str, Any], caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    headers = api_token(client, "admin")
    response = client.put(f"/api/v1/settings/{INBOX_CRM}", json={"value": URL}, headers=headers)
    assert response.status_code == 200, response.get_json()
    assert "password=********" in response.get_json()["value"] and response.get_json()["is_secret"] is True
    # Applies at the next use: the intake reads the stored value, password included.
    mailbox = get_mailbox(INBOX_CRM)
    assert mailbox is not None and mailbox.password == SECRET and mailbox.delay_ms == 30000

    listed = client.get("/api/v1/settings", headers=headers).get_json()
    one = client.get(f"/api/v1/settings/{INBOX_CRM}", headers=headers).get_json()
    login(client, "admin")
    page = client.get("/admin/settings").get_data(as_text=True)
    keys = {item["key"] for item in listed["items"]}
    assert {INBOX_CRM, INBOX_ACTIVITY, "mail-max-attachment-bytes"} <= keys
    for shown in (str(listed), str(one), page, caplog.text):
        assert "s3cr3t" not in shown and "%26p%40ss" not in shown
    assert "password=********" in page

    # Saving the masked value back (e.g. only `delay` changed) keeps the stored password.
    changed = client.put(f"/api/v1/settings/{INBOX_CRM}", headers=headers,
                         json={"value": one["value"].replace("delay=30000", "delay=5000")})
    assert changed.status_code == 200, changed.get_json()
    mailbox = get_mailbox(INBOX_CRM)
    assert mailbox is not None and mailbox.password == SECRET and mailbox.delay_ms == 5000


def test_the_stored_password_is_not_sent_to_another_server(client: FlaskClient, users: dict[str, Any]) -> None:
    headers = api_token(client, "admin")
    assert client.put(f"/api/v1/settings/{INBOX_CRM}", json={"value": URL}, headers=headers).status_code == 200
    masked = imap.mask_mailbox_url(URL)

    response = client.put(f"/api/v1/settings/{INBOX_CRM}", headers=headers,
                          json={"value": masked.replace("imap.example.org", "attacker.example")})

    assert response.status_code == 422
    assert "Type the password again" in response.get_json()["error"]["fields"]["value"]
    stored = db.session.get(Setting, INBOX_CRM)
    assert stored is not None and "imap.example.org" in stored.value


def test_a_bad_value_is_refused_with_the_reason_and_the_form_keeps_no_password(
        client: FlaskClient, users: dict[str, Any]) -> None:
    login(client, "admin")
    response = client.post(f"/admin/settings/{INBOX_ACTIVITY}",
                           data={"value": "imaps://imap.example.org?username=u&password=Hunter2Secret&delay=1"})
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "delay is how often to check" in html and "Hunter2Secret" not in html
    assert db.session.get(Setting, INBOX_ACTIVITY) is None  # nothing saved

    size = client.put("/api/v1/settings/mail-max-attachment-bytes", json={"value": "-5"})
    assert size.status_code == 422


@pytest.mark.parametrize("role", ["manager1", "director", "analyst"])
def test_only_administrators_read_or_change_settings(client: FlaskClient, users: dict[str, Any], role: str) -> None:
    admin = api_token(client, "admin")
    assert client.put(f"/api/v1/settings/{INBOX_CRM}", json={"value": URL}, headers=admin).status_code == 200
    headers = api_token(client, role)
    for response in (client.get("/api/v1/settings", headers=headers),
                     client.get(f"/api/v1/settings/{INBOX_CRM}", headers=headers),
                     client.put(f"/api/v1/settings/{INBOX_CRM}", json={"value": "disabled"}, headers=headers)):
        assert response.status_code == 403
        assert "s3cr3t" not in response.get_data(as_text=True)
    login(client, role)
    page = client.get("/admin/settings")
    assert page.status_code == 403 and "s3cr3t" not in page.get_data(as_text=True)
    assert client.post(f"/admin/settings/{INBOX_CRM}", data={"value": "disabled"}).status_code == 403
    mailbox = get_mailbox(INBOX_CRM)
    assert mailbox is not None and mailbox.password == SECRET  # unchanged
    anonymous = FlaskClient(client.application)
    assert anonymous.get("/api/v1/settings").status_code == 401


def test_an_unknown_setting_is_404(client: FlaskClient, users: dict[str, Any]) -> None:
    headers = api_token(client, "admin")
    assert client.get("/api/v1/settings/no-such-key", headers=headers).status_code == 404
    assert client.put("/api/v1/settings/no-such-key", json={"value": "x"}, headers=headers).status_code == 404


# ------------------------------------------------------------------------------ "Check connection" (real IMAP)


@pytest.fixture
def imap_server() -> dict[str, str]:
    if not os.environ.get("CRM_TEST_IMAP_PORT"):
        pytest.skip("CRM_TEST_IMAP_PORT is not set: needs the Dovecot of `python tests/services.py up`")
    return {k: os.environ[f"CRM_TEST_IMAP_{k.upper()}"] for k in ("host", "port", "user", "password")}


def _imap_url(server: dict[str, str], password: str | None = None, folder: str = "") -> str:
    return (f"imap://{server['host']}:{server['port']}{folder}?username={server['user'].replace('@', '%40')}"
            f"&password={password or server['password']}")


@pytest.mark.imap
def test_check_connection_reports_login_and_folder_problems_in_words(
        client: FlaskClient, users: dict[str, Any], imap_server: dict[str, str]) -> None:
    login(client, "admin")
    results = []
    for value in (_imap_url(imap_server), _imap_url(imap_server, password="wrong-password"),
                  _imap_url(imap_server, folder="/NoSuchFolder")):
        assert client.post(f"/admin/settings/{INBOX_CRM}", data={"value": value}).status_code == 302
        db.session.commit()
        response = client.post(f"/admin/settings/{INBOX_CRM}/check", follow_redirects=True)
        results.append(response.get_data(as_text=True))
    ok, bad_login, bad_folder = results
    assert "Connected to" in ok and "INBOX" in ok
    assert "refused the login" in bad_login and "wrong-password" not in bad_login
    assert "NoSuchFolder" in bad_folder and "cannot be opened" in bad_folder
    closed = "imap://127.0.0.1:1?username=u&password=p"
    client.post(f"/admin/settings/{INBOX_CRM}", data={"value": closed})
    refused = client.post(f"/admin/settings/{INBOX_CRM}/check", follow_redirects=True).get_data(as_text=True)
    assert "refused the connection" in refused
    # TLS (imaps://) against a plaintext port: the handshake fails, and the message says what to try.
    client.post(f"/admin/settings/{INBOX_CRM}", data={"value": _imap_url(imap_server).replace("imap://", "imaps://")})
    tls = client.post(f"/admin/settings/{INBOX_CRM}/check", follow_redirects=True).get_data(as_text=True)
    assert "TLS handshake" in tls and "use imap://" in tls


def test_an_administrator_describes_a_setting(client: FlaskClient, users: dict[str, Any]) -> None:
    login(client, "admin")
    page = client.get("/admin/settings").get_data(as_text=True)
    assert "Mailbox of new requests" in page  # the declared description, until one is written
    form = {"value": "disabled", "description": "Sales inbox; enable after go-live"}
    response = client.post(f"/admin/settings/{INBOX_CRM}", data=form)
    assert response.status_code == 302
    headers = api_token(client, "admin")
    assert client.get(f"/api/v1/settings/{INBOX_CRM}", headers=headers).get_json()["description"] == \
        "Sales inbox; enable after go-live"
