"""Mail intake jobs (queue `mail`): the clock's scan of the mailboxes and the poll of one mailbox.

`enqueue_mail_polls` (enqueued by the clock every tick) reads the mailbox settings from the database,
so a changed address, `delay` or `disabled` applies at the next tick without a restart, and enqueues
`poll_mailbox(key)` for each enabled mailbox whose `delay` has passed (a Redis key that expires after
`delay` ms). The fixed job id `mail-poll-<key>` (unique) and a Redis lock held during the poll make sure
two polls of one mailbox never run at once.

`poll_mailbox` is the one place where mail is read and flagged. Per message: the intake service logs
it and makes its deal or activity, the transaction COMMITS, and only then (per fetched chunk) the
messages are flagged on the server (\\Seen, or \\Deleted + expunge with `delete=true`) and the flags
are recorded. A crash between the commit and the flag leaves rows with `flagged_at` empty: the next
poll flags those first, and a message fetched again is recognized by its Message-ID (or content hash),
so it never makes a second deal.
"""
from __future__ import annotations

import logging
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from flask import current_app
from redis import Redis
from redis.exceptions import LockError
from rq import Queue, get_current_job
from rq.exceptions import DuplicateJobError

from app import jobs as names
from app.extensions import db
from app.mail import imap, intake, mailboxes
from workers.runtime import quiet_unit_of_work, redis_connection, unit_of_work

logger = logging.getLogger(__name__)

#: Messages fetched per FETCH command; they are flagged together after each one's commit.
CHUNK = 50
#: Seconds a poll's lock lives without being renewed (renewed after each chunk). A worker killed in a
#: poll blocks the mailbox for at most this long.
POLL_LOCK_TTL = 300
#: A failed poll keeps its job id this long, so a broken mailbox is not polled again at every tick.
POLL_FAILURE_TTL = 60


def poll_job_id(key: str) -> str:
    return f"mail-poll-{key}"


def poll_lock_key(key: str) -> str:
    return f"crm:mail:poll-lock:{key}"


def next_poll_key(key: str) -> str:
    return f"crm:mail:next-poll:{key}"


def _redis() -> Redis:
    # Inside a worker, reuse the worker's connection; called directly (tests, shell), use the config.
    job = get_current_job()
    if job is not None:
        return job.connection
    return redis_connection(current_app.config["REDIS_URL"])


@quiet_unit_of_work
def enqueue_mail_polls() -> int:
    """Enqueue `poll_mailbox` for every enabled mailbox whose delay has passed. Returns how many.

    A mailbox whose setting is not a valid address is skipped with a warning (the Configuration page
    refuses such values; this guards against a value written another way).
    """
    conn = _redis()
    queue = Queue(names.QUEUE_MAIL, connection=conn)
    enqueued = 0
    for key in mailboxes.MAILBOXES:
        try:
            mailbox = mailboxes.get_mailbox(key)
        except imap.MailboxUrlError as e:
            logger.warning("mailbox %s is not polled: %s", key, e)
            continue
        if mailbox is None or not conn.set(next_poll_key(key), 1, nx=True, px=mailbox.delay_ms):
            continue
        try:
            queue.enqueue(names.POLL_MAILBOX, key, job_id=poll_job_id(key), unique=True, result_ttl=0,
                          failure_ttl=POLL_FAILURE_TTL)
        except DuplicateJobError:
            logger.debug("poll of %s is still pending", key)
            continue
        enqueued += 1
    return enqueued


@unit_of_work
def poll_mailbox(key: str) -> int:
    """Read the new mail of one mailbox; returns the number of new log entries.

    Commits once per message, flags after the commits. A mailbox that cannot be reached (network,
    login, folder) is logged as a warning in words and tried again at its next poll; a database error
    propagates (the rest of the mail waits for the next poll, unflagged).
    """
    lock = _redis().lock(poll_lock_key(key), timeout=POLL_LOCK_TTL)
    if not lock.acquire(blocking=False):
        logger.info("mailbox %s is being polled already", key)
        return 0
    try:
        mailbox = mailboxes.get_mailbox(key)
        if mailbox is None:
            return 0
        try:
            with _open(mailbox) as (client, uidvalidity):
                return _poll(key, mailbox, client, uidvalidity, lock)
        except imap.MailboxError as e:
            logger.warning("mailbox %s (%s): %s", key, mailbox.display, e)
            return 0
    except imap.MailboxUrlError as e:
        logger.warning("mailbox %s is not polled: %s", key, e)
        return 0
    finally:
        try:
            lock.release()
        except LockError:
            pass  # expired while we worked: nothing to release


@contextmanager
def _open(mailbox: imap.MailboxUrl) -> Iterator[tuple[Any, int | None]]:
    client = imap.connect(mailbox)
    try:
        yield client, imap.uid_validity(imap.select_folder(client, mailbox))
    finally:
        imap.close(client)


def _poll(key: str, mailbox: imap.MailboxUrl, client: Any, uidvalidity: int | None, lock: Any) -> int:
    folder = mailbox.folder
    # Committed before a crash, never flagged: flag them now.
    pending = intake.unflagged_uids(key, folder, uidvalidity)
    if pending:
        logger.info("mailbox %s: flagging %s message(s) committed by an interrupted poll", key, len(pending))
        _flag(key, mailbox, client, uidvalidity, pending)
    after = None if mailbox.unseen else intake.last_uid(key, folder, uidvalidity)
    uids = imap.search_uids(client, mailbox.unseen, after)
    rules = intake.load_rules()  # once per poll: a directory or setting change applies at the next one
    new = 0
    for start in range(0, len(uids), CHUNK):
        done: list[int] = []
        for message in imap.fetch_messages(client, uids[start:start + CHUNK]):
            result = intake.ingest_message(key, message.raw, uid=message.uid, uidvalidity=uidvalidity,
                                           folder=folder, internal_date=message.internal_date, rules=rules)
            db.session.commit()
            done.append(message.uid)
            new += int(result.is_new)
        _flag(key, mailbox, client, uidvalidity, done)
        if not _keep_lock(lock):
            logger.warning("mailbox %s: the poll lock was lost (Redis restarted?); the next poll reads the rest", key)
            break
    return new


def _keep_lock(lock: Any) -> bool:
    """Renew the poll's lock; take it again if it vanished (Redis lost it). False: another poll has it."""
    try:
        lock.extend(POLL_LOCK_TTL, replace_ttl=True)
        return True
    except LockError:
        return bool(lock.acquire(blocking=False))


def _flag(key: str, mailbox: imap.MailboxUrl, client: Any, uidvalidity: int | None, uids: Sequence[int]) -> None:
    """Flag on the server, then record it (only after the messages' rows were committed)."""
    if not uids:
        return
    imap.flag_messages(client, uids, mailbox.delete)
    intake.mark_flagged(key, mailbox.folder, uidvalidity, uids)
    db.session.commit()
