"""Reading, seeding and extending directories.

Side effects: only `flush()`; the caller commits. Raises NotFound, InvalidInput.
"""
from __future__ import annotations

import copy
import re
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from app.directories.models import DirectoryEntry
from app.errors import InvalidInput, NotFound
from app.extensions import db

CODE_RE = re.compile(r"^[a-z0-9][a-z0-9_.%-]{0,63}$")


@dataclass(frozen=True)
class Directory:
    id: str
    title: Any  # lazy string
    seed: tuple[tuple[str, str, str], ...]  # (code, English, Russian), in display order


DIRECTORIES: dict[str, Directory] = {d.id: d for d in (
    Directory("request_category", _l("Request categories"), (
        ("consult", "Consultation", "Консультация"),
        ("demonstration", "Demonstration", "Демонстрация"),
        ("price", "Price request", "Запрос стоимости"),
        ("demo-access", "Demo access", "Демо-доступ"),
        ("partnership", "Partnership", "Партнёрство"),
        ("other", "Other", "Другое"),
    )),
    Directory("request_source", _l("Request sources"), (
        ("website", "Website", "Сайт"),
        ("email", "Email", "Почта"),
        ("phone", "Phone", "Телефон"),
        ("referral", "Referral", "Рекомендация"),
        ("search", "Search", "Поиск"),
        ("advertising", "Advertising", "Реклама"),
        ("event", "Event", "Мероприятие"),
        ("other", "Other", "Другое"),
    )),
    Directory("request_type", _l("Request types"), (
        ("deal", "Deal", "Сделка"),
        ("partnership", "Partnership", "Партнёрство"),
        ("education", "Education", "Обучение"),
    )),
    Directory("disqualification_reason", _l("Disqualification reasons"), (
        ("no_contact", "No contact", "Нет связи"),
        ("not_interested", "Not interested", "Не заинтересован"),
        ("not_target", "Not a target client", "Нецелевой"),
        ("duplicate", "Duplicate", "Дубль"),
        ("incorrect_data", "Incorrect data", "Некорректные данные"),
        ("competitor_choice", "Chose a competitor", "Выбрал конкурента"),
        ("expensive", "Too expensive", "Дорого"),
        ("spam", "Spam", "Спам"),
        ("existing_client", "Existing client", "Действующий клиент"),
        ("other", "Other", "Другое"),
    )),
    # Codes are the rate in percent, so deals can compute with Decimal(code); "without_vat" has no VAT.
    Directory("vat_rate", _l("VAT rates"), (
        ("20", "20%", "НДС 20%"),
        ("10", "10%", "НДС 10%"),
        ("0", "0%", "НДС 0%"),
        ("without_vat", "Without VAT", "Без НДС"),
    )),
    Directory("unit", _l("Units"), (
        ("pcs", "pcs", "шт."),
        ("hour", "hour", "ч"),
        ("month", "month", "мес."),
        ("license", "license", "лиц."),
        ("service", "service", "усл."),
    )),
    Directory("contract_kind", _l("Contract kinds"), (
        ("license", "License agreement", "Лицензионный договор"),
        ("services", "Services agreement", "Договор оказания услуг"),
        ("supply", "Supply agreement", "Договор поставки"),
        ("partnership", "Partnership agreement", "Партнёрский договор"),
        ("other", "Other", "Другое"),
    )),
    # ISO 4217 codes.
    Directory("currency", _l("Currencies"), (
        ("RUB", "Russian ruble", "Российский рубль"),
        ("USD", "US dollar", "Доллар США"),
        ("EUR", "Euro", "Евро"),
    )),
    # Labels of website form notifications ("Company: Acme"), read by app.mail.form_fields. One entry per
    # label pair: the code is the canonical field, optionally followed by ".<anything>" so that several
    # entries can name one field (an administrator adds "company.firm" / "Firm" / "Фирма").
    Directory("mail_form_labels", _l("Email form labels"), (
        ("company", "Company", "Компания"),
        ("company.organization", "Organization", "Организация"),
        ("company.name", "Company name", "Название компании"),
        ("name", "Name", "ФИО"),
        ("name.contact", "Contact person", "Контактное лицо"),
        ("name.full", "Full name", "Имя"),
        ("name.your", "Your name", "Ваше имя"),
        ("position", "Position", "Должность"),
        ("position.title", "Job title", "Позиция"),
        ("department", "Department", "Отдел"),
        ("department.division", "Division", "Подразделение"),
        ("phone", "Phone", "Телефон"),
        ("phone.short", "Tel", "Тел"),
        ("phone.mobile", "Mobile phone", "Мобильный телефон"),
        ("email", "E-mail", "Почта"),
        ("email.address", "Email address", "Электронная почта"),
        ("email.short", "Mail", "Эл. почта"),
        ("users_count", "Number of users", "Количество пользователей"),
        ("users_count.users", "Users", "Пользователей"),
        ("users_count.licenses", "Number of licenses", "Количество лицензий"),
        ("comment", "Comment", "Комментарий"),
        ("comment.message", "Message", "Сообщение"),
        ("comment.question", "Question", "Вопрос"),
        ("comment.request", "Request text", "Текст заявки"),
        ("page", "Page", "Страница"),
        ("page.url", "URL", "Адрес страницы"),
        ("page.form", "Form page", "Страница формы"),
        ("inn", "INN", "ИНН"),
        ("inn.tin", "TIN", "ИНН организации"),
        ("ga_client_id", "GA client id", "GA Client ID"),
        ("ga_client_id.full", "Google Analytics client id", "Идентификатор клиента Google Analytics"),
        ("ym_client_id", "YM client id", "Яндекс Метрика"),
        ("ym_client_id.full", "Yandex Metrica client id", "ClientID Яндекс Метрики"),
        ("ym_client_id.uid", "_ym_uid", "ym_uid"),
        ("utm_source", "utm_source", "UTM source"),
        ("utm_medium", "utm_medium", "UTM medium"),
        ("utm_campaign", "utm_campaign", "UTM campaign"),
        ("utm_content", "utm_content", "UTM content"),
        ("utm_term", "utm_term", "UTM term"),
    )),
    # Keywords that put an emailed request into a request category (app.mail.form_fields.request_category):
    # the code is the request_category code, optionally followed by ".<anything>"; both labels are keywords.
    # A keyword matches words that start with it once a trailing vowel is dropped ("стоимость" matches
    # "стоимости"); the longest match wins, so "демо-доступ" beats "демо".
    Directory("mail_request_keywords", _l("Email request category keywords"), (
        ("price", "price", "стоимость"),
        ("price.quote", "quote", "цена"),
        ("price.cost", "cost", "цены"),
        ("price.list", "price list", "прайс"),
        ("price.offer", "commercial offer", "коммерческое предложение"),
        ("price.kp", "quotation", "КП"),
        ("price.invoice", "invoice", "счёт"),
        ("demonstration", "demonstration", "демонстрация"),
        ("demonstration.presentation", "presentation", "презентация"),
        ("demonstration.webinar", "product demo", "показать"),
        ("demo-access", "demo access", "демо-доступ"),
        ("demo-access.trial", "trial", "пробный"),
        ("demo-access.test", "test access", "тестовый доступ"),
        ("demo-access.demo", "demo", "демо"),
        ("consult", "consultation", "консультация"),
        ("consult.question", "question", "вопрос"),
        ("consult.advice", "advice", "проконсультировать"),
        ("partnership", "partnership", "партнёрство"),
        ("partnership.partner", "partner", "партнёр"),
        ("partnership.reseller", "reseller", "дилер"),
    )),
)}


def directory_title(directory: str) -> str:
    known = DIRECTORIES.get(directory)
    return str(known.title) if known else directory


def list_directories() -> list[str]:
    """Known directory ids first (in declaration order), then any others found in the table."""
    stored = set(db.session.scalars(sa.select(DirectoryEntry.directory).distinct()))
    return list(DIRECTORIES) + sorted(stored - set(DIRECTORIES))


def _check_directory(directory: str) -> None:
    if directory not in DIRECTORIES and db.session.scalar(
            sa.select(DirectoryEntry.id).where(DirectoryEntry.directory == directory).limit(1)) is None:
        raise NotFound(_("Directory %(directory)s not found.", directory=directory))


def list_entries(directory: str, include_inactive: bool = False) -> list[DirectoryEntry]:
    """Entries of `directory` in display order. Raises NotFound for an unknown directory."""
    _check_directory(directory)
    query = sa.select(DirectoryEntry).where(DirectoryEntry.directory == directory)
    if not include_inactive:
        query = query.where(DirectoryEntry.is_active.is_(True))
    return list(db.session.scalars(query.order_by(DirectoryEntry.sort_order, DirectoryEntry.id)))


def find_entry(directory: str, code: str) -> DirectoryEntry | None:
    """The entry (active or not) with this code, or None."""
    return db.session.scalar(sa.select(DirectoryEntry).where(DirectoryEntry.directory == directory,
                                                             DirectoryEntry.code == code))


def get_entry(entry_id: int) -> DirectoryEntry:
    entry = db.session.get(DirectoryEntry, entry_id)
    if entry is None:
        raise NotFound(_("Directory entry not found."))
    return entry


def label(entry: DirectoryEntry | None, locale: str | None = None) -> str:
    """The entry's label in `locale` (English fallback); "" for no entry."""
    return entry.label(locale) if entry is not None else ""


def code_label(directory: str, code: str | None, locale: str | None = None) -> str:
    """The label of `code` in `directory`, or the code itself when the entry is missing."""
    if not code:
        return ""
    entry = find_entry(directory, code)
    return entry.label(locale) if entry is not None else code


def is_valid_code(directory: str, code: str) -> bool:
    """True when `code` is an active entry of `directory` (for validating record fields)."""
    entry = find_entry(directory, code)
    return entry is not None and entry.is_active


def ensure_seed() -> int:
    """Add the missing seed entries of every known directory; idempotent. Returns how many were added.

    Existing entries are left as the administrators edited them (labels, order, deactivation).
    """
    existing = {(d, c) for d, c in db.session.execute(sa.select(DirectoryEntry.directory, DirectoryEntry.code))}
    added = 0
    for directory in DIRECTORIES.values():
        for order, (code, en, ru) in enumerate(directory.seed, start=1):
            if (directory.id, code) in existing:
                continue
            db.session.add(DirectoryEntry(directory=directory.id, code=code, label_en=en, label_ru=ru,
                                          sort_order=order * 10, is_active=True))
            added += 1
    db.session.flush()
    return added


def add_entry(directory: str, code: str, label_en: str, label_ru: str = "",
              sort_order: int | None = None) -> DirectoryEntry:
    """Add an entry to a known directory. Raises NotFound (directory), InvalidInput (field errors)."""
    _check_directory(directory)
    code = (code or "").strip()
    label_en, label_ru = (label_en or "").strip(), (label_ru or "").strip()
    errors: dict[str, str] = {}
    if not CODE_RE.match(code):
        errors["code"] = _("Use 1–64 lowercase letters, digits, dots, dashes or underscores.")
    elif find_entry(directory, code) is not None:
        errors["code"] = _("This code is already used in the directory.")
    if not label_en:
        errors["label_en"] = _("This field is required.")
    elif len(label_en) > 200:
        errors["label_en"] = _("Use at most 200 characters.")
    if len(label_ru) > 200:
        errors["label_ru"] = _("Use at most 200 characters.")
    if errors:
        raise InvalidInput(fields=errors)
    if sort_order is None:
        last = db.session.scalar(sa.select(sa.func.max(DirectoryEntry.sort_order))
                                 .where(DirectoryEntry.directory == directory))
        sort_order = (last or 0) + 10
    entry = DirectoryEntry(directory=directory, code=code, label_en=label_en, label_ru=label_ru,
                           sort_order=sort_order, is_active=True)
    db.session.add(entry)
    db.session.flush()
    return entry


def set_entry_active(entry_id: int, is_active: bool) -> DirectoryEntry:
    """Deactivate (hide from choices; records keep their code) or re-activate an entry."""
    entry = get_entry(entry_id)
    entry.is_active = is_active
    db.session.flush()
    return entry


DIRECTORY_KEYWORD = "x-directory"


def resolve_schema(schema: dict[str, Any], locale: str | None = None) -> dict[str, Any]:
    """A copy of a JSON Schema whose `x-directory` properties list their choices.

    Every object with `"x-directory": "<directory>"` (a form field, at any depth) gets
    `oneOf: [{"const": code, "title": label in `locale`}, ...]` of the directory's active entries, in
    display order, so clients know the valid values and `jsonschema` refuses any other code;
    `x-directory` stays. A directory without active entries (or unknown) gets `enum: []`: nothing
    is valid. The input is not modified. One query per directory named.
    """
    resolved: dict[str, Any] = copy.deepcopy(schema)
    cache: dict[str, list[DirectoryEntry]] = {}

    def visit(node: Any) -> None:
        if isinstance(node, dict):
            directory = node.get(DIRECTORY_KEYWORD)
            if isinstance(directory, str):
                if directory not in cache:
                    cache[directory] = list(db.session.scalars(
                        sa.select(DirectoryEntry).where(DirectoryEntry.directory == directory,
                                                        DirectoryEntry.is_active.is_(True))
                        .order_by(DirectoryEntry.sort_order, DirectoryEntry.id)))
                entries = cache[directory]
                node.pop("enum", None)
                node.pop("oneOf", None)
                if entries:
                    node["oneOf"] = [{"const": e.code, "title": e.label(locale)} for e in entries]
                else:
                    node["enum"] = []
            for value in node.values():
                visit(value)
        elif isinstance(node, list):
            for item in node:
                visit(item)

    visit(resolved)
    return resolved
