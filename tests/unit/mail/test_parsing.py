"""parse_message over the tests/data/mail corpus (expectations in EXPECTED.json) and on hostile input."""
from __future__ import annotations

import json
import random
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest

from app.mail import form_fields
from app.mail.parsing import (AUTOMATIC_REASONS, UNPARSABLE_REASONS, ParsedMessage, UnparsableMessage, decode_bytes,
                              parse_message, sanitize_filename)
from app.mail.sanitize import html_to_text, sanitize_html

CORPUS = Path(__file__).resolve().parents[2] / "data" / "mail"
EXPECTED: dict[str, dict[str, Any]] = json.loads((CORPUS / "EXPECTED.json").read_text(encoding="utf-8"))


def outcome(parsed: ParsedMessage) -> str:
    """The class the intake gives a message before it looks anything up in the database."""
    if parsed.is_automatic:
        return "automatic"
    if form_fields.deal_reference(parsed.subject) is not None:
        return "activity"
    if parsed.in_reply_to or parsed.references:
        return "reply"
    return "deal"


def test_corpus_is_complete_and_varied():
    files = sorted(p.name for p in CORPUS.glob("*.eml"))
    assert len(files) >= 30
    assert files == sorted(EXPECTED), "every .eml needs an entry in EXPECTED.json and vice versa"
    outcomes = {e["outcome"] for e in EXPECTED.values()}
    assert outcomes == {"deal", "activity", "reply", "automatic", "unparsable"}


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_corpus_message(name: str):
    expected = EXPECTED[name]
    raw = (CORPUS / name).read_bytes()
    if expected["outcome"] == "unparsable":
        with pytest.raises(UnparsableMessage) as e:
            parse_message(raw)
        assert e.value.reason == expected["reason"]
        return
    parsed = parse_message(raw)
    assert outcome(parsed) == expected["outcome"]
    assert parsed.automatic_reason == expected.get("reason")
    assert form_fields.deal_reference(parsed.subject) == expected.get("deal_number")
    assert parsed.in_reply_to == expected.get("in_reply_to")
    assert parsed.message_id == expected["message_id"]
    assert parsed.from_address == expected["from"]
    assert parsed.from_name == expected.get("from_name", "")
    assert parsed.subject == expected["subject"]
    assert parsed.date is not None and parsed.date.tzinfo is not None
    assert parsed.date == datetime.fromisoformat(expected["date"])
    assert form_fields.request_category(parsed.subject) == expected["category"]
    assert parsed.is_form == expected["form"]
    for key, value in expected["fields"].items():
        assert parsed.form_fields.get(key) == value, key
    assert set(parsed.form_fields) >= set(expected["fields"])
    assert [[a.filename, a.content_type] for a in parsed.attachments] == expected["attachments"]
    assert all(a.content for a in parsed.attachments)
    assert bool(parsed.html) == expected["html"]
    if "references" in expected:
        assert parsed.references == expected["references"]
    if "text" in expected:
        assert parsed.text == expected["text"]
    for needle in expected.get("text_contains", []):
        assert needle in parsed.text
    for needle in expected.get("text_excludes", []):
        assert needle not in parsed.text
    for needle in expected.get("html_contains", []):
        assert needle in parsed.html
    for needle in expected.get("html_excludes", []):
        assert needle.lower() not in parsed.html.lower()
    # Everything the intake stores must be valid Unicode without NULs (PostgreSQL refuses both).
    for value in (parsed.text, parsed.html, parsed.subject, parsed.from_name,
                  *(a.filename for a in parsed.attachments), *map(str, parsed.form_fields.values())):
        value.encode("utf-8")
        assert "\x00" not in value


def test_attachment_bytes_are_decoded():
    parsed = parse_message((CORPUS / "08_form_en_with_attachment.eml").read_bytes())
    (name, content_type, content), = parsed.attachments  # an Attachment unpacks as a 3-tuple
    assert (name, content_type) == ("requirements.pdf", "application/pdf")
    assert content.startswith(b"%PDF-1.4") and content.endswith(b"%%EOF\n")


def test_forwarded_message_brings_its_form_and_stays_identifiable():
    parsed = parse_message((CORPUS / "10_forwarded_form_rfc822.eml").read_bytes())
    assert parsed.form_fields["company"] == "ООО Пересылка"
    assert parsed.message_id == "<fwd-0010@example.org>"  # the outer message, not the forwarded one
    assert not parsed.is_automatic


def test_no_reply_sender_is_automatic_unless_the_body_is_a_form():
    base = ("From: noreply@example.ru\nTo: sales@example.org\nSubject: x\nMessage-ID: <a@b>\n"
            "Content-Type: text/plain; charset=utf-8\n\n")
    assert parse_message((base + "Your password was changed.\n").encode()).automatic_reason == "no_reply"
    form = parse_message((base + "Компания: ООО А\nТелефон: 123\n").encode())
    assert not form.is_automatic and form.is_form
    # An auto-reply stays automatic even when it quotes a form.
    reply = parse_message(("Auto-Submitted: auto-replied\n" + base + "Компания: ООО А\nТелефон: 123\n").encode())
    assert reply.automatic_reason == "auto_submitted"


@pytest.mark.parametrize("header, reason", [
    ("Auto-Submitted: auto-generated", "auto_submitted"),
    ("Auto-Submitted: no", None),
    ("Precedence: junk", "precedence"),
    ("Precedence: first-class", None),
    ("List-Id: <crm.lists.example.org>", "mailing_list"),
    ("X-Autorespond: yes", "autoreply_header"),
    ("X-Failed-Recipients: someone@example.com", "delivery_report"),
    ("From: Mail Delivery Subsystem <MAILER-DAEMON>", "mailer_daemon"),
    ("Subject: Out of Office: back on Monday", "autoreply_subject"),
    ("Subject: Automatic reply: your request", "autoreply_subject"),
    ("Subject: Автоответ", "autoreply_subject"),
    ("Subject: Re: автоответ не работает", None),  # a person writing about auto-replies
])
def test_automatic_headers(header: str, reason: str | None):
    raw = f"{header}\nFrom: person@example.com\nSubject: hi\n\nHello\n".encode()
    assert parse_message(raw).automatic_reason == reason


def test_every_reason_has_a_message():
    assert {"no_reply", "auto_submitted", "mailing_list", "precedence", "delivery_report", "mailer_daemon",
            "autoreply_header", "autoreply_subject"} == set(AUTOMATIC_REASONS)
    assert set(UNPARSABLE_REASONS) == {"empty", "no_headers"}
    assert str(UnparsableMessage("empty")) == "The message is empty."


@pytest.mark.parametrize("raw", [b"", b"   \r\n\r\n", b"\x00\x00\x00", b"no headers here at all\n"])
def test_non_mail_is_unparsable(raw: bytes):
    with pytest.raises(UnparsableMessage):
        parse_message(raw)


def test_mutated_corpus_never_raises_anything_else():
    """Truncations, flipped bytes and dropped lines of every message: a result or UnparsableMessage, never a crash."""
    rng = random.Random(20261201)
    count = 0
    for path in sorted(CORPUS.glob("*.eml")):
        raw = path.read_bytes()[:20000]
        variants = [raw[: len(raw) // 2], raw[: len(raw) // 3], raw.replace(b"\n\n", b"\n", 1),
                    raw.replace(b"boundary=", b"boundery=")]
        for _ in range(4):
            data = bytearray(raw)
            for _ in range(max(1, len(data) // 50)):
                if data:
                    data[rng.randrange(len(data))] = rng.randrange(256)
            variants.append(bytes(data))
        for variant in variants:
            count += 1
            try:
                parsed = parse_message(variant)
            except UnparsableMessage:
                continue
            assert isinstance(parsed.text, str) and isinstance(parsed.subject, str)
            (parsed.text + parsed.subject + parsed.html + parsed.from_name).encode("utf-8")
    assert count >= 300


def test_missing_date_and_naive_date():
    assert parse_message(b"From: a@example.com\nSubject: s\n\nx").date is None
    naive = parse_message(b"From: a@example.com\nDate: Mon, 01 Dec 2026 10:00:00 -0000\n\nx").date
    assert naive == datetime(2026, 12, 1, 10, 0, tzinfo=timezone.utc)
    assert parse_message(b"From: a@example.com\nDate: yesterday-ish\n\nx").date is None


def test_message_ids_are_normalized():
    parsed = parse_message(b"From: a@example.com\nMessage-ID: bare-id@example.com\n"
                           b"In-Reply-To: Your message of Monday <x1@example.com>\n"
                           b"References: <r1@example.com>\n\t<r2@example.com>\n\nx")
    assert parsed.message_id == "<bare-id@example.com>"
    assert parsed.in_reply_to == "<x1@example.com>"
    assert parsed.references == ["<r1@example.com>", "<r2@example.com>"]


def test_labels_argument_replaces_the_defaults():
    raw = "From: a@example.com\nContent-Type: text/plain; charset=utf-8\n\nФирма: Альфа\nТелефон: 1\n".encode()
    assert parse_message(raw).form_fields == {"phone": "1"}
    labels = {**form_fields.default_labels(), "фирма": "company"}
    assert parse_message(raw, labels=labels).form_fields == {"company": "Альфа", "phone": "1"}


# --------------------------------------------------------------------------- charsets

RUSSIAN = "Добрый день! Просим выставить счёт на 20 лицензий. Компания ООО \"Ромашка\"."


@pytest.mark.parametrize("codec", ["cp1251", "koi8_r", "utf-8"])
@pytest.mark.parametrize("declared", [None, "x-unknown", "us-ascii", "iso-8859-1"])
def test_undeclared_or_wrong_charset_is_guessed(codec: str, declared: str | None):
    assert decode_bytes(RUSSIAN.encode(codec), declared) == RUSSIAN


@pytest.mark.parametrize("actual, declared", [("cp1251", "koi8-r"), ("koi8_r", "windows-1251")])
def test_declared_cyrillic_table_that_is_wrong_is_corrected(actual: str, declared: str):
    assert decode_bytes(RUSSIAN.encode(actual), declared) == RUSSIAN


def test_western_text_is_not_read_as_cyrillic():
    text = "Grüße aus München, schöne Straße. Ça va très bien."
    assert decode_bytes(text.encode("latin-1"), "iso-8859-1") == text
    assert decode_bytes(text.encode("cp1252"), None) == text


def test_utf8_with_a_cut_character_stays_utf8():
    data = RUSSIAN.encode("utf-8")[:-3]  # "а\"." cut in the middle of a character
    assert decode_bytes(data).startswith(RUSSIAN[:-3])


# --------------------------------------------------------------------------- sanitizing

def test_sanitize_keeps_inline_images_and_safe_links_only():
    html = ('<p>x</p><img src="data:image/png;base64,iVBORw0KGgo=" alt="i"><img src="HTTPS://e.example/a.png">'
            '<img src="data:text/html;base64,PHNjcmlwdD4="><a href="data:text/html,hi">d</a>'
            '<a href="mailto:a@example.com">m</a><a href="vbscript:x">v</a><a href="/relative">r</a>')
    clean = sanitize_html(html)
    assert '<img src="data:image/png;base64,iVBORw0KGgo=" alt="i">' in clean
    assert "e.example" not in clean and "data:text" not in clean and "vbscript" not in clean
    assert "/relative" not in clean
    assert '<a href="mailto:a@example.com" target="_blank" rel="noopener noreferrer">m</a>' in clean


def test_html_to_text_reads_tables_and_skips_scripts():
    text = html_to_text("<table><tr><td>Компания:</td><td>Альфа</td></tr>\n<tr><td>Телефон</td>  <td>1</td></tr>"
                        "</table><script>var x = 1;</script><style>p {}</style><p>Hello&nbsp;<b>world</b></p>"
                        "<p>Second<br>line</p><ul><li>a</li><li>b</li></ul>tail")
    assert text == "Компания: Альфа\nТелефон\t1\n\nHello world\n\nSecond\nline\n\n- a\n- b\ntail"
    # A form table without colons still gives its fields.
    assert form_fields.extract_form_fields(text, form_fields.default_labels()) == {"company": "Альфа", "phone": "1"}


@pytest.mark.parametrize("name, expected", [
    ("../../etc/passwd", "passwd"),
    ("C:\\Users\\x\\report.pdf", "report.pdf"),
    ("..hidden", "hidden"),
    ('a<b>:"c|?*.txt', "a_b___c___.txt"),
    ("", "attachment-1.pdf"),
    (None, "attachment-1.pdf"),
    ("я" * 200 + ".docx", "я" * 125 + ".docx"),  # 255 bytes of UTF-8
])
def test_sanitize_filename(name: str | None, expected: str):
    assert sanitize_filename(name, "application/pdf") == expected


@pytest.mark.parametrize("raw", [
    # A NUL inside a charset name (codecs.lookup raises ValueError, not LookupError).
    b"From: a@example.com\nSubject: =?utf-8?b?0JfQsNGP\x00gC0LDRhtC4?=\n =?utf-8\x00?b?0Y4=?=\n"
    b"Content-Type: text/plain; charset=\"koi\x008\"\n\nhello\xe9",
    # A NUL inside a delivery-status block.
    b"From: MAILER-DAEMON@example.org\nContent-Type: multipart/report; boundary=R\n\n--R\n"
    b"Content-Type: message/delivery-status\n\nReporting-MTA: dns; mx\x00.example.org\n\nAction: failed\n--R--\n",
])
def test_nul_bytes_never_reach_the_result(raw: bytes):
    parsed = parse_message(raw)
    assert "\x00" not in parsed.text + parsed.subject + parsed.html
