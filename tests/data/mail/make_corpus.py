"""Writes the .eml corpus of tests/data/mail (run once; the files are committed, this shows how they were made).

Every message here was written for these tests: invented people, companies and reserved example domains.
Non-UTF-8 and transfer-encoded bodies are produced with the codecs, so the bytes on disk are exact.
Usage: python tests/data/mail/make_corpus.py
"""
from __future__ import annotations

import base64
import quopri
from email.header import Header
from pathlib import Path

HERE = Path(__file__).resolve().parent


def b64(data: bytes) -> bytes:
    return base64.encodebytes(data)


def qp(data: bytes) -> bytes:
    return quopri.encodestring(data)


def enc_header(text: str, charset: str = "utf-8") -> str:
    return Header(text, charset).encode()


def headers(*lines: str) -> bytes:
    return ("\n".join(lines) + "\n").encode("ascii")


FORM_RU = """Новая заявка с сайта example.ru

Компания: ООО «Ромашка»
ФИО: Петров Пётр Петрович
Должность: ИТ-директор
Отдел: ИТ
Телефон: +7 (495) 123-45-67
E-mail: petrov@romashka.example.ru
Количество пользователей: 120
Комментарий: Хотим узнать стоимость внедрения.
Страница: https://example.ru/price
"""

FORM_EN = """New request from the website

Company: Acme Widgets Ltd
Name: Jane Doe
Position: Head of Sales
Department: Sales
Phone: +44 20 7946 0000
Email: jane.doe@acme.example.com
Number of users: 35
Comment: Please send a quote for 35 users.
Page: https://example.com/contact
"""

M: dict[str, bytes] = {}

M["01_form_ru_utf8_qp.eml"] = headers(
    "From: " + enc_header("Сайт example.ru") + " <noreply@example.ru>",
    "To: sales@example.org",
    "Subject: " + enc_header("Заявка: запрос стоимости"),
    "Date: Mon, 01 Dec 2026 10:15:00 +0300",
    "Message-ID: <form-0001@example.ru>",
    "MIME-Version: 1.0",
    "Content-Type: text/plain; charset=utf-8",
    "Content-Transfer-Encoding: quoted-printable",
) + b"\n" + qp(FORM_RU.encode("utf-8"))

M["02_form_ru_cp1251_8bit.eml"] = headers(
    "From: =?windows-1251?B?" + base64.b64encode("Форма на сайте".encode("cp1251")).decode() + "?= <forms@example.ru>",
    "To: sales@example.org",
    "Subject: =?windows-1251?Q?" + "".join(f"={b:02X}" for b in "Демонстрация".encode("cp1251")) + "?=",
    "Date: Tue, 02 Dec 2026 09:00:00 +0300",
    "Message-ID: <form-0002@example.ru>",
    "MIME-Version: 1.0",
    "Content-Type: text/plain; charset=windows-1251",
    "Content-Transfer-Encoding: 8bit",
) + b"\n" + FORM_RU.replace("ООО «Ромашка»", "АО Лютик").replace("120", "15").replace(
    "petrov@romashka", "info@lyutik").encode("cp1251")

M["03_form_ru_koi8r_base64.eml"] = headers(
    "From: forms@example.ru",
    "To: sales@example.org",
    "Subject: =?koi8-r?B?" + base64.b64encode("Демо-доступ к системе".encode("koi8_r")).decode() + "?=",
    "Date: Wed, 03 Dec 2026 11:30:00 +0300",
    "Message-ID: <form-0003@example.ru>",
    "MIME-Version: 1.0",
    "Content-Type: text/plain; charset=koi8-r",
    "Content-Transfer-Encoding: base64",
) + b"\n" + b64(FORM_RU.replace("ООО «Ромашка»", "ИП Васильков").replace("120", "3").encode("koi8_r"))

M["04_form_en_plain.eml"] = headers(
    "From: Website <website@example.com>",
    "To: sales@example.org",
    "Subject: Price request from example.com",
    "Date: Thu, 04 Dec 2026 08:00:00 +0000",
    "Message-ID: <form-0004@example.com>",
    "MIME-Version: 1.0",
    "Content-Type: text/plain; charset=us-ascii",
    "Content-Transfer-Encoding: 7bit",
) + b"\n" + FORM_EN.encode("ascii")

HTML_FORM = """<html><head><title>Заявка</title><style>td {{ color: red }}</style></head><body>
<h2>Новая заявка</h2>
<table>
<tr><td><b>Компания:</b></td><td>ООО Вектор</td></tr>
<tr><td><b>ФИО:</b></td><td>Сидорова Анна</td></tr>
<tr><td><b>Телефон:</b></td><td>+7 812 555-01-02</td></tr>
<tr><td><b>E-mail:</b></td><td><a href="mailto:anna@vector.example.ru">anna@vector.example.ru</a></td></tr>
<tr><td><b>Количество пользователей:</b></td><td>около 40</td></tr>
<tr><td><b>Комментарий:</b></td><td>Нужна консультация по&nbsp;лицензиям</td></tr>
</table>
{extra}
</body></html>
"""

M["05_form_ru_html_only.eml"] = headers(
    "From: Tilda Forms <no-reply@forms.example.net>",
    "To: sales@example.org",
    "Subject: " + enc_header("Консультация: новая заявка"),
    "Date: Fri, 05 Dec 2026 12:00:00 +0300",
    "Message-ID: <form-0005@forms.example.net>",
    "MIME-Version: 1.0",
    "Content-Type: text/html; charset=utf-8",
    "Content-Transfer-Encoding: base64",
) + b"\n" + b64(HTML_FORM.format(extra="").encode("utf-8"))

ALT_TEXT = FORM_EN.replace("Acme Widgets Ltd", "Globex Corporation").replace("Jane Doe", "Hank Scorpio").replace(
    "jane.doe@acme.example.com", "hank@globex.example.com").replace("35", "250")
ALT_HTML = "<p>" + ALT_TEXT.replace("\n", "<br>\n") + "</p>"
M["06_form_multipart_alternative.eml"] = headers(
    "From: Website <website@example.com>",
    "To: sales@example.org",
    "Subject: =?utf-8?q?Partnership_request_=E2=80=94_Globex?=",
    "Date: Sat, 06 Dec 2026 10:00:00 -0500",
    "Message-ID: <form-0006@example.com>",
    "MIME-Version: 1.0",
    'Content-Type: multipart/alternative; boundary="ALT-BOUNDARY"',
) + b"\n" + b"\n".join([
    b"This is a multi-part message in MIME format.",
    b"--ALT-BOUNDARY",
    b"Content-Type: text/plain; charset=utf-8",
    b"Content-Transfer-Encoding: base64",
    b"",
    b64(ALT_TEXT.encode("utf-8")),
    b"--ALT-BOUNDARY",
    b"Content-Type: text/html; charset=utf-8",
    b"Content-Transfer-Encoding: quoted-printable",
    b"",
    qp(ALT_HTML.encode("utf-8")),
    b"--ALT-BOUNDARY--",
    b"",
])

MULTILINE = """Заявка с формы «Запросить демонстрацию»

Компания: ЗАО Сигма
Контактное лицо: Кузнецов Алексей
Телефон: 8 900 111 22 33
Почта: a.kuznetsov@sigma.example.ru
Количество пользователей: 1 500
Комментарий: Добрый день!
Интересует демонстрация модуля продаж.

Удобное время — после 15:00.
Страница: https://example.ru/demo?utm_source=yandex
GA client id: 1234567890.1700000000
Яндекс Метрика: 1700000000123456789
utm_source: yandex
utm_medium: cpc
utm_campaign: crm_autumn
utm_content: banner_2
utm_term: crm система
--
Отправлено с сайта example.ru
"""
M["07_form_multiline_comment_utm.eml"] = (headers(
    "From: forms@example.ru",
    "To: sales@example.org",
    "Subject: " + enc_header("Запросить демонстрацию"),
    "Date: Sun, 07 Dec 2026 16:45:00 +0300",
    "Message-ID: <form-0007@example.ru>",
    "MIME-Version: 1.0",
    "Content-Type: text/plain; charset=utf-8",
    "Content-Transfer-Encoding: 8bit",
) + b"\n" + MULTILINE.encode("utf-8")).replace(b"\n", b"\r\n")

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
M["08_form_en_with_attachment.eml"] = headers(
    "From: Jane Doe <jane.doe@acme.example.com>",
    "To: sales@example.org",
    "Subject: Quote request with our requirements",
    "Date: Mon, 08 Dec 2026 09:10:00 +0000",
    "Message-ID: <mail-0008@acme.example.com>",
    "MIME-Version: 1.0",
    'Content-Type: multipart/mixed; boundary="MIX"',
) + b"\n" + b"\n".join([
    b"--MIX",
    b"Content-Type: text/plain; charset=utf-8",
    b"",
    b"Hello, please find our requirements attached.\n\nCompany: Acme Widgets Ltd\nPhone: +44 20 7946 0001\n",
    b"--MIX",
    b'Content-Type: application/pdf; name="requirements.pdf"',
    b'Content-Disposition: attachment; filename="requirements.pdf"',
    b"Content-Transfer-Encoding: base64",
    b"",
    b64(PDF),
    b"--MIX--",
    b"",
])

M["09_attachment_rfc2231_cyrillic_name.eml"] = headers(
    "From: =?utf-8?b?" + base64.b64encode("Ольга Смирнова".encode()).decode() + "?= <olga@smirnova.example.ru>",
    "To: sales@example.org",
    "Subject: " + enc_header("Реквизиты для договора"),
    "Date: Tue, 09 Dec 2026 13:00:00 +0300",
    "Message-ID: <mail-0009@smirnova.example.ru>",
    "MIME-Version: 1.0",
    'Content-Type: multipart/mixed; boundary="b1"',
) + b"\n" + b"\n".join([
    b"--b1",
    b"Content-Type: text/plain; charset=utf-8",
    b"Content-Transfer-Encoding: 8bit",
    b"",
    "Добрый день! Реквизиты во вложении.".encode("utf-8"),
    b"--b1",
    b"Content-Type: application/octet-stream",
    b"Content-Disposition: attachment;",
    b" filename*=UTF-8''%D0%A0%D0%B5%D0%BA%D0%B2%D0%B8%D0%B7%D0%B8%D1%82%D1%8B%20%D0%9E%D0%9E%D0%9E.xlsx",
    b"Content-Transfer-Encoding: base64",
    b"",
    b64(b"PK\x03\x04 not really a spreadsheet"),
    b"--b1",
    b"Content-Type: text/plain; name=\"../../etc/passwd\"",
    b"Content-Disposition: attachment; filename=\"../../etc/passwd\"",
    b"",
    b"root:x:0:0",
    b"--b1--",
    b"",
])

INNER_FORM = headers(
    "From: noreply@example.ru",
    "To: info@example.org",
    "Subject: " + enc_header("Заявка с сайта"),
    "Date: Wed, 10 Dec 2026 08:00:00 +0300",
    "Message-ID: <form-0010-inner@example.ru>",
    "Content-Type: text/plain; charset=utf-8",
    "Content-Transfer-Encoding: 8bit",
) + b"\n" + FORM_RU.replace("ООО «Ромашка»", "ООО Пересылка").encode("utf-8")
M["10_forwarded_form_rfc822.eml"] = headers(
    "From: Info Desk <info@example.org>",
    "To: sales@example.org",
    "Subject: Fwd: " + enc_header("Заявка с сайта"),
    "Date: Wed, 10 Dec 2026 09:00:00 +0300",
    "Message-ID: <fwd-0010@example.org>",
    "MIME-Version: 1.0",
    'Content-Type: multipart/mixed; boundary="FWD"',
) + b"\n" + b"\n".join([
    b"--FWD",
    b"Content-Type: text/plain; charset=utf-8",
    b"",
    "Коллеги, переправляю заявку.".encode("utf-8"),
    b"--FWD",
    b"Content-Type: message/rfc822",
    b"Content-Disposition: inline",
    b"",
    INNER_FORM,
    b"--FWD--",
    b"",
])

M["11_reply_deal_ref_in_subject.eml"] = headers(
    "From: Petr Petrov <petrov@romashka.example.ru>",
    "To: manager1@example.org",
    "Subject: Re: [D-12] " + enc_header("Коммерческое предложение"),
    "Date: Thu, 11 Dec 2026 10:00:00 +0300",
    "Message-ID: <reply-0011@romashka.example.ru>",
    "In-Reply-To: <crm-deal-12-offer@example.org>",
    "References: <crm-deal-12-first@example.org>",
    " <crm-deal-12-offer@example.org>",
    "MIME-Version: 1.0",
    "Content-Type: text/plain; charset=utf-8",
    "Content-Transfer-Encoding: quoted-printable",
) + b"\n" + qp(
    "Спасибо, предложение получили. Вернёмся с ответом в пятницу.\n\n> Добрый день, направляем КП.\n".encode())

M["12_reply_in_reply_to_only.eml"] = headers(
    "From: jane.doe@acme.example.com",
    "To: manager1@example.org",
    "Subject: RE: Your proposal",
    "Date: Fri, 12 Dec 2026 15:00:00 +0000",
    "Message-ID: <reply-0012@acme.example.com>",
    "In-Reply-To: <crm-offer-77@example.org>",
    "Content-Type: text/plain; charset=us-ascii",
) + b"\nThanks, we will review it next week.\n"

M["13_deal_hash_subject.eml"] = headers(
    "From: Hank Scorpio <hank@globex.example.com>",
    "To: manager2@example.org",
    "Subject: Deal #123 - signed documents",
    "Date: Sat, 13 Dec 2026 10:00:00 -0500",
    "Message-ID: <mail-0013@globex.example.com>",
    "Content-Type: text/plain",
) + b"\nSigned copies will follow by post.\n"

M["14_sdelka_number_cp1251_subject.eml"] = headers(
    "From: =?windows-1251?B?" + base64.b64encode("Сидорова Анна".encode("cp1251")).decode()
    + "?= <anna@vector.example.ru>",
    "To: manager1@example.org",
    "Subject: =?windows-1251?B?" + base64.b64encode("Вопрос по сделке №45".encode("cp1251")).decode() + "?=",
    "Date: Sun, 14 Dec 2026 12:00:00 +0300",
    "Message-ID: <mail-0014@vector.example.ru>",
    "MIME-Version: 1.0",
    "Content-Type: text/plain; charset=windows-1251",
    "Content-Transfer-Encoding: quoted-printable",
) + b"\n" + qp("Когда ждать счёт?\n".encode("cp1251"))

M["15_autoreply_auto_submitted.eml"] = headers(
    "From: Petr Petrov <petrov@romashka.example.ru>",
    "To: sales@example.org",
    "Subject: =?utf-8?b?" + base64.b64encode("Автоответ: Заявка".encode()).decode() + "?=",
    "Date: Mon, 15 Dec 2026 10:00:00 +0300",
    "Message-ID: <auto-0015@romashka.example.ru>",
    "Auto-Submitted: auto-replied",
    "Content-Type: text/plain; charset=utf-8",
    "Content-Transfer-Encoding: 8bit",
) + b"\n" + "Я в отпуске до 5 января. Телефон: +7 900 000 00 00\n".encode()

M["16_autoreply_x_autoreply_koi8.eml"] = headers(
    "From: office@lyutik.example.ru",
    "To: sales@example.org",
    "Subject: =?koi8-r?Q?" + "".join(f"={b:02X}" for b in "Нет на месте".encode("koi8_r")) + "?=",
    "Date: Tue, 16 Dec 2026 10:00:00 +0300",
    "Message-ID: <auto-0016@lyutik.example.ru>",
    "X-Autoreply: yes",
    "Content-Type: text/plain; charset=koi8-r",
    "Content-Transfer-Encoding: 8bit",
) + b"\n" + "Сотрудник отсутствует. Ваше письмо будет прочитано позже.\n".encode("koi8_r")

M["17_bounce_multipart_report.eml"] = headers(
    "From: Mail Delivery System <MAILER-DAEMON@mx.example.org>",
    "To: sales@example.org",
    "Subject: Undelivered Mail Returned to Sender",
    "Date: Wed, 17 Dec 2026 10:00:00 +0000",
    "Message-ID: <bounce-0017@mx.example.org>",
    "Auto-Submitted: auto-replied",
    "MIME-Version: 1.0",
    'Content-Type: multipart/report; report-type=delivery-status; boundary="RPT"',
) + b"\n" + b"\n".join([
    b"--RPT",
    b"Content-Description: Notification",
    b"Content-Type: text/plain; charset=us-ascii",
    b"",
    b"This is the mail system at host mx.example.org.",
    b"I'm sorry to have to inform you that your message could not be delivered.",
    b"--RPT",
    b"Content-Description: Delivery report",
    b"Content-Type: message/delivery-status",
    b"",
    b"Reporting-MTA: dns; mx.example.org",
    b"",
    b"Final-Recipient: rfc822; nobody@nowhere.example.com",
    b"Action: failed",
    b"Status: 5.1.1",
    b"--RPT",
    b"Content-Description: Undelivered Message Headers",
    b"Content-Type: text/rfc822-headers",
    b"",
    b"From: sales@example.org",
    b"To: nobody@nowhere.example.com",
    b"Subject: [D-5] Offer",
    b"--RPT--",
    b"",
])

M["18_newsletter_list_unsubscribe.eml"] = headers(
    "From: CRM Weekly <news@newsletter.example.com>",
    "To: sales@example.org",
    "Subject: CRM Weekly: 10 tips for better pricing",
    "Date: Thu, 18 Dec 2026 06:00:00 +0000",
    "Message-ID: <news-0018@newsletter.example.com>",
    "List-Unsubscribe: <https://newsletter.example.com/unsub?u=1>, <mailto:unsub@newsletter.example.com>",
    "List-Unsubscribe-Post: List-Unsubscribe=One-Click",
    "MIME-Version: 1.0",
    "Content-Type: text/html; charset=utf-8",
) + b"\n" + b'<html><body><img src="https://newsletter.example.com/track.gif?u=1" width="1" height="1">' \
    b"<h1>10 tips</h1><p>Price your product well.</p></body></html>\n"

M["19_noreply_notification.eml"] = headers(
    "From: Example Cloud <no-reply@cloud.example.com>",
    "To: sales@example.org",
    "Subject: Your password was changed",
    "Date: Fri, 19 Dec 2026 06:00:00 +0000",
    "Message-ID: <notify-0019@cloud.example.com>",
    "Content-Type: text/plain; charset=utf-8",
) + b"\nYour password was changed. If this was not you, contact support.\n"

M["20_precedence_bulk.eml"] = headers(
    "From: promo@shop.example.net",
    "To: sales@example.org",
    "Subject: " + enc_header("Скидки недели"),
    "Date: Sat, 20 Dec 2026 06:00:00 +0300",
    "Message-ID: <promo-0020@shop.example.net>",
    "Precedence: bulk",
    "Content-Type: text/plain; charset=utf-8",
    "Content-Transfer-Encoding: base64",
) + b"\n" + b64("Только на этой неделе скидки 50%.\n".encode())

M["21_broken_missing_boundary.eml"] = headers(
    "From: Ivan <ivan@broken.example.ru>",
    "To: sales@example.org",
    "Subject: Request without a boundary",
    "Date: Sun, 21 Dec 2026 10:00:00 +0300",
    "Message-ID: <broken-0021@broken.example.ru>",
    "MIME-Version: 1.0",
    "Content-Type: multipart/mixed",
) + b"\n" + b"\n".join([
    b"--XYZ",
    b"Content-Type: text/plain; charset=utf-8",
    b"",
    "Компания: ООО Без границ".encode(),
    "Телефон: +7 999 000-11-22".encode(),
    b"--XYZ--",
    b"",
])

M["22_broken_truncated_base64.eml"] = headers(
    "From: Maria <maria@trunc.example.ru>",
    "To: sales@example.org",
    "Subject: " + enc_header("Обрезанное письмо"),
    "Date: Mon, 22 Dec 2026 10:00:00 +0300",
    "Message-ID: <broken-0022@trunc.example.ru>",
    "MIME-Version: 1.0",
    'Content-Type: multipart/mixed; boundary="T"',
) + b"\n" + b"\n".join([
    b"--T",
    b"Content-Type: text/plain; charset=utf-8",
    b"Content-Transfer-Encoding: base64",
    b"",
    b64("Компания: ООО Обрыв\nТелефон: +7 900 222-33-44\nКомментарий: текст обрывается".encode())[:-7],
    b"--T",
    b'Content-Type: application/pdf; name="cut.pdf"',
    b"Content-Transfer-Encoding: base64",
    b"",
    b64(PDF)[:30],
])

M["23_broken_unknown_charset.eml"] = headers(
    "From: sergey@charset.example.ru",
    "To: sales@example.org",
    "Subject: =?x-unknown-charset?B?" + base64.b64encode("Заявка".encode("cp1251")).decode() + "?=",
    "Date: Tue, 23 Dec 2026 10:00:00 +0300",
    "Message-ID: <broken-0023@charset.example.ru>",
    "MIME-Version: 1.0",
    "Content-Type: text/plain; charset=x-nonexistent-8",
    "Content-Transfer-Encoding: 8bit",
) + b"\n" + "Компания: ООО Кодировка\nТелефон: +7 901 000-00-01\nКомментарий: нужна цена\n".encode("cp1251")

M["24_broken_no_content_type.eml"] = headers(
    "From: nikolay@plain.example.ru",
    "To: sales@example.org",
    "Subject: no content type",
    "Date: Wed, 24 Dec 2026 10:00:00 +0300",
    "Message-ID: <broken-0024@plain.example.ru>",
) + b"\n" + "Здравствуйте! Хотим партнёрство.\nКомпания: ООО Партнёр\nE-mail: n@plain.example.ru\n".encode()

M["25_broken_8bit_headers.eml"] = (
    "From: Дмитрий Орлов <orlov@eightbit.example.ru>\n"
    "To: sales@example.org\n"
    "Subject: Запрос КП на 20 лицензий\n"
    "Date: Thu, 25 Dec 2026 10:00:00 +0300\n"
    "Message-ID: <broken-0025@eightbit.example.ru>\n"
    "Content-Type: text/plain; charset=utf-8\n"
    "\nНужно коммерческое предложение.\n").encode("utf-8")

M["26_html_script_remote_images.eml"] = headers(
    "From: Attacker <attacker@evil.example.net>",
    "To: sales@example.org",
    "Subject: Invoice",
    "Date: Fri, 26 Dec 2026 10:00:00 +0000",
    "Message-ID: <evil-0026@evil.example.net>",
    "MIME-Version: 1.0",
    "Content-Type: text/html; charset=utf-8",
) + b"\n" + b"""<html><head><script>alert('head')</script>
<style>body{background:url(https://evil.example.net/bg.png)}</style></head>
<body onload="steal()">
<p onclick="alert(1)" style="background:url(https://evil.example.net/x.png)">Please see the invoice.</p>
<img src="https://evil.example.net/pixel.gif" alt="tracker">
<img src="//evil.example.net/proto.gif" alt="proto">
<img src="cid:logo@evil" alt="logo">
<img src="http://evil.example.net/plain.gif">
<a href="javascript:alert(2)">click me</a>
<a href="https://example.com/ok">safe link</a>
<iframe src="https://evil.example.net/frame"></iframe>
<form action="https://evil.example.net/post"><input name="p"></form>
<script>document.write('body script')</script>
<svg onload="alert(3)"><circle r="1"/></svg>
</body></html>
"""

M["27_huge_line.eml"] = headers(
    "From: big@huge.example.com",
    "To: sales@example.org",
    "Subject: A very long line",
    "Date: Sat, 27 Dec 2026 10:00:00 +0000",
    "Message-ID: <huge-0027@huge.example.com>",
    "Content-Type: text/plain; charset=utf-8",
) + b"\nCompany: Long Line Inc " + b"x" * 300_000 + b"\nPhone: +1 202 555 0100\n"

M["28_empty_body.eml"] = headers(
    "From: silent@empty.example.com",
    "To: sales@example.org",
    "Subject: (no text)",
    "Date: Sun, 28 Dec 2026 10:00:00 +0000",
    "Message-ID: <empty-0028@empty.example.com>",
) + b"\n"

M["29_empty_file.eml"] = b""

M["30_not_mail_binary.eml"] = b"\x00\x01\x02\x03\xff\xfe binary junk that is not mail\n\x00\x00\n"

M["31_wrong_declared_charset.eml"] = headers(
    "From: olga@wrong.example.ru",
    "To: sales@example.org",
    "Subject: =?utf-8?b?" + base64.b64encode("Заявка на консультацию".encode()).decode() + "?=",
    "Date: Mon, 29 Dec 2026 10:00:00 +0300",
    "Message-ID: <wrong-0031@wrong.example.ru>",
    "Content-Type: text/plain; charset=koi8-r",
    "Content-Transfer-Encoding: 8bit",
) + b"\n" + "Компания: ООО Неверная кодировка\nТелефон: +7 902 000-00-02\n".encode("cp1251")

M["32_latin1_german.eml"] = headers(
    "From: =?iso-8859-1?q?J=FCrgen_M=FCller?= <juergen@mueller.example.de>",
    "To: sales@example.org",
    "Subject: =?iso-8859-1?q?Anfrage_f=FCr_eine_Demonstration?=",
    "Date: Tue, 30 Dec 2026 10:00:00 +0100",
    "Message-ID: <de-0032@mueller.example.de>",
    "Content-Type: text/plain; charset=iso-8859-1",
    "Content-Transfer-Encoding: 8bit",
) + b"\n" + "Guten Tag, wir möchten eine Demonstration. Grüße, Jürgen Müller\nCompany: Müller GmbH\n"\
    "Email: juergen@mueller.example.de\n".encode("latin-1")

M["33_form_en_label_variants.eml"] = headers(
    "From: WordPress <wordpress@example.com>",
    "To: sales@example.org",
    "Subject: [Contact form] Trial access",
    "Date: Wed, 31 Dec 2026 10:00:00 +0000",
    "Message-ID: <wp-0033@example.com>",
    "Content-Type: text/plain; charset=utf-8",
) + b"\n" + b"""* Your name : Bob Smith
* Company name: Initech
* Job title: CTO
* Email address: <mailto:bob@initech.example.com>
* Tel: 555-0199
* Number of licenses: about 25 seats
* Message:
We need a trial.
Two weeks would be enough.
* URL: https://example.com/trial
"""

M["34_plain_inquiry_no_form.eml"] = headers(
    "From: =?utf-8?b?" + base64.b64encode("Елена Волкова".encode()).decode() + "?= <elena@volkova.example.ru>",
    "To: sales@example.org",
    "Subject: " + enc_header("Хотим демонстрацию вашей CRM"),
    "Date: Thu, 01 Jan 2027 10:00:00 +0300",
    "Message-ID: <plain-0034@volkova.example.ru>",
    "Content-Type: text/plain; charset=utf-8",
    "Content-Transfer-Encoding: base64",
) + b"\n" + b64("Добрый день! Покажите, пожалуйста, систему нашему отделу продаж.\nЕлена\n".encode())

M["35_auto_generated_form.eml"] = headers(
    "From: noreply@example.ru",
    "To: sales@example.org",
    "Subject: " + enc_header("Партнёрство: заявка с сайта"),
    "Date: Fri, 02 Jan 2027 10:00:00 +0300",
    "Message-ID: <form-0035@example.ru>",
    "Auto-Submitted: auto-generated",
    "Content-Type: text/plain; charset=utf-8",
    "Content-Transfer-Encoding: quoted-printable",
) + b"\n" + qp(FORM_RU.replace("ООО «Ромашка»", "ООО Партнёр-Софт").encode())

M["36_image_only.eml"] = headers(
    "From: scanner@office.example.com",
    "To: sales@example.org",
    "Subject: Scan",
    "Date: Sat, 03 Jan 2027 10:00:00 +0000",
    "Message-ID: <scan-0036@office.example.com>",
    "MIME-Version: 1.0",
    "Content-Type: image/png",
    "Content-Transfer-Encoding: base64",
) + b"\n" + b64(b"\x89PNG\r\n\x1a\n" + b"\x00" * 32)

PIXEL = base64.b64decode(b"R0lGODlhAQABAAAAACw=")
M["37_nested_related_alternative.eml"] = headers(
    "From: Olga Smirnova <olga@smirnova.example.ru>",
    "To: sales@example.org",
    "Subject: " + enc_header("Приглашение на презентацию"),
    "Date: Sun, 04 Jan 2027 10:00:00 +0300",
    "Message-ID: <nested-0037@smirnova.example.ru>",
    "MIME-Version: 1.0",
    'Content-Type: multipart/mixed; boundary="OUT"',
) + b"\n" + b"\n".join([
    b"--OUT",
    b'Content-Type: multipart/related; boundary="REL"',
    b"",
    b"--REL",
    b'Content-Type: multipart/alternative; boundary="ALT"',
    b"",
    b"--ALT",
    b"Content-Type: text/plain; charset=utf-8",
    b"",
    "Приглашаем на презентацию 15 января.".encode(),
    b"--ALT",
    b"Content-Type: text/html; charset=utf-8",
    b"",
    '<p>Приглашаем на презентацию <b>15 января</b>.</p><img src="cid:logo123" alt="Логотип">'.encode(),
    b"--ALT--",
    b"--REL",
    b"Content-Type: image/gif",
    b"Content-ID: <logo123>",
    b"Content-Disposition: inline",
    b"Content-Transfer-Encoding: base64",
    b"",
    b64(PIXEL),
    b"--REL--",
    b"--OUT",
    b"Content-Type: text/calendar; charset=utf-8; method=REQUEST",
    b'Content-Disposition: attachment; filename="invite.ics"',
    b"",
    b"BEGIN:VCALENDAR\r\nEND:VCALENDAR",
    b"--OUT--",
    b"",
])

M["38_reply_cyrillic_d_number_outlook.eml"] = headers(
    "From: Petr Petrov <petrov@romashka.example.ru>",
    "To: manager1@example.org",
    "Subject: " + enc_header("ОТВЕТ: Счёт по Д-77"),
    "Date: Mon, 05 Jan 2027 10:00:00 +0300",
    "Message-ID: <reply-0038@romashka.example.ru>",
    "Thread-Index: AQHZ",
    "Content-Type: text/plain; charset=utf-8",
) + b"\n" + "Счёт оплатим до конца недели.\n".encode()

M["39_no_headers_text.eml"] = "Просто текст без заголовков.\nНикаких полей.\n".encode()

M["40_postmaster_plain_bounce.eml"] = headers(
    "From: postmaster@mx.example.ru",
    "To: sales@example.org",
    "Subject: Delivery failure",
    "Date: Tue, 06 Jan 2027 10:00:00 +0300",
    "Message-ID: <pm-0040@mx.example.ru>",
    "Content-Type: text/plain; charset=us-ascii",
) + b"\nThe mailbox is full.\n"


M["41_outlook_automatic_reply.eml"] = headers(
    "From: Anna Sidorova <anna@vector.example.ru>",
    "To: sales@example.org",
    "Subject: " + enc_header("Автоматический ответ: Коммерческое предложение"),
    "Date: Wed, 07 Jan 2027 10:00:00 +0300",
    "Message-ID: <oof-0041@vector.example.ru>",
    "X-Auto-Response-Suppress: All",
    "Content-Type: text/plain; charset=utf-8",
) + b"\n" + "Я в отпуске до 20 января.\n".encode()

M["42_daemon_without_domain.eml"] = headers(
    "From: Mail Delivery Subsystem <MAILER-DAEMON>",
    "To: sales@example.org",
    "Subject: Returned mail: see transcript for details",
    "Date: Thu, 08 Jan 2027 10:00:00 +0300",
    "Message-ID: <daemon-0042@mx.example.ru>",
    "Content-Type: text/plain; charset=us-ascii",
) + b"\nUser unknown\n"


def main() -> None:
    for name, data in M.items():
        (HERE / name).write_bytes(data)
    print(f"{len(M)} messages written to {HERE}")


if __name__ == "__main__":
    main()
