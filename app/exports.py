"""Spreadsheet-ready exports of any list: CSV text and XLSX bytes from headers and rows of plain values.

Both formats open cleanly in Excel and LibreOffice in the user's language: CSV uses `;` and a decimal
comma in the Russian locale (what Excel's "Russian" regional settings expect), a UTF-8 BOM so Excel
detects the encoding, and dates converted to the user's timezone; XLSX has real date cells, column
widths, a frozen header row and an autofilter.

Both neutralise formula injection (CSV injection, OWASP): a text cell that a spreadsheet would run as
a formula (starting with `=`, `+`, `-`, `@`, a tab or a carriage return) gets a leading `'` in CSV and
is stored as a string, never a formula, in XLSX. Control characters that spreadsheet files cannot
hold (NUL and the other C0 controls except tab, line feed, carriage return) are dropped.

Values: None, str, bool, int, float, Decimal, date and datetime (naive datetimes are UTC, as stored);
anything else is written as its `str()`.

Allowed imports: the standard library, openpyxl, flask_babel. No app domain modules.
"""
from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Sequence
from datetime import date, datetime, timezone
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from flask_babel import gettext as _
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
# What XML 1.0 (and so XLSX) cannot hold, plus DEL; tab, line feed and carriage return stay.
_UNSTORABLE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_SHEET_TITLE_FORBIDDEN = re.compile(r"[\[\]:*?/\\]")
XLSX_DATETIME_FORMAT = "yyyy-mm-dd hh:mm"
XLSX_DATE_FORMAT = "yyyy-mm-dd"
XLSX_MAX_TEXT = 32767  # Excel's limit for one cell
WIDTH_SAMPLE_ROWS = 1000
MIN_WIDTH, MAX_WIDTH = 6, 60

CSV_FORMATS = {
    # locale: (delimiter, decimal separator, date format, datetime format)
    "ru": (";", ",", "%d.%m.%Y", "%d.%m.%Y %H:%M"),
    "en": (",", ".", "%Y-%m-%d", "%Y-%m-%d %H:%M"),
}


def csv_response_body(headers: Sequence[str], rows: Iterable[Sequence[Any]], locale: str, tz_name: str) -> str:
    """The CSV text (with a UTF-8 BOM) of `headers` and `rows` for a user of `locale` in `tz_name`."""
    delimiter, decimal_sep, date_fmt, datetime_fmt = CSV_FORMATS["ru" if str(locale).startswith("ru") else "en"]
    tz = ZoneInfo(tz_name)

    def text(value: Any) -> str:
        if value is None:
            return ""
        if isinstance(value, bool):
            return _("Yes") if value else _("No")
        if isinstance(value, datetime):
            return to_local(value, tz).strftime(datetime_fmt)
        if isinstance(value, date):
            return value.strftime(date_fmt)
        if isinstance(value, (Decimal, float)):
            number = format(value, "f") if isinstance(value, Decimal) else repr(value)
            return number.replace(".", decimal_sep)
        if isinstance(value, int):
            return str(value)
        return neutralise(clean_text(str(value)))

    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out, delimiter=delimiter, lineterminator="\r\n")
    writer.writerow([neutralise(clean_text(str(h))) for h in headers])
    for row in rows:
        writer.writerow([text(v) for v in row])
    return out.getvalue()


def xlsx_bytes(sheet_title: str, headers: Sequence[str], rows: Iterable[Sequence[Any]], tz_name: str) -> bytes:
    """An .xlsx workbook of one sheet: bold frozen header row, autofilter, widths fitted to the content.

    Streams the cells (openpyxl write-only mode), so a large export never holds a whole workbook of
    cell objects in memory; only the plain values are kept, to measure the column widths first.
    """
    tz = ZoneInfo(tz_name)
    values = [[xlsx_value(v, tz) for v in row] for row in rows]
    header_values = [clean_text(str(h)) for h in headers]
    columns = max([len(header_values), *(len(r) for r in values[:WIDTH_SAMPLE_ROWS])], default=0)

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=sheet_name(sheet_title))
    for index, width in enumerate(column_widths(header_values, values[:WIDTH_SAMPLE_ROWS], columns), start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width
    if columns:
        sheet.freeze_panes = "A2"
        sheet.auto_filter.ref = f"A1:{get_column_letter(columns)}{len(values) + 1}"
    bold = Font(bold=True)
    header_cells = []
    for title in header_values:
        cell = _text_cell(sheet, title)
        cell.font = bold
        header_cells.append(cell)
    sheet.append(header_cells)
    for row in values:
        sheet.append([_cell(sheet, v) for v in row])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


# --------------------------------------------------------------------------------------- helpers


def to_local(value: datetime, tz: ZoneInfo) -> datetime:
    """`value` in the user's timezone (a naive datetime is taken as UTC, as the database stores it)."""
    aware = value if value.tzinfo is not None else value.replace(tzinfo=timezone.utc)
    return aware.astimezone(tz)


def clean_text(value: str) -> str:
    """`value` without the control characters no spreadsheet file can hold."""
    return _UNSTORABLE.sub("", value)


def neutralise(value: str) -> str:
    """A leading `'` before text a spreadsheet would otherwise run as a formula."""
    return f"'{value}" if value.startswith(FORMULA_TRIGGERS) else value


def sheet_name(title: str) -> str:
    """A valid worksheet name: at most 31 characters, none of []:*?/\\ ."""
    name = _SHEET_TITLE_FORBIDDEN.sub(" ", clean_text(title)).strip().strip("'")[:31]
    return name or "Sheet"


def xlsx_value(value: Any, tz: ZoneInfo) -> Any:
    if value is None or isinstance(value, (bool, int, float, Decimal)):
        return value
    if isinstance(value, datetime):
        return to_local(value, tz).replace(tzinfo=None)  # Excel has no timezones: the user's wall clock
    if isinstance(value, date):
        return value
    return clean_text(str(value))[:XLSX_MAX_TEXT]


def column_widths(headers: Sequence[str], rows: Sequence[Sequence[Any]], columns: int) -> list[float]:
    widths = [0] * columns
    for row in [headers, *rows]:
        for index, value in enumerate(row[:columns]):
            widths[index] = max(widths[index], _display_length(value))
    return [float(min(MAX_WIDTH, max(MIN_WIDTH, w + 2))) for w in widths]


def _display_length(value: Any) -> int:
    if value is None:
        return 0
    if isinstance(value, datetime):
        return len("2000-01-01 00:00")
    if isinstance(value, date):
        return len("2000-01-01")
    text = str(value)
    return max((len(line) for line in text.splitlines()), default=0)


def _text_cell(sheet: Any, value: str) -> WriteOnlyCell:
    cell = WriteOnlyCell(sheet, value=value)
    # openpyxl takes any text starting with "=" as a formula; a user's text is never one.
    cell.data_type = "s"
    if value.startswith(FORMULA_TRIGGERS):
        cell.quotePrefix = True  # Excel keeps it text when the cell is edited, too
    return cell


def _cell(sheet: Any, value: Any) -> Any:
    if isinstance(value, str):
        return _text_cell(sheet, value)
    if isinstance(value, datetime):
        cell = WriteOnlyCell(sheet, value=value)
        cell.number_format = XLSX_DATETIME_FORMAT
        return cell
    if isinstance(value, date):
        cell = WriteOnlyCell(sheet, value=value)
        cell.number_format = XLSX_DATE_FORMAT
        return cell
    return value
