"""Mail intake end to end: a real IMAP server (the Dovecot of tests/services.py), the real clock scan and
mail jobs run by a real forking RQ worker, a real database file (or PostgreSQL with -m db).

Each test gets a folder of its own on the server (INBOX.t<random>), appends messages to it with
IMAPClient.append, points the `mail-inbox-crm` setting at it and lets the worker poll.
"""
from __future__ import annotations

import json
import os
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from imapclient import IMAPClient
from redis import Redis
from rq import Queue

from app import jobs as names
from app.db import Counter
from app.extensions import db
from app.mail import imap as mail_imap
from app.mail.mailboxes import INBOX_CRM
from app.mail.models import OUTCOMES, MailIntakeEntry
from app.records.kinds import get_kind
from app.settings.models import Setting
from workers import mail as mail_jobs

pytestmark = [pytest.mark.db, pytest.mark.redis, pytest.mark.imap]

CORPUS = Path(__file__).resolve().parents[1] / "data" / "mail"


# ------------------------------------------------------------------------------ fixtures and helpers


@pytest.fixture
def imap_server() -> dict[str, str]:
    if not os.environ.get("CRM_TEST_IMAP_PORT"):
        pytest.skip("CRM_TEST_IMAP_PORT is not set: these tests need the Dovecot of `python tests/services.py up`")
    return {k: os.environ[f"CRM_TEST_IMAP_{k.upper()}"] for k in ("host", "port", "user", "password")}


def _client(server: dict[str, str]) -> IMAPClient:
    client = IMAPClient(server["host"], port=int(server["port"]), ssl=False, timeout=30)
    client.login(server["user"], server["password"])
    return client


@pytest.fixture
def folder(imap_server: dict[str, str]) -> Iterator[str]:
    name = f"INBOX.t{uuid.uuid4().hex[:10]}"
    with _client(imap_server) as client:
        client.create_folder(name)
    yield name
    with _client(imap_server) as client:
        client.delete_folder(name)


def append(server: dict[str, str], folder: str, messages: list[bytes], flags: tuple[bytes, ...] = ()) -> None:
    with _client(server) as client:
        for raw in messages:
            client.append(folder, raw, flags=flags)


def flags_by_subject(server: dict[str, str], folder: str) -> dict[str, set[bytes]]:
    """Subject → flags of every message left in the folder (expunged ones are gone)."""
    with _client(server) as client:
        client.select_folder(folder, readonly=True)
        uids = client.search(["ALL"])
        data = client.fetch(uids, ["FLAGS", "BODY.PEEK[HEADER.FIELDS (SUBJECT)]"]) if uids else {}
    result = {}
    for item in data.values():
        header = item[b"BODY[HEADER.FIELDS (SUBJECT)]"].decode().strip()
        result[header.partition(":")[2].strip()] = set(item[b"FLAGS"])
    return result


def mailbox_url(server: dict[str, str], folder: str, **options: str) -> str:
    query = "&".join(f"{k}={v}" for k, v in {"delete": "false", "unseen": "false", "delay": "1000", **options}.items())
    return (f"imap://{server['host']}:{server['port']}/{folder}?username={server['user'].replace('@', '%40')}"
            f"&password={server['password']}&{query}")


def form_mail(n: int, company: str = "ООО «Ромашка»") -> bytes:
    body = (f"Компания: {company} {n}\r\nФИО: Иванов Иван {n}\r\nДолжность: ИТ-директор\r\n"
            f"Телефон: +7 495 000-00-{n:02d}\r\nE-mail: buyer{n}@client.example\r\n"
            f"Количество пользователей: {10 + n}\r\nКомментарий: Заявка номер {n}\r\n")
    return (f"Message-ID: <form-{n}-{uuid.uuid4().hex}@site.example>\r\nFrom: Site <noreply@site.example>\r\n"
            f"To: sales@crm.example\r\nSubject: Form {n}: price request\r\nDate: Tue, 01 Dec 2026 09:30:00 +0300\r\n"
            f"MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n"
            f"{body}").encode()


@pytest.fixture
def intake_app(worker_app: Flask, tmp_path: Path) -> Flask:
    """The worker's app with what a migrated install has: groups, the deployed BPMN, the directories' seed;
    attachments stored under this test's directory."""
    from app.auth.services import default_groups, ensure_groups
    from app.directories.services import ensure_seed
    from app.processes.services import deploy_directory

    worker_app.config["CRM_DOCUMENTS_DIR"] = str(tmp_path / "documents")

    with worker_app.app_context():
        ensure_groups(default_groups(worker_app.config))
        deploy_directory()
        ensure_seed()
        db.session.commit()
    return worker_app


def configure(app: Flask, value: str) -> None:
    with app.app_context():
        db.session.merge(Setting(key=INBOX_CRM, value=value, description=""))
        db.session.commit()


def entries(app: Flask) -> list[MailIntakeEntry]:
    with app.app_context():
        rows = list(db.session.scalars(sa.select(MailIntakeEntry).order_by(MailIntakeEntry.id)))
        db.session.expunge_all()
        return rows


def deals(app: Flask) -> list[Any]:
    with app.app_context():
        model = get_kind("deal").model
        rows: list[Any] = list(db.session.scalars(sa.select(model).order_by(model.id)))
        for row in rows:
            _ = [c.full_name for c in row.contacts]  # loaded before the session closes
        db.session.expunge_all()
        return rows


def poll(redis_conn: Redis, run_worker: Callable[..., None]) -> None:
    Queue(names.QUEUE_MAIL, connection=redis_conn).enqueue(names.POLL_MAILBOX, INBOX_CRM)
    run_worker(names.QUEUE_MAIL)


# ------------------------------------------------------------------------------ the tests


def test_the_clock_scan_polls_an_enabled_mailbox_and_mail_becomes_deals_marked_seen(
        intake_app: Flask, redis_conn: Redis, run_worker: Callable[..., None], imap_server: dict[str, str],
        folder: str) -> None:
    append(imap_server, folder, [form_mail(n) for n in (1, 2, 3)])
    mail = Queue(names.QUEUE_MAIL, connection=redis_conn)

    configure(intake_app, "disabled")
    mail.enqueue(names.ENQUEUE_MAIL_POLLS)
    run_worker(names.QUEUE_MAIL)
    assert entries(intake_app) == []  # disabled: not polled

    configure(intake_app, mailbox_url(imap_server, folder))  # applies at the next scan, no restart
    mail.enqueue(names.ENQUEUE_MAIL_POLLS)
    run_worker(names.QUEUE_MAIL)

    made = deals(intake_app)
    assert [d.name for d in made] == ["ООО «Ромашка» 1", "ООО «Ромашка» 2", "ООО «Ромашка» 3"]
    assert [d.users_count for d in made] == [11, 12, 13]
    assert [[c.full_name for c in d.contacts] for d in made] == [[f"Иванов Иван {n}"] for n in (1, 2, 3)]
    assert all(d.request_category == "price" and d.status == "not_processed" for d in made)
    logged = entries(intake_app)
    assert [e.outcome for e in logged] == ["created_deal"] * 3
    assert all(e.flagged_at is not None and e.folder == folder and e.uid for e in logged)
    flags = flags_by_subject(imap_server, folder)
    assert len(flags) == 3 and all(b"\\Seen" in f and b"\\Deleted" not in f for f in flags.values())

    # The next poll (the scan waits for `delay`) reads nothing new and makes nothing twice.
    redis_conn.delete(mail_jobs.next_poll_key(INBOX_CRM))
    mail.enqueue(names.ENQUEUE_MAIL_POLLS)
    run_worker(names.QUEUE_MAIL)
    assert len(deals(intake_app)) == 3 and len(entries(intake_app)) == 3


def test_delete_true_sets_deleted_and_expunges_after_the_commit(
        intake_app: Flask, redis_conn: Redis, run_worker: Callable[..., None], imap_server: dict[str, str],
        folder: str) -> None:
    append(imap_server, folder, [form_mail(n) for n in (1, 2)])
    configure(intake_app, mailbox_url(imap_server, folder, delete="true"))

    poll(redis_conn, run_worker)

    assert len(deals(intake_app)) == 2
    assert flags_by_subject(imap_server, folder) == {}  # \Deleted and expunged
    assert all(e.flagged_at is not None for e in entries(intake_app))


def test_unseen_true_reads_only_unread_mail(intake_app: Flask, redis_conn: Redis, run_worker: Callable[..., None],
                                            imap_server: dict[str, str], folder: str) -> None:
    append(imap_server, folder, [form_mail(1)], flags=(b"\\Seen",))
    append(imap_server, folder, [form_mail(2)])
    configure(intake_app, mailbox_url(imap_server, folder, unseen="true"))

    poll(redis_conn, run_worker)

    assert [d.name for d in deals(intake_app)] == ["ООО «Ромашка» 2"]
    flags = flags_by_subject(imap_server, folder)
    assert set(flags) == {"Form 1: price request", "Form 2: price request"}  # nothing deleted
    assert all(b"\\Seen" in f for f in flags.values())


def _fail_flagging(*_args: Any, **_kwargs: Any) -> None:
    raise OSError("connection reset while storing flags")


def _die_while_flagging(*_args: Any, **_kwargs: Any) -> None:
    os._exit(137)  # the work horse is killed after the commit, before the flag


@pytest.mark.parametrize("crash", [_fail_flagging, _die_while_flagging], ids=["flag-call-fails", "worker-killed"])
def test_a_crash_between_commit_and_flag_makes_no_second_deal(
        intake_app: Flask, redis_conn: Redis, run_worker: Callable[..., None], imap_server: dict[str, str],
        folder: str, monkeypatch: pytest.MonkeyPatch, crash: Callable[..., None]) -> None:
    append(imap_server, folder, [form_mail(n) for n in (1, 2, 3)])
    configure(intake_app, mailbox_url(imap_server, folder, unseen="true"))
    monkeypatch.setattr(mail_imap, "flag_messages", crash)
    monkeypatch.setattr(mail_jobs, "POLL_LOCK_TTL", 1)  # a killed poll's lock expires quickly

    poll(redis_conn, run_worker)

    # Committed, not flagged: the deals exist, the messages are still unread on the server.
    assert len(deals(intake_app)) == 3
    assert all(e.flagged_at is None for e in entries(intake_app))
    assert all(b"\\Seen" not in f for f in flags_by_subject(imap_server, folder).values())

    monkeypatch.undo()
    time.sleep(1.1)
    poll(redis_conn, run_worker)

    assert len(deals(intake_app)) == 3  # exactly one deal per message
    logged = entries(intake_app)
    assert len(logged) == 3 and all(e.flagged_at is not None and e.outcome == "created_deal" for e in logged)
    assert all(b"\\Seen" in f for f in flags_by_subject(imap_server, folder).values())


def test_a_message_delivered_twice_is_recognized_by_its_message_id(
        intake_app: Flask, redis_conn: Redis, run_worker: Callable[..., None], imap_server: dict[str, str],
        folder: str) -> None:
    raw = form_mail(1)
    append(imap_server, folder, [raw, raw])
    configure(intake_app, mailbox_url(imap_server, folder))

    poll(redis_conn, run_worker)

    assert len(deals(intake_app)) == 1 and len(entries(intake_app)) == 1
    assert all(b"\\Seen" in f for f in flags_by_subject(imap_server, folder).values())


EXPECTED_OUTCOMES = {"deal": {"created_deal"}, "activity": {"activity"}, "reply": {"activity", "created_deal"},
                     "automatic": {"ignored_automatic"}, "unparsable": {"quarantined"}}


def test_the_corpus_ends_in_defined_outcomes_and_never_breaks_the_worker(
        intake_app: Flask, redis_conn: Redis, run_worker: Callable[..., None], imap_server: dict[str, str],
        folder: str) -> None:
    expected = json.loads((CORPUS / "EXPECTED.json").read_text(encoding="utf-8"))
    assert len(expected) >= 30
    # The deals the corpus' replies name ([D-12], "Deal #123", "Сделка № 45", "D-77") exist.
    with intake_app.app_context():
        from app.records.services import create_record

        kind = get_kind("deal")
        for number in (12, 123, 45, 77):
            deal = create_record(kind, {"name": f"Existing deal {number}"}, None)
            deal.number = 100000 + number
            db.session.flush()
            deal.number = number
        # New deals are numbered after them.
        db.session.execute(sa.update(Counter).where(Counter.name == kind.name).values(value=1000))
        db.session.commit()
    accepted, refused = [], []
    with _client(imap_server) as client:
        for name in sorted(expected):
            raw = (CORPUS / name).read_bytes()
            try:
                client.append(folder, raw)
                accepted.append(name)
            except Exception:  # the server refuses what is not mail at all (empty, NUL bytes)
                refused.append(name)
    configure(intake_app, mailbox_url(imap_server, folder))

    poll(redis_conn, run_worker)  # run_worker asserts the worker exited 0
    assert Queue(names.QUEUE_MAIL, connection=redis_conn).failed_job_registry.count == 0

    logged = entries(intake_app)
    assert len(logged) == len(accepted), [e.subject for e in logged]
    assert all(e.outcome in OUTCOMES and e.flagged_at is not None for e in logged)
    assert all(b"\\Seen" in f for f in flags_by_subject(imap_server, folder).values())
    with intake_app.app_context():
        by_uid = {int(e.uid or 0): e for e in logged}
        uids = sorted(by_uid)
    for uid, name in zip(uids, accepted):
        entry = by_uid[uid]
        assert entry.outcome in EXPECTED_OUTCOMES[expected[name]["outcome"]], (name, entry.outcome, entry.reason)
    # What the server would not take goes through the same rules (the worker never sees it).
    with intake_app.app_context():
        from app.mail.intake import ingest_message

        for name in refused:
            outcome = ingest_message(INBOX_CRM, (CORPUS / name).read_bytes()).entry.outcome
            assert outcome in EXPECTED_OUTCOMES[expected[name]["outcome"]], (name, outcome)
        db.session.rollback()


def test_never_two_polls_of_one_mailbox_at_once(intake_app: Flask, redis_conn: Redis, imap_server: dict[str, str],
                                                folder: str) -> None:
    append(imap_server, folder, [form_mail(1)])
    configure(intake_app, mailbox_url(imap_server, folder, delay="60000"))
    mail = Queue(names.QUEUE_MAIL, connection=redis_conn)
    with intake_app.app_context():
        assert mail_jobs.enqueue_mail_polls() == 1
        assert mail_jobs.enqueue_mail_polls() == 0  # its delay has not passed
        redis_conn.delete(mail_jobs.next_poll_key(INBOX_CRM))
        assert mail_jobs.enqueue_mail_polls() == 0  # the queued poll has the job id: no second one
        assert [j.id for j in mail.jobs] == [mail_jobs.poll_job_id(INBOX_CRM)]

        # A poll running elsewhere holds the lock: this one does nothing.
        held = redis_conn.lock(mail_jobs.poll_lock_key(INBOX_CRM), timeout=30)
        assert held.acquire(blocking=False)
        assert mail_jobs.poll_mailbox(INBOX_CRM) == 0
        assert entries(intake_app) == []
        held.release()
        assert mail_jobs.poll_mailbox(INBOX_CRM) == 1
    assert len(deals(intake_app)) == 1
