"""Mailbox addresses (`imaps://host[:port][/folder]?username=…&password=…`) and the IMAP client calls.

A mailbox setting holds `disabled` or an IMAP URL: `imaps://` (TLS, port 993 by default) or `imap://`
(plaintext, port 143), an optional port and folder (default INBOX) and URL-encoded query values:
`username`, `password` (required), `delete` (true: set \\Deleted and expunge after processing; false,
the default: set \\Seen), `unseen` (true: read only unread mail; default false) and `delay` (how often
to poll, in milliseconds; default 60000, at least 1000). `parse_mailbox_url` explains every mistake in
words; `mask_mailbox_url` hides the password (pages, API, logs); `MailboxUrl` never shows its password
in a repr.

The client calls (imapclient, UID-based) translate network, TLS, login and folder failures into
`MailboxError` with a sentence an administrator can act on. Messages are fetched with BODY.PEEK[], so
fetching sets no flag: a message is flagged only by `flag_messages`, after the intake committed it.
"""
from __future__ import annotations

import re
import socket
import ssl
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any
from urllib.parse import parse_qsl, quote, unquote, urlsplit

from flask_babel import gettext as _
from imapclient import IMAPClient
from imapclient.exceptions import IMAPClientError, LoginError

DISABLED = "disabled"
PASSWORD_MASK = "********"
DEFAULT_PORTS = {"imaps": 993, "imap": 143}
DEFAULT_FOLDER = "INBOX"
DEFAULT_DELAY_MS = 60_000
MIN_DELAY_MS = 1_000
MAX_DELAY_MS = 24 * 3600 * 1000
#: Seconds to wait for the server (connect and each reply).
TIMEOUT = 30.0
PARAMETERS = ("username", "password", "delete", "unseen", "delay")
_BOOLEANS = {"true": True, "1": True, "yes": True, "false": False, "0": False, "no": False}
# `password=<anything up to & or #>`, and `user:password@` in the authority, in any string.
_QUERY_PASSWORD = re.compile(r"(?i)(password=)[^&#\s]*")
_USERINFO_PASSWORD = re.compile(r"(?i)(imaps?://[^/@:\s]*:)[^@/\s]*@")


class MailboxUrlError(ValueError):
    """The mailbox address is not valid; `str(e)` says why, in the user's language."""


class MailboxError(Exception):
    """The IMAP server could not be used (network, TLS, login, folder); `str(e)` says what happened."""


@dataclass(frozen=True)
class MailboxUrl:
    scheme: str
    host: str
    port: int
    folder: str
    username: str
    password: str = field(repr=False)
    delete: bool = False
    unseen: bool = False
    delay_ms: int = DEFAULT_DELAY_MS

    @property
    def use_ssl(self) -> bool:
        return self.scheme == "imaps"

    @property
    def display(self) -> str:
        """The address without the password (for messages and logs)."""
        return f"{self.scheme}://{self.host}:{self.port}/{self.folder} ({self.username})"

    def same_account(self, other: "MailboxUrl") -> bool:
        return (self.scheme, self.host.lower(), self.port, self.username) == \
            (other.scheme, other.host.lower(), other.port, other.username)


def is_disabled(value: str) -> bool:
    return value.strip().lower() in ("", DISABLED)


def parse_mailbox_url(value: str) -> MailboxUrl | None:
    """The mailbox of a setting value, None for `disabled` (or empty). Raises MailboxUrlError."""
    value = value.strip()
    if is_disabled(value):
        return None
    try:
        parts = urlsplit(value)
        port = parts.port
    except ValueError as e:
        raise MailboxUrlError(_("The port must be a number from 1 to 65535.")) from e
    scheme = parts.scheme.lower()
    if scheme not in DEFAULT_PORTS:
        raise MailboxUrlError(_("Write `disabled` or an address that starts with imaps:// (TLS) or imap:// "
                                "(plaintext), e.g. imaps://imap.example.org?username=…&password=…"))
    if "@" in parts.netloc:
        raise MailboxUrlError(_("Give the username and the password as ?username=…&password=… after the "
                                "server name, not before it."))
    host = parts.hostname or ""
    if not host:
        raise MailboxUrlError(_("The server name is missing (imaps://imap.example.org…)."))
    if port == 0:
        raise MailboxUrlError(_("The port must be a number from 1 to 65535."))
    folder = unquote(parts.path.lstrip("/")) or DEFAULT_FOLDER
    query: dict[str, str] = {}
    for name, item in parse_qsl(parts.query, keep_blank_values=True):
        if name not in PARAMETERS:
            raise MailboxUrlError(_("Unknown parameter “%(name)s”: use %(known)s.", name=name,
                                    known=", ".join(PARAMETERS)))
        if name in query:
            raise MailboxUrlError(_("The parameter “%(name)s” is given twice.", name=name))
        query[name] = item
    username, password = query.get("username", ""), query.get("password", "")
    if not username:
        raise MailboxUrlError(_("The username is missing (?username=sales@example.org)."))
    if not password:
        raise MailboxUrlError(_("The password is missing (&password=…; URL-encode special characters)."))
    return MailboxUrl(scheme=scheme, host=host, port=port or DEFAULT_PORTS[scheme], folder=folder,
                      username=username, password=password, delete=_boolean(query, "delete", False),
                      unseen=_boolean(query, "unseen", False), delay_ms=_delay(query))


def _boolean(query: dict[str, str], name: str, default: bool) -> bool:
    raw = query.get(name)
    if raw is None or raw == "":
        return default
    if raw.lower() not in _BOOLEANS:
        raise MailboxUrlError(_("%(name)s must be true or false, not “%(value)s”.", name=name, value=raw))
    return _BOOLEANS[raw.lower()]


def _delay(query: dict[str, str]) -> int:
    raw = query.get("delay")
    if raw is None or raw == "":
        return DEFAULT_DELAY_MS
    if not raw.isdigit() or not MIN_DELAY_MS <= int(raw) <= MAX_DELAY_MS:
        raise MailboxUrlError(_("delay is how often to check, in milliseconds: a whole number from %(min)s to "
                                "%(max)s, not “%(value)s”.", min=MIN_DELAY_MS, max=MAX_DELAY_MS, value=raw))
    return int(raw)


def mask_mailbox_url(value: str) -> str:
    """`value` with every password replaced by the mask (works on malformed values too)."""
    masked = _QUERY_PASSWORD.sub(lambda m: m.group(1) + PASSWORD_MASK, value)
    return _USERINFO_PASSWORD.sub(lambda m: m.group(1) + PASSWORD_MASK + "@", masked)


def validate_mailbox_url(value: str) -> str | None:
    if not value.strip():
        return _("Write `disabled` or the mailbox's address (imaps://…).")
    try:
        parse_mailbox_url(value)
    except MailboxUrlError as e:
        return str(e)
    return None


def keep_password(new: str, old: str) -> str:
    """`new` with the masked password replaced by the one stored in `old`.

    Only for the same account (scheme, server, port and user): sending the stored password to another
    server would give it away, so a changed account needs the password typed again.
    Raises MailboxUrlError (shown as the field error) when it cannot be kept.
    """
    if PASSWORD_MASK not in new:
        return new
    try:
        new_url = parse_mailbox_url(new)
        old_url = parse_mailbox_url(old)
    except MailboxUrlError:
        new_url = old_url = None
    if new_url is None or old_url is None or new_url.password != PASSWORD_MASK \
            or not new_url.same_account(old_url):
        raise MailboxUrlError(_("Type the password again: the server or the user changed, so the stored "
                                "password is not reused."))
    return _QUERY_PASSWORD.sub(lambda m: m.group(1) + quote(old_url.password, safe=""), new)


# ------------------------------------------------------------------------------ the IMAP client


@dataclass(frozen=True)
class FetchedMessage:
    uid: int
    raw: bytes
    internal_date: datetime | None


@contextmanager
def open_mailbox(mailbox: MailboxUrl, timeout: float = TIMEOUT, readonly: bool = False) -> Iterator[IMAPClient]:
    """Connect, log in and select the folder; log out at the end. Raises MailboxError in words."""
    client = connect(mailbox, timeout)
    try:
        select_folder(client, mailbox, readonly=readonly)
        yield client
    finally:
        close(client)


def close(client: IMAPClient) -> None:
    """Log out (a connection that is gone already is simply dropped)."""
    try:
        client.logout()
    except (IMAPClientError, OSError):
        _close(client)


def connect(mailbox: MailboxUrl, timeout: float = TIMEOUT) -> IMAPClient:
    """An IMAP connection, logged in. Raises MailboxError."""
    where = f"{mailbox.host}:{mailbox.port}"
    try:
        client = IMAPClient(mailbox.host, port=mailbox.port, ssl=mailbox.use_ssl, timeout=timeout)
    except socket.gaierror as e:
        raise MailboxError(_("The server %(host)s was not found (check its name).", host=mailbox.host)) from e
    except ConnectionRefusedError as e:
        raise MailboxError(_("%(where)s refused the connection: check the port, and imaps:// (TLS) against "
                             "imap:// (plaintext).", where=where)) from e
    except (socket.timeout, TimeoutError) as e:
        raise MailboxError(_("%(where)s did not answer within %(n)s seconds.", where=where, n=int(timeout))) from e
    except ssl.SSLError as e:
        raise MailboxError(_("The TLS handshake with %(where)s failed (%(reason)s): if the server speaks "
                             "plaintext on this port, use imap://.", where=where, reason=e.reason or e)) from e
    except (IMAPClientError, OSError) as e:
        raise MailboxError(_("Could not connect to %(where)s: %(reason)s", where=where, reason=e)) from e
    client.normalise_times = False
    try:
        client.login(mailbox.username, mailbox.password)
    except LoginError as e:
        _close(client)
        raise MailboxError(_("The server refused the login of %(user)s: wrong username or password (%(reason)s).",
                             user=mailbox.username, reason=_server_text(e))) from e
    except (IMAPClientError, OSError) as e:
        _close(client)
        raise MailboxError(_("Logging in to %(where)s failed: %(reason)s", where=where, reason=e)) from e
    return client


def select_folder(client: IMAPClient, mailbox: MailboxUrl, readonly: bool = False) -> dict[bytes, Any]:
    try:
        result: dict[bytes, Any] = client.select_folder(mailbox.folder, readonly=readonly)
    except IMAPClientError as e:
        raise MailboxError(_("The folder “%(folder)s” cannot be opened (%(reason)s): check its name; "
                             "subfolders are separated by the server's separator, e.g. INBOX.Sales.",
                             folder=mailbox.folder, reason=_server_text(e))) from e
    return result


def _server_text(error: Exception) -> str:
    text = str(error)
    return text[2:-1] if text.startswith(("b'", 'b"')) else text


def _close(client: IMAPClient) -> None:
    try:
        client.shutdown()
    except (IMAPClientError, OSError):
        pass  # closing a connection that failed: nothing left to do


def check_connection(mailbox: MailboxUrl, timeout: float = 15.0) -> str:
    """Log in and open the folder read-only; a sentence with what was found. Raises MailboxError."""
    with open_mailbox(mailbox, timeout=timeout, readonly=True) as client:
        try:
            unseen = len(client.search(["UNSEEN"]))
            total = len(client.search(["ALL"]))
        except IMAPClientError as e:
            raise MailboxError(_("The folder opened, but searching it failed: %(reason)s",
                                 reason=_server_text(e))) from e
    return _("Connected to %(where)s as %(user)s: the folder “%(folder)s” has %(total)s messages, "
             "%(unseen)s unread.", where=f"{mailbox.host}:{mailbox.port}", user=mailbox.username,
             folder=mailbox.folder, total=total, unseen=unseen)


def uid_validity(select_result: dict[bytes, Any]) -> int | None:
    value = select_result.get(b"UIDVALIDITY")
    return int(value) if value is not None else None


def search_uids(client: IMAPClient, unseen: bool, after_uid: int | None = None) -> list[int]:
    """UIDs to read, ascending: not deleted, unread only with `unseen`, above `after_uid` when given."""
    criteria: list[Any] = ["UNDELETED"]
    if unseen:
        criteria.append("UNSEEN")
    if after_uid:
        criteria += ["UID", f"{after_uid + 1}:*"]
    uids = sorted(int(u) for u in client.search(criteria))
    # `n:*` always matches the last message, even when its UID is below n.
    return [u for u in uids if not after_uid or u > after_uid]


def fetch_messages(client: IMAPClient, uids: Sequence[int]) -> list[FetchedMessage]:
    """The raw messages of `uids` (BODY.PEEK[]: no flag changes), in UID order; vanished ones are left out."""
    if not uids:
        return []
    data = client.fetch(list(uids), ["BODY.PEEK[]", "INTERNALDATE"])
    messages = []
    for uid in sorted(data):
        item = data[uid]
        raw = item.get(b"BODY[]")
        if raw is None:
            continue
        internal = item.get(b"INTERNALDATE")
        if isinstance(internal, datetime) and internal.tzinfo is None:
            internal = internal.replace(tzinfo=timezone.utc)
        messages.append(FetchedMessage(uid=int(uid), raw=bytes(raw), internal_date=internal))
    return messages


def flag_messages(client: IMAPClient, uids: Sequence[int], delete: bool) -> None:
    """Mark processed messages: \\Seen, or \\Deleted and expunged (only these UIDs where UIDPLUS allows)."""
    if not uids:
        return
    uids = list(uids)
    if not delete:
        client.add_flags(uids, [b"\\Seen"], silent=True)
        return
    client.add_flags(uids, [b"\\Seen", b"\\Deleted"], silent=True)
    if client.has_capability("UIDPLUS"):
        client.uid_expunge(uids)
    else:
        client.expunge()
