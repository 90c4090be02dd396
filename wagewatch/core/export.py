"""Every workbook the platform writes: list exports, import templates, rejected-row reports.

One writer, so stored text can never break a download or run in a spreadsheet:

- `cell_value(v)` is the one conversion of a value for a cell. Text loses what a workbook cannot
  hold (control characters openpyxl refuses, lone surrogates, U+FFFE/U+FFFF: each becomes U+FFFD
  "�", so the reader sees that something was there) and is made inert when a spreadsheet would
  take it for a formula (OWASP CSV injection: a leading `=`, `+`, `-`, `@`, tab or carriage return,
  and their full-width forms `＝＋－＠`, gets a leading `'`).
- `new_workbook()` gives a workbook whose sheets pass every value of `append`, `cell(...)` and
  `sheet["A1"] = ...` through `cell_value`; `workbook_bytes(book)` passes every cell through it
  once more and saves. No module outside this one creates or saves an openpyxl workbook
  (`core/tests/test_export.py` checks the source).

The platform never writes a live formula.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from io import BytesIO

from django.http import HttpResponse
from django.utils import timezone
from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

# What XML 1.0 (so a workbook) cannot hold, plus C1 controls (invisible, never meant).
_UNWRITABLE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")
REPLACEMENT = "\ufffd"
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "＝", "＋", "－", "＠")


def cell_value(value):
    """A value as it may go into a cell: None → "", an aware datetime → Shanghai time without
    zone, a bool → 是/否, text → writable and inert; numbers and dates unchanged."""
    if value is None:
        return ""
    if hasattr(value, "tzinfo") and getattr(value, "tzinfo", None) is not None:
        return timezone.localtime(value).replace(tzinfo=None)
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, str):
        return text_cell(value)
    return value


def text_cell(text: str) -> str:
    text = _UNWRITABLE.sub(REPLACEMENT, text)
    if len(text) > 1 and text.startswith(FORMULA_STARTS):
        return "'" + text
    return text


class SafeWorksheet(Worksheet):
    """A worksheet that writes every value through `cell_value`."""

    def append(self, iterable):
        if isinstance(iterable, dict):
            return super().append({k: cell_value(v) for k, v in iterable.items()})
        return super().append([cell_value(v) for v in iterable])

    def cell(self, row, column, value=None):
        return super().cell(row, column, None if value is None else cell_value(value))

    def __setitem__(self, key, value):
        self[key].value = cell_value(value)


class SafeWorkbook(Workbook):
    def __init__(self):
        super().__init__()
        self._sheets = [SafeWorksheet(self)]

    def create_sheet(self, title=None, index=None):
        sheet = SafeWorksheet(parent=self, title=title)
        self._add_sheet(sheet=sheet, index=index)
        return sheet


def new_workbook() -> SafeWorkbook:
    return SafeWorkbook()


def workbook_bytes(book: Workbook) -> bytes:
    """The .xlsx bytes of `book`, after one more pass of every text cell through `cell_value`
    (a value set straight on a cell, `cell.value = ...`, is caught here)."""
    for sheet in book.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                value = cell.value
                if isinstance(value, str):
                    safe = text_cell(value)
                    if safe != value or cell.data_type == "f":
                        cell.value = safe
                        cell.data_type = "s"
    buffer = BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def attachment(content: bytes, name: str) -> HttpResponse:
    """An .xlsx download named `name` (Chinese-safe, RFC 5987 encoded)."""
    from urllib.parse import quote

    response = HttpResponse(content, content_type=XLSX)
    response["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(name)}"
    return response


def xlsx_response(*, filename: str, sheet: str, headers: Sequence[str], rows: Iterable[Sequence]) -> HttpResponse:
    """An .xlsx download of a list: `filename` plus the time, one sheet, a bold header row."""
    workbook = new_workbook()
    ws = workbook.active
    ws.title = sheet[:31]
    ws.append(list(headers))
    for cell in ws[1]:
        cell.font = Font(bold=True)
    widths = [len(str(h)) * 2 + 2 for h in headers]
    for row in rows:
        values = [cell_value(v) for v in row]
        ws.append(values)
        for i, v in enumerate(values):
            widths[i] = min(max(widths[i], len(str(v or "")) + 2), 60)
    for i, width in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(i)].width = width
    ws.freeze_panes = "A2"
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    return attachment(workbook_bytes(workbook), f"{filename}-{stamp}.xlsx")
