"""Files the quick order hands out: the order template (XLSX, CSV) and the import report.

Formula-safe (QUALITY.md R13): every text cell goes through `formula_safe`, so no text cell
starts with = + - @ tab or carriage return (a partner's file is echoed back in the report,
and a code like `=HYPERLINK(…)` must stay text a spreadsheet never runs); numbers are
written as numbers. XlsxWriter is also told never to turn strings into formulas or links.
"""

import csv
import io
from decimal import Decimal
from typing import Any

import xlsxwriter
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from kabinet.orders.models import QuickOrderImport
from kabinet.orders.quick_order.matching import REASONS, WARNINGS, line_labels
from kabinet.web.spreadsheets import formula_safe

_OPTIONS = {"in_memory": True, "strings_to_formulas": False, "strings_to_urls": False}


def template_headers() -> list[str]:
    """The template's columns, in the reader's language; the column guess knows them in
    both (matching._HEADERS)."""
    return [_("Code"), _("Quantity"), _("Expected price")]


def template_xlsx() -> bytes:
    out = io.BytesIO()
    book = xlsxwriter.Workbook(out, _OPTIONS)
    bold = book.add_format({"bold": True})
    text = book.add_format({"num_format": "@"})  # codes stay text: EANs keep leading zeros
    sheet = book.add_worksheet(_("Order"))
    sheet.set_column(0, 0, 24, text)
    sheet.set_column(1, 2, 16)
    for column, header in enumerate(template_headers()):
        sheet.write_string(0, column, formula_safe(header), bold)
    sheet.freeze_panes(1, 0)
    help_sheet = book.add_worksheet(_("How to fill in"))
    help_sheet.set_column(0, 0, 100)
    for row, line in enumerate(_template_help()):
        help_sheet.write_string(row, 0, formula_safe(line))
    book.close()
    return out.getvalue()


def _template_help() -> list[str]:
    return [
        _("One line per product, from the second row of the Order sheet."),
        _("Code: our SKU, the EAN (barcode) or your company's own article code."),
        _("Quantity: a positive number, at most three decimal places."),
        _("Expected price (optional): the report warns where the price differs."),
        _("Lines with the same code are added up."),
    ]


def template_csv() -> bytes:
    """UTF-8 with a BOM and `;` between fields: what Excel opens as columns anywhere."""
    out = io.StringIO()
    csv.writer(out, delimiter=";").writerow([formula_safe(h) for h in template_headers()])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def _number(value: str) -> Decimal | None:
    try:
        return Decimal(value) if value else None
    except ArithmeticError:
        return None


def report_xlsx(item: QuickOrderImport) -> bytes:
    """The import report: a summary, the rejected rows with their reasons, the lines found."""
    out = io.BytesIO()
    book = xlsxwriter.Workbook(out, _OPTIONS)
    bold = book.add_format({"bold": True})
    money = book.add_format({"num_format": "#,##0.00"})

    summary = book.add_worksheet(_("Summary"))
    summary.set_column(0, 0, 28)
    summary.set_column(1, 1, 40)
    facts: list[tuple[str, Any]] = [
        (_("File"), item.file_name),
        (_("Uploaded"), date_format(timezone.localtime(item.created_at), "DATETIME_FORMAT")),
        (_("Agreement"), item.agreement.number),
        (_("Rows read"), item.rows_read),
        (_("Rows recognised"), item.rows_recognised),
        (_("Rows rejected"), item.rows_rejected),
        (_("Lines for the cart"), len(item.lines)),
    ]
    for row, (label, value) in enumerate(facts):
        summary.write_string(row, 0, formula_safe(label), bold)
        if isinstance(value, int):
            summary.write_number(row, 1, value)
        else:
            summary.write_string(row, 1, formula_safe(value))

    rejected = book.add_worksheet(_("Rejected"))
    headers = [_("Row"), _("Code"), _("Quantity"), _("Reason")]
    _header(rejected, headers, bold, widths=(8, 24, 12, 50))
    for row, (number, code, quantity, reason) in enumerate(item.rejected, start=1):
        rejected.write_number(row, 0, number)
        rejected.write_string(row, 1, formula_safe(code))
        rejected.write_string(row, 2, formula_safe(quantity))
        rejected.write_string(row, 3, formula_safe(REASONS.get(reason, reason)))

    lines = book.add_worksheet(_("Recognised"))
    headers = [
        _("SKU"),
        _("Product"),
        _("Quantity"),
        _("Price"),
        _("Expected price"),
        _("Note"),
        _("First row"),
        _("Rows"),
    ]
    _header(lines, headers, bold, widths=(20, 40, 12, 12, 14, 40, 10, 8))
    labels = line_labels(line[0] for line in item.lines)
    for row, line in enumerate(item.lines, start=1):
        variant_id, quantity, price, expected, first_row, count, warning = line
        sku, name = labels.get(variant_id, ("", ""))
        lines.write_string(row, 0, formula_safe(sku))
        lines.write_string(row, 1, formula_safe(name))
        lines.write_number(row, 2, float(Decimal(quantity)))
        lines.write_number(row, 3, float(Decimal(price)), money)
        expected_value = _number(expected)
        if expected_value is not None:
            lines.write_number(row, 4, float(expected_value), money)
        if warning:
            lines.write_string(row, 5, formula_safe(WARNINGS.get(warning, warning)))
        lines.write_number(row, 6, first_row)
        lines.write_number(row, 7, count)
    book.close()
    return out.getvalue()


def _header(sheet: Any, headers: list[str], bold: Any, *, widths: tuple[int, ...]) -> None:
    for column, (header, width) in enumerate(zip(headers, widths, strict=True)):
        sheet.set_column(column, column, width)
        sheet.write_string(0, column, formula_safe(header), bold)
    sheet.freeze_panes(1, 0)
