"""The mail intake log: one row per message fetched from a mailbox, with its outcome and raw bytes.

"Nothing twice": `(mailbox, dedupe_key)` is unique. The key is the Message-ID (hashed, it may be
long) or, for a message without one, the sha256 of its raw bytes, so a message fetched again after a
crash between the commit and the IMAP flag finds its row instead of making a second deal.
"Nothing lost": the raw message is kept in the row (`raw`, loaded only when asked for), committed in
the same transaction as the deal or activity it became.
"""
from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base, utcnow

CREATED_DEAL = "created_deal"
ACTIVITY = "activity"
DUPLICATE = "duplicate"
IGNORED_AUTOMATIC = "ignored_automatic"
FAILED = "failed"
QUARANTINED = "quarantined"
OUTCOMES = (CREATED_DEAL, ACTIVITY, DUPLICATE, IGNORED_AUTOMATIC, FAILED, QUARANTINED)
#: Outcomes an administrator may retry from the log (after the rules were fixed).
RETRYABLE = (FAILED, QUARANTINED)


class MailIntakeEntry(Base):
    __tablename__ = "mail_intake_log"
    __table_args__ = (
        sa.UniqueConstraint("mailbox", "dedupe_key", name="uq_mail_intake_log_mailbox_key"),
        sa.Index("ix_mail_intake_log_created", "created_at"),
        sa.Index("ix_mail_intake_log_outcome", "outcome", "created_at"),
        sa.Index("ix_mail_intake_log_record", "record_type", "record_id"),
        # The highest UID read from a mailbox folder (where the next poll starts), and the rows whose
        # message was committed but not flagged yet.
        sa.Index("ix_mail_intake_log_uid", "mailbox", "uidvalidity", "uid"),
        sa.Index("ix_mail_intake_log_message_id", "message_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    mailbox: Mapped[str] = mapped_column(sa.String(100))  # the setting key: mail-inbox-crm, ...
    folder: Mapped[str | None] = mapped_column(sa.String(300))
    uid: Mapped[int | None] = mapped_column(sa.BigInteger)
    uidvalidity: Mapped[int | None] = mapped_column(sa.BigInteger)
    dedupe_key: Mapped[str] = mapped_column(sa.String(80))
    message_id: Mapped[str | None] = mapped_column(sa.String(998))
    content_hash: Mapped[str] = mapped_column(sa.String(64))
    sender: Mapped[str] = mapped_column(sa.String(500), default="")
    subject: Mapped[str] = mapped_column(sa.String(1000), default="")
    received_at: Mapped[datetime | None] = mapped_column()
    outcome: Mapped[str] = mapped_column(sa.String(32))
    reason: Mapped[str] = mapped_column(sa.Text, default="")
    # What the message became: a deal (created_deal) or the deal an activity was added to.
    record_type: Mapped[str | None] = mapped_column(sa.String(50))
    record_id: Mapped[int | None] = mapped_column(sa.Integer)
    activity_id: Mapped[int | None] = mapped_column(sa.Integer)
    raw_size: Mapped[int] = mapped_column(sa.Integer, default=0)
    raw: Mapped[bytes] = mapped_column(sa.LargeBinary, deferred=True)
    attempts: Mapped[int] = mapped_column(sa.Integer, default=1)
    # Set once the IMAP flag (\Seen or \Deleted) is stored; NULL rows are flagged by the next poll.
    flagged_at: Mapped[datetime | None] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    @property
    def is_retryable(self) -> bool:
        return self.outcome in RETRYABLE
