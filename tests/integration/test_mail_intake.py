"""Mail intake rules (app.mail.intake) on the test database: a message → a deal, an activity or a logged reason."""
from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa

from app.counterparties.models import ContactPerson, Counterparty
from app.extensions import db
from app.mail import intake
from app.mail.mailboxes import INBOX_ACTIVITY, INBOX_CRM
from app.mail.models import MailIntakeEntry
from app.processes.models import ProcessInstance
from app.records.kinds import get_kind
from app.tasks.models import HumanTask
from tests.conftest import login

pytestmark = pytest.mark.db


@pytest.fixture(autouse=True)
def directories(db_session: Any) -> None:
    """The directories' seed (request categories and sources, form labels), as a migrated install has it."""
    from app.directories.services import ensure_seed

    ensure_seed()


def form_mail(message_id: str | None = "<form-1@site.example>", company: str = "ООО «Ромашка»", inn: str = "",
              subject: str = "Заявка с сайта: запрос стоимости", extra: str = "") -> bytes:
    lines = [f"Компания: {company}", "ФИО: Иванов Иван Иванович", "Должность: Директор по ИТ", "Отдел: ИТ",
             "Телефон: +7 495 123-45-67", "E-mail: ivanov@romashka.example", "Количество пользователей: 150",
             "Комментарий: Нужна CRM для отдела продаж,", "интеграция с 1С.", "Страница: https://crm.example/price",
             "utm_source: yandex", "utm_campaign: spring"]
    if inn:
        lines.insert(1, f"ИНН: {inn}")
    headers = [f"Message-ID: {message_id}"] if message_id else []
    headers += ["From: Website <noreply@site.example>", "To: sales@crm.example", f"Subject: {subject}",
                "Date: Tue, 01 Dec 2026 09:30:00 +0300", "MIME-Version: 1.0",
                "Content-Type: text/plain; charset=utf-8", "Content-Transfer-Encoding: 8bit"]
    return ("\r\n".join(headers) + "\r\n\r\n" + "\r\n".join(lines) + extra + "\r\n").encode()


def plain_mail(message_id: str, subject: str, body: str = "Hello", sender: str = "Petr <petr@client.example>",
               extra_headers: str = "") -> bytes:
    return (f"Message-ID: {message_id}\r\nFrom: {sender}\r\nTo: sales@crm.example\r\nSubject: {subject}\r\n"
            f"Date: Tue, 01 Dec 2026 10:00:00 +0000\r\n{extra_headers}Content-Type: text/plain; charset=utf-8\r\n\r\n"
            f"{body}\r\n").encode()


def deal_of(entry: MailIntakeEntry) -> Any:
    assert entry.record_type == "deal" and entry.record_id
    return db.session.get(get_kind("deal").model, entry.record_id)


def test_a_website_form_becomes_a_deal_with_its_fields(db_session: Any, users: dict[str, Any]) -> None:
    result = intake.ingest_message(INBOX_CRM, form_mail(), uid=7, uidvalidity=1, folder="INBOX")

    entry = result.entry
    assert result.is_new and entry.outcome == "created_deal", entry.reason
    deal = deal_of(entry)
    assert deal.name == "ООО «Ромашка»" and deal.company_name == "ООО «Ромашка»"
    assert deal.users_count == 150
    assert deal.request_category == "price" and deal.request_source == "website"
    assert "Нужна CRM для отдела продаж" in deal.description and "интеграция с 1С" in deal.description
    assert deal.status == "not_processed" and deal.responsible_id is None and deal.created_by_id is None
    [contact] = deal.contacts
    assert (contact.full_name, contact.position, contact.department, contact.email) == (
        "Иванов Иван Иванович", "Директор по ИТ", "ИТ", "ivanov@romashka.example")
    assert contact.phone and contact.is_main
    assert (deal.utm_source, deal.utm_campaign, deal.site_page, deal.site_email) == (
        "yandex", "spring", "https://crm.example/price", "ivanov@romashka.example")
    assert deal.received_at is not None and deal.received_at.isoformat() == "2026-12-01T06:30:00+00:00"
    # The deal process started like any deal's: the CRM Managers get "Take to work".
    instance = db.session.scalar(sa.select(ProcessInstance).where(ProcessInstance.record_type == "deal",
                                                                  ProcessInstance.record_id == deal.id))
    assert instance is not None
    tasks = db.session.scalars(sa.select(HumanTask).where(HumanTask.instance_id == instance.id,
                                                          HumanTask.status == "open")).all()
    assert [(t.task_name, t.candidate_group_id) for t in tasks if t.task_name == "take_to_work"] == [
        ("take_to_work", "crm-cco")]
    # The raw message is kept, and the entry records where it came from.
    assert entry.raw == form_mail() and entry.raw_size == len(form_mail())
    assert (entry.mailbox, entry.uid, entry.uidvalidity, entry.message_id) == (INBOX_CRM, 7, 1, "<form-1@site.example>")
    assert entry.sender == "Website <noreply@site.example>" and entry.subject.startswith("Заявка с сайта")


def test_the_same_message_twice_makes_one_deal(db_session: Any, users: dict[str, Any]) -> None:
    first = intake.ingest_message(INBOX_CRM, form_mail(), uid=1, uidvalidity=5, folder="INBOX")
    db.session.commit()
    again = intake.ingest_message(INBOX_CRM, form_mail(), uid=9, uidvalidity=5, folder="INBOX")

    assert not again.is_new and again.entry.id == first.entry.id
    assert again.entry.uid == 9 and again.entry.flagged_at is None  # the worker flags it under its new UID
    assert db.session.scalar(sa.select(sa.func.count()).select_from(MailIntakeEntry)) == 1
    deals = db.session.scalar(sa.select(sa.func.count()).select_from(get_kind("deal").model))
    assert deals == 1


def test_a_message_without_message_id_is_recognized_by_its_content(db_session: Any, users: dict[str, Any]) -> None:
    raw = form_mail(message_id=None)
    first = intake.ingest_message(INBOX_CRM, raw)
    again = intake.ingest_message(INBOX_CRM, raw)
    assert first.is_new and not again.is_new and first.entry.dedupe_key.startswith("sha:")


def test_counterparty_by_inn_then_by_name_and_contacts_not_duplicated(db_session: Any, users: dict[str, Any]) -> None:
    by_name = Counterparty(full_name="Общество с ограниченной ответственностью Ромашка", short_name='ООО "Ромашка"',
                           type="buyer", kind="legal_entity")
    by_inn = Counterparty(full_name="АО Лютик", type="buyer", kind="legal_entity", inn="7707083893")
    by_name.refresh_search_name()
    by_inn.refresh_search_name()
    db.session.add_all([by_name, by_inn])
    db.session.flush()

    deal1 = deal_of(intake.ingest_message(INBOX_CRM, form_mail("<a@x>")).entry)
    deal2 = deal_of(intake.ingest_message(INBOX_CRM, form_mail("<b@x>")).entry)
    by_inn_mail = form_mail("<c@x>", company="Romashka Group", inn="7707083893")
    deal3 = deal_of(intake.ingest_message(INBOX_CRM, by_inn_mail).entry)

    assert deal1.counterparty_id == deal2.counterparty_id == by_name.id
    assert deal3.counterparty_id == by_inn.id
    names = db.session.scalars(sa.select(ContactPerson.full_name).where(
        ContactPerson.counterparty_id == by_name.id)).all()
    assert names == ["Иванов Иван Иванович"]  # added once, not per deal


def test_a_reply_and_a_deal_number_become_activities(db_session: Any, users: dict[str, Any]) -> None:
    deal = deal_of(intake.ingest_message(INBOX_CRM, form_mail("<orig@site.example>")).entry)
    reply = plain_mail("<reply@client.example>", "Re: Заявка", "Thanks!",
                       extra_headers="In-Reply-To: <orig@site.example>\r\n")
    numbered = plain_mail("<n@client.example>", f"Question on [D-{deal.number}]", "When?")

    in_crm = intake.ingest_message(INBOX_CRM, reply).entry
    in_activity = intake.ingest_message(INBOX_ACTIVITY, numbered).entry

    for entry in (in_crm, in_activity):
        assert entry.outcome == "activity", entry.reason
        assert (entry.record_type, entry.record_id) == ("deal", deal.id)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(get_kind("deal").model)) == 1


def test_activity_mailbox_quarantines_a_message_naming_no_deal(db_session: Any, users: dict[str, Any]) -> None:
    entry = intake.ingest_message(INBOX_ACTIVITY, plain_mail("<q@x>", "Hello there")).entry
    assert entry.outcome == "quarantined" and "names no deal" in entry.reason


def test_automatic_mail_is_logged_not_a_deal(db_session: Any, users: dict[str, Any]) -> None:
    entry = intake.ingest_message(INBOX_CRM, plain_mail("<auto@x>", "Out of office", "I am away",
                                                        extra_headers="Auto-Submitted: auto-replied\r\n")).entry
    assert entry.outcome == "ignored_automatic" and entry.reason and entry.record_id is None


def test_unparsable_input_is_quarantined_and_retried(db_session: Any, users: dict[str, Any], client: Any) -> None:
    entry = intake.ingest_message(INBOX_CRM, b"\x00\x01 not mail at all", uid=3, uidvalidity=1, folder="INBOX").entry
    db.session.commit()
    assert entry.outcome == "quarantined" and entry.reason and entry.raw == b"\x00\x01 not mail at all"

    # After the rules change (here: the stored bytes are fixed), an administrator retries from the log.
    entry.raw = form_mail("<fixed@x>")
    db.session.commit()
    login(client, "admin")
    response = client.post(f"/api/v1/mail/log/{entry.id}/retry")
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["outcome"] == "created_deal" and response.get_json()["attempts"] == 2
    again = client.post(f"/api/v1/mail/log/{entry.id}/retry")
    assert again.status_code == 409  # only quarantined or failed messages


def test_an_error_while_making_the_deal_is_failed_with_the_reason(
        db_session: Any, users: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(*_args: Any, **_kwargs: Any) -> Any:
        raise RuntimeError("the deal service is down")

    monkeypatch.setattr(intake.records, "create_record", broken)
    entry = intake.ingest_message(INBOX_CRM, form_mail()).entry
    db.session.commit()
    assert entry.outcome == "failed" and "the deal service is down" in entry.reason and entry.raw
    assert db.session.scalar(sa.select(sa.func.count()).select_from(get_kind("deal").model)) == 0


def mail_with_attachments(message_id: str, subject: str, sizes: dict[str, int]) -> bytes:
    from email.message import EmailMessage
    from email.policy import SMTP

    msg = EmailMessage()
    msg["Message-ID"], msg["From"], msg["To"], msg["Subject"] = message_id, "Petr <petr@client.example>", \
        "sales@crm.example", subject
    msg.set_content("Please see the attached files.")
    for name, size in sizes.items():
        msg.add_attachment(b"x" * size, maintype="application", subtype="octet-stream", filename=name)
    return msg.as_bytes(policy=SMTP)


def test_attachments_go_to_the_deal_folder_and_oversized_ones_are_skipped_with_a_note(
        db_session: Any, users: dict[str, Any]) -> None:
    from app.documents.models import DocumentFile
    from app.settings.models import Setting

    db.session.add(Setting(key="mail-max-attachment-bytes", value="1000", description=""))
    db.session.flush()
    raw = mail_with_attachments("<att@x>", "Our requirements", {"spec.pdf": 500, "video.mp4": 5000})

    entry = intake.ingest_message(INBOX_CRM, raw).entry
    assert entry.outcome == "created_deal", entry.reason
    assert "video.mp4 (5000 bytes) skipped" in entry.reason
    names = db.session.scalars(sa.select(DocumentFile.name).where(DocumentFile.record_type == "deal",
                                                                  DocumentFile.record_id == entry.record_id)).all()
    assert names == ["spec.pdf"]
    assert entry.raw == raw  # the skipped attachment is still in the kept message

    deal = deal_of(entry)
    reply = mail_with_attachments("<att2@x>", f"Re: [D-{deal.number}] signed", {"contract.pdf": 100})
    activity = intake.ingest_message(INBOX_ACTIVITY, reply).entry
    assert activity.outcome == "activity" and activity.activity_id
    names = db.session.scalars(sa.select(DocumentFile.name).where(DocumentFile.record_type == "deal",
                                                                  DocumentFile.record_id == deal.id)
                               .order_by(DocumentFile.name)).all()
    assert names == ["contract.pdf", "spec.pdf"]
