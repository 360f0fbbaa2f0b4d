"""Amounts in words on invoices, acts and proposals: roubles in words, kopecks in digits, Russian plural forms."""
from __future__ import annotations

from decimal import Decimal

import pytest

from app.documents.rendering import amount_in_words, format_money, format_quantity, plural_ru


@pytest.mark.parametrize(("n", "expected"), [
    (0, "рублей"), (1, "рубль"), (2, "рубля"), (4, "рубля"), (5, "рублей"), (11, "рублей"), (12, "рублей"),
    (14, "рублей"), (21, "рубль"), (22, "рубля"), (25, "рублей"), (101, "рубль"), (111, "рублей"),
    (112, "рублей"), (1001, "рубль"), (1_000_000, "рублей"),
])
def test_plural_forms_follow_the_last_two_digits(n: int, expected: str) -> None:
    assert plural_ru(n, "рубль", "рубля", "рублей") == expected


@pytest.mark.parametrize(("amount", "words"), [
    ("0.00", "Ноль рублей 00 копеек"),
    ("1.01", "Один рубль 01 копейка"),
    ("2.02", "Два рубля 02 копейки"),
    ("5.05", "Пять рублей 05 копеек"),
    ("11.11", "Одиннадцать рублей 11 копеек"),
    ("21.21", "Двадцать один рубль 21 копейка"),
    ("22.22", "Двадцать два рубля 22 копейки"),
    ("1000.00", "Одна тысяча рублей 00 копеек"),
    ("2000.50", "Две тысячи рублей 50 копеек"),
    ("36600.00", "Тридцать шесть тысяч шестьсот рублей 00 копеек"),
    ("1234567.89", "Один миллион двести тридцать четыре тысячи пятьсот шестьдесят семь рублей 89 копеек"),
    ("9999999999999.99", "Девять триллионов девятьсот девяносто девять миллиардов девятьсот девяносто девять "
                         "миллионов девятьсот девяносто девять тысяч девятьсот девяносто девять рублей 99 копеек"),
])
def test_roubles_in_words_and_kopecks_in_digits(amount: str, words: str) -> None:
    assert amount_in_words(Decimal(amount)) == words


def test_the_amount_is_rounded_half_up_to_kopecks() -> None:
    assert amount_in_words(Decimal("0.995")) == "Один рубль 00 копеек"
    assert amount_in_words(Decimal("2.004")) == "Два рубля 00 копеек"


@pytest.mark.parametrize("bad", [Decimal("-1"), Decimal("NaN"), Decimal("Infinity")])
def test_no_words_for_negative_or_non_finite_amounts(bad: Decimal) -> None:
    with pytest.raises(ValueError):
        amount_in_words(bad)


def test_money_and_quantities_in_the_russian_format() -> None:
    assert format_money(Decimal("1234567.5")) == "1\u00a0234\u00a0567,50"
    assert format_money(Decimal("0")) == "0,00"
    assert format_quantity(Decimal("2.500")) == "2,5"
    assert format_quantity(Decimal("3.000")) == "3"
    assert format_quantity(Decimal("100")) == "100"
