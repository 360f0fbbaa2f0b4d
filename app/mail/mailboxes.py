"""The settings mail intake reads: the two mailboxes and the attachment size limit.

`mail-inbox-crm`: new requests (a deal per message; replies go to their deal as activities).
`mail-inbox-activity`: messages about existing deals (an Email activity on the deal they name).
Each holds `disabled` or an IMAP URL (see `app.mail.imap`). Read at every poll: a change applies at
the next poll without a restart.
"""
from __future__ import annotations

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from app.errors import InvalidInput
from app.mail import imap
from app.settings import services as settings
from app.settings.services import SettingCheckFailed, SettingSpec

INBOX_CRM = "mail-inbox-crm"
INBOX_ACTIVITY = "mail-inbox-activity"
MAILBOXES = (INBOX_CRM, INBOX_ACTIVITY)
MAX_ATTACHMENT_BYTES = "mail-max-attachment-bytes"
DEFAULT_MAX_ATTACHMENT_BYTES = 10 * 1024 * 1024


def _keep_password(new: str, old: str) -> str:
    try:
        return imap.keep_password(new, old)
    except imap.MailboxUrlError as e:
        raise InvalidInput(fields={"value": str(e)}) from e


def _validate_size(value: str) -> str | None:
    if not value.isdigit() or not 0 < int(value) <= 2**31 - 1:
        return _("Enter the largest attachment size to keep, in bytes (a whole number above 0).")
    return None


def check_mailbox(value: str) -> str:
    """"Check connection": log in and open the folder; what was found, or SettingCheckFailed in words."""
    try:
        mailbox = imap.parse_mailbox_url(value)
    except imap.MailboxUrlError as e:
        raise SettingCheckFailed(str(e)) from e
    if mailbox is None:
        raise SettingCheckFailed(_("The mailbox is disabled: there is nothing to check."))
    try:
        return imap.check_connection(mailbox)
    except imap.MailboxError as e:
        raise SettingCheckFailed(str(e)) from e


def _mailbox_spec(key: str, description: object) -> SettingSpec:
    return SettingSpec(key=key, default=imap.DISABLED, description=description,
                       validate=imap.validate_mailbox_url, mask=imap.mask_mailbox_url, keep_secret=_keep_password,
                       check=check_mailbox)


SETTINGS = (
    _mailbox_spec(INBOX_CRM, _l(
        "Mailbox of new requests: each message becomes a deal (replies are added to their deal). `disabled` or "
        "imaps://host[:port][/folder]?username=…&password=…&delete=false&unseen=false&delay=60000")),
    _mailbox_spec(INBOX_ACTIVITY, _l(
        "Mailbox of messages about existing deals (the deal number in the subject, e.g. [D-123], or a reply): "
        "each becomes an Email activity on its deal. `disabled` or an IMAP address like mail-inbox-crm.")),
    SettingSpec(key=MAX_ATTACHMENT_BYTES, default=str(DEFAULT_MAX_ATTACHMENT_BYTES), description=_l(
        "Attachments larger than this many bytes are not stored (a note says so); the message is kept whole."),
        validate=_validate_size),
)


def get_mailbox(key: str) -> imap.MailboxUrl | None:
    """The mailbox of a setting now, or None when it is disabled. Raises MailboxUrlError (a bad value)."""
    return imap.parse_mailbox_url(settings.get_setting(key))


def max_attachment_bytes() -> int:
    value = settings.get_setting(MAX_ATTACHMENT_BYTES)
    return int(value) if value.isdigit() else DEFAULT_MAX_ATTACHMENT_BYTES
