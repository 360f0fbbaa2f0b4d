"""Demo data of mail intake: the mailbox settings (present, `disabled`) and a few intake log rows."""
from __future__ import annotations

from app.mail import intake
from app.mail.mailboxes import INBOX_CRM
from app.settings.services import ensure_settings

_FORM = """Message-ID: <demo-form-1@site.example>
From: Website <noreply@site.example>
To: sales@example.org
Subject: =?utf-8?b?0JfQsNGP0LLQutCwINGBINGB0LDQudGC0LA6INC00LXQvNC+0L3RgdGC0YDQsNGG0LjRjw==?=
Date: Mon, 30 Nov 2026 10:15:00 +0300
MIME-Version: 1.0
Content-Type: text/plain; charset=utf-8
Content-Transfer-Encoding: 8bit

Компания: ООО «Северный ветер»
ФИО: Орлова Анна Сергеевна
Должность: Коммерческий директор
Телефон: +7 812 555-01-02
E-mail: orlova@sever-veter.example
Количество пользователей: 40
Комментарий: Хотим посмотреть демонстрацию CRM для отдела продаж.
Страница: https://site.example/demo
utm_source: google
"""

_AUTO_REPLY = """Message-ID: <demo-auto-1@client.example>
From: Pavel <pavel@client.example>
To: sales@example.org
Subject: Automatic reply: Your proposal
Auto-Submitted: auto-replied
Date: Mon, 30 Nov 2026 11:00:00 +0300
Content-Type: text/plain; charset=utf-8

I am out of the office until Monday.
"""


def demo_mail() -> None:
    """The Configuration rows (both mailboxes `disabled`) and three intake log rows: a deal from a website
    form (its card shows the Email Message widget), an ignored auto-reply and a quarantined input."""
    ensure_settings()
    for raw in (_FORM.replace("\n", "\r\n").encode(), _AUTO_REPLY.replace("\n", "\r\n").encode(),
                b"\x00\x01 not an email message"):
        intake.ingest_message(INBOX_CRM, raw)
