"""app/exports: spreadsheet-ready CSV and XLSX, safe against formula injection and unstorable characters."""
from __future__ import annotations

import csv
import io
from datetime import date, datetime, timezone
from decimal import Decimal

import openpyxl
import pytest

from app.exports import csv_response_body, xlsx_bytes

HEADERS = ["Number", "Name", "Amount", "Received", "Due", "Count"]
ROWS = [
    ["L-1", "Ромашка", Decimal("1234.50"), datetime(2025, 1, 31, 21, 30, tzinfo=timezone.utc), date(2025, 2, 3), 7],
    ["L-2", None, None, datetime(2025, 6, 1, 9, 0), None, 0],  # naive: UTC, as stored
]
INJECTIONS = ["=HYPERLINK(\"http://evil\",\"x\")", "+1+2", "-2+3", "@SUM(A1)", "\t=1", "\r=1"]


def _read_csv(text: str, delimiter: str) -> list[list[str]]:
    assert text.startswith("\ufeff")
    return list(csv.reader(io.StringIO(text[1:]), delimiter=delimiter))


def test_csv_russian_uses_semicolon_decimal_comma_and_local_time():
    text = csv_response_body(HEADERS, ROWS, "ru", "Europe/Moscow")
    rows = _read_csv(text, ";")
    assert rows[0] == HEADERS
    assert rows[1] == ["L-1", "Ромашка", "1234,50", "01.02.2025 00:30", "03.02.2025", "7"]
    assert rows[2] == ["L-2", "", "", "01.06.2025 12:00", "", "0"]
    assert "\r\n" in text


def test_csv_english_uses_comma_and_iso_dates():
    rows = _read_csv(csv_response_body(HEADERS, ROWS, "en", "Asia/Vladivostok"), ",")
    assert rows[1] == ["L-1", "Ромашка", "1234.50", "2025-02-01 07:30", "2025-02-03", "7"]


@pytest.mark.parametrize("payload", INJECTIONS)
def test_csv_neutralises_formulas(payload):
    rows = _read_csv(csv_response_body(["Name"], [[payload]], "en", "UTC"), ",")
    assert rows[1] == ["'" + payload]


def test_csv_keeps_numbers_and_plain_text_untouched_and_drops_control_characters():
    rows = _read_csv(csv_response_body(["A", "B", "C"], [[-5, "a-b", "Nul\x00Corp\x1b"]], "en", "UTC"), ",")
    assert rows[1] == ["-5", "a-b", "NulCorp"]


def _sheet(data: bytes):
    workbook = openpyxl.load_workbook(io.BytesIO(data))
    return workbook, workbook.active


def test_xlsx_has_real_dates_widths_frozen_header_and_filter():
    workbook, sheet = _sheet(xlsx_bytes("Leads", HEADERS, ROWS, "Europe/Moscow"))
    assert sheet.title == "Leads"
    assert [c.value for c in sheet[1]] == HEADERS
    assert all(c.font.b for c in sheet[1])
    assert sheet.freeze_panes == "A2"
    assert sheet.auto_filter.ref == "A1:F3"
    received = sheet["D2"]
    assert received.is_date and received.value == datetime(2025, 2, 1, 0, 30)  # Moscow wall clock
    assert "yy" in received.number_format and "h" in received.number_format
    due = sheet["E2"]
    assert due.is_date and due.value.date() == date(2025, 2, 3) and "h" not in due.number_format
    assert sheet["D3"].value == datetime(2025, 6, 1, 12, 0)
    assert sheet["C2"].data_type == "n" and sheet["C2"].value == pytest.approx(1234.5)
    assert sheet["F3"].value == 0 and sheet["B3"].value is None
    widths = {letter: sheet.column_dimensions[letter].width for letter in "ABCDEF"}
    assert all(6 <= w <= 60 for w in widths.values()), widths
    assert widths["D"] > widths["A"]  # a datetime is wider than "L-1"


def test_xlsx_stores_formula_text_as_strings():
    _, sheet = _sheet(xlsx_bytes("S", ["Name"], [[p] for p in INJECTIONS], "UTC"))
    for row, payload in enumerate(INJECTIONS, start=2):
        cell = sheet.cell(row=row, column=1)
        assert cell.data_type == "s", (payload, cell.data_type)
        assert cell.value == payload
        assert cell.quotePrefix


def test_xlsx_drops_characters_openpyxl_refuses_instead_of_failing():
    _, sheet = _sheet(xlsx_bytes("Bad:/?*[]name that is far too long for a sheet", ["N\x00ame"],
                                 [["Nul\x00Corp\x0b"], ["tab\tnewline\nok"]], "UTC"))
    assert sheet["A1"].value == "Name"
    assert sheet["A2"].value == "NulCorp"
    assert sheet["A3"].value == "tab\tnewline\nok"
    assert len(sheet.title) <= 31 and not set(sheet.title) & set("[]:*?/\\")


def test_xlsx_empty_and_large():
    _, empty = _sheet(xlsx_bytes("Empty", ["A", "B"], [], "UTC"))
    assert empty.max_row == 1 and empty.auto_filter.ref == "A1:B1"
    rows = [[i, f"row {i}", datetime(2025, 1, 1, tzinfo=timezone.utc)] for i in range(5_000)]
    _, big = _sheet(xlsx_bytes("Big", ["N", "Name", "At"], rows, "UTC"))
    assert big.max_row == 5_001 and big.auto_filter.ref == "A1:C5001"
