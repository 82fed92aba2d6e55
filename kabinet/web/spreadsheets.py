"""Spreadsheet downloads (XLSX): streamed, formula-safe (QUALITY.md R13), as attachments.

Rows are written with XlsxWriter in constant-memory mode to a temporary file, row by row as
the query yields them, so an export of a million rows needs no more memory than one of ten.
Text is always written as text; text that a spreadsheet would still run as a formula when
edited or re-saved as CSV (starting with = + - @ tab or CR) gets a leading apostrophe.
"""

import tempfile
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import xlsxwriter
from django.http import FileResponse
from django.utils import timezone

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def formula_safe(value: object) -> str:
    """The value as text a spreadsheet shows as it is: an apostrophe before = + - @ tab CR."""
    text = str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def xlsx_write(
    target: Any, *, sheet: str, header: Sequence[str], rows: Iterable[Sequence[Any]]
) -> int:
    """Write `header` and `rows` to `target` (a path or a binary file); returns the row
    count. Numbers stay numbers, dates dates (in the portal's time zone), the rest text."""
    book = xlsxwriter.Workbook(
        target, {"constant_memory": True, "strings_to_formulas": False, "in_memory": False}
    )
    worksheet = book.add_worksheet(sheet[:31])
    bold = book.add_format({"bold": True})
    day = book.add_format({"num_format": "yyyy-mm-dd"})
    moment = book.add_format({"num_format": "yyyy-mm-dd hh:mm"})
    for column, title in enumerate(header):
        worksheet.write_string(0, column, formula_safe(str(title)), bold)
    count = 0
    for count, row in enumerate(rows, start=1):
        for column, value in enumerate(row):
            if value is None or value == "":
                continue
            if isinstance(value, bool):
                worksheet.write_boolean(count, column, value)
            elif isinstance(value, int | float | Decimal):
                worksheet.write_number(count, column, float(value))
            elif isinstance(value, datetime):
                local = timezone.localtime(value).replace(tzinfo=None)
                worksheet.write_datetime(count, column, local, moment)
            elif isinstance(value, date):
                worksheet.write_datetime(count, column, value, day)
            else:
                worksheet.write_string(count, column, formula_safe(str(value)))
    worksheet.freeze_panes(1, 0)
    book.close()
    return count


def xlsx_response(
    filename: str, *, sheet: str, header: Sequence[str], rows: Iterable[Sequence[Any]]
) -> FileResponse:
    """An XLSX download of `rows`: built in a temporary file that goes away once sent."""
    spooled = tempfile.TemporaryFile()  # noqa: SIM115 (FileResponse closes it)
    xlsx_write(spooled, sheet=sheet, header=header, rows=rows)
    spooled.seek(0)
    response = FileResponse(spooled, as_attachment=True, filename=filename, content_type=XLSX_TYPE)
    response["X-Content-Type-Options"] = "nosniff"
    return response
