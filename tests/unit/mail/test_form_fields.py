"""Form notification fields, request categories and deal references (pure functions + the directory loaders)."""
from __future__ import annotations

import pytest

from app.directories import services as directories
from app.mail import form_fields
from app.mail.form_fields import (build_category_rules, build_label_table, deal_reference, default_labels,
                                  extract_form_fields, normalize_label, request_category)

LABELS = default_labels()


def test_every_canonical_field_has_russian_and_english_labels():
    seed = directories.DIRECTORIES[form_fields.FORM_LABELS_DIRECTORY].seed
    assert {form_fields.field_of_code(code) for code, _, _ in seed} == set(form_fields.FIELDS)
    for label, field in [("Компания", "company"), ("Company", "company"), ("ФИО", "name"), ("Name", "name"),
                         ("Контактное лицо", "name"), ("Должность", "position"), ("Position", "position"),
                         ("Отдел", "department"), ("Department", "department"), ("Телефон", "phone"),
                         ("Phone", "phone"), ("E-mail", "email"), ("Email", "email"), ("Почта", "email"),
                         ("Количество пользователей", "users_count"), ("Number of users", "users_count"),
                         ("Комментарий", "comment"), ("Comment", "comment"), ("Сообщение", "comment"),
                         ("Страница", "page"), ("Page", "page"), ("URL", "page"), ("GA client id", "ga_client_id"),
                         ("YM client id", "ym_client_id"), ("Яндекс Метрика", "ym_client_id"),
                         ("utm_source", "utm_source"), ("UTM Medium", "utm_medium"), ("utm_campaign", "utm_campaign"),
                         ("utm_content", "utm_content"), ("utm_term", "utm_term"), ("ИНН", "inn")]:
        assert LABELS[normalize_label(label)] == field, label


@pytest.mark.parametrize("a, b", [("E-mail", "email"), ("EMAIL", "e mail"), ("Ёлка", "елка"),
                                  ("utm_source", "UTM source"),
                                  ("GA Client ID", "ga_client_id")])
def test_normalize_label(a: str, b: str):
    assert normalize_label(a) == normalize_label(b)


def test_multiline_comment_runs_until_the_next_label():
    text = ("Компания: Альфа\nКомментарий: первая строка\nвторая строка\n\nчетвёртая: с двоеточием\n"
            "Телефон: +7 900 000-00-00\n")
    assert extract_form_fields(text, LABELS) == {
        "company": "Альфа", "comment": "первая строка\nвторая строка\n\nчетвёртая: с двоеточием",
        "phone": "+7 900 000-00-00"}


def test_comment_starting_on_the_next_line_and_ending_at_a_separator():
    text = "Message:\n  Hello,\n  we need 10 seats.\n\n--\nSent from example.com\nCompany: Late Inc\n"
    assert extract_form_fields(text, LABELS) == {"comment": "Hello,\n  we need 10 seats.", "company": "Late Inc"}


def test_single_line_fields_do_not_swallow_following_text():
    text = "Company: Acme\nthis line is not a field\nPage: https://example.com/x\nThanks!\n"
    assert extract_form_fields(text, LABELS) == {"company": "Acme", "page": "https://example.com/x"}


def test_value_on_the_line_after_its_label():
    assert extract_form_fields("Компания:\n\n  ООО Ромашка\nТелефон: 1", LABELS) == {
        "company": "ООО Ромашка", "phone": "1"}


def test_values_are_trimmed_empty_dropped_first_occurrence_wins():
    text = "Company:   Acme   \nPhone:\nCompany: Other\nEmail:  <mailto:Bob@Example.com>.  \n"
    assert extract_form_fields(text, LABELS) == {"company": "Acme", "email": "Bob@Example.com"}


@pytest.mark.parametrize("value, expected", [("50", 50), ("1 500", 1500), ("около 40", 40), ("10-20", 10),
                                             ("many", "many"), ("12345678901234", "12345678901234")])
def test_users_count_is_an_int_when_it_holds_a_number(value: str, expected: int | str):
    assert extract_form_fields(f"Number of users: {value}", LABELS) == {"users_count": expected}


def test_unknown_labels_and_prose_are_ignored():
    text = "Hello team: please call me.\nSkype: bob.smith\nIt is 10:30 now.\n"
    assert extract_form_fields(text, LABELS) == {}
    assert extract_form_fields("", LABELS) == {}


def test_custom_label_table_from_entries():
    table = build_label_table([("company.firm", "Firm|Firm name", "Фирма"), ("phone", "Phone", "")])
    assert table == {"firm": "company", "firmname": "company", "фирма": "company", "phone": "phone"}
    assert extract_form_fields("Фирма: Альфа\nFirm name: Beta\nPhone: 1", table) == {"company": "Альфа", "phone": "1"}


def test_is_form_needs_two_fields_with_a_way_to_reach_the_person():
    assert form_fields.is_form({"company": "A", "phone": "1"})
    assert not form_fields.is_form({"company": "A", "comment": "x"})
    assert not form_fields.is_form({"email": "a@example.com"})


# --------------------------------------------------------------------------- request category

@pytest.mark.parametrize("subject, category", [
    ("Запрос стоимости", "price"),
    ("Заявка: узнать цену лицензий", "price"),  # "цена" with another ending
    ("Цены на 2027 год", "price"),
    ("Price request", "price"),
    ("Pricing for 50 users", "price"),
    ("Запрос КП", "price"),
    ("Коммерческое предложение для ООО Альфа", "price"),
    ("Демонстрация системы", "demonstration"),
    ("Хотим демонстрацию", "demonstration"),
    ("Запросить презентацию", "demonstration"),
    ("Демо-доступ к системе", "demo-access"),
    ("Нужен демо доступ", "demo-access"),
    ("Trial access request", "demo-access"),
    ("Нужна консультация", "consult"),
    ("Партнёрство с нами", "partnership"),
    ("Партнерство", "partnership"),
    ("Become a reseller", "partnership"),
    ("Hello", "other"),
    ("", "other"),
    ("Учебный центр", "other"),
])
def test_request_category_from_the_seed(subject: str, category: str):
    assert request_category(subject) == category


def test_request_category_longest_keyword_wins_and_ties_go_to_the_first_rule():
    rules = [("a", "демо"), ("b", "демо доступ"), ("c", "счёт"), ("d", "счет")]
    assert request_category("Демо доступ", rules) == "b"
    assert request_category("Демо", rules) == "a"
    assert request_category("Выставьте счет", rules) == "c"  # ё and е are one letter here
    assert request_category("Демо доступ", []) == "other"


def test_build_category_rules_keeps_only_active_categories():
    entries = [("price.x", "quote|offer", "цена"), ("gone", "old", "")]
    assert build_category_rules(entries, categories=["price"]) == [
        ("price", "quote"), ("price", "offer"), ("price", "цена")]


# --------------------------------------------------------------------------- deal reference

@pytest.mark.parametrize("subject, number", [
    ("[D-123] Offer", 123),
    ("Re: [D-12] Коммерческое предложение", 12),
    ("RE: D-7", 7),
    ("Ответ: Д-77 счёт", 77),
    ("Deal #123 follow-up", 123),
    ("deal 55", 55),
    ("Deal No. 9", 9),
    ("Сделка №123", 123),
    ("Вопрос по сделке № 45", 45),
    ("Сделка 8", 8),
    ("COVID-19 measures", None),
    ("ID-123 badge", None),
    ("Order 123", None),
    ("D- nothing", None),
    ("Ideal #5", None),
    ("", None),
])
def test_deal_reference(subject: str, number: int | None):
    assert deal_reference(subject) == number


def test_deal_reference_header_wins():
    assert deal_reference("[D-1] x", {"x-crm-deal": "D-42"}) == 42
    assert deal_reference("[D-1] x", {"X-Other": "5"}) == 1


# --------------------------------------------------------------------------- directory loaders

@pytest.mark.db
def test_loaders_read_the_directories_an_administrator_extends(db_session):
    directories.ensure_seed()
    assert form_fields.load_form_labels() == default_labels()
    assert form_fields.load_category_rules() == form_fields.default_category_rules()

    directories.add_entry(form_fields.FORM_LABELS_DIRECTORY, "company.firm", "Firm", "Фирма")
    directories.add_entry(form_fields.CATEGORY_KEYWORDS_DIRECTORY, "partnership.integrator", "integrator",
                          "интегратор")
    phone = directories.find_entry(form_fields.FORM_LABELS_DIRECTORY, "phone")
    directories.set_entry_active(phone.id, False)
    labels = form_fields.load_form_labels()
    assert extract_form_fields("Фирма: Альфа\nТелефон: 1\nTel: 2", labels) == {"company": "Альфа", "phone": "2"}
    assert request_category("Мы системный интегратор", form_fields.load_category_rules()) == "partnership"

    # A deactivated request category takes its keywords with it.
    category = directories.find_entry(form_fields.CATEGORY_DIRECTORY, "partnership")
    directories.set_entry_active(category.id, False)
    assert request_category("Мы системный интегратор", form_fields.load_category_rules()) == "other"
